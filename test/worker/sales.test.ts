import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import { createDb } from "../../worker/db/client";
import { TenantScope } from "../../worker/db/tenant-scope";
import { returnLimitGuard } from "../../worker/domain/sales";
import { MAX_SALE_LINES, MAX_SALE_PAYMENTS } from "../../schema/contracts/sales";
import { closeSession, inclusiveVat, openSession, quote, saleFromQuote, sell, shop, toKronor, type Shop } from "./checkout-fixtures";
import { ADMIN_PASSWORD, api, createTenant, d1Count, enrolTill, feedOf, randomIp, staffWithPin, tillPinLogin, userWith } from "./helpers";

const level = async (s: Shop, productId: string) =>
  (await env.DB.prepare("SELECT quantity FROM inventory_levels WHERE store_id = ? AND product_id = ?").bind(s.t.storeId, productId).first<{ quantity: number }>())?.quantity ?? 0;
const movements = async (saleId: string) =>
  (await env.DB.prepare("SELECT product_id, kind, quantity FROM stock_movements WHERE reference_id = ? ORDER BY product_id, kind").bind(saleId).all()).results;
const saleCount = async (s: Shop) => (await env.DB.prepare("SELECT count(*) AS n FROM sales WHERE tenant_id = ?").bind(s.t.tenantId).first<{ n: number }>())!.n;

describe("POST /sales/quote", () => {
  it("prices a Swedish basket from the catalogue: VAT backed out per line, cash rounded to whole kronor", async () => {
    const s = await shop();
    const res = await quote(s, { items: [{ productId: s.products.coffee.id, quantity: 1000 }, { productId: s.products.bun.id, quantity: 2000 }], payments: [{ method: "CASH", amount: 10000 }] });
    expect(res.status).toBe(200);
    const q = res.json.data;
    // Computed here on their own: 34.90 at 25 % and 2 × 25.00 at 12 %.
    const coffeeVat = inclusiveVat(3490, 250_000);
    const bunVat = inclusiveVat(5000, 120_000);
    expect(q.items.map((i: { taxAmount: number }) => i.taxAmount)).toEqual([coffeeVat, bunVat]);
    expect(q).toMatchObject({ subtotal: 8490, grandTotal: 8490, taxTotal: coffeeVat + bunVat, discountTotal: 0, cashRounding: toKronor(8490) - 8490, totalDue: toKronor(8490), cashTotalDue: 8500, currency: "SEK" });
    expect(q.items[0]).toMatchObject({ productName: "Kaffe bryggt", unitPrice: 3490, cataloguePrice: 3490, taxRate: 2500, lineTotal: 3490 });
    // Paid by card: no rounding.
    const card = (await quote(s, { items: [{ productId: s.products.coffee.id, quantity: 1000 }], payments: [{ method: "CARD", amount: 3490 }] })).json.data;
    expect(card).toMatchObject({ cashRounding: 0, totalDue: 3490, cashTotalDue: 3500 });
  });
});

describe("POST /sales", () => {
  it("creates a cash sale in two round trips: lines, taxes, payments, change, stock and the change feed", async () => {
    const s = await shop();
    const body = await saleFromQuote(s, [{ productId: s.products.coffee.id, quantity: 1000 }, { productId: s.products.bun.id, quantity: 2000 }], [{ method: "CASH", amount: 10000 }]);
    const res = await sell(s, body);
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(d1Count(res)).toBe(2);
    const sale = res.json.data;
    expect(sale).toMatchObject({
      id: body.id, kind: "sale", status: "completed", receiptNumber: body.receiptNumber, storeId: s.t.storeId, registerId: s.till.registerId,
      sessionId: s.sessionId, cashierId: s.cashier.id, currency: "SEK", pricesIncludeTax: true,
      subtotal: 8490, grandTotal: 8490, cashRounding: 10, totalDue: 8500, paidTotal: 10000, changeGiven: 1500,
    });
    expect(sale.lines).toHaveLength(2);
    expect(sale.lines[1]).toMatchObject({ lineNo: 2, productId: s.products.bun.id, quantity: 2000, unitPrice: 2500, gross: 5000, tax: inclusiveVat(5000, 120_000), priceOverride: false });
    expect(sale.taxes.map((t: { rate: number; amount: number }) => [t.rate, t.amount])).toEqual([[2500, inclusiveVat(3490, 250_000)], [1200, inclusiveVat(5000, 120_000)]]);
    expect(sale.payments).toMatchObject([{ method: "CASH", isCash: true, amount: 10000 }]);
    // What is stored answers the same.
    expect((await api("GET", `/api/v1/sales/${sale.id}`, { token: s.cashier.token })).json.data).toEqual(sale);
    // Stock left the shelf; the change feed tells the store.
    expect(await level(s, s.products.coffee.id)).toBe(-1000);
    expect(await level(s, s.products.bun.id)).toBe(-2000);
    expect((await feedOf(sale.id)).map((f) => [f.entity, f.store_id])).toEqual([["sale", s.t.storeId]]);
    expect((await feedOf(`${s.t.storeId}:${s.products.coffee.id}`)).map((f) => [f.entity, f.store_id])).toEqual([["inventory_level", s.t.storeId]]);
  });

  it("takes 100 lines in the same two round trips", async () => {
    const s = await shop();
    const items = Array.from({ length: 100 }, (_, i) => ({ productId: [s.products.coffee, s.products.bun, s.products.juice][i % 3]!.id, quantity: 1000 + i }));
    const body = await saleFromQuote(s, items, [{ method: "CARD", amount: "due" }]);
    const res = await sell(s, body);
    expect(res.status, JSON.stringify(res.json).slice(0, 500)).toBe(201);
    expect(d1Count(res)).toBe(2);
    expect(res.json.data.lines).toHaveLength(100);
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM sale_line_taxes WHERE sale_id = ?").bind(body.id).first<{ n: number }>();
    expect(stored!.n).toBe(100);
  });

  it("takes a sale at the schema's maximum, 250 lines and 20 payments, in the same two round trips", async () => {
    const s = await shop();
    const items = Array.from({ length: MAX_SALE_LINES }, (_, i) => ({ productId: [s.products.coffee, s.products.bun, s.products.juice][i % 3]!.id, quantity: 1000 }));
    const probe = await saleFromQuote(s, items, [{ method: "CARD", amount: "due" }]);
    const share = Math.floor(probe.grandTotal / MAX_SALE_PAYMENTS);
    const payments = Array.from({ length: MAX_SALE_PAYMENTS }, (_, i) => ({ method: "CARD", amount: i === 0 ? probe.grandTotal - share * (MAX_SALE_PAYMENTS - 1) : share, reference: `slip ${i + 1}` }));
    const res = await sell(s, { ...probe, payments });
    expect(res.status, JSON.stringify(res.json).slice(0, 500)).toBe(201);
    expect(d1Count(res)).toBe(2);
    expect(res.json.data.lines).toHaveLength(MAX_SALE_LINES);
    expect(res.json.data.payments).toHaveLength(MAX_SALE_PAYMENTS);
    expect((await api("GET", `/api/v1/sales/${probe.id}`, { token: s.cashier.token })).json.data).toEqual(res.json.data);
    // one more line than the schema allows is a 400, not a 500
    const over = await sell(s, { ...probe, id: crypto.randomUUID(), items: [...probe.items, probe.items[0]] });
    expect(over.status).toBe(400);
  });

  it("refuses figures that do not agree with the money engine, naming each with what came and what it should be", async () => {
    const s = await shop();
    const body = await saleFromQuote(s, [{ productId: s.products.coffee.id, quantity: 1000 }], [{ method: "CARD", amount: "due" }]);
    const wrong = { ...body, taxTotal: body.taxTotal + 1, items: [{ ...body.items[0], taxAmount: body.items[0].taxAmount - 1 }] };
    const res = await sell(s, wrong);
    expect(res.status).toBe(422);
    expect(res.json.code).toBe("SALE_MISMATCH");
    expect(res.json.fields).toEqual(expect.arrayContaining([
      { path: "items.0.taxAmount", message: expect.any(String), received: body.items[0].taxAmount - 1, expected: body.items[0].taxAmount },
      { path: "taxTotal", message: expect.any(String), received: body.taxTotal + 1, expected: body.taxTotal },
    ]));
    expect(await saleCount(s)).toBe(0);
    // a wrong cash rounding too
    const cash = await saleFromQuote(s, [{ productId: s.products.coffee.id, quantity: 1000 }]);
    const rounding = await sell(s, { ...cash, cashRounding: 0 });
    expect(rounding.json.fields).toEqual([{ path: "cashRounding", message: expect.any(String), received: 0, expected: 10 }]);
  });

  it("keeps a price the till sold at (an override) beside the catalogue's", async () => {
    const s = await shop();
    const body = await saleFromQuote(s, [{ productId: s.products.coffee.id, quantity: 1000, unitPrice: 3000 }], [{ method: "CARD", amount: "due" }]);
    const res = await sell(s, body);
    expect(res.status).toBe(201);
    expect(res.json.data.lines[0]).toMatchObject({ unitPrice: 3000, cataloguePrice: 3490, priceOverride: true, gross: 3000, tax: inclusiveVat(3000, 250_000) });
  });

  it("takes split tenders, gives change from cash only, and refuses too little or change from a card", async () => {
    const s = await shop();
    const body = await saleFromQuote(s, [{ productId: s.products.juice.id, quantity: 3000 }], [{ method: "CARD", amount: 5000 }, { method: "CASH", amount: 4000 }]);
    // 89.70: card 50.00, the cash part 39.70 rounds to 40.00 (+30 öre), so 40.00 in cash settles it exactly.
    const res = await sell(s, body);
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json.data).toMatchObject({ grandTotal: 8970, cashRounding: 30, totalDue: 9000, paidTotal: 9000, changeGiven: 0 });
    const short = await saleFromQuote(s, [{ productId: s.products.juice.id, quantity: 1000 }], [{ method: "CARD", amount: 2000 }]);
    expect((await sell(s, short)).json.code).toBe("UNDERPAID");
    const cardChange = await saleFromQuote(s, [{ productId: s.products.juice.id, quantity: 1000 }], [{ method: "CARD", amount: 5000 }]);
    expect((await sell(s, cardChange)).json.code).toBe("OVERPAID");
    expect(await saleCount(s)).toBe(1);
  });

  it("answers a retry with the first answer and writes nothing; another request with the same id or key is 422", async () => {
    const s = await shop();
    const body = await saleFromQuote(s, [{ productId: s.products.coffee.id, quantity: 1000 }, { productId: s.products.bun.id, quantity: 1000 }]);
    const first = await sell(s, body);
    expect(first.status).toBe(201);
    const again = await sell(s, body);
    expect(again.status).toBe(201);
    expect(again.json.data).toEqual(first.json.data);
    expect(d1Count(again)).toBe(1);
    expect(await saleCount(s)).toBe(1);
    const other = await sell(s, { ...body, receiptNumber: "R-OTHER" });
    expect(other.status).toBe(422);
    expect(other.json.code).toBe("IDEMPOTENCY_MISMATCH");
    // An Idempotency-Key names a request too (a till that lets the edge make the id)
    const { id: _id, ...keyed } = await saleFromQuote(s, [{ productId: s.products.juice.id, quantity: 1000 }]);
    const key = crypto.randomUUID();
    const k1 = await sell(s, keyed, { "Idempotency-Key": key });
    const k2 = await sell(s, keyed, { "Idempotency-Key": key });
    expect(k2.json.data.id).toBe(k1.json.data.id);
    expect((await sell(s, { ...keyed, receiptNumber: "R-KEY-2" }, { "Idempotency-Key": key })).json.code).toBe("IDEMPOTENCY_MISMATCH");
    expect((await sell(s, keyed, { "Idempotency-Key": "has spaces in it" })).json.code).toBe("INVALID_IDEMPOTENCY_KEY");
    expect(await saleCount(s)).toBe(2);
  });

  it("makes exactly one sale and one stock movement per line of twenty identical requests sent at once", async () => {
    const s = await shop();
    const body = await saleFromQuote(s, [{ productId: s.products.coffee.id, quantity: 2000 }, { productId: s.products.bun.id, quantity: 1000 }]);
    const answers = await Promise.all(Array.from({ length: 20 }, () => sell(s, body)));
    for (const a of answers) expect(a.status, JSON.stringify(a.json)).toBe(201);
    expect(new Set(answers.map((a) => JSON.stringify(a.json.data))).size).toBe(1);
    expect(await saleCount(s)).toBe(1);
    expect(await movements(body.id)).toEqual([
      { product_id: s.products.bun.id, kind: "sale", quantity: -1000 },
      { product_id: s.products.coffee.id, kind: "sale", quantity: -2000 },
    ].sort((a, b) => a.product_id.localeCompare(b.product_id)));
    expect(await level(s, s.products.coffee.id)).toBe(-2000);
  });

  it("moves no stock for a product that does not track it", async () => {
    const s = await shop();
    const body = await saleFromQuote(s, [{ productId: s.products.untracked.id, quantity: 1000 }], [{ method: "CARD", amount: "due" }]);
    expect((await sell(s, body)).status).toBe(201);
    expect(await movements(body.id)).toEqual([]);
  });

  it("refuses unknown products and tenders, another tenant's products, and figures naming the wrong till", async () => {
    const s = await shop();
    const other = await shop();
    const body = await saleFromQuote(s, [{ productId: s.products.coffee.id, quantity: 1000 }], [{ method: "CARD", amount: "due" }]);
    const res = await sell(s, { ...body, items: [{ ...body.items[0], productId: other.products.coffee.id }], payments: [{ method: "BITCOIN", amount: 3490 }] });
    expect(res.status).toBe(422);
    expect(res.json.fields.map((f: { path: string }) => f.path)).toEqual(["items.0.productId", "payments.0.method"]);
    const wrongTill = await sell(s, { ...body, terminalId: "NOT-MINE", cashierId: other.cashier.id });
    expect(wrongTill.json.fields.map((f: { path: string }) => f.path)).toEqual(["cashierId", "terminalId"]);
  });

  it("sells only at an enrolled till with an open session, and a receipt number once per store", async () => {
    const s = await shop();
    const body = await saleFromQuote(s, [{ productId: s.products.coffee.id, quantity: 1000 }], [{ method: "CARD", amount: "due" }]);
    // the same cashier signed in by password in the back office
    const office = await api("POST", "/api/v1/auth/login", { body: { tenant: s.t.slug, username: s.cashier.username, password: s.cashier.password }, ip: randomIp() });
    expect((await api("POST", "/api/v1/sales", { token: office.json.data.accessToken, body })).json.code).toBe("REGISTER_REQUIRED");
    // a till whose register is not open
    const other = await enrolTill(s.t);
    const there = await tillPinLogin(other.credential, s.cashier.pin);
    expect((await api("POST", "/api/v1/sales", { token: there.json.data.accessToken, body })).json.code).toBe("REGISTER_NOT_OPEN");
    expect((await sell(s, body)).status).toBe(201);
    const sameNumber = await sell(s, { ...body, id: crypto.randomUUID() });
    expect(sameNumber.status).toBe(409);
    expect(sameNumber.json.code).toBe("RECEIPT_NUMBER_TAKEN");
    // once the session closes, the till sells no more
    await closeSession(s.t, s.sessionId);
    const late = await saleFromQuote(s, [{ productId: s.products.coffee.id, quantity: 1000 }], [{ method: "CARD", amount: "due" }]);
    expect((await sell(s, late)).json.code).toBe("REGISTER_NOT_OPEN");
  });

  it("needs pos.sell", async () => {
    const s = await shop({ permissions: ["products.view"] });
    const body = await saleFromQuote({ ...s, cashier: { ...s.cashier, token: s.t.adminToken } }, [{ productId: s.products.coffee.id, quantity: 1000 }]);
    const res = await sell(s, body);
    expect(res.status).toBe(403);
    expect(res.json.code).toBe("MISSING_PERMISSION");
  });

  it("prices an exclusive store's sale with a compound tax as charged", async () => {
    const t = await createTenant({ pricesIncludeTax: false });
    const { insertTaxGroup } = await import("./helpers");
    const group = await insertTaxGroup(t.tenantId, "GST+QST", [{ name: "GST", millionths: 50_000 }, { name: "QST", millionths: 99_750, isCompound: true }]);
    const product = (await api("POST", "/api/v1/products", { token: t.adminToken, body: { sku: "P5", name: "Gomme", sellPrice: 5, taxGroupId: group } })).json.data;
    const till = await enrolTill(t);
    const cashier = await staffWithPin(t, ["pos.sell"]);
    const token = (await tillPinLogin(till.credential, cashier.pin)).json.data.accessToken;
    await openSession(t, till.registerId, cashier.id);
    const q = (await api("POST", "/api/v1/sales/quote", { token, body: { items: [{ productId: product.id, quantity: 1000 }] } })).json.data;
    // 0.05: GST round(0.25) = 0; QST on 5 + 0 → round(0.49875) = 0
    expect(q).toMatchObject({ subtotal: 5, taxTotal: 0, grandTotal: 5 });
    const q2 = (await api("POST", "/api/v1/sales/quote", { token, body: { items: [{ productId: product.id, quantity: 20_000 }] } })).json.data;
    // 1.00: GST 5, QST on 105 → 10.47 → 10
    expect(q2.items[0].taxes.map((x: { taxAmount: number }) => x.taxAmount)).toEqual([5, 10]);
    expect(q2).toMatchObject({ subtotal: 100, taxTotal: 15, grandTotal: 115 });
  });
});

describe("returns", () => {
  async function soldSale(s: Shop) {
    const body = await saleFromQuote(s, [{ productId: s.products.coffee.id, quantity: 2000 }, { productId: s.products.bun.id, quantity: 3000 }], [{ method: "CARD", amount: "due" }]);
    const res = await sell(s, body);
    expect(res.status).toBe(201);
    return res.json.data;
  }
  const returnBody = async (s: Shop, sale: any, lines: { line: number; quantity: number }[], method = "CARD") => {
    const items = lines.map((l) => ({ productId: sale.lines[l.line].productId, quantity: -l.quantity, unitPrice: sale.lines[l.line].unitPrice }));
    const body = await saleFromQuote(s, items, [{ method, amount: 0 }]);
    return {
      ...body,
      originalSaleId: sale.id,
      items: body.items.map((i: Record<string, unknown>, k: number) => ({ ...i, originalLineId: sale.lines[lines[k]!.line].id })),
      payments: [{ method, amount: method === "CASH" ? body.grandTotal + body.cashRounding : body.grandTotal }],
    };
  };

  it("returns part of a sale: refunds, stock back, and never more than is left of a line", async () => {
    const s = await shop();
    const sale = await soldSale(s);
    const body = await returnBody(s, sale, [{ line: 0, quantity: 1000 }]);
    const res = await sell(s, body);
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json.data).toMatchObject({ kind: "return", originalSaleId: sale.id, grandTotal: -3490, paidTotal: -3490 });
    expect(res.json.data.lines[0]).toMatchObject({ quantity: -1000, originalLineId: sale.lines[0].id, tax: -inclusiveVat(3490, 250_000) });
    expect(await level(s, s.products.coffee.id)).toBe(-1000);
    // 1 of 2 coffees is left to return
    const tooMany = await sell(s, await returnBody(s, sale, [{ line: 0, quantity: 2000 }]));
    expect(tooMany.status).toBe(422);
    expect(tooMany.json.fields).toEqual([expect.objectContaining({ path: "items.0.quantity", expected: -1000 })]);
    // a sale line cannot be named on a sale, a return needs negative quantities and a line of that sale
    const bad = await returnBody(s, sale, [{ line: 1, quantity: 1000 }]);
    expect((await sell(s, { ...bad, items: [{ ...bad.items[0], originalLineId: crypto.randomUUID() }] })).json.code).toBe("INVALID_RETURN");
  });

  it("lets only one of two returns racing for the last items through", async () => {
    const s = await shop();
    const sale = await soldSale(s);
    const [a, b] = [await returnBody(s, sale, [{ line: 1, quantity: 3000 }]), await returnBody(s, sale, [{ line: 1, quantity: 3000 }])];
    const answers = await Promise.all([sell(s, a), sell(s, b)]);
    expect(answers.filter((x) => x.status === 201)).toHaveLength(1);
    // The loser is refused at its read (422) when the winner committed first, or by the batch's guard (409)
    // when both read before either wrote.
    const loser = answers.find((x) => x.status !== 201)!;
    expect([["INVALID_RETURN", 422], ["RETURN_EXCEEDS_SOLD", 409]]).toContainEqual([loser.json.code, loser.status]);
    expect(await level(s, s.products.bun.id)).toBe(0);
  });

  it("has the write batch refuse a return that a racing one left nothing for (the guard itself)", async () => {
    const s = await shop();
    const sale = await soldSale(s);
    expect((await sell(s, await returnBody(s, sale, [{ line: 1, quantity: 3000 }]))).status).toBe(201);
    // As the loser of a race would: its read saw 3 to return, but the winner has committed meanwhile.
    const scope = new TenantScope(createDb(env.DB), s.t.tenantId);
    const loser = crypto.randomUUID();
    const now = Date.now();
    await expect(
      env.DB.batch([
        env.DB.prepare("INSERT INTO sales (id, tenant_id, store_id, register_id, session_id, receipt_number, kind, original_sale_id, unreferenced, status, cashier_id, currency, prices_include_tax, tax_rounding, subtotal, discount_total, tax_total, grand_total, cash_rounding, total_due, paid_total, change_given, sold_at, request_hash, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'return', ?, 0, 'completed', ?, 'SEK', 1, 'line', 0, 0, 0, 0, 0, 0, 0, 0, ?, 'x', 1, ?, ?)")
          .bind(loser, s.t.tenantId, s.t.storeId, s.till.registerId, s.sessionId, `R-${loser.slice(0, 8)}`, sale.id, s.cashier.id, now, now, now),
        env.DB.prepare("INSERT INTO sale_lines (id, tenant_id, sale_id, line_no, product_id, product_name, sku, quantity, unit_price, catalogue_price, price_override, discount, net, tax, gross, cost_price, original_line_id) VALUES (?, ?, ?, 1, ?, 'x', 'x', -1000, 2500, 2500, 0, 0, 0, 0, 0, 0, ?)")
          .bind(crypto.randomUUID(), s.t.tenantId, loser, sale.lines[1].productId, sale.lines[1].id),
        ...guardStatements(scope, sale.id),
      ]),
    ).rejects.toThrow(/return_within_sold/);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM sales WHERE id = ?").bind(loser).first<{ n: number }>())!.n).toBe(0);
  });

  it("takes a return without a receipt only where the tenant allows it, from a user holding pos.void, marked so", async () => {
    const s = await shop({ permissions: ["pos.sell", "pos.void"] });
    const items = [{ productId: s.products.juice.id, quantity: -1000 }];
    const body = await saleFromQuote(s, items, [{ method: "CASH", amount: 0 }]);
    const unreferenced = { ...body, unreferenced: true, payments: [{ method: "CASH", amount: body.grandTotal + body.cashRounding }] };
    expect((await sell(s, unreferenced)).json.code).toBe("UNREFERENCED_RETURNS_OFF");
    await api("PATCH", `/api/v1/tenants/${s.t.tenantId}`, { token: (await import("./helpers")).operatorToken, body: { allowUnreferencedReturns: true } });
    const res = await sell(s, unreferenced);
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json.data).toMatchObject({ kind: "return", unreferenced: true, originalSaleId: null, grandTotal: -2990, cashRounding: -10, totalDue: -3000 });
    const noVoid = await shop({ permissions: ["pos.sell"] });
    await api("PATCH", `/api/v1/tenants/${noVoid.t.tenantId}`, { token: (await import("./helpers")).operatorToken, body: { allowUnreferencedReturns: true } });
    const b2 = await saleFromQuote(noVoid, [{ productId: noVoid.products.juice.id, quantity: -1000 }], [{ method: "CASH", amount: 0 }]);
    expect((await sell(noVoid, { ...b2, unreferenced: true, payments: [{ method: "CASH", amount: -3000 }] })).status).toBe(403);
  });
});

describe("void", () => {
  it("voids a sale while its session is open: stock comes back, the sale stays; twice is 409", async () => {
    const s = await shop({ permissions: ["pos.sell", "pos.void"] });
    const body = await saleFromQuote(s, [{ productId: s.products.coffee.id, quantity: 1000 }]);
    const sale = (await sell(s, body)).json.data;
    const voided = await api("PUT", `/api/v1/sales/${sale.id}/void`, { token: s.cashier.token, body: { reason: "Wrong item" } });
    expect(voided.status, JSON.stringify(voided.json)).toBe(200);
    expect(voided.json.data).toMatchObject({ status: "voided", voidReason: "Wrong item", voidedBy: s.cashier.id, version: 2 });
    expect(await level(s, s.products.coffee.id)).toBe(0);
    expect((await api("PUT", `/api/v1/sales/${sale.id}/void`, { token: s.cashier.token, body: { reason: "Again" } })).json.code).toBe("ALREADY_VOIDED");
    const list = await api("GET", `/api/v1/sales?status=voided`, { token: s.cashier.token });
    expect(list.json.data.map((x: { id: string }) => x.id)).toEqual([sale.id]);
  });

  it("refuses a void after the session closed, of a sale with returns, and without pos.void", async () => {
    const s = await shop({ permissions: ["pos.sell", "pos.void"] });
    const sale = (await sell(s, await saleFromQuote(s, [{ productId: s.products.coffee.id, quantity: 2000 }], [{ method: "CARD", amount: "due" }]))).json.data;
    const ret = await saleFromQuote(s, [{ productId: s.products.coffee.id, quantity: -1000 }], [{ method: "CARD", amount: 0 }]);
    expect((await sell(s, { ...ret, originalSaleId: sale.id, items: [{ ...ret.items[0], originalLineId: sale.lines[0].id }], payments: [{ method: "CARD", amount: ret.grandTotal }] })).status).toBe(201);
    expect((await api("PUT", `/api/v1/sales/${sale.id}/void`, { token: s.cashier.token, body: { reason: "x" } })).json.code).toBe("SALE_HAS_RETURNS");
    const other = (await sell(s, await saleFromQuote(s, [{ productId: s.products.bun.id, quantity: 1000 }]))).json.data;
    await closeSession(s.t, s.sessionId);
    expect((await api("PUT", `/api/v1/sales/${other.id}/void`, { token: s.cashier.token, body: { reason: "x" } })).json.code).toBe("REGISTER_SESSION_CLOSED");
    const seller = await userWith(s.t, ["pos.sell"]);
    expect((await api("PUT", `/api/v1/sales/${other.id}/void`, { token: seller.token, body: { reason: "x" } })).status).toBe(403);
  });
});

describe("GET /sales", () => {
  it("lists a store's sales with the spec's filters in one round trip, and keeps other tenants' out of reach", async () => {
    const s = await shop();
    const a = (await sell(s, await saleFromQuote(s, [{ productId: s.products.coffee.id, quantity: 1000 }]))).json.data;
    const b = (await sell(s, { ...(await saleFromQuote(s, [{ productId: s.products.bun.id, quantity: 1000 }])), soldAt: "2026-01-15T10:00:00+01:00" })).json.data;
    const all = await api("GET", "/api/v1/sales", { token: s.cashier.token });
    expect(d1Count(all)).toBe(1);
    expect(all.json.data.map((x: { id: string }) => x.id)).toEqual([a.id, b.id]);
    expect(all.json.data[0].lines).toBeUndefined();
    const january = await api("GET", "/api/v1/sales?date_from=2026-01-01&date_to=2026-02-01", { token: s.cashier.token });
    expect(january.json.data.map((x: { id: string }) => x.id)).toEqual([b.id]);
    expect((await api("GET", `/api/v1/sales?store_id=${s.t.storeId}&status=completed&kind=sale`, { token: s.cashier.token })).json.total).toBe(2);
    const other = await createTenant();
    expect((await api("GET", `/api/v1/sales/${a.id}`, { token: other.adminToken })).status).toBe(404);
    expect((await api("GET", "/api/v1/sales", { token: other.adminToken })).json.total).toBe(0);
    void ADMIN_PASSWORD;
  });
});

/** The return guard as raw D1 statements, to run in a batch of the test's own. */
function guardStatements(scope: TenantScope, originalSaleId: string) {
  const query = new SQLiteSyncDialect().sqlToQuery((returnLimitGuard(scope, originalSaleId) as unknown as { getSQL(): import("drizzle-orm").SQL }).getSQL());
  return [env.DB.prepare(query.sql).bind(...query.params)];
}
