import { eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { PageQuery } from "../../schema/contracts/common";
import type { CreateProductSectionBody, ProductSection, ProductSectionQuery, UpdateProductSectionBody } from "../../schema/contracts/product-display";
import { productSections, products } from "../../schema/db";
import { matchesSearch, searchText } from "../db/search";
import type { PrincipalContext } from "./context";
import { entityService } from "./entity";
import { conflict } from "./errors";
import { requirePermission } from "./principal-access";
import { requireReferences } from "./references";
import { toIso } from "./versioning";

/** Named sections of the till's product layout, each with its products in display order (a product may be in several). */

type Row = typeof productSections.$inferSelect;
const S = productSections;

export const sectionDto = (r: Row): ProductSection => ({
  id: r.id, name: r.name, productIds: r.productIds, color: r.color, sortOrder: r.sortOrder, isActive: r.isActive,
  version: r.version, createdAt: toIso(r.createdAt), updatedAt: toIso(r.updatedAt),
});

export const sectionEntity = entityService({
  label: "Product section", kind: "product_section", table: S, toDto: sectionDto, searchText: (r: Row) => searchText([r.name]),
  unique: (r: Row) => [{ column: "product_sections.name", error: () => conflict("PRODUCT_SECTION_NAME_TAKEN", `A product section named ${r.name} already exists`) }],
});

const checkProducts = (ctx: PrincipalContext, productIds: string[] | undefined) =>
  requireReferences(ctx.scope, [{ field: "productIds", table: products, ids: productIds, noun: "a product" }], "The section lists products that do not exist");

export const productSectionService = {
  list(ctx: PrincipalContext, q: z.output<typeof ProductSectionQuery> & PageQuery) {
    requirePermission(ctx.principal, "products.view");
    return sectionEntity.list(ctx, q, [
      matchesSearch(S.searchText, q.search),
      q.isActive === undefined ? undefined : eq(S.isActive, q.isActive),
      q.productId ? sql`EXISTS (SELECT 1 FROM json_each(${S.productIds}) WHERE value = ${q.productId})` : undefined,
    ], sql`${S.sortOrder}, ${S.name}, ${S.id}`);
  },

  get(ctx: PrincipalContext, id: string) {
    requirePermission(ctx.principal, "products.view");
    return sectionEntity.get(ctx, id);
  },

  async create(ctx: PrincipalContext, body: z.output<typeof CreateProductSectionBody>) {
    requirePermission(ctx.principal, "products.create");
    await checkProducts(ctx, body.productIds);
    return sectionEntity.create(ctx, body);
  },

  /** `productIds`, when given, replaces the whole list (in its new order). */
  async update(ctx: PrincipalContext, id: string, { version: _v, ...changes }: z.output<typeof UpdateProductSectionBody>, expectedVersion: number | undefined) {
    requirePermission(ctx.principal, "products.edit");
    await checkProducts(ctx, changes.productIds);
    return sectionEntity.update(ctx, id, changes, expectedVersion);
  },

  remove(ctx: PrincipalContext, id: string, expectedVersion: number | undefined) {
    requirePermission(ctx.principal, "products.delete");
    return sectionEntity.remove(ctx, id, expectedVersion);
  },
};
