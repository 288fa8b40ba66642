import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { Adjustment, CrossStoreProduct, InventoryLevel } from "../../schema/contracts/inventory";
import { client, paths } from "./catalogue-fixtures";
import { api, auditOf, createStore, createTenant, d1Count, journalCounts, userWith, type TestTenant } from "./helpers";

/** Levels, adjustments, counts, reorder points and the cross-store view, through HTTP. */

let t: TestTenant;
let as: ReturnType<typeof client>;
let s2: { id: string; code: string; name: string };
beforeAll(async () => {
  t = await createTenant();
  as = client(t.adminToken);
  s2 = await createStore(t, "S002");
});

const tag = () => crypto.randomUUID().slice(0, 8);
async function product(fields: Record<string, unknown> = {}) {
  const res = await as.post("/products", { sku: `INV-${tag()}`, name: `Product ${tag()}`, sellPrice: 1000, ...fields });
  if (res.status !== 201) throw new Error(JSON.stringify(res.json));
  return res.json.data as { id: string; sku: string; name: string; barcode: string | null };
}
const adjust = (body: Record<string, unknown>, headers?: Record<string, string>) => as.post("/inventory/adjustments", { reason: "received", ...body }, headers);
const levelsOf = async (query: string) => {
  const res = await as.get(`/inventory?${query}`);
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json.data as InventoryLevel[];
};
const movementsOf = async (productId: string) =>
  (await env.DB.prepare("SELECT store_id, kind, quantity, reason, reference_id, user_id FROM stock_movements WHERE product_id = ? ORDER BY rowid").bind(productId).all()).results;
const levelRow = (storeId: string, productId: string) =>
  env.DB.prepare("SELECT quantity, reorder_point, updated_at FROM inventory_levels WHERE store_id = ? AND product_id = ?").bind(storeId, productId).first<{ quantity: number; reorder_point: number | null; updated_at: number }>();

describe("GET /inventory", () => {
  it("lists every tracked product in every store, at 0 before its first movement, with name, SKU and barcode, in one round trip", async () => {
    const search = `Lager ${tag()}`;
    const a = await product({ name: `${search} A`, barcode: `73${Date.now()}` });
    const b = await product({ name: `${search} B` });
    await product({ name: `${search} untracked`, trackStock: false });
    const gone = await product({ name: `${search} deleted` });
    expect((await as.del(`/products/${gone.id}`)).status).toBe(200);

    const res = await as.get(`/inventory?search=${encodeURIComponent(search)}`);
    expect(res.status).toBe(200);
    expect(d1Count(res)).toBe(1);
    expect(res.json).toMatchObject({ total: 4, page: 1, pageSize: 50 });
    // by product name, then store code
    expect(res.json.data).toEqual([
      { productId: a.id, sku: a.sku, barcode: a.barcode, name: a.name, storeId: t.storeId, storeCode: "S001", storeName: "Main Store", quantity: 0, reorderPoint: null, lowStock: false, updatedAt: null },
      { productId: a.id, sku: a.sku, barcode: a.barcode, name: a.name, storeId: s2.id, storeCode: "S002", storeName: s2.name, quantity: 0, reorderPoint: null, lowStock: false, updatedAt: null },
      { productId: b.id, sku: b.sku, barcode: null, name: b.name, storeId: t.storeId, storeCode: "S001", storeName: "Main Store", quantity: 0, reorderPoint: null, lowStock: false, updatedAt: null },
      { productId: b.id, sku: b.sku, barcode: null, name: b.name, storeId: s2.id, storeCode: "S002", storeName: s2.name, quantity: 0, reorderPoint: null, lowStock: false, updatedAt: null },
    ]);
    for (const level of res.json.data) expect(InventoryLevel.strict().safeParse(level).success).toBe(true);

    const one = await levelsOf(`store_id=${s2.id}&search=${encodeURIComponent(search)}`);
    expect(one.map((l) => [l.name, l.storeCode])).toEqual([[a.name, "S002"], [b.name, "S002"]]);
    const page2 = await as.get(`/inventory?search=${encodeURIComponent(search)}&pageSize=3&page=2`);
    expect(page2.json).toMatchObject({ total: 4, page: 2, pageSize: 3 });
    expect(page2.json.data.map((l: InventoryLevel) => [l.productId, l.storeCode])).toEqual([[b.id, "S002"]]);
    expect((await levelsOf(`product_id=${a.id}`)).map((l) => l.storeCode)).toEqual(["S001", "S002"]);
  });

  it("searches folded name, SKU and barcode", async () => {
    const word = `Äppel${tag()}`;
    const p = await product({ name: `${word}juice`, barcode: `4${Date.now()}` });
    expect((await levelsOf(`store_id=${t.storeId}&search=${encodeURIComponent(word.toUpperCase())}`)).map((l) => l.productId)).toEqual([p.id]);
    expect((await levelsOf(`store_id=${t.storeId}&search=${p.sku.toLowerCase()}`)).map((l) => l.productId)).toEqual([p.id]);
    expect((await levelsOf(`store_id=${t.storeId}&search=${p.barcode}`)).map((l) => l.productId)).toEqual([p.id]);
  });

  it("answers 404 for a store or product that is not the tenant's, 400 for bad filters", async () => {
    const other = await createTenant();
    const store = await as.get(`/inventory?store_id=${other.storeId}`);
    expect(store.status).toBe(404);
    expect(store.json).toMatchObject({ code: "NOT_FOUND", error: "Store not found" });
    const theirs = (await api("POST", "/api/v1/products", { token: other.adminToken, body: { sku: "X-1", name: "Theirs", sellPrice: 1 } })).json.data.id;
    expect((await as.get(`/inventory?product_id=${theirs}`)).status).toBe(404);
    expect((await as.get(`/inventory/cross-store?product_id=${theirs}`)).status).toBe(404);
    const bad = await as.get("/inventory?store_id=nope&low_stock=maybe&pageSize=500");
    expect(bad.status).toBe(400);
    expect(paths(bad).sort()).toEqual(["query.low_stock", "query.pageSize", "query.store_id"]);
  });
});

describe("POST /inventory/adjustments", () => {
  it("changes levels by deltas and counted quantities in one batch, with movements, feed rows and audit, answering the levels after it", async () => {
    const a = await product();
    const b = await product();
    const first = await adjust({ reason: "received", note: "Delivery 42", lines: [{ productId: a.id, quantity: 12_000 }, { productId: b.id, quantity: 2_500 }] });
    expect(first.status).toBe(201);
    expect(d1Count(first)).toBe(2);
    expect(Adjustment.safeParse(first.json.data).success).toBe(true);
    expect(first.json.data).toMatchObject({ storeId: t.storeId, reason: "received", note: "Delivery 42", userId: t.adminId });
    expect(first.json.data.lines).toMatchObject([
      { productId: a.id, kind: "adjustment", quantity: 12_000, countedQuantity: null, level: { productId: a.id, storeId: t.storeId, quantity: 12_000, sku: a.sku, name: a.name } },
      { productId: b.id, kind: "adjustment", quantity: 2_500, countedQuantity: null, level: { quantity: 2_500 } },
    ]);

    const count = await adjust({ reason: "count", lines: [{ productId: a.id, countedQuantity: 9_000 }, { productId: b.id, quantity: -500 }] });
    expect(count.status).toBe(201);
    const countId = count.json.data.id;
    expect(count.json.data.lines).toMatchObject([
      { productId: a.id, kind: "count", quantity: -3_000, countedQuantity: 9_000, level: { quantity: 9_000 } },
      { productId: b.id, kind: "adjustment", quantity: -500, level: { quantity: 2_000 } },
    ]);
    const row = await levelRow(t.storeId, a.id);
    expect(row!.quantity).toBe(9_000);
    expect(count.json.data.lines[0].level.updatedAt).toBe(new Date(row!.updated_at).toISOString());

    expect(await movementsOf(a.id)).toEqual([
      { store_id: t.storeId, kind: "adjustment", quantity: 12_000, reason: "received", reference_id: first.json.data.id, user_id: t.adminId },
      { store_id: t.storeId, kind: "count", quantity: -3_000, reason: "count", reference_id: countId, user_id: t.adminId },
    ]);
    // A count that finds what the ledger says is a movement of 0: the count happened.
    const same = await adjust({ reason: "count", lines: [{ productId: a.id, countedQuantity: 9_000 }] });
    expect(same.json.data.lines[0]).toMatchObject({ kind: "count", quantity: 0, level: { quantity: 9_000 } });
    expect((await movementsOf(a.id)).map((m) => m.quantity)).toEqual([12_000, -3_000, 0]);

    const feed = (await env.DB.prepare("SELECT store_id, entity, entity_id, op, version FROM change_feed WHERE entity = 'inventory_level' AND entity_id LIKE ? ORDER BY seq").bind(`%${a.id}`).all()).results;
    expect(feed.map((f) => ({ ...f, version: typeof f.version }))).toEqual(
      Array(3).fill({ store_id: t.storeId, entity: "inventory_level", entity_id: `${t.storeId}:${a.id}`, op: "upsert", version: "number" }),
    );
    const versions = feed.map((f) => f.version as number);
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
    expect(new Set(versions).size).toBe(3);
    expect(await auditOf(countId)).toEqual([
      { tenant_id: t.tenantId, actor_type: "user", actor_id: t.adminId, action: "inventory.adjust", entity: "inventory_adjustment", detail: { storeId: t.storeId, reason: "count", note: null, lines: 2, counted: 1 } },
    ]);
    expect((await levelsOf(`store_id=${t.storeId}&product_id=${a.id}`))[0]).toMatchObject({ quantity: 9_000, updatedAt: same.json.data.lines[0].level.updatedAt });
  });

  it("lets stock go below zero, and shows it as low on stock", async () => {
    const p = await product();
    const res = await adjust({ reason: "theft", lines: [{ productId: p.id, quantity: -3_000 }] });
    expect(res.json.data.lines[0].level).toMatchObject({ quantity: -3_000, reorderPoint: null, lowStock: true });
    expect((await levelsOf(`product_id=${p.id}&low_stock=true`)).map((l) => [l.storeCode, l.quantity])).toEqual([["S001", -3_000]]);
    expect((await levelsOf(`product_id=${p.id}&low_stock=false`)).map((l) => [l.storeCode, l.quantity])).toEqual([["S002", 0]]);
  });

  it("takes up to 250 lines, mixing changes and counts, in two round trips", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const sheet = Array.from({ length: 10 }, () => crypto.randomUUID());
      await env.DB.batch(sheet.map((id, k) =>
        env.DB.prepare("INSERT INTO products (id, tenant_id, sku, name, sell_price, track_stock, version, created_at, updated_at) VALUES (?, ?, ?, ?, 100, 1, 1, 0, 0)")
          .bind(id, t.tenantId, `BULK-${id.slice(0, 12)}`, `Bulk ${i * 10 + k}`)));
      ids.push(...sheet);
    }
    const seed = await adjust({ lines: ids.map((productId) => ({ productId, quantity: 5_000 })) });
    expect(seed.status).toBe(201);
    const lines = ids.map((productId, i) => (i % 2 ? { productId, quantity: -(i + 1) } : { productId, countedQuantity: i }));
    const res = await adjust({ reason: "count", storeId: t.storeId, lines });
    expect(res.status, JSON.stringify(res.json).slice(0, 300)).toBe(201);
    expect(d1Count(res)).toBe(2);
    expect(res.json.data.lines).toHaveLength(250);
    res.json.data.lines.forEach((line: Adjustment["lines"][number], i: number) => {
      expect(line.productId).toBe(ids[i]);
      expect(line.level.quantity).toBe(i % 2 ? 5_000 - (i + 1) : i);
      expect(line.quantity).toBe(i % 2 ? -(i + 1) : i - 5_000);
    });
    const sums = await env.DB.prepare("SELECT count(*) AS n, sum(quantity) AS total FROM stock_movements WHERE reference_id = ?").bind(res.json.data.id).first<{ n: number; total: number }>();
    expect(sums).toEqual({ n: 250, total: lines.reduce((s, l, i) => s + (l.quantity ?? i - 5_000), 0) });
    expect((await adjust({ lines: [...ids, crypto.randomUUID()].map((productId) => ({ productId, quantity: 1 })) })).status).toBe(400);
  });

  it("refuses what it cannot apply with the field that is wrong, and writes nothing", async () => {
    const other = await createTenant();
    const tracked = await product();
    const untracked = await product({ trackStock: false });
    const gone = await product();
    await as.del(`/products/${gone.id}`);
    const theirs = (await api("POST", "/api/v1/products", { token: other.adminToken, body: { sku: "X-2", name: "Theirs", sellPrice: 1 } })).json.data.id;
    const before = await journalCounts(t.tenantId);

    const unknown = await adjust({ lines: [{ productId: tracked.id, quantity: 1 }, { productId: theirs, quantity: 1 }, { productId: gone.id, quantity: 1 }, { productId: untracked.id, quantity: 1 }] });
    expect(unknown.status).toBe(422);
    expect(unknown.json).toMatchObject({ code: "UNKNOWN_REFERENCE" });
    expect(unknown.json.fields).toEqual([
      { path: "lines.1.productId", message: "is not a product of this tenant" },
      { path: "lines.2.productId", message: "is not a product of this tenant" },
      { path: "lines.3.productId", message: "does not track stock (trackStock is false)" },
    ]);
    const notTracked = await adjust({ lines: [{ productId: untracked.id, countedQuantity: 1 }] });
    expect(notTracked.status).toBe(422);
    expect(notTracked.json).toMatchObject({ code: "PRODUCT_NOT_TRACKED", fields: [{ path: "lines.0.productId" }] });
    const theirStore = await adjust({ storeId: other.storeId, lines: [{ productId: tracked.id, quantity: 1 }] });
    expect(theirStore.status).toBe(422);
    expect(theirStore.json).toMatchObject({ code: "UNKNOWN_REFERENCE", fields: [{ path: "storeId" }] });

    const invalid: [unknown, string[]][] = [
      [{ lines: [{ productId: tracked.id }] }, ["lines.0.quantity"]],
      [{ lines: [{ productId: tracked.id, quantity: 1, countedQuantity: 1 }] }, ["lines.0.quantity"]],
      [{ lines: [{ productId: tracked.id, quantity: 0 }] }, ["lines.0.quantity"]],
      [{ lines: [{ productId: tracked.id, quantity: 1.5 }] }, ["lines.0.quantity"]],
      [{ lines: [{ productId: tracked.id, countedQuantity: -1 }] }, ["lines.0.countedQuantity"]],
      [{ lines: [{ productId: tracked.id, quantity: 1 }, { productId: tracked.id, countedQuantity: 1 }] }, ["lines.1.productId"]],
      [{ lines: [] }, ["lines"]],
      [{ reason: "lost", lines: [{ productId: tracked.id, quantity: 1 }] }, ["reason"]],
      [{ note: "Esc \u001b[0m", lines: [{ productId: tracked.id, quantity: 1 }] }, ["note"]],
    ];
    for (const [body, fields] of invalid) {
      const res = await adjust(body as Record<string, unknown>);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(paths(res), JSON.stringify(body)).toEqual(fields);
    }
    expect(await journalCounts(t.tenantId)).toEqual(before);
    expect(await movementsOf(tracked.id)).toEqual([]);
  });

  it("needs inventory.adjust (inventory.view to read), and in another store inventory.adjust there, read at the time", async () => {
    const p = await product();
    const viewer = await userWith(t, ["inventory.view"]);
    expect((await api("GET", "/api/v1/inventory", { token: viewer.token })).status).toBe(200);
    expect((await api("GET", "/api/v1/inventory/cross-store", { token: viewer.token })).status).toBe(200);
    const denied = await api("POST", "/api/v1/inventory/adjustments", { token: viewer.token, body: { reason: "damage", lines: [{ productId: p.id, quantity: -1 }] } });
    expect(denied.status).toBe(403);
    expect(denied.json).toMatchObject({ code: "MISSING_PERMISSION" });
    const adjuster = await userWith(t, ["inventory.adjust"]);
    expect((await api("GET", "/api/v1/inventory", { token: adjuster.token })).status).toBe(403);
    expect((await api("PUT", "/api/v1/inventory/reorder-points", { token: viewer.token, body: { items: [{ productId: p.id, reorderPoint: 1 }] } })).status).toBe(403);

    // In their own store, fine; in S002, where they hold no role, refused and nothing written.
    const own = await api("POST", "/api/v1/inventory/adjustments", { token: adjuster.token, body: { reason: "damage", lines: [{ productId: p.id, quantity: -1_000 }] } });
    expect(own.status).toBe(201);
    const elsewhere = { reason: "damage", storeId: s2.id, lines: [{ productId: p.id, quantity: -1_000 }] };
    const refused = await api("POST", "/api/v1/inventory/adjustments", { token: adjuster.token, body: elsewhere });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ code: "MISSING_PERMISSION_IN_STORE", error: expect.stringContaining("S002") });
    const refusedPoints = await api("PUT", "/api/v1/inventory/reorder-points", { token: adjuster.token, body: { storeId: s2.id, items: [{ productId: p.id, reorderPoint: 1 }] } });
    expect(refusedPoints.status).toBe(403);
    expect(await levelRow(s2.id, p.id)).toBeNull();

    // Given the role in S002 (which ends their sessions: they sign in again, to S001, whose token says nothing of S002).
    const roles = await api("PUT", `/api/v1/users/${adjuster.id}`, { token: t.adminToken, body: { storeRoles: [{ storeId: t.storeId, roleId: adjuster.roleId }, { storeId: s2.id, roleId: adjuster.roleId }] } });
    expect(roles.status, JSON.stringify(roles.json)).toBe(200);
    const signedIn = await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username: adjuster.username, password: adjuster.password } });
    const allowed = await api("POST", "/api/v1/inventory/adjustments", { token: signedIn.json.data.accessToken, body: elsewhere });
    expect(allowed.status, JSON.stringify(allowed.json)).toBe(201);
    expect(allowed.json.data.lines[0].level).toMatchObject({ storeId: s2.id, storeCode: "S002", quantity: -1_000 });
  });
});

describe("PUT /inventory/reorder-points", () => {
  it("sets and clears reorder points in one batch, making a level at 0 where there is none, and low_stock follows them", async () => {
    const a = await product();
    const b = await product();
    await adjust({ lines: [{ productId: a.id, quantity: 4_000 }] });
    const res = await as.put("/inventory/reorder-points", { items: [{ productId: b.id, reorderPoint: 0 }, { productId: a.id, reorderPoint: 5_000 }] });
    expect(res.status).toBe(200);
    expect(d1Count(res)).toBe(2);
    expect(res.json.data).toMatchObject([
      { productId: b.id, storeId: t.storeId, quantity: 0, reorderPoint: 0, lowStock: true },
      { productId: a.id, storeId: t.storeId, quantity: 4_000, reorderPoint: 5_000, lowStock: true },
    ]);
    expect(await movementsOf(b.id)).toEqual([]);
    const low = await levelsOf(`store_id=${t.storeId}&low_stock=true&search=${a.sku}`);
    expect(low.map((l) => l.productId)).toEqual([a.id]);

    const cleared = await as.put("/inventory/reorder-points", { storeId: t.storeId, items: [{ productId: a.id, reorderPoint: null }] });
    expect(cleared.json.data).toMatchObject([{ productId: a.id, quantity: 4_000, reorderPoint: null, lowStock: false }]);
    expect(await levelsOf(`store_id=${t.storeId}&low_stock=true&search=${a.sku}`)).toEqual([]);
    const feed = (await env.DB.prepare("SELECT version FROM change_feed WHERE entity = 'inventory_level' AND entity_id = ? ORDER BY seq").bind(`${t.storeId}:${a.id}`).all()).results;
    expect(feed).toHaveLength(3);

    const bad = await as.put("/inventory/reorder-points", { items: [{ productId: a.id, reorderPoint: -1 }, { productId: a.id, reorderPoint: 1 }] });
    expect(bad.status).toBe(400);
    expect(paths(bad).sort()).toEqual(["items.0.reorderPoint", "items.1.productId"]);
    const untracked = await product({ trackStock: false });
    const refused = await as.put("/inventory/reorder-points", { items: [{ productId: untracked.id, reorderPoint: 1 }] });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ code: "PRODUCT_NOT_TRACKED", fields: [{ path: "items.0.productId" }] });
  });
});

describe("GET /inventory/cross-store", () => {
  it("answers one product's (or a search's) level in every store with code, name and total, in one round trip", async () => {
    const word = `Cross${tag()}`;
    const a = await product({ name: `${word} A` });
    const b = await product({ name: `${word} B` });
    await adjust({ lines: [{ productId: a.id, quantity: 7_000 }] });
    await adjust({ storeId: s2.id, lines: [{ productId: a.id, quantity: -2_000 }, { productId: b.id, countedQuantity: 1_500 }] });

    const one = await as.get(`/inventory/cross-store?product_id=${a.id}`);
    expect(one.status).toBe(200);
    expect(d1Count(one)).toBe(1);
    expect(one.json).toMatchObject({ total: 1, page: 1, pageSize: 20 });
    expect(one.json.data).toEqual([{
      productId: a.id, sku: a.sku, barcode: null, name: a.name, totalQuantity: 5_000,
      stores: [
        { storeId: t.storeId, storeCode: "S001", storeName: "Main Store", quantity: 7_000, reorderPoint: null, lowStock: false, updatedAt: expect.any(String) },
        { storeId: s2.id, storeCode: "S002", storeName: s2.name, quantity: -2_000, reorderPoint: null, lowStock: true, updatedAt: expect.any(String) },
      ],
    }]);
    expect(CrossStoreProduct.strict().safeParse(one.json.data[0]).success).toBe(true);

    const search = await as.get(`/inventory/cross-store?search=${word.toLowerCase()}&pageSize=1&page=2`);
    expect(search.json).toMatchObject({ total: 2, page: 2, pageSize: 1 });
    expect(search.json.data).toMatchObject([{ productId: b.id, totalQuantity: 1_500, stores: [{ storeCode: "S001", quantity: 0, updatedAt: null }, { storeCode: "S002", quantity: 1_500 }] }]);
  });
});
