import { decodeJwt, errors, jwtVerify, SignJWT } from "jose";
import { isPermission, type Permission } from "../../schema/permissions";
import { unauthenticated } from "../domain/errors";
import { ACCESS_TOKEN_TTL_SECONDS, AUDIENCE } from "./access-token";
import { ACCESS_TOKEN_ALG, signingKeys } from "./keys";

/**
 * An API client's access token (OAuth client credentials, POST /oauth/token): a JWT of the RFC 9068 profile
 * (`typ: at+jwt`), signed with the key of /.well-known/jwks.json, as short-lived as a user's. Its claims:
 * - `iss`: the issuer (worker/auth/issuer.ts), `aud`: "edge-pos-api", `iat`, `exp`, `jti`;
 * - `sub`: the API client's id (api_clients.id), `client_id`: the client_id it authenticated with;
 * - `tid`: its tenant;
 * - `scope`: the permissions granted, space-separated (all of the client's, or those `scope` asked for);
 * - `sv`: the version of the client's secret it was issued with (rotating the secret stops the token's writes).
 * It carries no `ses`/`sid`, and a user's token no `client_id`: neither is ever taken for the other.
 */
export const CLIENT_TOKEN_TTL_SECONDS = ACCESS_TOKEN_TTL_SECONDS;

export interface ClientTokenClaims {
  /** The API client's id (api_clients.id): the actor its writes are recorded as. */
  clientRowId: string;
  /** The public client_id it authenticated with. */
  clientId: string;
  tenantId: string;
  permissions: Permission[];
  secretVersion: number;
}

interface KeyEnv {
  JWT_PRIVATE_KEY: string;
}

export async function signClientToken(env: KeyEnv, issuer: string, claims: ClientTokenClaims, nowMs: number): Promise<string> {
  const keys = await signingKeys(env.JWT_PRIVATE_KEY);
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ client_id: claims.clientId, tid: claims.tenantId, scope: claims.permissions.join(" "), sv: claims.secretVersion })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: keys.kid, typ: "at+jwt" })
    .setSubject(claims.clientRowId)
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + CLIENT_TOKEN_TTL_SECONDS)
    .setJti(crypto.randomUUID())
    .sign(keys.privateKey);
}

/** Whether a bearer token claims to be an API client's (unverified: only to pick the verifier). */
export function looksLikeClientToken(token: string): boolean {
  try {
    return decodeJwt(token).client_id !== undefined;
  } catch {
    return false;
  }
}

export async function verifyClientToken(env: KeyEnv, issuer: string, token: string): Promise<ClientTokenClaims> {
  const keys = await signingKeys(env.JWT_PRIVATE_KEY);
  try {
    const { payload } = await jwtVerify(token, keys.publicKey, {
      algorithms: [ACCESS_TOKEN_ALG],
      issuer,
      audience: AUDIENCE,
      typ: "at+jwt",
      requiredClaims: ["sub", "exp", "iat"],
    });
    const { sub, client_id, tid, scope, sv, ses, sid } = payload as Record<string, unknown>;
    if (ses !== undefined || sid !== undefined) throw unauthenticated("INVALID_TOKEN", "This is a user's token; this needs an API client's token");
    if (typeof sub !== "string" || typeof client_id !== "string" || typeof tid !== "string" || typeof scope !== "string" || !Number.isSafeInteger(sv)) {
      throw unauthenticated("INVALID_TOKEN", "The access token is missing claims");
    }
    return {
      clientRowId: sub,
      clientId: client_id,
      tenantId: tid,
      permissions: scope.split(" ").filter((p): p is Permission => isPermission(p)),
      secretVersion: sv as number,
    };
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw unauthenticated("TOKEN_EXPIRED", "The access token has expired; get a new one at the token endpoint");
    if (error instanceof errors.JOSEError) throw unauthenticated("INVALID_TOKEN", "The access token is not valid");
    throw error;
  }
}
