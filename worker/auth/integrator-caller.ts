import type { Context } from "hono";
import type { PrincipalContext } from "../domain/context";
import { principalOf } from "../domain/context";
import { unauthenticated } from "../domain/errors";
import { createDb } from "../db/client";
import { TenantScope } from "../db/tenant-scope";
import { withClientGuard, withSessionGuard } from "../db/write-guard";
import type { AppEnv } from "../http/app";
import { verifyAccessToken } from "./access-token";
import { looksLikeClientToken, verifyClientToken } from "./client-token";
import { issuerOf } from "./issuer";

const bearer = (header: string | undefined) => header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];

/**
 * The caller of an integrator face (GraphQL): `Authorization: Bearer <token>` with an API client's token from
 * POST /oauth/token, or a user's access token from REST login. Its scope's writes are guarded for the caller: a
 * client's by the client guard (revoked, secret rotated or permission taken away: no more writes), a user's by
 * their session (signed out, deactivated: no more writes). An API client's permissions hold in every store of its
 * tenant (`storeId: null`).
 */
export async function authenticateIntegrator(c: Context<AppEnv>): Promise<PrincipalContext> {
  const token = bearer(c.req.header("Authorization"));
  if (!token) throw unauthenticated("UNAUTHENTICATED", "Send an access token as `Authorization: Bearer <token>`");
  const meter = c.get("meter");
  if (looksLikeClientToken(token)) {
    const claims = await verifyClientToken(c.env, issuerOf(c.env, c.req.url), token);
    const db = createDb(withClientGuard(meter.wrap(c.env.DB), { id: claims.clientRowId, secretVersion: claims.secretVersion, permissions: claims.permissions }));
    return {
      scope: new TenantScope(db, claims.tenantId),
      principal: { tenantId: claims.tenantId, kind: "client", actorId: claims.clientRowId, storeId: null, permissions: new Set(claims.permissions) },
      request: c.get("request"),
    };
  }
  const claims = await verifyAccessToken(c.env, token);
  const db = createDb(withSessionGuard(meter.wrap(c.env.DB), claims.sessionId));
  const actor = { ...claims, permissions: new Set(claims.permissions) };
  return { scope: new TenantScope(db, claims.tenantId), principal: principalOf(actor), request: c.get("request") };
}
