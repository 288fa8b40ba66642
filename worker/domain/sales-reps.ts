import { asc, eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { CreateSalesRepBody, UpdateSalesRepBody } from "../../schema/contracts/catalogue";
import type { PageQuery } from "../../schema/contracts/common";
import { salesReps, users } from "../../schema/db";
import { matchesSearch, searchText } from "../db/search";
import type { TenantScope } from "../db/tenant-scope";
import { conflict } from "./errors";
import type { ServiceContext } from "./context";
import { entityService, plainDto, withNulls } from "./entity";
import { requireReferences } from "./references";

type Row = typeof salesReps.$inferSelect;

const entity = entityService({
  label: "Sales rep",
  kind: "sales_rep",
  table: salesReps,
  toDto: (r: Row) => plainDto(r),
  searchText: (r: Row) => searchText([r.name, r.code]),
  unique: (r: Row) => [{ column: "sales_reps.code", error: () => conflict("SALES_REP_CODE_TAKEN", `A sales rep with code ${r.code} already exists`) }],
});

/** A sales rep may be linked to a user of this tenant (so the till can preselect them): 422 naming userId if not. */
const checkUser = (scope: TenantScope, userId: string | null | undefined) =>
  requireReferences(scope, [{ field: "userId", table: users, ids: userId, noun: "a user" }], "userId is not a user of this tenant");

export const salesRepService = {
  list: (ctx: ServiceContext, q: PageQuery & { search?: string; isActive?: boolean }) =>
    entity.list(ctx, q, [
      matchesSearch(salesReps.searchText, q.search),
      q.isActive === undefined ? undefined : eq(salesReps.isActive, q.isActive),
    ], sql`${asc(salesReps.name)}, ${asc(salesReps.id)}`),
  get: entity.get,
  async create(ctx: ServiceContext, b: z.output<typeof CreateSalesRepBody>) {
    await checkUser(ctx.scope, b.userId);
    return entity.create(ctx, withNulls(b, ["email", "phone", "userId"] as const));
  },
  async update(ctx: ServiceContext, id: string, { version: _v, ...b }: z.output<typeof UpdateSalesRepBody>, v: number | undefined) {
    await checkUser(ctx.scope, b.userId);
    return entity.update(ctx, id, b, v);
  },
  toggleActive: (ctx: ServiceContext, id: string, v: number | undefined) => entity.update(ctx, id, (current) => ({ isActive: !current.isActive }), v),
  remove: (ctx: ServiceContext, id: string, v: number | undefined) => entity.remove(ctx, id, v),
};
