import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { bool, tenantId } from "./columns";
import { customers } from "./catalogue";
import { stores } from "./tenants";

export interface ExternalPayment {
  /** The other system's name for the tender: "CARD", "KLARNA", "INVOICE". */
  method: string;
  /** Minor units; negative on a refund. */
  amount: number;
  reference: string | null;
}

/**
 * A purchase a customer made in another system (a web shop, an ERP), recorded for their purchase history. It is
 * history, not a sale of a till: it moves no stock, no register and no report. `transactionId` is the other
 * system's id, unique per source: the same purchase recorded twice is the one row (`requestHash` tells a retry
 * from a different purchase under a used id).
 */
export const externalPurchases = sqliteTable("external_purchases", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  /** Lower case: "webshop", "erp". */
  source: text("source").notNull(),
  transactionId: text("transaction_id").notNull(),
  customerId: text("customer_id").notNull().references(() => customers.id),
  storeId: text("store_id").references(() => stores.id),
  /** Epoch ms, UTC. */
  purchasedAt: integer("purchased_at").notNull(),
  currency: text("currency").notNull(),
  pricesIncludeTax: bool("prices_include_tax").notNull(),
  /** Σ line totals; minor units. */
  subtotal: integer("subtotal").notNull(),
  taxTotal: integer("tax_total").notNull(),
  total: integer("total").notNull(),
  payments: text("payments", { mode: "json" }).$type<ExternalPayment[]>().notNull(),
  note: text("note"),
  requestHash: text("request_hash").notNull(),
  createdByType: text("created_by_type", { enum: ["user", "client"] }).notNull(),
  createdBy: text("created_by").notNull(),
  version: integer("version").notNull().default(1),
  createdAt: integer("created_at").notNull(),
}, (t) => [
  uniqueIndex("external_purchases_source_txn_uq").on(t.tenantId, t.source, t.transactionId),
  index("external_purchases_customer_idx").on(t.tenantId, t.customerId, t.purchasedAt),
  index("external_purchases_tenant_at_idx").on(t.tenantId, t.purchasedAt),
]);

/** A line of an external purchase, as the other system sold it. */
export const externalPurchaseLines = sqliteTable("external_purchase_lines", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  purchaseId: text("purchase_id").notNull().references(() => externalPurchases.id),
  lineNo: integer("line_no").notNull(),
  /** The product of this tenant, when the line named one (or its SKU found one). */
  productId: text("product_id"),
  sku: text("sku"),
  description: text("description"),
  /** Thousandths; negative on a returned line. */
  quantity: integer("quantity").notNull(),
  unitPrice: integer("unit_price").notNull(),
  /** Signed like the line. lineTotal = round(unitPrice × quantity / 1000) − discount. */
  discount: integer("discount").notNull(),
  lineTotal: integer("line_total").notNull(),
  taxAmount: integer("tax_amount").notNull(),
  /** Basis points, as the other system reported it. */
  taxRate: integer("tax_rate"),
}, (t) => [
  uniqueIndex("external_purchase_lines_no_uq").on(t.purchaseId, t.lineNo),
  index("external_purchase_lines_product_idx").on(t.tenantId, t.productId),
]);
