import { asc, eq, isNull, sql } from "drizzle-orm";
import { products, storePrices, stores, taxGroupRates, taxRates, tenants } from "../../schema/db";
import { cashRounding, computeDocument, type DocumentResult, type TaxRateInput } from "../../schema/money";
import type { Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import type { FieldError } from "./errors";
import { effectivePrice } from "./pricing";
import { inJson } from "./references";
import { specialsAround, type SpecialRow } from "./specials";
import { localDateTime } from "./store-time";

/**
 * What selling needs to know of the catalogue, read in the caller's one round trip: the store and tenant
 * (pricing basis, tax rounding, cash rounding), the products sold with their tax rates in order, and their
 * effective prices there at the instant of the sale (pricing.ts decides those). Then the sale priced by the
 * money engine, which is the only arithmetic of a sale.
 */
type ProductRow = typeof products.$inferSelect;
type StoreRow = typeof stores.$inferSelect;

export interface RateRow {
  productId: string;
  taxRateId: string;
  name: string;
  rateMillionths: number;
  isCompound: boolean;
  sortOrder: number;
}

export interface CatalogueItem {
  product: ProductRow;
  rates: RateRow[];
  /** The effective price in the store at the instant priced. */
  price: number;
}

export interface Catalogue {
  store: StoreRow | undefined;
  tenant: { taxRounding: "line" | "document" } | undefined;
  items: Map<string, CatalogueItem>;
}

const NONE = "00000000-0000-0000-0000-000000000000";

/** The statements of the read (in this order) and the function that reads their results into a Catalogue. */
export function catalogueReads(scope: TenantScope, storeId: string, productIds: readonly string[], at: number) {
  const ids = productIds.length ? [...new Set(productIds)] : [NONE];
  const statements: Statement[] = [
    scope.select(stores, eq(stores.id, storeId), isNull(stores.deletedAt)),
    scope.db.select({ taxRounding: tenants.taxRounding }).from(tenants).where(eq(tenants.id, scope.tenantId)),
    scope.select(products, inJson(products.id, ids), isNull(products.deletedAt)),
    scope.db
      .select({
        productId: sql<string>`${products.id}`.as("product_id"),
        taxRateId: sql<string>`${taxRates.id}`.as("tax_rate_id"),
        name: taxRates.name,
        rateMillionths: taxRates.rateMillionths,
        isCompound: taxRates.isCompound,
        sortOrder: taxGroupRates.sortOrder,
      })
      .from(products)
      .innerJoin(taxGroupRates, eq(taxGroupRates.taxGroupId, products.taxGroupId))
      .innerJoin(taxRates, eq(taxRates.id, taxGroupRates.taxRateId))
      .where(scope.where(products, inJson(products.id, ids), isNull(taxRates.deletedAt)))
      .orderBy(asc(taxGroupRates.sortOrder)),
    scope.select(storePrices, eq(storePrices.storeId, storeId), inJson(storePrices.productId, ids), isNull(storePrices.deletedAt)),
    specialsAround(scope, at, { storeId }),
  ];
  const read = (results: unknown[]): Catalogue => {
    const [storeRows, tenantRows, productRows, rateRows, priceRows, specialRows] = results as [
      StoreRow[], { taxRounding: "line" | "document" }[], ProductRow[], RateRow[], (typeof storePrices.$inferSelect)[], SpecialRow[],
    ];
    const store = storeRows[0];
    const items = new Map<string, CatalogueItem>();
    if (store) {
      const localTime = localDateTime(at, store.timeZone);
      const storePriceOf = new Map(priceRows.map((p) => [p.productId, p.price]));
      for (const product of productRows) {
        const decision = effectivePrice({ product, storeId, localTime, storePrice: storePriceOf.get(product.id) ?? null, specials: specialRows });
        items.set(product.id, { product, rates: rateRows.filter((r) => r.productId === product.id), price: decision.price });
      }
    }
    return { store, tenant: tenantRows[0], items };
  };
  return { statements, read };
}

export interface PricedLine {
  productId: string;
  quantity: number;
  unitPrice: number;
  discount: number;
}

/** The engine's taxes of a product: its group's rates in order. */
export const engineTaxes = (rates: readonly RateRow[]): TaxRateInput[] =>
  rates.map((r) => ({ id: r.taxRateId, name: r.name, rate: { millionths: r.rateMillionths }, isCompound: r.isCompound, sortOrder: r.sortOrder }));

/** The sale's lines and totals as the money engine computes them. */
export function priceSale(catalogue: Catalogue, store: StoreRow, lines: readonly PricedLine[]): DocumentResult {
  return computeDocument({
    pricesIncludeTax: store.pricesIncludeTax,
    rounding: catalogue.tenant?.taxRounding ?? "line",
    lines: lines.map((l) => ({ unitPrice: l.unitPrice, quantity: l.quantity, discount: l.discount, taxes: engineTaxes(catalogue.items.get(l.productId)?.rates ?? []) })),
  });
}

/**
 * The totals of a priced sale, as the spec names them: subtotal is the lines' priced amounts (what the shelf
 * prices add up to, less discounts: net where prices exclude tax, gross where they include it), grandTotal the
 * gross.
 */
export function saleTotals(doc: DocumentResult) {
  const subtotal = doc.lines.reduce((s, l) => s + (l.extended - l.discount), 0);
  return { subtotal, discountTotal: doc.totals.discount, taxTotal: doc.totals.tax, grandTotal: doc.totals.gross };
}

/**
 * The cash rounding of a sale: only the part cash settles is rounded (the balance after the other tenders), to
 * the store's cash unit. No cash tender: no rounding.
 */
export function cashRoundingOf(grandTotal: number, nonCashPaid: number, paysCash: boolean, unit: number): number {
  if (!paysCash || unit <= 1) return 0;
  return cashRounding(grandTotal - nonCashPaid, unit).adjustment;
}

/** A figure the till sent that is not the edge's: the field, what came and what it should be. */
export const discrepancy = (path: string, received: number, expected: number): FieldError => ({
  path,
  message: `is ${received}; it should be ${expected}`,
  received,
  expected,
});
