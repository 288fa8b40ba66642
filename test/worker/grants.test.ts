import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { routeTable } from "../../worker/app";
import { pinLookup, verifySecret } from "../../worker/auth/credentials";
import { REFUSAL_WINDOW_MS, REFUSALS_PER_WINDOW, refusalKey } from "../../worker/domain/refusals";
import { TEST_SECRETS } from "../fixtures/secrets.mjs";
import { api, createStore, createTenant, operatorToken, uniqueSlug, type ApiResponse, type TestTenant } from "./helpers";

/**
 * Nobody gives what they do not have: the attacks found against users and roles, each reproduced through HTTP.
 * A refusal is a 403 with a code that says why, and leaves the change feed and the audit log (refusal records
 * apart) as they were.
 */

const PW = "a long enough password";
type StoreRole = { storeId: string; roleId: string };

interface Member {
  id: string;
  username: string;
  token: string;
  refreshToken: string;
  pin?: string;
}

/** A user the admin creates with these store roles and a password, signed in (to `store` when given). */
async function member(t: TestTenant, storeRoles: StoreRole[], options: { store?: string; issuePin?: boolean } = {}): Promise<Member> {
  const username = `m${crypto.randomUUID().slice(0, 8)}`;
  const created = await api("POST", "/api/v1/users", { token: t.adminToken, body: { username, displayName: username, password: PW, storeRoles, issuePin: options.issuePin ?? false } });
  if (created.status !== 201) throw new Error(`member: ${created.status} ${JSON.stringify(created.json)}`);
  const login = await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username, password: PW, ...(options.store ? { store: options.store } : {}) } });
  if (login.status !== 200) throw new Error(`member login: ${login.status} ${JSON.stringify(login.json)}`);
  return { id: created.json.data.id, username, token: login.json.data.accessToken, refreshToken: login.json.data.refreshToken, pin: created.json.data.pin };
}

/** A role of exactly these permissions, made by the admin. */
async function role(t: TestTenant, permissions: string[]): Promise<string> {
  const res = await api("POST", "/api/v1/roles", { token: t.adminToken, body: { name: `role-${crypto.randomUUID().slice(0, 8)}`, permissions } });
  if (res.status !== 201) throw new Error(`role: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.data.id;
}

/** The tenant's change-feed rows and audit rows other than refusal records: a refused write leaves both as they were. */
async function journal(tenantId: string) {
  return (await env.DB.prepare(
    "SELECT (SELECT count(*) FROM change_feed WHERE tenant_id = ?1) AS feed, (SELECT count(*) FROM audit_log WHERE tenant_id = ?1 AND action NOT LIKE 'access.%') AS audit",
  ).bind(tenantId).first<{ feed: number; audit: number }>())!;
}

/** The refusal records of one actor, oldest first. */
async function refusalsOf(actorId: string) {
  const { results } = await env.DB.prepare("SELECT tenant_id, actor_type, action, detail FROM audit_log WHERE actor_id = ? AND action LIKE 'access.%' ORDER BY at, rowid").bind(actorId).all<{ tenant_id: string; actor_type: string; action: string; detail: string }>();
  return results.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, any> }));
}

const userRow = (id: string) =>
  env.DB.prepare("SELECT username, display_name, is_active, password_hash, pin_hash, pin_lookup, version, deleted_at FROM users WHERE id = ?").bind(id).first<Record<string, unknown>>();
const storeRolesOf = async (userId: string) =>
  (await env.DB.prepare("SELECT store_id AS storeId, role_id AS roleId FROM user_store_roles WHERE user_id = ? ORDER BY store_id, role_id").bind(userId).all<StoreRole>()).results;
const pinRowsOf = async (userId: string) =>
  (await env.DB.prepare("SELECT store_id, pin_lookup FROM store_pins WHERE user_id = ? ORDER BY store_id").bind(userId).all<{ store_id: string; pin_lookup: string }>()).results;
/** Who a PIN names in a store (the store_pins row a PIN login finds). */
const ownerOfPin = async (storeId: string, pin: string) =>
  (await env.DB.prepare("SELECT user_id FROM store_pins WHERE store_id = ? AND pin_lookup = ?").bind(storeId, await pinLookup(pin, TEST_SECRETS.PIN_LOOKUP_KEY)).first<{ user_id: string }>())?.user_id ?? null;
const lookupOf = (pin: string) => pinLookup(pin, TEST_SECRETS.PIN_LOOKUP_KEY);

function expectRefused(res: ApiResponse, code: string, ...mentions: string[]) {
  expect(res.status, JSON.stringify(res.json)).toBe(403);
  expect(res.json).toMatchObject({ success: false, code });
  for (const m of mentions) expect(res.json.error).toContain(m);
}

const putUser = (token: string, id: string, body: Record<string, unknown>) => api("PUT", `/api/v1/users/${id}`, { token, body });

describe("no answer reveals another user's PIN", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await createTenant({ slug: uniqueSlug("grant-pin") });
  });

  it("takes no chosen PIN: POST and PUT /users with a pin are 400 naming pin and pointing to reset-pin, writing nothing", async () => {
    const cashier = await member(t, [{ storeId: t.storeId, roleId: t.roles.Cashier! }]);
    const before = await journal(t.tenantId);
    // The attack: try PINs until one is refused as taken. No PIN is taken or refused any more: none is accepted.
    for (const pin of [t.adminPin, "1234", "0000"]) {
      const created = await api("POST", "/api/v1/users", { token: t.adminToken, body: { username: uniqueSlug("chosen"), displayName: "Chosen", pin, storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }] } });
      expect(created.status).toBe(400);
      expect(created.json.code).toBe("VALIDATION_ERROR");
      expect(created.json.fields).toEqual([{ path: "pin", message: expect.stringContaining("reset-pin") }]);
      const updated = await putUser(t.adminToken, cashier.id, { version: 1, pin });
      expect(updated.status).toBe(400);
      expect(updated.json.fields).toEqual([{ path: "pin", message: expect.stringContaining("reset-pin") }]);
    }
    expect((await putUser(t.adminToken, cashier.id, { version: 1, pin: 1234 })).status).toBe(400);
    expect(await journal(t.tenantId)).toEqual(before);
    expect(await userRow(cashier.id)).toMatchObject({ version: 1, pin_hash: null });
    // ...and the cashier, holding pos.sell only, reaches none of the user routes
    expectRefused(await api("POST", "/api/v1/users", { token: cashier.token, body: { username: uniqueSlug("x"), displayName: "X" } }), "MISSING_PERMISSION");
    expectRefused(await api("POST", `/api/v1/users/${t.adminId}/reset-pin`, { token: cashier.token }), "MISSING_PERMISSION", "users.edit");
  });

  it("answers only the new user's own PIN, once: it is theirs (hash and store rows), and no read shows it again", async () => {
    const res = await api("POST", "/api/v1/users", { token: t.adminToken, body: { username: uniqueSlug("own"), displayName: "Own", storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }] } });
    expect(res.status).toBe(201);
    const { pin, ...user } = res.json.data;
    expect(pin).toMatch(/^\d{4}$/);
    expect(user.hasPin).toBe(true);
    const row = await userRow(user.id);
    expect(await verifySecret(pin, row!.pin_hash as string)).toBe(true);
    expect(await pinRowsOf(user.id)).toEqual([{ store_id: t.storeId, pin_lookup: await lookupOf(pin) }]);
    // the administrator's PIN still names the administrator: nobody's PIN was touched or shown
    expect(await ownerOfPin(t.storeId, t.adminPin)).toBe(t.adminId);
    expect(await ownerOfPin(t.storeId, pin)).toBe(user.id);
    const got = await api("GET", `/api/v1/users/${user.id}`, { token: t.adminToken });
    expect(got.json.data).toEqual(user);
    const list = await api("GET", "/api/v1/users?pageSize=200", { token: t.adminToken });
    expect(list.json.data.every((u: Record<string, unknown>) => !("pin" in u))).toBe(true);
    const me = await api("GET", "/api/v1/auth/me", { token: t.adminToken });
    expect("pin" in me.json.data.user).toBe(false);
  });
});

describe("the Manager cannot reach Administrator by any route", () => {
  let t: TestTenant;
  let s2: { id: string; code: string };
  let manager: Member;
  let cashier: Member;
  beforeAll(async () => {
    t = await createTenant({ slug: uniqueSlug("grant-mgr") });
    s2 = await createStore(t, "S002"); // the admin is Administrator there too
    [manager, cashier] = await Promise.all([
      member(t, [{ storeId: t.storeId, roleId: t.roles.Manager! }]),
      member(t, [{ storeId: t.storeId, roleId: t.roles.Cashier! }]),
    ]);
  });

  it("is refused every way up, with a code that says why, and nothing is written", async () => {
    const before = await journal(t.tenantId);
    const admin = await userRow(t.adminId);
    const mgr = manager.token;
    const asManager = { storeId: t.storeId, roleId: t.roles.Manager! };
    const attempts: [string, () => Promise<ApiResponse>, string, string[]][] = [
      ["give itself Administrator in its store", () => putUser(mgr, manager.id, { version: 1, storeRoles: [asManager, { storeId: t.storeId, roleId: t.roles.Administrator }] }), "GRANT_EXCEEDS_OWN", ["Administrator", "S001", "roles.manage"]],
      ["give itself Administrator in another store", () => putUser(mgr, manager.id, { version: 1, storeRoles: [asManager, { storeId: s2.id, roleId: t.roles.Administrator }] }), "NOT_USER_ADMIN_IN_STORE", ["S002", "users.edit"]],
      ["give itself Manager in another store", () => putUser(mgr, manager.id, { version: 1, storeRoles: [asManager, { storeId: s2.id, roleId: t.roles.Manager }] }), "NOT_USER_ADMIN_IN_STORE", ["S002"]],
      ["give another user Administrator", () => putUser(mgr, cashier.id, { version: 1, storeRoles: [{ storeId: t.storeId, roleId: t.roles.Administrator }] }), "GRANT_EXCEEDS_OWN", ["S001"]],
      ["set the administrator's password", () => putUser(mgr, t.adminId, { version: 1, password: "the manager's choice" }), "TARGET_OUTRANKS_EDITOR", ["admin", "S001"]],
      ["rename the administrator", () => putUser(mgr, t.adminId, { version: 1, username: "ousted" }), "TARGET_OUTRANKS_EDITOR", ["S001"]],
      ["deactivate the administrator", () => putUser(mgr, t.adminId, { version: 1, isActive: false }), "TARGET_OUTRANKS_EDITOR", ["S001"]],
      ["take the administrator's roles", () => putUser(mgr, t.adminId, { version: 1, storeRoles: [] }), "TARGET_OUTRANKS_EDITOR", ["S001"]],
      ["reset the administrator's PIN", () => api("POST", `/api/v1/users/${t.adminId}/reset-pin`, { token: mgr }), "TARGET_OUTRANKS_EDITOR", ["S001"]],
      ["delete the administrator", () => api("DELETE", `/api/v1/users/${t.adminId}`, { token: mgr }), "TARGET_OUTRANKS_EDITOR", ["S001"]],
      ["edit the Administrator role's permissions", () => api("PUT", `/api/v1/roles/${t.roles.Administrator}/permissions`, { token: mgr, body: { permissions: [] } }), "MISSING_PERMISSION", ["roles.manage"]],
      ["edit the Manager role's permissions", () => api("PUT", `/api/v1/roles/${t.roles.Manager}/permissions`, { token: mgr, body: { permissions: ["roles.manage", "users.create"] } }), "MISSING_PERMISSION", ["roles.manage"]],
      ["rename a role", () => api("PUT", `/api/v1/roles/${t.roles.Administrator}`, { token: mgr, body: { name: "Former administrator" } }), "MISSING_PERMISSION", ["roles.manage"]],
      ["create a role", () => api("POST", "/api/v1/roles", { token: mgr, body: { name: "Everything", permissions: ["roles.manage"] } }), "MISSING_PERMISSION", ["roles.manage"]],
      ["create a user holding more than it does", () => api("POST", "/api/v1/users", { token: mgr, body: { username: uniqueSlug("up"), displayName: "Up", password: PW, storeRoles: [{ storeId: t.storeId, roleId: t.roles.Administrator }] } }), "MISSING_PERMISSION", ["users.create"]],
    ];
    for (const [name, attempt, code, mentions] of attempts) {
      const res = await attempt();
      expect(res.status, name).toBe(403);
      expect(res.json.code, name).toBe(code);
      for (const m of mentions) expect(res.json.error, name).toContain(m);
    }
    expect(await journal(t.tenantId)).toEqual(before);
    expect(await userRow(t.adminId)).toEqual(admin);
    expect(await storeRolesOf(manager.id)).toEqual([asManager]);
    expect(await storeRolesOf(cashier.id)).toEqual([{ storeId: t.storeId, roleId: t.roles.Cashier }]);
    expect(await ownerOfPin(t.storeId, t.adminPin)).toBe(t.adminId);
    // the administrator's sessions live on
    expect((await api("POST", "/api/v1/stores", { token: t.adminToken, body: { code: uniqueSlug("S").slice(0, 10), name: "Still admin", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true } })).status).toBe(201);
    // every refusal is on record, each with its route and code
    const records = await refusalsOf(manager.id);
    expect(records.map((r) => r.detail.code)).toEqual(attempts.map(([, , code]) => code));
    expect(records[0]).toMatchObject({ tenant_id: t.tenantId, actor_type: "user", action: "access.refused", detail: { route: "PUT /api/v1/users/:id", params: { id: manager.id } } });
    expect(records[8]!.detail).toMatchObject({ route: "POST /api/v1/users/:id/reset-pin", code: "TARGET_OUTRANKS_EDITOR", params: { id: t.adminId } });
  });

  it("still does what it fully holds: makes a cashier a Manager in its store, takes it back", async () => {
    const up = await putUser(manager.token, cashier.id, { version: 1, storeRoles: [{ storeId: t.storeId, roleId: t.roles.Manager }] });
    expect(up.status).toBe(200);
    expect(up.json.data.storeRoles).toEqual([{ storeId: t.storeId, roleId: t.roles.Manager }]);
    // ...but once that user holds what it holds, a role it lacks stays out of reach of both
    const crossed = await putUser(manager.token, cashier.id, { version: 2, storeRoles: [{ storeId: s2.id, roleId: t.roles.Cashier }] });
    expectRefused(crossed, "NOT_USER_ADMIN_IN_STORE", "S002");
    const down = await putUser(manager.token, cashier.id, { version: 2, storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }] });
    expect(down.status).toBe(200);
  });

  it("cannot edit a user who works in a store where it holds nothing", async () => {
    const elsewhere = await member(t, [{ storeId: s2.id, roleId: t.roles.Cashier! }]);
    expectRefused(await putUser(manager.token, elsewhere.id, { version: 1, displayName: "Renamed" }), "TARGET_OUTRANKS_EDITOR", "S002", "pos.sell");
    expect(await userRow(elsewhere.id)).toMatchObject({ version: 1 });
  });
});

describe("grants are bounded by the granter", () => {
  let t: TestTenant;
  let s2: { id: string; code: string };
  beforeAll(async () => {
    t = await createTenant({ slug: uniqueSlug("grant-bnd") });
    s2 = await createStore(t, "S002");
  });

  it("a user holding only users.create creates nobody holding a permission it lacks", async () => {
    const creatorRole = await role(t, ["users.create"]);
    const creator = await member(t, [{ storeId: t.storeId, roleId: creatorRole }]);
    const create = (storeRoles: StoreRole[]) =>
      api("POST", "/api/v1/users", { token: creator.token, body: { username: uniqueSlug("made"), displayName: "Made", password: PW, storeRoles } });
    const before = await journal(t.tenantId);
    expectRefused(await create([{ storeId: t.storeId, roleId: t.roles.Administrator! }]), "GRANT_EXCEEDS_OWN", "Administrator", "S001");
    expectRefused(await create([{ storeId: t.storeId, roleId: t.roles.Cashier! }]), "GRANT_EXCEEDS_OWN", "pos.sell");
    expectRefused(await create([{ storeId: t.storeId, roleId: creatorRole }, { storeId: s2.id, roleId: creatorRole }]), "NOT_USER_ADMIN_IN_STORE", "users.create", "S002");
    expect(await journal(t.tenantId)).toEqual(before);
    const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM users WHERE tenant_id = ? AND display_name = 'Made'").bind(t.tenantId).first<{ n: number }>())!;
    expect(n).toBe(0);
    // what it holds, it can give; and a user with no role at all
    expect((await create([{ storeId: t.storeId, roleId: creatorRole }])).status).toBe(201);
    expect((await create([])).status).toBe(201);
  });

  it("takes a role away only where the editor holds users.edit, even one it holds", async () => {
    const [editHere, sellThere] = await Promise.all([role(t, ["users.edit", "pos.sell"]), role(t, ["pos.sell"])]);
    const editor = await member(t, [{ storeId: t.storeId, roleId: editHere }, { storeId: s2.id, roleId: sellThere }], { store: "S001" });
    const target = await member(t, [{ storeId: t.storeId, roleId: sellThere }, { storeId: s2.id, roleId: sellThere }]);
    const before = await journal(t.tenantId);
    expectRefused(await putUser(editor.token, target.id, { version: 1, storeRoles: [{ storeId: t.storeId, roleId: sellThere }] }), "NOT_USER_ADMIN_IN_STORE", "users.edit", "S002");
    expect(await journal(t.tenantId)).toEqual(before);
    expect(await storeRolesOf(target.id)).toHaveLength(2);
    // in S001, where it holds users.edit, it may
    const kept = await putUser(editor.token, target.id, { version: 1, storeRoles: [{ storeId: s2.id, roleId: sellThere }] });
    expect(kept.status).toBe(200);
  });

  it("a user holding only roles.manage adds no permission it lacks to any role, its own included", async () => {
    const ownRole = await role(t, ["roles.manage"]);
    const rm = await member(t, [{ storeId: t.storeId, roleId: ownRole }]);
    const before = await journal(t.tenantId);
    expectRefused(await api("POST", "/api/v1/roles", { token: rm.token, body: { name: uniqueSlug("Sell"), permissions: ["pos.sell"] } }), "ROLE_EXCEEDS_OWN", "pos.sell", "S001");
    expectRefused(await api("PUT", `/api/v1/roles/${ownRole}/permissions`, { token: rm.token, body: { version: 1, permissions: ["roles.manage", "users.edit"] } }), "ROLE_EXCEEDS_OWN", "users.edit");
    expectRefused(await api("PUT", `/api/v1/roles/${t.roles.Cashier}/permissions`, { token: rm.token, body: { permissions: ["roles.manage"] } }), "ROLE_OUTRANKS_EDITOR", "Cashier", "pos.sell");
    expectRefused(await api("PUT", `/api/v1/roles/${t.roles.Administrator}/permissions`, { token: rm.token, body: { permissions: ["roles.manage"] } }), "ROLE_OUTRANKS_EDITOR", "Administrator");
    expectRefused(await api("PUT", `/api/v1/roles/${t.roles.Administrator}`, { token: rm.token, body: { name: "Nobody" } }), "ROLE_OUTRANKS_EDITOR", "Administrator");
    expect(await journal(t.tenantId)).toEqual(before);
    const roleRow = (id: string) => env.DB.prepare("SELECT name, permissions, version FROM roles WHERE id = ?").bind(id).first<{ name: string; permissions: string; version: number }>();
    expect(await roleRow(ownRole)).toMatchObject({ permissions: '["roles.manage"]', version: 1 });
    expect(await roleRow(t.roles.Administrator!)).toMatchObject({ name: "Administrator", version: 1 });
    // within what it holds it may work
    expect((await api("POST", "/api/v1/roles", { token: rm.token, body: { name: uniqueSlug("Peer"), permissions: ["roles.manage"] } })).status).toBe(201);
    expect((await api("PUT", `/api/v1/roles/${ownRole}`, { token: rm.token, body: { version: 1, description: "Manages roles" } })).status).toBe(200);
  });

  it("a role's change is bounded in every store where it is assigned, not only the editor's current one", async () => {
    const [editorHere, editorThere, sells, voids] = await Promise.all([
      role(t, ["roles.manage", "pos.sell", "pos.void"]),
      role(t, ["roles.manage", "pos.sell"]),
      role(t, ["pos.sell"]),
      role(t, ["pos.void"]),
    ]);
    const editor = await member(t, [{ storeId: t.storeId, roleId: editorHere }, { storeId: s2.id, roleId: editorThere }], { store: "S001" });
    const worker = await member(t, [{ storeId: s2.id, roleId: sells }, { storeId: s2.id, roleId: voids }]);
    const before = await journal(t.tenantId);
    // pos.void is the editor's in S001, where it is signed in, but not in S002, where the role applies
    expectRefused(await api("PUT", `/api/v1/roles/${sells}/permissions`, { token: editor.token, body: { permissions: ["pos.sell", "pos.void"] } }), "ROLE_EXCEEDS_OWN", "S002", "pos.void");
    expectRefused(await api("PUT", `/api/v1/roles/${voids}`, { token: editor.token, body: { name: "Voids" } }), "ROLE_OUTRANKS_EDITOR", "S002", "pos.void");
    expect(await journal(t.tenantId)).toEqual(before);
    // pos.sell it holds in both: taking it away is fine, and ends the holder's sessions in S002 at once
    const sessionsBefore = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NULL").bind(worker.id).first<{ n: number }>();
    expect(sessionsBefore!.n).toBe(1);
    const taken = await api("PUT", `/api/v1/roles/${sells}/permissions`, { token: editor.token, body: { version: 1, permissions: [] } });
    expect(taken.status).toBe(200);
    const refreshed = await api("POST", "/api/v1/auth/refresh", { body: { refreshToken: worker.refreshToken } });
    expect(refreshed.json.code).toBe("REFRESH_TOKEN_REVOKED");
    // the editor holds no role taken from, so its own session lives
    expect((await api("POST", "/api/v1/roles", { token: editor.token, body: { name: uniqueSlug("After") } })).status).toBe(201);
  });

  it("removing permissions from a role takes effect at once; adding shows at the next refresh", async () => {
    const z = await role(t, ["customers.create", "customers.view"]);
    const holder = await member(t, [{ storeId: t.storeId, roleId: z }]);
    const bystander = await member(t, [{ storeId: t.storeId, roleId: t.roles.Cashier! }]);
    const addCustomer = (token: string) => api("POST", "/api/v1/customers", { token, body: { firstName: "Kund" } });
    expect((await addCustomer(holder.token)).status).toBe(201);
    const added = await api("PUT", `/api/v1/roles/${z}/permissions`, { token: t.adminToken, body: { version: 1, permissions: ["customers.create", "customers.view", "tenders.view"] } });
    expect(added.status).toBe(200);
    expect((await addCustomer(holder.token)).status).toBe(201);
    const removed = await api("PUT", `/api/v1/roles/${z}/permissions`, { token: t.adminToken, body: { version: 2, permissions: ["customers.view", "tenders.view"] } });
    expect(removed.status).toBe(200);
    const after = await addCustomer(holder.token);
    expect(after.status).toBe(401);
    expect(after.json.code).toBe("SESSION_ENDED");
    expect((await api("POST", "/api/v1/auth/refresh", { body: { refreshToken: holder.refreshToken } })).json.code).toBe("REFRESH_TOKEN_REVOKED");
    // someone not holding the role keeps their session
    expect((await addCustomer(bystander.token)).status).toBe(201);
  });
});

describe("the last administrator stays", () => {
  const LAST = "LAST_ADMINISTRATOR";
  const expectLast = (res: ApiResponse) => {
    expect(res.status, JSON.stringify(res.json)).toBe(422);
    expect(res.json.code).toBe(LAST);
  };

  it("refuses to deactivate, delete or demote the only administrator, or strip the Administrator role, writing nothing", async () => {
    const t = await createTenant({ slug: uniqueSlug("grant-last") });
    const before = await journal(t.tenantId);
    const admin = await userRow(t.adminId);
    expectLast(await putUser(t.adminToken, t.adminId, { version: 1, isActive: false }));
    expectLast(await api("DELETE", `/api/v1/users/${t.adminId}`, { token: t.adminToken }));
    expectLast(await putUser(t.adminToken, t.adminId, { version: 1, storeRoles: [{ storeId: t.storeId, roleId: t.roles.Manager }] }));
    expectLast(await putUser(t.adminToken, t.adminId, { version: 1, storeRoles: [] }));
    const allButOne = (await api("GET", `/api/v1/roles/${t.roles.Administrator}`, { token: t.adminToken })).json.data.permissions.filter((p: string) => p !== "pos.void");
    expectLast(await api("PUT", `/api/v1/roles/${t.roles.Administrator}/permissions`, { token: t.adminToken, body: { version: 1, permissions: allButOne } }));
    expectLast(await api("PUT", `/api/v1/stores/${t.storeId}`, { token: t.adminToken, body: { isActive: false } }));
    expect(await journal(t.tenantId)).toEqual(before);
    expect(await userRow(t.adminId)).toEqual(admin);
    expect(await storeRolesOf(t.adminId)).toEqual([{ storeId: t.storeId, roleId: t.roles.Administrator }]);
    const adminSessions = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NULL").bind(t.adminId).first<{ n: number }>();
    expect(adminSessions!.n).toBe(1);
  });

  it("counts only an administrator in an active store, and lets one go while another stays", async () => {
    const t = await createTenant({ slug: uniqueSlug("grant-last2") });
    const s2 = await createStore(t, "S002");
    // S002 inactive: the admin's Administrator role there does not count
    expect((await api("PUT", `/api/v1/stores/${s2.id}`, { token: t.adminToken, body: { isActive: false } })).status).toBe(200);
    expectLast(await putUser(t.adminToken, t.adminId, { version: 1, storeRoles: [{ storeId: s2.id, roleId: t.roles.Administrator }] }));
    // a second administrator: now either may go
    const second = await member(t, [{ storeId: t.storeId, roleId: t.roles.Administrator! }]);
    const off = await putUser(t.adminToken, second.id, { version: 1, isActive: false });
    expect(off.status).toBe(200);
    expectLast(await putUser(t.adminToken, t.adminId, { version: 1, isActive: false }));
    expect((await putUser(t.adminToken, second.id, { version: 2, isActive: true })).status).toBe(200);
    expect((await api("DELETE", `/api/v1/users/${second.id}`, { token: t.adminToken })).status).toBe(200);
  });

  it("lets only one of two administrators deactivating themselves at the same moment through", async () => {
    const t = await createTenant({ slug: uniqueSlug("grant-race") });
    const second = await member(t, [{ storeId: t.storeId, roleId: t.roles.Administrator! }]);
    const results = await Promise.all([
      putUser(t.adminToken, t.adminId, { version: 1, isActive: false }),
      putUser(second.token, second.id, { version: 1, isActive: false }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 422]);
    expect(results.find((r) => r.status === 422)!.json.code).toBe(LAST);
    const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM users WHERE tenant_id = ? AND is_active = 1 AND id IN (?, ?)").bind(t.tenantId, t.adminId, second.id).first<{ n: number }>())!;
    expect(n).toBe(1);
  });

  it("leaves an administrator when two deactivate each other at the same moment", async () => {
    const t = await createTenant({ slug: uniqueSlug("grant-race2") });
    const second = await member(t, [{ storeId: t.storeId, roleId: t.roles.Administrator! }]);
    const results = await Promise.all([
      putUser(t.adminToken, second.id, { version: 1, isActive: false }),
      putUser(second.token, t.adminId, { version: 1, isActive: false }),
    ]);
    // the first to commit wins; the second was signed out by it (401) or would leave nobody (422)
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 200)) expect(["SESSION_ENDED", LAST]).toContain(r.json.code);
    const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM users WHERE tenant_id = ? AND is_active = 1 AND id IN (?, ?)").bind(t.tenantId, t.adminId, second.id).first<{ n: number }>())!;
    expect(n).toBe(1);
  });
});

describe("refusals are audited, within a budget", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await createTenant({ slug: uniqueSlug("grant-aud") });
  });

  it("covers every user and role route that can refuse", () => {
    const guarded = routeTable.filter((r) => /^\/api\/v1\/(users|roles)\b/.test(r.path) && r.def.permission);
    expect(guarded.length).toBeGreaterThanOrEqual(10);
    for (const r of guarded) expect(r.def.auditRefusals, `${r.method} ${r.path}`).toBe(true);
  });

  it("records who was refused, on which route, with which code; other errors are not refusals", async () => {
    const seller = await member(t, [{ storeId: t.storeId, roleId: t.roles.Cashier! }]);
    expectRefused(await api("GET", "/api/v1/users", { token: seller.token }), "MISSING_PERMISSION");
    expectRefused(await api("PUT", `/api/v1/roles/${t.roles.Cashier}/permissions`, { token: seller.token, body: { permissions: [] } }), "MISSING_PERMISSION");
    // a 404, a 400 and a 422 are no refusal
    expect((await api("GET", `/api/v1/users/${crypto.randomUUID()}`, { token: t.adminToken })).status).toBe(404);
    expect((await api("POST", "/api/v1/users", { token: t.adminToken, rawBody: "{", headers: { "Content-Type": "application/json" } })).status).toBe(400);
    expect((await putUser(t.adminToken, t.adminId, { isActive: false })).status).toBe(422);
    const records = await refusalsOf(seller.id);
    expect(records).toEqual([
      { tenant_id: t.tenantId, actor_type: "user", action: "access.refused", detail: expect.objectContaining({ route: "GET /api/v1/users", code: "MISSING_PERMISSION", message: expect.stringContaining("users.view"), params: {} }) },
      { tenant_id: t.tenantId, actor_type: "user", action: "access.refused", detail: expect.objectContaining({ route: "PUT /api/v1/roles/:id/permissions", code: "MISSING_PERMISSION", params: { id: t.roles.Cashier } }) },
    ]);
    expect(await refusalsOf(t.adminId)).toEqual([]);
  });

  it("writes at most the budget for a flood of refusals, however concurrent, then a summary of what it dropped", async () => {
    const flooder = await member(t, [{ storeId: t.storeId, roleId: t.roles.Cashier! }]);
    const flood = REFUSALS_PER_WINDOW + 5;
    const answers = await Promise.all(Array.from({ length: flood }, () => api("GET", "/api/v1/roles/permissions/all", { token: flooder.token })));
    expect(answers.every((a) => a.status === 403)).toBe(true);
    expect(await refusalsOf(flooder.id)).toHaveLength(REFUSALS_PER_WINDOW);
    // another route has a budget of its own
    expectRefused(await api("GET", "/api/v1/users", { token: flooder.token }), "MISSING_PERMISSION");
    expect(await refusalsOf(flooder.id)).toHaveLength(REFUSALS_PER_WINDOW + 1);

    // the window passes: the next refusal says how many the last window dropped, and is recorded itself
    await env.DB.prepare("UPDATE auth_throttle SET window_start = window_start - ? WHERE key = ?").bind(REFUSAL_WINDOW_MS + 1, refusalKey(flooder.id, "GET /api/v1/roles/permissions/all")).run();
    expectRefused(await api("GET", "/api/v1/roles/permissions/all", { token: flooder.token }), "MISSING_PERMISSION");
    const records = await refusalsOf(flooder.id);
    expect(records).toHaveLength(REFUSALS_PER_WINDOW + 3);
    expect(records.filter((r) => r.action === "access.refusals_dropped")).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ route: "GET /api/v1/roles/permissions/all", dropped: flood - REFUSALS_PER_WINDOW, limit: REFUSALS_PER_WINDOW }) }),
    ]);
    expect(records.at(-1)).toMatchObject({ action: "access.refused", detail: { route: "GET /api/v1/roles/permissions/all" } });
  });
});

describe("PINs are issued by the server", () => {
  let t: TestTenant;
  let s2: { id: string; code: string };
  beforeAll(async () => {
    t = await createTenant({ slug: uniqueSlug("grant-iss") });
    s2 = await createStore(t, "S002");
  });
  afterEach(() => vi.restoreAllMocks());

  /** A 4-digit PIN nobody holds in these stores (so that a draw of it cannot clash). */
  async function freePin(storeIds: string[]) {
    for (let n = 4711; ; n++) {
      const pin = String(n);
      const owners = await Promise.all(storeIds.map((id) => ownerOfPin(id, pin)));
      if (owners.every((o) => o === null)) return pin;
    }
  }

  /**
   * Make the server's next PIN draws these PINs (then random ones): randomPin reads `2 × length` random bytes
   * and keeps each byte below 250 modulo 10, so the digits themselves are such bytes. The Worker runs in the
   * tests' isolate, so it sees the stub.
   */
  function drawPins(...pins: string[]) {
    const real = crypto.getRandomValues.bind(crypto);
    const queue = [...pins];
    vi.spyOn(crypto, "getRandomValues").mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      const next = queue[0];
      if (next && array instanceof Uint8Array && array.length === next.length * 2) {
        queue.shift();
        array.set([...next].map(Number));
        return array;
      }
      return real(array as never) as T;
    });
    return queue;
  }

  it("answers a PIN of the tenant's length, theirs in each of their stores", async () => {
    const tt = await createTenant({ slug: uniqueSlug("grant-len") });
    expect((await api("PATCH", `/api/v1/tenants/${tt.tenantId}`, { token: operatorToken, body: { pinLength: 6 } })).status).toBe(200);
    const s = await createStore(tt, "S002");
    const res = await api("POST", "/api/v1/users", { token: tt.adminToken, body: { username: uniqueSlug("six"), displayName: "Six", storeRoles: [{ storeId: tt.storeId, roleId: tt.roles.Cashier }, { storeId: s.id, roleId: tt.roles.Cashier }] } });
    expect(res.status).toBe(201);
    const pin = res.json.data.pin as string;
    expect(pin).toMatch(/^\d{6}$/);
    expect(await verifySecret(pin, (await userRow(res.json.data.id))!.pin_hash as string)).toBe(true);
    const lookup = await lookupOf(pin);
    expect((await pinRowsOf(res.json.data.id)).map((r) => r.pin_lookup)).toEqual([lookup, lookup]);
    expect(await ownerOfPin(s.id, pin)).toBe(res.json.data.id);
  });

  it("issues no PIN when told not to (a password is then needed)", async () => {
    const pwOnly = await api("POST", "/api/v1/users", { token: t.adminToken, body: { username: uniqueSlug("pw"), displayName: "Pw", password: PW, issuePin: false, storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }] } });
    expect(pwOnly.status).toBe(201);
    expect(pwOnly.json.data).toMatchObject({ hasPin: false, hasPassword: true });
    expect("pin" in pwOnly.json.data).toBe(false);
    expect(await pinRowsOf(pwOnly.json.data.id)).toEqual([]);
    const none = await api("POST", "/api/v1/users", { token: t.adminToken, body: { username: uniqueSlug("none"), displayName: "None", issuePin: false } });
    expect(none.status).toBe(400);
    expect(none.json.fields.map((f: { path: string }) => f.path)).toEqual(["issuePin"]);
    // being given a new store issues no PIN to a user who has none
    const moved = await putUser(t.adminToken, pwOnly.json.data.id, { version: 1, storeRoles: [{ storeId: s2.id, roleId: t.roles.Cashier }] });
    expect(moved.status).toBe(200);
    expect("pin" in moved.json.data).toBe(false);
    expect(moved.json.data.hasPin).toBe(false);
  });

  it("reset-pin answers a new PIN once; the old one names nobody and the user's sessions end", async () => {
    const u = await member(t, [{ storeId: t.storeId, roleId: t.roles.Cashier! }], { issuePin: true });
    const oldPin = u.pin!;
    expect(await ownerOfPin(t.storeId, oldPin)).toBe(u.id);
    const newPin = await freePin([t.storeId]);
    drawPins(newPin);
    const before = await journal(t.tenantId);
    const res = await api("POST", `/api/v1/users/${u.id}/reset-pin`, { token: t.adminToken, headers: { "If-Match": '"1"' } });
    expect(res.status).toBe(200);
    expect(res.json.data).toMatchObject({ id: u.id, hasPin: true, version: 2, pin: newPin });
    expect(await ownerOfPin(t.storeId, newPin)).toBe(u.id);
    expect(await ownerOfPin(t.storeId, oldPin)).toBeNull();
    const row = await userRow(u.id);
    expect(await verifySecret(newPin, row!.pin_hash as string)).toBe(true);
    expect(await verifySecret(oldPin, row!.pin_hash as string)).toBe(false);
    expect((await api("POST", "/api/v1/auth/refresh", { body: { refreshToken: u.refreshToken } })).json.code).toBe("REFRESH_TOKEN_REVOKED");
    expect(await journal(t.tenantId)).toEqual({ feed: before.feed + 1, audit: before.audit + 1 });
    expect("pin" in (await api("GET", `/api/v1/users/${u.id}`, { token: t.adminToken })).json.data).toBe(false);
    // a stale version is 409, and issues nothing
    const stale = await api("POST", `/api/v1/users/${u.id}/reset-pin`, { token: t.adminToken, headers: { "If-Match": '"1"' } });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe("VERSION_CONFLICT");
    expect("pin" in stale.json.current).toBe(false);
    expect(await ownerOfPin(t.storeId, newPin)).toBe(u.id);
  });

  it("a new store issues a new PIN, so joining a store never says whether the old one clashed there", async () => {
    const u = await member(t, [{ storeId: t.storeId, roleId: t.roles.Cashier! }], { issuePin: true });
    const oldPin = u.pin!;
    const newPin = await freePin([t.storeId, s2.id]);
    drawPins(newPin);
    const joined = await putUser(t.adminToken, u.id, { version: 1, storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }, { storeId: s2.id, roleId: t.roles.Cashier }] });
    expect(joined.status).toBe(200);
    expect(joined.json.data.pin).toBe(newPin);
    expect(await pinRowsOf(u.id)).toEqual(
      [{ store_id: t.storeId, pin_lookup: await lookupOf(newPin) }, { store_id: s2.id, pin_lookup: await lookupOf(newPin) }].sort((a, b) => a.store_id.localeCompare(b.store_id)),
    );
    expect(await ownerOfPin(t.storeId, oldPin)).toBeNull();
    // other role changes within the same stores keep the PIN and answer none
    const same = await putUser(t.adminToken, u.id, { version: 2, storeRoles: [{ storeId: t.storeId, roleId: t.roles.Manager }] });
    expect(same.status).toBe(200);
    expect("pin" in same.json.data).toBe(false);
    expect(await pinRowsOf(u.id)).toEqual([{ store_id: t.storeId, pin_lookup: await lookupOf(newPin) }]);
  });

  it("draws again when a PIN is taken in one of the user's stores, answering as if nothing happened", async () => {
    const before = await journal(t.tenantId);
    const fresh = await freePin([t.storeId]);
    const left = drawPins(t.adminPin, fresh);
    const res = await api("POST", "/api/v1/users", { token: t.adminToken, body: { username: uniqueSlug("clash"), displayName: "Clash", storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }] } });
    expect(res.status).toBe(201);
    expect(left).toEqual([]); // both draws were used: the admin's PIN clashed, the second did not
    expect(res.json.data.pin).toBe(fresh);
    expect(await ownerOfPin(t.storeId, t.adminPin)).toBe(t.adminId);
    expect(await ownerOfPin(t.storeId, fresh)).toBe(res.json.data.id);
    // the clashing attempt wrote nothing: one user, one feed row, one audit row
    expect(await journal(t.tenantId)).toEqual({ feed: before.feed + 1, audit: before.audit + 1 });
  });

  it("gives up with 409 PIN_SPACE_FULL when every draw clashes, writing nothing", async () => {
    const before = await journal(t.tenantId);
    drawPins(...Array.from({ length: 8 }, () => t.adminPin));
    const res = await api("POST", "/api/v1/users", { token: t.adminToken, body: { username: uniqueSlug("full"), displayName: "Full", storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }] } });
    expect(res.status).toBe(409);
    expect(res.json.code).toBe("PIN_SPACE_FULL");
    expect(await journal(t.tenantId)).toEqual(before);
  });
});

describe("the API reference says so", () => {
  it("documents PIN issuance, the bounds and 422 LAST_ADMINISTRATOR on the routes that answer them", async () => {
    const { paths } = (await api("GET", "/api/v1/openapi.json")).json;
    const responses = (method: string, path: string) => paths[`/api/v1${path}`][method].responses as Record<string, { description: string }>;
    expect(paths["/api/v1/users"].post.description).toContain("data.pin");
    expect(paths["/api/v1/users"].post.responses["201"].content["application/json"].schema.properties.data.properties.pin.type).toBe("string");
    expect(responses("post", "/users")["403"]!.description).toMatch(/NOT_USER_ADMIN_IN_STORE.*GRANT_EXCEEDS_OWN/);
    expect(responses("put", "/users/{id}")["403"]!.description).toMatch(/TARGET_OUTRANKS_EDITOR.*NOT_USER_ADMIN_IN_STORE.*GRANT_EXCEEDS_OWN/);
    for (const [method, path] of [["put", "/users/{id}"], ["delete", "/users/{id}"], ["put", "/roles/{id}/permissions"], ["put", "/stores/{id}"]] as const) {
      expect(responses(method, path)["422"]?.description, `${method} ${path}`).toContain("LAST_ADMINISTRATOR");
    }
    expect(responses("post", "/users/{id}/reset-pin")["403"]!.description).toContain("TARGET_OUTRANKS_EDITOR");
    expect(responses("put", "/roles/{id}/permissions")["403"]!.description).toMatch(/ROLE_OUTRANKS_EDITOR.*ROLE_EXCEEDS_OWN/);
    expect(responses("post", "/roles")["403"]!.description).toContain("ROLE_EXCEEDS_OWN");
  });
});
