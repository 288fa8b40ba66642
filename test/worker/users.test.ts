import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { pinLookup } from "../../worker/auth/credentials";
import { TEST_SECRETS } from "../fixtures/secrets.mjs";
import { api, auditOf, createStore, createTenant, d1Count, feedOf, journalCounts, randomIp, uniqueSlug, userWith, type TestTenant } from "./helpers";

const PW = "a long enough password";
const names = (res: { json: { data: { username: string }[] } }) => res.json.data.map((u) => u.username);

const post = (t: TestTenant, body: Record<string, unknown>) => api("POST", "/api/v1/users", { token: t.adminToken, body });
const put = (t: TestTenant, id: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
  api("PUT", `/api/v1/users/${id}`, { token: t.adminToken, body, headers });
const get = (t: TestTenant, id: string) => api("GET", `/api/v1/users/${id}`, { token: t.adminToken });
/** The user a PIN names in a store (the row a PIN login finds), or null. */
const pinOwner = async (storeId: string, pin: string) =>
  (await env.DB.prepare("SELECT user_id FROM store_pins WHERE store_id = ? AND pin_lookup = ?").bind(storeId, await pinLookup(pin, TEST_SECRETS.PIN_LOOKUP_KEY)).first<{ user_id: string }>())?.user_id ?? null;
const dbUser = (id: string) => env.DB.prepare("SELECT username, display_name, version, pin_lookup FROM users WHERE id = ?").bind(id).first<{ username: string; display_name: string; version: number; pin_lookup: string | null }>();

describe("users", () => {
  let t: TestTenant;
  let b: TestTenant;
  let s2: { id: string; code: string };
  beforeAll(async () => {
    [t, b] = await Promise.all([createTenant({ slug: uniqueSlug("usr-a") }), createTenant({ slug: uniqueSlug("usr-b") })]);
    s2 = await createStore(t, "S002");
  });

  describe("create", () => {
    it("answers 201 with the user and their generated PIN, stores the username lower-case, and journals the write in the same batch", async () => {
      const before = await journalCounts(t.tenantId);
      const res = await post(t, {
        username: "Mixed.Case_User",
        displayName: "  Mixed Case  ",
        email: "mixed@example.se",
        password: PW,
        // the same pair twice is one role
        storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }, { storeId: t.storeId, roleId: t.roles.Cashier }],
      });
      expect(res.status).toBe(201);
      expect(res.json.success).toBe(true);
      const { pin, ...user } = res.json.data;
      expect(pin).toMatch(/^\d{4}$/);
      expect(user).toMatchObject({
        username: "mixed.case_user",
        displayName: "Mixed Case",
        email: "mixed@example.se",
        isActive: true,
        hasPin: true,
        hasPassword: true,
        lastLoginAt: null,
        version: 1,
        storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }],
      });
      expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(Object.keys(user)).not.toContain("passwordHash");
      expect(Object.keys(user)).not.toContain("tenantId");
      // one round trip reads what the write needs, one batch writes it (user, roles, feed, audit together)
      expect(d1Count(res)).toBe(2);
      expect((await dbUser(user.id))!.username).toBe("mixed.case_user");

      const feed = await feedOf(user.id);
      expect(feed).toEqual([{ seq: expect.any(Number), tenant_id: t.tenantId, store_id: null, entity: "user", entity_id: user.id, op: "upsert", version: 1 }]);
      const audit = await auditOf(user.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ tenant_id: t.tenantId, actor_type: "user", actor_id: t.adminId, action: "user.create", entity: "user" });
      expect(audit[0]!.detail).toMatchObject({ username: "mixed.case_user", pinIssued: true });
      expect(JSON.stringify(audit[0]!.detail)).not.toContain(pin);
      expect(await journalCounts(t.tenantId)).toEqual({ feed: before.feed + 1, audit: before.audit + 1 });

      expect((await get(t, user.id)).json.data).toEqual(user);
      // the stored lower-case name is what login matches, whatever case the user types
      const login = await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username: "MIXED.CASE_USER", password: PW } });
      expect(login.status).toBe(200);
      expect(login.json.data.user.id).toBe(user.id);
      expect((await get(t, user.id)).json.data.lastLoginAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    });

    it("keeps a client-chosen id", async () => {
      const id = crypto.randomUUID();
      const res = await post(t, { id, username: uniqueSlug("own-id"), displayName: "Own id", password: PW });
      expect(res.status).toBe(201);
      expect(res.json.data.id).toBe(id);
      expect((await get(t, id)).status).toBe(200);
    });

    it("refuses a username already taken in the tenant, whatever its case, and writes nothing", async () => {
      const before = await journalCounts(t.tenantId);
      const dup = await post(t, { username: "ADMIN", displayName: "Another admin", password: PW });
      expect(dup.status).toBe(409);
      expect(dup.json).toMatchObject({ success: false, code: "USERNAME_TAKEN" });
      expect(dup.json.error).toContain("admin");
      expect(await journalCounts(t.tenantId)).toEqual(before);
      const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM users WHERE tenant_id = ? AND display_name = 'Another admin'").bind(t.tenantId).first<{ n: number }>())!;
      expect(n).toBe(0);
    });

    it("lets two tenants each have the same username", async () => {
      const username = uniqueSlug("same");
      expect((await post(t, { username, displayName: "In A", password: PW })).status).toBe(201);
      expect((await post(b, { username, displayName: "In B", password: PW })).status).toBe(201);
    });

    it("refuses store roles naming another tenant's store or role (422 UNKNOWN_REFERENCE naming each field)", async () => {
      const before = await journalCounts(t.tenantId);
      const res = await post(t, {
        username: uniqueSlug("ref"),
        displayName: "Ref",
        password: PW,
        storeRoles: [
          { storeId: t.storeId, roleId: t.roles.Cashier },
          { storeId: t.storeId, roleId: b.roles.Cashier },
          { storeId: b.storeId, roleId: t.roles.Cashier },
          { storeId: crypto.randomUUID(), roleId: crypto.randomUUID() },
        ],
      });
      expect(res.status).toBe(422);
      expect(res.json.code).toBe("UNKNOWN_REFERENCE");
      expect(res.json.fields.map((f: { path: string }) => f.path)).toEqual([
        "storeRoles.1.roleId",
        "storeRoles.2.storeId",
        "storeRoles.3.storeId",
        "storeRoles.3.roleId",
      ]);
      expect(await journalCounts(t.tenantId)).toEqual(before);
    });

    it("validates the body: 400 naming the fields, no credential at all refused", async () => {
      const res = await post(t, { username: "x", displayName: "", pin: "12", storeRoles: [{ storeId: "nope", roleId: t.roles.Cashier }] });
      expect(res.status).toBe(400);
      expect(res.json.code).toBe("VALIDATION_ERROR");
      expect(res.json.fields.map((f: { path: string }) => f.path).sort()).toEqual(["displayName", "pin", "storeRoles.0.storeId", "username"]);
      const none = await post(t, { username: uniqueSlug("nocred"), displayName: "No credential", issuePin: false });
      expect(none.status).toBe(400);
      expect(none.json.fields.map((f: { path: string }) => f.path)).toEqual(["issuePin"]);
    });
  });

  describe("update", () => {
    it("takes the version from If-Match or the body; a stale one is 409 with the current user; a mismatch is 400", async () => {
      const u = (await post(t, { username: uniqueSlug("upd"), displayName: "Before", password: PW })).json.data;
      const one = await put(t, u.id, { displayName: "After If-Match" }, { "If-Match": '"1"' });
      expect(one.status).toBe(200);
      expect(one.json.data).toMatchObject({ displayName: "After If-Match", version: 2 });
      expect(d1Count(one)).toBe(2);
      const two = await put(t, u.id, { version: 2, email: "u@example.se" });
      expect(two.status).toBe(200);
      expect(two.json.data).toMatchObject({ displayName: "After If-Match", email: "u@example.se", version: 3 });
      const weak = await put(t, u.id, { email: null }, { "If-Match": 'W/"3"' });
      expect(weak.json.data).toMatchObject({ email: null, version: 4 });

      const before = await journalCounts(t.tenantId);
      const stale = await put(t, u.id, { version: 2, displayName: "Lost update" });
      expect(stale.status).toBe(409);
      expect(stale.json.code).toBe("VERSION_CONFLICT");
      expect(stale.json.current).toEqual((await get(t, u.id)).json.data);
      expect(stale.json.current).toMatchObject({ id: u.id, displayName: "After If-Match", version: 4 });
      const staleHeader = await put(t, u.id, { displayName: "Lost update" }, { "If-Match": "3" });
      expect(staleHeader.status).toBe(409);
      expect(staleHeader.json.current.version).toBe(4);
      const mismatch = await put(t, u.id, { version: 4, displayName: "Mismatch" }, { "If-Match": "5" });
      expect(mismatch.status).toBe(400);
      expect(mismatch.json.code).toBe("VERSION_MISMATCH");
      const badHeader = await put(t, u.id, { displayName: "Bad" }, { "If-Match": "four" });
      expect(badHeader.status).toBe(400);
      expect(await journalCounts(t.tenantId)).toEqual(before);
      expect((await dbUser(u.id))).toMatchObject({ display_name: "After If-Match", version: 4 });

      const feed = await feedOf(u.id);
      expect(feed.map((r) => [r.entity, r.op, r.version])).toEqual([["user", "upsert", 1], ["user", "upsert", 2], ["user", "upsert", 3], ["user", "upsert", 4]]);
      expect(feed.every((r, i) => i === 0 || r.seq > feed[i - 1]!.seq)).toBe(true);
      const audit = await auditOf(u.id);
      expect(audit.map((r) => r.action)).toEqual(["user.create", "user.update", "user.update", "user.update"]);
      expect(audit[1]!.detail).toMatchObject({ fields: ["displayName"] });
    });

    it("lets exactly one of two concurrent writes of the same version through", async () => {
      const u = (await post(t, { username: uniqueSlug("race"), displayName: "Race", password: PW })).json.data;
      const results = await Promise.all([put(t, u.id, { version: 1, displayName: "First" }), put(t, u.id, { version: 1, displayName: "Second" })]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const loser = results.find((r) => r.status === 409)!;
      const winner = results.find((r) => r.status === 200)!;
      expect(loser.json.code).toBe("VERSION_CONFLICT");
      expect(loser.json.current).toMatchObject({ version: 2, displayName: winner.json.data.displayName });
      expect((await feedOf(u.id)).map((r) => r.version)).toEqual([1, 2]);
    });

    it("stores a new username lower-case and refuses a taken one", async () => {
      const u = (await post(t, { username: uniqueSlug("ren"), displayName: "Rename", password: PW })).json.data;
      const newName = uniqueSlug("NEW.Name").toUpperCase();
      const ok = await put(t, u.id, { version: 1, username: newName });
      expect(ok.status).toBe(200);
      expect(ok.json.data.username).toBe(newName.toLowerCase());
      expect((await dbUser(u.id))!.username).toBe(newName.toLowerCase());
      const before = await journalCounts(t.tenantId);
      const taken = await put(t, u.id, { version: 2, username: "Admin" });
      expect(taken.status).toBe(409);
      expect(taken.json.code).toBe("USERNAME_TAKEN");
      expect(await journalCounts(t.tenantId)).toEqual(before);
      expect(await dbUser(u.id)).toMatchObject({ username: newName.toLowerCase(), version: 2 });
    });

    it("replaces the store roles (not merges), the user's sessions end, and a new store brings a new PIN", async () => {
      const created = await post(t, { username: uniqueSlug("mover"), displayName: "Mover", password: PW, storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }] });
      const u = { id: created.json.data.id as string, username: created.json.data.username as string, pin: created.json.data.pin as string };
      const signedIn = await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username: u.username, password: PW } });
      expect(await pinOwner(t.storeId, u.pin)).toBe(u.id);
      const replaced = await put(t, u.id, { version: 1, storeRoles: [{ storeId: s2.id, roleId: t.roles.Manager }, { storeId: s2.id, roleId: t.roles.Cashier }] });
      expect(replaced.status).toBe(200);
      const expected = [{ storeId: s2.id, roleId: t.roles.Manager }, { storeId: s2.id, roleId: t.roles.Cashier }].sort((x, y) => (x.storeId + x.roleId).localeCompare(y.storeId + y.roleId));
      expect(replaced.json.data.storeRoles).toEqual(expected);
      expect((await get(t, u.id)).json.data.storeRoles).toEqual(expected);
      const { results } = await env.DB.prepare("SELECT store_id, role_id FROM user_store_roles WHERE user_id = ? ORDER BY store_id, role_id").bind(u.id).all();
      expect(results).toHaveLength(2);
      expect(results.every((r) => r.store_id === s2.id)).toBe(true);

      // the old store is closed to them, the new one open
      const ip = randomIp();
      const old = await api("POST", "/api/v1/auth/login", { ip, body: { tenant: t.slug, username: u.username, password: PW, store: "S001" } });
      expect(old.status).toBe(403);
      const now = await api("POST", "/api/v1/auth/login", { ip, body: { tenant: t.slug, username: u.username, password: PW } });
      expect(now.status).toBe(200);
      expect(now.json.data.store.code).toBe("S002");
      // the refresh token issued before the change no longer works
      const refreshed = await api("POST", "/api/v1/auth/refresh", { ip, body: { refreshToken: signedIn.json.data.refreshToken } });
      expect(refreshed.status).toBe(401);
      expect(refreshed.json.code).toBe("REFRESH_TOKEN_REVOKED");

      // S002 is new to them: a new PIN, answered once, names them there; the old one names nobody anywhere
      const newPin = replaced.json.data.pin as string;
      expect(newPin).toMatch(/^\d{4}$/);
      expect(await pinOwner(s2.id, newPin)).toBe(u.id);
      expect((await env.DB.prepare("SELECT store_id FROM store_pins WHERE user_id = ?").bind(u.id).all()).results).toEqual([{ store_id: s2.id }]);

      const cleared = await put(t, u.id, { version: 2, storeRoles: [] });
      expect(cleared.json.data.storeRoles).toEqual([]);
      expect("pin" in cleared.json.data).toBe(false);
      expect((await feedOf(u.id)).map((r) => r.version)).toEqual([1, 2, 3]);
    });

    it("refuses store roles naming another tenant's store or role on update too", async () => {
      const u = (await post(t, { username: uniqueSlug("xref"), displayName: "X", password: PW })).json.data;
      const res = await put(t, u.id, { version: 1, storeRoles: [{ storeId: b.storeId, roleId: b.roles.Cashier }] });
      expect(res.status).toBe(422);
      expect(res.json.code).toBe("UNKNOWN_REFERENCE");
      expect(res.json.fields).toEqual([
        { path: "storeRoles.0.storeId", message: expect.any(String) },
        { path: "storeRoles.0.roleId", message: expect.any(String) },
      ]);
      expect((await dbUser(u.id))!.version).toBe(1);
    });

    it("removes a PIN with pin: null (it then names nobody), and takes no other value for it", async () => {
      const a = (await post(t, { username: uniqueSlug("pa"), displayName: "A", password: PW, storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }] })).json.data;
      expect(await pinOwner(t.storeId, a.pin)).toBe(a.id);
      const chosen = await put(t, a.id, { version: 1, pin: "5511" });
      expect(chosen.status).toBe(400);
      expect(chosen.json.fields).toEqual([{ path: "pin", message: expect.stringContaining("/api/v1/users/:id/reset-pin") }]);
      const removed = await put(t, a.id, { version: 1, pin: null });
      expect(removed.status).toBe(200);
      expect(removed.json.data).toMatchObject({ hasPin: false, hasPassword: true, version: 2 });
      expect("pin" in removed.json.data).toBe(false);
      expect(await dbUser(a.id)).toMatchObject({ pin_lookup: null });
      expect(await pinOwner(t.storeId, a.pin)).toBeNull();
      expect((await env.DB.prepare("SELECT count(*) AS n FROM store_pins WHERE user_id = ?").bind(a.id).first<{ n: number }>())!.n).toBe(0);
      // the user keeps their store; a reset gives them a PIN again
      const reset = await api("POST", `/api/v1/users/${a.id}/reset-pin`, { token: t.adminToken });
      expect(reset.json.data).toMatchObject({ hasPin: true, version: 3, storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }] });
      expect(await pinOwner(t.storeId, reset.json.data.pin)).toBe(a.id);
    });

    it("refuses to remove both PIN and password (422), writing nothing", async () => {
      const pwOnly = (await post(t, { username: uniqueSlug("pw"), displayName: "Pw", password: PW, issuePin: false })).json.data;
      const both = (await post(t, { username: uniqueSlug("both"), displayName: "Both", password: PW })).json.data;
      const before = await journalCounts(t.tenantId);
      const r1 = await put(t, pwOnly.id, { version: 1, password: null });
      expect(r1.status).toBe(422);
      expect(r1.json.code).toBe("NO_CREDENTIAL");
      expect(r1.json.fields).toHaveLength(1);
      const r2 = await put(t, both.id, { version: 1, pin: null, password: null });
      expect(r2.status).toBe(422);
      expect(r2.json.code).toBe("NO_CREDENTIAL");
      expect(await journalCounts(t.tenantId)).toEqual(before);
      expect((await get(t, both.id)).json.data).toMatchObject({ hasPin: true, hasPassword: true, version: 1 });
      // one of them alone is fine
      const r3 = await put(t, both.id, { version: 1, password: null });
      expect(r3.json.data).toMatchObject({ hasPin: true, hasPassword: false, version: 2 });
    });

    it("deactivating a user ends their sessions and hides them from the employee list", async () => {
      const u = await userWith(t, ["pos.sell"]);
      const off = await put(t, u.id, { version: 1, isActive: false });
      expect(off.json.data).toMatchObject({ isActive: false, version: 2 });
      const refreshed = await api("POST", "/api/v1/auth/refresh", { body: { refreshToken: u.refreshToken } });
      expect(refreshed.status).toBe(401);
      expect(refreshed.json.code).toBe("REFRESH_TOKEN_REVOKED");
      const employees = await api("GET", "/api/v1/users/store-employees", { token: t.adminToken });
      expect(employees.json.data.map((e: { id: string }) => e.id)).not.toContain(u.id);
    });
  });

  describe("delete", () => {
    it("soft-deletes: gone from the API, sessions ended, PIN rows and store roles removed, username free, journalled", async () => {
      const u = (await post(t, { username: uniqueSlug("gone"), displayName: "Gone", password: PW, storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }] })).json.data;
      const login = await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username: u.username, password: PW } });
      expect(login.status).toBe(200);
      const before = await journalCounts(t.tenantId);
      const stale = await api("DELETE", `/api/v1/users/${u.id}`, { token: t.adminToken, headers: { "If-Match": '"7"' } });
      expect(stale.status).toBe(409);
      expect(stale.json.current).toMatchObject({ id: u.id, version: 1 });
      expect(await journalCounts(t.tenantId)).toEqual(before);

      const res = await api("DELETE", `/api/v1/users/${u.id}`, { token: t.adminToken, headers: { "If-Match": '"1"' } });
      expect(res.status).toBe(200);
      expect(res.json.data).toEqual({ id: u.id, deleted: true });
      expect(d1Count(res)).toBe(2);
      expect(await journalCounts(t.tenantId)).toEqual({ feed: before.feed + 1, audit: before.audit + 1 });
      expect((await feedOf(u.id)).map((r) => [r.op, r.version])).toEqual([["upsert", 1], ["delete", 2]]);
      const audit = await auditOf(u.id);
      expect(audit.at(-1)).toMatchObject({ action: "user.delete", actor_id: t.adminId, detail: { username: u.username } });

      expect((await get(t, u.id)).status).toBe(404);
      expect((await put(t, u.id, { displayName: "Back" })).status).toBe(404);
      expect((await api("DELETE", `/api/v1/users/${u.id}`, { token: t.adminToken })).status).toBe(404);
      expect((await api("GET", `/api/v1/users?search=${u.username}`, { token: t.adminToken })).json.total).toBe(0);
      const employees = await api("GET", "/api/v1/users/store-employees", { token: t.adminToken });
      expect(employees.json.data.map((e: { id: string }) => e.id)).not.toContain(u.id);

      const row = await env.DB.prepare("SELECT deleted_at, password_hash, pin_hash, pin_lookup FROM users WHERE id = ?").bind(u.id).first<Record<string, unknown>>();
      expect(row).toEqual({ deleted_at: expect.any(Number), password_hash: null, pin_hash: null, pin_lookup: null });
      expect(await pinOwner(t.storeId, u.pin)).toBeNull();
      const left = await env.DB.prepare("SELECT (SELECT count(*) FROM user_store_roles WHERE user_id = ?1) AS roles, (SELECT count(*) FROM store_pins WHERE user_id = ?1) AS pins, (SELECT count(*) FROM sessions WHERE user_id = ?1 AND revoked_at IS NULL) AS sessions").bind(u.id).first();
      expect(left).toEqual({ roles: 0, pins: 0, sessions: 0 });
      expect((await api("POST", "/api/v1/auth/refresh", { body: { refreshToken: login.json.data.refreshToken } })).status).toBe(401);
      expect((await api("POST", "/api/v1/auth/login", { ip: randomIp(), body: { tenant: t.slug, username: u.username, password: PW } })).status).toBe(401);
      // the username is free for someone new
      const again = await post(t, { username: u.username, displayName: "Someone new", password: PW });
      expect(again.status).toBe(201);
      expect(again.json.data.id).not.toBe(u.id);
    });

    it("is bounded like any edit: users.edit deletes only users who hold nothing it lacks", async () => {
      const editor = await userWith(t, ["users.edit"]);
      const cashier = (await post(t, { username: uniqueSlug("kept"), displayName: "Kept", password: PW, storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }] })).json.data;
      const roleless = (await post(t, { username: uniqueSlug("free"), displayName: "Free", password: PW })).json.data;
      const refused = await api("DELETE", `/api/v1/users/${cashier.id}`, { token: editor.token });
      expect(refused.status).toBe(403);
      expect(refused.json.code).toBe("TARGET_OUTRANKS_EDITOR");
      expect((await get(t, cashier.id)).status).toBe(200);
      expect((await api("DELETE", `/api/v1/users/${roleless.id}`, { token: editor.token })).status).toBe(200);
    });
  });

  describe("list", () => {
    let tt: TestTenant;
    let k2: { id: string };
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      tt = await createTenant({ slug: uniqueSlug("usr-list") });
      // the admin makes K2 and so holds their roles there too
      k2 = await createStore(tt, "K2");
      const make = async (username: string, displayName: string, extra: Record<string, unknown>) => {
        const res = await post(tt, { username, displayName, password: PW, ...extra });
        if (res.status !== 201) throw new Error(JSON.stringify(res.json));
        ids[username] = res.json.data.id;
      };
      await make("alice", "Alice Andersson", { storeRoles: [{ storeId: tt.storeId, roleId: tt.roles.Cashier }, { storeId: tt.storeId, roleId: tt.roles.Manager }] });
      await make("bob", "Bob Berg", { isActive: false, storeRoles: [{ storeId: k2.id, roleId: tt.roles.Cashier }] });
      await make("carl", "Carl Malin", {});
      await make("dan_1", "Dan 100%", {});
      // another tenant's users never show
      await post(b, { username: "alice2", displayName: "Alice of B", password: PW });
    });
    const list = (qs = "") => api("GET", `/api/v1/users${qs}`, { token: tt.adminToken });

    it("pages by username with total, page and pageSize, in one round trip", async () => {
      const all = await list();
      expect(all.status).toBe(200);
      expect(all.json).toMatchObject({ success: true, total: 5, page: 1, pageSize: 50 });
      expect(names(all)).toEqual(["admin", "alice", "bob", "carl", "dan_1"]);
      expect(d1Count(all)).toBe(1);

      const p1 = await list("?pageSize=2&page=1");
      expect(p1.json).toMatchObject({ total: 5, page: 1, pageSize: 2 });
      expect(names(p1)).toEqual(["admin", "alice"]);
      const p3 = await list("?pageSize=2&page=3");
      expect(names(p3)).toEqual(["dan_1"]);
      const past = await list("?pageSize=2&page=4");
      expect(past.json).toMatchObject({ data: [], total: 5, page: 4, pageSize: 2 });
      for (const res of [p1, p3, past, await list("?pageSize=200")]) expect(d1Count(res)).toBe(1);

      // list items carry the user's store roles, read in the same query
      expect(all.json.data[1].storeRoles).toHaveLength(2);
      expect(all.json.data[2].storeRoles).toEqual([{ storeId: k2.id, roleId: tt.roles.Cashier }]);
    });

    it("searches username and display name, case-insensitively, with % and _ taken literally", async () => {
      expect(names(await list("?search=ALI"))).toEqual(["alice", "carl"]); // alice by username, Carl Malin by display name
      expect(names(await list("?search=berg"))).toEqual(["bob"]);
      expect(names(await list("?search=_1"))).toEqual(["dan_1"]);
      expect(names(await list("?search=%25"))).toEqual(["dan_1"]);
      expect(names(await list("?search=a_i"))).toEqual([]);
      const s = await list("?search=ali&pageSize=1");
      expect(s.json).toMatchObject({ total: 2, pageSize: 1 });
    });

    it("filters by store and by active flag, alone and together", async () => {
      // alice holds two roles in S001 and is listed once
      const inMain = await list(`?storeId=${tt.storeId}`);
      expect(names(inMain)).toEqual(["admin", "alice"]);
      expect(inMain.json.total).toBe(2);
      expect(names(await list(`?storeId=${k2.id}`))).toEqual(["admin", "bob"]);
      expect(names(await list("?isActive=false"))).toEqual(["bob"]);
      expect(names(await list("?isActive=true"))).toEqual(["admin", "alice", "carl", "dan_1"]);
      expect(names(await list(`?storeId=${k2.id}&isActive=true`))).toEqual(["admin"]);
      expect(names(await list(`?storeId=${tt.storeId}&search=ali`))).toEqual(["alice"]);
      // another tenant's store matches none of this tenant's users
      expect((await list(`?storeId=${b.storeId}`)).json.total).toBe(0);
    });

    it("refuses bad query values with 400 naming the parameter", async () => {
      for (const [qs, field] of [["?isActive=yes", "query.isActive"], ["?storeId=S001", "query.storeId"], ["?pageSize=0", "query.pageSize"], ["?page=-1", "query.page"], ["?pageSize=201", "query.pageSize"]] as const) {
        const res = await list(qs);
        expect(res.status, qs).toBe(400);
        expect(res.json.code).toBe("VALIDATION_ERROR");
        expect(res.json.fields.map((f: { path: string }) => f.path)).toEqual([field]);
      }
    });

    it("lists the current store's active employees to any signed-in user, once each", async () => {
      const cashier = await userWith(tt, []);
      const res = await api("GET", "/api/v1/users/store-employees", { token: cashier.token });
      expect(res.status).toBe(200);
      expect(d1Count(res)).toBe(1);
      // sorted by display name; bob (inactive, other store), carl and dan (no store) are not there
      expect(res.json.data.map((u: { id: string }) => u.id)).toEqual([tt.adminId, ids.alice, cashier.id]);
      expect(Object.keys(res.json.data[0]).sort()).toEqual(["displayName", "id", "isActive", "username"]);

      // signed into K2 the list is K2's: the admin (who made it) and the clerk; bob is inactive
      const k2User = (await post(tt, { username: uniqueSlug("k2"), displayName: "K2 clerk", password: PW, storeRoles: [{ storeId: k2.id, roleId: tt.roles.Cashier }] })).json.data;
      const login = await api("POST", "/api/v1/auth/login", { body: { tenant: tt.slug, username: k2User.username, password: PW } });
      expect(login.json.data.store.code).toBe("K2");
      const there = await api("GET", "/api/v1/users/store-employees", { token: login.json.data.accessToken });
      expect(there.json.data.map((u: { id: string }) => u.id)).toEqual([tt.adminId, k2User.id]);
      // reactivating bob brings him back
      expect((await put(tt, ids.bob!, { isActive: true })).status).toBe(200);
      const again = await api("GET", "/api/v1/users/store-employees", { token: login.json.data.accessToken });
      expect(again.json.data.map((u: { username: string }) => u.username)).toEqual(["admin", "bob", k2User.username]);
      // no token, no list
      expect((await api("GET", "/api/v1/users/store-employees")).status).toBe(401);
    });
  });

  describe("tenancy", () => {
    it("answers 404 for another tenant's user on GET and PUT, never 403, and changes nothing", async () => {
      const theirs = (await post(b, { username: uniqueSlug("theirs"), displayName: "Theirs", password: PW, storeRoles: [{ storeId: b.storeId, roleId: b.roles.Cashier }] })).json.data;
      for (const id of [theirs.id, b.adminId]) {
        const got = await get(t, id);
        expect(got.status).toBe(404);
        expect(got.json.code).toBe("NOT_FOUND");
        const updated = await put(t, id, { version: 1, displayName: "Hijacked", isActive: false });
        expect(updated.status).toBe(404);
        expect(updated.json.code).toBe("NOT_FOUND");
        const versioned = await put(t, id, { displayName: "Hijacked" }, { "If-Match": "1" });
        expect(versioned.status).toBe(404);
      }
      expect(await dbUser(theirs.id)).toMatchObject({ display_name: "Theirs", version: 1 });
      expect((await feedOf(theirs.id)).map((r) => r.version)).toEqual([1]);
      // their own admin sees it
      expect((await get(b, theirs.id)).status).toBe(200);
      // an unknown id is 404 too, a malformed one 400
      expect((await get(t, crypto.randomUUID())).status).toBe(404);
      expect((await put(t, crypto.randomUUID(), { displayName: "x" })).status).toBe(404);
      expect((await get(t, "not-a-uuid")).status).toBe(400);
    });

    it("never lists another tenant's users", async () => {
      const marker = uniqueSlug("mark");
      await post(b, { username: marker, displayName: marker, password: PW });
      const res = await api("GET", `/api/v1/users?search=${marker}`, { token: t.adminToken });
      expect(res.json).toMatchObject({ data: [], total: 0 });
      const all = await api("GET", "/api/v1/users?pageSize=200", { token: t.adminToken });
      const ours = (await env.DB.prepare("SELECT count(*) AS n FROM users WHERE tenant_id = ? AND deleted_at IS NULL").bind(t.tenantId).first<{ n: number }>())!.n;
      expect(all.json.total).toBe(ours);
      expect(all.json.data.map((u: { id: string }) => u.id)).not.toContain(b.adminId);
    });
  });
});
