import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { inclusiveVat } from "./checkout-fixtures";
import { api, enrolTill } from "./helpers";
import { random } from "./registers-fixtures";
import { cashRecord, closeRecord, levelOf, openRecord, push, pushShop, tillSale, voidRecord, wire, type PushProduct } from "./sync-push-fixtures";

/**
 * An offline day at a till, then the reconnect. The till records 200 sales offline (returns among them), a void,
 * cash paid in, paid out, dropped and a no-sale, and closes its register offline (counting 5 kr short), then opens
 * the next session and keeps selling. It also records three things the edge must refuse (made invalid on purpose).
 * On reconnect it pushes its journal in batches of 25: one batch is sent twice, one is cut off halfway (its answer
 * lost) and sent again, one is lost entirely and retried only after later batches (so sales of the closed session
 * arrive after its close), and at the end the whole journal is pushed again. The edge must then hold exactly those
 * 200 sales, the stock and the Z report must equal what this test works out from what it sent, and the error
 * queue must hold the three invalid records and nothing else.
 */

const MINUTE = 60_000;
const BATCH = 25;

describe("an offline till reconnects", () => {
  it("ends with exactly its 200 sales, its stock and its Z report, and only its invalid records queued", async () => {
    const rng = random(20261202);
    const s = await pushShop();
    const till = await enrolTill(s.t);
    const code = (await env.DB.prepare("SELECT code FROM registers WHERE id = ?").bind(till.registerId).first<{ code: string }>())!.code;
    const products = [s.products.coffee, s.products.bun, s.products.juice, s.products.card];
    const cashier = s.cashier.id;

    // The till's journal, in the order it made the records; receipt numbers are the till's own: register code and a sequence.
    const journal: Record<string, any>[] = [];
    const sales: ReturnType<typeof tillSale>[] = [];
    const invalid: string[] = [];
    let clock = Date.now() - 10 * 60 * MINUTE;
    let receiptNo = 0;
    const tick = () => (clock += rng.int(1, 3) * MINUTE);
    const nextReceipt = () => `${code}-${String(++receiptNo).padStart(5, "0")}`;

    const s1 = openRecord({ userId: cashier, at: tick(), openingFloat: 50_000 });
    journal.push(s1);
    const sell = (sessionId: string) => {
      const lines = Array.from({ length: rng.int(1, 3) }, () => {
        const product = rng.pick(products);
        const override = rng.next() < 0.1 ? product.price - 500 : undefined;
        return { product, quantity: rng.int(1, 3) * 1000, ...(override ? { unitPrice: override } : {}) };
      });
      const method = rng.next() < 0.6 ? "CASH" as const : "CARD" as const;
      const probe = tillSale({ sessionId, cashierId: cashier, soldAt: clock, receiptNumber: "", lines, method });
      const tendered = method === "CASH" ? Math.ceil(probe.expected.totalDue / 10_000) * 10_000 : undefined;
      const sale = tillSale({ sessionId, cashierId: cashier, soldAt: tick(), receiptNumber: nextReceipt(), lines, method, tendered });
      sales.push(sale);
      journal.push(wire(sale));
      return sale;
    };
    const returnOf = (original: ReturnType<typeof tillSale>, sessionId: string) => {
      const line = original.items[0]!;
      const product = products.find((p) => p.id === line.productId)!;
      const ret = tillSale({ sessionId, cashierId: cashier, soldAt: tick(), receiptNumber: nextReceipt(), originalSaleId: original.id,
        lines: [{ product, quantity: -1000, unitPrice: line.unitPrice, originalLineId: line.id }], method: rng.next() < 0.5 ? "CASH" : "CARD" });
      sales.push(ret);
      journal.push(wire(ret));
      return ret;
    };

    // Session 1: 140 sales and returns (returns and the void name only sales of the first 50 records: see the lost batch).
    const early: ReturnType<typeof tillSale>[] = [];
    for (let i = 0; i < 40; i++) early.push(sell(s1.id));
    const voided = early[7]!;
    journal.push(voidRecord({ saleId: voided.id, userId: cashier, at: tick() }));
    const returned = new Set<string>();
    const events = [
      cashRecord({ sessionId: s1.id, userId: cashier, at: tick(), kind: "paid_in", amount: 20_000, reason: "Växel" }),
      cashRecord({ sessionId: s1.id, userId: cashier, at: tick(), kind: "no_sale", amount: 0, reason: "Kunden ville växla" }),
    ];
    journal.push(...events);
    for (let i = 0; i < 95; i++) {
      if (i % 20 === 5) {
        const candidates = early.filter((x) => x !== voided && !returned.has(x.id) && x.items[0]!.quantity >= 1000);
        const original = candidates[rng.int(0, candidates.length - 1)]!;
        returned.add(original.id);
        returnOf(original, s1.id);
      } else sell(s1.id);
      if (i === 30) {
        const e = cashRecord({ sessionId: s1.id, userId: cashier, at: tick(), kind: "paid_out", amount: 5_000, reason: "Mjölk" });
        events.push(e);
        journal.push(e);
      }
      if (i === 60) {
        const e = cashRecord({ sessionId: s1.id, userId: cashier, at: tick(), kind: "drop", amount: 100_000 });
        events.push(e);
        journal.push(e);
      }
    }
    // Three records the edge must refuse, made invalid on purpose.
    const tampered = tillSale({ sessionId: s1.id, cashierId: cashier, soldAt: tick(), receiptNumber: nextReceipt(), lines: [{ product: s.products.coffee, quantity: 1000 }] });
    journal.push({ ...wire(tampered), grandTotal: tampered.grandTotal + 100 });
    const overReturn = tillSale({ sessionId: s1.id, cashierId: cashier, soldAt: tick(), receiptNumber: nextReceipt(), originalSaleId: early[3]!.id,
      lines: [{ product: products.find((p) => p.id === early[3]!.items[0]!.productId)!, quantity: -(early[3]!.items[0]!.quantity + 1000), unitPrice: early[3]!.items[0]!.unitPrice, originalLineId: early[3]!.items[0]!.id }] });
    journal.push(wire(overReturn));
    const stray = cashRecord({ sessionId: crypto.randomUUID(), userId: cashier, at: tick(), kind: "paid_in", amount: 1_000, reason: "Fel kassa" });
    journal.push(stray);
    invalid.push(tampered.id, overReturn.id, stray.id);

    // What session 1 should hold, worked out here from what the till recorded.
    const s1Sales = sales.filter((x) => x.sessionId === s1.id);
    const completed = s1Sales.filter((x) => x.id !== voided.id);
    const sum = (xs: typeof sales, f: (x: (typeof sales)[number]) => number) => xs.reduce((acc, x) => acc + f(x), 0);
    const kind = (x: (typeof sales)[number]) => (x.originalSaleId ? "return" : "sale");
    const cashPaid = (x: (typeof sales)[number]) => sum([x], (y) => y.payments.filter((p) => p.method === "CASH").reduce((a, p) => a + p.amount, 0));
    const eventSum = (k: string) => events.filter((e) => e.kind === k).reduce((a, e) => a + e.amount, 0);
    const expectedCash = 50_000 + sum(completed, (x) => Math.max(0, cashPaid(x))) - sum(completed, (x) => Math.max(0, -cashPaid(x))) - sum(completed, (x) => x.expected.change)
      + eventSum("paid_in") - eventSum("paid_out") - eventSum("drop");
    const cardTotal = sum(completed, (x) => x.payments.filter((p) => p.method === "CARD").reduce((a, p) => a + p.amount, 0));
    // Each sale's VAT, worked out line by line from its gross (prices include VAT, rounded per line).
    for (const x of sales) {
      const vat = x.items.reduce((acc, l) => acc + Math.sign(l.lineTotal) * inclusiveVat(Math.abs(l.lineTotal), products.find((p) => p.id === l.productId)!.rate!.millionths), 0);
      expect(x.taxTotal).toBe(vat);
    }
    const s1Close = closeRecord({ sessionId: s1.id, userId: cashier, at: tick(), counted: { CASH: expectedCash - 500, CARD: cardTotal } });
    journal.push(s1Close);

    // Session 2: opened offline after the close, the rest of the 200 sales, still open at the reconnect.
    const s2 = openRecord({ userId: cashier, at: tick(), openingFloat: 30_000 });
    journal.push(s2);
    while (sales.length < 200) sell(s2.id);
    expect(sales.length).toBe(200);
    expect(sales.filter((x) => x.originalSaleId).length).toBeGreaterThanOrEqual(4);

    // The reconnect.
    const batches: Record<string, any>[][] = [];
    for (let i = 0; i < journal.length; i += BATCH) batches.push(journal.slice(i, i + BATCH));
    const sent = async (batch: Record<string, any>[]) => {
      const res = await push(till.credential, batch);
      expect(res.status, JSON.stringify(res.json).slice(0, 500)).toBe(200);
      return res.json.data as { results: { id: string; status: string; code?: string }[]; amendedZReports: unknown[] };
    };
    const rejectedIds = new Set<string>();
    const note = (answer: Awaited<ReturnType<typeof sent>>) => answer.results.filter((r) => r.status === "rejected").forEach((r) => rejectedIds.add(r.id));
    const LOST = 3;
    const closeBatch = batches.findIndex((b) => b.includes(s1Close));
    expect(closeBatch).toBeGreaterThan(LOST);
    expect(batches[LOST]!.some((r) => r.type === "sale" && r.sessionId === s1.id)).toBe(true);
    let amended = 0;
    for (let b = 0; b < batches.length; b++) {
      const batch = batches[b]!;
      if (b === LOST) continue; // timed out before it reached the edge; retried after the others
      if (b === 2) {
        await push(till.credential, batch.slice(0, 10)); // the connection drops: this answer never reaches the till
        const answer = await sent(batch);
        expect(answer.results.slice(0, 10).every((r) => r.status === "duplicate")).toBe(true);
        note(answer);
        continue;
      }
      const answer = await sent(batch);
      note(answer);
      if (b === 1) {
        const twice = await sent(batch); // the till did not see the first answer and sends the batch again
        expect(twice.results.map((r) => r.status)).toEqual(answer.results.map((r) => (r.status === "rejected" ? "rejected" : "duplicate")));
      }
    }
    const retried = await sent(batches[LOST]!);
    note(retried);
    expect(retried.results.every((r) => r.status === "applied")).toBe(true);
    amended += retried.amendedZReports.length;
    expect(amended).toBe(1);
    // A till that lost track of what it sent pushes its whole journal again: nothing changes.
    for (const batch of batches) {
      const answer = await sent(batch);
      expect(answer.results.filter((r) => r.status === "applied")).toEqual([]);
      expect(answer.amendedZReports).toEqual([]);
    }
    expect([...rejectedIds].sort()).toEqual([...invalid].sort());

    // Exactly those 200 sales.
    const stored = await env.DB.prepare("SELECT id, status, sold_at AS soldAt, total_due AS totalDue, session_id AS sessionId FROM sales WHERE tenant_id = ? ORDER BY sold_at").bind(s.t.tenantId).all<{ id: string; status: string; soldAt: number; totalDue: number; sessionId: string }>();
    expect(stored.results.map((r) => r.id).sort()).toEqual(sales.map((x) => x.id).sort());
    const byId = new Map(stored.results.map((r) => [r.id, r]));
    for (const x of sales) {
      expect({ soldAt: byId.get(x.id)!.soldAt, totalDue: byId.get(x.id)!.totalDue, sessionId: byId.get(x.id)!.sessionId }).toEqual({ soldAt: Date.parse(x.soldAt), totalDue: x.expected.totalDue, sessionId: x.sessionId });
    }
    expect(stored.results.filter((r) => r.status === "voided").map((r) => r.id)).toEqual([voided.id]);

    // Stock: every tracked product down by what completed sales took and up by what returns brought back.
    const live = sales.filter((x) => x.id !== voided.id);
    for (const p of products as PushProduct[]) {
      const moved = live.reduce((acc, x) => acc + x.items.filter((l) => l.productId === p.id).reduce((a, l) => a + l.quantity, 0), 0);
      expect(await levelOf(s.t.storeId, p.id)).toBe(p.trackStock ? -moved : 0);
    }

    // The Z report of the session closed offline, as revised when its late sales landed.
    const z = (await api("GET", `/api/v1/reports/z-report?session_id=${s1.id}`, { token: s.t.adminToken })).json.data;
    const done = (k: string) => completed.filter((x) => kind(x) === k);
    expect({
      zNumber: z.zNumber, revision: z.revision, net: z.net, tax: z.tax, grandTotal: z.grandTotal,
      sales: z.sales, returns: z.returns, voids: z.voids, expectedCash: z.cash.expected, paidIn: z.cash.paidIn.amount, paidOut: z.cash.paidOut.amount, drops: z.cash.drops.amount,
      noSales: z.cash.noSales, counts: Object.fromEntries(z.tenderCounts.map((c: any) => [c.code, [c.expected, c.counted, c.difference]])),
    }).toEqual({
      zNumber: 1, revision: 2, net: sum(completed, (x) => x.expected.totalDue), tax: sum(completed, (x) => x.expected.tax), grandTotal: sum(completed, (x) => x.expected.totalDue),
      sales: { count: done("sale").length, amount: sum(done("sale"), (x) => x.expected.totalDue) },
      returns: { count: done("return").length, amount: sum(done("return"), (x) => x.expected.totalDue) },
      voids: { count: 1, amount: voided.expected.totalDue },
      expectedCash, paidIn: 20_000, paidOut: 5_000, drops: 100_000, noSales: 1,
      counts: { CASH: [expectedCash, expectedCash - 500, -500], CARD: [cardTotal, cardTotal, 0] },
    });

    // Session 2 runs on: its X report is its sales.
    const x = (await api("GET", `/api/v1/reports/x-report?session_id=${s2.id}`, { token: s.t.adminToken })).json.data;
    expect(x.net).toBe(sum(sales.filter((y) => y.sessionId === s2.id), (y) => y.expected.totalDue));

    // The error queue: the three invalid records, pending, and nothing else.
    const queue = await api("GET", `/api/v1/sync/errors?store_id=${s.t.storeId}&pageSize=200`, { token: s.t.adminToken });
    expect(queue.json.data.map((e: any) => [e.clientId, e.kind, e.status]).sort()).toEqual(invalid.map((id) => [id, "rejected", "pending"]).sort());
    expect(queue.json.data.map((e: any) => e.code).sort()).toEqual(["INVALID_RETURN", "SALE_MISMATCH", "UNKNOWN_SESSION"]);
    const status = await api("GET", "/api/v1/sync/status", { headers: { "X-Device-Credential": till.credential } });
    expect({ pendingErrors: status.json.data.pendingErrors, lastPushAt: status.json.data.device.lastPushAt !== null }).toEqual({ pendingErrors: 3, lastPushAt: true });
  });
});
