import { sql } from "drizzle-orm";
import { inventoryLevels, products, stockMovements, type STOCK_MOVEMENT_KINDS } from "../../schema/db";
import { rawStatement, type Statement } from "../db/batch";
import { jsonField, jsonRows } from "../db/json-rows";
import type { TenantScope } from "../db/tenant-scope";

/**
 * The stock ledger. Every change of a level is a movement, written in the same batch as the level it changes
 * (and as the sale, adjustment or count it comes from), so the level can always be recomputed from the ledger.
 * Only products that track stock move; a level may go below zero (a till never blocks a sale).
 */
export interface StockChange {
  productId: string;
  /** Thousandths, signed: what the level changes by. */
  quantity: number;
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

/**
 * Two statements whatever the number of changes: the movements, and the levels they move (created at the change
 * when the store has none yet). Changes of products that do not track stock are left out by both.
 */
export function stockStatements(scope: TenantScope, move: StockMove): Statement[] {
  const rows = move.changes.filter((c) => c.quantity !== 0).map((c) => ({ id: crypto.randomUUID(), productId: c.productId, quantity: c.quantity }));
  if (rows.length === 0) return [];
  const tracked = sql`${products.id} = ${jsonField("productId")} AND ${products.tenantId} = ${scope.tenantId} AND ${products.trackStock} = 1`;
  return [
    rawStatement(scope.db, sql`INSERT INTO ${stockMovements} (id, tenant_id, store_id, product_id, kind, quantity, reason, reference_id, user_id, at)
      SELECT ${jsonField("id")}, ${scope.tenantId}, ${move.storeId}, ${jsonField("productId")}, ${move.kind}, ${jsonField("quantity")},
        ${move.reason ?? null}, ${move.referenceId}, ${move.userId}, ${move.at}
      FROM ${jsonRows(rows)} JOIN ${products} ON ${tracked}`),
    rawStatement(scope.db, sql`INSERT INTO ${inventoryLevels} (tenant_id, store_id, product_id, quantity, reorder_point, updated_at)
      SELECT ${scope.tenantId}, ${move.storeId}, ${jsonField("productId")}, sum(${jsonField("quantity")}), NULL, ${move.at}
      FROM ${jsonRows(rows)} JOIN ${products} ON ${tracked} WHERE true GROUP BY ${jsonField("productId")}
      ON CONFLICT (store_id, product_id) DO UPDATE SET quantity = quantity + excluded.quantity, updated_at = excluded.updated_at`),
  ];
}
