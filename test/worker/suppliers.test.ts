import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { client, insertProduct, paths, rowCount } from "./catalogue-fixtures";
import { auditOf, createTenant, d1Count, feedOf, journalCounts, userWith, type TestTenant } from "./helpers";

let t: TestTenant;
let other: TestTenant;
let as: ReturnType<typeof client>;
beforeAll(async () => {
  [t, other] = await Promise.all([createTenant(), createTenant()]);
  as = client(t.adminToken);
});

const names = (res: { json: { data: { name: string }[] } }) => res.json.data.map((s) => s.name);

/** A product–supplier link straight into D1. */
async function insertLink(tenantId: string, productId: string, supplierId: string) {
  const id = crypto.randomUUID();
  const now = Date.now();
  await env.DB.prepare("INSERT INTO product_suppliers (id, tenant_id, product_id, supplier_id, is_primary, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 1, ?, ?)")
    .bind(id, tenantId, productId, supplierId, now, now).run();
  return id;
}

describe("suppliers", () => {
  it("create with every field, or with only a name (the rest null), journalled in the batch", async () => {
    const before = await journalCounts(t.tenantId);
    const full = await as.post("/suppliers", {
      name: "Gevalia", code: "GEV", contactName: "Eva", email: "order@gevalia.example", phone: "08-123 45", address: "Gävle", notes: "Tuesdays",
    });
    expect(full.status).toBe(201);
    expect(full.json.data).toEqual({
      id: expect.any(String), name: "Gevalia", code: "GEV", contactName: "Eva", email: "order@gevalia.example", phone: "08-123 45",
      address: "Gävle", notes: "Tuesdays", isActive: true, version: 1, createdAt: expect.any(String), updatedAt: expect.any(String),
    });
    expect(d1Count(full)).toBe(1);
    expect(await feedOf(full.json.data.id)).toMatchObject([{ tenant_id: t.tenantId, entity: "supplier", op: "upsert", version: 1 }]);
    expect(await auditOf(full.json.data.id)).toMatchObject([{ action: "supplier.create", actor_id: t.adminId }]);
    expect(await journalCounts(t.tenantId)).toEqual({ feed: before.feed + 1, audit: before.audit + 1 });

    const bare = await as.post("/suppliers", { name: "Bare" });
    expect(bare.json.data).toMatchObject({ code: null, contactName: null, email: null, phone: null, address: null, notes: null, isActive: true });
    expect((await as.get(`/suppliers/${full.json.data.id}`)).json.data).toEqual(full.json.data);
  });

  it("refuse bad input with 400 naming the field", async () => {
    const before = await rowCount("suppliers", t.tenantId);
    expect(paths(await as.post("/suppliers", { code: "X" }))).toEqual(["name"]);
    expect(paths(await as.post("/suppliers", { name: "X", email: "not an email" }))).toEqual(["email"]);
    expect(paths(await as.post("/suppliers", { name: "X", code: "with space" }))).toEqual(["code"]);
    expect(paths(await as.post("/suppliers", { name: "X", notes: "n".repeat(2001) }))).toEqual(["notes"]);
    expect(paths(await as.put(`/suppliers/${crypto.randomUUID()}`, { version: 0 }))).toEqual(["version"]);
    expect(await rowCount("suppliers", t.tenantId)).toBe(before);
  });

  it("keep codes unique per tenant (409 SUPPLIER_CODE_TAKEN); suppliers without a code do not clash", async () => {
    await as.post("/suppliers", { name: "Arla", code: "ARLA" });
    const dup = await as.post("/suppliers", { name: "Arla Foods", code: "ARLA" });
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe("SUPPLIER_CODE_TAKEN");
    const s = (await as.post("/suppliers", { name: "Skånemejerier" })).json.data;
    expect((await as.post("/suppliers", { name: "Skånemejerier" })).status).toBe(201);
    expect((await as.put(`/suppliers/${s.id}`, { code: "ARLA" })).json.code).toBe("SUPPLIER_CODE_TAKEN");
    expect((await client(other.adminToken).post("/suppliers", { name: "Arla", code: "ARLA" })).status).toBe(201);
  });

  it("update with versions; a stale one is 409 with the current supplier and writes nothing", async () => {
    const s = (await as.post("/suppliers", { name: "Löfbergs", phone: "054-1" })).json.data;
    const v2 = await as.put(`/suppliers/${s.id}`, { version: 1, phone: null, contactName: "Anna" });
    expect(v2.json.data).toMatchObject({ name: "Löfbergs", phone: null, contactName: "Anna", version: 2 });
    const before = await journalCounts(t.tenantId);
    const stale = await as.put(`/suppliers/${s.id}`, { contactName: "Lost" }, { "If-Match": "1" });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe("VERSION_CONFLICT");
    expect(stale.json.current).toEqual(v2.json.data);
    expect(await journalCounts(t.tenantId)).toEqual(before);
    expect((await feedOf(s.id)).map((f) => f.version)).toEqual([1, 2]);
  });

  it("list a page in one round trip, by name, searching name, code and contact", async () => {
    const tt = await createTenant();
    const c = client(tt.adminToken);
    for (const body of [
      { name: "Zoégas", code: "ZOE" }, { name: "Arvid Nordquist", contactName: "Bertil" }, { name: "Bertils Bröd" },
      { name: "Coop Grossist", isActive: false }, { name: "Bertils Bröd" },
    ]) {
      expect((await c.post("/suppliers", body)).status).toBe(201);
    }
    const all = await c.get("/suppliers");
    expect(names(all)).toEqual(["Arvid Nordquist", "Bertils Bröd", "Bertils Bröd", "Coop Grossist", "Zoégas"]);
    expect(d1Count(all)).toBe(1);
    expect(names(await c.get("/suppliers?search=bertil"))).toEqual(["Arvid Nordquist", "Bertils Bröd", "Bertils Bröd"]);
    expect(names(await c.get("/suppliers?search=ZOE"))).toEqual(["Zoégas"]);
    expect(names(await c.get("/suppliers?isActive=false"))).toEqual(["Coop Grossist"]);
    // two suppliers of the same name still page without repeating or skipping one
    const p1 = await c.get("/suppliers?pageSize=2&page=1");
    const p2 = await c.get("/suppliers?pageSize=2&page=2");
    const p3 = await c.get("/suppliers?pageSize=2&page=3");
    expect(d1Count(p2)).toBe(1);
    expect(p2.json).toMatchObject({ total: 5, page: 2, pageSize: 2 });
    const seen = [...p1.json.data, ...p2.json.data, ...p3.json.data].map((s: { id: string }) => s.id);
    expect(new Set(seen).size).toBe(5);
    // a % in the search is a literal, not a wildcard
    expect(names(await c.get(`/suppliers?search=${encodeURIComponent("%")}`))).toEqual([]);
  });

  it("answer 404 for another tenant's supplier", async () => {
    const theirs = (await client(other.adminToken).post("/suppliers", { name: "Theirs" })).json.data;
    expect((await as.get(`/suppliers/${theirs.id}`)).status).toBe(404);
    expect((await as.put(`/suppliers/${theirs.id}`, { name: "Mine" })).status).toBe(404);
    expect((await as.del(`/suppliers/${theirs.id}`)).status).toBe(404);
    expect((await client(other.adminToken).get(`/suppliers/${theirs.id}`)).json.data.name).toBe("Theirs");
  });

  it("delete (soft), taking the supplier's product links with it in the same batch", async () => {
    const s = (await as.post("/suppliers", { name: "Going", code: "GONE" })).json.data;
    const keep = (await as.post("/suppliers", { name: "Staying" })).json.data;
    const productId = await insertProduct(t.tenantId, {});
    const link = await insertLink(t.tenantId, productId, s.id);
    const otherLink = await insertLink(t.tenantId, productId, keep.id);

    expect((await as.del(`/suppliers/${s.id}`, undefined, { "If-Match": "2" })).status).toBe(409);
    expect((await env.DB.prepare("SELECT deleted_at FROM product_suppliers WHERE id = ?").bind(link).first<{ deleted_at: number | null }>())!.deleted_at).toBeNull();

    const res = await as.del(`/suppliers/${s.id}`, undefined, { "If-Match": "1" });
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual({ id: s.id, deleted: true });
    expect(d1Count(res)).toBeLessThanOrEqual(2);
    expect((await as.get(`/suppliers/${s.id}`)).status).toBe(404);
    expect((await feedOf(s.id)).map((f) => [f.entity, f.op, f.version])).toEqual([["supplier", "upsert", 1], ["supplier", "delete", 2]]);

    const links = (await env.DB.prepare("SELECT id, version, deleted_at FROM product_suppliers WHERE product_id = ?").bind(productId).all<{ id: string; version: number; deleted_at: number | null }>()).results;
    expect(links.find((l) => l.id === link)).toMatchObject({ version: 2, deleted_at: expect.any(Number) });
    expect(links.find((l) => l.id === otherLink)).toMatchObject({ version: 1, deleted_at: null });
    expect(await feedOf(link)).toMatchObject([{ tenant_id: t.tenantId, entity: "product_supplier", op: "delete", version: 2 }]);
    expect(await feedOf(otherLink)).toEqual([]);
    // the code is free again
    expect((await as.post("/suppliers", { name: "Back", code: "GONE" })).status).toBe(201);
  });

  it("take the spec's suppliers.* permissions", async () => {
    const viewer = client((await userWith(t, ["suppliers.view"])).token);
    const creator = client((await userWith(t, ["suppliers.create"])).token);
    const editor = client((await userWith(t, ["suppliers.edit"])).token);
    const deleter = client((await userWith(t, ["suppliers.delete"])).token);
    const s = await creator.post("/suppliers", { name: "Perm" });
    expect(s.status).toBe(201);
    expect((await viewer.get(`/suppliers/${s.json.data.id}`)).status).toBe(200);
    expect((await creator.get("/suppliers")).status).toBe(403);
    expect((await editor.put(`/suppliers/${s.json.data.id}`, { name: "Perm 2" })).status).toBe(200);
    expect((await editor.del(`/suppliers/${s.json.data.id}`)).status).toBe(403);
    expect((await deleter.del(`/suppliers/${s.json.data.id}`)).status).toBe(200);
  });
});
