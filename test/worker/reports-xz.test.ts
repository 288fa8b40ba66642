import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createStore, createTenant, d1Count, enrolTill, userWith, type TestTenant } from "./helpers";
import {
  cashEvent, catalogue, closeById, expectError, expectedReport, figuresOf, openSession, random, returnAt, sellRandomAt, tillWithCashier, voidAt,
  xReportOf, zReportOf, type CashFixture, type SaleFixture, type SessionRef,
} from "./registers-fixtures";

/**
 * X and Z reports: every figure equals what the test works out on its own from the sales and cash events it sent.
 * Sales go through POST /api/v1/sales at the till with random baskets: cash with öre rounding and change, card,
 * Swish, split tenders, weighed goods, discounts, price overrides, returns and voids.
 */

/** A session with sales made through POST /api/v1/sales at the till, three returns, two voids and cash events. */
async function busySession(t: TestTenant, seed: number, count = 40) {
  const till = await tillWithCashier(t);
  const cat = await catalogue(t);
  const openingFloat = 50000;
  const session = await openSession(till.token, openingFloat);
  const ref: SessionRef = { id: session.id, registerId: till.registerId, storeId: t.storeId, cashierId: till.user.id };
  const rng = random(seed);
  const sales: SaleFixture[] = [];
  for (let i = 0; i < count; i++) sales.push(await sellRandomAt(till.token, ref, cat.products, rng));
  sales.push(await returnAt(till.token, ref, sales[0]!, rng, "cash"), await returnAt(till.token, ref, sales[1]!, rng, "card"), await returnAt(till.token, ref, sales[2]!, rng, "cash"));
  const [cashSale, cardSale] = [await sellRandomAt(till.token, ref, cat.products, rng, "cash"), await sellRandomAt(till.token, ref, cat.products, rng, "card")];
  sales.push(await voidAt(t.adminToken, cashSale), await voidAt(t.adminToken, cardSale));
  const events: CashFixture[] = [
    { kind: "paid_in", amount: 20000 }, { kind: "paid_out", amount: 3450 }, { kind: "drop", amount: 40000 }, { kind: "no_sale", amount: 0 }, { kind: "paid_out", amount: 199 },
  ];
  for (const e of events) {
    const res = await cashEvent(till.token, session.id, { ...e, reason: e.kind === "drop" ? undefined : "test" });
    expect(res.status).toBe(201);
  }
  return { till, cat, session, ref, sales, events, openingFloat, rng };
}

describe("X report", () => {
  it("equals the totals worked out from the session's sales, returns, voids and cash events, read in one round trip", async () => {
    const t = await createTenant();
    const day = await busySession(t, 20261201);
    const res = await xReportOf(day.till.token, day.session.id);
    expect(res.status).toBe(200);
    expect(d1Count(res)).toBe(1);
    const expected = expectedReport(day.sales, day.events, day.openingFloat, day.cat.departments);
    expect(figuresOf(res.json.data)).toEqual(expected);
    expect(res.json.data).toMatchObject({ kind: "X", session: { id: day.session.id, status: "open", registerId: day.till.registerId, openingFloat: day.openingFloat } });
    // The test's own baskets exercised what the report counts.
    expect(expected.returns.count).toBe(3);
    expect(expected.voids.count).toBe(2);
    expect(expected.priceOverrides.count).toBeGreaterThan(0);
    expect(expected.discounts.count).toBeGreaterThan(0);
    expect(expected.cashRounding.count).toBeGreaterThan(0);
    expect(expected.cash.changeGiven).toBeGreaterThan(0);
    expect(expected.cash.cashRefunded).toBeGreaterThan(0);
    // The tenders' amounts add up to what customers paid.
    expect(res.json.data.tenders.reduce((s: number, x: { amount: number }) => s + x.amount, 0)).toBe(expected.net);
  });

  it("has no reset: reading it changes nothing, and it runs on as the session does", async () => {
    const t = await createTenant();
    const day = await busySession(t, 7, 10);
    const first = await xReportOf(day.till.token, day.session.id);
    const again = await xReportOf(day.till.token, day.session.id);
    expect(figuresOf(again.json.data)).toEqual(figuresOf(first.json.data));
    const more: SaleFixture[] = [];
    for (let i = 0; i < 5; i++) more.push(await sellRandomAt(day.till.token, day.ref, day.cat.products, day.rng));
    const later = await xReportOf(day.till.token, day.session.id);
    expect(figuresOf(later.json.data)).toEqual(expectedReport([...day.sales, ...more], day.events, day.openingFloat, day.cat.departments));
    expect(later.json.data.sales.count).toBe(first.json.data.sales.count + 5);
  });

  it("is all zeros but the float for a session with nothing in it", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    const session = await openSession(till.token, 12345);
    const res = await xReportOf(till.token, session.id);
    expect(res.json.data).toMatchObject({
      sales: { count: 0, amount: 0 }, returns: { count: 0, amount: 0 }, voids: { count: 0, amount: 0 }, net: 0, tax: 0, tenders: [], taxes: [], departments: [],
      cash: { tender: "CASH", openingFloat: 12345, expected: 12345 },
    });
  });

  it("needs reports.x_report in the session's store", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const there = await enrolTill(t, { storeId: s2.id });
    const session = await openSession(t.adminToken, 100, { registerId: there.registerId });
    const reader = await userWith(t, ["reports.x_report"]);
    expectError(await xReportOf(reader.token, session.id), 403, "MISSING_PERMISSION_IN_STORE");
    const none = await userWith(t, ["reports.z_report"]);
    expectError(await xReportOf(none.token, session.id), 403, "MISSING_PERMISSION");
    expectError(await xReportOf(t.adminToken, "not-a-uuid"), 400, "VALIDATION_ERROR");
  });
});

describe("Z report", () => {
  it("is made once at the close with the session's figures, and kept: later changes to the rows do not change it", async () => {
    const t = await createTenant();
    const day = await busySession(t, 424242);
    const expected = expectedReport(day.sales, day.events, day.openingFloat, day.cat.departments);
    const closed = await closeById(day.till.token, day.session.id, { CASH: expected.cash.expected, CARD: 1 });
    expect(closed.status).toBe(200);
    const made = closed.json.data.zReport;
    expect(figuresOf(made)).toEqual(expected);
    expect(made).toMatchObject({ kind: "Z", zNumber: 1, previousGrandTotal: 0, grandTotal: expected.net, session: { id: day.session.id, status: "closed", closedBy: day.till.user.id } });
    expect(made.tenderCounts).toEqual(closed.json.data.tenders);

    const read = await zReportOf(t.adminToken, day.session.id);
    expect(read.status).toBe(200);
    expect(d1Count(read)).toBe(1);
    expect(read.json.data).toEqual(made);
    const stored = await env.DB.prepare("SELECT z_number, grand_total, register_id FROM z_reports WHERE session_id = ?").bind(day.session.id).first();
    expect(stored).toEqual({ z_number: 1, grand_total: expected.net, register_id: day.till.registerId });

    // Rows changed after the close (they never should be) change the recomputed X figures, never the Z report.
    await env.DB.prepare("UPDATE sales SET total_due = total_due + 1000 WHERE session_id = ? AND status = 'completed'").bind(day.session.id).run();
    const x = await xReportOf(t.adminToken, day.session.id);
    expect(x.json.data.net).not.toBe(expected.net);
    expect((await zReportOf(t.adminToken, day.session.id)).json.data).toEqual(made);
  });

  it("is 409 SESSION_OPEN while the session runs, and needs reports.z_report (which a cashier lacks by default)", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    const session = await openSession(till.token, 100);
    expectError(await zReportOf(t.adminToken, session.id), 409, "SESSION_OPEN");
    expectError(await zReportOf(till.token, session.id), 403, "MISSING_PERMISSION");
    expectError(await zReportOf(t.adminToken, crypto.randomUUID()), 404, "NOT_FOUND");
  });
});
