import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, enrolTill, tillPinLogin, auditOf, createStore, createTenant, d1Count, feedOf, journalCounts, uniqueSlug, userWith, type TestTenant } from "./helpers";

const storeBody = (code: string, extra: Record<string, unknown> = {}) => ({ code, name: `Store ${code}`, currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true, ...extra });
const post = (t: TestTenant, body: Record<string, unknown>, token = t.adminToken) => api("POST", "/api/v1/stores", { token, body });
const put = (t: TestTenant, id: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
  api("PUT", `/api/v1/stores/${id}`, { token: t.adminToken, body, headers });
const get = (t: TestTenant, id: string) => api("GET", `/api/v1/stores/${id}`, { token: t.adminToken });
const codes = (res: { json: { data: { code: string }[] } }) => res.json.data.map((s) => s.code);
const dbStore = (id: string) =>
  env.DB.prepare("SELECT code, name, currency, time_zone, version FROM stores WHERE id = ?").bind(id).first<{ code: string; name: string; currency: string; time_zone: string; version: number }>();
const storeCount = async (tenantId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM stores WHERE tenant_id = ?").bind(tenantId).first<{ n: number }>())!.n;

describe("stores", () => {
  let t: TestTenant;
  let b: TestTenant;
  beforeAll(async () => {
    [t, b] = await Promise.all([createTenant({ slug: uniqueSlug("sto-a") }), createTenant({ slug: uniqueSlug("sto-b") })]);
  });

  describe("create", () => {
    it("answers 201 with the store and its defaults, journalled in the same batch", async () => {
      const before = await journalCounts(t.tenantId);
      const res = await post(t, storeBody("S002", { name: "  Harbour  ", currency: "EUR", timeZone: "Europe/Helsinki", pricesIncludeTax: false, phone: "+358 1" }));
      expect(res.status).toBe(201);
      expect(res.json.data).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        code: "S002",
        name: "Harbour",
        currency: "EUR",
        timeZone: "Europe/Helsinki",
        pricesIncludeTax: false,
        cashRoundingUnit: 1,
        address: null,
        phone: "+358 1",
        isActive: true,
        version: 1,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(d1Count(res)).toBe(1);
      const id = res.json.data.id;
      expect(await feedOf(id)).toEqual([{ seq: expect.any(Number), tenant_id: t.tenantId, store_id: null, entity: "store", entity_id: id, op: "upsert", version: 1 }]);
      expect(await auditOf(id)).toMatchObject([{ tenant_id: t.tenantId, actor_type: "user", actor_id: t.adminId, action: "store.create", entity: "store" }]);
      expect(await journalCounts(t.tenantId)).toEqual({ feed: before.feed + 1, audit: before.audit + 1 });
      expect((await get(t, id)).json.data).toEqual(res.json.data);
    });

    it("keeps codes unique per tenant (409 STORE_CODE_TAKEN, nothing written), while two tenants may both have S002", async () => {
      const tt = await createTenant({ slug: uniqueSlug("sto-dup") });
      expect((await post(tt, storeBody("S002"))).status).toBe(201);
      const before = { ...(await journalCounts(tt.tenantId)), stores: await storeCount(tt.tenantId) };
      const dup = await post(tt, storeBody("S002", { name: "Again" }));
      expect(dup.status).toBe(409);
      expect(dup.json.code).toBe("STORE_CODE_TAKEN");
      expect(dup.json.error).toContain("S002");
      expect({ ...(await journalCounts(tt.tenantId)), stores: await storeCount(tt.tenantId) }).toEqual(before);
      // the admin's roles in the refused store were not copied either
      const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM user_store_roles WHERE tenant_id = ?").bind(tt.tenantId).first<{ n: number }>())!;
      expect(n).toBe(2);

      const other = await createTenant({ slug: uniqueSlug("sto-dup2") });
      expect((await post(other, storeBody("S002"))).status).toBe(201);
      expect((await post(other, storeBody("S001"))).json.code).toBe("STORE_CODE_TAKEN");
    });

    it("gives the creator their roles and PIN in the new store, so they can sign in there", async () => {
      const tt = await createTenant({ slug: uniqueSlug("sto-own") });
      const s2 = (await post(tt, storeBody("S002"))).json.data;
      const admin = (await api("GET", `/api/v1/users/${tt.adminId}`, { token: tt.adminToken })).json.data;
      expect(admin.storeRoles).toContainEqual({ storeId: s2.id, roleId: tt.adminRoleId });
      expect(admin.storeRoles).toHaveLength(2);

      const login = await api("POST", "/api/v1/auth/login", { body: { tenant: tt.slug, username: "admin", password: tt.adminPassword, store: "S002" } });
      expect(login.status).toBe(200);
      expect(login.json.data.store).toMatchObject({ id: s2.id, code: "S002" });
      const current = await api("GET", "/api/v1/stores/current", { token: login.json.data.accessToken });
      expect(current.json.data).toEqual(s2);
      const pin = await tillPinLogin((await enrolTill(tt, { storeId: s2.id })).credential, tt.adminPin);
      expect(pin.status).toBe(200);
      expect(pin.json.data.user.id).toBe(tt.adminId);

      // another creator gets their own roles there, and the admin gets none
      const maker = await userWith(tt, ["stores.create", "stores.view"]);
      const s3 = (await post(tt, storeBody("S003"), maker.token)).json.data;
      const inS3 = await api("GET", `/api/v1/users?storeId=${s3.id}`, { token: tt.adminToken });
      expect(inS3.json.data.map((u: { id: string; storeRoles: unknown[] }) => u.id)).toEqual([maker.id]);
      expect(inS3.json.data[0].storeRoles).toContainEqual({ storeId: s3.id, roleId: maker.roleId });
      const makerThere = await api("POST", "/api/v1/auth/login", { body: { tenant: tt.slug, username: maker.username, password: maker.password, store: "S003" } });
      expect(makerThere.status).toBe(200);
      expect(makerThere.json.data.permissions).toEqual(["stores.create", "stores.view"]);
    });

    it("refuses an unknown currency and time zone with 400 naming each field, writing nothing", async () => {
      const before = await storeCount(t.tenantId);
      const both = await post(t, storeBody("X1", { currency: "XYZ", timeZone: "Mars/Olympus" }));
      expect(both.status).toBe(400);
      expect(both.json.code).toBe("VALIDATION_ERROR");
      expect(both.json.fields.map((f: { path: string }) => f.path).sort()).toEqual(["currency", "timeZone"]);
      expect(both.json.fields.find((f: { path: string }) => f.path === "currency").message).toMatch(/ISO 4217/);
      expect(both.json.fields.find((f: { path: string }) => f.path === "timeZone").message).toMatch(/time zone/);
      const lower = await post(t, storeBody("X1", { currency: "sek" }));
      expect(lower.status).toBe(400);
      expect([...new Set(lower.json.fields.map((f: { path: string }) => f.path))]).toEqual(["currency"]);
      const code = await post(t, storeBody("has space"));
      expect(code.json.fields.map((f: { path: string }) => f.path)).toEqual(["code"]);
      const missing = await post(t, { code: "X2", name: "No money" });
      expect(missing.status).toBe(400);
      expect(missing.json.fields.map((f: { path: string }) => f.path).sort()).toEqual(["currency", "pricesIncludeTax", "timeZone"]);
      expect(await storeCount(t.tenantId)).toBe(before);
    });
  });

  describe("update", () => {
    it("updates with If-Match or body version; stale 409 with the current store; mismatch 400", async () => {
      const s = await createStore(t, uniqueSlug("U"));
      const one = await put(t, s.id, { name: "Flagship", timeZone: "Europe/Oslo", address: "Storgatan 1" }, { "If-Match": '"1"' });
      expect(one.status).toBe(200);
      expect(one.json.data).toMatchObject({ name: "Flagship", timeZone: "Europe/Oslo", address: "Storgatan 1", currency: "SEK", version: 2 });
      expect(d1Count(one)).toBe(2);
      const two = await put(t, s.id, { version: 2, address: null, cashRoundingUnit: 100, currency: "NOK" });
      expect(two.json.data).toMatchObject({ name: "Flagship", address: null, cashRoundingUnit: 100, currency: "NOK", version: 3 });
      expect((await get(t, s.id)).json.data).toEqual(two.json.data);
      expect(await dbStore(s.id)).toMatchObject({ name: "Flagship", currency: "NOK", time_zone: "Europe/Oslo", version: 3 });

      const before = await journalCounts(t.tenantId);
      const stale = await put(t, s.id, { version: 1, name: "Old" });
      expect(stale.status).toBe(409);
      expect(stale.json.code).toBe("VERSION_CONFLICT");
      expect(stale.json.current).toEqual(two.json.data);
      const mismatch = await put(t, s.id, { version: 3, name: "x" }, { "If-Match": "1" });
      expect(mismatch.status).toBe(400);
      expect(mismatch.json.code).toBe("VERSION_MISMATCH");
      const taken = await put(t, s.id, { version: 3, code: "S001" });
      expect(taken.status).toBe(409);
      expect(taken.json.code).toBe("STORE_CODE_TAKEN");
      const invalid = await put(t, s.id, { version: 3, currency: "XYZ", timeZone: "Nowhere/Land" });
      expect(invalid.status).toBe(400);
      expect(invalid.json.fields.map((f: { path: string }) => f.path).sort()).toEqual(["currency", "timeZone"]);
      expect(await journalCounts(t.tenantId)).toEqual(before);
      expect((await dbStore(s.id))!.version).toBe(3);

      const feed = await feedOf(s.id);
      expect(feed.map((r) => [r.entity, r.op, r.version])).toEqual([["store", "upsert", 1], ["store", "upsert", 2], ["store", "upsert", 3]]);
      expect(feed[2]!.seq).toBeGreaterThan(feed[1]!.seq);
      expect(feed[1]!.seq).toBeGreaterThan(feed[0]!.seq);
      const audit = await auditOf(s.id);
      expect(audit.map((a) => a.action)).toEqual(["store.create", "store.update", "store.update"]);
      expect((audit[2]!.detail!.fields as string[]).sort()).toEqual(["address", "cashRoundingUnit", "currency"]);
    });

    it("changes a store's code, which is then the code to sign in with", async () => {
      const tt = await createTenant({ slug: uniqueSlug("sto-code") });
      const res = await put(tt, tt.storeId, { version: 1, code: "MAIN" });
      expect(res.json.data.code).toBe("MAIN");
      const login = await api("POST", "/api/v1/auth/login", { body: { tenant: tt.slug, username: "admin", password: tt.adminPassword, store: "MAIN" } });
      expect(login.status).toBe(200);
      expect(login.json.data.store.id).toBe(tt.storeId);
    });
  });

  describe("list, get and current", () => {
    let tt: TestTenant;
    beforeAll(async () => {
      tt = await createTenant({ slug: uniqueSlug("sto-list") });
      await createStore(tt, "K9", { name: "Kiosk Nine" });
      await createStore(tt, "B-12", { name: "Backroom", isActive: false });
      // the other tenant has a kiosk too; it never shows here
      await createStore(b, "K9", { name: "Kiosk of B" });
    });
    const list = (qs = "") => api("GET", `/api/v1/stores${qs}`, { token: tt.adminToken });

    it("lists by code with total, page and pageSize in one round trip", async () => {
      const all = await list();
      expect(all.status).toBe(200);
      expect(all.json).toMatchObject({ success: true, total: 3, page: 1, pageSize: 50 });
      expect(codes(all)).toEqual(["B-12", "K9", "S001"]);
      expect(d1Count(all)).toBe(1);
      const p2 = await list("?page=2&pageSize=1");
      expect(p2.json).toMatchObject({ total: 3, page: 2, pageSize: 1 });
      expect(codes(p2)).toEqual(["K9"]);
      expect(d1Count(p2)).toBe(1);
      expect(d1Count(await list("?pageSize=200"))).toBe(1);
    });

    it("searches name and code and filters by active flag", async () => {
      expect(codes(await list("?search=kiosk"))).toEqual(["K9"]);
      expect(codes(await list("?search=b-1"))).toEqual(["B-12"]);
      expect(codes(await list("?search=main"))).toEqual(["S001"]);
      expect(codes(await list("?isActive=false"))).toEqual(["B-12"]);
      expect(codes(await list("?isActive=true"))).toEqual(["K9", "S001"]);
      expect(codes(await list("?isActive=true&search=o"))).toEqual(["K9", "S001"]);
      expect((await list("?search=Kiosk of B")).json.total).toBe(0);
      expect((await list("?isActive=maybe")).status).toBe(400);
    });

    it("gets a store by id", async () => {
      const res = await get(tt, tt.storeId);
      expect(res.status).toBe(200);
      expect(res.json.data).toMatchObject({ id: tt.storeId, code: "S001", name: "Main Store", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true, cashRoundingUnit: 100 });
      expect((await get(tt, crypto.randomUUID())).json.code).toBe("NOT_FOUND");
      expect((await get(tt, "S001")).status).toBe(400);
    });

    it("answers /stores/current with the token's store, without stores.view", async () => {
      const clerk = await userWith(tt, ["pos.sell"]);
      const current = await api("GET", "/api/v1/stores/current", { token: clerk.token });
      expect(current.status).toBe(200);
      expect(current.json.data).toEqual((await get(tt, tt.storeId)).json.data);
      expect((await api("GET", "/api/v1/stores", { token: clerk.token })).status).toBe(403);
      expect((await api("GET", "/api/v1/stores/current")).status).toBe(401);
    });
  });

  describe("tenancy", () => {
    it("answers 404 for another tenant's store on GET and PUT, never 403, and changes nothing", async () => {
      for (const headers of [undefined, { "If-Match": "1" }]) {
        const got = await get(t, b.storeId);
        expect(got.status).toBe(404);
        expect(got.json.code).toBe("NOT_FOUND");
        const updated = await put(t, b.storeId, { ...(headers ? {} : { version: 1 }), name: "Hijacked", isActive: false }, headers);
        expect(updated.status).toBe(404);
        expect(updated.json.code).toBe("NOT_FOUND");
      }
      expect(await dbStore(b.storeId)).toMatchObject({ name: "Main Store", version: 1 });
      expect((await feedOf(b.storeId)).map((r) => r.version)).toEqual([1]);
      expect((await get(b, b.storeId)).status).toBe(200);
    });

    it("never lists another tenant's stores", async () => {
      const all = await api("GET", "/api/v1/stores?pageSize=200", { token: t.adminToken });
      expect(all.json.total).toBe(await storeCount(t.tenantId));
      expect(all.json.data.map((s: { id: string }) => s.id)).not.toContain(b.storeId);
    });
  });
});
