import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ALL_PERMISSIONS, PERMISSIONS } from "../../schema/permissions";
import { api, createTenant, operatorToken, uniqueSlug, userWith, type TestTenant } from "./helpers";

const feed = async (entityId: string) =>
  (await env.DB.prepare("SELECT seq, entity, op, version FROM change_feed WHERE entity_id = ? ORDER BY seq").bind(entityId).all()).results;
const audits = async (entityId: string) =>
  (await env.DB.prepare("SELECT action FROM audit_log WHERE entity_id = ? ORDER BY at").bind(entityId).all()).results.map((r) => r.action);

const newStore = (t: TestTenant, code: string) =>
  api("POST", "/api/v1/stores", { token: t.adminToken, body: { code, name: `Store ${code}`, currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true } });

describe("users", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await createTenant();
  });

  it("creates a user (username lower-cased) with store roles, recording the change and the audit", async () => {
    const res = await api("POST", "/api/v1/users", {
      token: t.adminToken,
      body: { username: "Anna.Berg", displayName: "Anna Berg", email: "anna@example.se", pin: "4455", storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }] },
    });
    expect(res.status).toBe(201);
    // one round trip reads what the write needs, one batch writes it
    expect(res.headers.get("Server-Timing")).toMatch(/^d1;count=2;/);
    expect(res.json.data).toMatchObject({ username: "anna.berg", displayName: "Anna Berg", hasPin: true, hasPassword: false, version: 1, storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }] });
    expect(res.json.data.pinHash).toBeUndefined();
    expect(await feed(res.json.data.id)).toMatchObject([{ entity: "user", op: "upsert", version: 1 }]);
    expect(await audits(res.json.data.id)).toEqual(["user.create"]);
    const got = await api("GET", `/api/v1/users/${res.json.data.id}`, { token: t.adminToken });
    expect(got.json.data).toEqual(res.json.data);
  });

  it("refuses a taken username, unknown store roles and a PIN another user of the store has", async () => {
    const dup = await api("POST", "/api/v1/users", { token: t.adminToken, body: { username: "ADMIN", displayName: "x", password: "long enough pw" } });
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe("USERNAME_TAKEN");

    const other = await createTenant();
    const foreign = await api("POST", "/api/v1/users", {
      token: t.adminToken,
      body: { username: uniqueSlug("u"), displayName: "x", password: "long enough pw", storeRoles: [{ storeId: other.storeId, roleId: other.roles.Cashier }] },
    });
    expect(foreign.status).toBe(422);
    expect(foreign.json.code).toBe("UNKNOWN_REFERENCE");
    expect(foreign.json.fields.map((f: { path: string }) => f.path)).toEqual(["storeRoles.0.storeId", "storeRoles.0.roleId"]);

    const clash = await api("POST", "/api/v1/users", {
      token: t.adminToken,
      body: { username: uniqueSlug("u"), displayName: "x", pin: "1234", storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }] },
    });
    expect(clash.status).toBe(409);
    expect(clash.json.code).toBe("PIN_IN_USE");
    expect(clash.json.error).toContain("S001");
  });

  it("allows the same PIN in different stores, and refuses it when the stores come together", async () => {
    const s2 = (await newStore(t, "P02")).json.data;
    const a = await api("POST", "/api/v1/users", { token: t.adminToken, body: { username: uniqueSlug("a"), displayName: "A", pin: "7788", storeRoles: [{ storeId: s2.id, roleId: t.roles.Cashier }] } });
    expect(a.status).toBe(201);
    const b = await api("POST", "/api/v1/users", { token: t.adminToken, body: { username: uniqueSlug("b"), displayName: "B", pin: "7788", storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }] } });
    expect(b.status).toBe(201);
    const joined = await api("PUT", `/api/v1/users/${b.json.data.id}`, {
      token: t.adminToken,
      body: { storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }, { storeId: s2.id, roleId: t.roles.Cashier }] },
    });
    expect(joined.status).toBe(409);
    expect(joined.json.code).toBe("PIN_IN_USE");
    // nothing of the refused update was written
    expect((await api("GET", `/api/v1/users/${b.json.data.id}`, { token: t.adminToken })).json.data.version).toBe(1);
  });

  it("updates with optimistic concurrency: If-Match or body version, 409 with the current user when stale", async () => {
    const u = await userWith(t, ["pos.sell"]);
    const ok = await api("PUT", `/api/v1/users/${u.id}`, { token: t.adminToken, headers: { "If-Match": "\"1\"" }, body: { displayName: "Renamed" } });
    expect(ok.status).toBe(200);
    expect(ok.json.data).toMatchObject({ displayName: "Renamed", version: 2 });
    expect(ok.headers.get("Server-Timing")).toMatch(/^d1;count=2;/);
    const stale = await api("PUT", `/api/v1/users/${u.id}`, { token: t.adminToken, body: { version: 1, displayName: "Lost update" } });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe("VERSION_CONFLICT");
    expect(stale.json.current).toMatchObject({ id: u.id, displayName: "Renamed", version: 2 });
    const mismatch = await api("PUT", `/api/v1/users/${u.id}`, { token: t.adminToken, headers: { "If-Match": "2" }, body: { version: 3, displayName: "x" } });
    expect(mismatch.status).toBe(400);
    expect((await feed(u.id)).map((r) => r.version)).toEqual([1, 2]);
  });

  it("refuses to remove both credentials", async () => {
    const u = await userWith(t, ["pos.sell"]);
    const res = await api("PUT", `/api/v1/users/${u.id}`, { token: t.adminToken, body: { password: null } });
    expect(res.status).toBe(422);
    expect(res.json.code).toBe("NO_CREDENTIAL");
  });

  it("lists with paging, search and filters in one round trip", async () => {
    const tt = await createTenant();
    for (const name of ["Bertil", "Berit", "Carl"]) {
      await api("POST", "/api/v1/users", { token: tt.adminToken, body: { username: name, displayName: `${name} Svensson`, password: "long enough pw", isActive: name !== "Carl" } });
    }
    const page = await api("GET", "/api/v1/users?pageSize=2&page=2", { token: tt.adminToken });
    expect(page.json).toMatchObject({ total: 4, page: 2, pageSize: 2 });
    expect(page.json.data.map((u: { username: string }) => u.username)).toEqual(["bertil", "carl"]);
    expect(page.headers.get("Server-Timing")).toMatch(/^d1;count=1;/);
    const search = await api("GET", "/api/v1/users?search=ber", { token: tt.adminToken });
    expect(search.json.data.map((u: { username: string }) => u.username)).toEqual(["berit", "bertil"]);
    const literal = await api("GET", "/api/v1/users?search=%25", { token: tt.adminToken });
    expect(literal.json.total).toBe(0);
    const inactive = await api("GET", "/api/v1/users?isActive=false", { token: tt.adminToken });
    expect(inactive.json.data.map((u: { username: string }) => u.username)).toEqual(["carl"]);
    const inStore = await api("GET", `/api/v1/users?storeId=${tt.storeId}`, { token: tt.adminToken });
    expect(inStore.json.data.map((u: { username: string }) => u.username)).toEqual(["admin"]);
  });

  it("lists the current store's active employees for any signed-in user", async () => {
    const tt = await createTenant();
    const cashier = await userWith(tt, ["pos.sell"]);
    const gone = await userWith(tt, ["pos.sell"]);
    await api("PUT", `/api/v1/users/${gone.id}`, { token: tt.adminToken, body: { isActive: false } });
    await api("POST", "/api/v1/users", { token: tt.adminToken, body: { username: uniqueSlug("x"), displayName: "No store", password: "long enough pw" } });
    const res = await api("GET", "/api/v1/users/store-employees", { token: cashier.token });
    expect(res.status).toBe(200);
    expect(res.json.data.map((u: { id: string }) => u.id).sort()).toEqual([tt.adminId, cashier.id].sort());
  });
});

describe("roles", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await createTenant();
  });

  it("lists every registered permission with its group and description", async () => {
    const res = await api("GET", "/api/v1/roles/permissions/all", { token: t.adminToken });
    expect(res.json.data).toHaveLength(ALL_PERMISSIONS.length);
    expect(res.json.data).toContainEqual({ name: "pos.void", group: "pos", description: PERMISSIONS["pos.void"] });
  });

  it("creates, renames and replaces permissions with versions, change feed and audit", async () => {
    const created = await api("POST", "/api/v1/roles", { token: t.adminToken, body: { name: "Stock", permissions: ["inventory.view", "inventory.adjust", "inventory.view"] } });
    expect(created.status).toBe(201);
    expect(created.json.data.permissions).toEqual(["inventory.adjust", "inventory.view"]);
    const id = created.json.data.id;
    const renamed = await api("PUT", `/api/v1/roles/${id}`, { token: t.adminToken, body: { version: 1, name: "Stockroom" } });
    expect(renamed.json.data).toMatchObject({ name: "Stockroom", version: 2 });
    const perms = await api("PUT", `/api/v1/roles/${id}/permissions`, { token: t.adminToken, headers: { "If-Match": "2" }, body: { permissions: ["transfers.view"] } });
    expect(perms.json.data).toMatchObject({ permissions: ["transfers.view"], version: 3 });
    const stale = await api("PUT", `/api/v1/roles/${id}/permissions`, { token: t.adminToken, body: { version: 2, permissions: [] } });
    expect(stale.status).toBe(409);
    expect(stale.json.current.version).toBe(3);
    expect((await feed(id)).map((r) => r.version)).toEqual([1, 2, 3]);
    expect(await audits(id)).toEqual(["role.create", "role.update", "role.update"]);
    expect((await api("GET", `/api/v1/roles/${id}`, { token: t.adminToken })).json.data.name).toBe("Stockroom");
  });

  it("refuses an unknown permission (400 naming it) and a duplicate name (409)", async () => {
    const bad = await api("POST", "/api/v1/roles", { token: t.adminToken, body: { name: "Bad", permissions: ["pos.sell", "pos.fly"] } });
    expect(bad.status).toBe(400);
    expect(bad.json.fields[0]).toMatchObject({ path: "permissions.1", message: expect.stringContaining("pos.fly") });
    const dup = await api("POST", "/api/v1/roles", { token: t.adminToken, body: { name: "Cashier" } });
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe("ROLE_NAME_TAKEN");
  });
});

describe("stores", () => {
  it("creates a store (code unique per tenant), giving its creator their roles there", async () => {
    const t = await createTenant();
    const created = await newStore(t, "S002");
    expect(created.status).toBe(201);
    expect(created.json.data).toMatchObject({ code: "S002", currency: "SEK", pricesIncludeTax: true, cashRoundingUnit: 1, isActive: true, version: 1 });
    expect(await feed(created.json.data.id)).toMatchObject([{ entity: "store", version: 1 }]);
    const dup = await newStore(t, "S002");
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe("STORE_CODE_TAKEN");
    const elsewhere = await newStore(await createTenant(), "S002");
    expect(elsewhere.status).toBe(201);
    const there = await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username: "admin", pin: "1234", store: "S002" } });
    expect(there.status).toBe(200);
    expect((await api("GET", "/api/v1/stores/current", { token: there.json.data.accessToken })).json.data.code).toBe("S002");
  });

  it("validates currency and time zone, naming the field", async () => {
    const t = await createTenant();
    const bad = await api("POST", "/api/v1/stores", { token: t.adminToken, body: { code: "X1", name: "X", currency: "XYZ", timeZone: "Mars/Olympus", pricesIncludeTax: true } });
    expect(bad.status).toBe(400);
    expect(bad.json.fields.map((f: { path: string }) => f.path).sort()).toEqual(["currency", "timeZone"]);
  });

  it("updates with versions and lists with search", async () => {
    const t = await createTenant();
    const upd = await api("PUT", `/api/v1/stores/${t.storeId}`, { token: t.adminToken, body: { version: 1, name: "Flagship", timeZone: "Europe/Oslo" } });
    expect(upd.json.data).toMatchObject({ name: "Flagship", timeZone: "Europe/Oslo", version: 2 });
    expect((await api("PUT", `/api/v1/stores/${t.storeId}`, { token: t.adminToken, body: { version: 1, name: "Old" } })).status).toBe(409);
    await newStore(t, "K9");
    const list = await api("GET", "/api/v1/stores?search=flag", { token: t.adminToken });
    expect(list.json.data.map((s: { code: string }) => s.code)).toEqual(["S001"]);
    expect(list.headers.get("Server-Timing")).toMatch(/^d1;count=1;/);
  });
});

describe("tenant onboarding", () => {
  it("creates tenant, store, default roles and an administrator who can log in", async () => {
    const t = await createTenant();
    expect(Object.keys(t.roles).sort()).toEqual(["Administrator", "Cashier", "Manager"]);
    const me = await api("GET", "/api/v1/auth/me", { token: t.adminToken });
    expect(me.json.data.permissions).toEqual([...ALL_PERMISSIONS].sort());
    const got = await api("GET", `/api/v1/tenants/${t.tenantId}`, { token: operatorToken });
    expect(got.json.data).toMatchObject({ slug: t.slug, currency: "SEK", taxRounding: "line" });
  });

  it("refuses a duplicate slug and writes nothing of it", async () => {
    const t = await createTenant();
    const count = async () => (await env.DB.prepare("SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM stores) + (SELECT count(*) FROM roles) AS n").first<{ n: number }>())!.n;
    const before = await count();
    const again = await api("POST", "/api/v1/tenants", {
      token: operatorToken,
      body: { slug: t.slug, name: "Again", currency: "EUR", store: { code: "A1", name: "A", currency: "EUR", timeZone: "Europe/Paris", pricesIncludeTax: true }, admin: { username: "boss", displayName: "Boss", pin: "1111" } },
    });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe("TENANT_SLUG_TAKEN");
    expect(await count()).toBe(before);
  });

  it("is for the operator only", async () => {
    const t = await createTenant();
    const body = { slug: uniqueSlug(), name: "X", currency: "SEK", store: { code: "A1", name: "A", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true }, admin: { username: "boss", displayName: "Boss", pin: "1111" } };
    expect((await api("POST", "/api/v1/tenants", { body })).status).toBe(401);
    expect((await api("POST", "/api/v1/tenants", { body, token: t.adminToken })).status).toBe(401);
    expect((await api("POST", "/api/v1/tenants", { body, token: `${operatorToken}x` })).status).toBe(401);
  });
});
