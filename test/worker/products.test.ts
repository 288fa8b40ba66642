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

describe("products: soft delete and bad input", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await createTenant();
  });
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => api(method, `/api/v1${path}`, { token: t.adminToken, body, headers });

  it("delete sets isActive = false as well as deletedAt, and takes the product's store prices and supplier links along", async () => {
    const p = (await call("POST", "/products", { sku: "DEL-1", name: "Mazarin", sellPrice: 2800 })).json.data;
    const sp = (await call("POST", "/store-prices", { storeId: t.storeId, productId: p.id, price: 2500 })).json.data;
    const supplier = (await call("POST", "/suppliers", { name: "Bageriet" })).json.data;
    const link = (await call("POST", `/products/${p.id}/suppliers`, { supplierId: supplier.id })).json.data;
    expect((await call("DELETE", `/products/${p.id}`, undefined, { "If-Match": "1" })).status).toBe(200);

    const row = await env.DB.prepare("SELECT is_active, deleted_at, version FROM products WHERE id = ?").bind(p.id).first<{ is_active: number; deleted_at: number | null; version: number }>();
    expect(row).toMatchObject({ is_active: 0, version: 2 });
    expect(row!.deleted_at).not.toBeNull();
    const spRow = await env.DB.prepare("SELECT deleted_at, version FROM store_prices WHERE id = ?").bind(sp.id).first<{ deleted_at: number | null; version: number }>();
    expect(spRow!.deleted_at).not.toBeNull();
    expect(spRow!.version).toBe(2);
    const feedOf = async (id: string) =>
      (await env.DB.prepare("SELECT entity, op, version, store_id FROM change_feed WHERE entity_id = ? ORDER BY seq").bind(id).all()).results;
    expect(await feedOf(sp.id)).toEqual([
      { entity: "store_price", op: "upsert", version: 1, store_id: t.storeId },
      { entity: "store_price", op: "delete", version: 2, store_id: t.storeId },
    ]);
    expect(await feedOf(link.id)).toEqual([
      { entity: "product_supplier", op: "upsert", version: 1, store_id: null },
      { entity: "product_supplier", op: "delete", version: 2, store_id: null },
    ]);
    expect((await call("GET", `/store-prices?productId=${p.id}`)).json.total).toBe(0);
    expect((await call("GET", `/products/${p.id}/suppliers`)).status).toBe(404);
    // A stale delete of a product that is gone is a 404, not a second delete.
    expect((await call("DELETE", `/products/${p.id}`, undefined, { "If-Match": "2" })).status).toBe(404);
  });

  it("refuses malformed barcodes and negative cost, naming the field", async () => {
    for (const barcode of ["12", "73 100 500", "7310050001234!", "x".repeat(49)]) {
      const res = await call("POST", "/products", { sku: `BC-${crypto.randomUUID().slice(0, 6)}`, barcode, name: "x", sellPrice: 100 });
      expect(res.status, barcode).toBe(400);
      expect(res.json.fields.map((f: { path: string }) => f.path)).toEqual(["barcode"]);
    }
    const cost = await call("POST", "/products", { sku: "COST-1", name: "x", sellPrice: 100, costPrice: -1 });
    expect(cost.json.fields.map((f: { path: string }) => f.path)).toEqual(["costPrice"]);
    const lookup = await call("GET", "/products/barcode/a!");
    expect(lookup.status).toBe(400);
    expect(lookup.json.fields[0].path).toBe("params.barcode");
  });

  it("filters inactive products", async () => {
    const tt = await createTenant();
    await api("POST", "/api/v1/products", { token: tt.adminToken, body: { sku: "ON", name: "On", sellPrice: 1 } });
    await api("POST", "/api/v1/products", { token: tt.adminToken, body: { sku: "OFF", name: "Off", sellPrice: 1, isActive: false } });
    const off = await api("GET", "/api/v1/products?isActive=false", { token: tt.adminToken });
    expect(off.json.data.map((p: { sku: string }) => p.sku)).toEqual(["OFF"]);
    const bad = await api("GET", "/api/v1/products?isActive=maybe", { token: tt.adminToken });
    expect(bad.status).toBe(400);
    expect(bad.json.fields[0].path).toBe("query.isActive");
  });
});

describe("product suppliers", () => {
  let t: TestTenant;
  let product: { id: string };
  let gevalia: { id: string };
  let arvid: { id: string };
  beforeAll(async () => {
    t = await createTenant();
    const post = async (path: string, body: unknown) => (await api("POST", `/api/v1${path}`, { token: t.adminToken, body })).json.data;
    product = await post("/products", { sku: "BEAN-500", name: "Kaffebönor 500 g", sellPrice: 11900 });
    gevalia = await post("/suppliers", { name: "Gevalia", code: "GEV" });
    arvid = await post("/suppliers", { name: "Arvid Nordquist", code: "ARV" });
  });
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => api(method, `/api/v1${path}`, { token: t.adminToken, body, headers });
  const links = async () => (await call("GET", `/products/${product.id}/suppliers`)).json.data as { supplierId: string; isPrimary: boolean; version: number }[];

  it("links, lists (primary first, one round trip), updates with versions and unlinks", async () => {
    const first = await call("POST", `/products/${product.id}/suppliers`, { supplierId: gevalia.id, supplierSku: "GEV-500", costPrice: 6500, isPrimary: true });
    expect(first.status).toBe(201);
    expect(first.json.data).toMatchObject({ productId: product.id, supplierId: gevalia.id, supplierName: "Gevalia", supplierCode: "GEV", supplierSku: "GEV-500", costPrice: 6500, isPrimary: true, version: 1 });
    const again = await call("POST", `/products/${product.id}/suppliers`, { supplierId: gevalia.id });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe("SUPPLIER_ALREADY_LINKED");

    // Making Arvid primary makes Gevalia not primary, with its version bumped and a feed row.
    const second = await call("POST", `/products/${product.id}/suppliers`, { supplierId: arvid.id, isPrimary: true });
    expect(second.json.data).toMatchObject({ supplierName: "Arvid Nordquist", isPrimary: true, supplierSku: null, costPrice: null });
    const list = await call("GET", `/products/${product.id}/suppliers`);
    expect(list.headers.get("Server-Timing")).toMatch(/^d1;count=1;/);
    expect(list.json.data.map((l: { supplierId: string; isPrimary: boolean; version: number }) => [l.supplierId, l.isPrimary, l.version])).toEqual([
      [arvid.id, true, 1],
      [gevalia.id, false, 2],
    ]);
    const gevFeed = await env.DB.prepare("SELECT op, version FROM change_feed WHERE entity = 'product_supplier' AND entity_id = ? ORDER BY seq").bind(first.json.data.id).all();
    expect(gevFeed.results).toEqual([{ op: "upsert", version: 1 }, { op: "upsert", version: 2 }]);

    // PUT by supplier id: a stale version is 409 with the current link; making Gevalia primary again demotes Arvid.
    const stale = await call("PUT", `/products/${product.id}/suppliers/${gevalia.id}`, { version: 1, costPrice: 6000 });
    expect(stale.status).toBe(409);
    expect(stale.json.current).toMatchObject({ supplierId: gevalia.id, version: 2 });
    const updated = await call("PUT", `/products/${product.id}/suppliers/${gevalia.id}`, { version: 2, costPrice: 6000, isPrimary: true });
    expect(updated.json.data).toMatchObject({ costPrice: 6000, isPrimary: true, version: 3, supplierName: "Gevalia", supplierSku: "GEV-500" });
    expect((await links()).map((l) => [l.supplierId, l.isPrimary])).toEqual([[gevalia.id, true], [arvid.id, false]]);
    const negative = await call("PUT", `/products/${product.id}/suppliers/${gevalia.id}`, { costPrice: -1 });
    expect(negative.status).toBe(400);
    expect(negative.json.fields[0].path).toBe("costPrice");

    const gone = await call("DELETE", `/products/${product.id}/suppliers/${arvid.id}`, undefined, { "If-Match": "1" });
    expect(gone.status).toBe(409);
    const arvidVersion = (await links()).find((l) => l.supplierId === arvid.id)!.version;
    expect((await call("DELETE", `/products/${product.id}/suppliers/${arvid.id}`, undefined, { "If-Match": String(arvidVersion) })).status).toBe(200);
    expect((await links()).map((l) => l.supplierId)).toEqual([gevalia.id]);
    expect((await call("PUT", `/products/${product.id}/suppliers/${arvid.id}`, { supplierSku: "X" })).status).toBe(404);
    // Unlinked, it can be linked again.
    expect((await call("POST", `/products/${product.id}/suppliers`, { supplierId: arvid.id })).status).toBe(201);
  });

  it("refuses another tenant's supplier (422 naming it) and another tenant's product (404)", async () => {
    const other = await createTenant();
    const theirSupplier = (await api("POST", "/api/v1/suppliers", { token: other.adminToken, body: { name: "Theirs" } })).json.data;
    const res = await call("POST", `/products/${product.id}/suppliers`, { supplierId: theirSupplier.id });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ code: "UNKNOWN_REFERENCE", fields: [{ path: "supplierId", message: "is not a supplier of this tenant" }] });
    const theirProduct = (await api("POST", "/api/v1/products", { token: other.adminToken, body: { sku: "T-1", name: "T", sellPrice: 1 } })).json.data;
    expect((await call("GET", `/products/${theirProduct.id}/suppliers`)).status).toBe(404);
    expect((await call("POST", `/products/${theirProduct.id}/suppliers`, { supplierId: gevalia.id })).status).toBe(404);
    const badId = await call("GET", "/products/not-a-uuid/suppliers");
    expect(badId.status).toBe(400);
    expect(badId.json.fields[0].path).toBe("params.productId");
  });
});
