import { sql, type SQL } from "drizzle-orm";
import { inventoryLevels, products, stores } from "../../schema/db";
import { rawStatement } from "../db/batch";
import type { ReadBatcher } from "../db/read-batcher";
import type { PrincipalContext } from "./context";
import { changedSince } from "./feed-window";
import type { ListPage, ListRequest, ListSecret } from "./integrator-lists";
import { inKeyOrder } from "./catalogue-reads";

/**
 * Stock for the integrator faces: a tracked product's level in a store (an "item warehouse"). Every live store has
 * a level of every tracked live product, 0 until its first movement, as REST's inventory lists say. Quantities
 * are thousandths. Keyed `storeId:productId`, as the change feed names inventory levels.
 */
export interface LevelRow {
  key: string;
  productId: string;
  storeId: string;
  quantity: number;
  reorderPoint: number | null;
  /** Epoch ms of the level's last movement; null when it never moved. */
  updatedAt: number | null;
  /** The product no longer tracks stock, or it or the store was deleted (since-paging only answers such rows). */
  deleted: boolean;
}

const P = products;
const S = stores;
const L = inventoryLevels;

const LEVEL_COLUMNS = sql`${S.id} || ':' || ${P.id} AS "key", ${P.id} AS "productId", ${S.id} AS "storeId", coalesce(${L.quantity}, 0) AS "quantity",
  ${L.reorderPoint} AS "reorderPoint", ${L.updatedAt} AS "updatedAt",
  (${P.deletedAt} IS NOT NULL OR ${S.deletedAt} IS NOT NULL OR ${P.trackStock} = 0) AS "deleted"`;
const LEVELS_FROM = sql`FROM ${S} JOIN ${P} ON ${P.tenantId} = ${S.tenantId} LEFT JOIN ${L} ON ${L.storeId} = ${S.id} AND ${L.productId} = ${P.id}`;

const asLevels = (rows: Record<string, unknown>[]): LevelRow[] => rows.map((r) => ({ ...(r as unknown as LevelRow), deleted: !!r.deleted }));

const where = (caller: PrincipalContext, ...conditions: (SQL | undefined)[]) =>
  sql.join([sql`${S.tenantId} = ${caller.scope.tenantId}`, ...conditions.filter((c): c is SQL => !!c)], sql` AND `);

const live = sql`${S.deletedAt} IS NULL AND ${P.deletedAt} IS NULL AND ${P.trackStock} = 1`;

/** Each of these products' levels in every live store (none for a product that does not track stock), by store code. */
export async function levelsByProductIds(caller: PrincipalContext, reads: ReadBatcher, productIds: readonly string[]) {
  const rows = (await reads.read(
    rawStatement(caller.scope.db, sql`SELECT ${LEVEL_COLUMNS} ${LEVELS_FROM} WHERE ${where(caller, live, sql`${P.id} IN (SELECT value FROM json_each(${JSON.stringify(productIds)}))`)} ORDER BY ${S.code}`),
  )) as Record<string, unknown>[];
  return inKeyOrder(productIds, asLevels(rows), (r) => r.productId, (found) => found);
}

export interface LevelFilter {
  itemId?: string | null;
  locationId?: string | null;
}

/**
 * Levels: by position, every live store's level of every tracked live product (by product name, then store code);
 * with since, the levels that moved (the feed's inventory_level rows), deleted ones flagged.
 */
export async function levelList(caller: PrincipalContext, secret: ListSecret, q: ListRequest & LevelFilter): Promise<ListPage<LevelRow>> {
  const { scope } = caller;
  const filters = [q.itemId ? sql`${P.id} = ${q.itemId}` : undefined, q.locationId ? sql`${S.id} = ${q.locationId}` : undefined];
  if (q.since === null) {
    const rows = (await scope.db.batch([
      rawStatement(scope.db, sql`SELECT ${LEVEL_COLUMNS} ${LEVELS_FROM} WHERE ${where(caller, live, ...filters)}
        ORDER BY ${P.name}, ${P.sku}, ${P.id}, ${S.code} LIMIT ${q.first + 1} OFFSET ${q.skip}`),
    ]))[0] as Record<string, unknown>[];
    return { rows: asLevels(rows).slice(0, q.first), hasMore: rows.length > q.first, until: null };
  }
  const named = Object.fromEntries(Object.entries({ itemId: q.itemId, locationId: q.locationId }).filter(([, v]) => v != null));
  const page = await changedSince<LevelRow>(
    caller,
    secret.untilSecret,
    {
      list: Object.keys(named).length ? `itemWarehouse${JSON.stringify(named)}` : "itemWarehouse",
      kinds: { inventory_level: null },
      where: sql.join([
        ...(q.locationId ? [sql`cf.store_id = ${q.locationId}`] : []),
        ...(q.itemId ? [sql`substr(cf.entity_id, instr(cf.entity_id, ':') + 1) = ${q.itemId}`] : []),
        sql`1 = 1`,
      ], sql` AND `),
    },
    { since: q.since, first: q.first },
    (keys) => rawStatement(scope.db, sql`SELECT ${LEVEL_COLUMNS} ${LEVELS_FROM} WHERE ${where(caller, sql`${S.id} || ':' || ${P.id} IN ${keys}`, ...filters)}`),
    (r) => r.key,
  );
  return { rows: asLevels(page.rows as unknown as Record<string, unknown>[]), hasMore: page.hasMore, until: page.until };
}

/** The feed rows that bring an item into a since-window: its product's, and its stock levels' (a level is `store:product`). */
export const ITEM_FEED_KINDS = { product: null, inventory_level: sql`substr(cf.entity_id, instr(cf.entity_id, ':') + 1)` };
