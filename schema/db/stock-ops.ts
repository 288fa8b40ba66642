import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { departments, products, suppliers } from "./catalogue";
import { bool, syncedColumns, tenantId } from "./columns";
import { PURCHASE_ORDER_STATUSES, STOCK_COUNT_STATUSES, TRANSFER_STATUSES } from "../contracts/stock-ops";
import { stores } from "./tenants";

/**
 * Stock moving between places: transfers between two stores of a tenant, purchase orders from suppliers and
 * stock counts. Quantities are thousandths, money minor units. Their stock movements are in stock_movements
 * (checkout.ts), with `reference_id` the transfer, the purchase-order receipt or the count.
 */

export const transfers = sqliteTable("transfers", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  fromStoreId: text("from_store_id").notNull().references(() => stores.id),
  toStoreId: text("to_store_id").notNull().references(() => stores.id),
  status: text("status", { enum: TRANSFER_STATUSES }).notNull().default("draft"),
  notes: text("notes"),
  createdBy: text("created_by").notNull(),
  sentBy: text("sent_by"),
  sentAt: integer("sent_at"),
  receivedBy: text("received_by"),
  receivedAt: integer("received_at"),
  cancelledBy: text("cancelled_by"),
  cancelledAt: integer("cancelled_at"),
  ...syncedColumns(),
}, (t) => [
  index("transfers_tenant_status_idx").on(t.tenantId, t.status),
  index("transfers_from_idx").on(t.fromStoreId),
  index("transfers_to_idx").on(t.toStoreId),
  check("transfers_two_stores", sql`${t.fromStoreId} <> ${t.toStoreId}`),
]);

export const transferLines = sqliteTable("transfer_lines", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  transferId: text("transfer_id").notNull().references(() => transfers.id),
  productId: text("product_id").notNull().references(() => products.id),
  /** Sent, thousandths (> 0). */
  quantity: integer("quantity").notNull(),
  /** Received, thousandths; null until the transfer is received. */
  receivedQuantity: integer("received_quantity"),
  /** Why receivedQuantity differs from quantity (required then). */
  discrepancyReason: text("discrepancy_reason"),
  sortOrder: integer("sort_order").notNull(),
}, (t) => [uniqueIndex("transfer_lines_product_uq").on(t.transferId, t.productId), check("transfer_lines_positive", sql`${t.quantity} > 0`)]);

export const purchaseOrders = sqliteTable("purchase_orders", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  /** The store the goods are delivered to. */
  storeId: text("store_id").notNull().references(() => stores.id),
  supplierId: text("supplier_id").notNull().references(() => suppliers.id),
  status: text("status", { enum: PURCHASE_ORDER_STATUSES }).notNull().default("draft"),
  /** YYYY-MM-DD, the store's calendar. */
  expectedDeliveryDate: text("expected_delivery_date"),
  notes: text("notes"),
  createdBy: text("created_by").notNull(),
  submittedBy: text("submitted_by"),
  submittedAt: integer("submitted_at"),
  approvedBy: text("approved_by"),
  approvedAt: integer("approved_at"),
  sentBy: text("sent_by"),
  sentAt: integer("sent_at"),
  receivedAt: integer("received_at"),
  cancelledBy: text("cancelled_by"),
  cancelledAt: integer("cancelled_at"),
  ...syncedColumns(),
}, (t) => [index("purchase_orders_tenant_status_idx").on(t.tenantId, t.status), index("purchase_orders_supplier_idx").on(t.supplierId)]);

export const purchaseOrderLines = sqliteTable("purchase_order_lines", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  purchaseOrderId: text("purchase_order_id").notNull().references(() => purchaseOrders.id),
  productId: text("product_id").notNull().references(() => products.id),
  supplierSku: text("supplier_sku"),
  /** Ordered, thousandths (> 0). */
  quantity: integer("quantity").notNull(),
  /** Per unit (1000 thousandths), minor units. */
  unitCost: integer("unit_cost").notNull(),
  receivedQuantity: integer("received_quantity").notNull().default(0),
  /** Receipts may take this line past its quantity. */
  allowOverReceipt: bool("allow_over_receipt").notNull().default(false),
  sortOrder: integer("sort_order").notNull(),
}, (t) => [
  uniqueIndex("purchase_order_lines_product_uq").on(t.purchaseOrderId, t.productId),
  check("purchase_order_lines_valid", sql`${t.quantity} > 0 AND ${t.unitCost} >= 0 AND ${t.receivedQuantity} >= 0`),
]);

/** One delivery booked in against a purchase order: its stock movements reference this id. */
export const purchaseOrderReceipts = sqliteTable("purchase_order_receipts", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  purchaseOrderId: text("purchase_order_id").notNull().references(() => purchaseOrders.id),
  storeId: text("store_id").notNull(),
  /** [{ lineId, productId, quantity, unitCost }] as received. */
  lines: text("lines", { mode: "json" }).$type<{ lineId: string; productId: string; quantity: number; unitCost: number }[]>().notNull(),
  updatedCost: bool("updated_cost").notNull(),
  note: text("note"),
  receivedBy: text("received_by").notNull(),
  receivedAt: integer("received_at").notNull(),
}, (t) => [index("purchase_order_receipts_po_idx").on(t.purchaseOrderId)]);

export const stockCounts = sqliteTable("stock_counts", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  storeId: text("store_id").notNull().references(() => stores.id),
  /** Only this department's products; null: every tracked product. */
  departmentId: text("department_id").references(() => departments.id),
  status: text("status", { enum: STOCK_COUNT_STATUSES }).notNull().default("open"),
  notes: text("notes"),
  startedBy: text("started_by").notNull(),
  postedBy: text("posted_by"),
  postedAt: integer("posted_at"),
  cancelledBy: text("cancelled_by"),
  cancelledAt: integer("cancelled_at"),
  ...syncedColumns(),
}, (t) => [
  index("stock_counts_tenant_status_idx").on(t.tenantId, t.status),
  // One open count per store: two would each post the other's differences.
  uniqueIndex("stock_counts_open_uq").on(t.storeId).where(sql`status = 'open' AND deleted_at IS NULL`),
]);

export const stockCountLines = sqliteTable("stock_count_lines", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  countId: text("count_id").notNull().references(() => stockCounts.id),
  productId: text("product_id").notNull().references(() => products.id),
  /** The level when the count started, thousandths: what the count is compared with. */
  expectedQuantity: integer("expected_quantity").notNull(),
  /** Null until counted. */
  countedQuantity: integer("counted_quantity"),
  countedBy: text("counted_by"),
  countedAt: integer("counted_at"),
  /** Per line: the last write wins, a stale one is refused. */
  version: integer("version").notNull().default(1),
}, (t) => [uniqueIndex("stock_count_lines_product_uq").on(t.countId, t.productId)]);
