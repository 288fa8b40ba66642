import { and, eq, gt, isNull, lte, or, sql } from "drizzle-orm";
import type { z } from "zod";
import {
  bannerProblems, type CreateProductBannerBody, type ProductBanner, type ProductBannerQuery, type UpdateProductBannerBody,
} from "../../schema/contracts/product-display";
import type { PageQuery } from "../../schema/contracts/common";
import { departments, productBanners, products } from "../../schema/db";
import { matchesSearch, searchText } from "../db/search";
import type { PrincipalContext } from "./context";
import { entityService } from "./entity";
import { validationFailed } from "./errors";
import { requirePermission } from "./principal-access";
import { requireReferences, type Reference } from "./references";
import { toIso, toIsoOrNull } from "./versioning";

/**
 * Promotional banners a till shows (products.* permissions, like the rest of the catalogue): a title, text, an
 * https image, a link to a product or a department or nothing, a window [activeFrom, activeUntil) in UTC and a
 * place in the list. A linked product or department must be a live one of the tenant when the banner is written.
 */

type Row = typeof productBanners.$inferSelect;
const B = productBanners;

export const bannerDto = (r: Row): ProductBanner => ({
  id: r.id, title: r.title, text: r.text, imageUrl: r.imageUrl, productId: r.productId, departmentId: r.departmentId,
  activeFrom: toIsoOrNull(r.activeFrom), activeUntil: toIsoOrNull(r.activeUntil), sortOrder: r.sortOrder, isActive: r.isActive,
  version: r.version, createdAt: toIso(r.createdAt), updatedAt: toIso(r.updatedAt),
});

export const bannerEntity = entityService({
  label: "Product banner", kind: "product_banner", table: B, toDto: bannerDto, searchText: (r: Row) => searchText([r.title, r.text]),
});

const ms = (iso: string | null | undefined) => (iso === undefined ? undefined : iso === null ? null : Date.parse(iso));

const references = (b: { productId?: string | null; departmentId?: string | null }): Reference[] => [
  { field: "productId", table: products, ids: b.productId, noun: "a product" },
  { field: "departmentId", table: departments, ids: b.departmentId, noun: "a department" },
];
const REFERENCES_MESSAGE = "The banner links to a product or department that does not exist";

export const productBannerService = {
  list(ctx: PrincipalContext, q: z.output<typeof ProductBannerQuery> & PageQuery) {
    requirePermission(ctx.principal, "products.view");
    const at = ms(q.activeAt);
    return bannerEntity.list(ctx, q, [
      matchesSearch(B.searchText, q.search),
      q.isActive === undefined ? undefined : eq(B.isActive, q.isActive),
      at == null ? undefined : and(eq(B.isActive, true), or(isNull(B.activeFrom), lte(B.activeFrom, at)), or(isNull(B.activeUntil), gt(B.activeUntil, at))),
      q.productId ? eq(B.productId, q.productId) : undefined,
      q.departmentId ? eq(B.departmentId, q.departmentId) : undefined,
    ], sql`${B.sortOrder}, ${B.title}, ${B.id}`);
  },

  get(ctx: PrincipalContext, id: string) {
    requirePermission(ctx.principal, "products.view");
    return bannerEntity.get(ctx, id);
  },

  async create(ctx: PrincipalContext, body: z.output<typeof CreateProductBannerBody>) {
    requirePermission(ctx.principal, "products.create");
    await requireReferences(ctx.scope, references(body), REFERENCES_MESSAGE);
    return bannerEntity.create(ctx, { ...body, activeFrom: ms(body.activeFrom)!, activeUntil: ms(body.activeUntil)! });
  },

  /** Fields left out stay; the banner as it would then be must hold together (400 naming the field). */
  async update(ctx: PrincipalContext, id: string, { version: _v, ...body }: z.output<typeof UpdateProductBannerBody>, expectedVersion: number | undefined) {
    requirePermission(ctx.principal, "products.edit");
    await requireReferences(ctx.scope, references(body), REFERENCES_MESSAGE);
    const changes = { ...body, activeFrom: ms(body.activeFrom), activeUntil: ms(body.activeUntil) };
    return bannerEntity.update(ctx, id, (current) => {
      const next = { ...current, ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) } as Row;
      const problems = bannerProblems(next);
      if (problems.length) throw validationFailed(problems.map(([path, message]) => ({ path, message })));
      return changes;
    }, expectedVersion);
  },

  remove(ctx: PrincipalContext, id: string, expectedVersion: number | undefined) {
    requirePermission(ctx.principal, "products.delete");
    return bannerEntity.remove(ctx, id, expectedVersion);
  },
};
