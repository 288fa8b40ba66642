import { eq, isNull, or, sql } from "drizzle-orm";
import type { PushItem } from "../../schema/contracts/sync-push";
import {
  customers, idempotencyRecords, registers, registerSessions, roles, saleLines, sales, salesReps, stores, taxRates, tenants, tenders, users, userStoreRoles,
} from "../../schema/db";
import { isPermission, type Permission } from "../../schema/permissions";
import type { Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import { inJson } from "./references";
import { sessionsQuery, type SessionRow } from "./register-sessions";
import { catalogueReads, type Catalogue } from "./sale-pricing";
import { returnedByLine, type LineRow, type SaleRow, type TenderRow } from "./sales";

/**
 * Everything a push's records need to be checked, read in one D1 round trip whatever the number of records: the
 * records' retry keys, the sessions, sales and lines they name, the people named in them with their permissions
 * in the store, the catalogue of the products sold, tenders, tax rates. Each list is bound as one JSON parameter.
 *
 * The result (`PushWorld`) is the push's view of the store, and records applied earlier in the same push are added
 * to it as they land, so a return of a sale pushed in the same batch, or a sale of a session opened in it, works.
 */

export interface PushUser {
  id: string;
  isActive: boolean;
  /** Their permissions in the push's store, as of now. */
  permissions: Set<Permission>;
}

export interface TaxRateRow {
  id: string;
  name: string;
  rateMillionths: number;
  isCompound: boolean;
}

export interface PushWorld {
  catalogue: Catalogue;
  allowUnreferencedReturns: boolean;
  registers: Map<string, typeof registers.$inferSelect>;
  sessions: Map<string, SessionRow>;
  sales: Map<string, SaleRow>;
  lines: Map<string, LineRow[]>;
  /** Per sale line: what completed returns took back of it so far (negative thousandths). */
  returned: Map<string, number>;
  /** Sales that have a completed return. */
  withReturns: Set<string>;
  /** Receipt numbers of the store taken, of those the push names. */
  receipts: Set<string>;
  /** Retry key → the hash of the request first made with it. */
  keys: Map<string, string>;
  users: Map<string, PushUser>;
  tenders: TenderRow[];
  taxRates: Map<string, TaxRateRow>;
  salesReps: Set<string>;
  customers: Set<string>;
}

/** The retry key of a record: a sale's is its id under POST /sales's own key, so a sale posted and pushed is one. */
export const recordKey = (item: Pick<PushItem, "type" | "id">) => (item.type === "sale" ? `sales:id:${item.id}` : `sync:${item.type}:${item.id}`);

const uniq = (values: (string | null | undefined)[]) => {
  const list = [...new Set(values.filter((v): v is string => typeof v === "string"))];
  return list.length ? list : ["00000000-0000-0000-0000-000000000000"];
};

export function pushReads(scope: TenantScope, storeId: string, items: PushItem[], now: number) {
  const saleItems = items.flatMap((i) => (i.type === "sale" ? [i] : []));
  const voidItems = items.flatMap((i) => (i.type === "void" ? [i] : []));
  const sessionIds = uniq(items.map((i) => ("sessionId" in i ? i.sessionId : i.type === "session_open" ? i.id : undefined)));
  const targetSaleIds = uniq([...voidItems.map((v) => v.saleId), ...saleItems.map((s) => s.originalSaleId)]);
  const allSaleIds = uniq([...saleItems.map((s) => s.id), ...targetSaleIds]);
  const userIds = uniq(items.map((i) => (i.type === "sale" ? i.cashierId : i.userId)));
  const productIds = [...new Set(items.flatMap((i) => (i.type === "sale" ? i.items.map((l) => l.productId) : i.type === "adjustment" ? i.lines.map((l) => l.productId) : [])))];
  const taxRateIds = uniq(saleItems.flatMap((s) => s.items.flatMap((l) => (l.taxes ?? []).map((t) => t.taxRateId))));
  const catalogue = catalogueReads(scope, storeId, productIds, now);
  const statements: Statement[] = [
    ...catalogue.statements,
    scope.select(idempotencyRecords, inJson(idempotencyRecords.key, uniq(items.map(recordKey)))),
    scope.select(registers, eq(registers.storeId, storeId), isNull(registers.deletedAt)),
    sessionsQuery(scope, or(inJson(registerSessions.id, sessionIds),
      sql`${registerSessions.id} IN (SELECT s.session_id FROM sales s WHERE s.tenant_id = ${scope.tenantId} AND ${inJson(sql`s.id`, targetSaleIds)})`)),
    scope.select(sales, inJson(sales.id, allSaleIds)),
    scope.select(saleLines, inJson(saleLines.saleId, targetSaleIds)),
    returnedByLine(scope, inJson(sales.originalSaleId, targetSaleIds)),
    scope.db.select({ receiptNumber: sales.receiptNumber }).from(sales)
      .where(scope.where(sales, eq(sales.storeId, storeId), inJson(sales.receiptNumber, uniq(saleItems.map((s) => s.receiptNumber))))),
    scope.db.select({ id: users.id, isActive: users.isActive, deletedAt: users.deletedAt }).from(users).where(scope.where(users, inJson(users.id, userIds))),
    scope.db.select({ userId: userStoreRoles.userId, permissions: roles.permissions }).from(userStoreRoles)
      .innerJoin(roles, eq(roles.id, userStoreRoles.roleId))
      .innerJoin(stores, eq(stores.id, userStoreRoles.storeId))
      .where(scope.where(userStoreRoles, eq(userStoreRoles.storeId, storeId), inJson(userStoreRoles.userId, userIds), isNull(roles.deletedAt), isNull(stores.deletedAt))),
    scope.select(tenders, isNull(tenders.deletedAt)),
    // Deleted rates too: a sale made offline keeps the rate it was charged at.
    scope.db.select({ id: taxRates.id, name: taxRates.name, rateMillionths: taxRates.rateMillionths, isCompound: taxRates.isCompound }).from(taxRates)
      .where(scope.where(taxRates, inJson(taxRates.id, taxRateIds))),
    scope.db.select({ id: salesReps.id }).from(salesReps).where(scope.where(salesReps, inJson(salesReps.id, uniq(saleItems.map((s) => s.salesRepId))), isNull(salesReps.deletedAt))),
    scope.db.select({ id: customers.id }).from(customers).where(scope.where(customers, inJson(customers.id, uniq(saleItems.map((s) => s.customerId))), isNull(customers.deletedAt))),
    scope.db.select({ allowUnreferencedReturns: tenants.allowUnreferencedReturns }).from(tenants).where(eq(tenants.id, scope.tenantId)),
  ];

  const read = (results: unknown[]): PushWorld => {
    const n = catalogue.statements.length;
    const [keyRows, registerRows, sessionRows, saleRows, lineRows, returnedRows, receiptRows, userRows, roleRows, tenderRows, rateRows, repRows, customerRows, settingRows] =
      results.slice(n) as unknown[][];
    const lines = new Map<string, LineRow[]>();
    for (const line of lineRows as LineRow[]) lines.set(line.saleId, [...(lines.get(line.saleId) ?? []), line]);
    const people = new Map<string, PushUser>();
    for (const u of userRows as { id: string; isActive: boolean; deletedAt: number | null }[]) {
      if (u.deletedAt === null) people.set(u.id, { id: u.id, isActive: u.isActive, permissions: new Set() });
    }
    for (const r of roleRows as { userId: string; permissions: string[] }[]) {
      for (const p of r.permissions) if (isPermission(p)) people.get(r.userId)?.permissions.add(p);
    }
    const withReturns = new Set<string>();
    const returned = new Map<string, number>();
    for (const r of returnedRows as { originalLineId: string | null; returned: number }[]) if (r.originalLineId) returned.set(r.originalLineId, Number(r.returned));
    for (const s of saleRows as SaleRow[]) if (s.originalSaleId && s.status === "completed") withReturns.add(s.originalSaleId);
    // Returns of the void targets that this push does not name: one more look at the lines read.
    for (const line of lineRows as LineRow[]) if ((returned.get(line.id) ?? 0) !== 0) withReturns.add(line.saleId);
    return {
      catalogue: catalogue.read(results.slice(0, n)),
      allowUnreferencedReturns: (settingRows![0] as { allowUnreferencedReturns: boolean } | undefined)?.allowUnreferencedReturns ?? false,
      registers: new Map((registerRows as (typeof registers.$inferSelect)[]).map((r) => [r.id, r])),
      sessions: new Map((sessionRows as SessionRow[]).map((s) => [s.id, s])),
      sales: new Map((saleRows as SaleRow[]).map((s) => [s.id, s])),
      lines,
      returned,
      withReturns,
      receipts: new Set((receiptRows as { receiptNumber: string }[]).map((r) => r.receiptNumber)),
      keys: new Map((keyRows as (typeof idempotencyRecords.$inferSelect)[]).map((k) => [k.key, k.requestHash])),
      users: people,
      tenders: tenderRows as TenderRow[],
      taxRates: new Map((rateRows as TaxRateRow[]).map((r) => [r.id, r])),
      salesReps: new Set((repRows as { id: string }[]).map((r) => r.id)),
      customers: new Set((customerRows as { id: string }[]).map((r) => r.id)),
    };
  };
  return { statements, read };
}
