import { asc, eq, isNull } from "drizzle-orm";
import type { z } from "zod";
import type { CreateDepartmentBody, UpdateDepartmentBody } from "../../schema/contracts/catalogue";
import type { PageQuery } from "../../schema/contracts/common";
import { departments, products } from "../../schema/db";
import { matchesSearch, searchText } from "../db/search";
import { conflict } from "./errors";
import type { ServiceContext } from "./context";
import { entityService, plainDto } from "./entity";

type Row = typeof departments.$inferSelect;

const entity = entityService({
  label: "Department",
  kind: "department",
  table: departments,
  toDto: (r: Row) => plainDto(r),
  searchText: (r: Row) => searchText([r.name, r.code]),
  unique: (r: Row) => [
    { column: "departments.name", error: () => conflict("DEPARTMENT_NAME_TAKEN", `A department named ${r.name} already exists`) },
    { column: "departments.code", error: () => conflict("DEPARTMENT_CODE_TAKEN", `A department with code ${r.code} already exists`) },
  ],
});

export const departmentService = {
  list: (ctx: ServiceContext, q: PageQuery & { search?: string; isActive?: boolean }) =>
    entity.list(ctx, q, [
      matchesSearch(departments.searchText, q.search),
      q.isActive === undefined ? undefined : eq(departments.isActive, q.isActive),
    ], asc(departments.name)),
  get: entity.get,
  create: (ctx: ServiceContext, b: z.output<typeof CreateDepartmentBody>) => entity.create(ctx, { ...b, code: b.code ?? null }),
  update: (ctx: ServiceContext, id: string, { version: _v, ...b }: z.output<typeof UpdateDepartmentBody>, v: number | undefined) => entity.update(ctx, id, b, v),
  /** A department live products still use cannot go (move or delete them first). */
  async remove(ctx: ServiceContext, id: string, v: number | undefined) {
    const [used] = await ctx.scope.select(products, eq(products.departmentId, id), isNull(products.deletedAt)).limit(1);
    if (used) throw conflict("DEPARTMENT_IN_USE", "Products still belong to this department; move them first");
    await entity.remove(ctx, id, v);
  },
};
