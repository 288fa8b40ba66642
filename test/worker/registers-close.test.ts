import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createStore, createTenant, d1Count, enrolTill, feedOf, userWith, type TestTenant } from "./helpers";
import {
  cashEvent, catalogue, closeById, expectError, expectedFigures, openSession, random, returnAt, sellRandomAt, tillWithCashier, voidAt,
  type CashFixture, type Catalogue, type SaleFixture, type SessionRef,
} from "./registers-fixtures";

/** Closing a register session: expected, counted and difference per tender; the Z report's number and grand total. */

const sessionRow = (id: string) => env.DB.prepare("SELECT * FROM register_sessions WHERE id = ?").bind(id).first<Record<string, unknown>>();
const zRows = (registerId: string) =>
  env.DB.prepare("SELECT z_number, grand_total, session_id FROM z_reports WHERE register_id = ? ORDER BY z_number").bind(registerId).all().then((r) => r.results);

/** Sales of a session made at its till through POST /api/v1/sales, with two returns and a void. */
async function sell(t: TestTenant, token: string, cat: Catalogue, ref: SessionRef, seed: number, count: number) {
  const rng = random(seed);
  const sales: SaleFixture[] = [];
  for (let i = 0; i < count; i++) sales.push(await sellRandomAt(token, ref, cat.products, rng));
  sales.push(await returnAt(token, ref, sales[0]!, rng, "cash"), await returnAt(token, ref, sales[1]!, rng, "card"));
  sales.push(await voidAt(t.adminToken, await sellRandomAt(token, ref, cat.products, rng, "cash")));
  return sales;
}

describe("closing a session", () => {
  it("answers expected, counted and difference per tender, and writes the closed session and its Z report together", async () => {
    const t = await createTenant();
    const cat = await catalogue(t);
    const voucher = await api("POST", "/api/v1/tenders", { token: t.adminToken, body: { code: "VOUCHER", name: "Voucher", kind: "voucher", sortOrder: 5 } });
    expect(voucher.status).toBe(201);
    const till = await tillWithCashier(t);
    const session = await openSession(till.token, 40000);
    const ref = { id: session.id, registerId: till.registerId, storeId: t.storeId, cashierId: till.user.id };
    const sales = await sell(t, till.token, cat, ref, 99, 30);
    const events: CashFixture[] = [{ kind: "paid_in", amount: 5000 }, { kind: "paid_out", amount: 1250 }, { kind: "drop", amount: 20000 }, { kind: "no_sale", amount: 0 }];
    for (const e of events) expect((await cashEvent(till.token, session.id, { ...e, reason: "why" })).status).toBe(201);

    // Worked out from the rows alone: expected cash = float + taken − refunded − change + paid in − paid out − drops.
    const figures = expectedFigures(sales, events, 40000, cat.departments);
    const paid = (code: string) => sales.filter((s) => s.status === "completed").flatMap((s) => s.payments).filter((p) => p.code === code).reduce((n, p) => n + p.amount, 0);
    const expectedCash = 40000 + figures.cash.cashTaken - figures.cash.cashRefunded - figures.cash.changeGiven + 5000 - 1250 - 20000;
    expect(figures.cash.expected).toBe(expectedCash);
    expect(paid("SWISH")).not.toBe(0);

    // SWISH used but not counted, VOUCHER counted but never used; keys in any case.
    const counted = { cash: expectedCash - 300, CARD: paid("CARD"), VOUCHER: 1500 };
    const res = await closeById(till.token, session.id, counted);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    // The Worker's read, then the hub's read of the figures and its one write batch: Server-Timing counts the hub's too.
    expect(d1Count(res)).toBe(3);
    expect(res.json.data.tenders).toEqual([
      { code: "CASH", name: "Cash", expected: expectedCash, counted: expectedCash - 300, difference: -300 },
      { code: "CARD", name: "Card", expected: paid("CARD"), counted: paid("CARD"), difference: 0 },
      { code: "SWISH", name: "Swish", expected: paid("SWISH"), counted: 0, difference: -paid("SWISH") },
      { code: "VOUCHER", name: "Voucher", expected: 0, counted: 1500, difference: 1500 },
    ]);
    const answered = res.json.data.session;
    expect(answered).toMatchObject({ id: session.id, status: "closed", closedBy: till.user.id, zNumber: 1, version: 2 });
    const row = await sessionRow(session.id);
    expect(row).toMatchObject({ status: "closed", closed_by: till.user.id, z_number: 1, version: 2, closed_at: Date.parse(answered.closedAt) });
    expect(JSON.parse(row!.counted as string)).toEqual({ CASH: expectedCash - 300, CARD: paid("CARD"), SWISH: 0, VOUCHER: 1500 });
    expect(JSON.parse(row!.expected as string)).toEqual({ CASH: expectedCash, CARD: paid("CARD"), SWISH: paid("SWISH"), VOUCHER: 0 });
    expect(await zRows(till.registerId)).toEqual([{ z_number: 1, grand_total: figures.net, session_id: session.id }]);
    expect((await feedOf(session.id)).map((f) => f.version)).toEqual([1, 2]);
    expect((await api("GET", `/api/v1/registers/${session.id}`, { token: till.token })).json.data).toEqual(answered);
    // Closed is closed.
    expectError(await closeById(till.token, session.id, counted), 409, "SESSION_CLOSED");
  });

  it("refuses a tender code that is not the tenant's (422, nothing written) and malformed counts (400)", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    const session = await openSession(till.token, 100);
    const unknown = await closeById(till.token, session.id, { CASH: 100, BITCOIN: 5 });
    expectError(unknown, 422, "UNKNOWN_TENDER");
    expect(unknown.json.fields).toEqual([{ path: "counted.BITCOIN", message: expect.any(String) }]);
    expect(await sessionRow(session.id)).toMatchObject({ status: "open", version: 1 });
    expect(await zRows(till.registerId)).toEqual([]);
    for (const counted of [{ CASH: -1 }, { CASH: 1.5 }, { "CA SH": 1 }, { cash: 1, CASH: 2 }, []] as unknown[]) {
      expectError(await closeById(till.token, session.id, counted as Record<string, number>), 400, "VALIDATION_ERROR");
    }
    expectError(await api("PUT", `/api/v1/registers/${session.id}/close`, { token: till.token, body: {} }), 400, "VALIDATION_ERROR");
  });

  it("numbers Z reports 1, 2, 3 … per register with a grand total that never resets; another register counts on its own", async () => {
    const t = await createTenant();
    const cat = await catalogue(t);
    const till = await tillWithCashier(t);
    const other = await tillWithCashier(t);
    let grandTotal = 0;
    for (let round = 1; round <= 3; round++) {
      const session = await openSession(till.token, 1000);
      const sales = await sell(t, till.token, cat, { id: session.id, registerId: till.registerId, storeId: t.storeId, cashierId: till.user.id }, round, 8);
      const net = expectedFigures(sales, [], 1000, cat.departments).net;
      // The till and the back office close it at once: one close, one Z report.
      const closes = await Promise.all([
        api("POST", "/api/v1/registers/close", { token: till.token, body: { counted: { CASH: 1000 } } }),
        closeById(t.adminToken, session.id, { CASH: 1000 }),
        closeById(t.adminToken, session.id, { CASH: 1000 }),
      ]);
      const won = closes.filter((r) => r.status === 200);
      expect(won).toHaveLength(1);
      for (const lost of closes.filter((r) => r.status !== 200)) expect([404, 409]).toContain(lost.status);
      expect(won[0]!.json.data.zReport).toMatchObject({ zNumber: round, previousGrandTotal: grandTotal, grandTotal: grandTotal + net });
      grandTotal += net;
    }
    expect((await zRows(till.registerId)).map((z) => [z.z_number, z.grand_total])).toEqual([[1, expect.any(Number)], [2, expect.any(Number)], [3, grandTotal]]);
    const theirs = await openSession(other.token, 0);
    expect((await closeById(other.token, theirs.id, {})).json.data.zReport).toMatchObject({ zNumber: 1, previousGrandTotal: 0, grandTotal: 0 });
  });

  it("of closes racing, one wins; the others get 409 SESSION_CLOSED and exactly one Z report is made", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    const session = await openSession(till.token, 500);
    const closes = await Promise.all(Array.from({ length: 8 }, (_, i) => closeById(i % 2 ? till.token : t.adminToken, session.id, { CASH: 500 + i })));
    expect(closes.filter((r) => r.status === 200)).toHaveLength(1);
    for (const lost of closes.filter((r) => r.status !== 200)) expectError(lost, 409, "SESSION_CLOSED");
    expect(await zRows(till.registerId)).toHaveLength(1);
  });

  it("counts a cash event that reaches the hub before a racing close, and refuses one after it", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    const session = await openSession(till.token, 10000);
    const paidIn = () => cashEvent(till.token, session.id, { kind: "paid_in", amount: 100, reason: "race" });
    const [before, ...rest] = await Promise.all([paidIn(), paidIn(), closeById(t.adminToken, session.id, { CASH: 0 }), paidIn(), paidIn(), paidIn()]);
    const close = rest[1]!;
    const events = [before!, rest[0]!, ...rest.slice(2)];
    expect(close.status).toBe(200);
    const accepted = events.filter((e) => e.status === 201);
    for (const refused of events.filter((e) => e.status !== 201)) expectError(refused, 409, "SESSION_CLOSED");
    // What the close expected is exactly the events that made it in, and no event was written after it.
    expect(close.json.data.zReport.cash).toMatchObject({ paidIn: { count: accepted.length, amount: 100 * accepted.length }, expected: 10000 + 100 * accepted.length });
    const stored = await env.DB.prepare("SELECT count(*) AS n, coalesce(max(at), 0) AS last FROM cash_events WHERE session_id = ?").bind(session.id).first<{ n: number; last: number }>();
    expect(stored!.n).toBe(accepted.length);
    expect(stored!.last).toBeLessThanOrEqual((await sessionRow(session.id))!.closed_at as number);
  });

  it("closes the till's current session from the till; a retry with its Idempotency-Key answers the close again", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    expectError(await api("POST", "/api/v1/registers/close", { token: till.token, body: { counted: { CASH: 0 } } }), 404, "NO_OPEN_SESSION");
    const session = await openSession(till.token, 2000);
    const key = { "Idempotency-Key": crypto.randomUUID() };
    const close = () => api("POST", "/api/v1/registers/close", { token: till.token, body: { counted: { CASH: 2100 } }, headers: key });
    const first = await close();
    expect(first.status).toBe(200);
    expect(first.json.data).toMatchObject({ session: { id: session.id, status: "closed" }, tenders: [{ code: "CASH", expected: 2000, counted: 2100, difference: 100 }] });
    const retry = await close();
    expect(retry.status).toBe(200);
    expect(retry.json.data).toEqual(first.json.data);
    expect(await zRows(till.registerId)).toHaveLength(1);
    expectError(await api("POST", "/api/v1/registers/close", { token: till.token, body: { counted: { CASH: 2000 } }, headers: key }), 422, "IDEMPOTENCY_MISMATCH");
    // The register opens again, with the next Z number to come.
    const next = await openSession(till.token, 0);
    expect((await closeById(till.token, next.id, {})).json.data.zReport.zNumber).toBe(2);
  });

  it("needs registers.close, in the session's store too", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const there = await enrolTill(t, { storeId: s2.id });
    const session = await openSession(t.adminToken, 100, { registerId: there.registerId });
    const closer = await userWith(t, ["registers.close"]);
    expectError(await closeById(closer.token, session.id, {}), 403, "MISSING_PERMISSION_IN_STORE");
    const opener = await userWith(t, ["registers.open", "registers.view"]);
    expectError(await closeById(opener.token, session.id, {}), 403, "MISSING_PERMISSION");
    expect(await sessionRow(session.id)).toMatchObject({ status: "open" });
  });
});
