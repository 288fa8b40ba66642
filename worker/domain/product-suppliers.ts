import { and, asc, desc, eq, isNull, ne } from "drizzle-orm";
import type { z } from "zod";
import type { LinkSupplierBody, ProductSupplier, UpdateProductSupplierBody } from "../../schema/contracts/products";
import { productSuppliers, products, suppliers } from "../../schema/db";
import type { Statement } from "../db/batch";
import { conflict, notFound, businessRule } from "./errors";
import { updateEach } from "./cascade";
import type { ServiceContext } from "./context";
import { entityService } from "./entity";
import { toIso } from "./versioning";

/**
 * The suppliers of a product (the spec's product–supplier links): what each supplier calls the product and
 * charges for it. One link per product and supplier; at most one primary supplier per product (making a link
 * primary makes the product's other links not primary, in the same batch, each with its feed row).
 */

type LinkRow = typeof productSuppliers.$inferSelect;
type SupplierNames = { supplierName: string; supplierCode: string | null };

const linkDto = (r: LinkRow) => ({
  id: r.id,
  productId: r.productId,
  supplierId: r.supplierId,
  supplierSku: r.supplierSku,
  costPrice: r.costPrice,
  isPrimary: r.isPrimary,
  version: r.version,
  createdAt: toIso(r.createdAt),
  updatedAt: toIso(r.updatedAt),
});

const withNames = (link: ReturnType<typeof linkDto>, names: SupplierNames): ProductSupplier => ({ ...link, ...names });

const linkEntity = entityService({
  label: "Product supplier link",
  kind: "product_supplier",
  table: productSuppliers,
  toDto: linkDto,
  unique: (r: LinkRow) => [
    { column: "product_suppliers.supplier_id", error: () => conflict("SUPPLIER_ALREADY_LINKED", `Supplier ${r.supplierId} is already linked to this product`) },
  ],
});

const liveProduct = (ctx: ServiceContext, productId: string) => ctx.scope.select(products, eq(products.id, productId), isNull(products.deletedAt));

/** The other links of a product stop being primary. */
const clearOtherPrimaries = (ctx: ServiceContext, productId: string, keepId: string): Statement[] =>
  updateEach(ctx.scope, {
    table: productSuppliers,
    kind: "product_supplier",
    where: and(eq(productSuppliers.productId, productId), eq(productSuppliers.isPrimary, true), ne(productSuppliers.id, keepId))!,
    set: { isPrimary: false },
    now: ctx.request.now,
  });

/** A product's live link to a supplier, with the supplier's name and code (a deleted product has none). */
function linkQuery(ctx: ServiceContext, productId: string, supplierId?: string) {
  const { scope } = ctx;
  return scope.db
    .select({ link: productSuppliers, supplierName: suppliers.name, supplierCode: suppliers.code })
    .from(productSuppliers)
    .innerJoin(suppliers, eq(suppliers.id, productSuppliers.supplierId))
    .innerJoin(products, and(eq(products.id, productSuppliers.productId), isNull(products.deletedAt)))
    .where(scope.where(productSuppliers, eq(productSuppliers.productId, productId), supplierId ? eq(productSuppliers.supplierId, supplierId) : undefined, isNull(productSuppliers.deletedAt)));
}

async function findLink(ctx: ServiceContext, productId: string, supplierId: string) {
  const [found] = await linkQuery(ctx, productId, supplierId);
  if (!found) throw notFound("Product supplier link");
  return found;
}

/** The suppliers of a product, primary first, then by name; one round trip. */
export async function listProductSuppliers(ctx: ServiceContext, productId: string): Promise<ProductSupplier[]> {
  const [product, links] = await ctx.scope.db.batch([
    liveProduct(ctx, productId),
    linkQuery(ctx, productId).orderBy(desc(productSuppliers.isPrimary), asc(suppliers.name)),
  ]);
  if (product.length === 0) throw notFound("Product");
  return links.map((l) => withNames(linkDto(l.link), l));
}

export async function linkSupplier(ctx: ServiceContext, productId: string, body: z.output<typeof LinkSupplierBody>): Promise<ProductSupplier> {
  const { scope } = ctx;
  const [product, supplier] = await scope.db.batch([
    liveProduct(ctx, productId),
    scope.select(suppliers, eq(suppliers.id, body.supplierId), isNull(suppliers.deletedAt)),
  ]);
  if (product.length === 0) throw notFound("Product");
  const s = supplier[0] as typeof suppliers.$inferSelect | undefined;
  if (!s) throw businessRule("UNKNOWN_REFERENCE", "The supplier does not exist", [{ path: "supplierId", message: "is not a supplier of this tenant" }]);
  const id = crypto.randomUUID();
  const created = await linkEntity.create(
    ctx,
    { id, productId, supplierId: s.id, supplierSku: body.supplierSku ?? null, costPrice: body.costPrice ?? null, isPrimary: body.isPrimary },
    body.isPrimary ? clearOtherPrimaries(ctx, productId, id) : [],
  );
  return withNames(created, { supplierName: s.name, supplierCode: s.code });
}

export async function updateProductSupplier(
  ctx: ServiceContext,
  productId: string,
  supplierId: string,
  { version: _version, ...changes }: z.output<typeof UpdateProductSupplierBody>,
  expectedVersion: number | undefined,
): Promise<ProductSupplier> {
  const found = await findLink(ctx, productId, supplierId);
  const updated = await linkEntity.update(ctx, found.link.id, changes, expectedVersion, (next) =>
    next.isPrimary && !found.link.isPrimary ? clearOtherPrimaries(ctx, productId, next.id) : [],
  );
  return withNames(updated, found);
}

export async function unlinkSupplier(ctx: ServiceContext, productId: string, supplierId: string, expectedVersion: number | undefined) {
  const found = await findLink(ctx, productId, supplierId);
  await linkEntity.remove(ctx, found.link.id, expectedVersion);
}
