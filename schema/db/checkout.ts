import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { bool, syncedColumns, tenantId } from "./columns";
import { products } from "./catalogue";
import { registers, stores } from "./tenants";

/**
 * A register session: a register (till) open for selling, from its opening float to its close with the counted
 * cash. The store's hub (StoreHub Durable Object) opens and closes them and writes them here before it answers;
 * the unique index keeps one open session per register whatever happens.
 */
export const registerSessions = sqliteTable("register_sessions", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  storeId: text("store_id").notNull().references(() => stores.id),
  registerId: text("register_id").notNull().references(() => registers.id),
  status: text("status", { enum: ["open", "closed"] }).notNull(),
  openingFloat: integer("opening_float").notNull(),
  openedBy: text("opened_by").notNull(),
  openedAt: integer("opened_at").notNull(),
  openedDeviceId: text("opened_device_id"),
  closedBy: text("closed_by"),
  closedAt: integer("closed_at"),
  /** Minor units counted per tender code at the close. */
  counted: text("counted", { mode: "json" }).$type<Record<string, number>>(),
  /** Minor units expected per tender code at the close. */
  expected: text("expected", { mode: "json" }).$type<Record<string, number>>(),
  zNumber: integer("z_number"),
  ...syncedColumns(),
}, (t) => [
  uniqueIndex("register_sessions_one_open_uq").on(t.registerId).where(sql`${t.status} = 'open'`),
  index("register_sessions_store_idx").on(t.storeId, t.openedAt),
]);

export const CASH_EVENT_KINDS = ["paid_in", "paid_out", "drop", "no_sale"] as const;

/** Cash moved in or out of a session's drawer other than by a sale (the cash drawer log). */
export const cashEvents = sqliteTable("cash_events", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  storeId: text("store_id").notNull(),
  sessionId: text("session_id").notNull().references(() => registerSessions.id),
  kind: text("kind", { enum: CASH_EVENT_KINDS }).notNull(),
  /** Minor units, never negative; the kind says which way it went (0 for a no-sale opening). */
  amount: integer("amount").notNull(),
  reason: text("reason"),
  userId: text("user_id").notNull(),
  deviceId: text("device_id"),
  at: integer("at").notNull(),
}, (t) => [index("cash_events_session_idx").on(t.sessionId)]);

/** A Z report: made once when a session closes, immutable, numbered consecutively per register. */
export const zReports = sqliteTable("z_reports", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  storeId: text("store_id").notNull(),
  registerId: text("register_id").notNull(),
  sessionId: text("session_id").notNull(),
  zNumber: integer("z_number").notNull(),
  /** The register's grand total over all its sessions, this one included: it never resets. */
  grandTotal: integer("grand_total").notNull(),
  report: text("report", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  createdAt: integer("created_at").notNull(),
}, (t) => [uniqueIndex("z_reports_register_number_uq").on(t.registerId, t.zNumber), uniqueIndex("z_reports_session_uq").on(t.sessionId)]);

export const SALE_KINDS = ["sale", "return"] as const;
export const SALE_STATUSES = ["completed", "voided"] as const;

/**
 * A sale (or a return: a sale with negative quantities that names the sale it returns). Ids come from the till.
 * Amounts are minor units as the money engine computed them; `requestHash` is the request it was made from, so a
 * retry is told from a different sale.
 */
export const sales = sqliteTable("sales", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  storeId: text("store_id").notNull().references(() => stores.id),
  registerId: text("register_id").notNull(),
  sessionId: text("session_id").notNull(),
  deviceId: text("device_id"),
  receiptNumber: text("receipt_number").notNull(),
  kind: text("kind", { enum: SALE_KINDS }).notNull(),
  originalSaleId: text("original_sale_id"),
  /** A return made without the original receipt (pos.void, tenant setting). */
  unreferenced: bool("unreferenced").notNull().default(false),
  status: text("status", { enum: SALE_STATUSES }).notNull(),
  cashierId: text("cashier_id").notNull(),
  salesRepId: text("sales_rep_id"),
  customerId: text("customer_id"),
  currency: text("currency").notNull(),
  pricesIncludeTax: bool("prices_include_tax").notNull(),
  taxRounding: text("tax_rounding", { enum: ["line", "document"] }).notNull(),
  subtotal: integer("subtotal").notNull(),
  discountTotal: integer("discount_total").notNull(),
  taxTotal: integer("tax_total").notNull(),
  grandTotal: integer("grand_total").notNull(),
  cashRounding: integer("cash_rounding").notNull(),
  totalDue: integer("total_due").notNull(),
  paidTotal: integer("paid_total").notNull(),
  changeGiven: integer("change_given").notNull(),
  /** When the till made the sale (it may have been offline); createdAt is when it reached the edge. */
  soldAt: integer("sold_at").notNull(),
  voidedAt: integer("voided_at"),
  voidedBy: text("voided_by"),
  voidReason: text("void_reason"),
  requestHash: text("request_hash").notNull(),
  ...syncedColumns(),
}, (t) => [
  uniqueIndex("sales_store_receipt_uq").on(t.storeId, t.receiptNumber),
  index("sales_session_idx").on(t.sessionId),
  index("sales_tenant_sold_idx").on(t.tenantId, t.soldAt),
  index("sales_store_sold_idx").on(t.storeId, t.soldAt),
  index("sales_original_idx").on(t.originalSaleId),
]);

export const saleLines = sqliteTable("sale_lines", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  saleId: text("sale_id").notNull().references(() => sales.id),
  lineNo: integer("line_no").notNull(),
  productId: text("product_id").notNull().references(() => products.id),
  productName: text("product_name").notNull(),
  sku: text("sku").notNull(),
  departmentId: text("department_id"),
  /** Thousandths; negative on a return line. */
  quantity: integer("quantity").notNull(),
  unitPrice: integer("unit_price").notNull(),
  /** The effective catalogue price when the sale reached the edge; a unit price that differs is an override. */
  cataloguePrice: integer("catalogue_price").notNull(),
  priceOverride: bool("price_override").notNull(),
  discount: integer("discount").notNull(),
  net: integer("net").notNull(),
  tax: integer("tax").notNull(),
  gross: integer("gross").notNull(),
  /** The product's cost price at the sale, for margins. */
  costPrice: integer("cost_price").notNull(),
  /** On a return line: the line of the original sale it returns. */
  originalLineId: text("original_line_id"),
}, (t) => [index("sale_lines_sale_idx").on(t.saleId), index("sale_lines_original_idx").on(t.originalLineId)]);

export const saleLineTaxes = sqliteTable("sale_line_taxes", {
  tenantId: tenantId(),
  saleId: text("sale_id").notNull(),
  lineId: text("line_id").notNull().references(() => saleLines.id),
  taxRateId: text("tax_rate_id").notNull(),
  name: text("name").notNull(),
  rateMillionths: integer("rate_millionths").notNull(),
  isCompound: bool("is_compound").notNull(),
  sortOrder: integer("sort_order").notNull(),
  amount: integer("amount").notNull(),
}, (t) => [primaryKey({ columns: [t.lineId, t.taxRateId] }), index("sale_line_taxes_sale_idx").on(t.saleId)]);

export const salePayments = sqliteTable("sale_payments", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  saleId: text("sale_id").notNull().references(() => sales.id),
  lineNo: integer("line_no").notNull(),
  tenderId: text("tender_id").notNull(),
  tenderCode: text("tender_code").notNull(),
  isCash: bool("is_cash").notNull(),
  /** Minor units tendered (negative on a refund). */
  amount: integer("amount").notNull(),
  reference: text("reference"),
}, (t) => [index("sale_payments_sale_idx").on(t.saleId)]);

/**
 * The first answer to a request that may be retried (an Idempotency-Key, or a client-made id such as a sale's):
 * a retry with the same request answers it again; the same key with another request is refused.
 */
export const idempotencyRecords = sqliteTable("idempotency_records", {
  tenantId: tenantId(),
  key: text("key").notNull(),
  requestHash: text("request_hash").notNull(),
  status: integer("status").notNull(),
  response: text("response", { mode: "json" }).$type<unknown>().notNull(),
  createdAt: integer("created_at").notNull(),
}, (t) => [primaryKey({ columns: [t.tenantId, t.key] })]);

export const STOCK_MOVEMENT_KINDS = ["sale", "return", "void", "adjustment", "count", "transfer_out", "transfer_in", "receipt"] as const;

/** Stock on hand per store and tracked product, in thousandths; may go below zero (a till never blocks a sale). */
export const inventoryLevels = sqliteTable("inventory_levels", {
  tenantId: tenantId(),
  storeId: text("store_id").notNull().references(() => stores.id),
  productId: text("product_id").notNull().references(() => products.id),
  quantity: integer("quantity").notNull(),
  /** At or below this the product is low on stock in the store (thousandths); null: never. */
  reorderPoint: integer("reorder_point"),
  updatedAt: integer("updated_at").notNull(),
}, (t) => [primaryKey({ columns: [t.storeId, t.productId] }), index("inventory_levels_tenant_product_idx").on(t.tenantId, t.productId)]);

/** The stock ledger: every change of a level, from which the level can always be recomputed. */
export const stockMovements = sqliteTable("stock_movements", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  storeId: text("store_id").notNull(),
  productId: text("product_id").notNull(),
  kind: text("kind", { enum: STOCK_MOVEMENT_KINDS }).notNull(),
  /** Thousandths, signed: what the level changed by. */
  quantity: integer("quantity").notNull(),
  reason: text("reason"),
  /** The sale, adjustment, count or transfer it came from. */
  referenceId: text("reference_id"),
  userId: text("user_id"),
  at: integer("at").notNull(),
  /**
   * Cost per unit (1000 thousandths) of what moved, minor units: the price paid for a purchase-order receipt,
   * the product's cost price at the time for every other movement. Null on movements written before it existed.
   */
  unitCost: integer("unit_cost"),
  /** The product's cost price (moving weighted average) right after the movement: stock is valued at this as of a date. */
  averageCost: integer("average_cost"),
}, (t) => [index("stock_movements_store_product_idx").on(t.storeId, t.productId, t.at), index("stock_movements_reference_idx").on(t.referenceId)]);
