import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createTenant } from "./helpers";
import {
  cashEvent, catalogue, closeById, expectedReport, figuresOf, openSession, random, returnAt, sellAt, sellRandomAt, tillWithCashier, voidAt, xReportOf,
  zReportOf, type CashFixture, type SaleFixture, type SessionRef,
} from "./registers-fixtures";

/**
 * A scripted day in one store: two registers open, 200 sales of random baskets through the sales API (cash with
 * öre rounding and change, card, Swish, split, weighed goods, discounts, overrides), three returns (two of them
 * racing for the same items), a void, cash paid in and out and dropped, and both registers closed, one with a
 * counted difference. The X and Z reports and the stock levels equal what the test works out from what it sent.
 */
describe("a day of trading", () => {
  it("ends with X and Z reports and stock levels that match the sales, to the öre and to the thousandth", async () => {
    const t = await createTenant();
    const cat = await catalogue(t);
    const [a, b] = await Promise.all([tillWithCashier(t), tillWithCashier(t)]);
    const [sa, sb] = [await openSession(a.token, 50000), await openSession(b.token, 30000)];
    const refA: SessionRef = { id: sa.id, registerId: a.registerId, storeId: t.storeId, cashierId: a.user.id };
    const refB: SessionRef = { id: sb.id, registerId: b.registerId, storeId: t.storeId, cashierId: b.user.id };
    const salesA: SaleFixture[] = [];
    const salesB: SaleFixture[] = [];
    const rngA = random(1201);
    const rngB = random(1202);
    // The two tills sell at the same time.
    await Promise.all([
      (async () => { for (let i = 0; i < 100; i++) salesA.push(await sellRandomAt(a.token, refA, cat.products, rngA)); })(),
      (async () => { for (let i = 0; i < 100; i++) salesB.push(await sellRandomAt(b.token, refB, cat.products, rngB)); })(),
    ]);

    // A return at till A; two returns of the same line race at till B: one takes the items back, the other is refused.
    salesA.push(await returnAt(a.token, refA, salesA[3]!, rngA, "cash"));
    const contested = salesB[5]!.lines[0]!;
    const back = { product: contested.product, quantity: -contested.quantity, unitPrice: contested.unitPrice, discount: contested.discount, originalLineId: contested.id, cataloguePrice: contested.unitPrice };
    const racing = await Promise.allSettled([
      sellAt(b.token, refB, [back], "cash", rngB, salesB[5]!.id),
      sellAt(b.token, refB, [back], "card", rngB, salesB[5]!.id),
    ]);
    const returned = racing.filter((r): r is PromiseFulfilledResult<SaleFixture> => r.status === "fulfilled");
    expect(returned).toHaveLength(1);
    expect(String((racing.find((r) => r.status === "rejected") as PromiseRejectedResult).reason)).toMatch(/sale: (409|422) .*(RETURN_EXCEEDS_SOLD|INVALID_RETURN)/);
    salesB.push(returned[0]!.value);
    salesB.push(await returnAt(b.token, refB, salesB[7]!, rngB, "card"));
    // A void at till A (by the manager, who holds pos.void).
    const voidedIndex = salesA.findIndex((s, i) => i > 10 && s.kind === "sale");
    salesA[voidedIndex] = await voidAt(t.adminToken, salesA[voidedIndex]!);

    const eventsA: CashFixture[] = [{ kind: "paid_in", amount: 10000 }, { kind: "paid_out", amount: 4590 }, { kind: "drop", amount: 100000 }];
    const eventsB: CashFixture[] = [{ kind: "drop", amount: 50000 }, { kind: "no_sale", amount: 0 }];
    for (const e of eventsA) expect((await cashEvent(a.token, sa.id, { ...e, reason: "day" })).status).toBe(201);
    for (const e of eventsB) expect((await cashEvent(b.token, sb.id, { ...e, reason: "day" })).status).toBe(201);

    const expectedA = expectedReport(salesA, eventsA, 50000, cat.departments);
    const expectedB = expectedReport(salesB, eventsB, 30000, cat.departments);
    expect(expectedA.voids.count + expectedB.voids.count).toBe(1);
    expect(expectedA.returns.count + expectedB.returns.count).toBe(3);
    expect(expectedA.sales.count + expectedB.sales.count).toBe(199);
    expect(figuresOf((await xReportOf(a.token, sa.id)).json.data)).toEqual(expectedA);
    expect(figuresOf((await xReportOf(b.token, sb.id)).json.data)).toEqual(expectedB);

    // Close: till A counts 5 kronor short and the card slips exactly; the manager closes B with everything as expected.
    const card = (x: typeof expectedA) => x.tenders.find((tender: { code: string }) => tender.code === "CARD")?.tendered ?? 0;
    const swish = (x: typeof expectedA) => x.tenders.find((tender: { code: string }) => tender.code === "SWISH")?.tendered ?? 0;
    const closedA = await api("POST", "/api/v1/registers/close", { token: a.token, body: { counted: { CASH: expectedA.cash.expected - 500, CARD: card(expectedA), SWISH: swish(expectedA) } } });
    expect(closedA.status, JSON.stringify(closedA.json)).toBe(200);
    expect(closedA.json.data.tenders).toEqual([
      { code: "CASH", name: "Cash", expected: expectedA.cash.expected, counted: expectedA.cash.expected - 500, difference: -500 },
      { code: "CARD", name: "Card", expected: card(expectedA), counted: card(expectedA), difference: 0 },
      { code: "SWISH", name: "Swish", expected: swish(expectedA), counted: swish(expectedA), difference: 0 },
    ]);
    const closedB = await closeById(t.adminToken, sb.id, { CASH: expectedB.cash.expected, CARD: card(expectedB), SWISH: swish(expectedB) });
    expect(closedB.json.data.tenders.map((x: { difference: number }) => x.difference)).toEqual([0, 0, 0]);

    const zA = (await zReportOf(t.adminToken, sa.id)).json.data;
    const zB = (await zReportOf(t.adminToken, sb.id)).json.data;
    expect(figuresOf(zA)).toEqual(expectedA);
    expect(figuresOf(zB)).toEqual(expectedB);
    expect(zA).toMatchObject({ zNumber: 1, previousGrandTotal: 0, grandTotal: expectedA.net });
    expect(zB).toMatchObject({ zNumber: 1, previousGrandTotal: 0, grandTotal: expectedB.net });

    // Stock: every product's level is what the completed sales and returns took out and brought back.
    const moved = new Map<string, number>();
    for (const sale of [...salesA, ...salesB]) {
      // A voided sale's stock came back: its products have a level, moved by nothing.
      for (const l of sale.lines) moved.set(l.product.id, (moved.get(l.product.id) ?? 0) - (sale.status === "completed" ? l.quantity : 0));
    }
    const levels = await env.DB.prepare("SELECT product_id, quantity FROM inventory_levels WHERE store_id = ?").bind(t.storeId).all<{ product_id: string; quantity: number }>();
    expect(new Map(levels.results.map((r) => [r.product_id, r.quantity]))).toEqual(moved);
  }, 120_000);
});
