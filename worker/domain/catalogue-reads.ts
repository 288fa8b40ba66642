import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { departments, products, storePrices, stores, taxGroupRates, taxRates } from "../../schema/db";
import type { ReadBatcher } from "../db/read-batcher";
import type { PrincipalContext } from "./context";
import { entityList, type ListRequest, type ListSecret } from "./integrator-lists";
import { inJson } from "./references";

/**
 * Catalogue reads for the integrator faces (GraphQL), each with the caller's PrincipalContext. Lists are one D1
 * round trip; reads of related rows (`…ByIds`) go through the request's ReadBatcher, so that every such read of
 * one tick shares one D1 batch, and answer one value per key, in the keys' order.
 */

export type DepartmentRow = typeof departments.$inferSelect;
export type ProductRow = typeof products.$inferSelect;
export type StorePriceRow = typeof storePrices.$inferSelect;
export type StoreRow = typeof stores.$inferSelect;
export interface TaxRateOfGroup { id: string; name: string; rateMillionths: number; isCompound: boolean; sortOrder: number; taxGroupId: string }

/** One value per key, in the keys' order, from rows grouped by `keyOf`. */
export function inKeyOrder<K, R, V>(keys: readonly K[], rows: readonly R[], keyOf: (row: R) => K, value: (rows: R[]) => V): V[] {
  const grouped = new Map<K, R[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const list = grouped.get(key);
    if (list) list.push(row);
    else grouped.set(key, [row]);
  }
  return keys.map((key) => value(grouped.get(key) ?? []));
}

/** Departments by name (`id`: that one only). */
export const departmentList = (caller: PrincipalContext, secret: ListSecret, q: ListRequest & { id?: string | null }) =>
  entityList<typeof departments, DepartmentRow>(caller, secret, {
    table: departments, kind: "department", filters: [q.id ? eq(departments.id, q.id) : undefined], filterKey: { id: q.id },
    orderBy: [asc(departments.name), asc(departments.id)],
  }, q);

export interface ProductFilter {
  id?: string | null;
  sku?: string | null;
  barcode?: string | null;
  groupId?: string | null;
  /** Only products that track stock (items). */
  tracked?: boolean;
}

const productFilters = (f: ProductFilter) => [
  f.id ? eq(products.id, f.id) : undefined,
  f.sku ? eq(products.sku, f.sku) : undefined,
  f.barcode ? eq(products.barcode, f.barcode) : undefined,
  f.groupId ? eq(products.departmentId, f.groupId) : undefined,
  f.tracked ? eq(products.trackStock, true) : undefined,
];

/** Products by name. With since, `kinds` says which changes bring a product into the window (its own by default). */
export const productList = (caller: PrincipalContext, secret: ListSecret, q: ListRequest & ProductFilter, kind = "product", kinds?: Record<string, ReturnType<typeof sql> | null>) =>
  entityList<typeof products, ProductRow>(caller, secret, {
    table: products, kind, kinds, filters: productFilters(q), filterKey: { id: q.id, sku: q.sku, barcode: q.barcode, groupId: q.groupId },
    orderBy: [asc(products.name), asc(products.sku), asc(products.id)],
  }, q);

/** The live departments of these ids (null where there is none). */
export async function departmentsByIds(caller: PrincipalContext, reads: ReadBatcher, ids: readonly string[]) {
  const { scope } = caller;
  const rows = (await reads.read(scope.select(departments, inJson(departments.id, ids), isNull(departments.deletedAt)))) as DepartmentRow[];
  return inKeyOrder(ids, rows, (r) => r.id, (found) => found[0] ?? null);
}

/** The products of these ids, deleted ones too (a sale line names a product that may be gone since). */
export async function productsByIds(caller: PrincipalContext, reads: ReadBatcher, ids: readonly string[]) {
  const { scope } = caller;
  const rows = (await reads.read(scope.select(products, inJson(products.id, ids)))) as ProductRow[];
  return inKeyOrder(ids, rows, (r) => r.id, (found) => found[0] ?? null);
}

/** The live tax rates of each of these tax groups, in the order they apply. */
export async function taxRatesByGroupIds(caller: PrincipalContext, reads: ReadBatcher, groupIds: readonly string[]) {
  const { scope } = caller;
  const rows = (await reads.read(
    scope.db
      .select({ id: taxRates.id, name: taxRates.name, rateMillionths: taxRates.rateMillionths, isCompound: taxRates.isCompound, sortOrder: taxGroupRates.sortOrder, taxGroupId: taxGroupRates.taxGroupId })
      .from(taxGroupRates)
      .innerJoin(taxRates, eq(taxRates.id, taxGroupRates.taxRateId))
      .where(and(eq(taxGroupRates.tenantId, scope.tenantId), eq(taxRates.tenantId, scope.tenantId), inJson(taxGroupRates.taxGroupId, groupIds), isNull(taxRates.deletedAt)))
      .orderBy(asc(taxGroupRates.sortOrder)),
  )) as TaxRateOfGroup[];
  return inKeyOrder(groupIds, rows, (r) => r.taxGroupId, (found) => found);
}

/** The live store prices of each of these products, by store. */
export async function storePricesByProductIds(caller: PrincipalContext, reads: ReadBatcher, productIds: readonly string[]) {
  const { scope } = caller;
  const rows = (await reads.read(scope.select(storePrices, inJson(storePrices.productId, productIds), isNull(storePrices.deletedAt)).orderBy(asc(storePrices.storeId)))) as StorePriceRow[];
  return inKeyOrder(productIds, rows, (r) => r.productId, (found) => found);
}

/** The stores of these ids, deleted ones too (a sale names its store whatever became of it). */
export async function storesByIds(caller: PrincipalContext, reads: ReadBatcher, ids: readonly string[]) {
  const { scope } = caller;
  const rows = (await reads.read(scope.select(stores, inJson(stores.id, ids)))) as StoreRow[];
  return inKeyOrder(ids, rows, (r) => r.id, (found) => found[0] ?? null);
}
