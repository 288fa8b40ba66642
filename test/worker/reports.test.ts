import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import { ALL_PERMISSIONS } from "../../schema/permissions";
import { backfillAggregateSql } from "../../worker/domain/sale-aggregates";
import { api, createTenant, d1Count, userWith, type TestTenant } from "./helpers";
import {
  byKey, expectedReports, localDayHour, only, reportCatalogue, returnSale, sellTemplate, storeWithTill, template, voidSale,
  type ReportCatalogue, type SentSale, type StoreFixture, type Till,
} from "./reports-fixtures";

/**
 * The reports of spec 002 (and the analytics of spec 001) through HTTP, against figures worked out here from the
 * sales the test sent: two stores in different time zones, sales on days where the local date is not the UTC
 * date, a return, a void, discounts, an overridden price, sales reps, split and cash payments with change.
 */

const REPORTS: [string, string][] = [
  ["sales-summary", "reports.view_global"], ["tax", "reports.view_global"], ["inventory-value", "reports.view_global"],
  ["product-performance", "reports.product_performance"], ["sales-by-period", "reports.view_global"], ["sales-by-rep", "reports.sales_by_rep"],
  ["profit-margin", "reports.profit_margin"], ["cashier-performance", "reports.cashier_performance"], ["department-sales", "reports.view_global"],
  ["inventory-turnover", "reports.view_global"], ["discount-analysis", "reports.discount_analysis"],
];

describe("reports", () => {
  let t: TestTenant;
  let cat: ReportCatalogue;
  let stores: StoreFixture[];
  let a: { store: StoreFixture; tills: Till[] };
  let b: { store: StoreFixture; tills: Till[] };
  const sales: SentSale[] = [];
  const cashiers = new Map<string, string>();
  const get = (path: string, token = t.adminToken, headers?: Record<string, string>) => api("GET", `/api/v1${path}`, { token, headers });
  const expected = (f: { from?: string; to?: string; storeIds?: string[] } = {}) =>
    expectedReports(sales, stores, cat, { cashiers }, { from: f.from, to: f.to, storeIds: f.storeIds ?? stores.map((s) => s.id) });

  beforeAll(async () => {
    t = await createTenant();
    cat = await reportCatalogue(t);
    a = await storeWithTill(t, null, 2);
    b = await storeWithTill(t, { code: "NY1", timeZone: "America/New_York" });
    stores = [b.store, a.store]; // by code, as the reports list them
    for (const till of [...a.tills, ...b.tills]) cashiers.set(till.cashierId, till.username);
    const [coffee, juice, sandwich, newspaper, mug, stamp, battery, sweets] = cat.products as [any, any, any, any, any, any, any, any];
    const at = (iso: string) => Date.parse(iso);
    const sell = async (till: Till, store: StoreFixture, basket: Parameters<typeof template>[1], mode: Parameters<typeof template>[2], soldAt: string, rep?: string) => {
      const sale = await sellTemplate(till.token, await template(till.token, basket, mode), store, till.cashierId, { soldAt: at(soldAt), salesRepId: rep ?? null });
      sales.push(sale);
      return sale;
    };
    const [a1, a2] = a.tills as [Till, Till];
    const [b1] = b.tills as [Till];
    // 23:30 UTC on the 10th is the 11th in Stockholm; 03:30 UTC on the 11th is still the 10th in New York.
    await sell(a1, a.store, [{ product: coffee, quantity: 2000 }, { product: sweets, quantity: 347, discount: 150 }], "cash", "2026-11-10T09:15:00Z");
    await sell(a1, a.store, [{ product: mug, quantity: 1000, unitPrice: 12900 }, { product: battery, quantity: 3000 }], "split", "2026-11-10T13:05:00Z", cat.reps[0]!.id);
    const late = await sell(a2, a.store, [{ product: sandwich, quantity: 1000 }, { product: stamp, quantity: 5000 }, { product: newspaper, quantity: 1000 }], "cash-change", "2026-11-10T23:30:00Z");
    await sell(a2, a.store, [{ product: juice, quantity: 4000, discount: 990 }], "swish", "2026-11-11T10:45:00Z", cat.reps[1]!.id);
    const voided = await sell(a1, a.store, [{ product: coffee, quantity: 1000 }], "card", "2026-11-11T11:00:00Z");
    await sell(b1, b.store, [{ product: battery, quantity: 1000 }, { product: coffee, quantity: 3000 }], "card", "2026-11-11T03:30:00Z", cat.reps[0]!.id);
    await sell(b1, b.store, [{ product: sweets, quantity: 1250 }], "cash", "2026-11-11T16:00:00Z");
    await sell(b1, b.store, [{ product: mug, quantity: 2000, discount: 2000 }], "split", "2026-11-12T20:10:00Z", cat.reps[1]!.id);
    await sell(b1, b.store, [{ product: juice, quantity: 1000 }], "card", new Date().toISOString()); // today, for "today" and "this month"
    sales.push(await returnSale(a1, a.store, late, at("2026-11-12T08:00:00Z"), "cash"));
    await voidSale(a1.token, voided);
  });

  it("works out the local business dates as the stores' clocks read them", () => {
    expect(localDayHour(Date.parse("2026-11-10T23:30:00Z"), "Europe/Stockholm")).toEqual({ date: "2026-11-11", hour: 0 });
    expect(localDayHour(Date.parse("2026-11-11T03:30:00Z"), "America/New_York")).toEqual({ date: "2026-11-10", hour: 22 });
  });

  it("sales summary: per store and in total, with tenders, in one round trip", async () => {
    const res = await get("/reports/sales-summary");
    expect(res.status).toBe(200);
    expect(d1Count(res)).toBe(1);
    const e = expected();
    expect(res.json.data.rows.map(({ storeName: _n, currency: _c, ...r }: any) => r)).toEqual(e.storeRows);
    expect(res.json.data.totals).toEqual(e.total);
    expect(e.total.voidsCount).toBe(1);
    expect(e.total.returnsCount).toBe(1);
    // One store and one business date: the 11th in Stockholm holds the late sale, not the 10th.
    const one = await get(`/reports/sales-summary?store_id=${a.store.id}&date_from=2026-11-11&date_to=2026-11-11`);
    const e11 = expected({ storeIds: [a.store.id], from: "2026-11-11", to: "2026-11-11" });
    expect(one.json.data.totals).toEqual({ ...e11.total });
    expect(one.json.data.filters).toEqual({ dateFrom: "2026-11-11", dateTo: "2026-11-11", storeIds: [a.store.id] });
    expect(e11.total.salesCount).toBe(2); // the late sale and the Swish sale (the voided one counts as a void)
  });

  it("tax report: per store and rate, taxable net and tax", async () => {
    const res = await get("/reports/tax?date_from=2026-11-01&date_to=2026-11-30");
    const keys = ["storeId", "taxRateId", "rateMillionths", "taxable", "tax", "lines"];
    const november = expected({ from: "2026-11-01", to: "2026-11-30" });
    expect(byKey(res.json.data.rows.map((r: any) => only(r, keys)), (r: any) => r.storeId + r.taxRateId)).toEqual(byKey(november.tax, (r) => r.storeId + r.taxRateId));
    expect(res.json.data.totals.tax).toBe(november.total.tax);
    expect(november.total.tax).toBeLessThan(expected().total.tax); // today's sale is not in November
  });

  it("product performance, department sales, profit margin and discount analysis agree with the lines sent", async () => {
    const e = expected();
    const perf = await get("/reports/product-performance");
    const pk = ["productId", "quantity", "soldQuantity", "returnedQuantity", "net", "tax", "gross", "discount", "cost", "margin", "lines"];
    expect(byKey(perf.json.data.rows.map((r: any) => only(r, pk)), (r: any) => r.productId)).toEqual(byKey(e.products.map((p) => only(p, pk)), (r: any) => r.productId));
    expect(perf.json.data.rows.map((r: any) => r.net)).toEqual([...perf.json.data.rows.map((r: any) => r.net)].sort((x, y) => y - x));

    const dept = await get("/reports/department-sales");
    const dk = ["departmentId", "name", "quantity", "net", "tax", "gross", "discount", "lines"];
    expect(byKey(dept.json.data.rows, (r: any) => r.name)).toEqual(byKey(e.departments.map((d) => only(d, dk)), (r: any) => r.name));

    const margin = await get("/reports/profit-margin");
    const rate = (m: number, n: number) => (n === 0 ? null : Math.sign(m * n) * Math.floor((Math.abs(m) * 10_000 * 2 + Math.abs(n)) / (2 * Math.abs(n))));
    expect(byKey(margin.json.data.rows, (r: any) => r.name)).toEqual(byKey(e.departments.map((d) => ({
      departmentId: d.departmentId, name: d.name, quantity: d.quantity, net: d.net, cost: d.cost, margin: d.net - d.cost, marginRate: rate(d.net - d.cost, d.net),
    })), (r) => r.name));
    expect(margin.json.data.totals.margin).toBe(e.total.net - e.total.cost);

    const discounts = await get("/reports/discount-analysis");
    const discounted = e.products.filter((p) => p.discountedLines !== 0);
    expect(byKey(discounts.json.data.rows.map((r: any) => only(r, ["productId", "discountedLines", "lines", "discount", "gross"])), (r: any) => r.productId))
      .toEqual(byKey(discounted.map((p) => only(p, ["productId", "discountedLines", "lines", "discount", "gross"])), (r: any) => r.productId));
    expect(discounts.json.data.totals.discount).toBe(e.total.discount);
  });

  it("sales by period: hour of the store's clock, business day, ISO week and month", async () => {
    const e = expected();
    const keys = ["period", "salesCount", "salesTotal", "returnsCount", "returnsTotal", "voidsCount", "voidsTotal", "net", "tax", "gross", "discount", "quantity", "lines", "cashRounding", "totalDue"];
    for (const period of ["day", "hour", "month"] as const) {
      const res = await get(`/reports/sales-by-period?period=${period}`);
      expect(res.status).toBe(200);
      expect(res.json.data.rows.map((r: any) => only(r, keys)), period).toEqual(e.period[period]);
    }
    const week = await get("/reports/sales-by-period?period=week");
    const november = week.json.data.rows.find((r: any) => r.period === "2026-W46"); // 10-12 November 2026
    expect(november.totalDue).toBe(expected({ from: "2026-11-09", to: "2026-11-15" }).total.totalDue);
    expect(week.json.data.totals.totalDue).toBe(e.total.totalDue);
  });

  it("sales by rep (with commission) and cashier performance", async () => {
    const e = expected();
    const reps = await get("/reports/sales-by-rep");
    const rk = ["salesRepId", "commissionRate", "salesCount", "salesTotal", "returnsCount", "returnsTotal", "voidsCount", "voidsTotal", "net", "tax", "gross", "discount", "quantity", "lines", "commission"];
    expect(byKey(reps.json.data.rows.map((r: any) => only(r, rk)), (r: any) => r.salesRepId)).toEqual(byKey(e.reps.map((r) => only(r, rk)), (r: any) => r.salesRepId));
    expect(reps.json.data.rows.find((r: any) => r.salesRepId === null).name).toBe("No sales rep");
    const cashierRows = await get("/reports/cashier-performance");
    const ck = ["cashierId", "username", ...rk.slice(2, -1), "averageSale"];
    expect(byKey(cashierRows.json.data.rows.map((r: any) => only(r, ck)), (r: any) => r.cashierId)).toEqual(byKey(e.cashiers.map((r) => only(r, ck)), (r: any) => r.cashierId));
  });

  it("inventory value and turnover: stock now at the product's cost, cost of goods sold at the sale's", async () => {
    const levels = await get(`/inventory?pageSize=200`);
    const value = await get("/reports/inventory-value");
    const held = levels.json.data.filter((l: any) => l.quantity !== 0);
    const costOf = new Map(cat.products.map((p) => [p.id, p]));
    const divRound = (x: number, y: number) => Math.sign(x) * Math.floor((Math.abs(x) * 2 + y) / (2 * y));
    expect(byKey(value.json.data.rows.map((r: any) => only(r, ["storeId", "productId", "quantity", "costValue", "retailValue"])), (r: any) => r.storeId + r.productId)).toEqual(
      byKey(held.map((l: any) => ({ storeId: l.storeId, productId: l.productId, quantity: l.quantity, costValue: divRound(l.quantity * costOf.get(l.productId)!.costPrice, 1000), retailValue: divRound(l.quantity * costOf.get(l.productId)!.price, 1000) })), (r: any) => r.storeId + r.productId),
    );
    // Nothing was booked in: every level is minus what was sold, so stock value is negative and turnover is null.
    const turnover = await get("/reports/inventory-turnover");
    const e = expected();
    for (const p of e.products) {
      const row = turnover.json.data.rows.find((r: any) => r.productId === p.productId);
      expect(row).toMatchObject({ quantitySold: p.quantity, costOfGoodsSold: p.cost, stockQuantity: -p.quantity || 0, turnover: null });
    }
    // Book stock in and the turnover is the cost sold over the stock's value, in thousandths.
    const coffee = cat.products[0]!;
    const adjust = await api("POST", "/api/v1/inventory/adjustments", { token: t.adminToken, body: { reason: "received", lines: [{ productId: coffee.id, countedQuantity: 40_000 }] } });
    expect(adjust.status).toBe(201);
    const after = await get(`/reports/inventory-turnover?store_id=${a.store.id}`);
    const ea = expected({ storeIds: [a.store.id] }).products.find((p) => p.productId === coffee.id)!;
    const stockValue = 40 * coffee.costPrice;
    expect(after.json.data.rows.find((r: any) => r.productId === coffee.id)).toMatchObject({ costOfGoodsSold: ea.cost, stockQuantity: 40_000, stockValue, turnover: divRound(ea.cost * 1000, stockValue) });
  });

  it("answers CSV with the same figures as the JSON when asked (Accept: text/csv)", async () => {
    for (const [name] of REPORTS) {
      const json = await get(`/reports/${name}`);
      const csv = await get(`/reports/${name}`, t.adminToken, { Accept: "text/csv" });
      expect(csv.status, name).toBe(200);
      expect(csv.headers.get("Content-Type")).toMatch(/^text\/csv/);
      const [header, ...lines] = (csv.json as string).trimEnd().split("\r\n");
      const columns = header!.split(",");
      expect(lines.length, name).toBe(json.json.data.rows.length);
      lines.forEach((line, i) => {
        const row = json.json.data.rows[i];
        const cells = line.split(","); // no field of these rows holds a comma
        columns.forEach((column, k) => {
          const path = column.split(".");
          const value = path.length === 3 ? row[path[0]!].find((x: any) => x.code === path[1])?.[path[2]!] : row[column];
          expect(cells[k], `${name} ${column}`).toBe(value === null || value === undefined ? "" : String(value));
        });
      });
    }
    const summary = await get("/reports/sales-summary", t.adminToken, { Accept: "text/csv" });
    expect((summary.json as string).split("\r\n")[0]).toContain("tenders.CASH.amount");
  });

  it("refuses each report without its permission, and another store's figures without the permission there", async () => {
    for (const [name, permission] of REPORTS) {
      const lacking = await userWith(t, ALL_PERMISSIONS.filter((p) => p !== permission));
      const res = await get(`/reports/${name}`, lacking.token);
      expect({ name, status: res.status, code: res.json.code }).toEqual({ name, status: 403, code: "MISSING_PERMISSION" });
    }
    // Every report permission in store A only: A's figures alone, and a 403 for B's.
    const inA = await userWith(t, REPORTS.map(([, p]) => p));
    const own = await get("/reports/sales-summary", inA.token);
    expect(own.json.data.filters.storeIds).toEqual([a.store.id]);
    expect(own.json.data.totals).toEqual(expected({ storeIds: [a.store.id] }).total);
    for (const [name] of REPORTS) {
      const res = await get(`/reports/${name}?store_id=${b.store.id}`, inA.token);
      expect({ name, status: res.status, code: res.json.code }).toEqual({ name, status: 403, code: "MISSING_PERMISSION_IN_STORE" });
    }
  });

  it("refuses bad filters with a 400 naming them, and another tenant's store with a 404", async () => {
    const reversed = await get("/reports/sales-summary?date_from=2026-11-12&date_to=2026-11-10");
    expect(reversed.status).toBe(400);
    expect(reversed.json.fields).toEqual([expect.objectContaining({ path: "query.date_to" })]);
    for (const bad of ["date_from=2026-02-30", "date_to=11/12/2026", "store_id=nope", "period=year"]) {
      const res = await get(`/reports/sales-by-period?${bad}`);
      expect(res.status, bad).toBe(400);
    }
    const other = await createTenant();
    const res = await get(`/reports/tax?store_id=${other.storeId}`);
    expect(res.status).toBe(404);
  });

  it("analytics: outlets with All, a month by outlet, a month and a day by category, a day by hour", async () => {
    const outlets = await get("/analytics/outlets");
    expect(outlets.json.data.map((o: any) => o.id)).toEqual(["all", b.store.id, a.store.id]);
    const month = await get("/analytics/month?month=11&year=2026");
    const e = expected({ from: "2026-11-01", to: "2026-11-30" });
    for (const s of stores) {
      const es = expected({ storeIds: [s.id], from: "2026-11-01", to: "2026-11-30" }).total;
      expect(month.json.data.outlets.find((o: any) => o.outletId === s.id)).toMatchObject({ salesCount: es.salesCount, returnsCount: es.returnsCount, voidsCount: es.voidsCount, totalDue: es.totalDue, net: es.net });
    }
    expect(month.json.data.total).toMatchObject({ totalDue: e.total.totalDue, net: e.total.net, tax: e.total.tax, gross: e.total.gross, quantity: e.total.quantity });

    const monthly = await get(`/analytics/monthly?outletId=all&year=2026&month=11`);
    expect(byKey(monthly.json.data.categories, (c: any) => c.name)).toEqual(byKey(e.departments.map((d) => only(d, ["departmentId", "name", "quantity", "net", "tax", "gross", "lines"])), (r: any) => r.name));
    const daily = await get(`/analytics/daily?outletId=${b.store.id}&dt=2026-11-10`);
    const eb = expected({ storeIds: [b.store.id], from: "2026-11-10", to: "2026-11-10" });
    expect(daily.json.data.total).toEqual({ quantity: eb.total.quantity, net: eb.total.net, tax: eb.total.tax, gross: eb.total.gross, lines: eb.total.lines });
    expect(eb.total.lines).toBe(2); // the 03:30 UTC sale, the 10th in New York

    const hourly = await get(`/analytics/hourly?outletId=${a.store.id}&year=2026&month=11&day=11`);
    expect(hourly.json.data.hours).toHaveLength(24);
    const ea = expected({ storeIds: [a.store.id], from: "2026-11-11", to: "2026-11-11" });
    for (const h of ea.period.hour) expect(hourly.json.data.hours[Number(h.period)]).toMatchObject({ salesCount: h.salesCount, voidsCount: h.voidsCount, net: h.net, totalDue: h.totalDue });
    expect(hourly.json.data.hours[0].salesCount).toBe(1); // 00:30 in Stockholm

    const today = await get("/analytics/today");
    for (const s of stores) {
      const day = localDayHour(Date.now(), s.timeZone).date;
      const et = expected({ storeIds: [s.id], from: day, to: day }).total;
      expect(today.json.data.outlets.find((o: any) => o.outletId === s.id)).toMatchObject({ dateFrom: day, salesCount: et.salesCount, totalDue: et.totalDue, net: et.net });
    }
    expect(today.json.data.total.salesCount).toBeGreaterThanOrEqual(1);
    const thisMonth = localDayHour(Date.now(), "Europe/Stockholm").date.slice(0, 7);
    const current = await get("/analytics/current-month");
    const ec = expected({ from: `${thisMonth}-01`, to: `${thisMonth}-31` });
    expect(current.json.data.dateFrom).toBe(`${thisMonth}-01`);
    expect(byKey(current.json.data.categories, (c: any) => c.name)).toEqual(byKey(ec.departments.map((d) => only(d, ["departmentId", "name", "quantity", "net", "tax", "gross", "lines"])), (r: any) => r.name));
    expect(current.json.data.categories.length).toBeGreaterThan(0);

    const badDay = await get(`/analytics/hourly?outletId=all&year=2026&month=2&day=30`);
    expect(badDay.status).toBe(400);
    const csv = await get(`/analytics/hourly?outletId=all&year=2026&month=11&day=11`, t.adminToken, { Accept: "text/csv" });
    expect((csv.json as string).trimEnd().split("\r\n")).toHaveLength(25);
  });

  it("store dashboard: today's sales in the store's local day, open registers, low stock (sync parts: store-dashboard.test.ts)", async () => {
    const till = a.tills[0]!;
    const coffee = cat.products[0]!;
    const before = await get("/stores/dashboard");
    expect(before.status).toBe(200);
    expect(before.json.data).toMatchObject({ store: { id: a.store.id } });
    expect(before.json.data.businessDate).toBe(localDayHour(Date.now(), "Europe/Stockholm").date);
    expect(before.json.data.openRegisters.map((r: any) => r.sessionId).sort()).toEqual(a.tills.map((x) => x.sessionId).sort());
    const sale = await sellTemplate(till.token, await template(till.token, [{ product: coffee, quantity: 2000 }], "card"), a.store, till.cashierId, { soldAt: Date.now() });
    const after = await get("/stores/dashboard");
    expect(after.json.data.today.salesCount).toBe(before.json.data.today.salesCount + 1);
    expect(after.json.data.today.totalDue).toBe(before.json.data.today.totalDue + sale.totalDue);
    expect(after.json.data.today.net).toBe(before.json.data.today.net + sale.lines[0]!.net);

    // Stamps: five sold and returned in store A, so 0 in stock: low only once it has a reorder point above that.
    const stamp = cat.products[5]!;
    expect(after.json.data.lowStock.items.map((i: any) => i.productId)).not.toContain(stamp.id);
    const set = await api("PUT", "/api/v1/inventory/reorder-points", { token: t.adminToken, body: { items: [{ productId: stamp.id, reorderPoint: 5000 }] } });
    expect(set.status).toBe(200);
    const low = await get("/stores/dashboard");
    expect(low.json.data.lowStock.items).toContainEqual({ productId: stamp.id, sku: stamp.sku, name: stamp.name, quantity: 0, reorderPoint: 5000 });
    expect(low.json.data.lowStock.count).toBe(low.json.data.lowStock.items.length);

    const other = await get(`/stores/dashboard?store_id=${b.store.id}`);
    expect(other.json.data.store).toMatchObject({ id: b.store.id, timeZone: "America/New_York" });
    const viewer = await userWith(t, ["stores.view"]);
    const refused = await get(`/stores/dashboard?store_id=${b.store.id}`, viewer.token);
    expect({ status: refused.status, code: refused.json.code }).toEqual({ status: 403, code: "MISSING_PERMISSION_IN_STORE" });
    const none = await userWith(t, ALL_PERMISSIONS.filter((p) => p !== "stores.view"));
    expect((await get("/stores/dashboard", none.token)).status).toBe(403);
  });

  it("the migration's backfill makes from the stored sales exactly the rows the sales wrote (business dates from its time zone table)", async () => {
    const reports = ["sales-summary", "tax", "product-performance", "sales-by-period?period=hour", "sales-by-rep", "cashier-performance", "discount-analysis"];
    const before = await Promise.all(reports.map((r) => get(`/reports/${r}`)));
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.includes("sales_aggregates_backfill"))!;
    const saleIds = sales.map((s) => s.id);
    await env.DB.prepare("DELETE FROM report_sale_days WHERE sale_id IN (SELECT value FROM json_each(?))").bind(JSON.stringify(saleIds)).run();
    await env.DB.batch(migration.queries.map((q) => env.DB.prepare(q)));
    const { results } = await env.DB.prepare("SELECT count(*) AS n FROM report_sale_days WHERE sale_id IN (SELECT value FROM json_each(?))").bind(JSON.stringify(saleIds)).all();
    expect(results[0]!.n).toBe(saleIds.length);
    const after = await Promise.all(reports.map((r) => get(`/reports/${r}`)));
    after.forEach((res, i) => expect(res.json.data, reports[i]).toEqual(before[i]!.json.data));
  });

  it("the backfill migration rebuilds the report tables with the very statements the sales service writes", () => {
    const dialect = new SQLiteSyncDialect();
    const squash = (text: string) => text.replace(/^--.*$/gm, "").replace(/\s+/g, " ").trim().replace(/;$/, "");
    const rendered = backfillAggregateSql().map((q) => dialect.sqlToQuery(q));
    for (const r of rendered) expect(r.params).toEqual([]);
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.includes("sales_aggregates_backfill"))!;
    // (the migration reader splits statements as it sees fit: look for each one in order in the whole text)
    const text = squash(migration.queries.join(";\n"));
    let at = 0;
    for (const r of rendered) {
      const found = text.indexOf(`${squash(r.sql)};`, at);
      expect(found, squash(r.sql).slice(0, 60)).toBeGreaterThanOrEqual(at);
      at = found + 1;
    }
  });
});
