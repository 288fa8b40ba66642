import { sql } from "drizzle-orm";
import type { z } from "zod";
import type { StoreDashboard } from "../../schema/contracts/reports";
import type { SyncStoreState } from "../../schema/contracts/sync-push";
import { rawStatement, type Statement } from "../db/batch";
import type { ServiceContext } from "./context";
import { accessQuery } from "./grants";
import { businessDay } from "./sale-aggregates";
import { mulDiv, num, type Row } from "./reports-scope";
import { requireInStore, storeQuery } from "./store-permissions";
import { pendingCounts, syncingDevices, syncStateOf } from "./sync-errors";
import { toIso } from "./versioning";
import type { PresenceEntry } from "../../schema/sync/messages";

/**
 * The store dashboard (GET /api/v1/stores/dashboard, stores.view): today's sales (the store's local date, from
 * the hourly report rows), its open registers, its low stock (below zero or at/below the reorder point, as the
 * inventory list says), its sync state (its devices' last pull, push and contact, and the error queue) and the
 * tills and bridges connected to its hub. One D1 round trip, then the store's hub asked for its sockets:
 * "today" is read for the days around today's UTC date, of which the store's local date is one.
 */

const LOW_STOCK_SHOWN = 50;
const dayShift = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** Who is connected to a store's hub (its live sockets). */
export type PresenceOf = (storeId: string) => Promise<PresenceEntry[]>;

export async function storeDashboard(ctx: ServiceContext, storeId: string | undefined, presenceOf: PresenceOf): Promise<z.output<typeof StoreDashboard>> {
  const { scope, actor, request } = ctx;
  const id = storeId ?? actor.storeId;
  const utc = new Date(request.now).toISOString().slice(0, 10);
  const low = sql`(l.quantity < 0 OR l.quantity <= l.reorder_point)`;
  const lowFrom = sql`FROM inventory_levels l JOIN products p ON p.id = l.product_id
    WHERE l.tenant_id = ${scope.tenantId} AND l.store_id = ${id} AND p.deleted_at IS NULL AND p.track_stock = 1 AND ${low}`;
  const statements = [
    storeQuery(scope, id),
    accessQuery(scope, actor.userId),
    rawStatement(scope.db, sql`SELECT business_date, hour, sales_count, sales_total, returns_count, returns_total, voids_count, net, tax, gross, discount, quantity
      FROM report_hourly WHERE tenant_id = ${scope.tenantId} AND store_id = ${id} AND business_date BETWEEN ${dayShift(utc, -1)} AND ${dayShift(utc, 1)} ORDER BY hour`),
    rawStatement(scope.db, sql`SELECT s.id, s.register_id, r.code, r.name, s.opened_by, s.opened_at, s.opening_float
      FROM register_sessions s JOIN registers r ON r.id = s.register_id
      WHERE s.tenant_id = ${scope.tenantId} AND s.store_id = ${id} AND s.status = 'open' AND s.deleted_at IS NULL ORDER BY r.code`),
    rawStatement(scope.db, sql`SELECT count(*) AS n ${lowFrom}`),
    rawStatement(scope.db, sql`SELECT p.id, p.sku, p.name, l.quantity, l.reorder_point ${lowFrom} ORDER BY l.quantity, p.name, p.id LIMIT ${LOW_STOCK_SHOWN}`),
    syncingDevices(scope, id),
    pendingCounts(scope),
  ] as unknown as [Statement, ...Statement[]];
  const [storeRows, accessRows, hourRows, sessionRows, lowCount, lowRows, deviceRows, countRows] = (await scope.db.batch(statements)) as unknown as Row[][];
  // The route checked stores.view in the token's store; another store needs it there.
  type StoreRow = { id: string; code: string; name: string; currency: string; timeZone: string };
  const store = (id === actor.storeId && storeRows![0] ? storeRows![0] : requireInStore(storeRows!, accessRows!, "stores.view")) as unknown as StoreRow;
  const { businessDate } = businessDay(request.now, store.timeZone);
  // Only a store the caller may see has its hub asked (an id made up by a caller wakes no hub).
  const presence = presenceOf(store.id).catch(() => null);

  const hours = hourRows!.filter((h) => h.business_date === businessDate).map((h) => ({
    hour: num(h.hour), salesCount: num(h.sales_count), returnsCount: num(h.returns_count), voidsCount: num(h.voids_count),
    totalDue: num(h.sales_total) + num(h.returns_total), net: num(h.net), tax: num(h.tax), gross: num(h.gross), quantity: num(h.quantity),
    salesTotal: num(h.sales_total), returnsTotal: num(h.returns_total), discount: num(h.discount),
  }));
  const sum = (k: keyof (typeof hours)[number]) => hours.reduce((s, h) => s + h[k], 0);
  const today = {
    salesCount: sum("salesCount"), salesTotal: sum("salesTotal"), returnsCount: sum("returnsCount"), returnsTotal: sum("returnsTotal"), voidsCount: sum("voidsCount"),
    totalDue: sum("totalDue"), net: sum("net"), tax: sum("tax"), gross: sum("gross"), discount: sum("discount"), quantity: sum("quantity"),
    averageSale: sum("salesCount") === 0 ? 0 : mulDiv(sum("salesTotal"), 1, sum("salesCount")),
    hours: hours.map(({ salesTotal: _s, returnsTotal: _r, discount: _d, ...h }) => h),
  };
  return {
    store: { id: store.id, code: store.code, name: store.name, currency: store.currency, timeZone: store.timeZone },
    businessDate,
    today,
    openRegisters: sessionRows!.map((s) => ({
      sessionId: String(s.id), registerId: String(s.register_id), registerCode: String(s.code), registerName: String(s.name),
      openedBy: String(s.opened_by), openedAt: toIso(num(s.opened_at)), openingFloat: num(s.opening_float),
    })),
    lowStock: {
      count: num(lowCount![0]?.n),
      items: lowRows!.map((r) => ({ productId: String(r.id), sku: String(r.sku), name: String(r.name), quantity: num(r.quantity), reorderPoint: r.reorder_point === null ? null : num(r.reorder_point) })),
    },
    sync: syncSummary(syncStateOf(store, deviceRows!, countRows!, request.now)),
    connectedDevices: connected(await presence),
  };
}

/** A store's sync state without its identity and device list (the dashboard names the store already). */
function syncSummary({ storeId: _id, storeCode: _code, storeName: _name, devices: _devices, ...state }: SyncStoreState) {
  return state;
}

/** The hub's sockets by kind; none when the hub could not be asked (the dashboard still answers). */
function connected(entries: PresenceEntry[] | null) {
  const dto = (e: PresenceEntry) => ({ deviceId: e.deviceId, kind: e.kind, registerId: e.registerId, userId: e.userId, connectedAt: toIso(e.connectedAt) });
  const all = (entries ?? []).map(dto);
  return { tills: all.filter((e) => e.kind === "register"), bridges: all.filter((e) => e.kind === "bridge"), others: all.filter((e) => e.kind !== "register" && e.kind !== "bridge") };
}
