import { eq, isNull, lt, sql } from "drizzle-orm";
import type { z } from "zod";
import type { PageQuery } from "../../schema/contracts/common";
import {
  MOVABLE_STATUSES, SERIAL_LOT_TRANSITIONS, serialLotProblems,
  type CreateItemSerialLotBody, type ItemSerialLot, type ItemSerialLotQuery, type UpdateItemSerialLotBody,
} from "../../schema/contracts/serial-lots";
import { itemSerialLots, products } from "../../schema/db";
import type { Statement } from "../db/batch";
import { matchesSearch, searchText } from "../db/search";
import type { PrincipalContext } from "./context";
import { entityService } from "./entity";
import { businessRule, conflict, forbidden, validationFailed } from "./errors";
import { accessOf, accessQueries, requirePermission, requireStoreRow, storeAccess } from "./principal-access";
import { storeQuery } from "./store-permissions";
import { toIso } from "./versioning";

/**
 * Serial numbers (one unit) and lot numbers (a quantity of a batch, with an expiry date) of products, each at a
 * store with a status. Reading needs inventory.view; writing needs inventory.adjust in the store the number is
 * at (and, when it moves, in the store it moves to). The number is unique per product in the tenant. These rows
 * say which unit is where; they do not move stock levels, which only the stock ledger does.
 */

type Row = typeof itemSerialLots.$inferSelect;
const T = itemSerialLots;

export const serialLotDto = (r: Row): ItemSerialLot => ({
  id: r.id, productId: r.productId, kind: r.kind, number: r.number, storeId: r.storeId, status: r.status, quantity: r.quantity,
  expiryDate: r.expiryDate, notes: r.notes, version: r.version, createdAt: toIso(r.createdAt), updatedAt: toIso(r.updatedAt),
});

export const serialLotEntity = entityService({
  label: "Serial/lot number", kind: "item_serial_lot", table: T, toDto: serialLotDto, storeOf: (r: Row) => r.storeId,
  searchText: (r: Row) => searchText([r.number]),
  unique: (r: Row) => [{ column: "item_serial_lots.number", error: () => conflict("SERIAL_LOT_NUMBER_TAKEN", `The product already has a serial/lot number ${r.number}`) }],
});

const problemsToError = (problems: [string, string][]) => {
  if (problems.length) throw validationFailed(problems.map(([path, message]) => ({ path, message })));
};

/** 422 unless a status change is one SERIAL_LOT_TRANSITIONS allows, and a store change leaves it on a shelf. */
function requireMove(current: Row, next: Row) {
  if (next.status !== current.status && !SERIAL_LOT_TRANSITIONS[current.status].includes(next.status)) {
    const allowed = SERIAL_LOT_TRANSITIONS[current.status].join(", ");
    throw businessRule("INVALID_STATUS_TRANSITION", `A number that is ${current.status} can become ${allowed}, not ${next.status}`, [{ path: "status", message: `cannot go from ${current.status} to ${next.status}` }]);
  }
  if (next.storeId !== current.storeId && !MOVABLE_STATUSES.includes(next.status)) {
    throw businessRule("SERIAL_LOT_NOT_MOVABLE", `A number that is ${next.status} stays where it is; only ${MOVABLE_STATUSES.join(" or ")} ones change store`, [{ path: "storeId", message: `cannot change while ${next.status}` }]);
  }
}

export const itemSerialLotService = {
  list(ctx: PrincipalContext, q: z.output<typeof ItemSerialLotQuery> & PageQuery) {
    requirePermission(ctx.principal, "inventory.view");
    return serialLotEntity.list(ctx, q, [
      q.productId ? eq(T.productId, q.productId) : undefined,
      q.storeId ? eq(T.storeId, q.storeId) : undefined,
      q.kind ? eq(T.kind, q.kind) : undefined,
      q.status ? eq(T.status, q.status) : undefined,
      q.number ? eq(T.number, q.number) : undefined,
      matchesSearch(T.searchText, q.search),
      q.expiresBefore ? lt(T.expiryDate, q.expiresBefore) : undefined,
    ], sql`${T.productId}, ${T.number}, ${T.id}`);
  },

  get(ctx: PrincipalContext, id: string) {
    requirePermission(ctx.principal, "inventory.view");
    return serialLotEntity.get(ctx, id);
  },

  /** At the caller's store unless `storeId` names another (an API client has none: it must name one). */
  async create(ctx: PrincipalContext, body: z.output<typeof CreateItemSerialLotBody>) {
    const storeId = body.storeId ?? ctx.principal.storeId;
    if (!storeId) throw validationFailed([{ path: "storeId", message: "is required for an API client (it has no store of its own)" }]);
    const access = storeAccess(ctx, storeId, "inventory.adjust");
    const productRows = ctx.scope.db.select({ id: products.id }).from(products).where(ctx.scope.where(products, eq(products.id, body.productId), isNull(products.deletedAt)));
    const [found, ...rest] = await ctx.scope.db.batch([productRows, ...access.queries] as [Statement, ...Statement[]]);
    access.verify(rest);
    if (!(found as unknown[]).length) throw businessRule("UNKNOWN_REFERENCE", "The product does not exist", [{ path: "productId", message: "is not a product of this tenant" }]);
    return serialLotEntity.create(ctx, { ...body, storeId });
  },

  /** Fields left out stay; the kind's rules, the status transitions and the stores' permissions are checked on the result. */
  async update(ctx: PrincipalContext, id: string, { version: _v, ...changes }: z.output<typeof UpdateItemSerialLotBody>, expectedVersion: number | undefined) {
    const reads = [...(changes.storeId ? [storeQuery(ctx.scope, changes.storeId) as unknown as Statement] : []), ...accessQueries(ctx)];
    const results = reads.length ? ((await ctx.scope.db.batch(reads as [Statement, ...Statement[]])) as unknown[][]) : [];
    const newStore = changes.storeId ? requireStoreRow(results.shift()!) : undefined;
    const access = accessOf(ctx.principal, results[0]);
    return serialLotEntity.update(ctx, id, (current) => {
      if (!access.holds(current.storeId, "inventory.adjust")) throw deniedWhereItIs(current.storeId);
      if (newStore && newStore.id !== current.storeId) access.require(newStore, "inventory.adjust");
      const next = { ...current, ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) } as Row;
      problemsToError(serialLotProblems(next));
      requireMove(current, next);
      return changes;
    }, expectedVersion);
  },

  async remove(ctx: PrincipalContext, id: string, expectedVersion: number | undefined) {
    const reads = accessQueries(ctx);
    const results = reads.length ? ((await ctx.scope.db.batch(reads as [Statement, ...Statement[]])) as unknown[][]) : [];
    const access = accessOf(ctx.principal, results[0]);
    return serialLotEntity.remove(ctx, id, expectedVersion, [], (current) => {
      if (!access.holds(current.storeId, "inventory.adjust")) throw deniedWhereItIs(current.storeId);
    });
  },
};

const deniedWhereItIs = (storeId: string) =>
  forbidden(`This needs the permission inventory.adjust in the store the number is at (${storeId})`, "MISSING_PERMISSION_IN_STORE");
