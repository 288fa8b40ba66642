import { asc, eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { CreateTenderBody, UpdateTenderBody } from "../../schema/contracts/catalogue";
import type { PageQuery } from "../../schema/contracts/common";
import { tenders } from "../../schema/db";
import { matchesSearch, searchText } from "../db/search";
import { conflict } from "./errors";
import type { ServiceContext } from "./context";
import { entityService, plainDto } from "./entity";

type Row = typeof tenders.$inferSelect;

/** The tenders a new tenant starts with. */
export const DEFAULT_TENDERS = [
  { code: "CASH", name: "Cash", kind: "cash", isCash: true, opensDrawer: true, allowsChange: true, sortOrder: 0 },
  { code: "CARD", name: "Card", kind: "card", isCash: false, opensDrawer: false, allowsChange: false, sortOrder: 1 },
] as const;

/** A tender's `search_text`: its code and name (tenant onboarding writes the default tenders with it). */
export const tenderSearchText = (r: Pick<Row, "code" | "name">) => searchText([r.code, r.name]);

const entity = entityService({
  label: "Tender",
  kind: "tender",
  table: tenders,
  toDto: (r: Row) => plainDto(r),
  searchText: tenderSearchText,
  unique: (r: Row) => [{ column: "tenders.code", error: () => conflict("TENDER_CODE_TAKEN", `A tender with code ${r.code} already exists`) }],
});

export const tenderService = {
  /** In till order (sortOrder, then code); `search` matches code and name. */
  list: (ctx: ServiceContext, q: PageQuery & { search?: string; kind?: Row["kind"]; isActive?: boolean }) =>
    entity.list(ctx, q, [
      matchesSearch(tenders.searchText, q.search),
      q.kind ? eq(tenders.kind, q.kind) : undefined,
      q.isActive === undefined ? undefined : eq(tenders.isActive, q.isActive),
    ], sql`${asc(tenders.sortOrder)}, ${asc(tenders.code)}`),
  get: entity.get,
  create: (ctx: ServiceContext, b: z.output<typeof CreateTenderBody>) => entity.create(ctx, b),
  /** A new kind brings its own `isCash` unless the body names one. */
  update: (ctx: ServiceContext, id: string, { version: _v, ...b }: z.output<typeof UpdateTenderBody>, v: number | undefined) =>
    entity.update(ctx, id, { ...b, isCash: b.isCash ?? (b.kind ? b.kind === "cash" : undefined) }, v),
  remove: (ctx: ServiceContext, id: string, v: number | undefined) => entity.remove(ctx, id, v),
};
