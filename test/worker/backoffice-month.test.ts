import { beforeAll, describe, expect, it } from "vitest";
import { random } from "./registers-fixtures";
import { ADMIN_PASSWORD, api, createTenant, type TestTenant } from "./helpers";
import {
  byKey, divRound, expectedReports, keepSignedIn, localDayHour, only, reportCatalogue, returnSale, sellTemplate, storeWithTill, sum, template,
  voidSale, type BasketLine, type PayMode, type ProductFixture, type ReportCatalogue, type SentSale, type StoreFixture, type Template, type Till,
} from "./reports-fixtures";

/**
 * A scripted month of the back office: two stores (Stockholm and New York), SALES sales over 30 days from
 * 15 October 2026, across both stores' end of summer time (25 October in Stockholm, 1 November in New York),
 * with returns and voids, sold through POST /api/v1/sales by four tills. Then the month's stock work, through HTTP
 * as the back office does it: a transfer from Stockholm to New York received one line short, a purchase order to
 * New York received in two parts (moving the products' cost price to the moving average), and a stock count in
 * Stockholm with differences, posted between the two receipts. Every report, stock level and cost then equals the
 * figures worked out here from what was sent, to the öre.
 *
 * Time: the sales carry their own `soldAt`; the stock documents have no date of their own in the API, so they run
 * after the selling, at the real time of the test run (their movements and levels are "now"; the purchase order's
 * expected delivery date is in the month). Sales lines keep the cost price of their sale, so the receipts, which
 * come after every sale, return and void, do not move the sales reports' costs.
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
/** Units each product starts the month with in each store (more than a month sells). */
const START_UNITS = 4000;

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

  // Stock, worked out from what was sent: what was booked besides the sales (starting stock, transfer, receipts,
  // count), less what the completed sales took (a return's negative lines give back; a voided sale or return is
  // not completed, its void having restored what it moved), and each product's cost price as the receipts move it.
  const booked = new Map<string, number>();
  const book = (storeId: string, productId: string, quantity: number) => booked.set(`${storeId}:${productId}`, (booked.get(`${storeId}:${productId}`) ?? 0) + quantity);
  const levelOf = (storeId: string, productId: string) =>
    (booked.get(`${storeId}:${productId}`) ?? 0) - sum(sales.filter((s) => s.storeId === storeId && s.status === "completed").flatMap((s) => s.lines).filter((l) => l.product.id === productId), (l) => l.quantity);
  const costNow = new Map<string, number>();
  /** README "Back office: stock": the weighted average of the tenant's stock on hand (below zero as none) at its cost and what arrived at its cost, rounded half up. */
  const receive = (productId: string, quantity: number, unitCost: number) => {
    const onHand = Math.max(0, sum(stores, (s) => levelOf(s.id, productId)));
    costNow.set(productId, Math.floor((2 * (onHand * costNow.get(productId)! + quantity * unitCost) + (onHand + quantity)) / (2 * (onHand + quantity))));
  };
  const docs: { transfer?: any; receipts: any[]; count?: any; countLines?: any[]; countValue?: number } = { receipts: [] };
  const ok = async (method: string, path: string, body: unknown, status = 200) => {
    const res = await api(method, `/api/v1${path}`, { token: t.adminToken, body });
    if (res.status !== status) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json.data;
  };

  beforeAll(async () => {
    const started = Date.now();
    t = await createTenant();
    cat = await reportCatalogue(t);
    shops.push(await storeWithTill(t, null, 2), await storeWithTill(t, { code: "NY1", timeZone: "America/New_York" }, 2));
    stores = shops.map((s) => s.store).sort((x, y) => x.code.localeCompare(y.code));
    const [stockholm, newYork] = [shops[0]!.store, shops[1]!.store];
    for (const p of cat.products) costNow.set(p.id, p.costPrice);
    // the stock each store starts the month with, booked in as received
    for (const s of stores) {
      const lines = cat.products.map((p, i) => ({ productId: p.id, quantity: (START_UNITS + 100 * i) * 1000 }));
      await ok("POST", "/inventory/adjustments", { storeId: s.id, reason: "received", lines }, 201);
      for (const l of lines) book(s.id, l.productId, l.quantity);
    }
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
    // the back office works and reads the reports as the administrator, signed in afresh (access tokens last five minutes)
    const login = await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username: "admin", password: ADMIN_PASSWORD } });
    t.adminToken = login.json.data.accessToken;
    const stockStarted = Date.now();

    // A transfer from Stockholm to New York: 40 coffees and 12 mugs sent, 10 mugs arrive (two broken on the way).
    const product = (name: string) => cat.products.find((p) => p.name === name)!;
    const [coffee, mug, battery, sweets, newspaper] = ["Coffee", "Mug", "Battery", "Sweets", "Newspaper"].map(product) as [ProductFixture, ProductFixture, ProductFixture, ProductFixture, ProductFixture];
    const transfer = await ok("POST", "/transfers", { fromStoreId: stockholm.id, toStoreId: newYork.id, notes: "Month's top-up", lines: [{ productId: coffee.id, quantity: 40_000 }, { productId: mug.id, quantity: 12_000 }] }, 201);
    await ok("PUT", `/transfers/${transfer.id}/send`, {});
    book(stockholm.id, coffee.id, -40_000);
    book(stockholm.id, mug.id, -12_000);
    docs.transfer = await ok("PUT", `/transfers/${transfer.id}/receive`, { lines: [{ productId: mug.id, receivedQuantity: 10_000, reason: "Two broken on the way" }] });
    book(newYork.id, coffee.id, 40_000);
    book(newYork.id, mug.id, 10_000);

    // A purchase order to New York: 200 coffees at 8.20 and 30 batteries at 41.00, received 120 + 30, then the other 80.
    const supplierId = (await ok("POST", "/suppliers", { name: "Rosteriet AB" }, 201)).id;
    const po = await ok("POST", "/purchase-orders", {
      supplierId, storeId: newYork.id, expectedDeliveryDate: "2026-11-05",
      lines: [{ productId: coffee.id, quantity: 200_000, unitCost: 820 }, { productId: battery.id, quantity: 30_000, unitCost: 4100 }],
    }, 201);
    for (const step of ["submit", "approve", "send"]) await ok("PATCH", `/purchase-orders/${po.id}/${step}`, {});
    const [coffeeLine, batteryLine] = po.lines;
    docs.receipts.push(await ok("PATCH", `/purchase-orders/${po.id}/receive`, { lines: [{ lineId: coffeeLine.id, quantity: 120_000 }, { lineId: batteryLine.id, quantity: 30_000 }], note: "First pallet" }));
    receive(coffee.id, 120_000, 820);
    receive(battery.id, 30_000, 4100);
    book(newYork.id, coffee.id, 120_000);
    book(newYork.id, battery.id, 30_000);

    // A count of Stockholm between the receipts: three coffees missing, 250 g more sweets than booked, the newspapers as booked.
    const count = await ok("POST", "/stock-counts", { storeId: stockholm.id, notes: "Month end" }, 201);
    const counted: [ProductFixture, number][] = [[coffee, -3_000], [sweets, 250], [newspaper, 0]];
    docs.countLines = counted.map(([p, difference]) => ({ productId: p.id, expectedQuantity: levelOf(stockholm.id, p.id), countedQuantity: levelOf(stockholm.id, p.id) + difference, difference }));
    docs.countValue = sum(counted, ([p, difference]) => divRound(difference * costNow.get(p.id)!, 1000));
    await ok("PUT", `/stock-counts/${count.id}/lines`, { lines: docs.countLines.map((l) => ({ productId: l.productId, countedQuantity: l.countedQuantity })) });
    docs.count = await ok("PUT", `/stock-counts/${count.id}/post`, {});
    for (const [p, difference] of counted) book(stockholm.id, p.id, difference);

    docs.receipts.push(await ok("PATCH", `/purchase-orders/${po.id}/receive`, { lines: [{ lineId: coffeeLine.id, quantity: 80_000 }], note: "The rest" }));
    receive(coffee.id, 80_000, 820);
    book(newYork.id, coffee.id, 80_000);
    console.log(`month: set up in ${((quoted - started) / 1000).toFixed(1)} s, ${SALES} sales in ${((selling - quoted) / 1000).toFixed(1)} s, returns and voids in ${((stockStarted - selling) / 1000).toFixed(1)} s, stock work in ${((Date.now() - stockStarted) / 1000).toFixed(1)} s`);
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

  it("the stock documents: the transfer's short line, the two receipts, the count's differences at cost", () => {
    const mug = cat.products.find((p) => p.name === "Mug")!;
    expect(docs.transfer).toMatchObject({ status: "received" });
    expect(docs.transfer.lines.map((l: any) => only(l, ["productId", "quantity", "receivedQuantity", "discrepancy", "discrepancyReason"]))).toEqual([
      { productId: cat.products.find((p) => p.name === "Coffee")!.id, quantity: 40_000, receivedQuantity: 40_000, discrepancy: 0, discrepancyReason: null },
      { productId: mug.id, quantity: 12_000, receivedQuantity: 10_000, discrepancy: -2_000, discrepancyReason: "Two broken on the way" },
    ]);
    expect(docs.receipts.map((r) => r.status)).toEqual(["partially_received", "received"]);
    expect(docs.receipts[1].lines.map((l: any) => l.receivedQuantity)).toEqual([200_000, 30_000]);
    expect(docs.count).toMatchObject({ status: "posted", countedLines: docs.countLines!.length, differenceValue: docs.countValue });
  });

  it("every product's stock in each store: the start, less the sales, plus the returns, the voids undone, the transfer, the receipts and the count", async () => {
    for (const s of stores) {
      const res = await get(`/inventory?store_id=${s.id}&pageSize=200`);
      expect(byKey(res.json.data.map((r: any) => only(r, ["productId", "quantity"])), (r: any) => r.productId), s.code)
        .toEqual(byKey(cat.products.map((p) => ({ productId: p.id, quantity: levelOf(s.id, p.id) })), (r) => r.productId));
    }
    // the count found its lines where the test had them: the snapshot is the level after the month's sales and the transfer
    const countLines = await get(`/stock-counts/${docs.count.id}/lines?counted=true&pageSize=200`);
    expect(byKey(countLines.json.data.map((l: any) => only(l, ["productId", "expectedQuantity", "countedQuantity", "difference"])), (r: any) => r.productId))
      .toEqual(byKey(docs.countLines!, (r) => r.productId));
  });

  it("cost prices after the two receipts are the moving average worked out here; the products not received keep theirs", async () => {
    const moved = cat.products.filter((p) => costNow.get(p.id) !== p.costPrice).map((p) => p.name).sort();
    expect(moved).toEqual(["Battery", "Coffee"]);
    for (const p of cat.products) expect((await get(`/products/${p.id}`)).json.data.costPrice, p.name).toBe(costNow.get(p.id));
  });

  it("inventory value per store and product: quantity × cost price and × sell price, thousandths divided out per row", async () => {
    const keys = ["storeId", "productId", "quantity", "costPrice", "costValue", "sellPrice", "retailValue"];
    const rowsOf = (storeIds: string[]) => storeIds.flatMap((storeId) => cat.products.map((p) => {
      const quantity = levelOf(storeId, p.id);
      return { storeId, productId: p.id, quantity, costPrice: costNow.get(p.id)!, costValue: divRound(quantity * costNow.get(p.id)!, 1000), sellPrice: p.price, retailValue: divRound(quantity * p.price, 1000) };
    })).filter((r) => r.quantity !== 0);
    for (const storeIds of [stores.map((s) => s.id), ...stores.map((s) => [s.id])]) {
      const res = await get(`/reports/inventory-value${storeIds.length === 1 ? `?store_id=${storeIds[0]}` : ""}`);
      const e = rowsOf(storeIds);
      expect(byKey(res.json.data.rows.map((r: any) => only(r, keys)), (r: any) => r.storeId + r.productId)).toEqual(byKey(e, (r) => r.storeId + r.productId));
      expect(res.json.data.totals).toEqual({ quantity: sum(e, (r) => r.quantity), costValue: sum(e, (r) => r.costValue), retailValue: sum(e, (r) => r.retailValue) });
    }
  });

  it("inventory turnover per product: the cost of goods sold in the dates (at each sale's cost) against the stock now at its cost price", async () => {
    const all = stores.map((s) => s.id);
    for (const f of [{ storeIds: all }, ...stores.map((s) => ({ storeIds: [s.id] })), { storeIds: all, from: "2026-11-01", to: "2026-11-30" }]) {
      const { storeIds } = f;
      const sold = new Map(expected(f).products.map((p) => [p.productId, p]));
      const rows = cat.products.map((p) => {
        const stockQuantity = sum(storeIds, (id) => levelOf(id, p.id));
        const stockValue = divRound(stockQuantity * costNow.get(p.id)!, 1000);
        const costOfGoodsSold = sold.get(p.id)?.cost ?? 0;
        return { productId: p.id, quantitySold: sold.get(p.id)?.quantity ?? 0, costOfGoodsSold, stockQuantity, stockValue, turnover: stockValue > 0 ? divRound(costOfGoodsSold * 1000, stockValue) : null };
      });
      const q = new URLSearchParams({ ...(storeIds.length === 1 ? { store_id: storeIds[0]! } : {}), ...(f.from ? { date_from: f.from, date_to: f.to! } : {}) });
      const res = await get(`/reports/inventory-turnover?${q}`);
      expect(byKey(res.json.data.rows.map((r: any) => only(r, Object.keys(rows[0]!))), (r: any) => r.productId)).toEqual(byKey(rows, (r) => r.productId));
      const totals = { quantitySold: sum(rows, (r) => r.quantitySold), costOfGoodsSold: sum(rows, (r) => r.costOfGoodsSold), stockQuantity: sum(rows, (r) => r.stockQuantity), stockValue: sum(rows, (r) => r.stockValue) };
      expect(res.json.data.totals).toEqual({ ...totals, turnover: divRound(totals.costOfGoodsSold * 1000, totals.stockValue) });
    }
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
