import { sqliteTable, text, integer, uniqueIndex, index } from "drizzle-orm/sqlite-core";
import { DEFAULT_GIFT_CARD_HOLD_MINUTES } from "../contracts/giftcards";
import { bool, searchText, syncedColumns, tenantId } from "./columns";

export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  slug: text("slug").notNull(),
  name: text("name").notNull(),
  /** ISO 4217 code used where a store does not say otherwise. */
  currency: text("currency").notNull(),
  /** 'line': round tax per line (default); 'document': round each rate's total once and spread it. */
  taxRounding: text("tax_rounding", { enum: ["line", "document"] }).notNull().default("line"),
  /** Browser origins (tills, back office) allowed by CORS, JSON array of strings. */
  corsOrigins: text("cors_origins", { mode: "json" }).$type<string[]>().notNull().default([]),
  /** Digits of the PINs the server generates for this tenant's users (4 to 8). */
  pinLength: integer("pin_length").notNull().default(4),
  /** Returns without the original receipt are allowed (to users holding pos.void), marked as such. */
  allowUnreferencedReturns: bool("allow_unreferenced_returns").notNull().default(false),
  /** Minutes an authorised gift card transaction holds before it is cancelled (EXPIRED) unless captured. */
  giftCardHoldMinutes: integer("gift_card_hold_minutes").notNull().default(DEFAULT_GIFT_CARD_HOLD_MINUTES),
  ...syncedColumns(),
}, (t) => [uniqueIndex("tenants_slug_uq").on(t.slug)]);

export const stores = sqliteTable("stores", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  code: text("code").notNull(),
  name: text("name").notNull(),
  currency: text("currency").notNull(),
  timeZone: text("time_zone").notNull(),
  /** true: prices contain tax (EU VAT); false: tax is added on top (US sales tax). */
  pricesIncludeTax: bool("prices_include_tax").notNull(),
  /** Cash totals are rounded to a multiple of this many minor units (100 = whole kronor, 5 = 5 rappen); 1 = none. */
  cashRoundingUnit: integer("cash_rounding_unit").notNull().default(1),
  address: text("address"),
  phone: text("phone"),
  isActive: bool("is_active").notNull().default(true),
  searchText: searchText(),
  ...syncedColumns(),
}, (t) => [uniqueIndex("stores_tenant_code_uq").on(t.tenantId, t.code)]);

/** Registers (terminals) of a store; register sessions come with the selling work. */
export const registers = sqliteTable("registers", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  storeId: text("store_id").notNull().references(() => stores.id),
  code: text("code").notNull(),
  name: text("name").notNull(),
  isActive: bool("is_active").notNull().default(true),
  ...syncedColumns(),
}, (t) => [
  uniqueIndex("registers_store_code_uq").on(t.storeId, t.code),
  index("registers_tenant_idx").on(t.tenantId),
]);
