import { asc, eq, isNull, or } from "drizzle-orm";
import type { z } from "zod";
import type { CreateSalesRepBody, UpdateSalesRepBody } from "../../schema/contracts/catalogue";
import type { PageQuery } from "../../schema/contracts/common";
import { salesReps, users } from "../../schema/db";
import { contains } from "../db/paging";
import type { TenantScope } from "../db/tenant-scope";
import { conflict, unprocessable } from "../http/errors";
import type { ServiceContext } from "./context";
import { entityService, plainDto, withNulls } from "./entity";

type Row = typeof salesReps.$inferSelect;

const entity = entityService({
  label: "Sales rep",
  kind: "sales_rep",
  table: salesReps,
  toDto: (r: Row) => plainDto(r),
  unique: (r: Row) => [{ column: "sales_reps.code", error: () => conflict("SALES_REP_CODE_TAKEN", `A sales rep with code ${r.code} already exists`) }],
});

/** A sales rep may be linked to a user of this tenant (so the till can preselect them). */
async function checkUser(scope: TenantScope, userId: string | null | undefined) {
  if (!userId) return;
  const [found] = await scope.select(users, eq(users.id, userId), isNull(users.deletedAt));
  if (!found) throw unprocessable("UNKNOWN_REFERENCE", "userId is not a user of this tenant", [{ path: "userId", message: "is not a user of this tenant" }]);
}

export const salesRepService = {
  list: (ctx: ServiceContext, q: PageQuery & { search?: string; isActive?: boolean }) =>
    entity.list(ctx, q, [
      q.search ? or(contains(salesReps.name, q.search), contains(salesReps.code, q.search)) : undefined,
      q.isActive === undefined ? undefined : eq(salesReps.isActive, q.isActive),
    ], asc(salesReps.name)),
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
