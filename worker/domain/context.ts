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
