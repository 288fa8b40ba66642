import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { quote, sell, shop, type Shop } from "./checkout-fixtures";
import { as, freshCode, ledgerBalance, stored, transact, type Caller } from "./giftcards-fixtures";
import { api, d1Count, journalCounts } from "./helpers";
import { openRecord, push, pushShop, tillSale, wire } from "./sync-push-fixtures";

const CASHIER = ["pos.sell", "products.view", "inventory.view", "giftcards.view", "giftcards.use", "giftcards.add"];

describe("a gift card as a tender at the till", () => {
  let s: Shop;
  let admin: Caller;
  beforeAll(async () => {
    s = await shop({ permissions: CASHIER });
    admin = as(s.t.adminToken);
    const tender = await admin.post("/tenders", { code: "GIFT", name: "Presentkort", kind: "gift_card" });
    if (tender.status !== 201) throw new Error(JSON.stringify(tender.json));
  });

  /** A card with a PIN-protected physical code: its id and code. */
  async function card(balance: number, extra: Record<string, unknown> = {}) {
    const code = freshCode();
    const res = await admin.post("/gift-cards", { codes: [{ kind: "PHYSICAL", code, pin: "1357" }], ...(balance ? { initialAmount: balance } : {}), ...extra });
    if (res.status !== 201) throw new Error(JSON.stringify(res.json));
    return { id: res.json.data.id as string, code };
  }

  /**
   * A sale body as the till posts it: the basket quoted with its payments, `gift` paid with the card and the
   * rest in cash (cash rounding on the cash part), or all of it by card when `gift` is "all".
   */
  async function basket(items: { productId: string; quantity: number }[], gift: number | "all", giftCard: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const probe = (await quote(s, { items, payments: [{ method: "GIFT", amount: 0 }] })).json.data;
    const giftAmount = gift === "all" ? probe.grandTotal : gift;
    const payments = gift === "all" ? [{ method: "GIFT", amount: giftAmount }] : [{ method: "GIFT", amount: giftAmount }, { method: "CASH", amount: 0 }];
    const q = (await quote(s, { items, payments })).json.data;
    if (gift !== "all") payments[1]!.amount = q.totalDue - giftAmount;
    const priced = (await quote(s, { items, payments })).json.data;
    const { cashTotalDue: _c, totalDue: _d, currency: _cur, pricesIncludeTax: _p, ...body } = priced;
    return {
      ...body, id: crypto.randomUUID(), receiptNumber: `R-${crypto.randomUUID().slice(0, 8)}`,
      items: body.items.map(({ cataloguePrice: _cp, ...i }: Record<string, unknown>) => i),
      payments: payments.map((p) => (p.method === "GIFT" ? { ...p, giftCard } : p)),
      ...extra,
    } as Record<string, any>;
  }

  const coffeeAndBun = () => [{ productId: s.products.coffee.id, quantity: 1000 }, { productId: s.products.bun.id, quantity: 1000 }];
  const saleCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM sales WHERE tenant_id = ?").bind(s.t.tenantId).first<{ n: number }>())!.n;

  it("pays part of a sale, the rest in cash: the USE is written with the sale, in its two round trips", async () => {
    const c = await card(10000);
    const body = await basket(coffeeAndBun(), 4000, { code: c.code.toLowerCase(), pin: "1357" });
    const res = await sell(s, body);
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(d1Count(res)).toBe(2);
    const gift = res.json.data.payments.find((p: { method: string }) => p.method === "GIFT");
    expect(gift).toMatchObject({ amount: 4000, isCash: false, reference: `****${c.code.slice(-4)}` });
    expect(res.json.data.payments.find((p: { method: string }) => p.method === "CASH").amount).toBe(res.json.data.totalDue - 4000);
    const after = await stored(c.id);
    expect(after.balance).toBe(6000);
    expect(after.ledger.at(-1)).toMatchObject({ kind: "USE", state: "COMPLETED", amount: -4000, balance_after: 6000, sale_id: res.json.data.id });
    expect(JSON.stringify(res.json)).not.toMatch(/"pin"/);
    // The ledger as REST answers it names the sale's receipt and store.
    const listed = (await admin.get(`/gift-cards/${c.id}/transactions`)).json.data[0];
    expect(listed).toMatchObject({ kind: "USE", reference: body.receiptNumber, storeId: s.t.storeId, saleId: res.json.data.id, actorId: s.cashier.id });

    // The receipt shows the card's masked code and what was left on it.
    const printed = await api("POST", "/api/v1/sales/print", { token: s.cashier.token, body: { saleId: res.json.data.id } });
    expect(printed.status, JSON.stringify(printed.json)).toBe(200);
    const tender = printed.json.data.receipt.tenders.find((x: { code: string }) => x.code === "GIFT");
    expect(tender).toMatchObject({ name: "Presentkort", reference: `****${c.code.slice(-4)}`, giftCard: { code: `****${c.code.slice(-4)}`, balance: { minor: 6000 } } });
    expect(printed.json.data.receipt.tenders.find((x: { code: string }) => x.code === "CASH").giftCard).toBeUndefined();
    expect(printed.json.data.text).toMatch(new RegExp(`Ref \\*{4}${c.code.slice(-4)}`));
    expect(printed.json.data.text).toMatch(/Saldo kvar +60,00/);
    expect(printed.json.data.text).not.toContain(c.code);
  });

  it("pays a whole sale with the card", async () => {
    const c = await card(10000);
    const body = await basket(coffeeAndBun(), "all", { code: c.code, pin: "1357" });
    const res = await sell(s, body);
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json.data).toMatchObject({ cashRounding: 0, changeGiven: 0, paidTotal: body.grandTotal });
    expect((await stored(c.id)).balance).toBe(10000 - body.grandTotal);
  });

  it("refuses a sale the card cannot cover, writing nothing at all", async () => {
    const c = await card(3000);
    const before = { sales: await saleCount(), journal: await journalCounts(s.t.tenantId), card: await stored(c.id) };
    const body = await basket(coffeeAndBun(), 4000, { code: c.code, pin: "1357" });
    const res = await sell(s, body);
    expect(res.status).toBe(422);
    expect(res.json.code).toBe("INSUFFICIENT_FUNDS");
    expect(res.json.fields).toMatchObject([{ path: "payments.0.amount", message: "takes 4000; the gift card has 3000 available" }]);
    expect(await saleCount()).toBe(before.sales);
    expect(await journalCounts(s.t.tenantId)).toEqual(before.journal);
    expect(await stored(c.id)).toEqual(before.card);
    expect((await api("GET", `/api/v1/sales/${body.id}`, { token: s.t.adminToken })).status).toBe(404);
  });

  it("two sales racing for the card's last 100 kr: one is made, the other is refused and leaves nothing", async () => {
    const c = await card(10000);
    const bodies = [await basket(coffeeAndBun(), 5990, { code: c.code, pin: "1357" }), await basket(coffeeAndBun(), 5990, { code: c.code, pin: "1357" })];
    const before = await saleCount();
    const answers = await Promise.all(bodies.map((b) => sell(s, b)));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 422]);
    const refused = answers.find((a) => a.status === 422)!;
    expect(refused.json.code).toBe("INSUFFICIENT_FUNDS");
    expect(await saleCount()).toBe(before + 1);
    const after = await stored(c.id);
    expect(after.balance).toBe(10000 - 5990);
    expect(after.ledger.filter((r) => r.kind === "USE")).toHaveLength(1);
  });

  it("a USE through the API racing a sale for the same money: exactly one of them gets it", async () => {
    const c = await card(5000);
    const body = await basket(coffeeAndBun(), 5000, { code: c.code, pin: "1357" });
    const [sale, use] = await Promise.all([sell(s, body), transact(admin, c.id, { kind: "USE", amount: -5000 })]);
    expect([sale.status, use.status].sort()).toEqual([201, 422]);
    const after = await stored(c.id);
    expect(after.balance).toBe(0);
    expect(ledgerBalance(after.ledger)).toBe(0);
  });

  it("answers a wrong PIN and an unknown code alike, naming the payment", async () => {
    const c = await card(10000);
    const wrongPin = await sell(s, await basket(coffeeAndBun(), 1000, { code: c.code, pin: "0000" }));
    const noPin = await sell(s, await basket(coffeeAndBun(), 1000, { code: c.code }));
    const unknown = await sell(s, await basket(coffeeAndBun(), 1000, { code: freshCode(), pin: "1357" }));
    for (const res of [wrongPin, noPin, unknown]) {
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({ code: "GIFT_CARD_NOT_FOUND", error: "No gift card has this code and PIN", fields: [{ path: "payments.0.giftCard" }] });
    }
    expect((await stored(c.id)).balance).toBe(10000);
  });

  it("counts a till's wrong PINs like any other: after five for a card even the right PIN waits", async () => {
    const c = await card(10000);
    for (let i = 0; i < 5; i++) expect((await sell(s, await basket(coffeeAndBun(), 1000, { code: c.code, pin: `246${i}` }))).status).toBe(404);
    const locked = await sell(s, await basket(coffeeAndBun(), 1000, { code: c.code, pin: "1357" }));
    expect(locked.status).toBe(429);
    expect(locked.json.code).toBe("TOO_MANY_ATTEMPTS");
    expect((await stored(c.id)).balance).toBe(10000);
  });

  it("gives a right PIN's attempt back even when the sale is refused for something else", async () => {
    const c = await card(1000);
    for (let i = 0; i < 8; i++) {
      const body = await basket(coffeeAndBun(), 500, { code: c.code, pin: "1357" });
      body.grandTotal += 1;
      expect((await sell(s, body)).json.code).toBe("SALE_MISMATCH");
    }
    for (let i = 0; i < 8; i++) expect((await sell(s, await basket(coffeeAndBun(), 2000, { code: c.code, pin: "1357" }))).json.code).toBe("INSUFFICIENT_FUNDS");
    expect((await sell(s, await basket(coffeeAndBun(), 500, { code: c.code, pin: "1357" }))).status).toBe(201);
    expect((await stored(c.id)).balance).toBe(500);
  });

  it("refuses gift card payments that do not hold together", async () => {
    const c = await card(10000);
    const noCard = await basket(coffeeAndBun(), 1000, { code: c.code, pin: "1357" });
    delete noCard.payments[0].giftCard;
    const refused = await sell(s, noCard);
    expect(refused.json).toMatchObject({ code: "INVALID_GIFT_CARD_PAYMENT", fields: [{ path: "payments.0.giftCard" }] });
    const onCard = await basket(coffeeAndBun(), 1000, { code: c.code, pin: "1357" });
    onCard.payments[0].method = "CARD";
    expect((await sell(s, onCard)).json).toMatchObject({ code: "INVALID_GIFT_CARD_PAYMENT", fields: [{ path: "payments.0.giftCard" }] });
    const euro = await card(10000, { currency: "EUR" });
    const inEuro = await sell(s, await basket(coffeeAndBun(), 1000, { code: euro.code, pin: "1357" }));
    expect(inEuro.json).toMatchObject({ code: "INVALID_GIFT_CARD_PAYMENT", fields: [{ path: "payments.0.giftCard", message: "is a card in EUR; this store sells in SEK" }] });
    const blocked = await card(10000, { status: "blocked" });
    expect((await sell(s, await basket(coffeeAndBun(), 1000, { code: blocked.code, pin: "1357" }))).json.code).toBe("GIFT_CARD_BLOCKED");
    expect((await stored(euro.id)).balance).toBe(10000);
  });

  it("needs giftcards.use to pay with a card", async () => {
    const plain = await shop({ permissions: ["pos.sell", "products.view"] });
    const tender = await api("POST", "/api/v1/tenders", { token: plain.t.adminToken, body: { code: "GIFT", name: "Presentkort", kind: "gift_card" } });
    expect(tender.status).toBe(201);
    const code = freshCode();
    await api("POST", "/api/v1/gift-cards", { token: plain.t.adminToken, body: { codes: [{ kind: "PHYSICAL", code }], initialAmount: 100000 } });
    const items = [{ productId: plain.products.coffee.id, quantity: 1000 }];
    const priced = (await quote(plain, { items, payments: [{ method: "GIFT", amount: 3490 }] })).json.data;
    const { cashTotalDue: _c, totalDue: _d, currency: _cur, pricesIncludeTax: _p, ...body } = priced;
    const res = await sell(plain, {
      ...body, receiptNumber: "R-NOPERM", items: body.items.map(({ cataloguePrice: _cp, ...i }: Record<string, unknown>) => i),
      payments: [{ method: "GIFT", amount: 3490, giftCard: { code } }],
    });
    expect(res.status).toBe(403);
    expect(res.json.error).toContain("giftcards.use");
  });

  it("answers a retried sale with its first answer and takes the money once", async () => {
    const c = await card(10000);
    const body = await basket(coffeeAndBun(), 2000, { code: c.code, pin: "1357" });
    const first = await sell(s, body);
    const again = await sell(s, body);
    expect(again.status).toBe(201);
    expect(again.json.data).toEqual(first.json.data);
    expect((await stored(c.id)).balance).toBe(8000);
  });

  it("a void puts the money back on the card (a ledger entry naming the sale)", async () => {
    const c = await card(10000);
    const body = await basket(coffeeAndBun(), "all", { code: c.code, pin: "1357" });
    const sale = (await sell(s, body)).json.data;
    expect((await stored(c.id)).balance).toBe(10000 - sale.grandTotal);
    const voided = await api("PUT", `/api/v1/sales/${sale.id}/void`, { token: s.t.adminToken, body: { reason: "Wrong basket" } });
    expect(voided.status, JSON.stringify(voided.json)).toBe(200);
    const after = await stored(c.id);
    expect(after.balance).toBe(10000);
    expect(after.ledger.at(-1)).toMatchObject({ kind: "ADJUST", state: "COMPLETED", amount: sale.grandTotal, balance_after: 10000, sale_id: sale.id });
    const listed = (await admin.get(`/gift-cards/${c.id}/transactions`)).json.data[0];
    expect(listed).toMatchObject({ kind: "ADJUST", description: `Void of sale ${body.receiptNumber}`, reference: body.receiptNumber });
    expect(ledgerBalance(after.ledger)).toBe(10000);
  });

  it("a return refunds onto a card (an ADD), and voiding the return takes it back unless it was spent", async () => {
    const paid = await sell(s, await basket(coffeeAndBun(), "all", { code: (await card(10000)).code, pin: "1357" }));
    expect(paid.status).toBe(201);
    const sale = paid.json.data;
    const refundCard = await card(0);
    const coffeeLine = sale.lines.find((l: { productId: string }) => l.productId === s.products.coffee.id);
    const returnBody = async () => {
      const items = [{ productId: s.products.coffee.id, quantity: -1000 }];
      const priced = (await quote(s, { items, payments: [{ method: "GIFT", amount: 0 }] })).json.data;
      const { cashTotalDue: _c, totalDue: _d, currency: _cur, pricesIncludeTax: _p, ...body } = priced;
      return {
        ...body, id: crypto.randomUUID(), receiptNumber: `R-${crypto.randomUUID().slice(0, 8)}-R`, originalSaleId: sale.id,
        items: body.items.map(({ cataloguePrice: _cp, ...i }: Record<string, unknown>) => ({ ...i, originalLineId: coffeeLine.id })),
        payments: [{ method: "GIFT", amount: priced.totalDue, giftCard: { code: refundCard.code, pin: "1357" } }],
      };
    };
    const ret = await sell(s, await returnBody());
    expect(ret.status, JSON.stringify(ret.json)).toBe(201);
    expect(ret.json.data.kind).toBe("return");
    const refunded = -ret.json.data.totalDue;
    expect(refunded).toBe(3490);
    expect((await stored(refundCard.id)).ledger.at(-1)).toMatchObject({ kind: "ADD", amount: 3490, balance_after: 3490, sale_id: ret.json.data.id });

    // The refund is spent; the return can no longer be voided, and the refused void writes nothing.
    expect((await transact(admin, refundCard.id, { kind: "USE", amount: -3000 })).status).toBe(201);
    const refusedVoid = await api("PUT", `/api/v1/sales/${ret.json.data.id}/void`, { token: s.t.adminToken, body: { reason: "Changed mind" } });
    expect(refusedVoid.status).toBe(422);
    expect(refusedVoid.json.code).toBe("GIFT_CARD_REFUND_SPENT");
    expect((await api("GET", `/api/v1/sales/${ret.json.data.id}`, { token: s.t.adminToken })).json.data.status).toBe("completed");
    expect((await stored(refundCard.id)).balance).toBe(490);

    // Loaded again, the void takes the refund back.
    await transact(admin, refundCard.id, { kind: "ADD", amount: 3000 });
    const voided = await api("PUT", `/api/v1/sales/${ret.json.data.id}/void`, { token: s.t.adminToken, body: { reason: "Changed mind" } });
    expect(voided.status, JSON.stringify(voided.json)).toBe(200);
    const after = await stored(refundCard.id);
    expect(after.balance).toBe(0);
    expect(after.ledger.at(-1)).toMatchObject({ kind: "ADJUST", amount: -3490, balance_after: 0 });
  });

  it("a pushed (offline) sale cannot pay with a gift card, and its PIN is never kept", async () => {
    const p = await pushShop();
    await api("POST", "/api/v1/tenders", { token: p.t.adminToken, body: { code: "GIFT", name: "Presentkort", kind: "gift_card" } });
    const code = freshCode();
    await api("POST", "/api/v1/gift-cards", { token: p.t.adminToken, body: { codes: [{ kind: "PHYSICAL", code, pin: "864209753102" }], initialAmount: 100000 } });
    const open = openRecord({ userId: p.cashier.id, at: Date.now() - 60_000 });
    const sale = tillSale({ sessionId: open.id, cashierId: p.cashier.id, soldAt: Date.now() - 30_000, receiptNumber: "OFF-1", lines: [{ product: p.products.coffee, quantity: 1000 }], method: "CARD" });
    const item = { ...wire(sale), payments: [{ ...sale.payments[0]!, method: "GIFT", giftCard: { code, pin: "864209753102" } }] };
    const res = await push(p.till.credential, [open, item]);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.data.results[1]).toMatchObject({ status: "rejected", code: "GIFT_CARD_NEEDS_ONLINE" });
    const kept = await env.DB.prepare("SELECT count(*) AS n FROM sync_errors WHERE tenant_id = ? AND payload LIKE '%864209753102%'").bind(p.t.tenantId).first<{ n: number }>();
    expect(kept!.n).toBe(0);
    // The record is kept (to be looked at and retried), only without the PIN.
    const queued = await env.DB.prepare("SELECT payload FROM sync_errors WHERE tenant_id = ?").bind(p.t.tenantId).all<{ payload: string }>();
    expect(queued.results.filter((r) => r.payload.includes(code))).toHaveLength(1);
    const card = (await api("POST", "/api/v1/gift-cards/lookup", { token: p.t.adminToken, body: { code, pin: "864209753102" } })).json.data;
    expect(card.balance).toBe(100000);
  });
});
