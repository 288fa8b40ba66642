import type { MiddlewareHandler } from "hono";
import type { Permission } from "../../schema/permissions";
import { createDb } from "../db/client";
import { TenantScope } from "../db/tenant-scope";
import { withSessionGuard } from "../db/write-guard";
import type { AppEnv } from "../http/app";
import { forbidden, unauthenticated } from "../domain/errors";
import { verifyAccessToken } from "./access-token";
import { secretsEqual } from "./credentials";

function bearer(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/** Requires a valid user access token; sets the actor and the tenant scope every service uses. */
export const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearer(c.req.header("Authorization"));
  if (!token) throw unauthenticated("UNAUTHENTICATED", "Send an access token as `Authorization: Bearer <token>`");
  const claims = await verifyAccessToken(c.env, token);
  const db = createDb(withSessionGuard(c.get("meter").wrap(c.env.DB), claims.sessionId));
  c.set("db", db);
  c.set("actor", { ...claims, permissions: new Set(claims.permissions) });
  c.set("scope", new TenantScope(db, claims.tenantId));
  await next();
};

export const requirePermission = (permission: Permission): MiddlewareHandler<AppEnv> => async (c, next) => {
  if (!c.get("actor").permissions.has(permission)) {
    throw forbidden(`This needs the permission ${permission} in your current store`, "MISSING_PERMISSION");
  }
  await next();
};

/** Platform operator routes (tenant onboarding): `Authorization: Bearer <OPERATOR_SECRET>`. */
export const requireOperator: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearer(c.req.header("Authorization"));
  const secret = c.env.OPERATOR_SECRET;
  if (!token || !secret || !(await secretsEqual(token, secret))) {
    throw unauthenticated("UNAUTHENTICATED", "This route needs the platform operator secret as a bearer token");
  }
  await next();
};
