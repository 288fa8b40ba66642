import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { StockCount, StockCountLine } from "../../schema/contracts/stock-ops";
import { client, paths } from "./catalogue-fixtures";
import { saleFromQuote, sell, shop, type Shop } from "./checkout-fixtures";
import { api, auditOf, createStore, createTenant, d1Count, userWith, type TestTenant } from "./helpers";

/** Stock counts through HTTP: snapshot at the start, entries from several devices, review at cost, posting with the sales made meanwhile. */

let s: Shop;
let t: TestTenant;
let as: ReturnType<typeof client>;
beforeAll(async () => {
  s = await shop();
  t = s.t;
  as = client(t.adminToken);
});

const tag = () => crypto.randomUUID().slice(0, 8);
async function product(fields: Record<string, unknown> = {}) {
  const res = await as.post("/products", { sku: `SC-${tag()}`, name: `Product ${tag()}`, sellPrice: 1000, costPrice: 300, ...fields });
  if (res.status !== 201) throw new Error(JSON.stringify(res.json));
  return res.json.data as { id: string; sku: string; name: string };
}
const department = async () => (await as.post("/departments", { name: `Dept ${tag()}` })).json.data.id as string;
const adjust = async (productId: string, quantity: number, storeId = t.storeId) =>
  expect((await as.post("/inventory/adjustments", { storeId, reason: "received", lines: [{ productId, quantity }] })).status).toBe(201);
const level = async (productId: string, storeId = t.storeId) =>
  (await env.DB.prepare("SELECT quantity FROM inventory_levels WHERE store_id = ? AND product_id = ?").bind(storeId, productId).first<{ quantity: number }>())?.quantity ?? 0;
const ledger = async (productId: string, storeId = t.storeId) =>
  (await env.DB.prepare("SELECT coalesce(sum(quantity), 0) AS q FROM stock_movements WHERE store_id = ? AND product_id = ?").bind(storeId, productId).first<{ q: number }>())!.q;
const movements = async (countId: string) =>
  (await env.DB.prepare("SELECT product_id, kind, quantity, reason, unit_cost, average_cost FROM stock_movements WHERE reference_id = ? ORDER BY product_id").bind(countId).all()).results;
async function start(body: Record<string, unknown>) {
  const res = await as.post("/stock-counts", body);
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.data as StockCount;
}
const lineOf = async (countId: string, productId: string) =>
  ((await as.get(`/stock-counts/${countId}/lines?pageSize=200`)).json.data as StockCountLine[]).find((l) => l.productId === productId)!;

describe("a count's life", () => {
  it("snapshots the levels, takes counts, reviews differences at cost, and posts against the sales made during the count", async () => {
    const dept = await department();
    const coffee = await product({ departmentId: dept, costPrice: 1745 });
    const bun = await product({ departmentId: dept, costPrice: 600 });
    const juice = await product({ departmentId: dept });
    await product(); // another department's: not in the count
    await adjust(coffee.id, 10_000);
    await adjust(bun.id, 5_000);

    const count = await start({ departmentId: dept, notes: "Monthly" });
    expect(StockCount.safeParse(count).success).toBe(true);
    expect(count).toMatchObject({ storeId: t.storeId, departmentId: dept, status: "open", notes: "Monthly", startedBy: t.adminId, lineCount: 3, countedLines: 0, differenceValue: 0, version: 1 });

    // a sale of two coffees while the count runs
    const sale = await sell(s, await saleFromQuote(s, [{ productId: coffee.id, quantity: 2_000 }], [{ method: "CARD", amount: "due" }]));
    expect(sale.status, JSON.stringify(sale.json)).toBe(201);
    expect(await level(coffee.id)).toBe(8_000);
    // the sale's movement carries the cost too (reports value stock and margins from the ledger)
    const sold = await env.DB.prepare("SELECT quantity, unit_cost, average_cost FROM stock_movements WHERE kind = 'sale' AND product_id = ?").bind(coffee.id).first();
    expect(sold).toEqual({ quantity: -2_000, unit_cost: 1745, average_cost: 1745 });

    // the shelf, as it stood at the start: 9 coffees (one missing), 5 buns; the juice is not counted
    const entered = await as.put(`/stock-counts/${count.id}/lines`, { lines: [{ productId: coffee.id, countedQuantity: 9_000 }, { productId: bun.id, countedQuantity: 5_000 }] });
    expect(entered.status, JSON.stringify(entered.json)).toBe(200);
    expect(entered.json.data).toMatchObject([
      { productId: coffee.id, expectedQuantity: 10_000, countedQuantity: 9_000, difference: -1_000, unitCost: 1745, differenceValue: -1745, countedBy: t.adminId, version: 2 },
      { productId: bun.id, expectedQuantity: 5_000, countedQuantity: 5_000, difference: 0, differenceValue: 0, version: 2 },
    ]);

    const review = await as.get(`/stock-counts/${count.id}/lines`);
    expect(review.json).toMatchObject({ total: 3, page: 1, pageSize: 50 });
    for (const line of review.json.data) expect(StockCountLine.safeParse(line).success).toBe(true);
    expect(review.json.data.map((l: StockCountLine) => l.productId).sort()).toEqual([coffee.id, bun.id, juice.id].sort());
    expect((await as.get(`/stock-counts/${count.id}/lines?differences=true`)).json.data.map((l: StockCountLine) => l.productId)).toEqual([coffee.id]);
    expect((await as.get(`/stock-counts/${count.id}/lines?counted=false`)).json.data.map((l: StockCountLine) => [l.productId, l.difference])).toEqual([[juice.id, null]]);
    expect((await as.get(`/stock-counts/${count.id}`)).json.data).toMatchObject({ countedLines: 2, differenceValue: -1745 });

    const posted = await as.put(`/stock-counts/${count.id}/post`, { version: 1 });
    expect(posted.status, JSON.stringify(posted.json)).toBe(200);
    expect(d1Count(posted)).toBe(2);
    expect(posted.json.data).toMatchObject({ status: "posted", postedBy: t.adminId, version: 2, countedLines: 2 });
    // counted 9 − expected 10 = −1, on top of the level now (8): 7 = what was counted less the two sold
    expect(await level(coffee.id)).toBe(7_000);
    expect(await level(bun.id)).toBe(5_000);
    expect(await movements(count.id)).toEqual([
      { product_id: coffee.id, kind: "count", quantity: -1_000, reason: "count", unit_cost: 1745, average_cost: 1745 },
      { product_id: bun.id, kind: "count", quantity: 0, reason: "count", unit_cost: 600, average_cost: 600 },
    ].sort((a, b) => a.product_id.localeCompare(b.product_id)));
    for (const p of [coffee, bun, juice]) expect(await ledger(p.id)).toBe(await level(p.id));

    expect((await as.put(`/stock-counts/${count.id}/post`, {})).json).toMatchObject({ code: "INVALID_STATE" });
    const late = await as.put(`/stock-counts/${count.id}/lines`, { lines: [{ productId: juice.id, countedQuantity: 1 }] });
    expect(late.status).toBe(409);
    expect(late.json.code).toBe("INVALID_STATE");
    expect((await as.put(`/stock-counts/${count.id}/cancel`, {})).json.code).toBe("INVALID_STATE");
    expect((await auditOf(count.id)).map((a) => a.action)).toEqual(["stock_count.start", "stock_count.post"]);
  });

  it("one open count per store; a cancelled count moves nothing and frees the store; lists are paged", async () => {
    const p = await product();
    await adjust(p.id, 3_000);
    const first = await start({});
    expect(first.lineCount).toBeGreaterThanOrEqual(4);
    const second = await as.post("/stock-counts", {});
    expect(second.status).toBe(409);
    expect(second.json.code).toBe("COUNT_IN_PROGRESS");
    const s2 = await createStore(t, `S${tag().slice(0, 4)}`);
    const elsewhere = await start({ storeId: s2.id });
    expect(elsewhere.storeId).toBe(s2.id);

    await as.put(`/stock-counts/${first.id}/lines`, { lines: [{ productId: p.id, countedQuantity: 0 }] });
    const cancelled = await as.put(`/stock-counts/${first.id}/cancel`, {});
    expect(cancelled.json.data).toMatchObject({ status: "cancelled", cancelledBy: t.adminId });
    expect(await movements(first.id)).toEqual([]);
    expect(await level(p.id)).toBe(3_000);
    const again = await start({});

    const open = await as.get(`/stock-counts?status=open&pageSize=1`);
    expect(open.json).toMatchObject({ total: 2, page: 1, pageSize: 1 });
    expect(open.json.data.map((c: StockCount) => c.id)).toEqual([again.id]);
    expect((await as.get(`/stock-counts?store_id=${s2.id}`)).json.data.map((c: StockCount) => c.id)).toEqual([elsewhere.id]);
    await as.put(`/stock-counts/${again.id}/cancel`, {});
    await as.put(`/stock-counts/${elsewhere.id}/cancel`, {});
  });
});

describe("several people counting", () => {
  it("the last write of a line wins; a stale version is 409 with the line as it is, and nothing of that request is written", async () => {
    const dept = await department();
    const a = await product({ departmentId: dept });
    const b = await product({ departmentId: dept });
    const count = await start({ departmentId: dept });
    const read = await lineOf(count.id, a.id);
    expect(read.version).toBe(1);

    const deviceB = await as.put(`/stock-counts/${count.id}/lines`, { lines: [{ productId: a.id, countedQuantity: 4_000, version: 1 }] });
    expect(deviceB.json.data[0]).toMatchObject({ countedQuantity: 4_000, version: 2 });
    const deviceA = await as.put(`/stock-counts/${count.id}/lines`, { lines: [{ productId: b.id, countedQuantity: 1_000 }, { productId: a.id, countedQuantity: 5_000, version: 1 }] });
    expect(deviceA.status).toBe(409);
    expect(deviceA.json).toMatchObject({ code: "VERSION_CONFLICT", current: [{ productId: a.id, countedQuantity: 4_000, version: 2 }] });
    expect((await lineOf(count.id, b.id)).countedQuantity).toBeNull();
    // without a version: the last write wins
    const blind = await as.put(`/stock-counts/${count.id}/lines`, { lines: [{ productId: a.id, countedQuantity: 6_000 }] });
    expect(blind.json.data[0]).toMatchObject({ countedQuantity: 6_000, version: 3 });

    // five devices at once, all from version 3: exactly one is written
    const racing = await Promise.all([1, 2, 3, 4, 5].map((n) => as.put(`/stock-counts/${count.id}/lines`, { lines: [{ productId: a.id, countedQuantity: n * 1_000, version: 3 }] })));
    expect(racing.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
    const winner = racing.find((r) => r.status === 200)!.json.data[0];
    expect(await lineOf(count.id, a.id)).toMatchObject({ countedQuantity: winner.countedQuantity, version: 4 });
    const feed = (await env.DB.prepare("SELECT version FROM change_feed WHERE entity = 'stock_count_line' AND entity_id = ? ORDER BY seq").bind(read.id).all()).results;
    expect(feed.map((f) => f.version)).toEqual([2, 3, 4]);
    await as.put(`/stock-counts/${count.id}/cancel`, {});
  });

  it("concurrent posts: exactly one 200, the differences booked once", async () => {
    const dept = await department();
    const p = await product({ departmentId: dept });
    await adjust(p.id, 2_000);
    const count = await start({ departmentId: dept });
    await as.put(`/stock-counts/${count.id}/lines`, { lines: [{ productId: p.id, countedQuantity: 1_500 }] });
    const results = await Promise.all(Array.from({ length: 6 }, () => as.put(`/stock-counts/${count.id}/post`, {})));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    expect(await level(p.id)).toBe(1_500);
    expect((await movements(count.id)).length).toBe(1);
  });
});

describe("refusals", () => {
  it("403 without inventory.adjust, and without it in the count's store; viewing needs inventory.view", async () => {
    const count = await start({ departmentId: await department() });
    const viewer = client((await userWith(t, ["inventory.view"])).token);
    for (const res of [
      await viewer.post("/stock-counts", {}),
      await viewer.put(`/stock-counts/${count.id}/lines`, { lines: [{ productId: crypto.randomUUID(), countedQuantity: 1 }] }),
      await viewer.put(`/stock-counts/${count.id}/post`, {}),
      await viewer.put(`/stock-counts/${count.id}/cancel`, {}),
    ]) {
      expect(res.status).toBe(403);
      expect(res.json).toMatchObject({ code: "MISSING_PERMISSION" });
      expect(res.json.error).toContain("inventory.adjust");
    }
    expect((await viewer.get(`/stock-counts/${count.id}`)).status).toBe(200);
    const blind = client((await userWith(t, ["inventory.adjust"])).token);
    expect((await blind.get(`/stock-counts/${count.id}/lines`)).json.code).toBe("MISSING_PERMISSION");

    const s2 = await createStore(t, `S${tag().slice(0, 4)}`);
    const there = await start({ storeId: s2.id, departmentId: await department() });
    const counter = client((await userWith(t, ["inventory.view", "inventory.adjust"])).token);
    for (const res of [
      await counter.post("/stock-counts", { storeId: s2.id }),
      await counter.put(`/stock-counts/${there.id}/post`, {}),
    ]) expect(res.json).toMatchObject({ code: "MISSING_PERMISSION_IN_STORE" });
    await as.put(`/stock-counts/${count.id}/cancel`, {});
    await as.put(`/stock-counts/${there.id}/cancel`, {});
  });

  it("404 for another tenant's count; their store and department are unknown references", async () => {
    const other = await createTenant();
    const theirs = await api("POST", "/api/v1/stock-counts", { token: other.adminToken, body: {} });
    expect(theirs.status).toBe(201);
    const id = theirs.json.data.id;
    for (const res of [
      await as.get(`/stock-counts/${id}`), await as.get(`/stock-counts/${id}/lines`), await as.put(`/stock-counts/${id}/post`, {}), await as.put(`/stock-counts/${id}/cancel`, {}),
      await as.put(`/stock-counts/${id}/lines`, { lines: [{ productId: crypto.randomUUID(), countedQuantity: 1 }] }),
    ]) expect(res.status).toBe(404);
    const theirDept = (await api("POST", "/api/v1/departments", { token: other.adminToken, body: { name: "Theirs" } })).json.data.id;
    expect((await as.post("/stock-counts", { departmentId: theirDept })).json).toMatchObject({ code: "UNKNOWN_REFERENCE", fields: [{ path: "departmentId" }] });
    expect((await as.post("/stock-counts", { storeId: other.storeId })).json).toMatchObject({ code: "UNKNOWN_REFERENCE", fields: [{ path: "storeId" }] });
  });

  it("bad input is 400 naming the field; a product outside the count is 422", async () => {
    const dept = await department();
    const p = await product({ departmentId: dept });
    const outside = await product();
    const count = await start({ departmentId: dept });
    const cases: [unknown, string[]][] = [
      [{ lines: [] }, ["lines"]],
      [{ lines: [{ productId: p.id, countedQuantity: -1 }] }, ["lines.0.countedQuantity"]],
      [{ lines: [{ productId: p.id, countedQuantity: 1.5 }] }, ["lines.0.countedQuantity"]],
      [{ lines: [{ productId: p.id, countedQuantity: 1, version: 0 }] }, ["lines.0.version"]],
      [{ lines: [{ productId: p.id, countedQuantity: 1 }, { productId: p.id, countedQuantity: 2 }] }, ["lines.1.productId"]],
      [{ lines: [{ productId: "p", countedQuantity: 1 }] }, ["lines.0.productId"]],
    ];
    for (const [body, fields] of cases) {
      const res = await as.put(`/stock-counts/${count.id}/lines`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(paths(res)).toEqual(fields);
    }
    const notIn = await as.put(`/stock-counts/${count.id}/lines`, { lines: [{ productId: p.id, countedQuantity: 1 }, { productId: outside.id, countedQuantity: 1 }] });
    expect(notIn.status).toBe(422);
    expect(notIn.json).toMatchObject({ code: "NOT_IN_COUNT", fields: [{ path: "lines.1.productId" }] });
    expect((await lineOf(count.id, p.id)).countedQuantity).toBeNull();
    expect(paths(await as.post("/stock-counts", { departmentId: "x" }))).toEqual(["departmentId"]);
    expect(paths(await as.get(`/stock-counts/${count.id}/lines?counted=yes`))).toEqual(["query.counted"]);
    await as.put(`/stock-counts/${count.id}/cancel`, {});
  });
});
