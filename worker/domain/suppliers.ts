import { asc, eq, or } from "drizzle-orm";
import type { z } from "zod";
import type { CreateSupplierBody, UpdateSupplierBody } from "../../schema/contracts/catalogue";
import type { PageQuery } from "../../schema/contracts/common";
import { suppliers } from "../../schema/db";
import { contains } from "../db/paging";
import { conflict } from "../http/errors";
import type { ServiceContext } from "./context";
import { entityService, plainDto, withNulls } from "./entity";

type Row = typeof suppliers.$inferSelect;

const entity = entityService({
  label: "Supplier",
  kind: "supplier",
  table: suppliers,
  toDto: (r: Row) => plainDto(r),
  unique: (r: Row) => [{ column: "suppliers.code", error: () => conflict("SUPPLIER_CODE_TAKEN", `A supplier with code ${r.code} already exists`) }],
});

export const supplierService = {
  list: (ctx: ServiceContext, q: PageQuery & { search?: string; isActive?: boolean }) =>
    entity.list(ctx, q, [
      q.search ? or(contains(suppliers.name, q.search), contains(suppliers.code, q.search), contains(suppliers.contactName, q.search)) : undefined,
      q.isActive === undefined ? undefined : eq(suppliers.isActive, q.isActive),
    ], asc(suppliers.name)),
  get: entity.get,
  create: (ctx: ServiceContext, b: z.output<typeof CreateSupplierBody>) =>
    entity.create(ctx, withNulls(b, ["code", "contactName", "email", "phone", "address", "notes"] as const)),
  update: (ctx: ServiceContext, id: string, { version: _v, ...b }: z.output<typeof UpdateSupplierBody>, v: number | undefined) => entity.update(ctx, id, b, v),
  remove: (ctx: ServiceContext, id: string, v: number | undefined) => entity.remove(ctx, id, v),
};
