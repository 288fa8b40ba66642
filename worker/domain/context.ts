import type { Permission } from "../../schema/permissions";
import type { TenantScope } from "../db/tenant-scope";

/** Who is asking, as the services see it: taken from the verified access token and the request. */
export interface Actor {
  tenantId: string;
  userId: string;
  storeId: string;
  permissions: ReadonlySet<Permission>;
  /** The session (sign-in) of the token; writes check it is live. */
  sessionId: string;
  /** The enrolled device the session came from, if any. */
  deviceId: string | null;
}

/**
 * Who is asking, for the services an integrator may call too (GraphQL, gift cards, purchases): a signed-in user or
 * an API client (worker/auth/integrator-caller.ts). `actorId` is what the journal and audit record: the user's id,
 * or the API client's. An API client's permissions hold in every store of its tenant; a user's, in the store of
 * their token (`storeId`). An Actor (a user) is always a Principal.
 */
export interface Principal {
  tenantId: string;
  kind: "user" | "client";
  actorId: string;
  /** The user's current store; null for an API client. */
  storeId: string | null;
  permissions: ReadonlySet<Permission>;
}

export const principalOf = (actor: Actor): Principal => ({
  tenantId: actor.tenantId, kind: "user", actorId: actor.userId, storeId: actor.storeId, permissions: actor.permissions,
});

/** The service context of the services an integrator may call: a scope whose writes are guarded for the principal. */
export interface PrincipalContext {
  scope: TenantScope;
  principal: Principal;
  request: RequestInfo;
}

export interface RequestInfo {
  ip: string;
  requestId: string;
  now: number;
}

export interface ServiceContext {
  scope: TenantScope;
  actor: Actor;
  request: RequestInfo;
}
