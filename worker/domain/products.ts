import { asc, eq, isNull, or } from "drizzle-orm";
import type { z } from "zod";
import type { PageQuery } from "../../schema/contracts/common";
import type { CreateProductBody, Product, UpdateProductBody } from "../../schema/contracts/products";
import { departments, products, taxGroupRates, taxGroups, taxRates } from "../../schema/db";
import { toBasisPoints } from "../../schema/money";
import { contains } from "../db/paging";
import type { TenantScope } from "../db/tenant-scope";
import { conflict, notFound, unprocessable, type FieldError } from "../http/errors";
import type { ServiceContext } from "./context";
import { entityService } from "./entity";
import { toIso } from "./versioning";

type ProductRow = typeof products.$inferSelect;

export const productDto = (p: ProductRow): Product => ({
  id: p.id,
  sku: p.sku,
  barcode: p.barcode,
  name: p.name,
  description: p.description,
  departmentId: p.departmentId,
  taxGroupId: p.taxGroupId,
  costPrice: p.costPrice,
  sellPrice: p.sellPrice,
  trackStock: p.trackStock,
  isActive: p.isActive,
  version: p.version,
  createdAt: toIso(p.createdAt),
  updatedAt: toIso(p.updatedAt),
});

export const productUniqueRules = (row: { sku: string; barcode: string | null }) => [
  { column: "products.sku", error: () => conflict("SKU_TAKEN", `Another product has SKU ${row.sku}`) },
  { column: "products.barcode", error: () => conflict("BARCODE_TAKEN", `Another product has barcode ${row.barcode}`) },
];

const productEntity = entityService({ label: "Product", kind: "product", table: products, toDto: productDto, unique: (row: ProductRow) => productUniqueRules(row) });
const live = isNull(products.deletedAt);
const NONE = "00000000-0000-0000-0000-000000000000";

/** The tax rates of a group, in the order they apply. */
export function groupRatesQuery(scope: TenantScope, groupId: string | null) {
  return scope.db
    .select({ id: taxRates.id, name: taxRates.name, rateMillionths: taxRates.rateMillionths, isCompound: taxRates.isCompound, sortOrder: taxGroupRates.sortOrder })
    .from(taxGroupRates)
    .innerJoin(taxRates, eq(taxRates.id, taxGroupRates.taxRateId))
    .where(scope.where(taxGroupRates, eq(taxGroupRates.taxGroupId, groupId ?? NONE), isNull(taxRates.deletedAt)))
    .orderBy(asc(taxGroupRates.sortOrder));
}

export const taxRateDto = (r: { id: string; name: string; rateMillionths: number; isCompound: boolean; sortOrder: number }) => ({
  ...r,
  rate: toBasisPoints(r.rateMillionths),
});

/** 422 naming each department or tax group that is not one of this tenant's live rows. */
async function checkReferences(scope: TenantScope, refs: { departmentId?: string | null; taxGroupId?: string | null }) {
  const [departmentRows, groupRows] = await scope.db.batch([
    scope.select(departments, eq(departments.id, refs.departmentId ?? NONE), isNull(departments.deletedAt)),
    scope.select(taxGroups, eq(taxGroups.id, refs.taxGroupId ?? NONE), isNull(taxGroups.deletedAt)),
  ]);
  const fields: FieldError[] = [];
  if (refs.departmentId && departmentRows.length === 0) fields.push({ path: "departmentId", message: "is not a department of this tenant" });
  if (refs.taxGroupId && groupRows.length === 0) fields.push({ path: "taxGroupId", message: "is not a tax group of this tenant" });
  if (fields.length) throw unprocessable("UNKNOWN_REFERENCE", "The product names a department or tax group that does not exist", fields);
}

export function listProducts(ctx: ServiceContext, query: PageQuery & { search?: string; departmentId?: string; isActive?: boolean }) {
  return productEntity.list(
    ctx,
    query,
    [
      query.search ? or(contains(products.name, query.search), contains(products.sku, query.search), contains(products.barcode, query.search)) : undefined,
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
    scope.db
      .select({ id: taxRates.id, name: taxRates.name, rateMillionths: taxRates.rateMillionths, isCompound: taxRates.isCompound, sortOrder: taxGroupRates.sortOrder })
      .from(products)
      .innerJoin(taxGroupRates, eq(taxGroupRates.taxGroupId, products.taxGroupId))
      .innerJoin(taxRates, eq(taxRates.id, taxGroupRates.taxRateId))
      .where(scope.where(products, eq(products.id, id), isNull(taxRates.deletedAt)))
      .orderBy(asc(taxGroupRates.sortOrder)),
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
  await checkReferences(ctx.scope, body);
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
  await checkReferences(ctx.scope, changes);
  return productEntity.update(ctx, id, changes, expectedVersion);
}

export const toggleProductActive = (ctx: ServiceContext, id: string, expectedVersion: number | undefined) =>
  productEntity.update(ctx, id, (current) => ({ isActive: !current.isActive }), expectedVersion);

export const deleteProduct = (ctx: ServiceContext, id: string, expectedVersion: number | undefined) => productEntity.remove(ctx, id, expectedVersion);
