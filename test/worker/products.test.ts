import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createTenant, insertDepartment, insertTaxGroup, type TestTenant } from "./helpers";

const feed = async (entityId: string) =>
  (await env.DB.prepare("SELECT op, version FROM change_feed WHERE entity_id = ? ORDER BY seq").bind(entityId).all()).results;

describe("products", () => {
  let t: TestTenant;
  let drinks: string;
  let vat: string;
  beforeAll(async () => {
    t = await createTenant();
    drinks = await insertDepartment(t.tenantId, "Drycker");
    vat = await insertTaxGroup(t.tenantId, "Moms 12 %", [{ name: "Moms", millionths: 120_000 }]);
  });
  const create = (body: Record<string, unknown>, token = t.adminToken) => api("POST", "/api/v1/products", { token, body });

  it("creates a product and reads it back with its tax rates", async () => {
    const res = await create({ sku: "KAF-001", barcode: "7310050001234", name: "Kaffe bryggt", departmentId: drinks, taxGroupId: vat, costPrice: 800, sellPrice: 3500 });
    expect(res.status).toBe(201);
    expect(res.json.data).toMatchObject({ sku: "KAF-001", name: "Kaffe bryggt", sellPrice: 3500, costPrice: 800, trackStock: true, isActive: true, version: 1 });
    const got = await api("GET", `/api/v1/products/${res.json.data.id}`, { token: t.adminToken });
    expect(got.json.data.taxRates).toMatchObject([{ rate: 1200, rateMillionths: 120_000, isCompound: false, sortOrder: 0 }]);
    expect(got.headers.get("Server-Timing")).toMatch(/^d1;count=1;/);
    const byBarcode = await api("GET", "/api/v1/products/barcode/7310050001234", { token: t.adminToken });
    expect(byBarcode.json.data.id).toBe(res.json.data.id);
    expect((await api("GET", "/api/v1/products/barcode/0000000000", { token: t.adminToken })).status).toBe(404);
    expect(await feed(res.json.data.id)).toEqual([{ op: "upsert", version: 1 }]);
  });

  it("keeps SKU and barcode unique per tenant, not across tenants", async () => {
    await create({ sku: "UNQ-1", barcode: "1111222233334", name: "A", sellPrice: 100 });
    const sku = await create({ sku: "UNQ-1", name: "B", sellPrice: 100 });
    expect(sku.status).toBe(409);
    expect(sku.json.code).toBe("SKU_TAKEN");
    const barcode = await create({ sku: "UNQ-2", barcode: "1111222233334", name: "B", sellPrice: 100 });
    expect(barcode.status).toBe(409);
    expect(barcode.json.code).toBe("BARCODE_TAKEN");
    const other = await createTenant();
    expect((await create({ sku: "UNQ-1", barcode: "1111222233334", name: "A", sellPrice: 100 }, other.adminToken)).status).toBe(201);
  });

  it("names the field of bad input and of unknown references", async () => {
    const negative = await create({ sku: "NEG", name: "x", sellPrice: -5 });
    expect(negative.status).toBe(400);
    expect(negative.json.fields.map((f: { path: string }) => f.path)).toEqual(["sellPrice"]);
    const fractional = await create({ sku: "FRAC", name: "x", sellPrice: 12.5 });
    expect(fractional.json.fields[0].path).toBe("sellPrice");
    const other = await createTenant();
    const foreignDept = await insertDepartment(other.tenantId, "Theirs");
    const refs = await create({ sku: "REF", name: "x", sellPrice: 100, departmentId: foreignDept, taxGroupId: crypto.randomUUID() });
    expect(refs.status).toBe(422);
    expect(refs.json.fields.map((f: { path: string }) => f.path)).toEqual(["departmentId", "taxGroupId"]);
  });

  it("updates with versions, toggles active, soft deletes (freeing the SKU)", async () => {
    const p = (await create({ sku: "LIFE-1", name: "Smörgås", sellPrice: 4500 })).json.data;
    const upd = await api("PUT", `/api/v1/products/${p.id}`, { token: t.adminToken, body: { version: 1, sellPrice: 4900 } });
    expect(upd.json.data).toMatchObject({ sellPrice: 4900, name: "Smörgås", version: 2 });
    const stale = await api("PUT", `/api/v1/products/${p.id}`, { token: t.adminToken, body: { version: 1, sellPrice: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.json.current.sellPrice).toBe(4900);
    const off = await api("PATCH", `/api/v1/products/${p.id}/toggle-active`, { token: t.adminToken, headers: { "If-Match": "2" } });
    expect(off.json.data).toMatchObject({ isActive: false, version: 3 });
    const del = await api("DELETE", `/api/v1/products/${p.id}`, { token: t.adminToken, headers: { "If-Match": "3" } });
    expect(del.status).toBe(200);
    expect((await api("GET", `/api/v1/products/${p.id}`, { token: t.adminToken })).status).toBe(404);
    expect(await feed(p.id)).toEqual([
      { op: "upsert", version: 1 }, { op: "upsert", version: 2 }, { op: "upsert", version: 3 }, { op: "delete", version: 4 },
    ]);
    expect((await create({ sku: "LIFE-1", name: "Smörgås ny", sellPrice: 4500 })).status).toBe(201);
  });

  it("lists with search over name, SKU and barcode, filters, and one round trip", async () => {
    const tt = await createTenant();
    const dept = await insertDepartment(tt.tenantId, "Frukt");
    const made = [
      { sku: "JUI-1", barcode: "7350001000011", name: "Äppeljuice", sellPrice: 2500, departmentId: dept },
      { sku: "JUI-2", barcode: "7350001000028", name: "Apelsinjuice", sellPrice: 2500, departmentId: dept, isActive: false },
      { sku: "BRD-1", barcode: "7350002000010", name: "Bröd", sellPrice: 3000 },
    ];
    for (const body of made) await create(body, tt.adminToken);
    const list = async (q: string) => (await api("GET", `/api/v1/products?${q}`, { token: tt.adminToken })).json;
    expect((await list("search=juice")).data.map((p: { sku: string }) => p.sku)).toEqual(["JUI-2", "JUI-1"]);
    expect((await list("search=BRD")).data.map((p: { sku: string }) => p.sku)).toEqual(["BRD-1"]);
    expect((await list("search=7350001000028")).data.map((p: { sku: string }) => p.sku)).toEqual(["JUI-2"]);
    expect((await list(`departmentId=${dept}&isActive=true`)).data.map((p: { sku: string }) => p.sku)).toEqual(["JUI-1"]);
    const page = await api("GET", "/api/v1/products?pageSize=200", { token: tt.adminToken });
    expect(page.json.total).toBe(3);
    expect(page.headers.get("Server-Timing")).toMatch(/^d1;count=1;/);
  });
});
