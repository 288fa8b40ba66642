import { asc, eq, getTableColumns, inArray, isNull, sql } from "drizzle-orm";
import type { z } from "zod";
import type { CreateTaxGroupBody, CreateTaxRateBody, UpdateTaxGroupBody, UpdateTaxRateBody } from "../../schema/contracts/catalogue";
import type { PageQuery } from "../../schema/contracts/common";
import { products, taxGroupRates, taxGroups, taxRates } from "../../schema/db";
import { MILLIONTHS_PER_BASIS_POINT, toBasisPoints } from "../../schema/money";
import { chunkRows } from "../db/batch";
import { readPage } from "../db/paging";
import { matchesSearch, searchText } from "../db/search";
import type { TenantScope } from "../db/tenant-scope";
import { conflict, notFound, businessRule } from "./errors";
import type { ServiceContext } from "./context";
import { entityService, plainDto } from "./entity";
import { inJson } from "./references";

type RateRow = typeof taxRates.$inferSelect;
type GroupRow = typeof taxGroups.$inferSelect;
interface GroupRate { id: string; name: string; rateMillionths: number; isCompound: boolean | 0 | 1; sortOrder: number }

const rateDto = (r: RateRow) => ({ ...plainDto(r), rate: toBasisPoints(r.rateMillionths) });

const rates = entityService({
  label: "Tax rate",
  kind: "tax_rate",
  table: taxRates,
  toDto: rateDto,
  searchText: (r: RateRow) => searchText([r.name]),
  unique: (r: RateRow) => [{ column: "tax_rates.name", error: () => conflict("TAX_RATE_NAME_TAKEN", `A tax rate named ${r.name} already exists`) }],
});

/** Millionths from the body's `rate` (basis points) or `rateMillionths`. */
const millionthsOf = (b: { rate?: number; rateMillionths?: number }) =>
  b.rateMillionths ?? (b.rate === undefined ? undefined : b.rate * MILLIONTHS_PER_BASIS_POINT);

export const taxRateService = {
  list: (ctx: ServiceContext, q: PageQuery & { search?: string; isActive?: boolean }) =>
    rates.list(ctx, q, [matchesSearch(taxRates.searchText, q.search), q.isActive === undefined ? undefined : eq(taxRates.isActive, q.isActive)], asc(taxRates.name)),
  get: rates.get,
  create: (ctx: ServiceContext, { rate, rateMillionths, ...b }: z.output<typeof CreateTaxRateBody>) =>
    rates.create(ctx, { ...b, rateMillionths: millionthsOf({ rate, rateMillionths })! }),
  update: (ctx: ServiceContext, id: string, { version: _v, rate, rateMillionths, ...b }: z.output<typeof UpdateTaxRateBody>, v: number | undefined) =>
    rates.update(ctx, id, { ...b, rateMillionths: millionthsOf({ rate, rateMillionths }) }, v),
  /** A rate a live tax group holds cannot go (take it out of the group first). */
  async remove(ctx: ServiceContext, id: string, v: number | undefined) {
    const [used] = await ctx.scope.db
      .select({ id: taxGroups.id })
      .from(taxGroupRates)
      .innerJoin(taxGroups, eq(taxGroups.id, taxGroupRates.taxGroupId))
      .where(ctx.scope.where(taxGroupRates, eq(taxGroupRates.taxRateId, id), isNull(taxGroups.deletedAt)))
      .limit(1);
    if (used) throw conflict("TAX_RATE_IN_USE", "A tax group still holds this rate; take it out of the group first");
    await rates.remove(ctx, id, v);
  },
};

/**
 * A group's rates as JSON, read in the same query as the group (ordered by sortOrder in groupDto). The outer
 * column is spelled out: drizzle renders `${column}` unqualified here, which the subquery would bind to r.id.
 */
const groupRatesJson = sql<string>`(SELECT json_group_array(json_object('id', r.id, 'name', r.name, 'rateMillionths', r.rate_millionths, 'isCompound', r.is_compound, 'sortOrder', gr.sort_order))
  FROM ${taxGroupRates} gr JOIN ${taxRates} r ON r.id = gr.tax_rate_id WHERE gr.tax_group_id = "tax_groups"."id" AND r.deleted_at IS NULL)`;

/** A group's rates in the order they apply, each with its rate in basis points too. */
const ratesDto = (groupRates: GroupRate[]) =>
  [...groupRates].sort((a, b) => a.sortOrder - b.sortOrder).map((r) => ({ ...r, isCompound: !!r.isCompound, rate: toBasisPoints(r.rateMillionths) }));
const groupDto = (g: GroupRow, groupRates: GroupRate[]) => ({ ...plainDto(g), rates: ratesDto(groupRates) });
const withRatesDto = (row: GroupRow & { rates: string }) => {
  const { rates: json, ...group } = row;
  return groupDto(group, JSON.parse(json) as GroupRate[]);
};

const groups = entityService({
  label: "Tax group",
  kind: "tax_group",
  table: taxGroups,
  toDto: (g: GroupRow) => groupDto(g, []),
  searchText: (g: GroupRow) => searchText([g.name]),
  unique: (g: GroupRow) => [{ column: "tax_groups.name", error: () => conflict("TAX_GROUP_NAME_TAKEN", `A tax group named ${g.name} already exists`) }],
});

const selectGroups = (scope: TenantScope) => scope.db.select({ ...getTableColumns(taxGroups), rates: groupRatesJson }).from(taxGroups);

/**
 * The rates `taxRateIds` names, in its order, as a group answers them: 422 UNKNOWN_REFERENCE naming each
 * `taxRateIds.<i>` that is not a live rate of this tenant. The write answers from these, without reading again.
 */
async function groupRatesOf(scope: TenantScope, ids: string[]): Promise<GroupRate[]> {
  if (ids.length === 0) return [];
  return ratesNamed(ids, (await scope.select(taxRates, inArray(taxRates.id, ids), isNull(taxRates.deletedAt))) as RateRow[]);
}

function ratesNamed(ids: string[], rows: RateRow[]): GroupRate[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const fields = ids.flatMap((id, i) => (byId.has(id) ? [] : [{ path: `taxRateIds.${i}`, message: "is not a tax rate of this tenant" }]));
  if (fields.length) throw businessRule("UNKNOWN_REFERENCE", "taxRateIds names rates that do not exist", fields);
  return ids.map((id, sortOrder) => {
    const r = byId.get(id)!;
    return { id, name: r.name, rateMillionths: r.rateMillionths, isCompound: r.isCompound, sortOrder };
  });
}

/** The rates `ids` names (as groupRatesOf) and the ids of the rates the group holds now, in order: one round trip. */
async function ratesAndHeld(scope: TenantScope, groupId: string, ids: string[]) {
  const [rateRows, heldRows] = await scope.db.batch([
    scope.select(taxRates, inJson(taxRates.id, ids), isNull(taxRates.deletedAt)),
    scope.db.select({ id: taxGroupRates.taxRateId }).from(taxGroupRates)
      .where(scope.where(taxGroupRates, eq(taxGroupRates.taxGroupId, groupId))).orderBy(asc(taxGroupRates.sortOrder)),
  ]);
  return { rates: ratesNamed(ids, rateRows as RateRow[]), held: heldRows.map((r) => r.id) };
}

/** Statements that make the group's rates exactly these, in this order. */
const replaceRates = (scope: TenantScope, groupId: string, ids: string[]) => [
  scope.delete(taxGroupRates, eq(taxGroupRates.taxGroupId, groupId)),
  ...chunkRows(ids.map((taxRateId, sortOrder) => ({ taxGroupId: groupId, taxRateId, sortOrder })), 4).map((chunk) => scope.insert(taxGroupRates, chunk)),
];

export const taxGroupService = {
  list(ctx: ServiceContext, q: PageQuery & { search?: string }) {
    const where = ctx.scope.where(taxGroups, isNull(taxGroups.deletedAt), matchesSearch(taxGroups.searchText, q.search));
    return readPage(ctx.scope.db, taxGroups, where, selectGroups(ctx.scope).where(where).orderBy(asc(taxGroups.name)), q, (r) => withRatesDto(r as GroupRow & { rates: string }));
  },
  async get(ctx: ServiceContext, id: string) {
    const [row] = await selectGroups(ctx.scope).where(ctx.scope.where(taxGroups, eq(taxGroups.id, id), isNull(taxGroups.deletedAt)));
    if (!row) throw notFound("Tax group");
    return withRatesDto(row as GroupRow & { rates: string });
  },
  /** The group and its rates (tax_group_rates) in one batch, with its change-feed row. */
  async create(ctx: ServiceContext, b: z.output<typeof CreateTaxGroupBody>) {
    const groupRates = await groupRatesOf(ctx.scope, b.taxRateIds);
    const id = b.id ?? crypto.randomUUID();
    const created = await groups.create(ctx, { id, name: b.name }, replaceRates(ctx.scope, id, b.taxRateIds));
    return { ...created, rates: ratesDto(groupRates) };
  },
  /**
   * `taxRateIds`, when given, replaces the group's rates (and their order) in the same batch as the group's new
   * version; the same rates in the same order are no change.
   */
  async update(ctx: ServiceContext, id: string, { version: _v, taxRateIds, ...b }: z.output<typeof UpdateTaxGroupBody>, v: number | undefined) {
    const { scope } = ctx;
    const named = taxRateIds ? await ratesAndHeld(scope, id, taxRateIds) : undefined;
    const replacing = named && named.held.join() !== taxRateIds!.join();
    const updated = await groups.update(ctx, id, b, v, () => (replacing ? replaceRates(scope, id, taxRateIds!) : []));
    return named ? { ...updated, rates: ratesDto(named.rates) } : taxGroupService.get(ctx, id);
  },
  /** A group live products use cannot go (move them to another group first). */
  async remove(ctx: ServiceContext, id: string, v: number | undefined) {
    const [used] = await ctx.scope.select(products, eq(products.taxGroupId, id), isNull(products.deletedAt)).limit(1);
    if (used) throw conflict("TAX_GROUP_IN_USE", "Products still use this tax group; move them first");
    await groups.remove(ctx, id, v);
  },
};
