import { sql, type SQL } from "drizzle-orm";
import { changeFeed, inventoryLevels, products, stockMovements, type STOCK_MOVEMENT_KINDS } from "../../schema/db";
import { rawStatement, type Statement } from "../db/batch";
import { jsonField, jsonRows } from "../db/json-rows";
import type { TenantScope } from "../db/tenant-scope";

/**
 * The stock ledger. Every change of a level is a movement, written in the same batch as the level it changes
 * (and as the sale, adjustment or count it comes from), so the level can always be recomputed from the ledger.
 * Only products that track stock move; a level may go below zero (a till never blocks a sale). Each movement
 * carries its cost per unit and the product's cost price after it (`unit_cost`, `average_cost`), so stock can be
 * valued at cost as of any date from the ledger alone.
 *
 * A level's `updated_at` grows with every change of it (by a millisecond past the last when two changes fall in
 * the same one), so it serves as the level's version in the change feed.
 */
export interface StockChange {
  productId: string;
  /** Thousandths, signed: what the level changes by. */
  quantity: number;
  /** Cost per unit of what moved (a purchase receipt's price); the product's cost price when left out. */
  unitCost?: number;
}

export interface StockMove {
  storeId: string;
  kind: (typeof STOCK_MOVEMENT_KINDS)[number];
  referenceId: string | null;
  reason?: string | null;
  userId: string | null;
  at: number;
  changes: StockChange[];
}

/** The SET of a level upsert's conflict clause for `updated_at`: later than the level's last change. */
const LATER = sql.raw("updated_at = max(excluded.updated_at, updated_at + 1)");

/** The current json_each element names a product of the scope's tenant that tracks stock. */
const trackedProduct = (scope: TenantScope): SQL =>
  sql`${products.id} = ${jsonField("productId")} AND ${products.tenantId} = ${scope.tenantId} AND ${products.trackStock} = 1`;

/**
 * Two statements whatever the number of changes: the movements, and the levels they move (created at the change
 * when the store has none yet). Changes of products that do not track stock are left out by both.
 */
export function stockStatements(scope: TenantScope, move: StockMove): Statement[] {
  const rows = move.changes.filter((c) => c.quantity !== 0)
    .map((c) => ({ id: crypto.randomUUID(), productId: c.productId, quantity: c.quantity, unitCost: c.unitCost ?? null }));
  if (rows.length === 0) return [];
  const tracked = trackedProduct(scope);
  return [
    rawStatement(scope.db, sql`INSERT INTO ${stockMovements} (id, tenant_id, store_id, product_id, kind, quantity, reason, reference_id, user_id, at, unit_cost, average_cost)
      SELECT ${jsonField("id")}, ${scope.tenantId}, ${move.storeId}, ${jsonField("productId")}, ${move.kind}, ${jsonField("quantity")},
        ${move.reason ?? null}, ${move.referenceId}, ${move.userId}, ${move.at}, coalesce(${jsonField("unitCost")}, ${products.costPrice}), ${products.costPrice}
      FROM ${jsonRows(rows)} JOIN ${products} ON ${tracked}`),
    rawStatement(scope.db, sql`INSERT INTO ${inventoryLevels} (tenant_id, store_id, product_id, quantity, reorder_point, updated_at)
      SELECT ${scope.tenantId}, ${move.storeId}, ${jsonField("productId")}, sum(${jsonField("quantity")}), NULL, ${move.at}
      FROM ${jsonRows(rows)} JOIN ${products} ON ${tracked} WHERE true GROUP BY ${jsonField("productId")}
      ON CONFLICT (store_id, product_id) DO UPDATE SET quantity = quantity + excluded.quantity, ${LATER}`),
  ];
}

export interface StockCount {
  storeId: string;
  referenceId: string | null;
  reason?: string | null;
  userId: string | null;
  at: number;
  /** What was counted of each product, thousandths (a product counted twice: the last count). */
  counts: { productId: string; countedQuantity: number }[];
}

/**
 * A stock count in two statements: movements of kind `count` by the difference between what was counted and the
 * level as it is when the batch runs (so a sale committed between the read and the write is not lost), then the
 * levels set to what was counted. A count that finds the level as it was is a movement of 0: the count happened.
 * Products that do not track stock are left out.
 */
export function countStatements(scope: TenantScope, count: StockCount): Statement[] {
  const last = new Map(count.counts.map((c) => [c.productId, c.countedQuantity]));
  const rows = [...last].map(([productId, counted]) => ({ id: crypto.randomUUID(), productId, counted }));
  if (rows.length === 0) return [];
  const tracked = trackedProduct(scope);
  return [
    rawStatement(scope.db, sql`INSERT INTO ${stockMovements} (id, tenant_id, store_id, product_id, kind, quantity, reason, reference_id, user_id, at, unit_cost, average_cost)
      SELECT ${jsonField("id")}, ${scope.tenantId}, ${count.storeId}, ${jsonField("productId")}, 'count',
        ${jsonField("counted")} - coalesce((SELECT l.quantity FROM ${inventoryLevels} l WHERE l.store_id = ${count.storeId} AND l.product_id = ${jsonField("productId")}), 0),
        ${count.reason ?? null}, ${count.referenceId}, ${count.userId}, ${count.at}, ${products.costPrice}, ${products.costPrice}
      FROM ${jsonRows(rows)} JOIN ${products} ON ${tracked}`),
    rawStatement(scope.db, sql`INSERT INTO ${inventoryLevels} (tenant_id, store_id, product_id, quantity, reorder_point, updated_at)
      SELECT ${scope.tenantId}, ${count.storeId}, ${jsonField("productId")}, ${jsonField("counted")}, NULL, ${count.at}
      FROM ${jsonRows(rows)} JOIN ${products} ON ${tracked} WHERE true
      ON CONFLICT (store_id, product_id) DO UPDATE SET quantity = excluded.quantity, ${LATER}`),
  ];
}

/**
 * Reorder points of a store's products, in one statement: a product with no level there yet gets one at 0 (no
 * movement: the ledger of a level with none sums to 0). Products that do not track stock are left out.
 */
export function reorderPointStatement(scope: TenantScope, storeId: string, items: { productId: string; reorderPoint: number | null }[], at: number): Statement {
  return rawStatement(scope.db, sql`INSERT INTO ${inventoryLevels} (tenant_id, store_id, product_id, quantity, reorder_point, updated_at)
    SELECT ${scope.tenantId}, ${storeId}, ${jsonField("productId")}, 0, ${jsonField("reorderPoint")}, ${at}
    FROM ${jsonRows(items)} JOIN ${products} ON ${trackedProduct(scope)} WHERE true
    ON CONFLICT (store_id, product_id) DO UPDATE SET reorder_point = excluded.reorder_point, ${LATER}`);
}

/** The change-feed entity id of a level: its store and product. */
export const levelEntityId = (storeId: string, productId: string) => `${storeId}:${productId}`;

/**
 * Change-feed rows (entity `inventory_level`, for the store's tills) for the levels of these products in the
 * store, as the statements before it in the batch left them; the version is the level's `updated_at`.
 */
export function levelFeedStatement(scope: TenantScope, storeId: string, productIds: readonly string[], at: number): Statement {
  return rawStatement(scope.db, sql`INSERT INTO ${changeFeed} (tenant_id, store_id, entity, entity_id, op, version, at)
    SELECT ${scope.tenantId}, l.store_id, 'inventory_level', l.store_id || ':' || l.product_id, 'upsert', l.updated_at, ${at}
    FROM json_each(${JSON.stringify(productIds)}) AS j JOIN ${inventoryLevels} l ON l.store_id = ${storeId} AND l.product_id = j.value AND l.tenant_id = ${scope.tenantId}
    ORDER BY j.key`);
}

export interface LedgerLevel {
  productId: string;
  /** The level as stored (0 when there is no row). */
  level: number;
  /** The level recomputed: the sum of the product's movements in the store. */
  ledger: number;
}

/**
 * Every level of a store recomputed from its movements, beside the level as stored: the ledger is the truth,
 * and these two differ only if something wrote one without the other. One query, every product that has a level
 * or a movement there, by product id.
 */
export async function recomputeLevels(scope: TenantScope, storeId: string): Promise<LedgerLevel[]> {
  const rows = await scope.db.all<{ productId: string; level: number; ledger: number }>(sql`
    SELECT product_id AS productId, sum(level) AS level, sum(ledger) AS ledger FROM (
      SELECT product_id, quantity AS level, 0 AS ledger FROM ${inventoryLevels} WHERE tenant_id = ${scope.tenantId} AND store_id = ${storeId}
      UNION ALL
      SELECT product_id, 0, quantity FROM ${stockMovements} WHERE tenant_id = ${scope.tenantId} AND store_id = ${storeId}
    ) GROUP BY product_id ORDER BY product_id`);
  return rows;
}
