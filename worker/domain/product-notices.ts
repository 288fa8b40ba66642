import { eq, sql, type SQL } from "drizzle-orm";
import type { z } from "zod";
import type { PageQuery } from "../../schema/contracts/common";
import {
  noticeProblems, type CreateProductNoticeBody, type ProductNotice, type ProductNoticeQuery, type UpdateProductNoticeBody,
} from "../../schema/contracts/product-display";
import { departments, productNotices, products } from "../../schema/db";
import { matchesSearch, searchText } from "../db/search";
import type { TenantScope } from "../db/tenant-scope";
import type { PrincipalContext } from "./context";
import { entityService } from "./entity";
import { conflict, validationFailed } from "./errors";
import { requirePermission } from "./principal-access";
import { requireReferences, type Reference } from "./references";
import { toIso } from "./versioning";

/**
 * Notices a till shows when a product is sold or looked at ("Age check: 18+", "Contains nuts"), for the products
 * and departments they list. A notice with severity requires_confirmation stops the sale of the line until the
 * cashier confirms; `minimumAge` says which age to check.
 */

type Row = typeof productNotices.$inferSelect;
const N = productNotices;

export const noticeDto = (r: Row): ProductNotice => ({
  id: r.id, name: r.name, text: r.text, severity: r.severity, minimumAge: r.minimumAge, productIds: r.productIds, departmentIds: r.departmentIds,
  isActive: r.isActive, version: r.version, createdAt: toIso(r.createdAt), updatedAt: toIso(r.updatedAt),
});

export const noticeEntity = entityService({
  label: "Product notice", kind: "product_notice", table: N, toDto: noticeDto, searchText: (r: Row) => searchText([r.name, r.text]),
  unique: (r: Row) => [{ column: "product_notices.name", error: () => conflict("PRODUCT_NOTICE_NAME_TAKEN", `A product notice named ${r.name} already exists`) }],
});

const lists = (column: typeof N.productIds | typeof N.departmentIds, id: unknown) => sql`EXISTS (SELECT 1 FROM json_each(${column}) WHERE value = ${id})`;

/** The notice applies to the product: it lists the product, or the product's department. */
export function noticeAppliesTo(scope: TenantScope, productId: string): SQL {
  const departmentOf = scope.db.select({ id: products.departmentId }).from(products).where(scope.where(products, eq(products.id, productId)));
  return sql`(${lists(N.productIds, productId)} OR EXISTS (SELECT 1 FROM json_each(${N.departmentIds}) WHERE value IN ${departmentOf}))`;
}

/** The notice lists the department. */
export const noticeListsDepartment = (departmentId: string) => lists(N.departmentIds, departmentId);

const references = (b: { productIds?: string[]; departmentIds?: string[] }): Reference[] => [
  { field: "productIds", table: products, ids: b.productIds, noun: "a product" },
  { field: "departmentIds", table: departments, ids: b.departmentIds, noun: "a department" },
];
const REFERENCES_MESSAGE = "The notice names products or departments that do not exist";

export const productNoticeService = {
  list(ctx: PrincipalContext, q: z.output<typeof ProductNoticeQuery> & PageQuery) {
    requirePermission(ctx.principal, "products.view");
    return noticeEntity.list(ctx, q, [
      matchesSearch(N.searchText, q.search),
      q.isActive === undefined ? undefined : eq(N.isActive, q.isActive),
      q.severity ? eq(N.severity, q.severity) : undefined,
      q.productId ? noticeAppliesTo(ctx.scope, q.productId) : undefined,
      q.departmentId ? noticeListsDepartment(q.departmentId) : undefined,
    ], sql`${N.name}, ${N.id}`);
  },

  get(ctx: PrincipalContext, id: string) {
    requirePermission(ctx.principal, "products.view");
    return noticeEntity.get(ctx, id);
  },

  async create(ctx: PrincipalContext, body: z.output<typeof CreateProductNoticeBody>) {
    requirePermission(ctx.principal, "products.create");
    await requireReferences(ctx.scope, references(body), REFERENCES_MESSAGE);
    return noticeEntity.create(ctx, body);
  },

  /** Fields left out stay; the notice as it would then be must hold together (400 naming the field). */
  async update(ctx: PrincipalContext, id: string, { version: _v, ...changes }: z.output<typeof UpdateProductNoticeBody>, expectedVersion: number | undefined) {
    requirePermission(ctx.principal, "products.edit");
    await requireReferences(ctx.scope, references(changes), REFERENCES_MESSAGE);
    return noticeEntity.update(ctx, id, (current) => {
      const next = { ...current, ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) } as Row;
      const problems = noticeProblems(next);
      if (problems.length) throw validationFailed(problems.map(([path, message]) => ({ path, message })));
      return changes;
    }, expectedVersion);
  },

  remove(ctx: PrincipalContext, id: string, expectedVersion: number | undefined) {
    requirePermission(ctx.principal, "products.delete");
    return noticeEntity.remove(ctx, id, expectedVersion);
  },
};
