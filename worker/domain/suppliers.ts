import { asc, eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { CreateSupplierBody, UpdateSupplierBody } from "../../schema/contracts/catalogue";
import type { PageQuery } from "../../schema/contracts/common";
import { productSuppliers, suppliers } from "../../schema/db";
import { matchesSearch, searchText } from "../db/search";
import { conflict } from "./errors";
import { updateEach } from "./cascade";
import type { ServiceContext } from "./context";
import { entityService, plainDto, withNulls } from "./entity";

type Row = typeof suppliers.$inferSelect;

const entity = entityService({
  label: "Supplier",
  kind: "supplier",
  table: suppliers,
  toDto: (r: Row) => plainDto(r),
  searchText: (r: Row) => searchText([r.name, r.code, r.contactName]),
  unique: (r: Row) => [{ column: "suppliers.code", error: () => conflict("SUPPLIER_CODE_TAKEN", `A supplier with code ${r.code} already exists`) }],
});

export const supplierService = {
  list: (ctx: ServiceContext, q: PageQuery & { search?: string; isActive?: boolean }) =>
    entity.list(ctx, q, [
      matchesSearch(suppliers.searchText, q.search),
      q.isActive === undefined ? undefined : eq(suppliers.isActive, q.isActive),
    ], sql`${asc(suppliers.name)}, ${asc(suppliers.id)}`),
  get: entity.get,
  create: (ctx: ServiceContext, b: z.output<typeof CreateSupplierBody>) =>
    entity.create(ctx, withNulls(b, ["code", "contactName", "email", "phone", "address", "notes"] as const)),
  update: (ctx: ServiceContext, id: string, { version: _v, ...b }: z.output<typeof UpdateSupplierBody>, v: number | undefined) => entity.update(ctx, id, b, v),
  /** Soft delete; the supplier's product links go with it, in the same batch, each with its change-feed row. */
  remove: (ctx: ServiceContext, id: string, v: number | undefined) =>
    entity.remove(ctx, id, v, updateEach(ctx.scope, {
      table: productSuppliers, kind: "product_supplier", where: eq(productSuppliers.supplierId, id), op: "delete", now: ctx.request.now,
    })),
};
