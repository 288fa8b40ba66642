import { asc, eq, isNull } from "drizzle-orm";
import type { z } from "zod";
import type { PageQuery } from "../../schema/contracts/common";
import type { CreateProductBody, Product, UpdateProductBody } from "../../schema/contracts/products";
import { departments, productSuppliers, products, storePrices, taxGroupRates, taxGroups, taxRates } from "../../schema/db";
import { toBasisPoints } from "../../schema/money";
import { matchesSearch, searchText } from "../db/search";
import type { TenantScope } from "../db/tenant-scope";
import { conflict, notFound } from "./errors";
import { updateEach } from "./cascade";
import type { ServiceContext } from "./context";
import { entityService, plainDto } from "./entity";
import { requireReferences, type Reference } from "./references";

type ProductRow = typeof products.$inferSelect;

export const productDto = (row: ProductRow): Product => plainDto(row);

export const productUniqueRules = (row: { sku: string; barcode: string | null }) => [
  { column: "products.sku", error: () => conflict("SKU_TAKEN", `Another product has SKU ${row.sku}`) },
  { column: "products.barcode", error: () => conflict("BARCODE_TAKEN", `Another product has barcode ${row.barcode}`) },
];

/**
 * A product's `search_text`: its name, SKU and barcode. Every write of those fields should write it too
 * (worksheets' apply among them); one that does not gets the database triggers' fold instead (migration 0004),
 * which SQL can only do for some scripts.
 */
export const productSearchText = (p: Pick<ProductRow, "name" | "sku" | "barcode">) => searchText([p.name, p.sku, p.barcode]);

const productEntity = entityService({
  label: "Product", kind: "product", table: products, toDto: productDto, unique: (row: ProductRow) => productUniqueRules(row), searchText: productSearchText,
});
const live = isNull(products.deletedAt);

/** The tax rates of a product (its group's, in the order they apply), reached through the product. */
export function productRatesQuery(scope: TenantScope, productId: string) {
  return scope.db
    .select({ id: taxRates.id, name: taxRates.name, rateMillionths: taxRates.rateMillionths, isCompound: taxRates.isCompound, sortOrder: taxGroupRates.sortOrder })
    .from(products)
    .innerJoin(taxGroupRates, eq(taxGroupRates.taxGroupId, products.taxGroupId))
    .innerJoin(taxRates, eq(taxRates.id, taxGroupRates.taxRateId))
    .where(scope.where(products, eq(products.id, productId), isNull(taxRates.deletedAt)))
    .orderBy(asc(taxGroupRates.sortOrder));
}

export const taxRateDto = (r: { id: string; name: string; rateMillionths: number; isCompound: boolean; sortOrder: number }) => ({
  ...r,
  rate: toBasisPoints(r.rateMillionths),
});

/** What a product names: a department and a tax group, this tenant's live ones. */
const productReferences = (refs: { departmentId?: string | null; taxGroupId?: string | null }): Reference[] => [
  { field: "departmentId", table: departments, ids: refs.departmentId, noun: "a department" },
  { field: "taxGroupId", table: taxGroups, ids: refs.taxGroupId, noun: "a tax group" },
];
const REFERENCES_MESSAGE = "The product names a department or tax group that does not exist";

export function listProducts(ctx: ServiceContext, query: PageQuery & { search?: string; departmentId?: string; isActive?: boolean }) {
  return productEntity.list(
    ctx,
    query,
    [
      matchesSearch(products.searchText, query.search),
      query.departmentId ? eq(products.departmentId, query.departmentId) : undefined,
      query.isActive === undefined ? undefined : eq(products.isActive, query.isActive),
    ],
    asc(products.name),
  );
}

/** A product with the rates of its tax group, in one round trip. */
export async function getProduct(ctx: ServiceContext, id: string) {
  const { scope } = ctx;
  const [rows, rates] = await scope.db.batch([
    scope.select(products, eq(products.id, id), live),
    productRatesQuery(scope, id),
  ]);
  const row = rows[0] as ProductRow | undefined;
  if (!row) throw notFound("Product");
  return { ...productDto(row), taxRates: rates.map(taxRateDto) };
}

export async function productByBarcode(ctx: ServiceContext, barcode: string) {
  const [row] = await ctx.scope.select(products, eq(products.barcode, barcode), live);
  if (!row) throw notFound("Product with that barcode");
  return getProduct(ctx, (row as ProductRow).id);
}

export async function createProduct(ctx: ServiceContext, body: z.output<typeof CreateProductBody>) {
  await requireReferences(ctx.scope, productReferences(body), REFERENCES_MESSAGE);
  return productEntity.create(ctx, {
    ...body,
    barcode: body.barcode ?? null,
    description: body.description ?? null,
    departmentId: body.departmentId ?? null,
    taxGroupId: body.taxGroupId ?? null,
  });
}

export async function updateProduct(ctx: ServiceContext, id: string, body: z.output<typeof UpdateProductBody>, expectedVersion: number | undefined) {
  const { version: _version, ...changes } = body;
  await requireReferences(ctx.scope, productReferences(changes), REFERENCES_MESSAGE);
  return productEntity.update(ctx, id, changes, expectedVersion);
}

export const toggleProductActive = (ctx: ServiceContext, id: string, expectedVersion: number | undefined) =>
  productEntity.update(ctx, id, (current) => ({ isActive: !current.isActive }), expectedVersion);

/**
 * Soft delete, as the spec says (isActive = false) and as every synced row is (deletedAt): the product leaves the
 * API, its SKU and barcode become free, and tills learn of it from the feed. Its store prices and supplier links
 * go with it in the same batch, each with its own feed row.
 */
export const deleteProduct = (ctx: ServiceContext, id: string, expectedVersion: number | undefined) => {
  const { scope, request } = ctx;
  return productEntity.remove(ctx, id, expectedVersion, [
    scope.update(products, { isActive: false }, eq(products.id, id)),
    ...updateEach(scope, { table: storePrices, kind: "store_price", where: eq(storePrices.productId, id), op: "delete", storeId: storePrices.storeId, now: request.now }),
    ...updateEach(scope, { table: productSuppliers, kind: "product_supplier", where: eq(productSuppliers.productId, id), op: "delete", now: request.now }),
  ]);
};
