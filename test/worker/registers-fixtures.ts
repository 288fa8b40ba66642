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

/** The catalogue a session sells from: departments, VAT rates (25/12/6 %, one product with none, one with two) and products. */
export async function catalogue(t: TestTenant) {
  const suffix = crypto.randomUUID().slice(0, 6);
  const [food, drinks] = await Promise.all([insertDepartment(t.tenantId, `Food ${suffix}`), insertDepartment(t.tenantId, `Drinks ${suffix}`)]);
  const vat = (name: string, millionths: number): TaxRateFixture => ({ id: crypto.randomUUID(), name, millionths });
  const [v25, v12, v6, eco] = [vat("VAT 25%", 250_000), vat("VAT 12%", 120_000), vat("VAT 6%", 60_000), vat("Eco 2.5%", 25_000)];
  const spec: [string, string | null, number, TaxRateFixture[]][] = [
    ["Coffee", drinks, 2900, [v12]], ["Juice", drinks, 3450, [v12]], ["Sandwich", food, 5900, [v12]], ["Newspaper", null, 3500, [v6]],
    ["Mug", null, 14900, [v25]], ["Stamp", food, 1200, []], ["Battery", null, 8990, [v25, eco]], ["Loose sweets", food, 1990, [v12]],
  ];
  const now = Date.now();
  const products: ProductFixture[] = spec.map(([name, departmentId, price, rates]) => ({ id: crypto.randomUUID(), sku: `SKU-${crypto.randomUUID().slice(0, 8)}`, name, departmentId, price, rates }));
  await env.DB.batch(products.map((p) =>
    env.DB.prepare("INSERT INTO products (id, tenant_id, sku, name, department_id, sell_price, cost_price, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 100, 1, ?, ?)")
      .bind(p.id, t.tenantId, p.sku, p.name, p.departmentId, p.price, now, now)));
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

/** A random basket: 1 to 4 lines, some weighed, some discounted, some sold at an overridden price; paid in a random way. */
export function randomSale(rng: ReturnType<typeof random>, session: SessionRef, products: ProductFixture[], mode?: PayMode): SaleFixture {
  const lines = Array.from({ length: rng.int(1, 4) }, () => {
    const product = rng.pick(products);
    const quantity = product.name === "Loose sweets" ? rng.int(50, 900) : rng.int(1, 3) * 1000;
    const unitPrice = rng.next() < 0.15 ? product.price - rng.int(1, Math.floor(product.price / 3)) : product.price;
    const discount = rng.next() < 0.2 ? rng.int(1, Math.floor(divRound(unitPrice * quantity, 1000) / 4) + 1) : 0;
    return line(product, quantity, unitPrice, discount);
  });
  return saleOf(session, "sale", lines, mode ?? rng.pick(["cash", "cash", "card", "swish", "split"] as const), rng);
}

/** A return of some lines of a sale (all of each line's quantity), refunded in cash or to the card. */
export function returnOf(rng: ReturnType<typeof random>, session: SessionRef, original: SaleFixture, mode: "cash" | "card" = "cash"): SaleFixture {
  const taken = original.lines.filter((_, i) => i === 0 || rng.next() < 0.5);
  const lines = taken.map((l) => line(l.product, -l.quantity, l.unitPrice, l.discount, l.id));
  return saleOf(session, "return", lines, mode, rng, original.id);
}

export const voided = (sale: SaleFixture): SaleFixture => ({ ...sale, status: "voided" });

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
