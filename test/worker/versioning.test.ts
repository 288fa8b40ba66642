import { beforeAll, describe, expect, it } from "vitest";
import { client } from "./catalogue-fixtures";
import { api, createTenant, feedOf, journalCounts, operatorToken, userWith, type TestTenant } from "./helpers";

let t: TestTenant;
let as: ReturnType<typeof client>;
beforeAll(async () => {
  t = await createTenant();
  as = client(t.adminToken);
});

describe("If-Match: * is any version (RFC 9110)", () => {
  it("updates whatever the version is", async () => {
    const d = (await as.post("/departments", { name: "Stjärna" })).json.data;
    expect((await as.put(`/departments/${d.id}`, { name: "Stjärna 2" }, { "If-Match": '"1"' })).status).toBe(200);
    const res = await as.put(`/departments/${d.id}`, { name: "Stjärna 3" }, { "If-Match": "*" });
    expect(res.status).toBe(200);
    expect(res.json.data).toMatchObject({ name: "Stjärna 3", version: 3 });
  });

  it("deletes whatever the version is", async () => {
    const d = (await as.post("/departments", { name: "Borta" })).json.data;
    await as.put(`/departments/${d.id}`, { name: "Borta 2" });
    const res = await as.del(`/departments/${d.id}`, undefined, { "If-Match": "*" });
    expect(res.status).toBe(200);
    expect((await as.get(`/departments/${d.id}`)).status).toBe(404);
  });

  it("still checks a version the body names", async () => {
    const d = (await as.post("/departments", { name: "Kropp" })).json.data;
    await as.put(`/departments/${d.id}`, { name: "Kropp 2" });
    const stale = await as.put(`/departments/${d.id}`, { name: "Kropp 3", version: 1 }, { "If-Match": "*" });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe("VERSION_CONFLICT");
  });
});

describe("an update that changes nothing makes no new version", () => {
  /** The row, its change-feed rows and the tenant's journal, to compare before and after. */
  const snapshot = async (path: string, id: string) => ({
    row: (await as.get(`${path}/${id}`)).json.data,
    feed: await feedOf(id),
    journal: await journalCounts(t.tenantId),
  });

  it("an empty body: 200 with the current row, no version bump, no feed or audit row", async () => {
    const d = (await as.post("/departments", { name: "Tom", code: "TOM" })).json.data;
    const before = await snapshot("/departments", d.id);
    const res = await as.put(`/departments/${d.id}`, {}, { "If-Match": '"1"' });
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual(before.row);
    expect(await snapshot("/departments", d.id)).toEqual(before);
  });

  it("a body whose fields equal the current values, on products, stores, customers and suppliers", async () => {
    const product = (await as.post("/products", { sku: "SAME-1", name: "Samma", sellPrice: 1500, barcode: null })).json.data;
    const store = (await as.get(`/stores/${t.storeId}`)).json.data;
    const customer = (await as.post("/customers", { firstName: "Ada", lastName: null, email: "ada@example.com" })).json.data;
    const supplier = (await as.post("/suppliers", { name: "Lev", notes: "x" })).json.data;
    const cases: [string, { id: string }, Record<string, unknown>][] = [
      ["/products", product, { name: "Samma", sellPrice: 1500, barcode: null, isActive: true }],
      ["/stores", store, { name: store.name, pricesIncludeTax: store.pricesIncludeTax, address: null }],
      ["/customers", customer, { firstName: "Ada", lastName: null, email: "ada@example.com" }],
      ["/suppliers", supplier, { name: "Lev", notes: "x", code: null }],
    ];
    for (const [path, row, body] of cases) {
      const before = await snapshot(path, row.id);
      const res = await as.put(`${path}/${row.id}`, body);
      expect(res.status, path).toBe(200);
      // GET of a product adds its tax rates to what PUT answers
      expect(before.row, path).toMatchObject(res.json.data);
      expect(await snapshot(path, row.id), path).toEqual(before);
    }
  });

  it("a role's permissions set to the ones it has", async () => {
    const role = (await as.post("/roles", { name: "Samma roll", permissions: ["products.view", "pos.sell"] })).json.data;
    const before = { feed: await feedOf(role.id), journal: await journalCounts(t.tenantId) };
    const res = await as.put(`/roles/${role.id}/permissions`, { permissions: ["pos.sell", "products.view"] });
    expect(res.status).toBe(200);
    expect(res.json.data.version).toBe(1);
    expect({ feed: await feedOf(role.id), journal: await journalCounts(t.tenantId) }).toEqual(before);
  });

  it("a user given the values and store roles they have, whose sessions live on", async () => {
    const u = await userWith(t, ["products.create"]);
    const current = (await as.get(`/users/${u.id}`)).json.data;
    const before = { feed: await feedOf(u.id), journal: await journalCounts(t.tenantId) };
    const res = await as.put(`/users/${u.id}`, { displayName: current.displayName, isActive: true, storeRoles: current.storeRoles });
    expect(res.status).toBe(200);
    expect(res.json.data.version).toBe(current.version);
    expect({ feed: await feedOf(u.id), journal: await journalCounts(t.tenantId) }).toEqual(before);
    // nothing changed, so the user's session was not ended
    expect((await api("POST", "/api/v1/departments", { token: u.token, body: { name: "Still writing" } })).status).toBe(201);
    // a real change is one
    expect((await as.put(`/users/${u.id}`, { displayName: "Someone else" })).json.data.version).toBe(current.version + 1);
  });

  it("a tax group's rates named again in the same order; another order is a change", async () => {
    const a = (await as.post("/taxes", { name: "Moms A", rate: 2500 })).json.data;
    const b = (await as.post("/taxes", { name: "Moms B", rate: 600 })).json.data;
    const g = (await as.post("/taxes/groups", { name: "Samma grupp", taxRateIds: [a.id, b.id] })).json.data;
    const before = await snapshot("/taxes/groups", g.id);
    const same = await as.put(`/taxes/groups/${g.id}`, { name: "Samma grupp", taxRateIds: [a.id, b.id] });
    expect(same.status).toBe(200);
    expect(same.json.data).toEqual(before.row);
    expect(await snapshot("/taxes/groups", g.id)).toEqual(before);
    const swapped = await as.put(`/taxes/groups/${g.id}`, { taxRateIds: [b.id, a.id] });
    expect(swapped.json.data.version).toBe(2);
    expect(swapped.json.data.rates.map((r: { id: string }) => r.id)).toEqual([b.id, a.id]);
  });

  it("is still 409 when the version sent is stale", async () => {
    const d = (await as.post("/departments", { name: "Gammal" })).json.data;
    await as.put(`/departments/${d.id}`, { name: "Gammal 2" });
    const res = await as.put(`/departments/${d.id}`, {}, { "If-Match": '"1"' });
    expect(res.status).toBe(409);
    expect(res.json.current.version).toBe(2);
  });

  it("a tenant patched with nothing new", async () => {
    const before = (await api("GET", `/api/v1/tenants/${t.tenantId}`, { token: operatorToken })).json.data;
    const counts = await journalCounts(t.tenantId);
    const res = await api("PATCH", `/api/v1/tenants/${t.tenantId}`, { token: operatorToken, body: { name: before.name, corsOrigins: before.corsOrigins } });
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual(before);
    expect(await journalCounts(t.tenantId)).toEqual(counts);
  });
});
