import { and, eq, gt, sql, type SQL } from "drizzle-orm";
import { authThrottle, users } from "../../schema/db";
import { rawStatement, type Statement } from "../db/batch";
import type { Db } from "../db/client";
import { throttled } from "./errors";

/**
 * Limits on guessing secrets. Every attempt counts **before** it is verified: one atomic statement (an upsert
 * with RETURNING) adds the attempt to its counters and reads them back, in the same batch as the reads the
 * attempt needs, and only an attempt whose count is within the limit is verified. So N attempts sent at once get
 * at most `limit` verifications, and a success gives its attempt back.
 *
 * Counters live in auth_throttle in fixed windows per key:
 * - a client address: failed sign-ins and pairings without a valid device (back-office logins);
 * - an enrolled device: wrong PINs typed at it (PIN login needs a device, so nobody outside can lock a till);
 * - a user at a device: wrong PINs for that user there (username + PIN);
 * - the token endpoint (OAuth client credentials): failed client authentications per client address and per
 *   client_id (known or not, so the answers say nothing about which client_ids exist).
 * Passwords also count per user (users.failed_attempts / locked_until): five wrong in a row lock password
 * sign-in for five minutes. A PIN at a till never touches that lock, so a burst of wrong passwords from
 * anywhere cannot keep a cashier off their tills.
 */
export interface AttemptPolicy {
  limit: number;
  windowMs: number;
}

export const ADDRESS_POLICY: AttemptPolicy = { limit: 20, windowMs: 15 * 60_000 };
export const DEVICE_POLICY: AttemptPolicy = { limit: 30, windowMs: 15 * 60_000 };
export const DEVICE_USER_POLICY: AttemptPolicy = { limit: 5, windowMs: 5 * 60_000 };

export const TOKEN_ADDRESS_POLICY: AttemptPolicy = { limit: 20, windowMs: 15 * 60_000 };
export const CLIENT_POLICY: AttemptPolicy = { limit: 10, windowMs: 15 * 60_000 };

export const MAX_PASSWORD_ATTEMPTS = 5;
export const PASSWORD_LOCK_MS = 5 * 60_000;

export const addressKey = (ip: string) => `ip:${ip}`;
export const deviceKey = (deviceId: string) => `dev:${deviceId}`;
export const deviceUserKey = (deviceId: string, userId: string) => `devuser:${deviceId}:${userId}`;
/** Apart from sign-ins' `ip:`: an integrator's failing server does not lock people out of the back office. */
export const tokenAddressKey = (ip: string) => `oauthip:${ip}`;
export const clientKey = (clientId: string) => `client:${clientId}`;

type ThrottleRow = typeof authThrottle.$inferSelect;

const counted = (policy: AttemptPolicy, now: number) => {
  const expired = sql`${authThrottle.windowStart} <= ${now - policy.windowMs}`;
  return {
    failures: sql`CASE WHEN ${expired} THEN 1 ELSE ${authThrottle.failures} + 1 END`,
    windowStart: sql`CASE WHEN ${expired} THEN ${now} ELSE ${authThrottle.windowStart} END`,
  };
};

/** Count an attempt against `key` and read the counter back (one row). */
export function countAttempt(db: Db, key: string, policy: AttemptPolicy, now: number) {
  return db
    .insert(authThrottle)
    .values({ key, windowStart: now, failures: 1 })
    .onConflictDoUpdate({ target: authThrottle.key, set: counted(policy, now) })
    .returning();
}

/**
 * Count an attempt against the keys a query yields (`SELECT <key> <from>`), e.g. the key of the device whose
 * credential hash was sent: no row is written for a credential that names no device.
 */
export function countAttemptsFrom(db: Db, keys: { key: SQL; from: SQL }, policy: AttemptPolicy, now: number) {
  const next = counted(policy, now);
  return rawStatement<ThrottleRow>(db, sql`INSERT INTO ${authThrottle} (key, window_start, failures) SELECT ${keys.key}, ${now}, 1 ${keys.from}
    ON CONFLICT (key) DO UPDATE SET failures = ${next.failures}, window_start = ${next.windowStart}
    RETURNING key, window_start AS windowStart, failures`);
}

/** The counter of `key` among rows read back by the statements above, if any. */
export const counterOf = (rows: unknown, key: string): ThrottleRow | undefined => (rows as ThrottleRow[]).find((r) => r.key === key);

/** 429 when the counter is past its limit: this attempt is not verified. */
export function refuseOverLimit(row: ThrottleRow | undefined, policy: AttemptPolicy, now: number, code = "TOO_MANY_ATTEMPTS", message = "Too many failed attempts from here; wait and try again") {
  if (row && row.failures > policy.limit) throw throttled(code, message, (row.windowStart + policy.windowMs - now) / 1000);
}

/** A success gives its attempt back (in the same window). */
export const refundAttempt = (db: Db, row: ThrottleRow): Statement =>
  db.update(authThrottle).set({ failures: sql`${authThrottle.failures} - 1` }).where(and(eq(authThrottle.key, row.key), eq(authThrottle.windowStart, row.windowStart), gt(authThrottle.failures, 0)));

/** A success clears a per-user counter: its limit is on failures in a row. */
export const clearAttempts = (db: Db, key: string): Statement => db.delete(authThrottle).where(eq(authThrottle.key, key));

/**
 * Count a password attempt against the user (found by `match`): +1 unless locked; the attempt past the limit
 * locks at once. Returns the user's counter and lock. `onlyIf` gates the count (e.g. on the address counter
 * being within its limit, so a flood refused by address does not also lock the user).
 */
export function countPasswordAttempt(db: Db, match: SQL, now: number, onlyIf?: SQL) {
  const locked = sql`${users.lockedUntil} IS NOT NULL AND ${users.lockedUntil} > ${now}`;
  const past = sql`${users.failedAttempts} + 1 > ${MAX_PASSWORD_ATTEMPTS}`;
  return db
    .update(users)
    .set({
      failedAttempts: sql`CASE WHEN ${locked} THEN ${users.failedAttempts} WHEN ${past} THEN 0 ELSE ${users.failedAttempts} + 1 END`,
      lockedUntil: sql`CASE WHEN ${locked} THEN ${users.lockedUntil} WHEN ${past} THEN ${now + PASSWORD_LOCK_MS} ELSE ${users.lockedUntil} END`,
    })
    .where(onlyIf ? and(match, onlyIf) : match)
    .returning({ id: users.id, failedAttempts: users.failedAttempts, lockedUntil: users.lockedUntil });
}

export const accountLocked = (until: number, now: number) =>
  throttled("ACCOUNT_LOCKED", "Too many wrong attempts: this user is locked for a few minutes", (until - now) / 1000);

/** After a wrong password: the attempt that reached the limit locks the user. */
export const lockIfAtLimit = (db: Db, userId: string, now: number): Statement =>
  db
    .update(users)
    .set({ lockedUntil: now + PASSWORD_LOCK_MS, failedAttempts: 0 })
    .where(and(eq(users.id, userId), sql`${users.failedAttempts} >= ${MAX_PASSWORD_ATTEMPTS}`, sql`(${users.lockedUntil} IS NULL OR ${users.lockedUntil} <= ${now})`));

/** After a right password: the count of wrong ones in a row starts again. */
export const clearPasswordAttempts = (db: Db, userId: string, now: number): Statement =>
  db.update(users).set({ failedAttempts: 0, lockedUntil: null, lastLoginAt: now }).where(eq(users.id, userId));
