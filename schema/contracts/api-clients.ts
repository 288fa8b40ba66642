import { z } from "zod";
import { Id, PageQuery, Timestamp, Version } from "./common";
import { PermissionName } from "./identity";
import { Name } from "./text";

/**
 * API clients: integrators signing in with OAuth client credentials (POST /oauth/token). The secret is answered
 * only when it is made (create, rotate); otherwise a client is seen without it.
 */
export const ApiClient = z.object({
  id: Id,
  /** What the integrator sends as client_id: made by the server, unique across every tenant. */
  clientId: z.string(),
  name: z.string(),
  /** What its tokens may do, in every store of the tenant (a token may ask for fewer with `scope`). */
  permissions: z.array(z.string()),
  /** active: it gets tokens; revoked: for good (its token requests fail, its tokens stop writing). */
  status: z.enum(["active", "revoked"]),
  /** Goes up by one with every rotation; tokens carry the version they were issued with. */
  secretVersion: z.int(),
  secretRotatedAt: Timestamp.nullable(),
  /** When it last obtained a token. */
  lastUsedAt: Timestamp.nullable(),
  createdBy: Id.nullable(),
  revokedAt: Timestamp.nullable(),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type ApiClient = z.infer<typeof ApiClient>;

export const ApiClientWithSecret = ApiClient.extend({
  /** Shown once: keep it now. Only a hash of it is stored; a lost secret is replaced by rotating. */
  clientSecret: z.string(),
});

const Permissions = z.array(PermissionName).min(1, "must name at least one permission").max(200);

export const CreateApiClientBody = z.object({
  name: Name(100),
  permissions: Permissions,
});

export const UpdateApiClientBody = z.object({
  version: Version.optional(),
  name: Name(100).optional(),
  permissions: Permissions.optional(),
});

export const ApiClientListQuery = PageQuery.extend({
  status: z.enum(["active", "revoked"]).optional(),
});
