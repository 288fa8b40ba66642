import { asc, eq } from "drizzle-orm";
import type { z } from "zod";
import type { CreateTenderBody, UpdateTenderBody } from "../../schema/contracts/catalogue";
import type { PageQuery } from "../../schema/contracts/common";
import { tenders } from "../../schema/db";
import { conflict } from "../http/errors";
import type { ServiceContext } from "./context";
import { entityService, plainDto } from "./entity";

type Row = typeof tenders.$inferSelect;

/** The tenders a new tenant starts with. */
export const DEFAULT_TENDERS = [
  { code: "CASH", name: "Cash", kind: "cash", isCash: true, opensDrawer: true, allowsChange: true, sortOrder: 0 },
  { code: "CARD", name: "Card", kind: "card", isCash: false, opensDrawer: false, allowsChange: false, sortOrder: 1 },
] as const;

const entity = entityService({
  label: "Tender",
  kind: "tender",
  table: tenders,
  toDto: (r: Row) => plainDto(r),
  unique: (r: Row) => [{ column: "tenders.code", error: () => conflict("TENDER_CODE_TAKEN", `A tender with code ${r.code} already exists`) }],
});

export const tenderService = {
  list: (ctx: ServiceContext, q: PageQuery & { isActive?: boolean }) =>
    entity.list(ctx, q, [q.isActive === undefined ? undefined : eq(tenders.isActive, q.isActive)], asc(tenders.sortOrder)),
  get: entity.get,
  create: (ctx: ServiceContext, b: z.output<typeof CreateTenderBody>) => entity.create(ctx, b),
  update: (ctx: ServiceContext, id: string, { version: _v, ...b }: z.output<typeof UpdateTenderBody>, v: number | undefined) =>
    entity.update(ctx, id, { ...b, ...(b.kind ? { isCash: b.kind === "cash" } : {}) }, v),
  remove: (ctx: ServiceContext, id: string, v: number | undefined) => entity.remove(ctx, id, v),
};
