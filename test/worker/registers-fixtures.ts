import { env } from "cloudflare:test";
import { expect } from "vitest";
import { api, createTenant, enrolTill, insertDepartment, staffWithPin, tillPinLogin, type ApiResponse, type TestTenant } from "./helpers";

/**
 * Register sessions and the sales in them, for the register, cash and X/Z report tests. Sales are written
 * straight into D1 (sales, sale_lines, sale_line_taxes, sale_payments) as the sales service would store them; the
 * same objects are what the tests sum up on their own to check every figure the API answers.
 */

export function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.json?.code }, JSON.stringify(res.json)).toEqual({ status, code });
  expect(res.json.success).toBe(false);
}

/** A till of the tenant's store with a cashier (the default Cashier role's permissions unless told) signed in at it by PIN. */
export async function tillWithCashier(t: TestTenant, permissions = CASHIER, options: { storeId?: string } = {}) {
  const till = await enrolTill(t, { storeId: options.storeId });
  const staff = await staffWithPin(t, permissions, [options.storeId ?? t.storeId]);
  const login = await tillPinLogin(till.credential, staff.pin);
  if (login.status !== 200) throw new Error(`pin login: ${login.status} ${JSON.stringify(login.json)}`);
  return { ...till, user: staff, token: login.json.data.accessToken as string };
}

export const CASHIER = ["pos.sell", "products.view", "registers.view", "registers.open", "registers.close", "tenders.view", "reports.x_report"];

export const openAt = (token: string, openingFloat: number, extra: Record<string, unknown> = {}, headers?: Record<string, string>) =>
  api("POST", "/api/v1/registers/open", { token, body: { openingFloat, ...extra }, headers });

export async function openSession(token: string, openingFloat: number, extra: Record<string, unknown> = {}) {
  const res = await openAt(token, openingFloat, extra);
  if (res.status !== 201) throw new Error(`open: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.data as { id: string; registerId: string; storeId: string; openingFloat: number; status: string };
}

export const cashEvent = (token: string, sessionId: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
  api("POST", `/api/v1/registers/${sessionId}/cash-events`, { token, body, headers });

export const closeById = (token: string, sessionId: string, counted: Record<string, number>, headers?: Record<string, string>) =>
  api("PUT", `/api/v1/registers/${sessionId}/close`, { token, body: { counted }, headers });

export const xReportOf = (token: string, sessionId: string) => api("GET", `/api/v1/reports/x-report?session_id=${sessionId}`, { token });
export const zReportOf = (token: string, sessionId: string) => api("GET", `/api/v1/reports/z-report?session_id=${sessionId}`, { token });

// ---------------------------------------------------------------------------------------------------------------
// Sales as rows

export interface TaxRateFixture {
  id: string;
  name: string;
  millionths: number;
}

export interface ProductFixture {
  id: string;
  sku: string;
  name: string;
  departmentId: string | null;
  price: number;
  rates: TaxRateFixture[];
}

export interface LineFixture {
  id: string;
  product: ProductFixture;
  quantity: number;
  unitPrice: number;
  cataloguePrice: number;
  discount: number;
  net: number;
  tax: number;
  gross: number;
  taxes: { rate: TaxRateFixture; amount: number }[];
  originalLineId: string | null;
}

export interface PaymentFixture {
  id: string;
  code: string;
  isCash: boolean;
  amount: number;
}

export interface SaleFixture {
  id: string;
  kind: "sale" | "return";
  status: "completed" | "voided";
  sessionId: string;
  registerId: string;
  storeId: string;
  cashierId: string;
  receiptNumber: string;
  originalSaleId: string | null;
  lines: LineFixture[];
  grandTotal: number;
  taxTotal: number;
  discountTotal: number;
  cashRounding: number;
  totalDue: number;
  paidTotal: number;
  changeGiven: number;
  payments: PaymentFixture[];
}

/** A small seeded random source, so that a failing basket can be replayed. */
export function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

/** Integer division, half away from zero (as the money engine rounds). */
const divRound = (a: number, b: number) => Math.sign(a) * Math.floor((Math.abs(a) * 2 + b) / (2 * b));
const roundCash = (amount: number, unit = 100) => divRound(amount, unit) * unit;

/**
 * The catalogue a session sells from, written into D1: departments, VAT rates (25/12/6 %, and a product with two
 * rates) in tax groups, products (one with no tax), and the SWISH tender.
 */
export async function catalogue(t: TestTenant) {
  const suffix = crypto.randomUUID().slice(0, 6);
  const [food, drinks] = await Promise.all([insertDepartment(t.tenantId, `Food ${suffix}`), insertDepartment(t.tenantId, `Drinks ${suffix}`)]);
  const vat = (name: string, millionths: number): TaxRateFixture => ({ id: crypto.randomUUID(), name: `${name} ${suffix}`, millionths });
  const [v25, v12, v6, eco] = [vat("VAT 25%", 250_000), vat("VAT 12%", 120_000), vat("VAT 6%", 60_000), vat("Eco 2.5%", 25_000)];
  const spec: [string, string | null, number, TaxRateFixture[]][] = [
    ["Coffee", drinks, 2900, [v12]], ["Juice", drinks, 3450, [v12]], ["Sandwich", food, 5900, [v12]], ["Newspaper", null, 3500, [v6]],
    ["Mug", null, 14900, [v25]], ["Stamp", food, 1200, []], ["Battery", null, 8990, [v25, eco]], ["Loose sweets", food, 1990, [v12]],
  ];
  const now = Date.now();
  const products: ProductFixture[] = spec.map(([name, departmentId, price, rates]) => ({ id: crypto.randomUUID(), sku: `SKU-${crypto.randomUUID().slice(0, 8)}`, name, departmentId, price, rates }));
  const groups = new Map<string, string>();
  const statements = [v25, v12, v6, eco].map((r) =>
    env.DB.prepare("INSERT INTO tax_rates (id, tenant_id, name, rate_millionths, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)").bind(r.id, t.tenantId, r.name, r.millionths, now, now));
  for (const p of products) {
    const key = p.rates.map((r) => r.id).join(",");
    if (!key || groups.has(key)) continue;
    const groupId = crypto.randomUUID();
    groups.set(key, groupId);
    statements.push(env.DB.prepare("INSERT INTO tax_groups (id, tenant_id, name, version, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)").bind(groupId, t.tenantId, `Group ${groups.size} ${suffix}`, now, now));
    p.rates.forEach((r, i) => statements.push(env.DB.prepare("INSERT INTO tax_group_rates (tenant_id, tax_group_id, tax_rate_id, sort_order) VALUES (?, ?, ?, ?)").bind(t.tenantId, groupId, r.id, i)));
  }
  for (const p of products) {
    statements.push(env.DB.prepare(
      "INSERT INTO products (id, tenant_id, sku, name, department_id, tax_group_id, sell_price, cost_price, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 100, 1, ?, ?)",
    ).bind(p.id, t.tenantId, p.sku, p.name, p.departmentId, groups.get(p.rates.map((r) => r.id).join(",")) ?? null, p.price, now, now));
  }
  await env.DB.batch(statements);
  const departments = new Map<string | null, string>([[food, `Food ${suffix}`], [drinks, `Drinks ${suffix}`], [null, "No department"]]);
  await addSwish(t);
  return { products, departments, rates: [v25, v12, v6, eco] };
}
export type Catalogue = Awaited<ReturnType<typeof catalogue>>;

/** A line of `quantity` (thousandths, negative on a return) at `unitPrice`, prices including tax, tax per rate. */
function line(product: ProductFixture, quantity: number, unitPrice: number, discount: number, originalLineId: string | null = null): LineFixture {
  const sign = Math.sign(quantity);
  const gross = divRound(unitPrice * quantity, 1000) - sign * discount;
  const totalRate = product.rates.reduce((s, r) => s + r.millionths, 0);
  const tax = divRound(gross * totalRate, 1_000_000 + totalRate);
  // Tax split between the rates in proportion, the last rate taking what is left.
  let left = tax;
  const taxes = product.rates.map((rate, i) => {
    const amount = i === product.rates.length - 1 ? left : divRound(tax * rate.millionths, totalRate);
    left -= amount;
    return { rate, amount };
  });
  return { id: crypto.randomUUID(), product, quantity, unitPrice, cataloguePrice: product.price, discount, net: gross - tax, tax, gross, taxes, originalLineId };
}

export interface SessionRef {
  id: string;
  registerId: string;
  storeId: string;
  cashierId: string;
}

let receiptCounter = 0;
const receipt = () => `R${Date.now().toString(36)}-${++receiptCounter}-${crypto.randomUUID().slice(0, 4)}`;

type PayMode = "cash" | "card" | "swish" | "split";

/** Payments of `due` (grand total) in a mode: cash rounds the cash part to whole kronor and may hand back change. */
function pay(due: number, mode: PayMode, rng: ReturnType<typeof random>) {
  const payments: PaymentFixture[] = [];
  let cashRounding = 0;
  let changeGiven = 0;
  const cashPart = (amount: number) => {
    const rounded = roundCash(amount);
    cashRounding = rounded - amount;
    if (rounded > 0) {
      const tendered = rng.next() < 0.5 ? rounded : Math.ceil(rounded / 5000) * 5000 + (rng.next() < 0.3 ? 5000 : 0);
      changeGiven = tendered - rounded;
      payments.push({ id: crypto.randomUUID(), code: "CASH", isCash: true, amount: tendered });
    } else if (rounded < 0) {
      payments.push({ id: crypto.randomUUID(), code: "CASH", isCash: true, amount: rounded });
    }
  };
  if (mode === "cash") cashPart(due);
  else if (mode === "card" || mode === "swish") payments.push({ id: crypto.randomUUID(), code: mode === "card" ? "CARD" : "SWISH", isCash: false, amount: due });
  else {
    const card = Math.trunc(due * rng.int(2, 8) / 10);
    payments.push({ id: crypto.randomUUID(), code: "CARD", isCash: false, amount: card });
    cashPart(due - card);
  }
  return { payments, cashRounding, changeGiven };
}

function saleOf(session: SessionRef, kind: "sale" | "return", lines: LineFixture[], mode: PayMode, rng: ReturnType<typeof random>, originalSaleId: string | null = null): SaleFixture {
  const grandTotal = lines.reduce((s, l) => s + l.gross, 0);
  const { payments, cashRounding, changeGiven } = pay(grandTotal, mode, rng);
  return {
    id: crypto.randomUUID(), kind, status: "completed", sessionId: session.id, registerId: session.registerId, storeId: session.storeId, cashierId: session.cashierId,
    receiptNumber: receipt(), originalSaleId, lines, grandTotal, taxTotal: lines.reduce((s, l) => s + l.tax, 0), discountTotal: lines.reduce((s, l) => s + l.discount, 0),
    cashRounding, totalDue: grandTotal + cashRounding, paidTotal: payments.reduce((s, p) => s + p.amount, 0), changeGiven, payments,
  };
}

export interface BasketItem {
  product: ProductFixture;
  quantity: number;
  unitPrice: number;
  discount: number;
}

/** A random basket: 1 to 4 lines, some weighed, some discounted, some sold at an overridden price. */
export function randomBasket(rng: ReturnType<typeof random>, products: ProductFixture[]): BasketItem[] {
  return Array.from({ length: rng.int(1, 4) }, () => {
    const product = rng.pick(products);
    const quantity = product.name === "Loose sweets" ? rng.int(50, 900) : rng.int(1, 3) * 1000;
    const unitPrice = rng.next() < 0.15 ? product.price - rng.int(1, Math.floor(product.price / 3)) : product.price;
    const discount = rng.next() < 0.2 ? rng.int(1, Math.floor(divRound(unitPrice * quantity, 1000) / 4) + 1) : 0;
    return { product, quantity, unitPrice, discount };
  });
}

const PAY_MODES = ["cash", "cash", "card", "swish", "split"] as const;

/** A random basket as rows (see insertSales), paid in a random way. */
export function randomSale(rng: ReturnType<typeof random>, session: SessionRef, products: ProductFixture[], mode?: PayMode): SaleFixture {
  const lines = randomBasket(rng, products).map((b) => line(b.product, b.quantity, b.unitPrice, b.discount));
  return saleOf(session, "sale", lines, mode ?? rng.pick(PAY_MODES), rng);
}

/** A return of some lines of a sale (all of each line's quantity), refunded in cash or to the card. */
export function returnOf(rng: ReturnType<typeof random>, session: SessionRef, original: SaleFixture, mode: "cash" | "card" = "cash"): SaleFixture {
  const taken = original.lines.filter((_, i) => i === 0 || rng.next() < 0.5);
  const lines = taken.map((l) => line(l.product, -l.quantity, l.unitPrice, l.discount, l.id));
  return saleOf(session, "return", lines, mode, rng, original.id);
}

export const voided = (sale: SaleFixture): SaleFixture => ({ ...sale, status: "voided" });

// ---------------------------------------------------------------------------------------------------------------
// Sales through POST /api/v1/sales, at a till

const quoteAt = async (token: string, items: unknown[], payments: { method: string; amount: number }[]) => {
  const res = await api("POST", "/api/v1/sales/quote", { token, body: { items, payments } });
  if (res.status !== 200) throw new Error(`quote: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.data as { items: any[]; grandTotal: number; subtotal: number; taxTotal: number; discountTotal: number; cashRounding: number; totalDue: number; cashTotalDue: number };
};

/**
 * Sell a basket (or return one: negative quantities naming the lines they return) through the API as a till does:
 * the quote prices it, the payments are chosen for the mode (cash rounds to whole kronor and may give change), and
 * the quoted body is posted. Answers the sale as the test sent it (the fixture the figures are worked out from).
 */
export async function sellAt(
  token: string,
  session: SessionRef,
  basket: (BasketItem & { originalLineId?: string; cataloguePrice?: number })[],
  mode: PayMode,
  rng: ReturnType<typeof random>,
  originalSaleId: string | null = null,
): Promise<SaleFixture> {
  const items = basket.map((b) => ({ productId: b.product.id, quantity: b.quantity, unitPrice: b.unitPrice, discountAmount: b.discount }));
  const isReturn = originalSaleId !== null;
  // The quote's cash rounding depends only on which tenders pay and how much the others do, not on the cash handed over.
  const probe = await quoteAt(token, items, mode === "cash" ? [{ method: "CASH", amount: 0 }] : []);
  let payments: { method: string; amount: number }[];
  let q = probe;
  if (mode === "card" || mode === "swish") payments = [{ method: mode === "card" ? "CARD" : "SWISH", amount: probe.grandTotal }];
  else if (mode === "cash") {
    const due = probe.totalDue;
    payments = [{ method: "CASH", amount: isReturn || rng.next() < 0.5 ? due : Math.ceil(due / 5000) * 5000 + (rng.next() < 0.3 ? 5000 : 0) }];
  } else {
    const card = Math.trunc((probe.grandTotal * rng.int(2, 8)) / 10);
    q = await quoteAt(token, items, [{ method: "CARD", amount: card }, { method: "CASH", amount: 0 }]);
    payments = [{ method: "CARD", amount: card }, { method: "CASH", amount: q.totalDue - card + (rng.next() < 0.5 ? 1000 : 0) }];
  }
  const lineIds = basket.map(() => crypto.randomUUID());
  const body = {
    id: crypto.randomUUID(),
    receiptNumber: receipt(),
    ...(originalSaleId ? { originalSaleId } : {}),
    items: q.items.map(({ cataloguePrice: _c, ...item }, i) => ({ ...item, id: lineIds[i], ...(basket[i]!.originalLineId ? { originalLineId: basket[i]!.originalLineId } : {}) })),
    payments,
    subtotal: q.subtotal, taxTotal: q.taxTotal, discountTotal: q.discountTotal, grandTotal: q.grandTotal, cashRounding: q.cashRounding,
  };
  const res = await api("POST", "/api/v1/sales", { token, body });
  if (res.status !== 201) throw new Error(`sale: ${res.status} ${JSON.stringify(res.json)}`);

  // The sale as sent: its lines, their taxes per rate (in the product's order), its totals and payments.
  const lines: LineFixture[] = body.items.map((item, i) => {
    const b = basket[i]!;
    const taxes = [...(item.taxes as { taxAmount: number; sortOrder: number }[])].sort((x, y) => x.sortOrder - y.sortOrder)
      .map((t, k) => ({ rate: b.product.rates[k]!, amount: t.taxAmount }));
    return {
      id: lineIds[i]!, product: b.product, quantity: b.quantity, unitPrice: b.unitPrice, cataloguePrice: b.cataloguePrice ?? b.product.price, discount: b.discount,
      net: item.lineTotal - item.taxAmount, tax: item.taxAmount, gross: item.lineTotal, taxes, originalLineId: b.originalLineId ?? null,
    };
  });
  const totalDue = body.grandTotal + body.cashRounding;
  const paidTotal = payments.reduce((n, p) => n + p.amount, 0);
  const sale: SaleFixture = {
    id: body.id, kind: isReturn ? "return" : "sale", status: "completed", sessionId: session.id, registerId: session.registerId, storeId: session.storeId,
    cashierId: session.cashierId, receiptNumber: body.receiptNumber, originalSaleId, lines, grandTotal: body.grandTotal, taxTotal: body.taxTotal,
    discountTotal: body.discountTotal, cashRounding: body.cashRounding, totalDue, paidTotal, changeGiven: isReturn ? 0 : paidTotal - totalDue,
    payments: payments.map((p) => ({ id: "", code: p.method, isCash: p.method === "CASH", amount: p.amount })),
  };
  expect(res.json.data).toMatchObject({ id: sale.id, sessionId: session.id, kind: sale.kind, totalDue, changeGiven: sale.changeGiven });
  return sale;
}

/** A random basket sold through the API. */
export const sellRandomAt = (token: string, session: SessionRef, products: ProductFixture[], rng: ReturnType<typeof random>, mode?: PayMode) =>
  sellAt(token, session, randomBasket(rng, products), mode ?? rng.pick(PAY_MODES), rng);

/** A return through the API of some lines of a sale (all of each line's quantity, at the price sold). */
export function returnAt(token: string, session: SessionRef, original: SaleFixture, rng: ReturnType<typeof random>, mode: "cash" | "card" = "cash") {
  const taken = original.lines.filter((_, i) => i === 0 || rng.next() < 0.5);
  const basket = taken.map((l) => ({ product: l.product, quantity: -l.quantity, unitPrice: l.unitPrice, discount: l.discount, originalLineId: l.id, cataloguePrice: l.unitPrice }));
  return sellAt(token, session, basket, mode, rng, original.id);
}

/** Void a sale through the API (pos.void). */
export async function voidAt(token: string, sale: SaleFixture): Promise<SaleFixture> {
  const res = await api("PUT", `/api/v1/sales/${sale.id}/void`, { token, body: { reason: "Rung up twice" } });
  if (res.status !== 200) throw new Error(`void: ${res.status} ${JSON.stringify(res.json)}`);
  return { ...sale, status: "voided" };
}

/** Write sales as the sales service stores them: one batch. */
export async function insertSales(tenantId: string, sales: SaleFixture[]) {
  const now = Date.now();
  const statements: D1PreparedStatement[] = [];
  for (const s of sales) {
    statements.push(env.DB.prepare(
      `INSERT INTO sales (id, tenant_id, store_id, register_id, session_id, device_id, receipt_number, kind, original_sale_id, unreferenced, status, cashier_id,
        currency, prices_include_tax, tax_rounding, subtotal, discount_total, tax_total, grand_total, cash_rounding, total_due, paid_total, change_given,
        sold_at, voided_at, voided_by, void_reason, request_hash, version, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, 0, ?, ?, 'SEK', 1, 'line', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'fixture', ?, ?, ?)`,
    ).bind(
      s.id, tenantId, s.storeId, s.registerId, s.sessionId, s.receiptNumber, s.kind, s.originalSaleId, s.status, s.cashierId,
      s.grandTotal - s.taxTotal, s.discountTotal, s.taxTotal, s.grandTotal, s.cashRounding, s.totalDue, s.paidTotal, s.changeGiven,
      now, s.status === "voided" ? now : null, s.status === "voided" ? s.cashierId : null, s.status === "voided" ? "fixture void" : null,
      s.status === "voided" ? 2 : 1, now, now,
    ));
    s.lines.forEach((l, i) => {
      statements.push(env.DB.prepare(
        `INSERT INTO sale_lines (id, tenant_id, sale_id, line_no, product_id, product_name, sku, department_id, quantity, unit_price, catalogue_price, price_override,
          discount, net, tax, gross, cost_price, original_line_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 100, ?)`,
      ).bind(l.id, tenantId, s.id, i + 1, l.product.id, l.product.name, l.product.sku, l.product.departmentId, l.quantity, l.unitPrice, l.cataloguePrice,
        l.unitPrice !== l.cataloguePrice ? 1 : 0, l.discount, l.net, l.tax, l.gross, l.originalLineId));
      l.taxes.forEach((t, j) => statements.push(env.DB.prepare(
        "INSERT INTO sale_line_taxes (tenant_id, sale_id, line_id, tax_rate_id, name, rate_millionths, is_compound, sort_order, amount) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
      ).bind(tenantId, s.id, l.id, t.rate.id, t.rate.name, t.rate.millionths, j, t.amount)));
    });
    s.payments.forEach((p, i) => statements.push(env.DB.prepare(
      "INSERT INTO sale_payments (id, tenant_id, sale_id, line_no, tender_id, tender_code, is_cash, amount, reference) VALUES (?, ?, ?, ?, (SELECT id FROM tenders WHERE tenant_id = ? AND code = ?), ?, ?, ?, NULL)",
    ).bind(p.id, tenantId, s.id, i + 1, tenantId, p.code, p.code, p.isCash ? 1 : 0, p.amount)));
  }
  for (let i = 0; i < statements.length; i += 400) await env.DB.batch(statements.slice(i, i + 400));
}

/** The tenant's SWISH tender (the defaults are CASH and CARD). */
export async function addSwish(t: TestTenant) {
  const res = await api("POST", "/api/v1/tenders", { token: t.adminToken, body: { code: "SWISH", name: "Swish", kind: "mobile", sortOrder: 2 } });
  if (res.status !== 201) throw new Error(`swish: ${JSON.stringify(res.json)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// The figures, worked out from the fixtures alone

export interface CashFixture {
  kind: "paid_in" | "paid_out" | "drop" | "no_sale";
  amount: number;
}

const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((s, x) => s + f(x), 0);

/** Every figure of the X report (and of the Z report's figures), from the sales and cash events a test made. */
export function expectedFigures(sales: SaleFixture[], events: CashFixture[], openingFloat: number, departments: Map<string | null, string>) {
  const done = sales.filter((s) => s.status === "completed");
  const kind = (k: string) => done.filter((s) => s.kind === k);
  const lines = done.flatMap((s) => s.lines);
  const payments = done.flatMap((s) => s.payments);
  const changeGiven = sum(done, (s) => s.changeGiven);
  const codes = [...new Set(payments.map((p) => p.code))];
  const order = ["CASH", "CARD", "SWISH"];
  const tenders = codes.sort((a, b) => order.indexOf(a) - order.indexOf(b)).map((code) => {
    const of = payments.filter((p) => p.code === code);
    const change = code === "CASH" ? changeGiven : 0;
    return { code, count: of.length, tendered: sum(of, (p) => p.amount), change, amount: sum(of, (p) => p.amount) - change };
  });
  const rateIds = [...new Set(lines.flatMap((l) => l.taxes.map((t) => t.rate.id)))];
  const taxes = rateIds.map((id) => {
    const taxed = lines.flatMap((l) => l.taxes.filter((t) => t.rate.id === id).map((t) => ({ l, t })));
    return { taxRateId: id, name: taxed[0]!.t.rate.name, rateMillionths: taxed[0]!.t.rate.millionths, taxable: sum(taxed, ({ l }) => l.net), tax: sum(taxed, ({ t }) => t.amount) };
  }).sort((a, b) => b.rateMillionths - a.rateMillionths || a.name.localeCompare(b.name));
  const departmentIds = [...new Set(lines.map((l) => l.product.departmentId))];
  const signedDiscount = (l: LineFixture) => (l.quantity < 0 ? -l.discount : l.discount);
  const byDepartment = departmentIds.map((id) => {
    const of = lines.filter((l) => l.product.departmentId === id);
    return {
      departmentId: id, name: departments.get(id)!, lines: of.length, quantity: sum(of, (l) => l.quantity), net: sum(of, (l) => l.net), tax: sum(of, (l) => l.tax),
      gross: sum(of, (l) => l.gross), discount: sum(of, signedDiscount),
    };
  });
  const overridden = lines.filter((l) => l.unitPrice !== l.cataloguePrice);
  const cashPayments = payments.filter((p) => p.code === "CASH");
  const ev = (k: CashFixture["kind"]) => ({ count: events.filter((e) => e.kind === k).length, amount: sum(events.filter((e) => e.kind === k), (e) => e.amount) });
  const cash = {
    tender: "CASH", openingFloat, cashTaken: sum(cashPayments.filter((p) => p.amount > 0), (p) => p.amount), cashRefunded: -sum(cashPayments.filter((p) => p.amount < 0), (p) => p.amount),
    changeGiven, paidIn: ev("paid_in"), paidOut: ev("paid_out"), drops: ev("drop"), noSales: ev("no_sale").count, expected: 0,
  };
  cash.expected = cash.openingFloat + cash.cashTaken - cash.cashRefunded - cash.changeGiven + cash.paidIn.amount - cash.paidOut.amount - cash.drops.amount;
  const untaxed = lines.filter((l) => l.taxes.length === 0);
  const voids = sales.filter((s) => s.status === "voided");
  return {
    currency: "SEK",
    sales: { count: kind("sale").length, amount: sum(kind("sale"), (s) => s.totalDue) },
    returns: { count: kind("return").length, amount: sum(kind("return"), (s) => s.totalDue) },
    voids: { count: voids.length, amount: sum(voids, (s) => s.totalDue) },
    net: sum(done, (s) => s.totalDue),
    tax: sum(done, (s) => s.taxTotal),
    discounts: { count: lines.filter((l) => l.discount !== 0).length, amount: sum(lines, signedDiscount) },
    cashRounding: { count: done.filter((s) => s.cashRounding !== 0).length, amount: sum(done, (s) => s.cashRounding) },
    priceOverrides: {
      count: overridden.length, gross: sum(overridden, (l) => l.gross),
      difference: sum(overridden, (l) => divRound((l.unitPrice - l.cataloguePrice) * l.quantity, 1000)),
    },
    tenders,
    taxes,
    untaxed: { lines: untaxed.length, net: sum(untaxed, (l) => l.net) },
    departments: byDepartment,
    cash,
  };
}

export { createTenant };

/** A report's figures in the shape `expectedFigures` answers (tender names and basis points left out, departments by name). */
export function figuresOf(report: any) {
  const byName = (a: { name: string; departmentId: string | null }, b: { name: string; departmentId: string | null }) =>
    Number(a.departmentId === null) - Number(b.departmentId === null) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    currency: report.currency, sales: report.sales, returns: report.returns, voids: report.voids, net: report.net, tax: report.tax, discounts: report.discounts,
    cashRounding: report.cashRounding, priceOverrides: report.priceOverrides,
    tenders: report.tenders.map(({ code, count, tendered, change, amount }: any) => ({ code, count, tendered, change, amount })),
    taxes: report.taxes.map(({ rate: _rate, ...rest }: any) => rest),
    untaxed: report.untaxed,
    departments: [...report.departments].sort(byName),
    cash: report.cash,
  };
}

/** `expectedFigures` with its departments in the report's order. */
export function expectedReport(...args: Parameters<typeof expectedFigures>) {
  const figures = expectedFigures(...args);
  return figuresOf(figures);
}
