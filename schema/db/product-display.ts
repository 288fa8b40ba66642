import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { bool, searchText, syncedColumns, tenantId } from "./columns";
import { NOTICE_SEVERITIES, SORT_DIRECTIONS, SORT_FIELDS } from "../contracts/product-display";
import { departments, products } from "./catalogue";

/**
 * What a till shows around the catalogue: promotional banners, notices on products (age checks, allergens),
 * the sections of its product layout and the ways it sorts product lists. Tenant-wide synced rows: tills pull
 * them (worker/domain/sync-pull-entities.ts) and integrators follow them with since/until.
 */

/** A promotional banner, shown between `activeFrom` and `activeUntil` (either open), lowest `sortOrder` first. */
export const productBanners = sqliteTable("product_banners", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  title: text("title").notNull(),
  text: text("text"),
  /** https only: a till never loads a banner over plain http. */
  imageUrl: text("image_url"),
  /** What a tap on the banner opens: a product, a department (product group) or nothing. */
  productId: text("product_id").references(() => products.id),
  departmentId: text("department_id").references(() => departments.id),
  /** Epoch ms, UTC; null: open-ended. */
  activeFrom: integer("active_from"),
  activeUntil: integer("active_until"),
  sortOrder: integer("sort_order").notNull().default(0),
  isActive: bool("is_active").notNull().default(true),
  searchText: searchText(),
  ...syncedColumns(),
}, (t) => [
  index("product_banners_tenant_order_idx").on(t.tenantId, t.sortOrder),
  check("product_banners_one_link", sql`${t.productId} IS NULL OR ${t.departmentId} IS NULL`),
  check("product_banners_window", sql`${t.activeFrom} IS NULL OR ${t.activeUntil} IS NULL OR ${t.activeFrom} < ${t.activeUntil}`),
]);

/**
 * A notice the till shows when a product is sold or looked at: "Age check: 18+", "Contains nuts". It applies to
 * the products listed and to every product of the departments listed. `requires_confirmation` makes the cashier
 * confirm before the line is added; `minimumAge` (only with it) is the age to check.
 */
export const productNotices = sqliteTable("product_notices", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  /** The back office's name for it, unique per tenant: "Age 18+", "Nuts". */
  name: text("name").notNull(),
  text: text("text").notNull(),
  severity: text("severity", { enum: NOTICE_SEVERITIES }).notNull(),
  minimumAge: integer("minimum_age"),
  productIds: text("product_ids", { mode: "json" }).$type<string[]>().notNull().default([]),
  departmentIds: text("department_ids", { mode: "json" }).$type<string[]>().notNull().default([]),
  isActive: bool("is_active").notNull().default(true),
  searchText: searchText(),
  ...syncedColumns(),
}, (t) => [
  uniqueIndex("product_notices_tenant_name_uq").on(t.tenantId, t.name).where(sql`deleted_at IS NULL`),
  check("product_notices_age", sql`${t.minimumAge} IS NULL OR (${t.minimumAge} BETWEEN 1 AND 150 AND ${t.severity} = 'requires_confirmation')`),
]);

/** A named section of the till's product layout ("Hot drinks"), with its products in the order shown. */
export const productSections = sqliteTable("product_sections", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  name: text("name").notNull(),
  /** In display order; a product may be in several sections. */
  productIds: text("product_ids", { mode: "json" }).$type<string[]>().notNull().default([]),
  /** The section's tile colour on the till, #RRGGBB; null: the till's own. */
  color: text("color"),
  sortOrder: integer("sort_order").notNull().default(0),
  isActive: bool("is_active").notNull().default(true),
  searchText: searchText(),
  ...syncedColumns(),
}, (t) => [
  uniqueIndex("product_sections_tenant_name_uq").on(t.tenantId, t.name).where(sql`deleted_at IS NULL`),
  index("product_sections_tenant_order_idx").on(t.tenantId, t.sortOrder),
]);

/** A named way to sort product lists ("Best sellers": popularity, desc); at most one per tenant is the default. */
export const productSortOptions = sqliteTable("product_sort_options", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  name: text("name").notNull(),
  field: text("field", { enum: SORT_FIELDS }).notNull(),
  direction: text("direction", { enum: SORT_DIRECTIONS }).notNull(),
  isDefault: bool("is_default").notNull().default(false),
  sortOrder: integer("sort_order").notNull().default(0),
  isActive: bool("is_active").notNull().default(true),
  ...syncedColumns(),
}, (t) => [
  uniqueIndex("product_sort_options_tenant_name_uq").on(t.tenantId, t.name).where(sql`deleted_at IS NULL`),
  uniqueIndex("product_sort_options_tenant_field_uq").on(t.tenantId, t.field, t.direction).where(sql`deleted_at IS NULL`),
  uniqueIndex("product_sort_options_tenant_default_uq").on(t.tenantId, t.isDefault).where(sql`deleted_at IS NULL AND is_default = 1`),
  check("product_sort_options_default_active", sql`${t.isDefault} = 0 OR ${t.isActive} = 1`),
]);
