import { ne } from "drizzle-orm";
import { tenants } from "../../schema/db";
import type { Db } from "../db/client";

/**
 * The browser origins some tenant allows (tills and back-office pages). Read once per isolate and kept for a
 * minute; a tenant update in this isolate forgets it at once.
 */
const TTL_MS = 60_000;
let cache: { at: number; origins: Promise<Set<string>> } | undefined;

export function forgetCorsOrigins() {
  cache = undefined;
}

export async function isAllowedOrigin(db: Db, origin: string, now = Date.now()): Promise<boolean> {
  if (!cache || now - cache.at > TTL_MS) {
    const origins = db
      .select({ corsOrigins: tenants.corsOrigins })
      .from(tenants)
      .where(ne(tenants.corsOrigins, []))
      .then((rows) => new Set(rows.flatMap((r) => r.corsOrigins)));
    cache = { at: now, origins };
    origins.catch(() => forgetCorsOrigins());
  }
  return (await cache.origins).has(origin);
}
