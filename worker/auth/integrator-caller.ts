import type { Context } from "hono";
import type { PrincipalContext } from "../domain/context";
import { principalOf } from "../domain/context";
import { unauthenticated } from "../domain/errors";
import { createDb } from "../db/client";
import { TenantScope } from "../db/tenant-scope";
import { withSessionGuard } from "../db/write-guard";
import type { AppEnv } from "../http/app";
import { verifyAccessToken } from "./access-token";

const bearer = (header: string | undefined) => header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];

/**
 * The caller of an integrator face (GraphQL): `Authorization: Bearer <token>` with a user's access token from REST
 * login. Its scope's writes are guarded like any of the user's writes (a revoked session stops writing at once).
 * API clients' tokens (client credentials) are added here too.
 */
export async function authenticateIntegrator(c: Context<AppEnv>): Promise<PrincipalContext> {
  const token = bearer(c.req.header("Authorization"));
  if (!token) throw unauthenticated("UNAUTHENTICATED", "Send an access token as `Authorization: Bearer <token>`");
  const claims = await verifyAccessToken(c.env, token);
  const db = createDb(withSessionGuard(c.get("meter").wrap(c.env.DB), claims.sessionId));
  const actor = { ...claims, permissions: new Set(claims.permissions) };
  return { scope: new TenantScope(db, claims.tenantId), principal: principalOf(actor), request: c.get("request") };
}
