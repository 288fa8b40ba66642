import type { Env } from "../env";
import { storeHub } from "../store/hub-client";
import { CommittedChanges, watchChangeFeed, type SeqRange, type StoreSeq } from "./change-watch";

/**
 * Tell the store hubs of committed changes, after the fact and off the writer's path: the request that wrote
 * answers first, and the fan-out runs in its `waitUntil`.
 *
 * A store-scoped row (a sale, a session, a level, a store price) names its store, so its hub is told straight
 * away. A tenant-wide row (store_id null: the catalogue) concerns every store of its tenant: one D1 read finds
 * them, still off the writer's path. Each hub is told the newest seq for it, all at once; a hub that cannot be
 * reached is skipped (its tills still catch up on their next hello or pull: the seq is only a hint to pull).
 */

const STORES_OF_TENANTS = `SELECT tenant_id AS tenantId, id AS storeId FROM stores
  WHERE tenant_id IN (SELECT value FROM json_each(?1)) AND deleted_at IS NULL`;

/** For rows known only by their seqs: the stores they concern, each with its newest seq. */
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

/** The stores the committed changes concern, each with the newest seq that concerns it (at most one D1 read). */
export async function storesToTell(db: D1Database, committed: CommittedChanges): Promise<StoreSeq[]> {
  const targets = new Map<string, StoreSeq>(committed.stores);
  const raise = ({ tenantId, storeId, seq }: StoreSeq) => {
    const key = `${tenantId}:${storeId}`;
    targets.set(key, { tenantId, storeId, seq: Math.max(seq, targets.get(key)?.seq ?? 0) });
  };
  const reads: D1PreparedStatement[] = [];
  if (committed.tenants.size) reads.push(db.prepare(STORES_OF_TENANTS).bind(JSON.stringify([...committed.tenants.keys()])));
  if (committed.ranges.length) reads.push(db.prepare(STORES_OF_RANGES).bind(JSON.stringify(committed.ranges.map((r: SeqRange) => [r.from, r.to]))));
  if (reads.length) {
    const results = await db.batch<{ tenantId: string; storeId: string; seq?: number }>(reads);
    let i = 0;
    if (committed.tenants.size) {
      for (const s of results[i++]!.results) raise({ tenantId: s.tenantId, storeId: s.storeId, seq: committed.tenants.get(s.tenantId)! });
    }
    if (committed.ranges.length) for (const s of results[i++]!.results) raise({ tenantId: s.tenantId, storeId: s.storeId, seq: s.seq! });
  }
  return [...targets.values()];
}

/** Notify every hub the committed changes concern; answers how many hubs took the notification. */
export async function fanOut(env: Pick<Env, "DB" | "STORE_HUB">, committed: CommittedChanges): Promise<number> {
  const targets = await storesToTell(env.DB, committed);
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
    if (!committed.empty) ctx.waitUntil(fanOut(env, committed).catch((error) => console.error("sync: fan-out failed", error)));
  }
};
