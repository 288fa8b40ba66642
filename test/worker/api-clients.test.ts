import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ALL_PERMISSIONS } from "../../schema/permissions";
import { sha256Hex } from "../../worker/auth/credentials";
import { basic, createClient, storedClient, tokenRequest } from "./api-client-fixtures";
import { api, auditOf, createStore, createTenant, userWith, type TestTenant } from "./helpers";

describe("API clients over REST", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await createTenant();
  });

  it("creates a client with a server-made client_id and a secret shown once, stored only as a hash", async () => {
    const res = await api("POST", "/api/v1/api-clients", { token: t.adminToken, body: { name: "Visma ERP", permissions: ["products.view", "customers.view", "products.view"] } });
    expect(res.status).toBe(201);
    const created = res.json.data;
    expect(created).toMatchObject({ name: "Visma ERP", permissions: ["customers.view", "products.view"], status: "active", secretVersion: 1, createdBy: t.adminId, version: 1, lastUsedAt: null });
    expect(created.clientId).toMatch(/^cli_[A-Za-z0-9_-]{22}$/);
    expect(created.clientSecret).toMatch(/^cs_[A-Za-z0-9_-]{43}$/);

    const stored = (await storedClient(created.id))!;
    expect(stored.secret_hash).toBe(await sha256Hex(created.clientSecret));
    expect(JSON.stringify(stored)).not.toContain(created.clientSecret);

    const read = await api("GET", `/api/v1/api-clients/${created.id}`, { token: t.adminToken });
    expect(read.status).toBe(200);
    expect(read.json.data).not.toHaveProperty("clientSecret");
    expect(read.json.data).toMatchObject({ id: created.id, clientId: created.clientId, permissions: ["customers.view", "products.view"] });
    const list = await api("GET", "/api/v1/api-clients", { token: t.adminToken });
    expect(list.json.data.map((c: { id: string }) => c.id)).toContain(created.id);
    expect(JSON.stringify(list.json)).not.toContain(created.clientSecret);
    expect((await auditOf(created.id)).map((a) => a.action)).toEqual(["api_client.create"]);
  });

  it("never lets the caller choose the client_id, and makes a different one every time", async () => {
    const res = await api("POST", "/api/v1/api-clients", { token: t.adminToken, body: { name: "Chooser", permissions: ["products.view"], clientId: "demo-integrator" } });
    expect(res.status).toBe(201);
    expect(res.json.data.clientId).not.toBe("demo-integrator");
    const other = await createClient(t, ["products.view"]);
    expect(other.clientId).not.toBe(res.json.data.clientId);
  });

  it("refuses bad input with 400 naming the field", async () => {
    for (const body of [{ name: "", permissions: ["products.view"] }, { name: "X", permissions: [] }, { name: "X", permissions: ["products.fly"] }, { permissions: ["products.view"] }]) {
      const res = await api("POST", "/api/v1/api-clients", { token: t.adminToken, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.code).toBe("VALIDATION_ERROR");
    }
  });

  it("lets nobody give a client a permission they do not hold, naming it", async () => {
    const clerk = await userWith(t, ["api_clients.manage", "products.view", "customers.view"]);
    const refused = await api("POST", "/api/v1/api-clients", { token: clerk.token, body: { name: "Too much", permissions: ["products.view", "products.edit", "users.edit"] } });
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe("CLIENT_GRANT_EXCEEDS_OWN");
    expect(refused.json.error).toContain("products.edit");
    expect(refused.json.error).toContain("users.edit");
    expect(refused.json.error).not.toContain("products.view,");
    const allowed = await createClient(t, ["products.view"], { token: clerk.token });
    expect(allowed.permissions).toEqual(["products.view"]);

    // ...nor give one more by editing it
    const widened = await api("PUT", `/api/v1/api-clients/${allowed.id}`, { token: clerk.token, body: { permissions: ["products.view", "pos.sell"] } });
    expect(widened.status).toBe(403);
    expect(widened.json).toMatchObject({ code: "CLIENT_GRANT_EXCEEDS_OWN", error: expect.stringContaining("pos.sell") });
  });

  it("bounds a client by what its creator holds in every store, since its permissions hold in all of them", async () => {
    const t2 = await createTenant();
    await createStore(t2, "S002"); // the admin gets the Administrator role there too
    const storeAdmin = await userWith(t2, ALL_PERMISSIONS); // every permission, but in S001 only
    const refused = await api("POST", "/api/v1/api-clients", { token: storeAdmin.token, body: { name: "ERP", permissions: ["products.view"] } });
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe("CLIENT_GRANT_EXCEEDS_OWN");
    expect(refused.json.error).toContain("store S002");
    expect(refused.json.error).toContain("products.view");
    expect((await createClient(t2, ["products.view"])).permissions).toEqual(["products.view"]);
  });

  it("lets nobody edit, rotate or revoke a client holding what they lack", async () => {
    const strong = await createClient(t, ["products.view", "users.edit"]);
    const clerk = await userWith(t, ["api_clients.manage", "products.view"]);
    for (const [method, path, body] of [
      ["PUT", `/api/v1/api-clients/${strong.id}`, { name: "Renamed" }],
      ["POST", `/api/v1/api-clients/${strong.id}/rotate`, undefined],
      ["POST", `/api/v1/api-clients/${strong.id}/revoke`, undefined],
    ] as const) {
      const res = await api(method, path, { token: clerk.token, body });
      expect(res.status, path).toBe(403);
      expect(res.json).toMatchObject({ code: "CLIENT_OUTRANKS_EDITOR", error: expect.stringContaining("users.edit") });
    }
    expect((await storedClient(strong.id))!.secret_version).toBe(1);
    expect((await storedClient(strong.id))!.revoked_at).toBeNull();
    // It still works with its secret.
    expect((await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(strong.clientId, strong.clientSecret) })).status).toBe(200);
  });

  it("edits name and permissions with optimistic concurrency", async () => {
    const c = await createClient(t, ["products.view"]);
    const edited = await api("PUT", `/api/v1/api-clients/${c.id}`, { token: t.adminToken, body: { name: "Fortnox", permissions: ["customers.view", "products.view"], version: 1 } });
    expect(edited.status).toBe(200);
    expect(edited.json.data).toMatchObject({ name: "Fortnox", permissions: ["customers.view", "products.view"], version: 2 });
    const stale = await api("PUT", `/api/v1/api-clients/${c.id}`, { token: t.adminToken, body: { name: "Late" }, headers: { "If-Match": '"1"' } });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ code: "VERSION_CONFLICT", current: { name: "Fortnox", version: 2 } });
    const same = await api("PUT", `/api/v1/api-clients/${c.id}`, { token: t.adminToken, body: { name: "Fortnox" } });
    expect(same.json.data.version).toBe(2);
    expect((await auditOf(c.id)).map((a) => a.action)).toEqual(["api_client.create", "api_client.update"]);
  });

  it("rotates: a new secret shown once, the version up by one, the old secret refused", async () => {
    const c = await createClient(t, ["products.view"]);
    const rotated = await api("POST", `/api/v1/api-clients/${c.id}/rotate`, { token: t.adminToken });
    expect(rotated.status).toBe(200);
    expect(rotated.json.data).toMatchObject({ id: c.id, clientId: c.clientId, secretVersion: 2, secretRotatedAt: expect.any(String) });
    expect(rotated.json.data.clientSecret).not.toBe(c.clientSecret);
    expect((await storedClient(c.id))!.secret_hash).toBe(await sha256Hex(rotated.json.data.clientSecret));
    const old = await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(c.clientId, c.clientSecret) });
    expect(old.status).toBe(401);
    expect(old.json.error).toBe("invalid_client");
    const fresh = await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(c.clientId, rotated.json.data.clientSecret) });
    expect(fresh.status).toBe(200);
    expect((await api("GET", `/api/v1/api-clients/${c.id}`, { token: t.adminToken })).json.data.lastUsedAt).not.toBeNull();
  });

  it("revokes for good: listed as revoked, no rotation or edit after, revoking again changes nothing", async () => {
    const c = await createClient(t, ["products.view"]);
    const revoked = await api("POST", `/api/v1/api-clients/${c.id}/revoke`, { token: t.adminToken });
    expect(revoked.status).toBe(200);
    expect(revoked.json.data).toMatchObject({ status: "revoked", revokedAt: expect.any(String) });
    const again = await api("POST", `/api/v1/api-clients/${c.id}/revoke`, { token: t.adminToken });
    expect(again.json.data).toMatchObject({ status: "revoked", revokedAt: revoked.json.data.revokedAt, version: revoked.json.data.version });
    for (const [method, path, body] of [["POST", `/api/v1/api-clients/${c.id}/rotate`, undefined], ["PUT", `/api/v1/api-clients/${c.id}`, { name: "Back" }]] as const) {
      const res = await api(method, path, { token: t.adminToken, body });
      expect(res.status, path).toBe(409);
      expect(res.json.code).toBe("CLIENT_REVOKED");
    }
    const active = await api("GET", "/api/v1/api-clients?status=active&pageSize=200", { token: t.adminToken });
    expect(active.json.data.map((x: { id: string }) => x.id)).not.toContain(c.id);
    const gone = await api("GET", "/api/v1/api-clients?status=revoked", { token: t.adminToken });
    expect(gone.json.data.map((x: { id: string }) => x.id)).toContain(c.id);
    const token = await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(c.clientId, c.clientSecret) });
    expect(token.status).toBe(401);
    expect(token.json.error).toBe("invalid_client");
    expect((await auditOf(c.id)).map((a) => a.action)).toEqual(["api_client.create", "api_client.revoke", "oauth.token_failed"]);
  });

  it("keeps clients to their tenant: another tenant's admin cannot see, edit, rotate or revoke them (404)", async () => {
    const other = await createTenant();
    const c = await createClient(t, ["products.view"]);
    for (const [method, path, body] of [
      ["GET", `/api/v1/api-clients/${c.id}`, undefined],
      ["PUT", `/api/v1/api-clients/${c.id}`, { name: "Mine now" }],
      ["POST", `/api/v1/api-clients/${c.id}/rotate`, undefined],
      ["POST", `/api/v1/api-clients/${c.id}/revoke`, undefined],
    ] as const) {
      const res = await api(method, path, { token: other.adminToken, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json.code).toBe("NOT_FOUND");
    }
    const list = await api("GET", "/api/v1/api-clients?pageSize=200", { token: other.adminToken });
    expect(list.json.total).toBe(0);
    expect(await storedClient(c.id)).toMatchObject({ secret_version: 1, revoked_at: null });
  });

  it("is not for the Manager or the Cashier by default", async () => {
    const roles = await api("GET", "/api/v1/roles?pageSize=200", { token: t.adminToken });
    const byName = Object.fromEntries(roles.json.data.map((r: { name: string; permissions: string[] }) => [r.name, r.permissions]));
    expect(byName.Administrator).toContain("api_clients.manage");
    expect(byName.Manager).not.toContain("api_clients.manage");
    expect(byName.Cashier).not.toContain("api_clients.manage");
  });
});

describe("migration 0013: administrators stay administrators", () => {
  it("gives api_clients.manage to roles that held every permission before it, and to no other", async () => {
    const update = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0013_"))!.queries.find((q) => q.includes("api_clients.manage"))!;
    const t = await createTenant();
    const before = ALL_PERMISSIONS.filter((p) => p !== "api_clients.manage");
    const insert = (id: string, permissions: string[]) =>
      env.DB.prepare("INSERT INTO roles (id, tenant_id, name, permissions, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 0, 0)").bind(id, t.tenantId, `r-${id}`, JSON.stringify(permissions));
    const [full, partial] = [crypto.randomUUID(), crypto.randomUUID()];
    await env.DB.batch([insert(full, before), insert(partial, before.slice(1))]);
    await env.DB.prepare(update).run();
    const row = (id: string) => env.DB.prepare("SELECT permissions, version FROM roles WHERE id = ?").bind(id).first<{ permissions: string; version: number }>();
    expect(JSON.parse((await row(full))!.permissions)).toEqual([...before, "api_clients.manage"]);
    expect((await row(full))!.version).toBe(2);
    expect(JSON.parse((await row(partial))!.permissions)).toEqual(before.slice(1));
    await env.DB.prepare(update).run(); // once only
    expect(JSON.parse((await row(full))!.permissions).filter((p: string) => p === "api_clients.manage")).toHaveLength(1);
  });
});
