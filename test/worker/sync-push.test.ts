import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_PUSH_ITEMS } from "../../schema/contracts/sync-push";
import { api, createTenant, d1Count, enrolTill, userWith } from "./helpers";
import { expectError } from "./registers-fixtures";
import { cashRecord, closeRecord, levelOf, openRecord, push, pushShop, tillSale, voidRecord, wire, type PushShop } from "./sync-push-fixtures";

/**
 * The push's rules, record by record: what is applied, what is a duplicate, what is refused (and queued), what a
 * late record does to a Z report, and who may push. The whole offline day is offline-till.test.ts.
 */

const HOUR = 3600_000;
const receipt = () => `T-${crypto.randomUUID().slice(0, 8)}`;
const statuses = (res: { json: any }) => res.json.data.results.map((r: any) => r.status);

async function errorRow(id: string) {
  return env.DB.prepare("SELECT * FROM sync_errors WHERE id = ?").bind(id).first<Record<string, any>>();
}

describe("POST /api/v1/sync/push", () => {
  let s: PushShop;
  beforeAll(async () => {
    s = await pushShop();
  });

  /** A fresh till of the shop with a session opened offline (pushed), `hoursAgo` back. */
  async function offlineSession(hoursAgo = 5) {
    const till = await enrolTill(s.t);
    const t0 = Date.now() - hoursAgo * HOUR;
    const open = openRecord({ userId: s.cashier.id, at: t0 });
    const res = await push(till.credential, [open]);
    expect(statuses(res)).toEqual(["applied"]);
    return { till, open, t0 };
  }

  it("applies an open, its sales and its close sent in the wrong order; the same batch again writes nothing", async () => {
    const till = await enrolTill(s.t);
    const t0 = Date.now() - 3 * HOUR;
    const open = openRecord({ userId: s.cashier.id, at: t0 });
    const sale = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 60_000, receiptNumber: receipt(), lines: [{ product: s.products.juice, quantity: 2000 }] });
    const close = closeRecord({ sessionId: open.id, userId: s.cashier.id, at: t0 + HOUR, counted: { CASH: 50000 + sale.expected.totalDue } });
    const before = await levelOf(s.t.storeId, s.products.juice.id);
    const res = await push(till.credential, [close, wire(sale), open]);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.data.results.map((r: any) => [r.index, r.type, r.status])).toEqual([[0, "session_close", "applied"], [1, "sale", "applied"], [2, "session_open", "applied"]]);
    expect(res.json.data.amendedZReports).toEqual([]);
    const z = (await api("GET", `/api/v1/reports/z-report?session_id=${open.id}`, { token: s.t.adminToken })).json.data;
    expect({ net: z.net, zNumber: z.zNumber, difference: z.tenderCounts.find((c: any) => c.code === "CASH").difference }).toEqual({ net: sale.expected.totalDue, zNumber: 1, difference: 0 });
    const stored = (await api("GET", `/api/v1/sales/${sale.id}`, { token: s.t.adminToken })).json.data;
    expect({ soldAt: stored.soldAt, sessionId: stored.sessionId, cashierId: stored.cashierId, registerId: stored.registerId }).toEqual({ soldAt: sale.soldAt, sessionId: open.id, cashierId: s.cashier.id, registerId: till.registerId });
    expect(await levelOf(s.t.storeId, s.products.juice.id)).toBe(before - 2000);

    const again = await push(till.credential, [close, wire(sale), open]);
    expect(statuses(again)).toEqual(["duplicate", "duplicate", "duplicate"]);
    const half = await push(till.credential, [wire(sale)]);
    expect(statuses(half)).toEqual(["duplicate"]);
    expect(await levelOf(s.t.storeId, s.products.juice.id)).toBe(before - 2000);
    const count = await env.DB.prepare("SELECT count(*) AS n FROM sales WHERE session_id = ?").bind(open.id).first<{ n: number }>();
    expect(count!.n).toBe(1);
  });

  it("keeps an offline sale's own price and time after the catalogue changed, and refuses figures that do not add up", async () => {
    const { till, open, t0 } = await offlineSession();
    const product = (await api("POST", "/api/v1/products", { token: s.t.adminToken, body: { sku: `X-${crypto.randomUUID().slice(0, 6)}`, name: "Mazarin", sellPrice: 2200, taxGroupId: null } })).json.data;
    const mazarin = { id: product.id, price: 2200, rate: null, trackStock: true };
    // The catalogue price rises after the sale was made offline.
    expect((await api("PUT", `/api/v1/products/${product.id}`, { token: s.t.adminToken, body: { sellPrice: 2900 } })).status).toBe(200);
    const sale = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 600_000, receiptNumber: receipt(), lines: [{ product: mazarin, quantity: 1000 }], withRates: false });
    const wrong = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 700_000, receiptNumber: receipt(), lines: [{ product: s.products.coffee, quantity: 1000 }] });
    const tampered = { ...wire(wrong), grandTotal: wrong.grandTotal - 100 };
    const res = await push(till.credential, [wire(sale), tampered]);
    expect(statuses(res)).toEqual(["applied", "rejected"]);
    expect(res.json.data.results[1]).toMatchObject({ code: "SALE_MISMATCH" });
    expect(res.json.data.results[1].fields).toContainEqual(expect.objectContaining({ path: "grandTotal", received: wrong.grandTotal - 100, expected: wrong.grandTotal }));
    const stored = (await api("GET", `/api/v1/sales/${sale.id}`, { token: s.t.adminToken })).json.data;
    expect({ unitPrice: stored.lines[0].unitPrice, cataloguePrice: stored.lines[0].cataloguePrice, override: stored.lines[0].priceOverride, grandTotal: stored.grandTotal, soldAt: stored.soldAt })
      .toEqual({ unitPrice: 2200, cataloguePrice: 2900, override: true, grandTotal: 2200, soldAt: sale.soldAt });
    const queued = await errorRow(res.json.data.results[1].errorId);
    expect(queued).toMatchObject({ kind: "rejected", status: "pending", code: "SALE_MISMATCH", item_type: "sale", client_id: wrong.id, store_id: s.t.storeId, device_id: till.deviceId });
    expect(JSON.parse(queued!.payload)).toEqual(tampered);
  });

  it("refuses the same id with other content (IDEMPOTENCY_MISMATCH) and applies nothing twice", async () => {
    const { till, open, t0 } = await offlineSession();
    const sale = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 60_000, receiptNumber: receipt(), lines: [{ product: s.products.bun, quantity: 1000 }] });
    expect(statuses(await push(till.credential, [wire(sale)]))).toEqual(["applied"]);
    const other = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 60_000, receiptNumber: receipt(), lines: [{ product: s.products.bun, quantity: 3000 }] });
    const cash = cashRecord({ sessionId: open.id, userId: s.cashier.id, at: t0 + 70_000, kind: "paid_in", amount: 10000 });
    const res = await push(till.credential, [{ ...wire(other), id: sale.id }, cash, { ...cash, amount: 20000 }]);
    expect(statuses(res)).toEqual(["rejected", "applied", "rejected"]);
    expect(res.json.data.results.map((r: any) => r.code ?? null)).toEqual(["IDEMPOTENCY_MISMATCH", null, "IDEMPOTENCY_MISMATCH"]);
    const rows = await env.DB.prepare("SELECT (SELECT count(*) FROM sales WHERE session_id = ?1) AS sales, (SELECT sum(amount) FROM cash_events WHERE session_id = ?1) AS cash").bind(open.id).first<{ sales: number; cash: number }>();
    expect(rows).toEqual({ sales: 1, cash: 10000 });
  });

  it("answers a malformed record alone, and bounds the batch", async () => {
    const { till, open, t0 } = await offlineSession();
    const sale = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 60_000, receiptNumber: receipt(), lines: [{ product: s.products.bun, quantity: 1000 }] });
    const res = await push(till.credential, [{ type: "sale", id: "not-a-uuid" }, { type: "teleport" }, wire(sale)]);
    expect(statuses(res)).toEqual(["rejected", "rejected", "applied"]);
    expect(res.json.data.results[0]).toMatchObject({ code: "VALIDATION_ERROR", id: "not-a-uuid" });
    expect(res.json.data.results[0].fields.map((f: any) => f.path)).toContain("id");
    const tooMany = await push(till.credential, Array.from({ length: MAX_PUSH_ITEMS + 1 }, () => ({ type: "void" })));
    expectError(tooMany, 400, "VALIDATION_ERROR");
  });

  it("refuses a sale made after its session closed, and one naming a session the store does not have", async () => {
    const { till, open, t0 } = await offlineSession();
    const close = closeRecord({ sessionId: open.id, userId: s.cashier.id, at: t0 + HOUR, counted: { CASH: 50000 } });
    const after = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 2 * HOUR, receiptNumber: receipt(), lines: [{ product: s.products.bun, quantity: 1000 }] });
    const nowhere = tillSale({ sessionId: crypto.randomUUID(), cashierId: s.cashier.id, soldAt: t0 + 60_000, receiptNumber: receipt(), lines: [{ product: s.products.bun, quantity: 1000 }] });
    expect(statuses(await push(till.credential, [close]))).toEqual(["applied"]);
    const res = await push(till.credential, [wire(after), wire(nowhere)]);
    expect(res.json.data.results.map((r: any) => r.code)).toEqual(["SESSION_CLOSED", "UNKNOWN_SESSION"]);
  });

  it("amends the Z report of a session closed offline when a sale of it arrives later, and moves the grand totals after it", async () => {
    const { till, open, t0 } = await offlineSession(8);
    const early = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 60_000, receiptNumber: receipt(), lines: [{ product: s.products.coffee, quantity: 1000 }], method: "CARD" });
    const late = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 120_000, receiptNumber: receipt(), lines: [{ product: s.products.bun, quantity: 2000 }] });
    const close = closeRecord({ sessionId: open.id, userId: s.cashier.id, at: t0 + HOUR, counted: { CASH: 50000 + late.expected.totalDue, CARD: early.expected.totalDue } });
    const next = openRecord({ userId: s.cashier.id, at: t0 + 2 * HOUR });
    const nextSale = tillSale({ sessionId: next.id, cashierId: s.cashier.id, soldAt: t0 + 2 * HOUR + 60_000, receiptNumber: receipt(), lines: [{ product: s.products.juice, quantity: 1000 }], method: "CARD" });
    const nextClose = closeRecord({ sessionId: next.id, userId: s.cashier.id, at: t0 + 3 * HOUR, counted: { CASH: 50000, CARD: nextSale.expected.totalDue } });
    // The late sale is lost on the way (a dropped connection) and comes in a later batch.
    expect(statuses(await push(till.credential, [wire(early), close, next, wire(nextSale), nextClose]))).toEqual(["applied", "applied", "applied", "applied", "applied"]);
    const zBefore = (await api("GET", `/api/v1/reports/z-report?session_id=${open.id}`, { token: s.t.adminToken })).json.data;
    expect(zBefore.net).toBe(early.expected.totalDue);
    expect(zBefore.tenderCounts.find((c: any) => c.code === "CASH").difference).toBe(late.expected.totalDue);

    const res = await push(till.credential, [wire(late)]);
    expect(statuses(res)).toEqual(["applied"]);
    expect(res.json.data.amendedZReports).toEqual([{ sessionId: open.id, zNumber: zBefore.zNumber, revision: 2, net: early.expected.totalDue + late.expected.totalDue, previousNet: early.expected.totalDue }]);
    const z = (await api("GET", `/api/v1/reports/z-report?session_id=${open.id}`, { token: s.t.adminToken })).json.data;
    expect({ zNumber: z.zNumber, revision: z.revision, net: z.net, sales: z.sales.count, grandTotal: z.grandTotal, cashDifference: z.tenderCounts.find((c: any) => c.code === "CASH").difference })
      .toEqual({ zNumber: zBefore.zNumber, revision: 2, net: early.expected.totalDue + late.expected.totalDue, sales: 2, grandTotal: zBefore.grandTotal + late.expected.totalDue, cashDifference: 0 });
    const kept = await env.DB.prepare("SELECT revision, report FROM z_report_revisions WHERE session_id = ?").bind(open.id).all<{ revision: number; report: string }>();
    expect(kept.results.map((r) => [r.revision, JSON.parse(r.report).net])).toEqual([[1, early.expected.totalDue]]);
    const z2 = (await api("GET", `/api/v1/reports/z-report?session_id=${next.id}`, { token: s.t.adminToken })).json.data;
    expect({ zNumber: z2.zNumber, previous: z2.previousGrandTotal, grandTotal: z2.grandTotal }).toEqual({ zNumber: zBefore.zNumber + 1, previous: z.grandTotal, grandTotal: z.grandTotal + nextSale.expected.totalDue });
    // The late sale pushed again amends nothing more, even with a tender renamed since (names are not figures).
    const card = (await api("GET", "/api/v1/tenders?pageSize=200", { token: s.t.adminToken })).json.data.find((x: any) => x.code === "CARD");
    expect((await api("PUT", `/api/v1/tenders/${card.id}`, { token: s.t.adminToken, body: { name: "Bankkort" } })).status).toBe(200);
    const again = await push(till.credential, [wire(late)]);
    expect({ statuses: statuses(again), amended: again.json.data.amendedZReports }).toEqual({ statuses: ["duplicate"], amended: [] });
    // The register's next close continues the sequence and the grand total.
    const third = openRecord({ userId: s.cashier.id, at: t0 + 4 * HOUR });
    const thirdClose = closeRecord({ sessionId: third.id, userId: s.cashier.id, at: t0 + 5 * HOUR, counted: { CASH: 50000 } });
    expect(statuses(await push(till.credential, [third, thirdClose]))).toEqual(["applied", "applied"]);
    const z3 = (await api("GET", `/api/v1/reports/z-report?session_id=${third.id}`, { token: s.t.adminToken })).json.data;
    expect({ zNumber: z3.zNumber, previous: z3.previousGrandTotal }).toEqual({ zNumber: zBefore.zNumber + 2, previous: z2.grandTotal });
  });

  it("takes a return and a void of sales pushed in the same batch, and refuses a return beyond what was sold", async () => {
    const { till, open, t0 } = await offlineSession();
    const before = await levelOf(s.t.storeId, s.products.coffee.id);
    const sold = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 60_000, receiptNumber: receipt(), lines: [{ product: s.products.coffee, quantity: 3000 }] });
    const ret = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 120_000, receiptNumber: receipt(), originalSaleId: sold.id, lines: [{ product: s.products.coffee, quantity: -1000, originalLineId: sold.items[0]!.id }] });
    const tooMuch = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 130_000, receiptNumber: receipt(), originalSaleId: sold.id, lines: [{ product: s.products.coffee, quantity: -3000, originalLineId: sold.items[0]!.id }] });
    const other = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 140_000, receiptNumber: receipt(), lines: [{ product: s.products.coffee, quantity: 5000 }] });
    const voided = voidRecord({ saleId: other.id, userId: s.cashier.id, at: t0 + 150_000 });
    const voidWithReturns = voidRecord({ saleId: sold.id, userId: s.cashier.id, at: t0 + 160_000 });
    // The return and the void come before the sales they name.
    const res = await push(till.credential, [wire(ret), voided, wire(tooMuch), wire(sold), wire(other), voidWithReturns]);
    expect(res.json.data.results.map((r: any) => r.code ?? r.status)).toEqual(["applied", "applied", "INVALID_RETURN", "applied", "applied", "SALE_HAS_RETURNS"]);
    expect(await levelOf(s.t.storeId, s.products.coffee.id)).toBe(before - 3000 + 1000);
  });

  it("accepts a sale whose cashier was deactivated since, and flags it; refuses a cashier without pos.sell", async () => {
    const { till, open, t0 } = await offlineSession();
    const leaver = await userWith(s.t, ["pos.sell"]);
    const seller = await userWith(s.t, ["products.view"]);
    expect((await api("PUT", `/api/v1/users/${leaver.id}`, { token: s.t.adminToken, body: { isActive: false } })).status).toBe(200);
    const byLeaver = tillSale({ sessionId: open.id, cashierId: leaver.id, soldAt: t0 + 60_000, receiptNumber: receipt(), lines: [{ product: s.products.bun, quantity: 1000 }] });
    const bySeller = tillSale({ sessionId: open.id, cashierId: seller.id, soldAt: t0 + 70_000, receiptNumber: receipt(), lines: [{ product: s.products.bun, quantity: 1000 }] });
    const nobody = tillSale({ sessionId: open.id, cashierId: crypto.randomUUID(), soldAt: t0 + 80_000, receiptNumber: receipt(), lines: [{ product: s.products.bun, quantity: 1000 }] });
    const res = await push(till.credential, [wire(byLeaver), wire(bySeller), wire(nobody)]);
    expect(res.json.data.results.map((r: any) => [r.status, r.code ?? null, r.flags ?? null])).toEqual([
      ["applied", null, ["CASHIER_INACTIVE"]], ["rejected", "MISSING_PERMISSION_IN_STORE", null], ["rejected", "UNKNOWN_USER", null],
    ]);
    expect(await errorRow(res.json.data.results[0].errorId)).toMatchObject({ kind: "flagged", status: "pending", code: "CASHIER_INACTIVE", client_id: byLeaver.id });
  });

  it("queues what it refuses; a retry applies it once it can be, and the entry is resolved", async () => {
    const till = await enrolTill(s.t);
    const t0 = Date.now() - 2 * HOUR;
    const open = openRecord({ userId: s.cashier.id, at: t0 });
    const sale = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 60_000, receiptNumber: receipt(), lines: [{ product: s.products.bun, quantity: 1000 }] });
    // The sale arrives before its session's open (which was lost): refused, queued.
    const first = await push(till.credential, [wire(sale)]);
    expect(first.json.data.results[0]).toMatchObject({ status: "rejected", code: "UNKNOWN_SESSION" });
    const errorId = first.json.data.results[0].errorId as string;
    const second = await push(till.credential, [wire(sale)]);
    expect(second.json.data.results[0].errorId).toBe(errorId);
    expect((await errorRow(errorId))!.attempts).toBe(2);

    const list = await api("GET", `/api/v1/sync/errors?store_id=${s.t.storeId}&status=pending&kind=rejected`, { token: s.t.adminToken });
    expect(list.json.data.map((e: any) => e.id)).toContain(errorId);
    const early = await api("POST", `/api/v1/sync/retry/${errorId}`, { token: s.t.adminToken });
    expect(early.status).toBe(200);
    expect({ status: early.json.data.error.status, result: early.json.data.result.code }).toEqual({ status: "pending", result: "UNKNOWN_SESSION" });
    expect(statuses(await push(till.credential, [open]))).toEqual(["applied"]);
    const retried = await api("POST", `/api/v1/sync/retry/${errorId}`, { token: s.t.adminToken });
    expect({ status: retried.json.data.error.status, resolution: retried.json.data.error.resolution, result: retried.json.data.result.status })
      .toEqual({ status: "resolved", resolution: "applied", result: "applied" });
    const stored = await api("GET", `/api/v1/sales/${sale.id}`, { token: s.t.adminToken });
    expect(stored.json.data.registerId).toBe(till.registerId);
    expectError(await api("POST", `/api/v1/sync/retry/${errorId}`, { token: s.t.adminToken }), 409, "ALREADY_RESOLVED");
  });

  it("resolves an entry by hand with a note, and retries all of a store's pending entries", async () => {
    const till = await enrolTill(s.t);
    const t0 = Date.now() - HOUR;
    const open = openRecord({ userId: s.cashier.id, at: t0 });
    const sales = [1, 2, 3].map((k) => tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + k * 60_000, receiptNumber: receipt(), lines: [{ product: s.products.bun, quantity: 1000 }] }));
    const res = await push(till.credential, sales.map(wire));
    const ids = res.json.data.results.map((r: any) => r.errorId as string);
    const resolved = await api("POST", `/api/v1/sync/resolve/${ids[0]}`, { token: s.t.adminToken, body: { note: "Entered by hand" } });
    expect(resolved.json.data).toMatchObject({ status: "resolved", resolution: "manual", note: "Entered by hand" });
    expectError(await api("POST", `/api/v1/sync/resolve/${ids[0]}`, { token: s.t.adminToken, body: { note: "Again" } }), 409, "ALREADY_RESOLVED");
    expect(statuses(await push(till.credential, [open]))).toEqual(["applied"]);
    const all = await api("POST", "/api/v1/sync/retry-all", { token: s.t.adminToken, body: { storeId: s.t.storeId } });
    expect(all.status, JSON.stringify(all.json)).toBe(200);
    const mine = all.json.data.results.filter((r: any) => ids.includes(r.error.id));
    expect(mine.map((r: any) => [r.error.id, r.result.status, r.error.status]).sort()).toEqual([[ids[1], "applied", "resolved"], [ids[2], "applied", "resolved"]].sort());
  });

  it("costs one read for the batch and one write per sale", async () => {
    const { till, open, t0 } = await offlineSession();
    const sales = Array.from({ length: 10 }, (_, k) => tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + k * 1000, receiptNumber: receipt(), lines: [{ product: s.products.coffee, quantity: 1000 }, { product: s.products.bun, quantity: 2000 }] }));
    const res = await push(till.credential, sales.map(wire));
    expect(res.json.data.applied).toBe(10);
    // The device's credential (1), the push's read (1), one batch per sale (10), the error queue and last push (1).
    expect(d1Count(res)).toBe(13);
    const again = await push(till.credential, sales.map(wire));
    expect(again.json.data.duplicate).toBe(10);
    expect(d1Count(again)).toBe(3);
  });

  it("is for the store's devices: a back-office token, a bridge and a revoked till are refused", async () => {
    const noAuth = await api("POST", "/api/v1/sync/push", { body: { items: [{ type: "void" }] } });
    expectError(noAuth, 401, "UNAUTHENTICATED");
    expectError(await api("POST", "/api/v1/sync/push", { token: s.t.adminToken, body: { items: [{ type: "void" }] } }), 403, "SYNC_NEEDS_DEVICE");
    const bridge = await api("POST", `/api/v1/stores/${s.t.storeId}/devices`, { token: s.t.adminToken, body: { kind: "bridge", name: "Bridge" } });
    const paired = await api("POST", "/api/v1/devices/pair", { body: { code: bridge.json.data.pairing.code } });
    expectError(await push(paired.json.data.credential, [{ type: "void" }]), 403, "DEVICE_KIND_CANNOT_SYNC");
    const till = await enrolTill(s.t);
    expect((await api("POST", `/api/v1/devices/${till.deviceId}/revoke`, { token: s.t.adminToken })).status).toBe(200);
    expect((await push(till.credential, [openRecord({ userId: s.cashier.id, at: Date.now() })])).status).toBe(401);
  });

  it("a store device names the register of each open; the status and the dashboard show the pushes", async () => {
    const created = await api("POST", `/api/v1/stores/${s.t.storeId}/devices`, { token: s.t.adminToken, body: { kind: "store", name: "Store server" } });
    const server = (await api("POST", "/api/v1/devices/pair", { body: { code: created.json.data.pairing.code } })).json.data.credential as string;
    const till = await enrolTill(s.t);
    const t0 = Date.now() - HOUR;
    const unnamed = openRecord({ userId: s.cashier.id, at: t0 });
    const named = openRecord({ userId: s.cashier.id, at: t0, registerId: till.registerId });
    const res = await push(server, [unnamed, named]);
    expect(res.json.data.results.map((r: any) => r.code ?? r.status)).toEqual(["VALIDATION_ERROR", "applied"]);

    const status = await api("GET", "/api/v1/sync/status", { headers: { "X-Device-Credential": server } });
    expect(status.status).toBe(200);
    expect(status.json.data.device.lastPushAt).not.toBeNull();
    expect(status.json.data.device.online).toBe(true);
    expect(status.json.data.errors.map((e: any) => e.clientId)).toEqual([unnamed.id]);
    expect(status.json.data.pendingErrors).toBeGreaterThanOrEqual(1);

    const dashboard = await api("GET", "/api/v1/sync/dashboard", { token: s.t.adminToken });
    const store = dashboard.json.data.stores.find((x: any) => x.storeId === s.t.storeId);
    expect(store).toMatchObject({ online: true, pendingErrors: status.json.data.pendingErrors });
    expect(store.lastPushAt).toBe(status.json.data.device.lastPushAt);
    // A store no device has been in touch with for 15 minutes is offline.
    const quiet = await api("POST", "/api/v1/stores", { token: s.t.adminToken, body: { code: `Q${crypto.randomUUID().slice(0, 4)}`, name: "Quiet", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true } });
    const quietTill = await enrolTill(s.t, { storeId: quiet.json.data.id });
    await env.DB.prepare("UPDATE devices SET last_seen_at = ?, last_push_at = ? WHERE id = ?").bind(Date.now() - 16 * 60_000, Date.now() - 16 * 60_000, quietTill.deviceId).run();
    const later = await api("GET", "/api/v1/sync/dashboard", { token: s.t.adminToken });
    expect(later.json.data.stores.find((x: any) => x.storeId === quiet.json.data.id)).toMatchObject({ online: false, pendingErrors: 0 });
  });

  it("books stock adjustments made offline once, and refuses products that do not track stock", async () => {
    const till = await enrolTill(s.t);
    const before = await levelOf(s.t.storeId, s.products.bun.id);
    const adjustment = { type: "adjustment", id: crypto.randomUUID(), reason: "damage", note: "Tappade brickan", lines: [{ productId: s.products.bun.id, quantity: -4000 }], userId: s.cashier.id, at: new Date(Date.now() - HOUR).toISOString() };
    const untracked = { ...adjustment, id: crypto.randomUUID(), lines: [{ productId: s.products.card.id, quantity: 1000 }] };
    const res = await push(till.credential, [adjustment, untracked, adjustment]);
    expect(res.json.data.results.map((r: any) => r.code ?? r.status)).toEqual(["applied", "UNKNOWN_REFERENCE", "duplicate"]);
    expect(await levelOf(s.t.storeId, s.products.bun.id)).toBe(before - 4000);
    const moves = await env.DB.prepare("SELECT kind, quantity, reason FROM stock_movements WHERE reference_id = ?").bind(adjustment.id).all();
    expect(moves.results).toEqual([{ kind: "adjustment", quantity: -4000, reason: "damage" }]);
  });

  it("takes a void made before an offline close that arrived first, amending the Z report; a void made after it is refused", async () => {
    const { till, open, t0 } = await offlineSession(6);
    const a = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 60_000, receiptNumber: receipt(), lines: [{ product: s.products.juice, quantity: 1000 }], method: "CARD" });
    const b = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 120_000, receiptNumber: receipt(), lines: [{ product: s.products.juice, quantity: 2000 }], method: "CARD" });
    const close = closeRecord({ sessionId: open.id, userId: s.cashier.id, at: t0 + HOUR, counted: { CASH: 50000, CARD: a.expected.totalDue } });
    expect(statuses(await push(till.credential, [wire(a), wire(b), close]))).toEqual(["applied", "applied", "applied"]);
    const voidB = voidRecord({ saleId: b.id, userId: s.cashier.id, at: t0 + 200_000 });
    const voidA = voidRecord({ saleId: a.id, userId: s.cashier.id, at: t0 + 2 * HOUR });
    const res = await push(till.credential, [voidB, voidA]);
    expect(res.json.data.results.map((r: any) => r.code ?? r.status)).toEqual(["applied", "SESSION_CLOSED"]);
    expect(res.json.data.amendedZReports).toHaveLength(1);
    const z = (await api("GET", `/api/v1/reports/z-report?session_id=${open.id}`, { token: s.t.adminToken })).json.data;
    expect({ net: z.net, voids: z.voids, card: z.tenderCounts.find((c: any) => c.code === "CARD").difference })
      .toEqual({ net: a.expected.totalDue, voids: { count: 1, amount: b.expected.totalDue }, card: 0 });
    const sale = (await api("GET", `/api/v1/sales/${b.id}`, { token: s.t.adminToken })).json.data;
    expect({ status: sale.status, voidedAt: sale.voidedAt, voidedBy: sale.voidedBy }).toEqual({ status: "voided", voidedAt: voidB.at, voidedBy: s.cashier.id });
  });

  it("reaches nothing of another tenant, and shows another tenant nothing of its queue", async () => {
    const other = await createTenant();
    const otherTill = await enrolTill(other);
    const otherOpen = openRecord({ userId: other.adminId, at: Date.now() - HOUR });
    expect(statuses(await push(otherTill.credential, [otherOpen]))).toEqual(["applied"]);
    const till = await enrolTill(s.t);
    const intoOther = tillSale({ sessionId: otherOpen.id, cashierId: s.cashier.id, soldAt: Date.now() - 30 * 60_000, receiptNumber: receipt(), lines: [{ product: s.products.bun, quantity: 1000 }] });
    const otherCashier = openRecord({ userId: other.adminId, at: Date.now() - HOUR });
    const res = await push(till.credential, [wire(intoOther), otherCashier]);
    expect(res.json.data.results.map((r: any) => r.code)).toEqual(["UNKNOWN_SESSION", "UNKNOWN_USER"]);
    const theirs = await api("GET", "/api/v1/sync/errors?pageSize=200", { token: other.adminToken });
    expect(theirs.json.data.map((e: any) => e.clientId)).not.toContain(intoOther.id);
    expect(theirs.json.total).toBe(0);
  });

  it("recomputes a sale with the tax rate the till charged, and flags a rate the edge no longer has", async () => {
    const { till, open, t0 } = await offlineSession();
    // The till's last pull had coffee at 24 %; the edge's rate is 25 % now.
    const oldRate = { ...s.products.coffee, rate: { id: s.products.coffee.rate!.id, millionths: 240_000 } };
    const sale = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 60_000, receiptNumber: receipt(), lines: [{ product: oldRate, quantity: 1000 }] });
    const res = await push(till.credential, [wire(sale)]);
    expect(res.json.data.results[0]).toMatchObject({ status: "applied", flags: ["TAX_RATE_CHANGED"] });
    const stored = (await api("GET", `/api/v1/sales/${sale.id}`, { token: s.t.adminToken })).json.data;
    expect({ tax: stored.taxTotal, rate: stored.lines[0].taxes[0].rateMillionths }).toEqual({ tax: sale.taxTotal, rate: 240_000 });
    expect(sale.taxTotal).not.toBe(tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0, receiptNumber: "", lines: [{ product: s.products.coffee, quantity: 1000 }] }).taxTotal);
  });
});

