import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { insertProduct, paths, rowCount } from "./catalogue-fixtures";
import { api, createTenant, d1Count, insertDepartment, insertTaxGroup, journalCounts, userWith, type TestTenant } from "./helpers";

describe("worksheets", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await createTenant();
  });
  const product = async (sku: string, sellPrice: number) =>
    (await api("POST", "/api/v1/products", { token: t.adminToken, body: { sku, name: sku, sellPrice } })).json.data as { id: string; version: number };
  const sheet = (body: Record<string, unknown>, token = t.adminToken) => api("POST", "/api/v1/worksheets", { token, body });
  const step = (id: string, action: string, body?: unknown, token = t.adminToken) => api("PATCH", `/api/v1/worksheets/${id}/${action}`, { token, body });
  const getProduct = async (id: string) => (await api("GET", `/api/v1/products/${id}`, { token: t.adminToken })).json.data;

  it("goes draft → submitted → approved → applied, changing every product in one write", async () => {
    const a = await product("WS-A", 1000);
    const b = await product("WS-B", 2000);
    const created = await sheet({ kind: "price_change", name: "Price rise", items: [{ productId: a.id, sellPrice: 1100 }, { productId: b.id, sellPrice: 2200, costPrice: 1500 }] });
    expect(created.status).toBe(201);
    expect(created.json.data).toMatchObject({ status: "draft", kind: "price_change", createdBy: t.adminId });
    const id = created.json.data.id;
    expect((await step(id, "submit")).json.data).toMatchObject({ status: "submitted", submittedBy: t.adminId });
    expect((await step(id, "approve")).json.data).toMatchObject({ status: "approved", reviewedBy: t.adminId });
    const applied = await step(id, "apply");
    expect(applied.status).toBe(200);
    expect(applied.json.data).toMatchObject({ status: "applied", appliedBy: t.adminId });
    expect(applied.json.data.appliedAt).toMatch(/^\d{4}-/);
    // read the sheet and its items, read what they reference, write: three round trips
    expect(applied.headers.get("Server-Timing")).toMatch(/^d1;count=3;/);
    expect(await getProduct(a.id)).toMatchObject({ sellPrice: 1100, version: 2 });
    expect(await getProduct(b.id)).toMatchObject({ sellPrice: 2200, costPrice: 1500, version: 2 });
    const { results } = await env.DB.prepare("SELECT entity_id, version FROM change_feed WHERE entity = 'product' AND entity_id IN (?, ?) AND version = 2").bind(a.id, b.id).all();
    expect(results).toHaveLength(2);
  });

  it("refuses transitions from the wrong state with 409 INVALID_STATE", async () => {
    const p = await product("WS-C", 1000);
    const id = (await sheet({ kind: "deactivate", name: "Retire", items: [{ productId: p.id }] })).json.data.id;
    for (const action of ["approve", "reject", "apply"]) {
      const res = await step(id, action, action === "reject" ? { reason: "no" } : undefined);
      expect(res.status).toBe(409);
      expect(res.json.code).toBe("INVALID_STATE");
    }
    await step(id, "submit");
    expect((await step(id, "submit")).json.code).toBe("INVALID_STATE");
    expect((await api("PUT", `/api/v1/worksheets/${id}`, { token: t.adminToken, body: { kind: "deactivate", name: "x", items: [] } })).json.code).toBe("INVALID_STATE");
    expect((await api("DELETE", `/api/v1/worksheets/${id}`, { token: t.adminToken })).json.code).toBe("INVALID_STATE");
  });

  it("can be rejected with a reason, edited back to a draft and resubmitted", async () => {
    const p = await product("WS-D", 1000);
    const id = (await sheet({ kind: "deactivate", name: "Retire", items: [{ productId: p.id }] })).json.data.id;
    await step(id, "submit");
    const rejected = await step(id, "reject", { reason: "Wrong product" });
    expect(rejected.json.data).toMatchObject({ status: "rejected", rejectionReason: "Wrong product" });
    const edited = await api("PUT", `/api/v1/worksheets/${id}`, { token: t.adminToken, body: { kind: "deactivate", name: "Retire (fixed)", items: [{ productId: p.id }] } });
    expect(edited.json.data).toMatchObject({ status: "draft", name: "Retire (fixed)", rejectionReason: null });
    const kindChange = await api("PUT", `/api/v1/worksheets/${id}`, { token: t.adminToken, body: { kind: "tax_change", name: "x", items: [] } });
    expect(kindChange.status).toBe(422);
    expect((await step(id, "submit")).json.data.status).toBe("submitted");
  });

  it("applies nothing when a product changed since (409) or is gone (422)", async () => {
    const a = await product("WS-E", 1000);
    const b = await product("WS-F", 1000);
    const id = (await sheet({ kind: "price_change", name: "Both", items: [{ productId: a.id, sellPrice: 1500 }, { productId: b.id, sellPrice: 1500 }] })).json.data.id;
    await step(id, "submit");
    await step(id, "approve");
    // b is deleted after approval: the apply must not half-happen
    await api("DELETE", `/api/v1/products/${b.id}`, { token: t.adminToken });
    const gone = await step(id, "apply");
    expect(gone.status).toBe(422);
    expect(gone.json.fields).toEqual([{ path: "items.1.productId", message: "no longer exists" }]);
    expect((await getProduct(a.id)).sellPrice).toBe(1000);
    expect((await api("GET", `/api/v1/worksheets/${id}`, { token: t.adminToken })).json.data.status).toBe("approved");
  });

  it("applies store prices, product updates, tax changes and new products", async () => {
    const p = await product("WS-G", 1000);
    const q = await product("WS-H", 1000);
    const group = await insertTaxGroup(t.tenantId, "Moms 6", [{ name: "Moms", millionths: 60_000 }]);
    const s2 = (await api("POST", "/api/v1/stores", { token: t.adminToken, body: { code: "WS2", name: "Two", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true } })).json.data;
    const run = async (body: Record<string, unknown>) => {
      const id = (await sheet(body)).json.data.id;
      await step(id, "submit");
      await step(id, "approve");
      const res = await step(id, "apply");
      expect(res.status, JSON.stringify(res.json)).toBe(200);
    };
    await run({ kind: "price_change", name: "S2 prices", storeIds: [s2.id], items: [{ productId: p.id, sellPrice: 900 }] });
    expect((await getProduct(p.id)).sellPrice).toBe(1000);
    const storePrice = await env.DB.prepare("SELECT price, version FROM store_prices WHERE store_id = ? AND product_id = ?").bind(s2.id, p.id).first();
    expect(storePrice).toEqual({ price: 900, version: 1 });
    await run({ kind: "price_change", name: "S2 again", storeIds: [s2.id], items: [{ productId: p.id, sellPrice: 850 }] });
    expect(await env.DB.prepare("SELECT price, version FROM store_prices WHERE store_id = ? AND product_id = ?").bind(s2.id, p.id).first()).toEqual({ price: 850, version: 2 });

    await run({ kind: "product_update", name: "Rename", items: [{ productId: p.id, changes: { name: "Kaffe bryggt", trackStock: false } }] });
    expect(await getProduct(p.id)).toMatchObject({ name: "Kaffe bryggt", trackStock: false });
    await run({ kind: "tax_change", name: "Food VAT", items: [{ productId: q.id, taxGroupId: group }] });
    expect((await getProduct(q.id)).taxRates[0].rateMillionths).toBe(60_000);
    await run({ kind: "new_product", name: "Launch", items: [{ product: { sku: "WS-NEW", name: "Äppeljuice", sellPrice: 2500 } }] });
    const found = await api("GET", "/api/v1/products?search=WS-NEW", { token: t.adminToken });
    expect(found.json.data).toMatchObject([{ name: "Äppeljuice", sellPrice: 2500 }]);
  });

  it("keeps the steps to their permissions", async () => {
    const p = await product("WS-I", 1000);
    const author = await userWith(t, ["worksheets.create", "worksheets.submit", "worksheets.view"]);
    const id = (await sheet({ kind: "deactivate", name: "Mine", items: [{ productId: p.id }] }, author.token)).json.data.id;
    expect((await step(id, "submit", undefined, author.token)).status).toBe(200);
    expect((await step(id, "approve", undefined, author.token)).status).toBe(403);
    expect((await step(id, "approve")).status).toBe(200);
    expect((await step(id, "apply", undefined, author.token)).status).toBe(403);
  });

  it("validates items by kind, naming the field", async () => {
    const bad = await sheet({ kind: "price_change", name: "Bad", items: [{ productId: crypto.randomUUID(), sellPrice: -1 }] });
    expect(bad.status).toBe(400);
    expect(bad.json.fields.map((f: { path: string }) => f.path)).toContain("items.0.sellPrice");
    const unknownKind = await sheet({ kind: "discount", name: "x", items: [] });
    expect(unknownKind.status).toBe(400);
    const empty = (await sheet({ kind: "deactivate", name: "Empty", items: [] })).json.data.id;
    expect((await step(empty, "submit")).json.code).toBe("EMPTY_WORKSHEET");
  });
});

describe("worksheet references, checked when written", () => {
  let t: TestTenant;
  let other: TestTenant;
  let mine: string[];
  let theirs: string;
  beforeAll(async () => {
    t = await createTenant();
    other = await createTenant();
    mine = [];
    for (const sku of ["REF-A", "REF-B", "REF-C", "REF-D"]) mine.push((await api("POST", "/api/v1/products", { token: t.adminToken, body: { sku, name: sku, sellPrice: 1000 } })).json.data.id);
    theirs = (await api("POST", "/api/v1/products", { token: other.adminToken, body: { sku: "THEIRS", name: "Theirs", sellPrice: 1000 } })).json.data.id;
  });
  const create = (body: Record<string, unknown>) => api("POST", "/api/v1/worksheets", { token: t.adminToken, body: { name: "Refs", ...body } });
  const put = (id: string, body: Record<string, unknown>) => api("PUT", `/api/v1/worksheets/${id}`, { token: t.adminToken, body: { name: "Refs", ...body } });
  const written = async () => ({ sheets: await rowCount("worksheets", t.tenantId), items: await rowCount("worksheet_items", t.tenantId), ...(await journalCounts(t.tenantId)) });
  const itemsNaming = (productIds: string[], kind: string) =>
    productIds.map((productId) => ({ price_change: { productId, sellPrice: 900 }, product_update: { productId, changes: { name: "Renamed" } }, tax_change: { productId, taxGroupId: null }, deactivate: { productId } })[kind]);

  for (const kind of ["price_change", "product_update", "tax_change", "deactivate"]) {
    it(`${kind}: an unknown product or another tenant's is 422 naming the item, at create and at update, writing nothing`, async () => {
      const before = await written();
      const res = await create({ kind, items: itemsNaming([mine[0]!, mine[1]!, crypto.randomUUID(), theirs], kind) });
      expect(res.status, JSON.stringify(res.json)).toBe(422);
      expect(res.json.code).toBe("UNKNOWN_REFERENCE");
      expect(res.json.fields).toEqual([
        { path: "items.2.productId", message: "is not a product of this tenant" },
        { path: "items.3.productId", message: "is not a product of this tenant" },
      ]);
      expect(await written()).toEqual(before);

      const draft = await create({ kind, items: itemsNaming([mine[0]!], kind) });
      expect(draft.status).toBe(201);
      // the references are read in one round trip before the write
      expect(d1Count(draft)).toBe(2);
      const afterDraft = await written();
      const bad = await put(draft.json.data.id, { kind, items: itemsNaming([theirs, mine[1]!], kind) });
      expect(bad.status).toBe(422);
      expect(paths(bad)).toEqual(["items.0.productId"]);
      expect(await written()).toEqual(afterDraft);
      expect((await api("GET", `/api/v1/worksheets/${draft.json.data.id}`, { token: t.adminToken })).json.data).toMatchObject({ version: 1, items: [{ productId: mine[0] }] });
    });
  }

  it("a soft-deleted product is unknown too", async () => {
    const gone = await insertProduct(t.tenantId, { deleted: true });
    const res = await create({ kind: "deactivate", items: [{ productId: gone }] });
    expect(res.status).toBe(422);
    expect(paths(res)).toEqual(["items.0.productId"]);
  });

  it("departments and tax groups named by product updates, tax changes and new products must be the tenant's (422 naming the field)", async () => {
    const dept = await insertDepartment(t.tenantId, "Bageri");
    const group = await insertTaxGroup(t.tenantId, "Moms 12", [{ name: "Moms", millionths: 120_000 }]);
    const theirDept = await insertDepartment(other.tenantId, "Their dept");
    const theirGroup = await insertTaxGroup(other.tenantId, "Their group", [{ name: "Moms", millionths: 250_000 }]);
    const before = await written();

    const update = await create({
      kind: "product_update",
      items: [
        { productId: mine[0], changes: { departmentId: dept, taxGroupId: group } },
        { productId: mine[1], changes: { departmentId: theirDept } },
        { productId: mine[2], changes: { taxGroupId: crypto.randomUUID(), departmentId: null } },
      ],
    });
    expect(update.status).toBe(422);
    expect(update.json.code).toBe("UNKNOWN_REFERENCE");
    expect(update.json.fields).toEqual([
      { path: "items.1.changes.departmentId", message: "is not a department of this tenant" },
      { path: "items.2.changes.taxGroupId", message: "is not a tax group of this tenant" },
    ]);

    const tax = await create({ kind: "tax_change", items: [{ productId: mine[0], taxGroupId: group }, { productId: mine[1], taxGroupId: theirGroup }] });
    expect(tax.status).toBe(422);
    expect(paths(tax)).toEqual(["items.1.taxGroupId"]);

    const launch = await create({
      kind: "new_product",
      items: [
        { product: { sku: "NEW-1", name: "New 1", sellPrice: 100, departmentId: dept, taxGroupId: group } },
        { product: { sku: "NEW-2", name: "New 2", sellPrice: 100, departmentId: crypto.randomUUID(), taxGroupId: theirGroup } },
      ],
    });
    expect(launch.status).toBe(422);
    expect(paths(launch)).toEqual(["items.1.product.departmentId", "items.1.product.taxGroupId"]);
    expect(await written()).toEqual(before);

    // and at update
    const draft = (await create({ kind: "tax_change", items: [{ productId: mine[0], taxGroupId: group }] })).json.data;
    const bad = await put(draft.id, { kind: "tax_change", items: [{ productId: mine[0], taxGroupId: theirGroup }] });
    expect(bad.status).toBe(422);
    expect(paths(bad)).toEqual(["items.0.taxGroupId"]);
  });

  it("stores must be the tenant's, at create and update", async () => {
    const res = await create({ kind: "price_change", storeIds: [t.storeId, other.storeId], items: [{ productId: mine[0], sellPrice: 900 }] });
    expect(res.status).toBe(422);
    expect(paths(res)).toEqual(["storeIds.1"]);
    const draft = (await create({ kind: "price_change", storeIds: [t.storeId], items: [{ productId: mine[0], sellPrice: 900 }] })).json.data;
    expect(paths(await put(draft.id, { kind: "price_change", storeIds: [other.storeId], items: [{ productId: mine[0], sellPrice: 900 }] }))).toEqual(["storeIds.0"]);
  });

  it("a new product whose id is taken (own live, own deleted, another tenant's) is 409 ID_TAKEN naming the item, at create and update", async () => {
    const deleted = await insertProduct(t.tenantId, { deleted: true });
    const before = await written();
    const fresh = crypto.randomUUID();
    const launch = (ids: string[]) => ({ kind: "new_product", items: ids.map((id, i) => ({ product: { id, sku: `TAKEN-${i}-${id.slice(0, 4)}`, name: "New", sellPrice: 100 } })) });
    const res = await create(launch([fresh, mine[0]!, deleted, theirs]));
    expect(res.status, JSON.stringify(res.json)).toBe(409);
    expect(res.json.code).toBe("ID_TAKEN");
    expect(res.json.fields).toEqual([
      { path: "items.1.product.id", message: "is already used by a product" },
      { path: "items.2.product.id", message: "is already used by a product" },
      { path: "items.3.product.id", message: "is already used by a product" },
    ]);
    expect(await written()).toEqual(before);

    const draft = await create(launch([fresh]));
    expect(draft.status).toBe(201);
    const bad = await put(draft.json.data.id, launch([fresh, theirs]));
    expect(bad.status).toBe(409);
    expect(bad.json.code).toBe("ID_TAKEN");
    expect(paths(bad)).toEqual(["items.1.product.id"]);
  });

  it("a new-product worksheet naming one id or SKU twice is 400", async () => {
    const id = crypto.randomUUID();
    const twice = await create({ kind: "new_product", items: [{ product: { id, sku: "DUP-1", name: "A", sellPrice: 1 } }, { product: { id, sku: "DUP-2", name: "B", sellPrice: 1 } }] });
    expect(twice.status).toBe(400);
    expect(paths(twice)).toEqual(["items.1.product.id"]);
    const sku = await create({ kind: "new_product", items: [{ product: { sku: "DUP-1", name: "A", sellPrice: 1 } }, { product: { sku: "dup-1 ", name: "B", sellPrice: 1 } }, { product: { sku: "DUP-1", name: "C", sellPrice: 1 } }] });
    expect(sku.status).toBe(400);
    expect(paths(sku)).toEqual(["items.2.product.sku"]);
  });
});
