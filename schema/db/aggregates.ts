import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { tenantId } from "./columns";

/**
 * Sales pre-aggregated per store and local business day (the store's time zone), written in the batch of each
 * sale, return and void (worker/domain/sale-aggregates.ts), so that reports over a year read a few thousand rows
 * instead of every sale. Every figure is an integer sum: minor units, quantities in thousandths. A void takes
 * back exactly what its sale added (and counts in the void columns); a return adds its own negative figures on
 * its own day. Keys that may be "none" (a department, a sales rep) are '' rather than NULL, so that the upserts'
 * ON CONFLICT finds them.
 */

/** The business day and hour of each sale in its store's time zone when it was sold: what a void subtracts from. */
export const reportSaleDays = sqliteTable("report_sale_days", {
  saleId: text("sale_id").primaryKey(),
  tenantId: tenantId(),
  storeId: text("store_id").notNull(),
  /** YYYY-MM-DD, the store's local date at soldAt. */
  businessDate: text("business_date").notNull(),
  /** 0-23, the store's local hour at soldAt (a wall-clock hour: the repeated hour of a DST change counts once). */
  hour: integer("hour").notNull(),
});

/** The money and count columns of a day's sales, as the hourly and per-person rows keep them. */
const saleFigures = () => ({
  salesCount: integer("sales_count").notNull().default(0),
  /** Σ total_due of completed sales (kind sale). */
  salesTotal: integer("sales_total").notNull().default(0),
  returnsCount: integer("returns_count").notNull().default(0),
  /** Σ total_due of completed returns (negative). */
  returnsTotal: integer("returns_total").notNull().default(0),
  voidsCount: integer("voids_count").notNull().default(0),
  /** Σ total_due of voided sales and returns. */
  voidsTotal: integer("voids_total").notNull().default(0),
  /** Σ line net (ex tax), tax and gross of completed sales and returns. */
  net: integer("net").notNull().default(0),
  tax: integer("tax").notNull().default(0),
  gross: integer("gross").notNull().default(0),
  /** Σ line discounts, signed (a return's lower the discount given). */
  discount: integer("discount").notNull().default(0),
  /** Σ line quantities (thousandths) and lines. */
  quantity: integer("quantity").notNull().default(0),
  lines: integer("lines").notNull().default(0),
});

export const reportHourly = sqliteTable("report_hourly", {
  tenantId: tenantId(),
  storeId: text("store_id").notNull(),
  businessDate: text("business_date").notNull(),
  hour: integer("hour").notNull(),
  ...saleFigures(),
  cashRounding: integer("cash_rounding").notNull().default(0),
  changeGiven: integer("change_given").notNull().default(0),
  /** Σ line cost (cost price at the sale × quantity, per line rounded half away from zero). */
  cost: integer("cost").notNull().default(0),
}, (t) => [primaryKey({ columns: [t.storeId, t.businessDate, t.hour] }), index("report_hourly_tenant_date_idx").on(t.tenantId, t.businessDate)]);

export const reportProducts = sqliteTable("report_products", {
  tenantId: tenantId(),
  storeId: text("store_id").notNull(),
  businessDate: text("business_date").notNull(),
  productId: text("product_id").notNull(),
  /** The product's department at the sale ('' for none). */
  departmentId: text("department_id").notNull(),
  quantity: integer("quantity").notNull().default(0),
  /** Σ positive and negative (returned) line quantities. */
  soldQuantity: integer("sold_quantity").notNull().default(0),
  returnedQuantity: integer("returned_quantity").notNull().default(0),
  net: integer("net").notNull().default(0),
  tax: integer("tax").notNull().default(0),
  gross: integer("gross").notNull().default(0),
  discount: integer("discount").notNull().default(0),
  discountedLines: integer("discounted_lines").notNull().default(0),
  cost: integer("cost").notNull().default(0),
  lines: integer("lines").notNull().default(0),
}, (t) => [
  primaryKey({ columns: [t.storeId, t.businessDate, t.productId, t.departmentId] }),
  index("report_products_tenant_date_idx").on(t.tenantId, t.businessDate),
]);

export const reportPeople = sqliteTable("report_people", {
  tenantId: tenantId(),
  storeId: text("store_id").notNull(),
  businessDate: text("business_date").notNull(),
  cashierId: text("cashier_id").notNull(),
  /** '' for sales without a rep. */
  salesRepId: text("sales_rep_id").notNull(),
  ...saleFigures(),
}, (t) => [
  primaryKey({ columns: [t.storeId, t.businessDate, t.cashierId, t.salesRepId] }),
  index("report_people_tenant_date_idx").on(t.tenantId, t.businessDate),
]);

export const reportTaxes = sqliteTable("report_taxes", {
  tenantId: tenantId(),
  storeId: text("store_id").notNull(),
  businessDate: text("business_date").notNull(),
  taxRateId: text("tax_rate_id").notNull(),
  rateMillionths: integer("rate_millionths").notNull(),
  name: text("name").notNull(),
  /** Σ net of the lines the rate applied to, and Σ the rate's tax on them. */
  taxable: integer("taxable").notNull().default(0),
  tax: integer("tax").notNull().default(0),
  lines: integer("lines").notNull().default(0),
}, (t) => [
  primaryKey({ columns: [t.storeId, t.businessDate, t.taxRateId, t.rateMillionths] }),
  index("report_taxes_tenant_date_idx").on(t.tenantId, t.businessDate),
]);

export const reportTenders = sqliteTable("report_tenders", {
  tenantId: tenantId(),
  storeId: text("store_id").notNull(),
  businessDate: text("business_date").notNull(),
  tenderCode: text("tender_code").notNull(),
  isCash: integer("is_cash").notNull().default(0),
  count: integer("count").notNull().default(0),
  /** Σ payments (refunds negative), and the change given back from this tender (a sale's first cash payment). */
  tendered: integer("tendered").notNull().default(0),
  changeGiven: integer("change_given").notNull().default(0),
}, (t) => [
  primaryKey({ columns: [t.storeId, t.businessDate, t.tenderCode] }),
  index("report_tenders_tenant_date_idx").on(t.tenantId, t.businessDate),
]);
