import type { Env } from "../env";
import { storeHub } from "../store/hub-client";
import { CommittedChanges, watchChangeFeed, type SeqRange } from "./change-watch";

/**
 * Tell the store hubs of committed changes, after the fact and off the writer's path: the request that wrote
 * answers first, and the fan-out runs in its `waitUntil`.
 *
 * One D1 round trip finds which stores the committed rows concern: a store-scoped row (store_id set) its own
 * store; a tenant-wide row (store_id null: the catalogue) every store of its tenant. Each of those hubs is then
 * told the newest seq for it, all at once; a hub that cannot be reached is skipped (its tills still catch up on
 * their next hello or pull, since the hub's seq is only a hint to pull).
 */
export interface StoreSeq {
  tenantId: string;
  storeId: string;
  seq: number;
}

const STORES_OF_RANGES = `WITH r AS (
  SELECT json_extract(value, '$[0]') AS lo, json_extract(value, '$[1]') AS hi FROM json_each(?1)
), fed AS (
  SELECT c.tenant_id, c.store_id, max(c.seq) AS seq FROM r JOIN change_feed c ON c.seq BETWEEN r.lo AND r.hi
  GROUP BY c.tenant_id, c.store_id
)
SELECT s.tenant_id AS tenantId, s.id AS storeId, max(fed.seq) AS seq
FROM fed JOIN stores s ON s.tenant_id = fed.tenant_id AND (fed.store_id IS NULL OR fed.store_id = s.id)
WHERE s.deleted_at IS NULL
GROUP BY s.tenant_id, s.id`;

/** The stores committed change-feed rows concern, each with the newest seq that concerns it (one round trip). */
export async function storesOfChanges(db: D1Database, ranges: SeqRange[]): Promise<StoreSeq[]> {
  if (ranges.length === 0) return [];
  const { results } = await db.prepare(STORES_OF_RANGES).bind(JSON.stringify(ranges.map((r) => [r.from, r.to]))).all<StoreSeq>();
  return results;
}

/** Notify every hub the ranges concern; answers how many hubs took the notification. */
export async function fanOut(env: Pick<Env, "DB" | "STORE_HUB">, ranges: SeqRange[]): Promise<number> {
  const targets = await storesOfChanges(env.DB, ranges);
  const told = await Promise.allSettled(targets.map((t) => storeHub(env, t.tenantId, t.storeId).notify(t.seq)));
  for (const outcome of told) {
    if (outcome.status === "rejected") console.warn("sync: a store hub could not be notified", outcome.reason);
  }
  return told.filter((o) => o.status === "fulfilled").length;
}

type FetchHandler = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;

/**
 * Wrap the Worker's fetch: the request's D1 binding is watched (change-watch.ts), and after it has answered, the
 * hubs its committed changes concern are told, in `waitUntil` (so the fan-out never adds to the request's time).
 */
export const withChangeNotifications = (handler: FetchHandler): FetchHandler => async (request, env, ctx) => {
  const committed = new CommittedChanges();
  try {
    return await handler(request, { ...env, DB: watchChangeFeed(env.DB, committed.sink) }, ctx);
  } finally {
    if (!committed.empty) ctx.waitUntil(fanOut(env, committed.take()).catch((error) => console.error("sync: fan-out failed", error)));
  }
};
