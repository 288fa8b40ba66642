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

const names = (res: { json: { data: { name: string }[] } }) => res.json.data.map((d) => d.name);

describe("departments", () => {
  it("creates a department in one batch, with its change-feed row and audit entry", async () => {
    const before = await journalCounts(t.tenantId);
    const res = await as.post("/departments", { name: "  Bageri ", code: "BAK" });
    expect(res.status).toBe(201);
    expect(res.json.data).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: "Bageri", code: "BAK", isActive: true, version: 1,
      createdAt: expect.any(String), updatedAt: expect.any(String),
    });
    expect(d1Count(res)).toBe(1);
    const id = res.json.data.id;
    expect(await feedOf(id)).toEqual([{ seq: expect.any(Number), tenant_id: t.tenantId, store_id: null, entity: "department", entity_id: id, op: "upsert", version: 1 }]);
    expect(await auditOf(id)).toMatchObject([{ tenant_id: t.tenantId, actor_id: t.adminId, action: "department.create" }]);
    expect(await journalCounts(t.tenantId)).toEqual({ feed: before.feed + 1, audit: before.audit + 1 });
    expect((await as.get(`/departments/${id}`)).json.data).toEqual(res.json.data);
  });

  it("answers null for a code left out, and lets several departments have none", async () => {
    const a = await as.post("/departments", { name: "Utan kod A" });
    const b = await as.post("/departments", { name: "Utan kod B" });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.json.data.code).toBeNull();
  });

  it("refuses bad input with 400 naming the field", async () => {
    const noName = await as.post("/departments", { code: "X" });
    expect(noName.status).toBe(400);
    expect(noName.json.code).toBe("VALIDATION_ERROR");
    expect(paths(noName)).toEqual(["name"]);
    expect(paths(await as.post("/departments", { name: "   " }))).toEqual(["name"]);
    expect(paths(await as.post("/departments", { name: "Ok", code: "has space" }))).toEqual(["code"]);
    expect(paths(await as.post("/departments", { name: "Ok", isActive: "yes" }))).toEqual(["isActive"]);
    expect(paths(await as.get("/departments/not-a-uuid"))).toEqual(["params.id"]);
    expect(paths(await as.get("/departments?pageSize=500"))).toEqual(["query.pageSize"]);
    expect(paths(await as.get("/departments?isActive=maybe"))).toEqual(["query.isActive"]);
  });

  it("keeps names and codes unique per tenant (409), but another tenant may use them", async () => {
    await as.post("/departments", { name: "Chark", code: "CHK" });
    const before = await rowCount("departments", t.tenantId);
    const sameName = await as.post("/departments", { name: "Chark" });
    expect(sameName.status).toBe(409);
    expect(sameName.json.code).toBe("DEPARTMENT_NAME_TAKEN");
    const sameCode = await as.post("/departments", { name: "Charkuterier", code: "CHK" });
    expect(sameCode.status).toBe(409);
    expect(sameCode.json.code).toBe("DEPARTMENT_CODE_TAKEN");
    expect(await rowCount("departments", t.tenantId)).toBe(before);
    expect((await client(other.adminToken).post("/departments", { name: "Chark", code: "CHK" })).status).toBe(201);
  });

  it("lists a page in one round trip, by name, with search and active filters", async () => {
    const tt = await createTenant();
    const c = client(tt.adminToken);
    for (const [name, code, isActive] of [["Frukt", "FRU", true], ["Dryck", "DRY", true], ["Mejeri", "MEJ", false], ["Frys", "FRY", true]] as const) {
      expect((await c.post("/departments", { name, code, isActive })).status).toBe(201);
    }
    const all = await c.get("/departments");
    expect(names(all)).toEqual(["Dryck", "Frukt", "Frys", "Mejeri"]);
    expect(all.json).toMatchObject({ total: 4, page: 1, pageSize: 50 });
    expect(d1Count(all)).toBe(1);
    const page2 = await c.get("/departments?page=2&pageSize=3");
    expect(names(page2)).toEqual(["Mejeri"]);
    expect(page2.json).toMatchObject({ total: 4, page: 2, pageSize: 3 });
    expect(d1Count(page2)).toBe(1);
    expect(names(await c.get("/departments?search=fr"))).toEqual(["Frukt", "Frys"]);
    expect(names(await c.get("/departments?search=MEJ"))).toEqual(["Mejeri"]);
    expect(names(await c.get("/departments?isActive=false"))).toEqual(["Mejeri"]);
    expect((await c.get("/departments?isActive=true")).json.total).toBe(3);
    // another tenant's departments are not in the list
    expect(names(await c.get("/departments?search=Chark"))).toEqual([]);
  });

  it("answers 404 for another tenant's department, to every verb, and changes nothing", async () => {
    const theirs = (await client(other.adminToken).post("/departments", { name: "Theirs" })).json.data;
    expect((await as.get(`/departments/${theirs.id}`)).status).toBe(404);
    expect((await as.put(`/departments/${theirs.id}`, { name: "Mine now" })).status).toBe(404);
    expect((await as.del(`/departments/${theirs.id}`)).status).toBe(404);
    expect((await as.get(`/departments/${crypto.randomUUID()}`)).json.code).toBe("NOT_FOUND");
    expect((await client(other.adminToken).get(`/departments/${theirs.id}`)).json.data).toEqual(theirs);
  });

  it("updates with the version from the body or If-Match; a stale one is 409 with the current row and writes nothing", async () => {
    const d = (await as.post("/departments", { name: "Kiosk", code: "KIO" })).json.data;
    const v2 = await as.put(`/departments/${d.id}`, { version: 1, name: "Kiosken" });
    expect(v2.status).toBe(200);
    expect(v2.json.data).toMatchObject({ name: "Kiosken", code: "KIO", version: 2 });
    const v3 = await as.put(`/departments/${d.id}`, { code: null, isActive: false }, { "If-Match": '"2"' });
    expect(v3.json.data).toMatchObject({ name: "Kiosken", code: null, isActive: false, version: 3 });

    const before = await journalCounts(t.tenantId);
    const stale = await as.put(`/departments/${d.id}`, { version: 2, name: "Lost update" });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe("VERSION_CONFLICT");
    expect(stale.json.current).toEqual(v3.json.data);
    expect(await journalCounts(t.tenantId)).toEqual(before);
    expect((await as.get(`/departments/${d.id}`)).json.data.name).toBe("Kiosken");

    const mismatch = await as.put(`/departments/${d.id}`, { version: 3, name: "X" }, { "If-Match": "2" });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.code).toBe("VERSION_MISMATCH");

    expect((await feedOf(d.id)).map((f) => [f.op, f.version])).toEqual([["upsert", 1], ["upsert", 2], ["upsert", 3]]);
    expect((await auditOf(d.id)).map((a) => a.action)).toEqual(["department.create", "department.update", "department.update"]);
  });

  it("refuses a rename to a taken name (409) and keeps the row as it was", async () => {
    await as.post("/departments", { name: "Blommor" });
    const d = (await as.post("/departments", { name: "Växter" })).json.data;
    const res = await as.put(`/departments/${d.id}`, { version: 1, name: "Blommor" });
    expect(res.status).toBe(409);
    expect(res.json.code).toBe("DEPARTMENT_NAME_TAKEN");
    expect((await as.get(`/departments/${d.id}`)).json.data).toMatchObject({ name: "Växter", version: 1 });
  });

  it("cannot be deleted while live products belong to it (409 DEPARTMENT_IN_USE); deleted products do not count", async () => {
    const d = (await as.post("/departments", { name: "Kaffe" })).json.data;
    const productId = await insertProduct(t.tenantId, { departmentId: d.id });
    await insertProduct(t.tenantId, { departmentId: d.id, deleted: true });
    const busy = await as.del(`/departments/${d.id}`);
    expect(busy.status).toBe(409);
    expect(busy.json.code).toBe("DEPARTMENT_IN_USE");
    expect((await as.get(`/departments/${d.id}`)).json.data.version).toBe(1);

    const { env } = await import("cloudflare:test");
    await env.DB.prepare("UPDATE products SET deleted_at = ? WHERE id = ?").bind(Date.now(), productId).run();
    const gone = await as.del(`/departments/${d.id}`, undefined, { "If-Match": "1" });
    expect(gone.status).toBe(200);
    expect(gone.json.data).toEqual({ id: d.id, deleted: true });
    expect((await as.get(`/departments/${d.id}`)).status).toBe(404);
    expect(names(await as.get("/departments?search=Kaffe"))).toEqual([]);
    expect((await feedOf(d.id)).map((f) => [f.op, f.version])).toEqual([["upsert", 1], ["delete", 2]]);
    // the name is free again
    expect((await as.post("/departments", { name: "Kaffe" })).status).toBe(201);
  });

  it("refuses a delete with a stale version (409 with the current row)", async () => {
    const d = (await as.post("/departments", { name: "Tobak" })).json.data;
    await as.put(`/departments/${d.id}`, { version: 1, code: "TOB" });
    const stale = await as.del(`/departments/${d.id}`, undefined, { "If-Match": "1" });
    expect(stale.status).toBe(409);
    expect(stale.json.current).toMatchObject({ id: d.id, version: 2, code: "TOB" });
    expect((await as.get(`/departments/${d.id}`)).status).toBe(200);
  });

  it("takes the spec's products.* permissions", async () => {
    const viewer = client((await userWith(t, ["products.view"])).token);
    const creator = client((await userWith(t, ["products.create"])).token);
    const editor = client((await userWith(t, ["products.edit"])).token);
    const deleter = client((await userWith(t, ["products.delete"])).token);
    const d = await creator.post("/departments", { name: "Permissions" });
    expect(d.status).toBe(201);
    expect((await viewer.get("/departments")).status).toBe(200);
    expect((await viewer.get(`/departments/${d.json.data.id}`)).status).toBe(200);
    expect((await viewer.post("/departments", { name: "Nope" })).status).toBe(403);
    expect((await editor.put(`/departments/${d.json.data.id}`, { name: "Permissions 2" })).status).toBe(200);
    expect((await editor.del(`/departments/${d.json.data.id}`)).status).toBe(403);
    expect((await deleter.del(`/departments/${d.json.data.id}`)).status).toBe(200);
  });
});
