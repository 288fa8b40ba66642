import { beforeAll, describe, expect, it } from "vitest";
import { random } from "./registers-fixtures";
import { ADMIN_PASSWORD, api, createTenant, type TestTenant } from "./helpers";
import {
  byKey, expectedReports, keepSignedIn, localDayHour, only, reportCatalogue, returnSale, sellTemplate, storeWithTill, template,
  voidSale, type BasketLine, type PayMode, type ReportCatalogue, type SentSale, type StoreFixture, type Template, type Till,
} from "./reports-fixtures";

/**
 * A scripted month of the back office: two stores (Stockholm and New York), SALES sales over 30 days from
 * 15 October 2026, across both stores' end of summer time (25 October in Stockholm, 1 November in New York),
 * with returns and voids, sold through POST /api/v1/sales by four tills. Every report then equals the figures
 * worked out here from what was sent, to the öre.
 *
 * Speed: a sale is one POST of a body quoted once per basket and payment mode (the quotes are the catalogue's
 * word on prices and taxes); the tills post in parallel.
 */

const SALES = 3000;
const RETURNS = 150;
const VOIDS = 60;
const DAYS = 30;
const FIRST_DAY = Date.parse("2026-10-15T00:00:00Z");
const PARALLEL = 8;

async function inParallel<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  }));
  return out;
}

describe("a month in the back office", () => {
  let t: TestTenant;
  let cat: ReportCatalogue;
  let stores: StoreFixture[];
  const shops: { store: StoreFixture; tills: Till[] }[] = [];
  const sales: SentSale[] = [];
  const cashiers = new Map<string, string>();
  const get = (path: string, headers?: Record<string, string>) => api("GET", `/api/v1${path}`, { token: t.adminToken, headers });
  const expected = (f: { from?: string; to?: string; storeIds?: string[] } = {}) =>
    expectedReports(sales, stores, cat, { cashiers }, { from: f.from, to: f.to, storeIds: f.storeIds ?? stores.map((s) => s.id) });

  beforeAll(async () => {
    const started = Date.now();
    t = await createTenant();
    cat = await reportCatalogue(t);
    shops.push(await storeWithTill(t, null, 2), await storeWithTill(t, { code: "NY1", timeZone: "America/New_York" }, 2));
    stores = shops.map((s) => s.store).sort((x, y) => x.code.localeCompare(y.code));
    for (const s of shops) for (const till of s.tills) cashiers.set(till.cashierId, till.username);
    const rng = random(20261015);

    // Baskets quoted once per till and payment mode: 1 to 4 lines, some weighed, discounted or at an overridden price.
    const modes: PayMode[] = ["cash", "card", "swish", "split", "cash-change"];
    const basket = (): BasketLine[] => Array.from({ length: rng.int(1, 4) }, () => {
      const product = rng.pick(cat.products);
      const quantity = product.name === "Sweets" ? rng.int(50, 1900) : rng.int(1, 4) * 1000;
      const unitPrice = rng.next() < 0.1 ? product.price - rng.int(1, Math.floor(product.price / 3)) : undefined;
      const discount = rng.next() < 0.2 ? rng.int(1, Math.floor(product.price / 5)) : 0;
      return { product, quantity, unitPrice, discount };
    });
    const templates = new Map<Till, Template[]>();
    await inParallel(PARALLEL, shops.flatMap((s) => s.tills).map((till) => async () => {
      const list: Template[] = [];
      for (let i = 0; i < 12; i++) list.push(await template(till.token, basket(), modes[i % modes.length]!));
      templates.set(till, list);
    }));

    // The sales: each at a random minute of one of the 30 days, at a random till, a third with a sales rep.
    const plan = Array.from({ length: SALES }, () => {
      const shop = rng.pick(shops);
      const till = rng.pick(shop.tills);
      return { shop, till, tpl: rng.pick(templates.get(till)!), soldAt: FIRST_DAY + rng.int(0, DAYS * 1440 - 1) * 60_000 + rng.int(0, 59_999), rep: rng.next() < 0.33 ? rng.pick(cat.reps).id : null };
    });
    // A few at the stores' repeated hour (the clocks go back): 02:xx in Stockholm on 25 October, 01:xx in New York on 1 November, both times round.
    const repeated = [Date.parse("2026-10-25T00:30:00Z"), Date.parse("2026-10-25T01:30:00Z"), Date.parse("2026-11-01T05:30:00Z"), Date.parse("2026-11-01T06:30:00Z")];
    repeated.forEach((at, i) => (plan[i]!.soldAt = at, plan[i]!.shop = shops[i < 2 ? 0 : 1]!, plan[i]!.till = plan[i]!.shop.tills[0]!, plan[i]!.tpl = templates.get(plan[i]!.till)![0]!));
    const quoted = Date.now();
    const sold = await inParallel(PARALLEL, plan.map((p) => async () => {
      await keepSignedIn(p.till);
      return sellTemplate(p.till.token, p.tpl, p.shop.store, p.till.cashierId, { soldAt: p.soldAt, salesRepId: p.rep });
    }));
    sales.push(...sold);
    const selling = Date.now();

    // Returns of some sales, a day or two later (refunds in cash or to the card), and voids of others.
    const tillOf = new Map(shops.flatMap((s) => s.tills.map((till) => [till.cashierId, { till, store: s.store }] as const)));
    const picked = new Set<number>();
    const pickSale = () => {
      let i: number;
      do i = rng.int(0, sold.length - 1); while (picked.has(i));
      picked.add(i);
      return sold[i]!;
    };
    const toReturn = Array.from({ length: RETURNS }, pickSale);
    const toVoid = Array.from({ length: VOIDS }, pickSale);
    const returns = await inParallel(PARALLEL, toReturn.map((s) => async () => {
      const { till, store } = tillOf.get(s.cashierId)!;
      await keepSignedIn(till);
      return returnSale(till, store, s, s.soldAt + rng.int(1, 48 * 60) * 60_000, rng.next() < 0.5 ? "cash" : "card");
    }));
    sales.push(...returns);
    await inParallel(PARALLEL, toVoid.map((s) => async () => {
      await keepSignedIn(tillOf.get(s.cashierId)!.till);
      return voidSale(tillOf.get(s.cashierId)!.till.token, s);
    }));
    // A return voided too: its refund is taken back, the sale counts again.
    await voidSale(tillOf.get(returns[0]!.cashierId)!.till.token, returns[0]!);
    // the reports are read by the administrator, signed in afresh (access tokens last five minutes)
    const login = await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username: "admin", password: ADMIN_PASSWORD } });
    t.adminToken = login.json.data.accessToken;
    console.log(`month: set up in ${((quoted - started) / 1000).toFixed(1)} s, ${SALES} sales in ${((selling - quoted) / 1000).toFixed(1)} s, returns and voids in ${((Date.now() - selling) / 1000).toFixed(1)} s`);
  }, 300_000);

  it("spans both stores' change of clocks and local dates that are not the UTC date", () => {
    const stockholm = stores.find((s) => s.timeZone === "Europe/Stockholm")!;
    const atRepeatedHour = sales.filter((s) => s.storeId === stockholm.id && localDayHour(s.soldAt, stockholm.timeZone).date === "2026-10-25" && localDayHour(s.soldAt, stockholm.timeZone).hour === 2);
    expect(atRepeatedHour.length).toBeGreaterThanOrEqual(2);
    expect(sales.filter((s) => s.kind === "sale")).toHaveLength(SALES);
    expect(sales.filter((s) => s.status === "voided")).toHaveLength(VOIDS + 1);
  });

  it("sales summary, per store and in total, over the month and over the weeks of the clock changes", async () => {
    for (const f of [{}, { from: "2026-10-24", to: "2026-11-02" }, { from: "2026-10-25", to: "2026-10-25" }, { from: "2026-11-01", to: "2026-11-01" }]) {
      const q = new URLSearchParams({ ...(f.from ? { date_from: f.from, date_to: f.to! } : {}) });
      const res = await get(`/reports/sales-summary?${q}`);
      const e = expected(f);
      expect(res.json.data.rows.map(({ storeName: _n, currency: _c, ...r }: any) => r)).toEqual(e.storeRows);
      expect(res.json.data.totals).toEqual(e.total);
    }
    for (const s of stores) {
      const res = await get(`/reports/sales-summary?store_id=${s.id}`);
      expect(res.json.data.totals).toEqual(expected({ storeIds: [s.id] }).total);
    }
  });

  it("tax, product, department, margin, discount, rep and cashier reports", async () => {
    const e = expected();
    const tax = await get("/reports/tax");
    expect(byKey(tax.json.data.rows.map((r: any) => only(r, ["storeId", "taxRateId", "rateMillionths", "taxable", "tax", "lines"])), (r: any) => r.storeId + r.taxRateId))
      .toEqual(byKey(e.tax, (r) => r.storeId + r.taxRateId));
    const pk = ["productId", "quantity", "soldQuantity", "returnedQuantity", "net", "tax", "gross", "discount", "cost", "margin", "lines"];
    const perf = await get("/reports/product-performance");
    expect(byKey(perf.json.data.rows.map((r: any) => only(r, pk)), (r: any) => r.productId)).toEqual(byKey(e.products.map((p) => only(p, pk)), (r: any) => r.productId));
    const dept = await get("/reports/department-sales");
    const dk = ["departmentId", "name", "quantity", "net", "tax", "gross", "discount", "lines"];
    expect(byKey(dept.json.data.rows, (r: any) => r.name)).toEqual(byKey(e.departments.map((d) => only(d, dk)), (r: any) => r.name));
    const margin = await get("/reports/profit-margin");
    expect(byKey(margin.json.data.rows.map((r: any) => only(r, ["departmentId", "net", "cost", "margin"])), (r: any) => r.departmentId))
      .toEqual(byKey(e.departments.map((d) => ({ departmentId: d.departmentId, net: d.net, cost: d.cost, margin: d.net - d.cost })), (r: any) => r.departmentId));
    const discounts = await get("/reports/discount-analysis");
    expect(discounts.json.data.totals.discount).toBe(e.total.discount);
    expect(byKey(discounts.json.data.rows.map((r: any) => only(r, ["productId", "discountedLines", "discount"])), (r: any) => r.productId))
      .toEqual(byKey(e.products.filter((p) => p.discountedLines).map((p) => only(p, ["productId", "discountedLines", "discount"])), (r: any) => r.productId));
    const rk = ["salesRepId", "salesCount", "salesTotal", "returnsCount", "returnsTotal", "voidsCount", "voidsTotal", "net", "tax", "gross", "discount", "quantity", "lines", "commission"];
    const reps = await get("/reports/sales-by-rep");
    expect(byKey(reps.json.data.rows.map((r: any) => only(r, rk)), (r: any) => r.salesRepId)).toEqual(byKey(e.reps.map((r) => only(r, rk)), (r: any) => r.salesRepId));
    const ck = ["cashierId", ...rk.slice(1, -1), "averageSale"];
    const cash = await get("/reports/cashier-performance");
    expect(byKey(cash.json.data.rows.map((r: any) => only(r, ck)), (r: any) => r.cashierId)).toEqual(byKey(e.cashiers.map((r) => only(r, ck)), (r: any) => r.cashierId));
  });

  it("sales by hour, day and month in each store's time zone, the repeated hour counted once as a wall-clock hour", async () => {
    const keys = ["period", "salesCount", "salesTotal", "returnsCount", "returnsTotal", "voidsCount", "voidsTotal", "net", "tax", "gross", "discount", "quantity", "lines", "cashRounding", "totalDue"];
    for (const s of stores) {
      for (const period of ["hour", "day", "month"] as const) {
        const res = await get(`/reports/sales-by-period?period=${period}&store_id=${s.id}`);
        expect(res.json.data.rows.map((r: any) => only(r, keys)), `${s.code} ${period}`).toEqual(expected({ storeIds: [s.id] }).period[period]);
      }
      const dst = await get(`/reports/sales-by-period?period=hour&store_id=${s.id}&date_from=2026-10-25&date_to=2026-11-01`);
      expect(dst.json.data.rows.map((r: any) => only(r, keys))).toEqual(expected({ storeIds: [s.id], from: "2026-10-25", to: "2026-11-01" }).period.hour);
    }
    const weeks = await get("/reports/sales-by-period?period=week");
    // 15 October (week 42) to 13 November (week 46), and returns up to two days later
    expect(weeks.json.data.rows.map((r: any) => r.period).slice(0, 5)).toEqual(["2026-W42", "2026-W43", "2026-W44", "2026-W45", "2026-W46"]);
    expect(weeks.json.data.totals.totalDue).toBe(expected().total.totalDue);
  });

  it("the analytics: a month by outlet, categories of a month and of the day the clocks went back, and that day by hour", async () => {
    const month = await get("/analytics/month?month=10&year=2026");
    for (const s of stores) {
      const e = expected({ storeIds: [s.id], from: "2026-10-01", to: "2026-10-31" }).total;
      expect(month.json.data.outlets.find((o: any) => o.outletId === s.id)).toMatchObject({ salesCount: e.salesCount, returnsCount: e.returnsCount, voidsCount: e.voidsCount, totalDue: e.totalDue, net: e.net, tax: e.tax });
    }
    const november = await get("/analytics/monthly?outletId=all&year=2026&month=11");
    const en = expected({ from: "2026-11-01", to: "2026-11-30" });
    expect(byKey(november.json.data.categories, (c: any) => c.name)).toEqual(byKey(en.departments.map((d) => only(d, ["departmentId", "name", "quantity", "net", "tax", "gross", "lines"])), (r: any) => r.name));
    const stockholm = stores.find((s) => s.timeZone === "Europe/Stockholm")!;
    const day = await get(`/analytics/daily?outletId=${stockholm.id}&dt=2026-10-25`);
    const ed = expected({ storeIds: [stockholm.id], from: "2026-10-25", to: "2026-10-25" });
    expect(day.json.data.total).toEqual({ quantity: ed.total.quantity, net: ed.total.net, tax: ed.total.tax, gross: ed.total.gross, lines: ed.total.lines });
    const hours = await get(`/analytics/hourly?outletId=${stockholm.id}&year=2026&month=10&day=25`);
    for (const h of ed.period.hour) expect(hours.json.data.hours[Number(h.period)]).toMatchObject({ salesCount: h.salesCount, returnsCount: h.returnsCount, voidsCount: h.voidsCount, totalDue: h.totalDue, net: h.net });
    expect(hours.json.data.hours.reduce((n: number, h: any) => n + h.totalDue, 0)).toBe(ed.total.totalDue);
  });

  it("CSV of the month's product performance matches its JSON", async () => {
    const json = await get("/reports/product-performance");
    const csv = await get("/reports/product-performance", { Accept: "text/csv" });
    const [header, ...lines] = (csv.json as string).trimEnd().split("\r\n");
    const columns = header!.split(",");
    expect(lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [columns[i], v])))).toEqual(
      json.json.data.rows.map((r: any) => Object.fromEntries(columns.map((c) => [c, r[c] === null ? "" : String(r[c])]))),
    );
  });
});
