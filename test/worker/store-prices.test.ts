import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createTenant, userWith, type TestTenant } from "./helpers";

let t: TestTenant;
let s2: string;
beforeAll(async () => {
  t = await createTenant();
  s2 = (await api("POST", "/api/v1/stores", { token: t.adminToken, body: { code: "S002", name: "Second", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true } })).json.data.id;
});
const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => api(method, `/api/v1${path}`, { token: t.adminToken, body, headers });
const product = async (sku: string) => (await call("POST", "/products", { sku, name: sku, sellPrice: 1000 })).json.data.id as string;
const feed = async (id: string) =>
  (await env.DB.prepare("SELECT op, version, store_id FROM change_feed WHERE entity = 'store_price' AND entity_id = ? ORDER BY seq").bind(id).all()).results;

describe("store prices", () => {
  it("upsert one override per store and product, with versions, feeding each change to that store", async () => {
    const p = await product("SP-1");
    const created = await call("POST", "/store-prices", { storeId: t.storeId, productId: p, price: 900 });
    expect(created.status).toBe(200);
    expect(created.json.data).toMatchObject({ storeId: t.storeId, productId: p, price: 900, version: 1 });
    const updated = await call("POST", "/store-prices", { storeId: t.storeId, productId: p, price: 850, version: 1 });
    expect(updated.json.data).toMatchObject({ id: created.json.data.id, price: 850, version: 2 });
    const stale = await call("POST", "/store-prices", { storeId: t.storeId, productId: p, price: 1 }, { "If-Match": "1" });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ code: "VERSION_CONFLICT", current: { price: 850, version: 2 } });
    // Without a version it simply overwrites (last write wins), still one row.
    expect((await call("POST", "/store-prices", { storeId: t.storeId, productId: p, price: 800 })).json.data).toMatchObject({ id: created.json.data.id, version: 3 });
    // Another store gets its own row.
    const other = await call("POST", "/store-prices", { storeId: s2, productId: p, price: 700 });
    expect(other.json.data.id).not.toBe(created.json.data.id);

    expect(await feed(created.json.data.id)).toEqual([
      { op: "upsert", version: 1, store_id: t.storeId },
      { op: "upsert", version: 2, store_id: t.storeId },
      { op: "upsert", version: 3, store_id: t.storeId },
    ]);
    expect(await feed(other.json.data.id)).toEqual([{ op: "upsert", version: 1, store_id: s2 }]);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM store_prices WHERE product_id = ?").bind(p).first<{ n: number }>();
    expect(rows!.n).toBe(2);
  });

  it("lists by store and product in one round trip, with paging", async () => {
    const a = await product("SP-L1");
    const b = await product("SP-L2");
    await call("POST", "/store-prices", { storeId: t.storeId, productId: a, price: 100 });
    await call("POST", "/store-prices", { storeId: s2, productId: a, price: 200 });
    await call("POST", "/store-prices", { storeId: s2, productId: b, price: 300 });
    const byProduct = await call("GET", `/store-prices?productId=${a}`);
    expect(byProduct.headers.get("Server-Timing")).toMatch(/^d1;count=1;/);
    expect(byProduct.json.data.map((x: { price: number }) => x.price).sort()).toEqual([100, 200]);
    const byBoth = await call("GET", `/store-prices?productId=${a}&storeId=${s2}`);
    expect(byBoth.json.data.map((x: { price: number }) => x.price)).toEqual([200]);
    const page = await call("GET", `/store-prices?storeId=${s2}&pageSize=1&page=2`);
    expect(page.json).toMatchObject({ page: 2, pageSize: 1 });
    expect(page.json.total).toBeGreaterThanOrEqual(2);
    expect(page.json.data).toHaveLength(1);
    expect((await call("GET", "/store-prices?storeId=nope")).json.fields[0].path).toBe("query.storeId");
  });

  it("delete with a version; a new override can follow", async () => {
    const p = await product("SP-D");
    const sp = (await call("POST", "/store-prices", { storeId: t.storeId, productId: p, price: 500 })).json.data;
    expect((await call("DELETE", `/store-prices/${sp.id}`, undefined, { "If-Match": "2" })).status).toBe(409);
    expect((await call("DELETE", `/store-prices/${sp.id}`, undefined, { "If-Match": "1" })).status).toBe(200);
    expect((await call("GET", `/store-prices?productId=${p}`)).json.total).toBe(0);
    expect((await call("DELETE", `/store-prices/${sp.id}`)).status).toBe(404);
    expect(await feed(sp.id)).toEqual([{ op: "upsert", version: 1, store_id: t.storeId }, { op: "delete", version: 2, store_id: t.storeId }]);
    const again = (await call("POST", "/store-prices", { storeId: t.storeId, productId: p, price: 450 })).json.data;
    expect(again).toMatchObject({ version: 1, price: 450 });
    expect(again.id).not.toBe(sp.id);
  });

  it("refuse another tenant's store or product (422), bad prices (400), another tenant's override (404)", async () => {
    const other = await createTenant();
    const p = await product("SP-2");
    const refs = await call("POST", "/store-prices", { storeId: other.storeId, productId: crypto.randomUUID(), price: 100 });
    expect(refs.status).toBe(422);
    expect(refs.json).toMatchObject({ code: "UNKNOWN_REFERENCE" });
    expect(refs.json.fields.map((f: { path: string }) => f.path)).toEqual(["storeId", "productId"]);
    for (const price of [-1, 12.5, "100"]) {
      const bad = await call("POST", "/store-prices", { storeId: t.storeId, productId: p, price });
      expect(bad.status).toBe(400);
      expect(bad.json.fields.map((f: { path: string }) => f.path)).toEqual(["price"]);
    }
    const theirProduct = (await api("POST", "/api/v1/products", { token: other.adminToken, body: { sku: "X", name: "X", sellPrice: 1 } })).json.data.id;
    const theirs = (await api("POST", "/api/v1/store-prices", { token: other.adminToken, body: { storeId: other.storeId, productId: theirProduct, price: 1 } })).json.data;
    expect((await call("DELETE", `/store-prices/${theirs.id}`)).status).toBe(404);
    expect((await call("GET", `/store-prices?productId=${theirProduct}`)).json.total).toBe(0);
  });

  it("need store_prices.view to list and store_prices.manage to change", async () => {
    const viewer = await userWith(t, ["store_prices.view"]);
    expect((await api("GET", "/api/v1/store-prices", { token: viewer.token })).status).toBe(200);
    const p = await product("SP-P");
    const denied = await api("POST", "/api/v1/store-prices", { token: viewer.token, body: { storeId: t.storeId, productId: p, price: 1 } });
    expect(denied.status).toBe(403);
  });
});
