import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { bool, searchText, syncedColumns, tenantId } from "./columns";
import { users } from "./identity";
import { stores } from "./tenants";

/** Money columns are integer minor units; quantities thousandths; rates millionths (1 bp = 100). */

export const departments = sqliteTable("departments", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  name: text("name").notNull(),
  code: text("code"),
  isActive: bool("is_active").notNull().default(true),
  searchText: searchText(),
  ...syncedColumns(),
}, (t) => [
  uniqueIndex("departments_tenant_name_uq").on(t.tenantId, t.name).where(sql`deleted_at IS NULL`),
  uniqueIndex("departments_tenant_code_uq").on(t.tenantId, t.code).where(sql`deleted_at IS NULL AND code IS NOT NULL`),
]);

export const taxRates = sqliteTable("tax_rates", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  name: text("name").notNull(),
  /** The rate in millionths of the price: 25 % = 250000, 8.25 % = 82500, 9.975 % = 99750. */
  rateMillionths: integer("rate_millionths").notNull(),
  /** Computed on the price plus the non-compound taxes before it in its group. */
  isCompound: bool("is_compound").notNull().default(false),
  isActive: bool("is_active").notNull().default(true),
  searchText: searchText(),
  ...syncedColumns(),
}, (t) => [
  uniqueIndex("tax_rates_tenant_name_uq").on(t.tenantId, t.name).where(sql`deleted_at IS NULL`),
  check("tax_rates_rate_range", sql`${t.rateMillionths} BETWEEN 0 AND 1000000`),
]);

export const taxGroups = sqliteTable("tax_groups", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  name: text("name").notNull(),
  searchText: searchText(),
  ...syncedColumns(),
}, (t) => [uniqueIndex("tax_groups_tenant_name_uq").on(t.tenantId, t.name).where(sql`deleted_at IS NULL`)]);

/** The rates of a group, in the order they apply (compound rates build on the ones before). */
export const taxGroupRates = sqliteTable("tax_group_rates", {
  tenantId: tenantId(),
  taxGroupId: text("tax_group_id").notNull().references(() => taxGroups.id),
  taxRateId: text("tax_rate_id").notNull().references(() => taxRates.id),
  sortOrder: integer("sort_order").notNull(),
}, (t) => [primaryKey({ columns: [t.taxGroupId, t.taxRateId] }), index("tax_group_rates_rate_idx").on(t.taxRateId)]);

export const suppliers = sqliteTable("suppliers", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  name: text("name").notNull(),
  code: text("code"),
  contactName: text("contact_name"),
  email: text("email"),
  phone: text("phone"),
  address: text("address"),
  notes: text("notes"),
  isActive: bool("is_active").notNull().default(true),
  searchText: searchText(),
  ...syncedColumns(),
}, (t) => [uniqueIndex("suppliers_tenant_code_uq").on(t.tenantId, t.code).where(sql`deleted_at IS NULL AND code IS NOT NULL`)]);

/**
 * search_text: name, SKU and barcode folded (products.ts's productSearchText). Triggers of migration 0004 fill it,
 * as well as SQL can, for a write that changes those fields and not it: a rebuild of this table drops them.
 */
export const products = sqliteTable("products", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  sku: text("sku").notNull(),
  barcode: text("barcode"),
  name: text("name").notNull(),
  description: text("description"),
  departmentId: text("department_id").references(() => departments.id),
  taxGroupId: text("tax_group_id").references(() => taxGroups.id),
  /** Minor units. */
  costPrice: integer("cost_price").notNull().default(0),
  sellPrice: integer("sell_price").notNull(),
  trackStock: bool("track_stock").notNull().default(true),
  isActive: bool("is_active").notNull().default(true),
  searchText: searchText(),
  ...syncedColumns(),
}, (t) => [
  uniqueIndex("products_tenant_sku_uq").on(t.tenantId, t.sku).where(sql`deleted_at IS NULL`),
  uniqueIndex("products_tenant_barcode_uq").on(t.tenantId, t.barcode).where(sql`deleted_at IS NULL AND barcode IS NOT NULL`),
  index("products_tenant_department_idx").on(t.tenantId, t.departmentId),
  index("products_tenant_name_idx").on(t.tenantId, t.name),
  check("products_prices_non_negative", sql`${t.sellPrice} >= 0 AND ${t.costPrice} >= 0`),
]);

export const productSuppliers = sqliteTable("product_suppliers", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  productId: text("product_id").notNull().references(() => products.id),
  supplierId: text("supplier_id").notNull().references(() => suppliers.id),
  supplierSku: text("supplier_sku"),
  /** What this supplier charges, minor units. */
  costPrice: integer("cost_price"),
  isPrimary: bool("is_primary").notNull().default(false),
  ...syncedColumns(),
}, (t) => [
  uniqueIndex("product_suppliers_pair_uq").on(t.productId, t.supplierId).where(sql`deleted_at IS NULL`),
  index("product_suppliers_supplier_idx").on(t.supplierId),
]);

export const customers = sqliteTable("customers", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  customerNumber: text("customer_number"),
  firstName: text("first_name"),
  lastName: text("last_name"),
  companyName: text("company_name"),
  email: text("email"),
  phone: text("phone"),
  address: text("address"),
  notes: text("notes"),
  isActive: bool("is_active").notNull().default(true),
  searchText: searchText(),
  ...syncedColumns(),
}, (t) => [
  uniqueIndex("customers_tenant_number_uq").on(t.tenantId, t.customerNumber).where(sql`deleted_at IS NULL AND customer_number IS NOT NULL`),
  index("customers_tenant_email_idx").on(t.tenantId, t.email),
  index("customers_tenant_phone_idx").on(t.tenantId, t.phone),
]);

export const salesReps = sqliteTable("sales_reps", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  code: text("code").notNull(),
  name: text("name").notNull(),
  email: text("email"),
  phone: text("phone"),
  /** Commission in basis points of the net sale. */
  commissionRate: integer("commission_rate").notNull().default(0),
  userId: text("user_id").references(() => users.id),
  isActive: bool("is_active").notNull().default(true),
  searchText: searchText(),
  ...syncedColumns(),
}, (t) => [uniqueIndex("sales_reps_tenant_code_uq").on(t.tenantId, t.code).where(sql`deleted_at IS NULL`)]);

export const tenders = sqliteTable("tenders", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  /** CASH, CARD, SWISH, …: what sales and reports name the tender by. */
  code: text("code").notNull(),
  name: text("name").notNull(),
  kind: text("kind", { enum: ["cash", "card", "mobile", "gift_card", "voucher", "account", "other"] }).notNull(),
  /** Cash rounding applies to this tender (cash only, normally). */
  isCash: bool("is_cash").notNull().default(false),
  opensDrawer: bool("opens_drawer").notNull().default(false),
  /** More than the amount due may be tendered and change given. */
  allowsChange: bool("allows_change").notNull().default(false),
  sortOrder: integer("sort_order").notNull().default(0),
  isActive: bool("is_active").notNull().default(true),
  searchText: searchText(),
  ...syncedColumns(),
}, (t) => [uniqueIndex("tenders_tenant_code_uq").on(t.tenantId, t.code).where(sql`deleted_at IS NULL`)]);

/** A store's own price for a product, overriding its sell price. */
export const storePrices = sqliteTable("store_prices", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  storeId: text("store_id").notNull().references(() => stores.id),
  productId: text("product_id").notNull().references(() => products.id),
  price: integer("price").notNull(),
  ...syncedColumns(),
}, (t) => [
  uniqueIndex("store_prices_store_product_uq").on(t.storeId, t.productId).where(sql`deleted_at IS NULL`),
  index("store_prices_product_idx").on(t.productId),
  check("store_prices_non_negative", sql`${t.price} >= 0`),
]);

/** A time-boxed discount on products or a department, in some stores (none listed = every store). */
export const specials = sqliteTable("specials", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  name: text("name").notNull(),
  /** 'price': a fixed price in minor units; 'percent': off the price, in basis points. */
  kind: text("kind", { enum: ["price", "percent"] }).notNull(),
  value: integer("value").notNull(),
  productIds: text("product_ids", { mode: "json" }).$type<string[]>().notNull().default([]),
  departmentId: text("department_id").references(() => departments.id),
  storeIds: text("store_ids", { mode: "json" }).$type<string[]>().notNull().default([]),
  /** Wall-clock window in each store's own time zone: "2026-12-01T00:00" … (exclusive). */
  startsAt: text("starts_at").notNull(),
  endsAt: text("ends_at").notNull(),
  isActive: bool("is_active").notNull().default(true),
  searchText: searchText(),
  ...syncedColumns(),
}, (t) => [index("specials_tenant_window_idx").on(t.tenantId, t.endsAt)]);

export const worksheets = sqliteTable("worksheets", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  name: text("name").notNull(),
  kind: text("kind", { enum: ["price_change", "product_update", "tax_change", "deactivate", "new_product"] }).notNull(),
  status: text("status", { enum: ["draft", "submitted", "approved", "rejected", "applied"] }).notNull().default("draft"),
  notes: text("notes"),
  /** Stores the worksheet applies to (price changes become store prices there); none = the base catalogue. */
  storeIds: text("store_ids", { mode: "json" }).$type<string[]>().notNull().default([]),
  createdBy: text("created_by").notNull(),
  submittedBy: text("submitted_by"),
  submittedAt: integer("submitted_at"),
  reviewedBy: text("reviewed_by"),
  reviewedAt: integer("reviewed_at"),
  rejectionReason: text("rejection_reason"),
  appliedBy: text("applied_by"),
  appliedAt: integer("applied_at"),
  ...syncedColumns(),
}, (t) => [index("worksheets_tenant_status_idx").on(t.tenantId, t.status)]);

export const worksheetItems = sqliteTable("worksheet_items", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  worksheetId: text("worksheet_id").notNull().references(() => worksheets.id),
  /** The product changed (null for a new product). */
  productId: text("product_id").references(() => products.id),
  /** What to change, by kind: { sellPrice }, { fields… }, { taxGroupId }, {}, or a whole new product. */
  changes: text("changes", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  sortOrder: integer("sort_order").notNull().default(0),
}, (t) => [index("worksheet_items_sheet_idx").on(t.worksheetId)]);
