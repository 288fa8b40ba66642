import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ALL_PERMISSIONS } from "../../schema/permissions";
import { DEFAULT_ROLES } from "../../worker/domain/default-roles";
import { api, auditOf, createTenant, feedOf, operatorToken, uniqueSlug } from "./helpers";

const onboarding = (slug: string, extra: Record<string, unknown> = {}) => ({
  slug,
  name: `Tenant ${slug}`,
  currency: "EUR",
  store: { code: "HQ", name: "Head office", currency: "EUR", timeZone: "Europe/Paris", pricesIncludeTax: true },
  admin: { username: "Boss", displayName: "The Boss", password: "a long enough password" },
  ...extra,
});
// `token` null: no Authorization header at all
const as = (token: string | null | undefined) => (token === null ? undefined : (token ?? operatorToken));
const onboard = (body: unknown, token?: string | null) => api("POST", "/api/v1/tenants", { token: as(token), body });
const patch = (id: string, body: unknown, token?: string | null) => api("PATCH", `/api/v1/tenants/${id}`, { token: as(token), body });
const getTenant = (id: string, token?: string | null) => api("GET", `/api/v1/tenants/${id}`, { token: as(token) });

/** Rows whose tenant does not exist: what a half-written onboarding would leave behind. */
const orphans = async () =>
  (await env.DB.prepare(
    `SELECT (SELECT count(*) FROM users WHERE tenant_id NOT IN (SELECT id FROM tenants))
          + (SELECT count(*) FROM stores WHERE tenant_id NOT IN (SELECT id FROM tenants))
          + (SELECT count(*) FROM roles WHERE tenant_id NOT IN (SELECT id FROM tenants))
          + (SELECT count(*) FROM user_store_roles WHERE tenant_id NOT IN (SELECT id FROM tenants))
          + (SELECT count(*) FROM store_pins WHERE tenant_id NOT IN (SELECT id FROM tenants))
          + (SELECT count(*) FROM tenders WHERE tenant_id NOT IN (SELECT id FROM tenants))
          + (SELECT count(*) FROM change_feed WHERE tenant_id NOT IN (SELECT id FROM tenants))
          + (SELECT count(*) FROM audit_log WHERE tenant_id IS NOT NULL AND tenant_id NOT IN (SELECT id FROM tenants)) AS n`,
  ).first<{ n: number }>())!.n;

const preflight = (origin: string) =>
  api("OPTIONS", "/api/v1/auth/login", { headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" } });

describe("tenants", () => {
  describe("operator guard", () => {
    it("answers 401 to POST, GET and PATCH without the operator secret, with a user token or a wrong secret, and writes nothing", async () => {
      const t = await createTenant({ slug: uniqueSlug("ten-guard") });
      const slug = uniqueSlug("ten-never");
      for (const token of [null, t.adminToken, `${operatorToken}x`, operatorToken.slice(0, -1), "Basic x"]) {
        const created = await onboard(onboarding(slug), token);
        expect(created.status).toBe(401);
        expect(created.json.code).toBe("UNAUTHENTICATED");
        expect((await getTenant(t.tenantId, token)).status).toBe(401);
        expect((await patch(t.tenantId, { name: "Hijacked" }, token)).status).toBe(401);
      }
      const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM tenants WHERE slug = ?").bind(slug).first<{ n: number }>())!;
      expect(n).toBe(0);
      expect((await getTenant(t.tenantId)).json.data).toMatchObject({ name: `Tenant ${t.slug}`, version: 1 });
      // a raw "Authorization: <secret>" without Bearer is no operator either
      expect((await api("GET", `/api/v1/tenants/${t.tenantId}`, { headers: { Authorization: operatorToken } })).status).toBe(401);
    });
  });

  describe("onboarding", () => {
    it("creates tenant, store, the three default roles and an administrator who can sign in, in one batch", async () => {
      const slug = uniqueSlug("ten-new");
      const res = await onboard(onboarding(slug, { corsOrigins: ["https://till.example.com/"] }));
      expect(res.status).toBe(201);
      expect(res.headers.get("Server-Timing")).toMatch(/^d1;count=1;/);
      const { tenant, store, admin, adminRole } = res.json.data;
      expect(tenant).toMatchObject({ slug, name: `Tenant ${slug}`, currency: "EUR", taxRounding: "line", corsOrigins: ["https://till.example.com"], version: 1 });
      expect(store).toMatchObject({ code: "HQ", name: "Head office", currency: "EUR", timeZone: "Europe/Paris", pricesIncludeTax: true, cashRoundingUnit: 1, isActive: true, version: 1 });
      expect(admin).toEqual({ id: expect.any(String), username: "boss", pin: expect.stringMatching(/^\d{4}$/) });
      expect(adminRole).toEqual({ id: expect.any(String), name: "Administrator" });

      // rows in D1, all of this tenant
      const roles = (await env.DB.prepare("SELECT id, name, permissions FROM roles WHERE tenant_id = ? ORDER BY name").bind(tenant.id).all()).results as { id: string; name: string; permissions: string }[];
      expect(roles.map((r) => r.name)).toEqual(["Administrator", "Cashier", "Manager"]);
      for (const r of roles) expect(JSON.parse(r.permissions).sort()).toEqual([...DEFAULT_ROLES.find((d) => d.name === r.name)!.permissions].sort());
      expect(roles.find((r) => r.name === "Administrator")!.id).toBe(adminRole.id);
      const access = (await env.DB.prepare("SELECT user_id, store_id, role_id FROM user_store_roles WHERE tenant_id = ?").bind(tenant.id).all()).results;
      expect(access).toEqual([{ user_id: admin.id, store_id: store.id, role_id: adminRole.id }]);
      const pins = (await env.DB.prepare("SELECT user_id, store_id FROM store_pins WHERE tenant_id = ?").bind(tenant.id).all()).results;
      expect(pins).toEqual([{ user_id: admin.id, store_id: store.id }]);

      // the administrator signs in, by password and by PIN, with every permission
      const login = await api("POST", "/api/v1/auth/login", { body: { tenant: slug, username: "BOSS", password: "a long enough password" } });
      expect(login.status).toBe(200);
      expect(login.json.data.store).toEqual({ id: store.id, code: "HQ", name: "Head office" });
      expect(login.json.data.permissions).toEqual([...ALL_PERMISSIONS].sort());
      const register = await api("POST", `/api/v1/stores/${store.id}/registers`, { token: login.json.data.accessToken, body: { code: "T1", name: "Till" } });
      const till = await api("POST", "/api/v1/devices/pair", { body: { code: register.json.data.pairing.code } });
      const pinLogin = await api("POST", "/api/v1/auth/pin-login", { body: { pin: admin.pin }, headers: { "X-Device-Credential": till.json.data.credential } });
      expect(pinLogin.status).toBe(200);
      expect(pinLogin.json.data.user.id).toBe(admin.id);
      const me = await api("GET", "/api/v1/auth/me", { token: login.json.data.accessToken });
      expect(me.json.data.tenant).toEqual({ id: tenant.id, slug, name: `Tenant ${slug}` });
      const listed = await api("GET", "/api/v1/roles", { token: login.json.data.accessToken });
      expect(listed.json.data.map((r: { name: string }) => r.name)).toEqual(["Administrator", "Cashier", "Manager"]);

      // the change feed has every synced row, in one run of sequence numbers; the audit names the operator
      const feed = (await env.DB.prepare("SELECT seq, entity, entity_id, op, version FROM change_feed WHERE tenant_id = ? ORDER BY seq").bind(tenant.id).all()).results as { seq: number; entity: string; entity_id: string; op: string; version: number }[];
      const tenders = (await env.DB.prepare("SELECT id FROM tenders WHERE tenant_id = ?").bind(tenant.id).all()).results.map((r) => r.id);
      expect(feed.filter((r) => r.entity !== "register").map((r) => `${r.entity}:${r.entity_id}`).sort()).toEqual(
        [`tenant:${tenant.id}`, `store:${store.id}`, `user:${admin.id}`, ...roles.map((r) => `role:${r.id}`), ...tenders.map((id) => `tender:${id}`)].sort(),
      );
      expect(feed.every((r) => r.op === "upsert" && r.version === 1)).toBe(true);
      expect(feed.at(-1)!.seq - feed[0]!.seq).toBe(feed.length - 1);
      expect(await auditOf(tenant.id)).toMatchObject([{ tenant_id: tenant.id, actor_type: "operator", action: "tenant.create", entity: "tenant", detail: { slug, storeCode: "HQ", admin: "boss" } }]);
    });

    it("refuses a duplicate slug with 409 TENANT_SLUG_TAKEN and writes nothing of it", async () => {
      const t = await createTenant({ slug: uniqueSlug("ten-dup") });
      const username = uniqueSlug("dupadmin");
      const code = uniqueSlug("DUP");
      const before = await orphans();
      const again = await onboard(onboarding(t.slug, { store: { code, name: "Dup", currency: "EUR", timeZone: "Europe/Paris", pricesIncludeTax: true }, admin: { username, displayName: "Dup", password: "a long enough password" } }));
      expect(again.status).toBe(409);
      expect(again.json.code).toBe("TENANT_SLUG_TAKEN");
      expect(again.json.error).toContain(t.slug);
      expect(await orphans()).toBe(before);
      const counts = await env.DB.prepare("SELECT (SELECT count(*) FROM users WHERE username = ?1) AS users, (SELECT count(*) FROM stores WHERE code = ?2) AS stores, (SELECT count(*) FROM tenants WHERE slug = ?3) AS tenants")
        .bind(username, code, t.slug).first();
      expect(counts).toEqual({ users: 0, stores: 0, tenants: 1 });
      // the original tenant is untouched
      expect((await getTenant(t.tenantId)).json.data).toMatchObject({ name: `Tenant ${t.slug}`, currency: "SEK", version: 1 });
      const ownUsers = (await env.DB.prepare("SELECT count(*) AS n FROM users WHERE tenant_id = ?").bind(t.tenantId).first<{ n: number }>())!.n;
      expect(ownUsers).toBe(1);
    });

    it("generates the administrator's PIN with the tenant's PIN length, shows it once and stores only its hashes", async () => {
      const slug = uniqueSlug("ten-pin");
      const res = await onboard(onboarding(slug, { taxRounding: "document", pinLength: 6 }));
      expect(res.status).toBe(201);
      expect(res.json.data.tenant).toMatchObject({ taxRounding: "document", pinLength: 6 });
      const pin = res.json.data.admin.pin as string;
      expect(pin).toMatch(/^\d{6}$/);
      const row = await env.DB.prepare("SELECT pin_hash, pin_lookup FROM users WHERE id = ?").bind(res.json.data.admin.id).first<{ pin_hash: string; pin_lookup: string }>();
      expect(row!.pin_hash).toMatch(/^pbkdf2_sha256\$/);
      expect(JSON.stringify(row)).not.toContain(pin);
      const dump = JSON.stringify((await env.DB.prepare("SELECT * FROM audit_log WHERE tenant_id = ?").bind(res.json.data.tenant.id).all()).results);
      expect(dump).not.toContain(`"${pin}"`);
      // a person cannot choose the administrator's PIN
      const chosen = await onboard(onboarding(uniqueSlug("ten-pin"), { admin: { username: "boss", displayName: "Boss", password: "a long enough password", pin: "2468" } }));
      expect(chosen.status).toBe(400);
      expect((await onboard(onboarding(uniqueSlug("ten-pin"), { pinLength: 3 }))).json.fields.map((f: { path: string }) => f.path)).toEqual(["pinLength"]);
    });

    it("validates the body with 400 naming the fields", async () => {
      const bad = await onboard({
        ...onboarding("Not A Slug"),
        currency: "XYZ",
        corsOrigins: ["https://till.example.com/app", "ftp://files.example.com"],
        store: { code: "HQ", name: "HQ", currency: "EUR", timeZone: "Moon/Base", pricesIncludeTax: true },
        admin: { username: "boss", displayName: "Boss" },
      });
      expect(bad.status).toBe(400);
      expect(bad.json.code).toBe("VALIDATION_ERROR");
      expect([...new Set(bad.json.fields.map((f: { path: string }) => f.path))].sort()).toEqual(
        ["admin.password", "corsOrigins.0", "corsOrigins.1", "currency", "slug", "store.timeZone"].sort(),
      );
    });
  });

  describe("get and patch", () => {
    it("gets a tenant; an unknown id is 404, a malformed one 400", async () => {
      const t = await createTenant({ slug: uniqueSlug("ten-get") });
      const res = await getTenant(t.tenantId);
      expect(res.status).toBe(200);
      expect(res.json.data).toEqual({
        id: t.tenantId, slug: t.slug, name: `Tenant ${t.slug}`, currency: "SEK", taxRounding: "line", corsOrigins: [], pinLength: 4, allowUnreferencedReturns: false, version: 1,
        createdAt: expect.any(String), updatedAt: expect.any(String),
      });
      const unknown = await getTenant(crypto.randomUUID());
      expect(unknown.status).toBe(404);
      expect(unknown.json.code).toBe("NOT_FOUND");
      expect((await getTenant("acme")).status).toBe(400);
      expect((await patch(crypto.randomUUID(), { name: "Ghost" })).status).toBe(404);

      // a deleted tenant is gone for the operator too
      await env.DB.prepare("UPDATE tenants SET deleted_at = ? WHERE id = ?").bind(Date.now(), t.tenantId).run();
      expect((await getTenant(t.tenantId)).json.code).toBe("NOT_FOUND");
      expect((await patch(t.tenantId, { name: "Back" })).json.code).toBe("NOT_FOUND");
    });

    it("updates name, tax rounding and origins (normalised), bumping the version, journalled", async () => {
      const t = await createTenant({ slug: uniqueSlug("ten-patch") });
      const res = await patch(t.tenantId, { name: "Renamed", taxRounding: "document", corsOrigins: ["https://till.example.com/", "http://localhost:5173"] });
      expect(res.status).toBe(200);
      expect(res.json.data).toMatchObject({ slug: t.slug, name: "Renamed", currency: "SEK", taxRounding: "document", corsOrigins: ["https://till.example.com", "http://localhost:5173"], version: 2 });
      expect((await getTenant(t.tenantId)).json.data).toEqual(res.json.data);
      const row = await env.DB.prepare("SELECT cors_origins, version FROM tenants WHERE id = ?").bind(t.tenantId).first<{ cors_origins: string; version: number }>();
      expect(JSON.parse(row!.cors_origins)).toEqual(["https://till.example.com", "http://localhost:5173"]);

      // a field left out stays as it was
      const partial = await patch(t.tenantId, { name: "Again" });
      expect(partial.json.data).toMatchObject({ name: "Again", taxRounding: "document", corsOrigins: ["https://till.example.com", "http://localhost:5173"], version: 3 });

      const audit = await auditOf(t.tenantId);
      expect(audit.map((a) => [a.action, a.actor_type])).toEqual([["tenant.create", "operator"], ["tenant.update", "operator"], ["tenant.update", "operator"]]);
      const feed = (await feedOf(t.tenantId)).filter((r) => r.entity === "tenant");
      expect(feed.map((r) => [r.tenant_id, r.op, r.version])).toEqual([[t.tenantId, "upsert", 1], [t.tenantId, "upsert", 2], [t.tenantId, "upsert", 3]]);
      expect(feed[2]!.seq).toBeGreaterThan(feed[1]!.seq);

      // a refused patch writes nothing
      const bad = await patch(t.tenantId, { corsOrigins: ["https://till.example.com/path"], taxRounding: "never" });
      expect(bad.status).toBe(400);
      expect(bad.json.fields.map((f: { path: string }) => f.path).sort()).toEqual(["corsOrigins.0", "taxRounding"]);
      expect((await getTenant(t.tenantId)).json.data.version).toBe(3);
      expect(await feedOf(t.tenantId)).toHaveLength(3);
    });

    it("lets browsers from the tenant's origins in, at once after a patch", async () => {
      const origin = `https://${uniqueSlug("till")}.example.com`;
      const t = await createTenant({ slug: uniqueSlug("ten-cors") });
      expect((await preflight(origin)).headers.get("Access-Control-Allow-Origin")).toBeNull();
      await patch(t.tenantId, { corsOrigins: [`${origin}/`] });
      expect((await preflight(origin)).headers.get("Access-Control-Allow-Origin")).toBe(origin);
      await patch(t.tenantId, { corsOrigins: [] });
      expect((await preflight(origin)).headers.get("Access-Control-Allow-Origin")).toBeNull();
    });

    it("never loses one of two concurrent patches", async () => {
      const t = await createTenant({ slug: uniqueSlug("ten-race") });
      // a few rounds, since two requests need not interleave every time
      for (let round = 1; round <= 6; round++) {
        const before = (await getTenant(t.tenantId)).json.data;
        const name = `Round ${round}`;
        const rounding = before.taxRounding === "line" ? "document" : "line";
        const [a, b] = await Promise.all([patch(t.tenantId, { name }), patch(t.tenantId, { taxRounding: rounding })]);
        const final = (await getTenant(t.tenantId)).json.data;
        if (a.status === 200 && b.status === 200) {
          expect(final).toMatchObject({ name, taxRounding: rounding, version: before.version + 2 });
        } else {
          // the loser is told, with what is there now, and nothing of it was written
          const [winner, loser, expected] = a.status === 200 ? [a, b, { name, taxRounding: before.taxRounding }] : [b, a, { name: before.name, taxRounding: rounding }];
          expect(winner.status).toBe(200);
          expect(loser.status).toBe(409);
          expect(loser.json.code).toBe("VERSION_CONFLICT");
          expect(loser.json.current).toMatchObject({ ...expected, version: before.version + 1 });
          expect(final).toMatchObject({ ...expected, version: before.version + 1 });
        }
      }
      // one feed row per version written, no version twice
      const versions = (await feedOf(t.tenantId)).filter((r) => r.entity === "tenant").map((r) => r.version);
      expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1));
      expect(versions.at(-1)).toBe((await getTenant(t.tenantId)).json.data.version);
    });
  });

  describe("origins", () => {
    // Origin headers a browser sends for no real site ("null": sandboxed frames, file: pages) and wildcards,
    // which CORS here never expands: each would be a 500 or an entry that silently means something else.
    const refused = ["*", "null", "https://*.example.com", "http://*", "not a url", ""];

    it("refuses wildcards and 'null' at onboarding with 400 naming the field, writing nothing", async () => {
      for (const origin of refused) {
        const slug = uniqueSlug("ten-origin");
        const res = await onboard(onboarding(slug, { corsOrigins: ["https://till.example.com", origin] }));
        expect(res.status, `${JSON.stringify(origin)}: ${JSON.stringify(res.json)}`).toBe(400);
        expect(res.json.code).toBe("VALIDATION_ERROR");
        expect(res.json.fields.map((f: { path: string }) => f.path)).toEqual(["corsOrigins.1"]);
        expect(await env.DB.prepare("SELECT count(*) AS n FROM tenants WHERE slug = ?").bind(slug).first("n")).toBe(0);
      }
    });

    it("refuses them in PATCH /tenants/:id with 400 naming the field, leaving the tenant as it was", async () => {
      const t = await createTenant({ slug: uniqueSlug("ten-origin"), corsOrigins: ["https://till.example.com"] });
      for (const origin of refused) {
        const res = await patch(t.tenantId, { corsOrigins: [origin] });
        expect(res.status, `${JSON.stringify(origin)}: ${JSON.stringify(res.json)}`).toBe(400);
        expect(res.json.code).toBe("VALIDATION_ERROR");
        expect(res.json.fields.map((f: { path: string }) => f.path)).toEqual(["corsOrigins.0"]);
      }
      expect((await getTenant(t.tenantId)).json.data).toMatchObject({ corsOrigins: ["https://till.example.com"], version: 1 });
      // a plain origin with a port is still fine
      expect((await patch(t.tenantId, { corsOrigins: ["http://localhost:5173", "https://[::1]:8443"] })).json.data.corsOrigins).toEqual(["http://localhost:5173", "https://[::1]:8443"]);
    });
  });
});
