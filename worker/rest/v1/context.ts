import type { AppContext } from "../../http/app";
import type { ServiceContext } from "../../domain/context";

/** The service context of an authenticated request. */
export const serviceContext = (c: AppContext): ServiceContext => ({
  scope: c.get("scope"),
  actor: c.get("actor"),
  request: c.get("request"),
});
