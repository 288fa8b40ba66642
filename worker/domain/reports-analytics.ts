import { sql } from "drizzle-orm";
import type { z } from "zod";
import type { CategorySales, HourlySales, Outlet, OutletSales } from "../../schema/contracts/reports";
import { validationFailed } from "./errors";
import type { ServiceContext } from "./context";
import { businessDay } from "./sale-aggregates";
import { num, readReport, type ReportRead, type Row } from "./reports-scope";

/**
 * The sales analytics of the admin portal (spec 001, SaleController): outlets (with an "All" pseudo-outlet that
 * combines every store you may see), today's sales, a month by outlet, a month or a day of an outlet by category
 * (department), and an outlet's day by hour. Read from the daily report rows like the reports, with
 * reports.view_global; "today" and "this month" are each store's own, in its time zone.
 */

const PERMISSION = "reports.view_global" as const;
export const ALL = "all";

const OUTLET_FIGURES = ["salesCount", "returnsCount", "voidsCount", "totalDue", "net", "tax", "gross", "quantity"] as const;
type OutletFigures = Record<(typeof OUTLET_FIGURES)[number], number>;

const OUTLET_SUMS = sql.raw(`sum(sales_count) AS salesCount, sum(returns_count) AS returnsCount, sum(voids_count) AS voidsCount,
  sum(sales_total) + sum(returns_total) AS totalDue, sum(net) AS net, sum(tax) AS tax, sum(gross) AS gross, sum(quantity) AS quantity`);

const zero = (): OutletFigures => ({ salesCount: 0, returnsCount: 0, voidsCount: 0, totalDue: 0, net: 0, tax: 0, gross: 0, quantity: 0 });
const figures = (r: Row | undefined): OutletFigures => Object.fromEntries(OUTLET_FIGURES.map((k) => [k, num(r?.[k])])) as OutletFigures;
const add = (a: OutletFigures, b: OutletFigures) => {
  for (const k of OUTLET_FIGURES) a[k] += b[k];
  return a;
};

const outletFilter = (outletId: string) => (outletId === ALL ? {} : { store_id: outletId });
const lastDay = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const pad = (n: number) => String(n).padStart(2, "0");
const monthRange = (year: number, month: number) => ({ from: `${year}-${pad(month)}-01`, to: `${year}-${pad(month)}-${pad(lastDay(year, month))}` });
const dayShift = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** The outlets you may report on: "All", then each store where you hold reports.view_global. */
export async function outlets(ctx: ServiceContext): Promise<z.output<typeof Outlet>[]> {
  const read = await readReport(ctx, PERMISSION, {}, () => []);
  const stores = read.storeIds.map((id) => read.stores.get(id)!);
  return [{ id: ALL, code: null, name: "All", currency: null, timeZone: null }, ...stores.map((s) => ({ id: s.id, code: s.code, name: s.name, currency: s.currency, timeZone: s.timeZone }))];
}

function byOutlet(read: ReportRead, rows: Row[], range: (storeId: string) => { from: string; to: string }): z.output<typeof OutletSales> {
  const list = read.storeIds.map((id) => {
    const { from, to } = range(id);
    const f = zero();
    for (const r of rows) if (r.store_id === id && String(r.business_date) >= from && String(r.business_date) <= to) add(f, figures(r));
    return { outletId: id, outletName: read.stores.get(id)!.name, dateFrom: from, dateTo: to, ...f };
  });
  return { outlets: list, total: list.reduce((t, o) => add(t, figures(o as unknown as Row)), zero()) };
}

/**
 * Today's sales per outlet: each store's own local date now. Reads the days around today's UTC date (a store's
 * today is one of them) and keeps each store's own.
 */
export async function todaySales(ctx: ServiceContext): Promise<z.output<typeof OutletSales>> {
  const utc = new Date(ctx.request.now).toISOString().slice(0, 10);
  const read = await readReport(ctx, PERMISSION, {}, (w) => [
    sql`SELECT store_id, business_date, ${OUTLET_SUMS} FROM report_hourly r WHERE ${w.days("r", dayShift(utc, -1), dayShift(utc, 1))} GROUP BY store_id, business_date`,
  ]);
  return byOutlet(read, read.results[0]!, (id) => {
    const today = businessDay(ctx.request.now, read.stores.get(id)!.timeZone).businessDate;
    return { from: today, to: today };
  });
}

/** A month by outlet (this year's unless told): the whole month, which is month to date while it runs. */
export async function monthSales(ctx: ServiceContext, q: { month: number; year?: number }): Promise<z.output<typeof OutletSales>> {
  const year = q.year ?? new Date(ctx.request.now).getUTCFullYear();
  const { from, to } = monthRange(year, q.month);
  const read = await readReport(ctx, PERMISSION, {}, (w) => [
    sql`SELECT store_id, business_date, ${OUTLET_SUMS} FROM report_hourly r WHERE ${w.days("r", from, to)} GROUP BY store_id, business_date`,
  ]);
  return byOutlet(read, read.results[0]!, () => ({ from, to }));
}

/** An outlet's sales by category (department) over business dates. */
async function categories(ctx: ServiceContext, outletId: string, range: (read: ReportRead) => { from: string; to: string }, wide: { from: string; to: string }) {
  const read = await readReport(ctx, PERMISSION, outletFilter(outletId), (w) => [
    sql`SELECT r.store_id, r.business_date, r.department_id, d.name, sum(r.quantity) AS quantity, sum(r.net) AS net, sum(r.tax) AS tax, sum(r.gross) AS gross, sum(r.lines) AS lines
      FROM report_products r LEFT JOIN departments d ON d.id = r.department_id
      WHERE ${w.days("r", wide.from, wide.to)} GROUP BY r.store_id, r.business_date, r.department_id`,
  ]);
  return { read, rows: read.results[0]!, range: range(read) };
}

function categorySales(outletId: string, rows: Row[], keep: (r: Row) => boolean, from: string, to: string): z.output<typeof CategorySales> {
  const byDepartment = new Map<string, { departmentId: string | null; name: string; quantity: number; net: number; tax: number; gross: number; lines: number }>();
  for (const r of rows.filter(keep)) {
    const id = String(r.department_id ?? "");
    const c = byDepartment.get(id) ?? { departmentId: id || null, name: id ? String(r.name ?? "Unknown department") : "No department", quantity: 0, net: 0, tax: 0, gross: 0, lines: 0 };
    c.quantity += num(r.quantity);
    c.net += num(r.net);
    c.tax += num(r.tax);
    c.gross += num(r.gross);
    c.lines += num(r.lines);
    byDepartment.set(id, c);
  }
  const list = [...byDepartment.values()].filter((c) => c.lines !== 0).sort((a, b) => Number(a.departmentId === null) - Number(b.departmentId === null) || a.name.localeCompare(b.name));
  const total = list.reduce((t, c) => ({ quantity: t.quantity + c.quantity, net: t.net + c.net, tax: t.tax + c.tax, gross: t.gross + c.gross, lines: t.lines + c.lines }), { quantity: 0, net: 0, tax: 0, gross: 0, lines: 0 });
  return { outletId, dateFrom: from, dateTo: to, categories: list, total };
}

/** A month of an outlet (or All) by category. */
export async function monthCategories(ctx: ServiceContext, q: { outletId: string; year: number; month: number }) {
  const { from, to } = monthRange(q.year, q.month);
  const { rows } = await categories(ctx, q.outletId, () => ({ from, to }), { from, to });
  return categorySales(q.outletId, rows, () => true, from, to);
}

/** This month by category over every outlet you may see: each store's own current month. */
export async function currentMonthCategories(ctx: ServiceContext) {
  const utc = new Date(ctx.request.now).toISOString().slice(0, 10);
  // a store's current month is the UTC month or, near its turn, the one before or after: read from the month before
  const before = dayShift(`${utc.slice(0, 7)}-01`, -1);
  const wide = { from: `${before.slice(0, 7)}-01`, to: dayShift(utc, 1) };
  const { read, rows } = await categories(ctx, ALL, () => wide, wide);
  const monthOf = (storeId: string) => businessDay(ctx.request.now, read.stores.get(storeId)!.timeZone).businessDate.slice(0, 7);
  const months = new Map(read.storeIds.map((id) => [id, monthOf(id)]));
  const local = businessDay(ctx.request.now, read.stores.get(ctx.actor.storeId)?.timeZone ?? "UTC").businessDate;
  const [y, m] = local.split("-").map(Number) as [number, number];
  const { from, to } = monthRange(y, m);
  return categorySales(ALL, rows, (r) => String(r.business_date).slice(0, 7) === months.get(String(r.store_id)), from, to);
}

/** A day of an outlet (or All) by category. */
export async function dayCategories(ctx: ServiceContext, q: { outletId: string; dt: string }) {
  const { rows } = await categories(ctx, q.outletId, () => ({ from: q.dt, to: q.dt }), { from: q.dt, to: q.dt });
  return categorySales(q.outletId, rows, () => true, q.dt, q.dt);
}

/** A day of an outlet (or All) by hour of the store's wall clock: every hour 0-23, zeros where nothing was sold. */
export async function hourlySales(ctx: ServiceContext, q: { outletId: string; year: number; month: number; day: number }): Promise<z.output<typeof HourlySales>> {
  if (q.day > lastDay(q.year, q.month)) throw validationFailed([{ path: "query.day", message: `${q.year}-${pad(q.month)} has ${lastDay(q.year, q.month)} days` }]);
  const date = `${q.year}-${pad(q.month)}-${pad(q.day)}`;
  const read = await readReport(ctx, PERMISSION, outletFilter(q.outletId), (w) => [
    sql`SELECT hour, ${OUTLET_SUMS} FROM report_hourly r WHERE ${w.days("r", date, date)} GROUP BY hour`,
  ]);
  const rows = read.results[0]!;
  const hours = Array.from({ length: 24 }, (_, hour) => ({ hour, ...figures(rows.find((r) => num(r.hour) === hour)) }));
  return { outletId: q.outletId, date, hours };
}
