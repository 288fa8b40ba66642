import { errors, jwtVerify, SignJWT } from "jose";
import { isPermission, type Permission } from "../../schema/permissions";
import { unauthenticated } from "../domain/errors";
import { ACCESS_TOKEN_ALG, signingKeys } from "./keys";

/** Short: reads may run to the end of a token's life after its session ends (writes stop at once). */
export const ACCESS_TOKEN_TTL_SECONDS = 5 * 60;
/** The audience of every access token this Worker issues: users' (here) and API clients' (client-token.ts). */
export const AUDIENCE = "edge-pos-api";
const DEFAULT_ISSUER = "edge-pos";

export interface AccessClaims {
  userId: string;
  tenantId: string;
  storeId: string;
  /** The user's permissions in that store when the token was issued; a role change shows at the next refresh. */
  permissions: Permission[];
  /** The sign-in the token belongs to; every write checks it is still live. */
  sessionId: string;
  /** The enrolled device the session was started from, if any. */
  deviceId: string | null;
}

interface KeyEnv {
  JWT_PRIVATE_KEY: string;
  JWT_ISSUER?: string;
}

export async function signAccessToken(env: KeyEnv, claims: AccessClaims, nowMs: number): Promise<string> {
  const keys = await signingKeys(env.JWT_PRIVATE_KEY);
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ tid: claims.tenantId, sid: claims.storeId, ses: claims.sessionId, ...(claims.deviceId ? { dev: claims.deviceId } : {}), perms: claims.permissions })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: keys.kid, typ: "at+jwt" })
    .setSubject(claims.userId)
    .setIssuer(env.JWT_ISSUER ?? DEFAULT_ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ACCESS_TOKEN_TTL_SECONDS)
    .setJti(crypto.randomUUID())
    .sign(keys.privateKey);
}

export async function verifyAccessToken(env: KeyEnv, token: string): Promise<AccessClaims> {
  const keys = await signingKeys(env.JWT_PRIVATE_KEY);
  try {
    const { payload } = await jwtVerify(token, keys.publicKey, {
      algorithms: [ACCESS_TOKEN_ALG],
      issuer: env.JWT_ISSUER ?? DEFAULT_ISSUER,
      audience: AUDIENCE,
      typ: "at+jwt",
      requiredClaims: ["sub", "exp", "iat"],
    });
    const { sub, tid, sid, ses, dev, perms, client_id } = payload as Record<string, unknown>;
    // An API client's token (client-token.ts) is never a user's, whatever else it carries.
    if (client_id !== undefined) throw unauthenticated("INVALID_TOKEN", "This is an API client's token; this route needs a user's access token");
    if (typeof sub !== "string" || typeof tid !== "string" || typeof sid !== "string" || typeof ses !== "string" || !Array.isArray(perms) || (dev !== undefined && typeof dev !== "string")) {
      throw unauthenticated("INVALID_TOKEN", "The access token is missing claims");
    }
    return {
      userId: sub,
      tenantId: tid,
      storeId: sid,
      sessionId: ses,
      deviceId: dev ?? null,
      permissions: perms.filter((p): p is Permission => typeof p === "string" && isPermission(p)),
    };
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw unauthenticated("TOKEN_EXPIRED", "The access token has expired; refresh it");
    if (error instanceof errors.JOSEError) throw unauthenticated("INVALID_TOKEN", "The access token is not valid");
    throw error;
  }
}
