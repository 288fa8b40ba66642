import { asc, eq, gt, inArray, isNull, lte, or, sql } from "drizzle-orm";
import type { z } from "zod";
import { specialProblems, type ActiveSpecialsQuery, type CreateSpecialBody, type Special, type SpecialQuery, type UpdateSpecialBody } from "../../schema/contracts/specials";
import { departments, products, specials, stores } from "../../schema/db";
import { matchesSearch, searchText } from "../db/search";
import type { TenantScope } from "../db/tenant-scope";
import type { Statement } from "../db/batch";
import { notFound, businessRule, validationFailed, type FieldError } from "./errors";
import type { ServiceContext } from "./context";
import { entityService } from "./entity";
import { referenceCheck, type Reference } from "./references";
import { instantsOf, localDateTime, localTimeBounds, type LocalDateTime } from "./store-time";
import { toIso } from "./versioning";

/**
 * Specials: a fixed price ('price', minor units) or a discount ('percent', basis points off) on listed products
 * and/or a department's products, for a window of local wall-clock time [startsAt, endsAt) read in each store's
 * own time zone, in the listed stores (none listed: every store). What a special does to a price is pricing.ts's.
 * A start or end inside a DST gap is refused at write time (see `requireReadableTimes`).
 */

export type SpecialRow = typeof specials.$inferSelect;

export const specialDto = (r: SpecialRow): Special => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  value: r.value,
  productIds: r.productIds,
  departmentId: r.departmentId,
  storeIds: r.storeIds,
  startsAt: r.startsAt,
  endsAt: r.endsAt,
  isActive: r.isActive,
  version: r.version,
  createdAt: toIso(r.createdAt),
  updatedAt: toIso(r.updatedAt),
});

const entity = entityService({ label: "Special", kind: "special", table: specials, toDto: specialDto, searchText: (r: SpecialRow) => searchText([r.name]) });

/** The special is on in the store whose wall clock reads `localTime`: switched on, the store included, inside the window. */
export function specialIsOn(s: Pick<SpecialRow, "isActive" | "storeIds" | "startsAt" | "endsAt">, storeId: string, localTime: LocalDateTime): boolean {
  return s.isActive && (s.storeIds.length === 0 || s.storeIds.includes(storeId)) && s.startsAt <= localTime && localTime < s.endsAt;
}

const listsStore = (storeId: string) =>
  or(sql`json_array_length(${specials.storeIds}) = 0`, sql`EXISTS (SELECT 1 FROM json_each(${specials.storeIds}) WHERE value = ${storeId})`);
const listsProduct = (productId: string) => sql`EXISTS (SELECT 1 FROM json_each(${specials.productIds}) WHERE value = ${productId})`;

/**
 * The live, switched-on specials that may be on at the instant `at` in some store (their window meets the wall
 * clock of some time zone then), optionally only those covering a store and a product (listed, or its
 * department). A query to put in a batch; `specialIsOn` then decides per store with the store's own clock.
 */
export function specialsAround(scope: TenantScope, at: number, only: { storeId?: string; productId?: string } = {}) {
  const { earliest, latest } = localTimeBounds(at);
  const departmentOf = (productId: string) =>
    scope.db.select({ departmentId: products.departmentId }).from(products).where(scope.where(products, eq(products.id, productId)));
  return scope
    .select(
      specials,
      isNull(specials.deletedAt),
      eq(specials.isActive, true),
      gt(specials.endsAt, earliest),
      lte(specials.startsAt, latest),
      only.storeId ? listsStore(only.storeId) : undefined,
      only.productId ? or(listsProduct(only.productId), inArray(specials.departmentId, departmentOf(only.productId))) : undefined,
    )
    .orderBy(asc(specials.createdAt), asc(specials.id));
}

export function listSpecials(ctx: ServiceContext, q: z.output<typeof SpecialQuery>) {
  return entity.list(
    ctx,
    q,
    [
      matchesSearch(specials.searchText, q.search),
      q.isActive === undefined ? undefined : eq(specials.isActive, q.isActive),
      q.storeId ? listsStore(q.storeId) : undefined,
      q.productId ? listsProduct(q.productId) : undefined,
    ],
    asc(specials.startsAt),
  );
}

export const getSpecial = entity.get;

/**
 * The specials on at an instant (now unless `at` is given), each with the stores where it is on then: the same
 * instant is a different wall-clock time in Stockholm and in New York. One round trip.
 */
export async function activeSpecials(ctx: ServiceContext, q: z.output<typeof ActiveSpecialsQuery>) {
  const { scope } = ctx;
  const at = q.at ? Date.parse(q.at) : ctx.request.now;
  const [storeRows, candidates] = await scope.db.batch([
    scope.select(stores, isNull(stores.deletedAt), q.storeId ? eq(stores.id, q.storeId) : undefined).orderBy(asc(stores.code)),
    specialsAround(scope, at, { storeId: q.storeId }),
  ]);
  if (q.storeId && storeRows.length === 0) throw notFound("Store");
  const clocks = (storeRows as (typeof stores.$inferSelect)[]).map((s) => ({ id: s.id, local: localDateTime(at, s.timeZone) }));
  return (candidates as SpecialRow[])
    .map((s) => ({ ...specialDto(s), activeStoreIds: clocks.filter((c) => specialIsOn(s, c.id, c.local)).map((c) => c.id) }))
    .filter((s) => s.activeStoreIds.length > 0);
}

/** What a special names must be this tenant's live rows (422 UNKNOWN_REFERENCE naming each, e.g. `storeIds.1`). */
const specialReferences = (b: { productIds?: string[]; departmentId?: string | null; storeIds?: string[] }): Reference[] => [
  { field: "productIds", table: products, ids: b.productIds, noun: "a product" },
  { field: "departmentId", table: departments, ids: b.departmentId, noun: "a department" },
  { field: "storeIds", table: stores, ids: b.storeIds, noun: "a store" },
];
const REFERENCES_MESSAGE = "The special names products, a department or stores that do not exist";

interface StoreClock {
  id: string;
  code: string;
  timeZone: string;
}

/** The tenant's live stores and their time zones: the stores a special with no storeIds covers. */
const storeClocks = (scope: TenantScope) =>
  scope.db.select({ id: stores.id, code: stores.code, timeZone: stores.timeZone }).from(stores).where(scope.where(stores, isNull(stores.deletedAt)));

/**
 * A window's start or end must be a time the clock of every store it covers reads: one in the gap when the
 * clocks go forward (02:30 on 29 March 2026 in Stockholm) never comes, so the special is refused (422
 * LOCAL_TIME_SKIPPED naming the field and the time zones) rather than quietly moved. A time the clock reads
 * twice (the overlap when the clocks go back) is fine: the window follows the wall clock.
 */
function requireReadableTimes(s: Pick<SpecialRow, "storeIds" | "startsAt" | "endsAt">, clocks: StoreClock[]) {
  const covered = s.storeIds.length === 0 ? clocks : clocks.filter((c) => s.storeIds.includes(c.id));
  const fields: FieldError[] = [];
  for (const field of ["startsAt", "endsAt"] as const) {
    const local = s[field];
    const skipping = covered.filter((c) => instantsOf(local, c.timeZone).length === 0);
    if (skipping.length === 0) continue;
    const zones = [...new Set(skipping.map((c) => c.timeZone))].map((zone) => `${zone} (${skipping.filter((c) => c.timeZone === zone).map((c) => c.code).join(", ")})`);
    fields.push({ path: field, message: `${local} never happens in ${zones.join(" and ")}: the clocks skip it when daylight saving time starts; pick a time outside the gap` });
  }
  if (fields.length) throw businessRule("LOCAL_TIME_SKIPPED", "The special starts or ends at a local time that does not exist in some of its stores", fields);
}

/** One round trip: the references checked and, when the window or stores are set, the stores' clocks read. */
async function readChecks(scope: TenantScope, body: { productIds?: string[]; departmentId?: string | null; storeIds?: string[] }, withClocks: boolean) {
  const check = referenceCheck(scope, specialReferences(body), REFERENCES_MESSAGE);
  const queries = [...check.queries, ...(withClocks ? [storeClocks(scope) as unknown as Statement] : [])];
  if (queries.length === 0) return [];
  const results = await scope.db.batch(queries as [Statement, ...Statement[]]);
  check.verify(results.slice(0, check.queries.length));
  return withClocks ? (results.at(-1) as StoreClock[]) : [];
}

export async function createSpecial(ctx: ServiceContext, body: z.output<typeof CreateSpecialBody>) {
  const clocks = await readChecks(ctx.scope, body, true);
  requireReadableTimes(body, clocks);
  return entity.create(ctx, body);
}

/** Fields left out stay; the special as it would then be must still hold together (400 naming the field). */
export async function updateSpecial(ctx: ServiceContext, id: string, body: z.output<typeof UpdateSpecialBody>, expectedVersion: number | undefined) {
  const { version: _version, ...changes } = body;
  const clocksMatter = changes.startsAt !== undefined || changes.endsAt !== undefined || changes.storeIds !== undefined;
  const clocks = await readChecks(ctx.scope, changes, clocksMatter);
  return entity.update(
    ctx,
    id,
    (current) => {
      const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
      const next = { ...current, ...defined };
      const problems = specialProblems(next);
      if (problems.length) throw validationFailed(problems.map(([path, message]) => ({ path, message })));
      if (clocksMatter) requireReadableTimes(next, clocks);
      return changes;
    },
    expectedVersion,
  );
}

export const deleteSpecial = (ctx: ServiceContext, id: string, expectedVersion: number | undefined) => entity.remove(ctx, id, expectedVersion);
