import { beforeAll, describe, expect, it } from "vitest";
import { client, paths, rowCount } from "./catalogue-fixtures";
import { auditOf, createTenant, d1Count, feedOf, journalCounts, userWith, type TestTenant } from "./helpers";

let t: TestTenant;
let other: TestTenant;
let as: ReturnType<typeof client>;
beforeAll(async () => {
  [t, other] = await Promise.all([createTenant(), createTenant()]);
  as = client(t.adminToken);
});

const toggle = (id: string, version?: number, c = as) => c.patch(`/sales-reps/${id}/toggle-active`, undefined, version === undefined ? undefined : { "If-Match": String(version) });

describe("sales reps", () => {
  it("create with a commission in basis points and a linked user, journalled in the batch", async () => {
    const before = await journalCounts(t.tenantId);
    const res = await as.post("/sales-reps", { code: "R1", name: "Rut", commissionRate: 250, userId: t.adminId, email: "rut@example.se" });
    expect(res.status).toBe(201);
    expect(res.json.data).toEqual({
      id: expect.any(String), code: "R1", name: "Rut", email: "rut@example.se", phone: null, commissionRate: 250, userId: t.adminId,
      isActive: true, version: 1, createdAt: expect.any(String), updatedAt: expect.any(String),
    });
    expect(await feedOf(res.json.data.id)).toMatchObject([{ tenant_id: t.tenantId, entity: "sales_rep", op: "upsert", version: 1 }]);
    expect(await auditOf(res.json.data.id)).toMatchObject([{ action: "sales_rep.create" }]);
    expect(await journalCounts(t.tenantId)).toEqual({ feed: before.feed + 1, audit: before.audit + 1 });
    const bare = await as.post("/sales-reps", { code: "R0", name: "Bo" });
    expect(bare.json.data).toMatchObject({ commissionRate: 0, userId: null, email: null, phone: null });
    expect(d1Count(bare)).toBe(1);
    expect((await as.get(`/sales-reps/${res.json.data.id}`)).json.data).toEqual(res.json.data);
  });

  it("refuse bad input with 400 naming the field", async () => {
    const before = await rowCount("sales_reps", t.tenantId);
    expect(paths(await as.post("/sales-reps", { name: "No code" }))).toEqual(["code"]);
    expect(paths(await as.post("/sales-reps", { code: "R9" }))).toEqual(["name"]);
    expect(paths(await as.post("/sales-reps", { code: "R9", name: "Greedy", commissionRate: 10_001 }))).toEqual(["commissionRate"]);
    expect(paths(await as.post("/sales-reps", { code: "R9", name: "Fraction", commissionRate: 2.5 }))).toEqual(["commissionRate"]);
    expect(paths(await as.post("/sales-reps", { code: "R9", name: "Negative", commissionRate: -1 }))).toEqual(["commissionRate"]);
    expect(paths(await as.post("/sales-reps", { code: "R9", name: "Bad user", userId: "x" }))).toEqual(["userId"]);
    expect(paths(await as.post("/sales-reps", { code: "R9", name: "Bad mail", email: "x" }))).toEqual(["email"]);
    expect(await rowCount("sales_reps", t.tenantId)).toBe(before);
  });

  it("refuse a user that is not this tenant's (422 UNKNOWN_REFERENCE naming userId)", async () => {
    const before = await rowCount("sales_reps", t.tenantId);
    for (const userId of [crypto.randomUUID(), other.adminId]) {
      const res = await as.post("/sales-reps", { code: "R2", name: "Ghost", userId });
      expect(res.status).toBe(422);
      expect(res.json.code).toBe("UNKNOWN_REFERENCE");
      expect(res.json.fields).toEqual([{ path: "userId", message: "is not a user of this tenant" }]);
    }
    expect(await rowCount("sales_reps", t.tenantId)).toBe(before);
    const rep = (await as.post("/sales-reps", { code: "R2", name: "Real" })).json.data;
    const upd = await as.put(`/sales-reps/${rep.id}`, { version: 1, userId: other.adminId });
    expect(upd.status).toBe(422);
    expect(paths(upd)).toEqual(["userId"]);
    const linked = await as.put(`/sales-reps/${rep.id}`, { version: 1, userId: t.adminId });
    expect(linked.json.data).toMatchObject({ userId: t.adminId, version: 2 });
    const unlinked = await as.put(`/sales-reps/${rep.id}`, { version: 2, userId: null });
    expect(unlinked.json.data).toMatchObject({ userId: null, version: 3 });
  });

  it("keep codes unique per tenant (409 SALES_REP_CODE_TAKEN)", async () => {
    await as.post("/sales-reps", { code: "DUP", name: "First" });
    const dup = await as.post("/sales-reps", { code: "DUP", name: "Second" });
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe("SALES_REP_CODE_TAKEN");
    const second = (await as.post("/sales-reps", { code: "DUP2", name: "Second" })).json.data;
    expect((await as.put(`/sales-reps/${second.id}`, { code: "DUP" })).json.code).toBe("SALES_REP_CODE_TAKEN");
    expect((await client(other.adminToken).post("/sales-reps", { code: "DUP", name: "Theirs" })).status).toBe(201);
  });

  it("update with versions; a stale one is 409 with the current rep and writes nothing", async () => {
    const rep = (await as.post("/sales-reps", { code: "V1", name: "Vera", commissionRate: 100 })).json.data;
    const v2 = await as.put(`/sales-reps/${rep.id}`, { version: 1, commissionRate: 150, phone: "070-1" });
    expect(v2.json.data).toMatchObject({ commissionRate: 150, phone: "070-1", name: "Vera", version: 2 });
    const before = await journalCounts(t.tenantId);
    const stale = await as.put(`/sales-reps/${rep.id}`, { commissionRate: 1 }, { "If-Match": "1" });
    expect(stale.status).toBe(409);
    expect(stale.json.current).toEqual(v2.json.data);
    expect(await journalCounts(t.tenantId)).toEqual(before);
  });

  it("toggle active, each time a new version in the feed; a stale toggle is 409", async () => {
    const rep = (await as.post("/sales-reps", { code: "T1", name: "Toggle" })).json.data;
    const off = await toggle(rep.id, 1);
    expect(off.status).toBe(200);
    expect(off.json.data).toMatchObject({ isActive: false, version: 2 });
    const on = await toggle(rep.id);
    expect(on.json.data).toMatchObject({ isActive: true, version: 3 });
    const stale = await toggle(rep.id, 2);
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ code: "VERSION_CONFLICT", current: { isActive: true, version: 3 } });
    expect((await as.get(`/sales-reps/${rep.id}`)).json.data).toMatchObject({ isActive: true, version: 3 });
    expect((await feedOf(rep.id)).map((f) => [f.op, f.version])).toEqual([["upsert", 1], ["upsert", 2], ["upsert", 3]]);
    expect((await auditOf(rep.id)).map((a) => a.action)).toEqual(["sales_rep.create", "sales_rep.update", "sales_rep.update"]);
    expect((await toggle(crypto.randomUUID())).status).toBe(404);
  });

  it("list a page in one round trip, by name, searching name and code, filtering on active", async () => {
    const tt = await createTenant();
    const c = client(tt.adminToken);
    for (const [code, name] of [["S1", "Sara"], ["S2", "Olle"], ["S3", "Anders"], ["X9", "Sara"]] as const) {
      expect((await c.post("/sales-reps", { code, name })).status).toBe(201);
    }
    const olle = (await c.get("/sales-reps?search=olle")).json.data[0];
    await toggle(olle.id, 1, c);
    const all = await c.get("/sales-reps");
    expect(all.json.data.slice(0, 2).map((r: { code: string }) => r.code)).toEqual(["S3", "S2"]);
    expect(all.json.data.map((r: { name: string }) => r.name)).toEqual(["Anders", "Olle", "Sara", "Sara"]);
    expect(d1Count(all)).toBe(1);
    expect((await c.get("/sales-reps?search=S")).json.total).toBe(4);
    expect((await c.get("/sales-reps?search=x9")).json.data.map((r: { code: string }) => r.code)).toEqual(["X9"]);
    const inactive = await c.get("/sales-reps?isActive=false");
    expect(inactive.json.data.map((r: { code: string }) => r.code)).toEqual(["S2"]);
    const page = await c.get("/sales-reps?isActive=true&pageSize=2&page=2");
    expect(page.json).toMatchObject({ total: 3, page: 2, pageSize: 2 });
    expect(page.json.data).toHaveLength(1);
    expect(d1Count(page)).toBe(1);
  });

  it("answer 404 for another tenant's rep, to every verb", async () => {
    const theirs = (await client(other.adminToken).post("/sales-reps", { code: "THEIRS", name: "Theirs" })).json.data;
    expect((await as.get(`/sales-reps/${theirs.id}`)).status).toBe(404);
    expect((await as.put(`/sales-reps/${theirs.id}`, { name: "Mine" })).status).toBe(404);
    expect((await toggle(theirs.id)).status).toBe(404);
    expect((await as.del(`/sales-reps/${theirs.id}`)).status).toBe(404);
    expect((await client(other.adminToken).get(`/sales-reps/${theirs.id}`)).json.data).toMatchObject({ isActive: true, version: 1 });
  });

  it("delete (soft) with sales_reps.delete; the code is free again", async () => {
    const editor = client((await userWith(t, ["sales_reps.edit", "sales_reps.create"])).token);
    const deleter = client((await userWith(t, ["sales_reps.delete"])).token);
    const viewer = client((await userWith(t, ["sales_reps.view"])).token);
    const rep = await editor.post("/sales-reps", { code: "GONE", name: "Going" });
    expect(rep.status).toBe(201);
    expect((await toggle(rep.json.data.id, 1, editor)).status).toBe(200);
    expect((await toggle(rep.json.data.id, 2, viewer)).status).toBe(403);
    expect((await editor.del(`/sales-reps/${rep.json.data.id}`)).status).toBe(403);
    expect((await deleter.del(`/sales-reps/${rep.json.data.id}`, undefined, { "If-Match": "1" })).status).toBe(409);
    const res = await deleter.del(`/sales-reps/${rep.json.data.id}`, undefined, { "If-Match": "2" });
    expect(res.json.data).toEqual({ id: rep.json.data.id, deleted: true });
    expect((await viewer.get(`/sales-reps/${rep.json.data.id}`)).status).toBe(404);
    expect((await feedOf(rep.json.data.id)).at(-1)).toMatchObject({ op: "delete", version: 3 });
    expect((await as.post("/sales-reps", { code: "GONE", name: "Back" })).status).toBe(201);
  });
});
