import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { searchText, syncedColumns, tenantId } from "./columns";
import { SERIAL_LOT_KINDS, SERIAL_LOT_STATUSES } from "../contracts/serial-lots";
import { products } from "./catalogue";
import { stores } from "./tenants";


/**
 * A serial number (one unit) or a lot/batch number (a quantity, often with an expiry date) of a product, at a
 * store. The number is unique per product in the tenant. It records what is where; it does not move stock
 * levels (the stock ledger does).
 */
export const itemSerialLots = sqliteTable("item_serial_lots", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  productId: text("product_id").notNull().references(() => products.id),
  kind: text("kind", { enum: SERIAL_LOT_KINDS }).notNull(),
  number: text("number").notNull(),
  storeId: text("store_id").notNull().references(() => stores.id),
  status: text("status", { enum: SERIAL_LOT_STATUSES }).notNull(),
  /** LOT only: thousandths of a unit (2000 = 2 units). */
  quantity: integer("quantity"),
  /** LOT only: the last day it may be sold, YYYY-MM-DD. */
  expiryDate: text("expiry_date"),
  notes: text("notes"),
  searchText: searchText(),
  ...syncedColumns(),
}, (t) => [
  uniqueIndex("item_serial_lots_product_number_uq").on(t.tenantId, t.productId, t.number).where(sql`deleted_at IS NULL`),
  index("item_serial_lots_tenant_store_idx").on(t.tenantId, t.storeId),
  index("item_serial_lots_tenant_expiry_idx").on(t.tenantId, t.expiryDate),
  check("item_serial_lots_lot_fields", sql`${t.kind} = 'LOT' OR (${t.quantity} IS NULL AND ${t.expiryDate} IS NULL)`),
  check("item_serial_lots_lot_quantity", sql`${t.kind} = 'SERIAL' OR (${t.quantity} IS NOT NULL AND ${t.quantity} >= 0)`),
]);
