import { beforeAll, describe, expect, it } from "vitest";
import { api, createStore, createTenant, userWith, type TestTenant } from "./helpers";
import { createClient, clientToken } from "./api-client-fixtures";
import { gql } from "./graphql-helpers";
import { saleFromQuote, sell, shop, type Shop } from "./checkout-fixtures";

let t: TestTenant;
beforeAll(async () => {
  t = await createTenant();
});

const rest = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => api(method, `/api/v1${path}`, { token: t.adminToken, body, headers });

async function product(name: string, extra: Record<string, unknown> = {}) {
  const res = await rest("POST", "/products", { sku: `S-${crypto.randomUUID().slice(0, 8)}`, name, sellPrice: 1500, ...extra });
  if (res.status !== 201) throw new Error(JSON.stringify(res.json));
  return res.json.data as { id: string; version: number; sku: string };
}

describe("since & until", () => {
  const SYNC = `query Sync($since: String, $first: Int) { product(since: $since, first: $first) { items { id name deleted version } until hasMoreResults } }`;

  it("pages through every change once, with writes and a delete between pages", async () => {
    const tenant = await createTenant();
    // The integrator's way in: an API client's client-credentials token.
    const integrator = await clientToken(await createClient(tenant, ["products.view"]));
    const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => api(method, `/api/v1${path}`, { token: tenant.adminToken, body, headers });
    const made: { id: string; version: number }[] = [];
    for (const name of ["A", "B", "C", "D"]) made.push((await call("POST", "/products", { sku: name, name, sellPrice: 100 })).json.data);

    const page1 = await gql(integrator, SYNC, { since: "", first: 2 });
    expect(page1.errors).toBeUndefined();
    expect(page1.data.product.items.map((p: any) => p.name)).toEqual(["A", "B"]);
    expect(page1.data.product.hasMoreResults).toBe(true);

    // Between pages: A (already seen) changes, C (not yet seen) changes, D is deleted, E is new.
    expect((await call("PUT", `/products/${made[0]!.id}`, { name: "A2" }, { "If-Match": "1" })).status).toBe(200);
    expect((await call("PUT", `/products/${made[2]!.id}`, { name: "C2" }, { "If-Match": "1" })).status).toBe(200);
    expect((await call("DELETE", `/products/${made[3]!.id}`, undefined, { "If-Match": "1" })).status).toBe(200);
    await call("POST", "/products", { sku: "E", name: "E", sellPrice: 100 });

    const seen: any[] = [];
    let until = page1.data.product.until as string;
    for (let guard = 0; guard < 10; guard++) {
      const page = await gql(integrator, SYNC, { since: until, first: 2 });
      expect(page.errors).toBeUndefined();
      seen.push(...page.data.product.items);
      until = page.data.product.until;
      if (!page.data.product.hasMoreResults) break;
    }
    // B is not repeated; C comes once, as it is now; D as deleted; A again because it changed; E new.
    expect(seen.map((p) => p.name)).toEqual(["A2", "C2", "D", "E"]);
    expect(seen.find((p) => p.name === "D")).toMatchObject({ deleted: true });
    expect(seen.filter((p) => p.name !== "D").every((p) => p.deleted === false)).toBe(true);

    const empty = await gql(integrator, SYNC, { since: until });
    expect(empty.data.product).toEqual({ items: [], until, hasMoreResults: false });

    const live = await gql(integrator, SYNC, { first: 10 });
    expect(live.data.product.items.map((p: any) => p.name)).toEqual(["A2", "B", "C2", "E"]);
    expect(live.data.product.until).toBeNull();
  });

  it("refuses an until that was altered, made for another list, or by another tenant", async () => {
    const res = await gql(t.adminToken, SYNC, { since: "" });
    const until = res.data.product.until as string;
    const altered = `${until.slice(0, -2)}${until.endsWith("AA") ? "BB" : "AA"}`;
    const bad = await gql(t.adminToken, SYNC, { since: altered });
    expect(bad.errors![0]!.extensions).toMatchObject({ code: "VALIDATION", reason: "INVALID_SINCE", property: "since" });
    const otherList = await gql(t.adminToken, `query($s: String) { customer(since: $s) { until } }`, { s: until });
    expect(otherList.errors![0]!.extensions).toMatchObject({ code: "VALIDATION", reason: "INVALID_SINCE" });
    const other = await createTenant();
    const foreign = await gql(other.adminToken, SYNC, { since: until });
    expect(foreign.errors![0]!.extensions.reason).toBe("INVALID_SINCE");
    const skipped = await gql(t.adminToken, `{ product(since: "", skip: 2) { until } }`);
    expect(skipped.errors![0]!.extensions).toMatchObject({ code: "VALIDATION", property: "skip" });
  });

  it("item: a product's stock move brings the item into the window", async () => {
    const tenant = await createTenant();
    const call = (method: string, path: string, body?: unknown) => api(method, `/api/v1${path}`, { token: tenant.adminToken, body });
    const a = (await call("POST", "/products", { sku: "IA", name: "Item A", sellPrice: 100 })).json.data;
    await call("POST", "/products", { sku: "IB", name: "Item B", sellPrice: 100 });
    const ITEMS = `query($since: String) { item(since: $since) { items { id name stock { quantity locationId } } until hasMoreResults } }`;
    const first = await gql(tenant.adminToken, ITEMS, { since: "" });
    expect(first.data.item.items.map((i: any) => i.name)).toEqual(["Item A", "Item B"]);
    expect((await call("POST", "/inventory/adjustments", { reason: "received", lines: [{ productId: a.id, quantity: 3000 }] })).status).toBe(201);
    const next = await gql(tenant.adminToken, ITEMS, { since: first.data.item.until });
    expect(next.data.item.items).toEqual([{ id: a.id, name: "Item A", stock: [{ quantity: 3000, locationId: tenant.storeId }] }]);

    const LEVELS = `query($since: String, $item: ID) { itemWarehouse(since: $since, itemId: $item) { items { itemId locationId quantity } until } }`;
    const levels = await gql(tenant.adminToken, LEVELS, { since: "" });
    expect(levels.data.itemWarehouse.items).toEqual([{ itemId: a.id, locationId: tenant.storeId, quantity: 3000 }]);
    await call("POST", "/inventory/adjustments", { reason: "damage", lines: [{ productId: a.id, quantity: -1000 }] });
    const moved = await gql(tenant.adminToken, LEVELS, { since: levels.data.itemWarehouse.until });
    expect(moved.data.itemWarehouse.items).toEqual([{ itemId: a.id, locationId: tenant.storeId, quantity: 2000 }]);
    const filtered = await gql(tenant.adminToken, LEVELS, { since: moved.data.itemWarehouse.until, item: a.id });
    expect(filtered.errors![0]!.extensions.reason).toBe("INVALID_SINCE");
  });
});

describe("queries", () => {
  it("product and productGroup, with filters", async () => {
    const dept = (await rest("POST", "/departments", { name: `Fruit ${crypto.randomUUID().slice(0, 4)}` })).json.data;
    const apple = await product("Apple", { departmentId: dept.id, barcode: "7310000000017" });
    const res = await gql(t.adminToken, `query($b: String, $g: ID) { product(barcode: $b) { items { id name barcode group { id name } deleted } } byGroup: product(groupId: $g) { items { id } } productGroup(id: $g) { items { id name deleted } } }`, { b: "7310000000017", g: dept.id });
    expect(res.errors).toBeUndefined();
    expect(res.data.product.items).toEqual([{ id: apple.id, name: "Apple", barcode: "7310000000017", group: { id: dept.id, name: dept.name }, deleted: false }]);
    expect(res.data.byGroup.items).toEqual([{ id: apple.id }]);
    expect(res.data.productGroup.items).toEqual([{ id: dept.id, name: dept.name, deleted: false }]);
  });

  it("customer", async () => {
    const made = (await rest("POST", "/customers", { firstName: "Ada", lastName: "Lovelace", email: "ada@example.com", customerNumber: "C-1" })).json.data;
    const res = await gql(t.adminToken, `{ customer(customerNumber: "C-1") { items { id firstName lastName email deleted } hasMoreResults } }`);
    expect(res.data.customer).toEqual({ items: [{ id: made.id, firstName: "Ada", lastName: "Lovelace", email: "ada@example.com", deleted: false }], hasMoreResults: false });
  });

  it("location and environment", async () => {
    const s2 = await createStore(t, `L${crypto.randomUUID().slice(0, 4)}`);
    const res = await gql(t.adminToken, `{ location(first: 50) { items { id code currency } } environment { tenant { id slug currency } currency caller { kind id storeId permissions } currentLocation { id } locations { id } serverTime apiVersion } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.location.items.map((l: any) => l.id)).toEqual(expect.arrayContaining([t.storeId, s2.id]));
    const env = res.data.environment;
    expect(env.tenant).toEqual({ id: t.tenantId, slug: t.slug, currency: "SEK" });
    expect(env.caller).toMatchObject({ kind: "user", id: t.adminId, storeId: t.storeId });
    expect(env.caller.permissions).toContain("products.view");
    expect(env.currentLocation).toEqual({ id: t.storeId });
    expect(Math.abs(Date.parse(env.serverTime) - Date.now())).toBeLessThan(60_000);
    expect(env.apiVersion).toBeTypeOf("string");
  });

  it("itemWarehouse without since lists every store's level, 0 where it never moved", async () => {
    const tenant = await createTenant();
    const s2 = await createStore(tenant, "S002");
    const p = (await api("POST", "/api/v1/products", { token: tenant.adminToken, body: { sku: "W1", name: "Widget", sellPrice: 100 } })).json.data;
    await api("POST", "/api/v1/inventory/adjustments", { token: tenant.adminToken, body: { storeId: s2.id, reason: "received", lines: [{ productId: p.id, quantity: 5000 }] } });
    const res = await gql(tenant.adminToken, `{ itemWarehouse { items { item { name } location { code } quantity lowStock } } }`);
    expect(res.data.itemWarehouse.items).toEqual([
      { item: { name: "Widget" }, location: { code: "S001" }, quantity: 0, lowStock: false },
      { item: { name: "Widget" }, location: { code: "S002" }, quantity: 5000, lowStock: false },
    ]);
  });
});

describe("sale history", () => {
  let s: Shop;
  const saleIds: string[] = [];
  let customerId: string;
  beforeAll(async () => {
    s = await shop();
    customerId = (await api("POST", "/api/v1/customers", { token: s.t.adminToken, body: { firstName: "Greta" } })).json.data.id;
    for (let i = 0; i < 3; i++) {
      const body = await saleFromQuote(s, [{ productId: s.products.coffee.id, quantity: 2000 }, { productId: s.products.bun.id, quantity: 1000 }]);
      const res = await sell(s, { ...body, soldAt: new Date(Date.UTC(2026, 10, 1 + i, 12)).toISOString(), ...(i === 1 ? { customerId } : {}) });
      if (res.status !== 201) throw new Error(JSON.stringify(res.json));
      saleIds.push(res.json.data.id);
    }
  }, 60_000);

  const HISTORY = `query($c: ID, $from: DateTime, $to: DateTime, $skip: Int, $first: Int) {
    sale(customerId: $c, fromDate: $from, toDate: $to, skip: $skip, first: $first) {
      hasMoreResults
      items { id soldAt grandTotal customerId customer { firstName } location { code }
        lines { lineNo quantity unitPrice net tax gross taxes { rate amount } product { name } }
        taxes { rate amount taxable } payments { method amount } }
    }
  }`;

  it("answers sales with lines, taxes and payments, oldest first, from inclusive and to exclusive", async () => {
    const res = await gql(s.t.adminToken, HISTORY, { from: "2026-11-02T12:00:00Z", to: "2026-11-03T12:00:00Z" });
    expect(res.errors).toBeUndefined();
    expect(res.data.sale.items.map((x: any) => x.id)).toEqual([saleIds[1]]);
    const sale = res.data.sale.items[0];
    expect(sale).toMatchObject({ soldAt: "2026-11-02T12:00:00.000Z", customerId, customer: { firstName: "Greta" }, location: { code: "S001" } });
    expect(sale.lines).toHaveLength(2);
    expect(sale.lines[0]).toMatchObject({ lineNo: 1, quantity: 2000, unitPrice: 3490, product: { name: "Kaffe bryggt" } });
    expect(sale.lines[0].taxes[0].rate).toBe(2500);
    expect(sale.taxes.map((x: any) => x.rate).sort()).toEqual([1200, 2500]);
    expect(sale.payments[0].method).toBe("CASH");
    expect(sale.lines.reduce((sum: number, l: any) => sum + l.gross, 0)).toBe(sale.grandTotal);
  });

  it("pages with skip and first and filters by customer", async () => {
    const page1 = await gql(s.t.adminToken, HISTORY, { first: 2 });
    expect(page1.data.sale.items.map((x: any) => x.id)).toEqual(saleIds.slice(0, 2));
    expect(page1.data.sale.hasMoreResults).toBe(true);
    expect(page1.d1).toBeLessThanOrEqual(3);
    const page2 = await gql(s.t.adminToken, HISTORY, { first: 2, skip: 2 });
    expect(page2.data.sale.items.map((x: any) => x.id)).toEqual(saleIds.slice(2));
    expect(page2.data.sale.hasMoreResults).toBe(false);
    const theirs = await gql(s.t.adminToken, HISTORY, { c: customerId });
    expect(theirs.data.sale.items.map((x: any) => x.id)).toEqual([saleIds[1]]);
  });

  it("refuses a toDate before fromDate and a date without a zone", async () => {
    const backwards = await gql(s.t.adminToken, HISTORY, { from: "2026-11-03T00:00:00Z", to: "2026-11-01T00:00:00Z" });
    expect(backwards.errors![0]!.extensions).toMatchObject({ code: "VALIDATION", property: "toDate" });
    const zoneless = await gql(s.t.adminToken, HISTORY, { from: "2026-11-03" });
    expect(zoneless.errors![0]!.extensions.code).toBe("VALIDATION");
  });
});

describe("permissions", () => {
  const cases: [string, string, string][] = [
    ["customer", "{ customer { hasMoreResults } }", "customers.view"],
    ["item", "{ item { hasMoreResults } }", "inventory.view"],
    ["itemWarehouse", "{ itemWarehouse { hasMoreResults } }", "inventory.view"],
    ["location", "{ location { hasMoreResults } }", "stores.view"],
    ["product", "{ product { hasMoreResults } }", "products.view"],
    ["productGroup", "{ productGroup { hasMoreResults } }", "products.view"],
    ["sale", "{ sale { hasMoreResults } }", "pos.sell"],
  ];

  it.each(cases)("%s needs %s", async (field, query, permission) => {
    const without = await userWith(t, ["tenders.view"]);
    const refused = await gql(without.token, query);
    expect(refused.errors![0]).toMatchObject({ path: [field], extensions: { code: "NOT_AUTHORIZED", reason: "MISSING_PERMISSION" } });
    expect(refused.errors![0]!.message).toContain(permission);
    const holder = await userWith(t, [permission]);
    const allowed = await gql(holder.token, query);
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data[field].hasMoreResults).toBeTypeOf("boolean");
  });

  it("environment needs only a token; its locations need stores.view; a product's stock needs inventory.view", async () => {
    const viewer = await userWith(t, ["products.view"]);
    const env = await gql(viewer.token, "{ environment { caller { permissions } } }");
    expect(env.data.environment.caller.permissions).toEqual(["products.view"]);
    const locations = await gql(viewer.token, "{ environment { locations { id } } }");
    expect(locations.errors![0]).toMatchObject({ path: ["environment", "locations"], extensions: { code: "NOT_AUTHORIZED" } });
    await product("Stocked");
    const stock = await gql(viewer.token, "{ product(first: 1) { items { name stock { quantity } } } }");
    expect(stock.errors![0]!.extensions.code).toBe("NOT_AUTHORIZED");
    expect(stock.errors![0]!.path).toEqual(["product", "items", 0, "stock"]);
  });
});
