import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { openRecord, push, pushShop, tillSale, wire } from "./sync-push-fixtures";

/** Pushes under attack: the same push twenty times at once (a till retrying over a flaky line), and a full push of big sales. */
describe("twenty copies of one push at once", () => {
  it("applies each record once; every other copy answers duplicate; the sale and its stock are counted once", async () => {
    const s = await pushShop();
    const t0 = Date.now() - 3_600_000;
    const open = openRecord({ userId: s.cashier.id, at: t0 });
    const sale = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 60_000, receiptNumber: `T-${crypto.randomUUID().slice(0, 8)}`, lines: [{ product: s.products.coffee, quantity: 2000 }] });
    const answers = await Promise.all(Array.from({ length: 20 }, () => push(s.till.credential, [open, wire(sale)])));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    const statuses = answers.map((a) => a.json.data.results.map((r: any) => r.status).join(","));
    expect(statuses.filter((x) => x === "applied,applied")).toHaveLength(1);
    expect(statuses.filter((x) => x === "duplicate,duplicate")).toHaveLength(19);
    const count = await env.DB.prepare("SELECT count(*) AS n FROM sales WHERE id = ?").bind(sale.id).first<{ n: number }>();
    expect(count!.n).toBe(1);
    const moved = await env.DB.prepare("SELECT sum(quantity) AS q FROM stock_movements WHERE reference_id = ?").bind(sale.id).first<{ q: number }>();
    expect(moved!.q).toBe(-2000);
    const queued = await env.DB.prepare("SELECT count(*) AS n FROM sync_errors WHERE store_id = ?").bind(s.t.storeId).first<{ n: number }>();
    expect(queued!.n).toBe(0);
  });

  it("applies a full push of big sales (25 records, 24 sales of 40 lines each) with no error", async () => {
    const s = await pushShop();
    const t0 = Date.now() - 3_600_000;
    const open = openRecord({ userId: s.cashier.id, at: t0 });
    const products = [s.products.coffee, s.products.bun, s.products.juice, s.products.card];
    const sales = Array.from({ length: 24 }, (_, i) => tillSale({
      sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + (i + 1) * 60_000, receiptNumber: `T-${crypto.randomUUID().slice(0, 8)}`,
      lines: Array.from({ length: 40 }, (_, k) => ({ product: products[k % products.length]!, quantity: 1000 })),
    }));
    const res = await push(s.till.credential, [open, ...sales.map(wire)]);
    expect(res.status, JSON.stringify(res.json).slice(0, 400)).toBe(200);
    expect(res.json.data.results.map((r: any) => r.status)).toEqual(Array(25).fill("applied"));
    const lines = await env.DB.prepare("SELECT count(*) AS n FROM sale_lines WHERE sale_id IN (SELECT id FROM sales WHERE session_id = ?)").bind(open.id).first<{ n: number }>();
    expect(lines!.n).toBe(24 * 40);
  });
});
