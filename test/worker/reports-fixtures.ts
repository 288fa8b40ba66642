import { expect } from "vitest";
import { api, createStore, enrolTill, staffWithPin, tillPinLogin, type TestTenant } from "./helpers";

/**
 * Sales for the report tests, sent through the API as a till sends them (quoted, then posted), and the figures
 * every report should show worked out here from what was sent alone: no report code, no SQL.
 */

export interface RateFixture { id: string; name: string; millionths: number }
export interface ProductFixture { id: string; sku: string; name: string; departmentId: string | null; price: number; costPrice: number; rates: RateFixture[] }
export interface StoreFixture { id: string; code: string; name: string; timeZone: string }

export interface SentLine {
  id: string;
  product: ProductFixture;
  quantity: number;
  unitPrice: number;
  gross: number;
  tax: number;
  net: number;
  /** Signed like the quantity. */
  discount: number;
  taxes: { rate: RateFixture; amount: number }[];
}

export interface SentSale {
  id: string;
  storeId: string;
  cashierId: string;
  salesRepId: string | null;
  soldAt: number;
  kind: "sale" | "return";
  status: "completed" | "voided";
  lines: SentLine[];
  grandTotal: number;
  cashRounding: number;
  totalDue: number;
  changeGiven: number;
  payments: { code: string; isCash: boolean; amount: number }[];
}

const post = async (token: string, path: string, body: unknown) => {
  const res = await api("POST", path, { token, body });
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.data;
};

/** Departments, three VAT rates (one product with two rates, one with none), products with costs, and two sales reps. */
export async function reportCatalogue(t: TestTenant) {
  const s = crypto.randomUUID().slice(0, 6);
  const food = (await post(t.adminToken, "/api/v1/departments", { name: `Food ${s}` })).id as string;
  const drinks = (await post(t.adminToken, "/api/v1/departments", { name: `Drinks ${s}` })).id as string;
  const rate = async (name: string, bp: number): Promise<RateFixture> => ({ id: (await post(t.adminToken, "/api/v1/taxes", { name: `${name} ${s}`, rate: bp })).id, name: `${name} ${s}`, millionths: bp * 100 });
  const [v25, v12, v6, eco] = [await rate("VAT 25%", 2500), await rate("VAT 12%", 1200), await rate("VAT 6%", 600), await rate("Eco 2%", 200)];
  const group = async (rates: RateFixture[]) => (rates.length ? (await post(t.adminToken, "/api/v1/taxes/groups", { name: `G ${rates.map((r) => r.millionths).join("+")} ${s}`, taxRateIds: rates.map((r) => r.id) })).id : null);
  const spec: [string, string | null, number, number, RateFixture[]][] = [
    ["Coffee", drinks, 2900, 700, [v12]], ["Juice", drinks, 3450, 1900, [v12]], ["Sandwich", food, 5900, 3100, [v12]], ["Newspaper", null, 3500, 2600, [v6]],
    ["Mug", null, 14900, 6205, [v25]], ["Stamp", food, 1200, 1200, []], ["Battery", null, 8990, 4333, [v25, eco]], ["Sweets", food, 1990, 777, [v12]],
  ];
  const groups = new Map<string, string | null>();
  const products: ProductFixture[] = [];
  for (const [name, departmentId, price, costPrice, rates] of spec) {
    const key = rates.map((r) => r.id).join(",");
    if (!groups.has(key)) groups.set(key, await group(rates));
    const sku = `SKU-${crypto.randomUUID().slice(0, 8)}`;
    const p = await post(t.adminToken, "/api/v1/products", { sku, name, departmentId, sellPrice: price, costPrice, taxGroupId: groups.get(key), trackStock: true });
    products.push({ id: p.id, sku, name, departmentId, price, costPrice, rates });
  }
  const reps = [
    { id: (await post(t.adminToken, "/api/v1/sales-reps", { code: `A${s}`, name: "Anna", commissionRate: 250 })).id as string, rate: 250 },
    { id: (await post(t.adminToken, "/api/v1/sales-reps", { code: `B${s}`, name: "Bo", commissionRate: 1000 })).id as string, rate: 1000 },
  ];
  const tenders = await api("GET", "/api/v1/tenders?pageSize=200", { token: t.adminToken });
  if (!tenders.json.data.some((x: { code: string }) => x.code === "SWISH")) await post(t.adminToken, "/api/v1/tenders", { code: "SWISH", name: "Swish", kind: "mobile", sortOrder: 2 });
  const departments = new Map<string | null, string>([[food, `Food ${s}`], [drinks, `Drinks ${s}`], [null, "No department"]]);
  return { products, departments, reps, rates: [v25, v12, v6, eco] };
}
export type ReportCatalogue = Awaited<ReturnType<typeof reportCatalogue>>;

export const CASHIER = ["pos.sell", "pos.void", "products.view", "registers.view", "registers.open", "registers.close", "tenders.view"];

/** A store (the tenant's own, or a new one in `timeZone`) with a till, a cashier signed in at it and an open session. */
export async function storeWithTill(t: TestTenant, store: { code: string; timeZone: string } | null, cashiers = 1) {
  const s: StoreFixture = store
    ? { ...(await createStore(t, store.code, { timeZone: store.timeZone, cashRoundingUnit: 100 })), timeZone: store.timeZone }
    : { id: t.storeId, code: t.storeCode, name: "Main Store", timeZone: "Europe/Stockholm" };
  const tills = [];
  for (let i = 0; i < cashiers; i++) {
    const till = await enrolTill(t, { storeId: s.id });
    const staff = await staffWithPin(t, CASHIER, [s.id]);
    const login = await tillPinLogin(till.credential, staff.pin);
    if (login.status !== 200) throw new Error(`pin login: ${JSON.stringify(login.json)}`);
    const token = login.json.data.accessToken as string;
    const opened = await api("POST", "/api/v1/registers/open", { token, body: { openingFloat: 50000 } });
    if (opened.status !== 201) throw new Error(`open: ${JSON.stringify(opened.json)}`);
    tills.push({ token, cashierId: staff.id, username: staff.username, sessionId: opened.json.data.id as string, credential: till.credential, pin: staff.pin, signedInAt: Date.now() });
  }
  return { store: s, tills };
}
export type Till = Awaited<ReturnType<typeof storeWithTill>>["tills"][number];

/** Sign the till's cashier in again by PIN when the access token (5 minutes) is close to running out. */
export async function keepSignedIn(till: Till) {
  if (Date.now() - till.signedInAt < 200_000) return;
  till.signedInAt = Date.now();
  const login = await tillPinLogin(till.credential, till.pin);
  if (login.status !== 200) throw new Error(`pin login: ${JSON.stringify(login.json)}`);
  till.token = login.json.data.accessToken as string;
}

export interface BasketLine { product: ProductFixture; quantity: number; unitPrice?: number; discount?: number; originalLineId?: string }
export type PayMode = "cash" | "card" | "swish" | "split" | "cash-change";

/** A priced body for the basket and payment mode (two quotes at most), to post as many times as wanted with fresh ids. */
export async function template(token: string, basket: BasketLine[], mode: PayMode, isReturn = false) {
  const items = basket.map((b) => ({ productId: b.product.id, quantity: b.quantity, ...(b.unitPrice !== undefined ? { unitPrice: b.unitPrice } : {}), discountAmount: b.discount ?? 0 }));
  const quote = async (payments: { method: string; amount: number }[]) => {
    const res = await api("POST", "/api/v1/sales/quote", { token, body: { items, payments } });
    if (res.status !== 200) throw new Error(`quote: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json.data;
  };
  let q = await quote(mode === "card" || mode === "swish" ? [] : [{ method: "CASH", amount: 0 }]);
  let payments: { method: string; amount: number }[];
  if (mode === "card" || mode === "swish") payments = [{ method: mode.toUpperCase(), amount: q.grandTotal }];
  else if (mode === "cash") payments = [{ method: "CASH", amount: q.totalDue }];
  else if (mode === "cash-change") payments = [{ method: "CASH", amount: Math.ceil(q.totalDue / 10000) * 10000 + 10000 }];
  else {
    const card = Math.trunc(q.grandTotal / 2);
    q = await quote([{ method: "CARD", amount: card }, { method: "CASH", amount: 0 }]);
    payments = [{ method: "CARD", amount: card }, { method: "CASH", amount: q.totalDue - card + 1000 }];
  }
  if (isReturn && mode === "cash-change") throw new Error("a return gives no change");
  return { basket, q, payments };
}
export type Template = Awaited<ReturnType<typeof template>>;

let receipts = 0;

/** Post a template as a sale (or return) sold at `soldAt`, with fresh ids: the sale as sent. */
export async function sellTemplate(token: string, tpl: Template, store: StoreFixture, cashierId: string, options: { soldAt: number; salesRepId?: string | null; originalSaleId?: string }): Promise<SentSale> {
  const lineIds = tpl.basket.map(() => crypto.randomUUID());
  const body = {
    id: crypto.randomUUID(),
    receiptNumber: `M${++receipts}-${crypto.randomUUID().slice(0, 6)}`,
    soldAt: new Date(options.soldAt).toISOString(),
    ...(options.salesRepId ? { salesRepId: options.salesRepId } : {}),
    ...(options.originalSaleId ? { originalSaleId: options.originalSaleId } : {}),
    items: tpl.q.items.map(({ cataloguePrice: _c, ...item }: Record<string, unknown>, i: number) => ({
      ...item, id: lineIds[i], ...(tpl.basket[i]!.originalLineId ? { originalLineId: tpl.basket[i]!.originalLineId } : {}),
    })),
    payments: tpl.payments,
    subtotal: tpl.q.subtotal, taxTotal: tpl.q.taxTotal, discountTotal: tpl.q.discountTotal, grandTotal: tpl.q.grandTotal, cashRounding: tpl.q.cashRounding,
  };
  const res = await api("POST", "/api/v1/sales", { token, body });
  if (res.status !== 201) throw new Error(`sale: ${res.status} ${JSON.stringify(res.json)}`);
  const isReturn = options.originalSaleId !== undefined;
  const lines: SentLine[] = body.items.map((item: any, i: number) => {
    const b = tpl.basket[i]!;
    const taxes = [...(item.taxes as { taxAmount: number; sortOrder: number }[])].sort((x, y) => x.sortOrder - y.sortOrder).map((tx, k) => ({ rate: b.product.rates[k]!, amount: tx.taxAmount }));
    const discount = b.discount ?? 0;
    return { id: lineIds[i]!, product: b.product, quantity: b.quantity, unitPrice: item.unitPrice, gross: item.lineTotal, tax: item.taxAmount, net: item.lineTotal - item.taxAmount, discount: b.quantity < 0 ? -discount : discount, taxes };
  });
  const totalDue = body.grandTotal + body.cashRounding;
  const paid = tpl.payments.reduce((s, p) => s + p.amount, 0);
  const sale: SentSale = {
    id: body.id, storeId: store.id, cashierId, salesRepId: options.salesRepId ?? null, soldAt: options.soldAt, kind: isReturn ? "return" : "sale", status: "completed",
    lines, grandTotal: body.grandTotal, cashRounding: body.cashRounding, totalDue, changeGiven: isReturn ? 0 : paid - totalDue,
    payments: tpl.payments.map((p) => ({ code: p.method, isCash: p.method === "CASH", amount: p.amount })),
  };
  expect(res.json.data).toMatchObject({ id: sale.id, totalDue, changeGiven: sale.changeGiven, kind: sale.kind });
  return sale;
}

/** A return of every line of a sale at the price sold, refunded in cash or to the card, sold at `soldAt`. */
export async function returnSale(till: Till, store: StoreFixture, original: SentSale, soldAt: number, mode: "cash" | "card") {
  const basket = original.lines.map((l) => ({ product: l.product, quantity: -l.quantity, unitPrice: l.unitPrice, discount: Math.abs(l.discount), originalLineId: l.id }));
  const tpl = await template(till.token, basket, mode, true);
  const refund = { ...tpl, payments: mode === "card" ? [{ method: "CARD", amount: tpl.q.grandTotal }] : [{ method: "CASH", amount: tpl.q.totalDue }] };
  return sellTemplate(till.token, refund, store, till.cashierId, { soldAt, originalSaleId: original.id, salesRepId: original.salesRepId });
}
export async function voidSale(token: string, sale: SentSale) {
  const res = await api("PUT", `/api/v1/sales/${sale.id}/void`, { token, body: { reason: "Rung up twice" } });
  if (res.status !== 200) throw new Error(`void: ${res.status} ${JSON.stringify(res.json)}`);
  sale.status = "voided";
}

// ---------------------------------------------------------------------------------------------------------------
// The figures, from the sales as sent

/** The store's local date and hour at an instant, read with Intl on its own (not the Worker's code). */
export function localDayHour(at: number, timeZone: string) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", hourCycle: "h23" })
    .formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour) };
}

/** a / b rounded half away from zero. */
export const divRound = (a: number, b: number) => Math.sign(a) * Math.floor((Math.abs(a) * 2 + b) / (2 * b));
export const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((s, x) => s + f(x), 0);
export const lineCost = (l: SentLine) => divRound(l.product.costPrice * l.quantity, 1000);

export interface Filter { from?: string; to?: string; storeIds: string[] }

/** What each report should answer for the sales within the filter (the stores' local business dates). */
export function expectedReports(all: SentSale[], stores: StoreFixture[], cat: ReportCatalogue, names: { cashiers: Map<string, string> }, f: Filter) {
  const tz = new Map(stores.map((s) => [s.id, s.timeZone]));
  const day = (s: SentSale) => localDayHour(s.soldAt, tz.get(s.storeId)!);
  const inRange = all.filter((s) => f.storeIds.includes(s.storeId) && (!f.from || day(s).date >= f.from) && (!f.to || day(s).date <= f.to));
  const done = inRange.filter((s) => s.status === "completed");
  const lines = done.flatMap((s) => s.lines);

  const figures = (sales: SentSale[]) => {
    const ok = sales.filter((s) => s.status === "completed");
    const l = ok.flatMap((s) => s.lines);
    const of = (k: string) => ok.filter((s) => s.kind === k);
    const voids = sales.filter((s) => s.status === "voided");
    return {
      salesCount: of("sale").length, salesTotal: sum(of("sale"), (s) => s.totalDue), returnsCount: of("return").length, returnsTotal: sum(of("return"), (s) => s.totalDue),
      voidsCount: voids.length, voidsTotal: sum(voids, (s) => s.totalDue),
      net: sum(l, (x) => x.net), tax: sum(l, (x) => x.tax), gross: sum(l, (x) => x.gross), discount: sum(l, (x) => x.discount), quantity: sum(l, (x) => x.quantity), lines: l.length,
    };
  };
  const average = (x: { salesTotal: number; salesCount: number }) => (x.salesCount ? divRound(x.salesTotal, x.salesCount) : 0);
  const tendersOf = (sales: SentSale[]) => {
    const ok = sales.filter((s) => s.status === "completed");
    const codes = [...new Set(ok.flatMap((s) => s.payments.map((p) => p.code)))].sort((a, b) => ["CASH", "CARD", "SWISH"].indexOf(a) - ["CASH", "CARD", "SWISH"].indexOf(b));
    return codes.map((code) => {
      const ps = ok.flatMap((s) => s.payments.map((p, i) => ({ p, s, first: s.payments.findIndex((q) => q.isCash) === i })).filter((x) => x.p.code === code));
      const tendered = sum(ps, (x) => x.p.amount);
      const change = sum(ps.filter((x) => x.first), (x) => x.s.changeGiven);
      return { code, isCash: code === "CASH", count: ps.length, tendered, change, amount: tendered - change };
    });
  };
  const summaryOf = (sales: SentSale[]) => {
    const fg = figures(sales);
    const ok = sales.filter((s) => s.status === "completed");
    return {
      ...fg, cashRounding: sum(ok, (s) => s.cashRounding), changeGiven: sum(ok, (s) => s.changeGiven), totalDue: fg.salesTotal + fg.returnsTotal,
      cost: sum(ok.flatMap((s) => s.lines), lineCost), averageSale: average(fg), tenders: tendersOf(sales),
    };
  };
  const storeRows = f.storeIds.map((id) => {
    const s = stores.find((x) => x.id === id)!;
    return { storeId: id, storeCode: s.code, ...summaryOf(inRange.filter((x) => x.storeId === id)) };
  });

  const group = <K>(xs: SentLine[], key: (l: SentLine) => K) => {
    const m = new Map<K, SentLine[]>();
    for (const l of xs) m.set(key(l), [...(m.get(key(l)) ?? []), l]);
    return m;
  };
  const lineStore = new Map(done.flatMap((s) => s.lines.map((l) => [l, s.storeId] as const)));
  const tax = stores.filter((s) => f.storeIds.includes(s.id)).flatMap((store) => {
    const taxed = lines.filter((l) => lineStore.get(l) === store.id).flatMap((l) => l.taxes.map((t) => ({ l, t })));
    return cat.rates.filter((r) => taxed.some((x) => x.t.rate.id === r.id)).map((r) => {
      const of = taxed.filter((x) => x.t.rate.id === r.id);
      return { storeId: store.id, taxRateId: r.id, rateMillionths: r.millionths, taxable: sum(of, (x) => x.l.net), tax: sum(of, (x) => x.t.amount), lines: of.length };
    });
  });

  const products = [...group(lines, (l) => l.product.id)].map(([id, ls]) => {
    const net = sum(ls, (l) => l.net);
    const cost = sum(ls, lineCost);
    return {
      productId: id, quantity: sum(ls, (l) => l.quantity), soldQuantity: sum(ls.filter((l) => l.quantity > 0), (l) => l.quantity), returnedQuantity: sum(ls.filter((l) => l.quantity < 0), (l) => l.quantity),
      net, tax: sum(ls, (l) => l.tax), gross: sum(ls, (l) => l.gross), discount: sum(ls, (l) => l.discount), cost, margin: net - cost, lines: ls.length,
      discountedLines: ls.filter((l) => l.discount !== 0).length,
    };
  });
  const departments = [...group(lines, (l) => l.product.departmentId)].map(([id, ls]) => ({
    departmentId: id, name: cat.departments.get(id)!, quantity: sum(ls, (l) => l.quantity), net: sum(ls, (l) => l.net), tax: sum(ls, (l) => l.tax),
    gross: sum(ls, (l) => l.gross), discount: sum(ls, (l) => l.discount), lines: ls.length, cost: sum(ls, lineCost),
  }));

  const byPeriod = (key: (s: SentSale) => string) => {
    const m = new Map<string, SentSale[]>();
    for (const s of inRange) m.set(key(s), [...(m.get(key(s)) ?? []), s]);
    return [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([period, ss]) => {
      const fg = figures(ss);
      return { period, ...fg, cashRounding: sum(ss.filter((s) => s.status === "completed"), (s) => s.cashRounding), totalDue: fg.salesTotal + fg.returnsTotal };
    });
  };

  const people = (key: (s: SentSale) => string | null) => {
    const m = new Map<string | null, SentSale[]>();
    for (const s of inRange) m.set(key(s), [...(m.get(key(s)) ?? []), s]);
    return m;
  };
  const reps = [...people((s) => s.salesRepId)].map(([id, ss]) => {
    const fg = figures(ss);
    const rate = cat.reps.find((r) => r.id === id)?.rate ?? 0;
    return { salesRepId: id, commissionRate: rate, ...fg, commission: divRound(fg.net * rate, 10_000) };
  });
  const cashiers = [...people((s) => s.cashierId)].map(([id, ss]) => {
    const fg = figures(ss);
    return { cashierId: id!, username: names.cashiers.get(id!) ?? null, ...fg, averageSale: average(fg) };
  });

  return {
    storeRows, total: summaryOf(inRange), tax, products, departments, reps, cashiers,
    period: { day: byPeriod((s) => day(s).date), hour: byPeriod((s) => String(day(s).hour).padStart(2, "0")), month: byPeriod((s) => day(s).date.slice(0, 7)) },
  };
}

/** The object without the keys (for comparing a report row with the fields worked out here). */
export const only = <T extends Record<string, unknown>>(row: T, keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, row[k]]));
export const byKey = <T>(rows: T[], key: (r: T) => unknown) => [...rows].sort((a, b) => String(key(a)).localeCompare(String(key(b))));
