import { and, eq, ne, sql } from "drizzle-orm";
import type { z } from "zod";
import type { PageQuery } from "../../schema/contracts/common";
import {
  sortOptionProblems, type CreateProductSortOptionBody, type ProductSortOption, type ProductSortOptionQuery, type UpdateProductSortOptionBody,
} from "../../schema/contracts/product-display";
import { productSortOptions } from "../../schema/db";
import { updateEach } from "./cascade";
import type { PrincipalContext } from "./context";
import { entityService } from "./entity";
import { conflict, validationFailed } from "./errors";
import { requirePermission } from "./principal-access";
import { toIso } from "./versioning";

/**
 * Named ways to sort product lists (a field and a direction), in the order a till offers them. At most one per
 * tenant is the default (a partial unique index says so): making one the default takes the flag from the one
 * that had it, in the same batch (that one gets a new version and a change-feed row too). The default must be
 * active and cannot be deleted; make another the default, or clear its flag, first.
 */

type Row = typeof productSortOptions.$inferSelect;
const O = productSortOptions;

export const sortOptionDto = (r: Row): ProductSortOption => ({
  id: r.id, name: r.name, field: r.field, direction: r.direction, isDefault: r.isDefault, sortOrder: r.sortOrder, isActive: r.isActive,
  version: r.version, createdAt: toIso(r.createdAt), updatedAt: toIso(r.updatedAt),
});

export const sortOptionEntity = entityService({
  label: "Product sort option", kind: "product_sort_option", table: O, toDto: sortOptionDto,
  // In this order: the default index's columns are a prefix of neither other index's message.
  unique: (r: Row) => [
    { column: "product_sort_options.name", error: () => conflict("SORT_OPTION_NAME_TAKEN", `A sort option named ${r.name} already exists`) },
    { column: "product_sort_options.field", error: () => conflict("SORT_OPTION_EXISTS", `A sort option by ${r.field} ${r.direction} already exists`) },
    { column: "product_sort_options.is_default", error: () => conflict("SORT_OPTION_DEFAULT_TAKEN", "Another sort option became the default meanwhile; try again") },
  ],
});

/** Statements that take the default flag from every other option (before the write that gives it to `id`). */
const takeDefault = (ctx: PrincipalContext, id: string) =>
  updateEach(ctx.scope, { table: O, kind: "product_sort_option", where: and(eq(O.isDefault, true), ne(O.id, id))!, set: { isDefault: false }, now: ctx.request.now });

const checked = <T extends { isDefault: boolean; isActive: boolean }>(s: T) => {
  const problems = sortOptionProblems(s);
  if (problems.length) throw validationFailed(problems.map(([path, message]) => ({ path, message })));
  return s;
};

export const productSortOptionService = {
  list(ctx: PrincipalContext, q: z.output<typeof ProductSortOptionQuery> & PageQuery) {
    requirePermission(ctx.principal, "products.view");
    return sortOptionEntity.list(ctx, q, [q.isActive === undefined ? undefined : eq(O.isActive, q.isActive)], sql`${O.sortOrder}, ${O.name}, ${O.id}`);
  },

  get(ctx: PrincipalContext, id: string) {
    requirePermission(ctx.principal, "products.view");
    return sortOptionEntity.get(ctx, id);
  },

  create(ctx: PrincipalContext, body: z.output<typeof CreateProductSortOptionBody>) {
    requirePermission(ctx.principal, "products.create");
    const id = body.id ?? crypto.randomUUID();
    return sortOptionEntity.create(ctx, { ...body, id }, [], body.isDefault ? takeDefault(ctx, id) : []);
  },

  update(ctx: PrincipalContext, id: string, { version: _v, ...changes }: z.output<typeof UpdateProductSortOptionBody>, expectedVersion: number | undefined) {
    requirePermission(ctx.principal, "products.edit");
    return sortOptionEntity.update(
      ctx,
      id,
      (current) => {
        checked({ isDefault: changes.isDefault ?? current.isDefault, isActive: changes.isActive ?? current.isActive });
        return changes;
      },
      expectedVersion,
      () => [],
      (next) => (next.isDefault ? takeDefault(ctx, id) : []),
    );
  },

  remove(ctx: PrincipalContext, id: string, expectedVersion: number | undefined) {
    requirePermission(ctx.principal, "products.delete");
    return sortOptionEntity.remove(ctx, id, expectedVersion, [], (current) => {
      if (current.isDefault) throw conflict("SORT_OPTION_IS_DEFAULT", "This is the default sort option; make another the default (or clear isDefault) first");
    });
  },
};
