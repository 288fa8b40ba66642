import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ALL_PERMISSIONS, PERMISSIONS } from "../../schema/permissions";
import { DEFAULT_ROLES } from "../../worker/domain/default-roles";
import { api, auditOf, createTenant, d1Count, feedOf, journalCounts, uniqueSlug, userWith, type TestTenant } from "./helpers";

const post = (t: TestTenant, body: Record<string, unknown>) => api("POST", "/api/v1/roles", { token: t.adminToken, body });
const put = (t: TestTenant, id: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
  api("PUT", `/api/v1/roles/${id}`, { token: t.adminToken, body, headers });
const putPermissions = (t: TestTenant, id: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
  api("PUT", `/api/v1/roles/${id}/permissions`, { token: t.adminToken, body, headers });
const get = (t: TestTenant, id: string) => api("GET", `/api/v1/roles/${id}`, { token: t.adminToken });
const dbRole = (id: string) =>
  env.DB.prepare("SELECT name, description, permissions, version FROM roles WHERE id = ?").bind(id).first<{ name: string; description: string | null; permissions: string; version: number }>();
const roleCount = async (tenantId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM roles WHERE tenant_id = ?").bind(tenantId).first<{ n: number }>())!.n;

describe("roles", () => {
  let t: TestTenant;
  let b: TestTenant;
  beforeAll(async () => {
    [t, b] = await Promise.all([createTenant({ slug: uniqueSlug("rol-a") }), createTenant({ slug: uniqueSlug("rol-b") })]);
  });

  describe("permissions/all", () => {
    it("lists every permission of the registry with its group and description", async () => {
      const res = await api("GET", "/api/v1/roles/permissions/all", { token: t.adminToken });
      expect(res.status).toBe(200);
      expect(res.json.data).toEqual(
        ALL_PERMISSIONS.map((name) => ({ name, group: name.slice(0, name.indexOf(".")), description: PERMISSIONS[name] })),
      );
      expect(res.json.data).toContainEqual({ name: "reports.view_global", group: "reports", description: PERMISSIONS["reports.view_global"] });
      expect(new Set(res.json.data.map((p: { name: string }) => p.name)).size).toBe(ALL_PERMISSIONS.length);
    });

    it("needs roles.view", async () => {
      const viewer = await userWith(t, ["roles.view"]);
      expect((await api("GET", "/api/v1/roles/permissions/all", { token: viewer.token })).status).toBe(200);
      const seller = await userWith(t, ["pos.sell"]);
      const denied = await api("GET", "/api/v1/roles/permissions/all", { token: seller.token });
      expect(denied.status).toBe(403);
      expect(denied.json.code).toBe("MISSING_PERMISSION");
      expect((await api("GET", "/api/v1/roles/permissions/all")).status).toBe(401);
    });
  });

  describe("list and get", () => {
    it("lists the default roles by name, with their permissions, paged in one round trip", async () => {
      const tt = await createTenant({ slug: uniqueSlug("rol-list") });
      const res = await api("GET", "/api/v1/roles", { token: tt.adminToken });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ success: true, total: 3, page: 1, pageSize: 50 });
      expect(d1Count(res)).toBe(1);
      expect(res.json.data.map((r: { name: string }) => r.name)).toEqual(["Administrator", "Cashier", "Manager"]);
      for (const role of res.json.data) {
        const def = DEFAULT_ROLES.find((d) => d.name === role.name)!;
        expect(role).toMatchObject({ description: def.description, permissions: [...def.permissions].sort(), version: 1 });
      }
      expect(res.json.data[0].permissions).toEqual([...ALL_PERMISSIONS].sort());

      const p2 = await api("GET", "/api/v1/roles?page=2&pageSize=2", { token: tt.adminToken });
      expect(p2.json).toMatchObject({ total: 3, page: 2, pageSize: 2 });
      expect(p2.json.data.map((r: { name: string }) => r.name)).toEqual(["Manager"]);
      expect(d1Count(p2)).toBe(1);
      const search = await api("GET", "/api/v1/roles?search=CASH", { token: tt.adminToken });
      expect(search.json.data.map((r: { name: string }) => r.name)).toEqual(["Cashier"]);
      expect(search.json.total).toBe(1);
      expect(d1Count(search)).toBe(1);
    });

    it("gets a role by id", async () => {
      const res = await get(t, t.roles.Cashier!);
      expect(res.status).toBe(200);
      expect(res.json.data).toMatchObject({ id: t.roles.Cashier, name: "Cashier", version: 1 });
      expect(res.json.data.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect((await get(t, crypto.randomUUID())).json.code).toBe("NOT_FOUND");
      expect((await get(t, "cashier")).status).toBe(400);
    });
  });

  describe("create", () => {
    it("answers 201 with permissions deduplicated and sorted, journalled in the same batch", async () => {
      const before = await journalCounts(t.tenantId);
      const res = await post(t, { name: "  Stock  ", permissions: ["inventory.view", "inventory.adjust", "inventory.view"] });
      expect(res.status).toBe(201);
      expect(res.json.data).toMatchObject({ name: "Stock", description: null, permissions: ["inventory.adjust", "inventory.view"], version: 1 });
      // one round trip reads what the creator holds, one batch writes
      expect(d1Count(res)).toBe(2);
      const id = res.json.data.id;
      expect(JSON.parse((await dbRole(id))!.permissions)).toEqual(["inventory.adjust", "inventory.view"]);
      expect(await feedOf(id)).toEqual([{ seq: expect.any(Number), tenant_id: t.tenantId, store_id: null, entity: "role", entity_id: id, op: "upsert", version: 1 }]);
      expect(await auditOf(id)).toMatchObject([{ tenant_id: t.tenantId, actor_type: "user", actor_id: t.adminId, action: "role.create", entity: "role" }]);
      expect(await journalCounts(t.tenantId)).toEqual({ feed: before.feed + 1, audit: before.audit + 1 });
      expect((await get(t, id)).json.data).toEqual(res.json.data);
    });

    it("refuses an unknown permission with 400 VALIDATION_ERROR naming it, writing nothing", async () => {
      const before = await roleCount(t.tenantId);
      const bad = await post(t, { name: "Pilot", permissions: ["pos.sell", "pos.fly", "products.view"] });
      expect(bad.status).toBe(400);
      expect(bad.json.code).toBe("VALIDATION_ERROR");
      expect(bad.json.fields).toEqual([{ path: "permissions.1", message: expect.stringContaining('"pos.fly"') }]);
      expect(bad.json.error).toContain("pos.fly");
      expect(await roleCount(t.tenantId)).toBe(before);
      const empty = await post(t, { name: "", permissions: [] });
      expect(empty.status).toBe(400);
      expect(empty.json.fields.map((f: { path: string }) => f.path)).toEqual(["name"]);
    });

    it("refuses a duplicate name in the tenant (409 ROLE_NAME_TAKEN) but not in another tenant", async () => {
      const before = await journalCounts(t.tenantId);
      const dup = await post(t, { name: "Manager", permissions: ["pos.sell"] });
      expect(dup.status).toBe(409);
      expect(dup.json.code).toBe("ROLE_NAME_TAKEN");
      expect(await journalCounts(t.tenantId)).toEqual(before);
      const name = uniqueSlug("Shared");
      expect((await post(t, { name })).status).toBe(201);
      expect((await post(b, { name })).status).toBe(201);
    });
  });

  describe("update", () => {
    it("renames and describes with If-Match or body version; stale 409 with the current role; mismatch 400", async () => {
      const role = (await post(t, { name: uniqueSlug("Ren"), permissions: ["pos.sell"] })).json.data;
      const renamed = await put(t, role.id, { name: "Renamed role", description: "Does things" }, { "If-Match": '"1"' });
      expect(renamed.status).toBe(200);
      expect(renamed.json.data).toMatchObject({ name: "Renamed role", description: "Does things", permissions: ["pos.sell"], version: 2 });
      const cleared = await put(t, role.id, { version: 2, description: null });
      expect(cleared.json.data).toMatchObject({ name: "Renamed role", description: null, version: 3 });

      const before = await journalCounts(t.tenantId);
      const stale = await put(t, role.id, { version: 2, name: "Lost" });
      expect(stale.status).toBe(409);
      expect(stale.json.code).toBe("VERSION_CONFLICT");
      expect(stale.json.current).toEqual((await get(t, role.id)).json.data);
      expect(stale.json.current.version).toBe(3);
      const mismatch = await put(t, role.id, { version: 3, name: "Mismatch" }, { "If-Match": "2" });
      expect(mismatch.status).toBe(400);
      expect(mismatch.json.code).toBe("VERSION_MISMATCH");
      const taken = await put(t, role.id, { version: 3, name: "Cashier" });
      expect(taken.status).toBe(409);
      expect(taken.json.code).toBe("ROLE_NAME_TAKEN");
      expect(await journalCounts(t.tenantId)).toEqual(before);
      expect(await dbRole(role.id)).toMatchObject({ name: "Renamed role", version: 3 });

      const feed = await feedOf(role.id);
      expect(feed.map((r) => [r.entity, r.op, r.version])).toEqual([["role", "upsert", 1], ["role", "upsert", 2], ["role", "upsert", 3]]);
      expect(feed[1]!.seq).toBeGreaterThan(feed[0]!.seq);
      expect(feed[2]!.seq).toBeGreaterThan(feed[1]!.seq);
      expect((await auditOf(role.id)).map((a) => a.action)).toEqual(["role.create", "role.update", "role.update"]);
    });

    it("PUT /roles/:id/permissions replaces the set, and holders get exactly the new set at their next sign-in", async () => {
      const holder = await userWith(t, ["inventory.view", "inventory.adjust"]);
      const me1 = await api("GET", "/api/v1/auth/me", { token: holder.token });
      expect(me1.json.data.permissions).toEqual(["inventory.adjust", "inventory.view"]);

      const res = await putPermissions(t, holder.roleId, { version: 1, permissions: ["transfers.view", "pos.sell", "transfers.view"] });
      expect(res.status).toBe(200);
      expect(res.json.data).toMatchObject({ permissions: ["pos.sell", "transfers.view"], version: 2 });
      expect(JSON.parse((await dbRole(holder.roleId))!.permissions)).toEqual(["pos.sell", "transfers.view"]);

      const again = await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username: holder.username, password: holder.password } });
      expect(again.json.data.permissions).toEqual(["pos.sell", "transfers.view"]);

      const viaHeader = await putPermissions(t, holder.roleId, { permissions: [] }, { "If-Match": "2" });
      expect(viaHeader.json.data).toMatchObject({ permissions: [], version: 3 });

      const before = await journalCounts(t.tenantId);
      const stale = await putPermissions(t, holder.roleId, { version: 2, permissions: ["pos.void"] });
      expect(stale.status).toBe(409);
      expect(stale.json.code).toBe("VERSION_CONFLICT");
      expect(stale.json.current).toMatchObject({ id: holder.roleId, permissions: [], version: 3 });
      const unknown = await putPermissions(t, holder.roleId, { version: 3, permissions: ["pos.void", "root"] });
      expect(unknown.status).toBe(400);
      expect(unknown.json.fields).toEqual([{ path: "permissions.1", message: expect.stringContaining("root") }]);
      expect((await putPermissions(t, holder.roleId, { version: 3 })).status).toBe(400);
      expect(await journalCounts(t.tenantId)).toEqual(before);

      expect((await feedOf(holder.roleId)).map((r) => r.version)).toEqual([1, 2, 3]);
      const audit = await auditOf(holder.roleId);
      expect(audit.map((a) => a.action)).toEqual(["role.create", "role.update", "role.update"]);
      expect(audit[1]!.detail).toEqual({ fields: ["permissions"], added: ["pos.sell", "transfers.view"], removed: ["inventory.adjust", "inventory.view"] });
    });
  });

  describe("tenancy", () => {
    it("answers 404 for another tenant's role (GET, PUT, PUT permissions), never 403, and changes nothing", async () => {
      const theirs = (await post(b, { name: uniqueSlug("Theirs"), permissions: ["pos.sell"] })).json.data;
      for (const id of [theirs.id, b.roles.Administrator!]) {
        const got = await get(t, id);
        expect(got.status).toBe(404);
        expect(got.json.code).toBe("NOT_FOUND");
        const renamed = await put(t, id, { version: 1, name: "Hijacked" });
        expect(renamed.status).toBe(404);
        expect(renamed.json.code).toBe("NOT_FOUND");
        const perms = await putPermissions(t, id, { version: 1, permissions: [] });
        expect(perms.status).toBe(404);
        expect(perms.json.code).toBe("NOT_FOUND");
      }
      expect(await dbRole(theirs.id)).toMatchObject({ name: theirs.name, permissions: '["pos.sell"]', version: 1 });
      expect((await feedOf(theirs.id)).map((r) => r.version)).toEqual([1]);
      expect((await get(b, theirs.id)).status).toBe(200);
    });

    it("never lists another tenant's roles", async () => {
      const marker = uniqueSlug("OnlyB");
      await post(b, { name: marker });
      const res = await api("GET", `/api/v1/roles?search=${marker}`, { token: t.adminToken });
      expect(res.json).toMatchObject({ data: [], total: 0 });
      const all = await api("GET", "/api/v1/roles?pageSize=200", { token: t.adminToken });
      expect(all.json.total).toBe(await roleCount(t.tenantId));
      const ids = all.json.data.map((r: { id: string }) => r.id);
      for (const id of Object.values(b.roles)) expect(ids).not.toContain(id);
    });
  });
});
