import type { AppContext } from "../../http/app";
import { principalOf, type PrincipalContext, type ServiceContext } from "../../domain/context";

/** The service context of an authenticated request. */
export const serviceContext = (c: AppContext): ServiceContext => ({
  scope: c.get("scope"),
  actor: c.get("actor"),
  request: c.get("request"),
});

/** The principal context of an authenticated request, for the services an integrator may call too. */
export const principalContext = (c: AppContext): PrincipalContext => ({
  scope: c.get("scope"),
  principal: principalOf(c.get("actor")),
  request: c.get("request"),
});
