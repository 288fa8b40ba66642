import { inArray, sql } from "drizzle-orm";
import { authThrottle } from "../../schema/db";
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
export const storePinKey = (tenantSlug: string, storeRef: string) => `pin-store:${tenantSlug}:${storeRef.toLowerCase()}`;

export const readThrottle = (db: Db, keys: string[]) => db.select().from(authThrottle).where(inArray(authThrottle.key, keys));

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
