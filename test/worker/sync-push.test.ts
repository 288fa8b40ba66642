import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "./helpers";
import { closeRecord, levelOf, openRecord, push, pushShop, tillSale, wire, type PushShop } from "./sync-push-fixtures";

describe("POST /api/v1/sync/push", () => {
  let s: PushShop;
  beforeAll(async () => {
    s = await pushShop();
  });

  it("applies a session opened offline, its sales and its close, and answers each record", async () => {
    const t0 = Date.now() - 3 * 3600_000;
    const open = openRecord({ userId: s.cashier.id, at: t0 });
    const sale = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 60_000, receiptNumber: `T-${crypto.randomUUID().slice(0, 6)}`, lines: [{ product: s.products.coffee, quantity: 2000 }] });
    const close = closeRecord({ sessionId: open.id, userId: s.cashier.id, at: t0 + 3600_000, counted: { CASH: 50000 + sale.expected.totalDue } });
    // Sent in the wrong order: the close first, the open last.
    const res = await push(s.till.credential, [close, wire(sale), open]);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.data.results.map((r: any) => [r.index, r.type, r.status])).toEqual([[0, "session_close", "applied"], [1, "sale", "applied"], [2, "session_open", "applied"]]);
    const z = await api("GET", `/api/v1/reports/z-report?session_id=${open.id}`, { token: s.t.adminToken });
    expect(z.status).toBe(200);
    expect(z.json.data.net).toBe(sale.expected.totalDue);
    expect(await levelOf(s.t.storeId, s.products.coffee.id)).toBe(-2000);
    const again = await push(s.till.credential, [close, wire(sale), open]);
    expect(again.json.data.results.map((r: any) => r.status)).toEqual(["duplicate", "duplicate", "duplicate"]);
    expect(await levelOf(s.t.storeId, s.products.coffee.id)).toBe(-2000);
  });
});
