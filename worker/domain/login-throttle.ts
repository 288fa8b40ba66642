import { eq, inArray, or, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { authThrottle, users } from "../../schema/db";
import type { Db } from "../db/client";
import { tooManyRequests } from "../http/errors";

/** Failed logins are counted per key (client address, store) in fixed windows. */
export const THROTTLE_WINDOW_MS = 15 * 60_000;
export const FAILURES_PER_ADDRESS = 20;
export const FAILURES_PER_STORE_PIN = 30;

/** A user is locked for LOCK_MS after MAX_FAILED_ATTEMPTS wrong PINs or passwords in a row. */
export const MAX_FAILED_ATTEMPTS = 5;
export const LOCK_MS = 5 * 60_000;

export const addressKey = (ip: string) => `ip:${ip}`;
/**
 * A store's PIN-login key, by the store's id: the same key whether the client names the store by code or by
 * id (a key of the name as sent gave an attacker one budget per spelling).
 */
export const storePinKey = (storeId: string) => `pin-store:${storeId}`;
/** storePinKey in SQL, for reading a store's key in the same query that finds the store. */
export const storePinKeySql = (storeId: SQLiteColumn) => sql<string>`'pin-store:' || ${storeId}`;

/** The throttle rows of these keys, and of the keys a subquery yields (one whose value the caller does not know yet). */
export const readThrottle = (db: Db, keys: string[], keysFrom?: SQL | { getSQL(): SQL }) =>
  db.select().from(authThrottle).where(or(inArray(authThrottle.key, keys), keysFrom ? inArray(authThrottle.key, keysFrom) : undefined));

/** 429 if any key has reached its limit in the current window. */
export function enforceThrottle(rows: (typeof authThrottle.$inferSelect)[], limits: Record<string, number>, now: number) {
  for (const row of rows) {
    const limit = limits[row.key];
    const windowEnd = row.windowStart + THROTTLE_WINDOW_MS;
    if (limit !== undefined && windowEnd > now && row.failures >= limit) {
      throw tooManyRequests("TOO_MANY_ATTEMPTS", "Too many failed sign-ins from here; wait and try again", (windowEnd - now) / 1000);
    }
  }
}

/**
 * The statement that counts a wrong secret against the user, locking them at the limit. The count is done in
 * SQL on the row as it is when the statement runs, not on the value read before: wrong attempts that arrive
 * together each count, so a burst of them locks the user like a sequence does. A lock another request has
 * just set is kept as it is. Returns the row's lock, so the caller knows whether the user is now locked.
 */
export function countUserFailure(db: Db, userId: string, now: number) {
  const lockedNow = sql`${users.lockedUntil} IS NOT NULL AND ${users.lockedUntil} > ${now}`;
  const reachesLimit = sql`${users.failedAttempts} + 1 >= ${MAX_FAILED_ATTEMPTS}`;
  return db
    .update(users)
    .set({
      failedAttempts: sql`CASE WHEN ${lockedNow} THEN ${users.failedAttempts} WHEN ${reachesLimit} THEN 0 ELSE ${users.failedAttempts} + 1 END`,
      lockedUntil: sql`CASE WHEN ${lockedNow} THEN ${users.lockedUntil} WHEN ${reachesLimit} THEN ${now + LOCK_MS} ELSE ${users.lockedUntil} END`,
    })
    .where(eq(users.id, userId))
    .returning({ lockedUntil: users.lockedUntil });
}

/** The lock a countUserFailure statement left, if the user is locked at `now`. */
export const lockAfterFailure = (rows: { lockedUntil: number | null }[], now: number) => {
  const until = rows[0]?.lockedUntil;
  return until != null && until > now ? until : null;
};

/** Count one failure against the key, starting a new window if the old one has passed. */
export function countFailure(db: Db, key: string, now: number) {
  const expired = sql`${authThrottle.windowStart} <= ${now - THROTTLE_WINDOW_MS}`;
  return db
    .insert(authThrottle)
    .values({ key, windowStart: now, failures: 1 })
    .onConflictDoUpdate({
      target: authThrottle.key,
      set: {
        failures: sql`CASE WHEN ${expired} THEN 1 ELSE ${authThrottle.failures} + 1 END`,
        windowStart: sql`CASE WHEN ${expired} THEN ${now} ELSE ${authThrottle.windowStart} END`,
      },
    });
}
