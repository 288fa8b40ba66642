import { and, eq, inArray, isNull, type SQL } from "drizzle-orm";
import { devices, refreshTokens, sessions, users } from "../../schema/db";
import type { Permission } from "../../schema/permissions";
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from "../auth/access-token";
import { randomToken, sha256Hex } from "../auth/credentials";
import type { Statement } from "../db/batch";
import type { Db } from "../db/client";
import type { TenantScope } from "../db/tenant-scope";
import type { RequestInfo } from "./context";

export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60_000;

export interface SessionKeys {
  JWT_PRIVATE_KEY: string;
  JWT_ISSUER?: string;
}

type UserRow = typeof users.$inferSelect;
interface StoreRef { id: string; code: string; name: string }

export interface SessionStart {
  user: UserRow;
  store: StoreRef;
  permissions: Permission[];
  /** The enrolled device the sign-in comes from (a till), if any. */
  deviceId: string | null;
  method: "password" | "pin";
  /** Set when continuing a session (refresh): the session's id. A new session is started otherwise. */
  sessionId?: string;
}

/**
 * The statements that start (or, on refresh, continue) a session and the answer for the client: a new refresh
 * token (stored hashed; its family is the session) and an access token that names the session, so every write
 * can check it is still live.
 */
export async function issueSession(db: Db, env: SessionKeys, request: RequestInfo, start: SessionStart) {
  const { user, store } = start;
  const sessionId = start.sessionId ?? crypto.randomUUID();
  const refreshToken = randomToken();
  const statements: Statement[] = [];
  if (start.sessionId) {
    statements.push(db.update(sessions).set({ lastUsedAt: request.now }).where(eq(sessions.id, sessionId)));
  } else {
    statements.push(db.insert(sessions).values({
      id: sessionId, tenantId: user.tenantId, userId: user.id, storeId: store.id, deviceId: start.deviceId, method: start.method,
      createdAt: request.now, lastUsedAt: request.now,
    }));
  }
  statements.push(db.insert(refreshTokens).values({
    id: crypto.randomUUID(),
    tenantId: user.tenantId,
    userId: user.id,
    storeId: store.id,
    familyId: sessionId,
    tokenHash: await sha256Hex(refreshToken),
    issuedAt: request.now,
    expiresAt: request.now + REFRESH_TOKEN_TTL_MS,
  }));
  const accessToken = await signAccessToken(
    env,
    { userId: user.id, tenantId: user.tenantId, storeId: store.id, permissions: start.permissions, sessionId, deviceId: start.deviceId },
    request.now,
  );
  const result = {
    accessToken,
    refreshToken,
    tokenType: "Bearer" as const,
    expiresIn: ACCESS_TOKEN_TTL_SECONDS,
    user: { id: user.id, username: user.username, displayName: user.displayName, isActive: user.isActive },
    store: { id: store.id, code: store.code, name: store.name },
    permissions: start.permissions,
  };
  return { statements, result, sessionId };
}

/** End one session: its refresh tokens stop working and its access tokens stop writing. */
export function endSession(db: Db, sessionId: string, now: number, reason: string): Statement[] {
  return [
    db.update(sessions).set({ revokedAt: now, revokeReason: reason }).where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt))),
    db.update(refreshTokens).set({ revokedAt: now }).where(and(eq(refreshTokens.familyId, sessionId), isNull(refreshTokens.revokedAt))),
  ];
}

/** End every session of a user (a changed credential, a deactivation, new store roles). */
export function endUserSessions(scope: TenantScope, userId: string, now: number, reason: string): Statement[] {
  return [
    scope.update(sessions, { revokedAt: now, revokeReason: reason }, eq(sessions.userId, userId), isNull(sessions.revokedAt)),
    scope.update(refreshTokens, { revokedAt: now }, eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)),
  ];
}

/** End every session started from the devices `which` selects (revoked or re-paired devices). */
export function endDeviceSessions(scope: TenantScope, which: SQL, now: number): Statement[] {
  const deviceIds = scope.db.select({ id: devices.id }).from(devices).where(scope.where(devices, which));
  const sessionIds = scope.db.select({ id: sessions.id }).from(sessions).where(scope.where(sessions, inArray(sessions.deviceId, deviceIds)));
  return [
    scope.update(refreshTokens, { revokedAt: now }, inArray(refreshTokens.familyId, sessionIds), isNull(refreshTokens.revokedAt)),
    scope.update(sessions, { revokedAt: now, revokeReason: "device revoked" }, inArray(sessions.deviceId, deviceIds), isNull(sessions.revokedAt)),
  ];
}
