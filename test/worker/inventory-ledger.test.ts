import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { Adjustment, InventoryLevel } from "../../schema/contracts/inventory";
import { commit } from "../../worker/db/batch";
import { createDb } from "../../worker/db/client";
import { TenantScope } from "../../worker/db/tenant-scope";
import type { ServiceContext } from "../../worker/domain/context";
import { adjustStock } from "../../worker/domain/inventory";
import { recomputeLevels, stockStatements } from "../../worker/domain/stock";
import { client } from "./catalogue-fixtures";
import { saleFromQuote, sell as sellAtTill, shop } from "./checkout-fixtures";
import { api, createStore, createTenant, d1Count, journalCounts, type TestTenant } from "./helpers";

/**
 * The ledger is the truth: whatever order adjustments, counts and sales commit in, and however many retries of
 * one adjustment arrive at once, every level is the sum of its movements.
 */

let t: TestTenant;
let as: ReturnType<typeof client>;
let scope: TenantScope;
let s2: string;
beforeAll(async () => {
  t = await createTenant();
  as = client(t.adminToken);
  scope = new TenantScope(createDb(env.DB), t.tenantId);
  s2 = (await createStore(t, "S002")).id;
});

async function products(n: number) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await as.post("/products", { sku: `LED-${crypto.randomUUID().slice(0, 8)}`, name: `Ledger ${i}`, sellPrice: 500 });
    ids.push(res.json.data.id);
  }
  return ids;
}
const adjust = (body: Record<string, unknown>, headers?: Record<string, string>) => as.post("/inventory/adjustments", { reason: "other", ...body }, headers);
const movementsOfReference = async (referenceId: string) =>
  (await env.DB.prepare("SELECT product_id, kind, quantity FROM stock_movements WHERE reference_id = ? ORDER BY rowid").bind(referenceId).all()).results;

/** A small seeded generator (mulberry32), so that a failing run can be told by its seed. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return { next, int, pick: <T>(items: readonly T[]) => items[int(0, items.length - 1)]! };
}

/** The admin's service context for calling the domain directly, over `db` (the test's plain one unless given). */
const adminContext = (db = scope.db): ServiceContext => ({
  scope: new TenantScope(db, t.tenantId),
  actor: { tenantId: t.tenantId, userId: t.adminId, storeId: t.storeId, permissions: new Set(), sessionId: crypto.randomUUID(), deviceId: null },
  request: { ip: "10.0.0.1", requestId: crypto.randomUUID(), now: Date.now() },
});

/**
 * A database whose first batch (a write's read) runs `between` after it returns: what another request commits
 * between this one's read and its write.
 */
function interruptedAfterRead(between: () => Promise<unknown>) {
  const db = createDb(env.DB);
  const batch = db.batch.bind(db);
  let reads = 0;
  (db as { batch: unknown }).batch = async (statements: Parameters<typeof batch>[0]) => {
    const results = await batch(statements);
    if (reads++ === 0) await between();
    return results;
  };
  return db;
}

/** A sale's stock movements as the sales code writes them (stockStatements, its own batch). */
const sell = (storeId: string, changes: { productId: string; quantity: number }[]) =>
  commit(scope.db, stockStatements(scope, { storeId, kind: "sale", referenceId: crypto.randomUUID(), userId: t.adminId, at: Date.now(), changes }));

describe("the stock ledger", () => {
  it("after many random adjustments, counts and sales, every level is the sum of its movements, as a model of them says", async () => {
    const seed = Date.now() % 1_000_000;
    const rand = generator(seed);
    const ids = await products(6);
    const stores = [t.storeId, s2];
    const model = new Map<string, number>();
    const at = (storeId: string, productId: string) => `${storeId}:${productId}`;
    for (let round = 0; round < 40; round++) {
      const storeId = rand.pick(stores);
      const chosen = ids.filter(() => rand.next() < 0.5);
      if (chosen.length === 0) chosen.push(rand.pick(ids));
      if (round % 5 === 4) {
        const changes = chosen.map((productId) => ({ productId, quantity: -rand.int(1, 4_000) }));
        await sell(storeId, changes);
        for (const c of changes) model.set(at(storeId, c.productId), (model.get(at(storeId, c.productId)) ?? 0) + c.quantity);
        continue;
      }
      const lines = chosen.map((productId) =>
        rand.next() < 0.3 ? { productId, countedQuantity: rand.int(0, 20_000) } : { productId, quantity: (rand.next() < 0.5 ? -1 : 1) * rand.int(1, 9_000) });
      const res = await adjust({ storeId, reason: rand.pick(["damage", "theft", "count", "received", "other"]), lines });
      expect(res.status, `seed ${seed}: ${JSON.stringify(res.json)}`).toBe(201);
      for (const l of lines) {
        const key = at(storeId, l.productId);
        model.set(key, "countedQuantity" in l ? l.countedQuantity! : (model.get(key) ?? 0) + l.quantity!);
      }
    }

    for (const storeId of stores) {
      const recomputed = await recomputeLevels(scope, storeId);
      for (const r of recomputed) expect(r.level, `seed ${seed}: ${storeId}:${r.productId}`).toBe(r.ledger);
      const listed = (await as.get(`/inventory?store_id=${storeId}&pageSize=200`)).json.data as InventoryLevel[];
      for (const productId of ids) {
        const expected = model.get(at(storeId, productId)) ?? 0;
        expect(listed.find((l) => l.productId === productId)?.quantity, `seed ${seed}: ${storeId}:${productId}`).toBe(expected);
        expect(recomputed.find((r) => r.productId === productId)?.ledger ?? 0, `seed ${seed}`).toBe(expected);
      }
    }
    // Negative levels (sold beyond what was booked in) are kept, not clamped, and are low on stock.
    const negative = [...model.entries()].filter(([, q]) => q < 0);
    const low = (await as.get("/inventory?low_stock=true&pageSize=200")).json.data as InventoryLevel[];
    for (const [key, q] of negative) expect(low.find((l) => at(l.storeId, l.productId) === key)?.quantity).toBe(q);
  });

  it("recomputeLevels tells a level written without its movement", async () => {
    const [p] = (await products(1)) as [string];
    await adjust({ lines: [{ productId: p, quantity: 3_000 }] });
    expect((await recomputeLevels(scope, t.storeId)).find((r) => r.productId === p)).toEqual({ productId: p, level: 3_000, ledger: 3_000 });
    await env.DB.prepare("UPDATE inventory_levels SET quantity = quantity + 1 WHERE store_id = ? AND product_id = ?").bind(t.storeId, p).run();
    expect((await recomputeLevels(scope, t.storeId)).find((r) => r.productId === p)).toEqual({ productId: p, level: 3_001, ledger: 3_000 });
  });

  it("a count's movement is taken against the level as its batch finds it, so a sale committed after its read is kept in the ledger", async () => {
    const [p] = (await products(1)) as [string];
    await adjust({ lines: [{ productId: p, quantity: 8_000 }] });
    // The count's read batch returns, then a sale commits, then the count writes.
    const db = interruptedAfterRead(() => sell(t.storeId, [{ productId: p, quantity: -300 }]));
    const ctx = adminContext(db);
    const counted = await adjustStock(ctx, { reason: "count", note: null, lines: [{ productId: p, countedQuantity: 5_000 }] }, undefined);
    expect(counted.lines[0]).toMatchObject({ kind: "count", quantity: 5_000 - 7_700, level: { quantity: 5_000 } });
    expect((await env.DB.prepare("SELECT kind, quantity FROM stock_movements WHERE product_id = ? ORDER BY rowid").bind(p).all()).results).toEqual([
      { kind: "adjustment", quantity: 8_000 },
      { kind: "sale", quantity: -300 },
      { kind: "count", quantity: -2_700 },
    ]);
    expect((await recomputeLevels(scope, t.storeId)).find((r) => r.productId === p)).toEqual({ productId: p, level: 5_000, ledger: 5_000 });
  });

  it("a product that stops tracking stock between the read and the write stops the whole adjustment (422, nothing written)", async () => {
    const [p, q] = (await products(2)) as [string, string];
    const db = interruptedAfterRead(() => env.DB.prepare("UPDATE products SET track_stock = 0 WHERE id = ?").bind(q).run());
    const ctx = adminContext(db);
    const before = await journalCounts(t.tenantId);
    const refused = await adjustStock(ctx, { reason: "received", note: null, lines: [{ productId: p, quantity: 1_000 }, { productId: q, quantity: 1_000 }] }, undefined).catch((e: unknown) => e);
    expect(refused).toMatchObject({ kind: "business_rule", code: "PRODUCT_NOT_TRACKED", details: { fields: [{ path: "lines.1.productId" }] } });
    expect(await journalCounts(t.tenantId)).toEqual(before);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM stock_movements WHERE product_id IN (?, ?)").bind(p, q).first<{ n: number }>())!.n).toBe(0);
  });

  it("counts racing changes and sales: each count sets the level it found, and the ledger still sums to the level", async () => {
    const [p, q] = (await products(2)) as [string, string];
    await adjust({ lines: [{ productId: p, quantity: 10_000 }, { productId: q, quantity: 10_000 }] });
    const counts = [1_000, 2_000, 3_000, 4_000, 5_000];
    const answers = await Promise.all([
      ...counts.map((c) => adjust({ reason: "count", lines: [{ productId: p, countedQuantity: c }, { productId: q, countedQuantity: c }] })),
      ...Array.from({ length: 8 }, () => adjust({ reason: "damage", lines: [{ productId: p, quantity: -100 }, { productId: q, quantity: -100 }] })),
      ...Array.from({ length: 4 }, () => sell(t.storeId, [{ productId: p, quantity: -10 }, { productId: q, quantity: -10 }]).then(() => null)),
    ]);
    const made = answers.filter((a) => a !== null);
    expect(made.every((a) => a.status === 201)).toBe(true);
    const countedBy = new Map<string, number>();
    for (const a of made) {
      const data = a.json.data as Adjustment;
      if (data.lines[0]!.countedQuantity !== null) {
        countedBy.set(data.id, data.lines[0]!.countedQuantity);
        for (const line of data.lines) expect(line.level.quantity).toBe(line.countedQuantity);
      }
    }
    // Replayed in commit order (rowid), the level after each count is what that count found.
    for (const productId of [p, q]) {
      const moves = (await env.DB.prepare("SELECT kind, quantity, reference_id FROM stock_movements WHERE product_id = ? ORDER BY rowid").bind(productId).all<{ kind: string; quantity: number; reference_id: string }>()).results;
      expect(moves.filter((m) => m.kind === "count")).toHaveLength(5);
      let level = 0;
      for (const m of moves) {
        level += m.quantity;
        if (m.kind === "count") expect(level).toBe(countedBy.get(m.reference_id));
      }
      const row = await env.DB.prepare("SELECT quantity FROM inventory_levels WHERE store_id = ? AND product_id = ?").bind(t.storeId, productId).first<{ quantity: number }>();
      expect(row!.quantity).toBe(level);
    }
    for (const r of await recomputeLevels(scope, t.storeId)) if (r.productId === p || r.productId === q) expect(r.level).toBe(r.ledger);
  });
});

describe("Idempotency-Key on adjustments", () => {
  it("twenty identical adjustments at once write one set of movements and all answer the first answer", async () => {
    const [p, q] = (await products(2)) as [string, string];
    await adjust({ lines: [{ productId: q, quantity: 4_000 }] });
    const key = crypto.randomUUID();
    const body = { reason: "received", note: "Pallet 7", lines: [{ productId: p, quantity: 6_000 }, { productId: q, countedQuantity: 1_000 }] };
    const before = await journalCounts(t.tenantId);
    const answers = await Promise.all(Array.from({ length: 20 }, () => adjust(body, { "Idempotency-Key": key })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    const first = answers[0]!.json.data as Adjustment;
    for (const a of answers) expect(a.json.data).toEqual(first);
    expect(first.lines.map((l) => [l.kind, l.quantity, l.level.quantity])).toEqual([["adjustment", 6_000, 6_000], ["count", -3_000, 1_000]]);
    expect(await movementsOfReference(first.id)).toEqual([
      { product_id: p, kind: "adjustment", quantity: 6_000 },
      { product_id: q, kind: "count", quantity: -3_000 },
    ]);
    const adjustments = await env.DB.prepare("SELECT count(DISTINCT reference_id) AS n FROM stock_movements WHERE product_id = ?").bind(p).first<{ n: number }>();
    expect(adjustments!.n).toBe(1);
    // one feed row per level and one audit row, for the one adjustment written
    expect(await journalCounts(t.tenantId)).toEqual({ feed: before.feed + 2, audit: before.audit + 1 });

    // A later retry: one round trip, the same answer, nothing written; the store named or left to default is the same request.
    const retry = await adjust({ ...body, storeId: t.storeId }, { "Idempotency-Key": key });
    expect(retry.status).toBe(201);
    expect(d1Count(retry)).toBe(1);
    expect(retry.json.data).toEqual(first);
    expect(await journalCounts(t.tenantId)).toEqual({ feed: before.feed + 2, audit: before.audit + 1 });
  });

  it("a retry that raced the first (both read before either wrote) loses on the key and answers the first's answer", async () => {
    const [p] = (await products(1)) as [string];
    const ctx = adminContext();
    const body = { reason: "received" as const, note: null, lines: [{ productId: p, quantity: 2_000 }] };
    const key = crypto.randomUUID();
    // Started together, both read (and find no record) before either writes: the second write fails on the key.
    const [one, two] = await Promise.all([adjustStock(ctx, body, key), adjustStock(ctx, body, key)]);
    expect(two).toEqual(one);
    expect(await movementsOfReference(one.id)).toEqual([{ product_id: p, kind: "adjustment", quantity: 2_000 }]);
    const other = await adjustStock(ctx, { ...body, lines: [{ productId: p, quantity: 1 }] }, key).catch((e: unknown) => e);
    expect(other).toMatchObject({ kind: "business_rule", code: "IDEMPOTENCY_MISMATCH" });
  });

  it("refuses the key for another request (422) and a malformed key (400); without a key every request is new", async () => {
    const [p] = (await products(1)) as [string];
    const key = `adj-${crypto.randomUUID()}`;
    const body = { lines: [{ productId: p, quantity: 1_000 }] };
    expect((await adjust(body, { "Idempotency-Key": key })).status).toBe(201);
    const before = await journalCounts(t.tenantId);
    for (const other of [{ lines: [{ productId: p, quantity: 2_000 }] }, { ...body, storeId: s2 }, { ...body, reason: "damage" }]) {
      const res = await adjust(other, { "Idempotency-Key": key });
      expect(res.status).toBe(422);
      expect(res.json).toMatchObject({ code: "IDEMPOTENCY_MISMATCH" });
    }
    for (const bad of ["", "has space", "x".repeat(201), "tab\there"]) {
      const res = await adjust(body, { "Idempotency-Key": bad });
      expect(res.status, bad).toBe(400);
      expect(res.json).toMatchObject({ code: "INVALID_IDEMPOTENCY_KEY" });
    }
    expect(await journalCounts(t.tenantId)).toEqual(before);
    const again = await adjust(body);
    const andAgain = await adjust(body);
    expect(again.json.data.id).not.toBe(andAgain.json.data.id);
    expect(andAgain.json.data.lines[0].level.quantity).toBe(3_000);
  });
});

describe("sales and adjustments share the ledger", () => {
  it("a till sells below zero (it never blocks a sale), the level shows it as low on stock, and a count sets it right", async () => {
    const s = await shop();
    const admin = client(s.t.adminToken);
    const { coffee, untracked } = s.products;
    expect((await admin.post("/inventory/adjustments", { reason: "received", lines: [{ productId: coffee.id, quantity: 2_000 }] })).status).toBe(201);
    const sale = await sellAtTill(s, await saleFromQuote(s, [{ productId: coffee.id, quantity: 3_000 }, { productId: untracked.id, quantity: 1_000 }]));
    expect(sale.status, JSON.stringify(sale.json)).toBe(201);

    const listed = await api("GET", `/api/v1/inventory?store_id=${s.t.storeId}&low_stock=true`, { token: s.cashier.token });
    expect(listed.status).toBe(200);
    expect(listed.json.data).toMatchObject([{ productId: coffee.id, quantity: -1_000, lowStock: true }]);
    const all = (await admin.get(`/inventory?store_id=${s.t.storeId}`)).json.data as InventoryLevel[];
    expect(all.map((l) => l.productId)).not.toContain(untracked.id);

    const count = await admin.post("/inventory/adjustments", { reason: "count", lines: [{ productId: coffee.id, countedQuantity: 4_000 }] });
    expect(count.json.data.lines[0]).toMatchObject({ kind: "count", quantity: 5_000, level: { quantity: 4_000, lowStock: false } });
    const ledger = (await env.DB.prepare("SELECT kind, quantity, reference_id FROM stock_movements WHERE product_id = ? ORDER BY rowid").bind(coffee.id).all()).results;
    expect(ledger).toEqual([
      { kind: "adjustment", quantity: 2_000, reference_id: expect.any(String) },
      { kind: "sale", quantity: -3_000, reference_id: sale.json.data.id },
      { kind: "count", quantity: 5_000, reference_id: count.json.data.id },
    ]);
    const levels = await recomputeLevels(new TenantScope(createDb(env.DB), s.t.tenantId), s.t.storeId);
    expect(levels).toEqual([{ productId: coffee.id, level: 4_000, ledger: 4_000 }]);
  });
});
