import { env } from "cloudflare:test";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, SignJWT, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { TEST_SECRETS } from "../fixtures/secrets.mjs";
import { api, createStore, createTenant, enrolTill, operatorToken, randomIp, staffWithPin, tillPinLogin, userWith, type ApiResponse, type TestTenant } from "./helpers";

// Every request names its client address: a fresh one unless the test is about addresses, so the per-address
// throttle of one test never reaches another.
const login = (slug: string, body: Record<string, unknown>, ip = randomIp()) =>
  api("POST", "/api/v1/auth/login", { body: { tenant: slug, ...body }, ip });
const refresh = (refreshToken: string, ip = randomIp()) => api("POST", "/api/v1/auth/refresh", { body: { refreshToken }, ip });
const me = (token: string) => api("GET", "/api/v1/auth/me", { token });
const changeCredential = (token: string, body: Record<string, unknown>) =>
  api("POST", "/api/v1/auth/change-credential", { token, body, ip: randomIp() });

const ADMIN_PASSWORD = "correct horse battery";
const INVALID_CREDENTIALS_MESSAGE = "Wrong username, PIN or password";

function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.json?.code }).toEqual({ status, code });
  expect(res.json.success).toBe(false);
  expect(typeof res.json.error).toBe("string");
}

const retryAfter = (res: ApiResponse) => Number(res.headers.get("Retry-After"));

/** A role with these permissions and a user holding it in the given stores (no sign-in). */
async function makeUser(t: TestTenant, permissions: string[], storeIds: string[], extra: { password?: string } = {}) {
  const role = await api("POST", "/api/v1/roles", { token: t.adminToken, body: { name: `r-${crypto.randomUUID().slice(0, 8)}`, permissions } });
  expect(role.status).toBe(201);
  const username = `u${crypto.randomUUID().slice(0, 8)}`;
  const password = extra.password ?? "another long password";
  const user = await api("POST", "/api/v1/users", {
    token: t.adminToken,
    body: { username, displayName: `User ${username}`, password, storeRoles: storeIds.map((storeId) => ({ storeId, roleId: role.json.data.id })) },
  });
  expect(user.status).toBe(201);
  return { id: user.json.data.id as string, username, password, roleId: role.json.data.id as string };
}

async function userRow(id: string) {
  return (await env.DB.prepare("SELECT failed_attempts, locked_until, last_login_at, is_active FROM users WHERE id = ?").bind(id).first<{
    failed_attempts: number; locked_until: number | null; last_login_at: number | null; is_active: number;
  }>())!;
}

/** An access token signed like the Worker's, with the claims and expiry given. */
async function accessToken(claims: { sub: string; tid: string; sid: string; ses: string; perms: string[] }, options: { exp: number; key?: JWK; typ?: string; aud?: string; iss?: string }) {
  const key = await importJWK(options.key ?? (JSON.parse(TEST_SECRETS.JWT_PRIVATE_KEY) as JWK), "ES256");
  const { sub, ...rest } = claims;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: "ES256", typ: options.typ ?? "at+jwt" })
    .setSubject(sub)
    .setIssuer(options.iss ?? "edge-pos")
    .setAudience(options.aud ?? "edge-pos-api")
    .setIssuedAt(options.exp - 300)
    .setExpirationTime(options.exp)
    .sign(key);
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A write any user holding products.create may do: shows whether a session may still write. */
const write = (token: string) => api("POST", "/api/v1/departments", { token, body: { name: `Dept ${crypto.randomUUID().slice(0, 8)}` } });

describe("POST /auth/login", () => {
  it("signs in with username and password, answering the full session shape", async () => {
    const t = await createTenant();
    const res = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.json.success).toBe(true);
    const data = res.json.data;
    expect(Object.keys(data).sort()).toEqual(["accessToken", "expiresIn", "permissions", "refreshToken", "store", "tokenType", "user"]);
    expect(data.tokenType).toBe("Bearer");
    expect(data.expiresIn).toBe(300);
    expect(data.user).toEqual({ id: t.adminId, username: "admin", displayName: "Administrator", isActive: true });
    expect(data.store).toEqual({ id: t.storeId, code: "S001", name: "Main Store" });
    // The administrator role holds everything; the list is sorted and without duplicates.
    expect(data.permissions).toContain("users.create");
    expect(data.permissions).toContain("roles.manage");
    expect([...data.permissions].sort()).toEqual(data.permissions);
    expect(new Set(data.permissions).size).toBe(data.permissions.length);
    expect(data.refreshToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);

    // The access token says the same as the answer, names its session, and lives expiresIn seconds (5 minutes).
    const header = decodeProtectedHeader(data.accessToken);
    expect(header).toMatchObject({ alg: "ES256", typ: "at+jwt" });
    const claims = decodeJwt(data.accessToken);
    expect(claims).toMatchObject({ sub: t.adminId, tid: t.tenantId, sid: t.storeId, iss: "edge-pos", aud: "edge-pos-api" });
    expect(claims.ses).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.dev).toBeUndefined();
    expect(claims.perms).toEqual(data.permissions);
    expect(claims.exp! - claims.iat!).toBe(300);
    expect(Math.abs(claims.iat! - nowSeconds())).toBeLessThan(30);
    const session = await env.DB.prepare("SELECT user_id, store_id, device_id, method, revoked_at FROM sessions WHERE id = ?").bind(claims.ses).first();
    expect(session).toEqual({ user_id: t.adminId, store_id: t.storeId, device_id: null, method: "password", revoked_at: null });

    // ...and it works.
    expect((await me(data.accessToken)).status).toBe(200);
    const row = await userRow(t.adminId);
    expect(row.last_login_at).toBeGreaterThan(Date.now() - 60_000);
  });

  it("issues a different refresh token, access token and session at every sign-in", async () => {
    const t = await createTenant();
    const a = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD });
    const b = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD });
    expect(a.json.data.refreshToken).not.toBe(b.json.data.refreshToken);
    expect(a.json.data.accessToken).not.toBe(b.json.data.accessToken);
    expect(decodeJwt(a.json.data.accessToken).ses).not.toBe(decodeJwt(b.json.data.accessToken).ses);
    // Only the hash is stored, never the token itself.
    const stored = await env.DB.prepare("SELECT token_hash FROM refresh_tokens WHERE user_id = ?").bind(t.adminId).all<{ token_hash: string }>();
    expect(stored.results.length).toBeGreaterThanOrEqual(3);
    for (const r of stored.results) {
      expect(r.token_hash).not.toBe(a.json.data.refreshToken);
      expect(r.token_hash).not.toBe(b.json.data.refreshToken);
    }
  });

  it("matches the username whatever its case", async () => {
    const t = await createTenant();
    const res = await login(t.slug, { username: "AdMiN", password: ADMIN_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.json.data.user.id).toBe(t.adminId);
  });

  it("chooses the store by code or by id, and keeps that store in the token", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002"); // the admin's role comes along to a store they create
    const byCode = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD, store: "S002" });
    expect(byCode.status).toBe(200);
    expect(byCode.json.data.store).toEqual({ id: s2.id, code: "S002", name: "Store S002" });
    expect(decodeJwt(byCode.json.data.accessToken).sid).toBe(s2.id);
    const byId = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD, store: s2.id });
    expect(byId.status).toBe(200);
    expect(byId.json.data.store.code).toBe("S002");
    expect((await me(byId.json.data.accessToken)).json.data.store.id).toBe(s2.id);
    // Without a store: the first active one by code.
    const none = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD });
    expect(none.json.data.store.code).toBe("S001");
  });

  it("answers the union of the user's roles in the chosen store, and only that store's", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const roleIn = async (permissions: string[]) =>
      (await api("POST", "/api/v1/roles", { token: t.adminToken, body: { name: `r-${crypto.randomUUID().slice(0, 8)}`, permissions } })).json.data.id as string;
    const [a, b, c] = [await roleIn(["pos.sell", "products.view"]), await roleIn(["products.view", "customers.view"]), await roleIn(["roles.view"])];
    const password = "multi store password";
    const user = await api("POST", "/api/v1/users", {
      token: t.adminToken,
      body: { username: "multi", displayName: "Multi", password, storeRoles: [{ storeId: t.storeId, roleId: a }, { storeId: t.storeId, roleId: b }, { storeId: s2.id, roleId: c }] },
    });
    expect(user.status).toBe(201);
    const inS1 = await login(t.slug, { username: "multi", password, store: "S001" });
    expect(inS1.json.data.permissions).toEqual(["customers.view", "pos.sell", "products.view"]);
    const inS2 = await login(t.slug, { username: "multi", password, store: "S002" });
    expect(inS2.json.data.permissions).toEqual(["roles.view"]);
    expect(decodeJwt(inS2.json.data.accessToken).perms).toEqual(["roles.view"]);
    // The S002 token opens what S002's role allows, not what S001's roles do.
    expect((await api("GET", "/api/v1/roles", { token: inS2.json.data.accessToken })).status).toBe(200);
    expectError(await api("GET", "/api/v1/customers", { token: inS2.json.data.accessToken }), 403, "MISSING_PERMISSION");
    expect((await refresh(inS2.json.data.refreshToken)).json.data.permissions).toEqual(["roles.view"]);
  });

  it("refuses a store the user has no role in with 403 NO_STORE_ACCESS, whether it exists or not", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const cashier = await makeUser(t, ["pos.sell"], [t.storeId]);
    for (const store of ["S002", s2.id, "NOPE", crypto.randomUUID()]) {
      const res = await login(t.slug, { username: cashier.username, password: cashier.password, store });
      expectError(res, 403, "NO_STORE_ACCESS");
      expect(res.json.data).toBeUndefined();
    }
    // The same user is welcome in the store they do work in.
    expect((await login(t.slug, { username: cashier.username, password: cashier.password, store: "S001" })).status).toBe(200);
  });

  it("does not let another tenant's store be chosen", async () => {
    const t1 = await createTenant();
    const t2 = await createTenant();
    const res = await login(t1.slug, { username: "admin", password: ADMIN_PASSWORD, store: t2.storeId });
    expectError(res, 403, "NO_STORE_ACCESS");
    // Each tenant's "admin" is its own user.
    expect((await login(t1.slug, { username: "admin", password: ADMIN_PASSWORD })).json.data.user.id).toBe(t1.adminId);
    expect((await login(t2.slug, { username: "admin", password: ADMIN_PASSWORD })).json.data.user.id).toBe(t2.adminId);
  });

  it("skips an inactive store when choosing, and refuses it when named", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const off = await api("PUT", `/api/v1/stores/${t.storeId}`, { token: t.adminToken, body: { isActive: false } });
    expect(off.status).toBe(200);
    const chosen = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD });
    expect(chosen.status).toBe(200);
    expect(chosen.json.data.store.id).toBe(s2.id);
    expectError(await login(t.slug, { username: "admin", password: ADMIN_PASSWORD, store: "S001" }), 403, "STORE_INACTIVE");
  });

  it("answers a wrong tenant, an unknown user and a wrong password with the same 401", async () => {
    const t = await createTenant();
    const answers = [
      await login("no-such-tenant-x", { username: "admin", password: ADMIN_PASSWORD }),
      await login(t.slug, { username: "nobody", password: ADMIN_PASSWORD }),
      await login(t.slug, { username: "admin", password: "not the password" }),
      // the PIN as a password is wrong too
      await login(t.slug, { username: "admin", password: t.adminPin }),
    ];
    for (const res of answers) {
      expectError(res, 401, "INVALID_CREDENTIALS");
      expect(res.json.error).toBe(INVALID_CREDENTIALS_MESSAGE);
      expect(res.json.data).toBeUndefined();
      expect(res.headers.get("Retry-After")).toBeNull();
    }
    // Everything except the request id is identical: nothing tells the cases apart.
    const strip = (r: ApiResponse) => ({ status: r.status, body: { ...r.json, requestId: undefined } });
    for (const res of answers.slice(1)) expect(strip(res)).toEqual(strip(answers[0]!));
  });

  it("does not take a PIN without an enrolled device, and says so before trying it", async () => {
    const t = await createTenant();
    for (const pin of [t.adminPin, "0000"]) expectError(await login(t.slug, { username: "admin", pin }), 401, "PIN_NEEDS_DEVICE");
    expect((await userRow(t.adminId)).failed_attempts).toBe(0);
  });

  it("refuses an inactive user with the same 401, and admits them again once reactivated", async () => {
    const t = await createTenant();
    const u = await makeUser(t, ["pos.sell"], [t.storeId]);
    expect((await login(t.slug, { username: u.username, password: u.password })).status).toBe(200);
    const off = await api("PUT", `/api/v1/users/${u.id}`, { token: t.adminToken, body: { isActive: false } });
    expect(off.status).toBe(200);
    const res = await login(t.slug, { username: u.username, password: u.password });
    expectError(res, 401, "INVALID_CREDENTIALS");
    expect(res.json.error).toBe(INVALID_CREDENTIALS_MESSAGE);
    const on = await api("PUT", `/api/v1/users/${u.id}`, { token: t.adminToken, body: { isActive: true } });
    expect(on.status).toBe(200);
    expect((await login(t.slug, { username: u.username, password: u.password })).status).toBe(200);
  });

  it("validates the body: exactly one of pin or password, a tenant (unless from a device), a well-formed slug", async () => {
    const t = await createTenant();
    const cases: [Record<string, unknown>, string][] = [
      [{ tenant: t.slug, username: "admin" }, "pin"],
      [{ tenant: t.slug, username: "admin", pin: "1234", password: ADMIN_PASSWORD }, "pin"],
      [{ tenant: "Not A Slug", username: "admin", password: ADMIN_PASSWORD }, "tenant"],
      [{ tenant: t.slug, password: ADMIN_PASSWORD }, "username"],
      [{ username: "admin", password: ADMIN_PASSWORD }, "tenant"],
    ];
    for (const [body, field] of cases) {
      const res = await api("POST", "/api/v1/auth/login", { body, ip: randomIp() });
      expectError(res, 400, "VALIDATION_ERROR");
      expect(res.json.fields.map((f: { path: string }) => f.path)).toContain(field);
    }
  });
});

describe("password lockout", () => {
  it("locks the user at the fifth wrong password for about 300 s, refusing even the right one meanwhile", async () => {
    const t = await createTenant();
    const u = await makeUser(t, ["pos.sell"], [t.storeId]);
    for (let i = 1; i <= 4; i++) {
      expectError(await login(t.slug, { username: u.username, password: "wrong password" }), 401, "INVALID_CREDENTIALS");
      expect((await userRow(u.id)).failed_attempts).toBe(i);
    }
    const fifth = await login(t.slug, { username: u.username, password: "wrong password" });
    expectError(fifth, 429, "ACCOUNT_LOCKED");
    expect(retryAfter(fifth)).toBeGreaterThanOrEqual(295);
    expect(retryAfter(fifth)).toBeLessThanOrEqual(300);
    const row = await userRow(u.id);
    expect(row.locked_until).toBeGreaterThan(Date.now() + 290_000);
    expect(row.locked_until).toBeLessThanOrEqual(Date.now() + 300_000);

    const meanwhile = await login(t.slug, { username: u.username, password: u.password });
    expectError(meanwhile, 429, "ACCOUNT_LOCKED");
    expect(retryAfter(meanwhile)).toBeLessThanOrEqual(300);
    // Other users are not affected.
    expect((await login(t.slug, { username: "admin", password: ADMIN_PASSWORD })).status).toBe(200);
  });

  it("forgets earlier failures after a success", async () => {
    const t = await createTenant();
    const u = await makeUser(t, ["pos.sell"], [t.storeId]);
    for (let i = 0; i < 4; i++) expectError(await login(t.slug, { username: u.username, password: "wrong password" }), 401, "INVALID_CREDENTIALS");
    expect((await login(t.slug, { username: u.username, password: u.password })).status).toBe(200);
    expect((await userRow(u.id)).failed_attempts).toBe(0);
    for (let i = 0; i < 4; i++) expectError(await login(t.slug, { username: u.username, password: "wrong password" }), 401, "INVALID_CREDENTIALS");
    expect((await login(t.slug, { username: u.username, password: u.password })).status).toBe(200);
  });

  it("lets the user in again once the lock has passed, with a fresh count", async () => {
    const t = await createTenant();
    const u = await makeUser(t, ["pos.sell"], [t.storeId]);
    for (let i = 0; i < 4; i++) await login(t.slug, { username: u.username, password: "wrong password" });
    expectError(await login(t.slug, { username: u.username, password: "wrong password" }), 429, "ACCOUNT_LOCKED");
    await env.DB.prepare("UPDATE users SET locked_until = ? WHERE id = ?").bind(Date.now() - 1000, u.id).run();
    // One wrong attempt after the lock is one of five again, not a new lock.
    expectError(await login(t.slug, { username: u.username, password: "wrong password" }), 401, "INVALID_CREDENTIALS");
    const back = await login(t.slug, { username: u.username, password: u.password });
    expect(back.status).toBe(200);
    const row = await userRow(u.id);
    expect(row.locked_until).toBeNull();
    expect(row.failed_attempts).toBe(0);
  });

  it("counts every attempt before verifying it: of 12 wrong passwords at once, at most 5 are tried", async () => {
    const t = await createTenant();
    const u = await makeUser(t, ["pos.sell"], [t.storeId]);
    const answers = await Promise.all(Array.from({ length: 12 }, () => login(t.slug, { username: u.username, password: "wrong password" })));
    const tried = answers.filter((r) => r.status === 401);
    expect(tried.length).toBeLessThanOrEqual(5);
    expect(answers.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(7);
    for (const r of answers) expect([401, 429]).toContain(r.status);
    expectError(await login(t.slug, { username: u.username, password: u.password }), 429, "ACCOUNT_LOCKED");
  });
});

describe("per-address limit", () => {
  it("refuses the attempt after 20 failures from an address, right credentials included, but not other addresses", async () => {
    const t = await createTenant();
    const ip = randomIp();
    // Successful sign-ins spend nothing of the address's budget.
    for (let i = 0; i < 2; i++) expect((await login(t.slug, { username: "admin", password: ADMIN_PASSWORD }, ip)).status).toBe(200);
    // 20 failures naming unknown users, so no user lock interferes. The 20th failure is still an ordinary 401.
    for (let i = 0; i < 20; i++) expectError(await login(t.slug, { username: `nobody${i}`, password: "a guess at it" }, ip), 401, "INVALID_CREDENTIALS");

    const blocked = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD }, ip);
    expectError(blocked, 429, "TOO_MANY_ATTEMPTS");
    expect(retryAfter(blocked)).toBeGreaterThan(800);
    expect(retryAfter(blocked)).toBeLessThanOrEqual(900);
    expect(blocked.json.data).toBeUndefined();
    // A refused attempt is not tried against the user, nor counted against them.
    expect((await userRow(t.adminId)).failed_attempts).toBe(0);

    const elsewhere = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD }, randomIp());
    expect(elsewhere.status).toBe(200);

    // When the window has passed, the address may try again.
    const moved = await env.DB.prepare("UPDATE auth_throttle SET window_start = ? WHERE key = ?").bind(Date.now() - 16 * 60_000, `ip:${ip}`).run();
    expect(moved.meta.changes).toBe(1);
    expect((await login(t.slug, { username: "admin", password: ADMIN_PASSWORD }, ip)).status).toBe(200);
  });

  it("verifies at most 20 of 60 wrong sign-ins sent at once from one address", async () => {
    const t = await createTenant();
    const ip = randomIp();
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => login(t.slug, { username: `ghost${i}`, password: "a guess at it" }, ip)));
    expect(answers.filter((r) => r.status === 401).length).toBe(20);
    expect(answers.filter((r) => r.status === 429).length).toBe(40);
    for (const r of answers.filter((r) => r.status === 429)) expect(r.json.code).toBe("TOO_MANY_ATTEMPTS");
  });
});

describe("POST /auth/refresh", () => {
  it("rotates: a new access and refresh token, same user and store, and the new pair works", async () => {
    const t = await createTenant();
    await createStore(t, "S002");
    const first = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD, store: "S002" });
    const next = await refresh(first.json.data.refreshToken);
    expect(next.status).toBe(200);
    const data = next.json.data;
    expect(data.refreshToken).not.toBe(first.json.data.refreshToken);
    expect(data.accessToken).not.toBe(first.json.data.accessToken);
    expect(data).toMatchObject({ tokenType: "Bearer", expiresIn: 300, user: { id: t.adminId }, store: { code: "S002" } });
    expect(data.permissions).toEqual(first.json.data.permissions);
    expect(decodeJwt(data.accessToken)).toMatchObject({ sub: t.adminId, tid: t.tenantId, sid: first.json.data.store.id });
    expect((await me(data.accessToken)).json.data.store.code).toBe("S002");
    const third = await refresh(data.refreshToken);
    expect(third.status).toBe(200);
    // All three belong to one family.
    const families = await env.DB.prepare("SELECT DISTINCT family_id FROM refresh_tokens WHERE user_id = ? AND store_id = ?")
      .bind(t.adminId, first.json.data.store.id).all();
    expect(families.results).toHaveLength(1);
  });

  it("treats a spent token presented again as theft: 401 REFRESH_TOKEN_REUSED and the whole family ends, other sign-ins survive", async () => {
    const t = await createTenant();
    const stolen = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD });
    const other = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD });
    const r1 = await refresh(stolen.json.data.refreshToken);
    const r2 = await refresh(r1.json.data.refreshToken);
    expect(r2.status).toBe(200);

    const reuse = await refresh(stolen.json.data.refreshToken);
    expectError(reuse, 401, "REFRESH_TOKEN_REUSED");
    // The newest token of that family, never used, is dead too; so is the middle one.
    expectError(await refresh(r2.json.data.refreshToken), 401, "REFRESH_TOKEN_REVOKED");
    expectError(await refresh(r1.json.data.refreshToken), 401, "REFRESH_TOKEN_REVOKED");
    // Presenting the stolen one again is now simply revoked.
    expectError(await refresh(stolen.json.data.refreshToken), 401, "REFRESH_TOKEN_REVOKED");

    const survivor = await refresh(other.json.data.refreshToken);
    expect(survivor.status).toBe(200);
    expect((await refresh(survivor.json.data.refreshToken)).status).toBe(200);

    const audit = await env.DB.prepare("SELECT action, actor_id FROM audit_log WHERE tenant_id = ? AND action = 'auth.refresh_reuse'").bind(t.tenantId).all();
    expect(audit.results).toEqual([{ action: "auth.refresh_reuse", actor_id: t.adminId }]);
  });

  it("lets only one of two simultaneous uses of a token win, and then ends the family", async () => {
    const t = await createTenant();
    const session = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD });
    const answers = await Promise.all([refresh(session.json.data.refreshToken), refresh(session.json.data.refreshToken)]);
    const won = answers.filter((r) => r.status === 200);
    const lost = answers.filter((r) => r.status !== 200);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expectError(lost[0]!, 401, "REFRESH_TOKEN_REUSED");
    expectError(await refresh(won[0]!.json.data.refreshToken), 401, "REFRESH_TOKEN_REVOKED");
  });

  it("refuses an expired token with 401 REFRESH_TOKEN_EXPIRED", async () => {
    const t = await createTenant();
    const session = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD });
    const other = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD });
    const hash = await sha256Hex(session.json.data.refreshToken);
    const updated = await env.DB.prepare("UPDATE refresh_tokens SET expires_at = ? WHERE token_hash = ?").bind(Date.now() - 1000, hash).run();
    expect(updated.meta.changes).toBe(1);
    expectError(await refresh(session.json.data.refreshToken), 401, "REFRESH_TOKEN_EXPIRED");
    expectError(await refresh(session.json.data.refreshToken), 401, "REFRESH_TOKEN_EXPIRED");
    expect((await refresh(other.json.data.refreshToken)).status).toBe(200);
  });

  it("refuses garbage with 401 INVALID_REFRESH_TOKEN and a malformed body with 400", async () => {
    for (const token of ["x".repeat(43), "eyJhbGciOiJFUzI1NiJ9.e30.c2ln", crypto.randomUUID()]) {
      expectError(await refresh(token), 401, "INVALID_REFRESH_TOKEN");
    }
    const short = await api("POST", "/api/v1/auth/refresh", { body: { refreshToken: "abc" } });
    expectError(short, 400, "VALIDATION_ERROR");
    expect(short.json.fields.map((f: { path: string }) => f.path)).toContain("refreshToken");
    expectError(await api("POST", "/api/v1/auth/refresh", { body: {} }), 400, "VALIDATION_ERROR");
  });

  it("picks up changed role permissions: the new access token opens a newly granted route, and loses a removed one", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell"]);
    expectError(await api("GET", "/api/v1/roles", { token: u.token }), 403, "MISSING_PERMISSION");

    const grant = await api("PUT", `/api/v1/roles/${u.roleId}/permissions`, { token: t.adminToken, body: { permissions: ["roles.view", "pos.sell"] } });
    expect(grant.status).toBe(200);
    // The old access token still carries the old permissions.
    expectError(await api("GET", "/api/v1/roles", { token: u.token }), 403, "MISSING_PERMISSION");

    const next = await refresh(u.refreshToken);
    expect(next.status).toBe(200);
    expect(next.json.data.permissions).toEqual(["pos.sell", "roles.view"]);
    expect(decodeJwt(next.json.data.accessToken).perms).toEqual(["pos.sell", "roles.view"]);
    expect((await api("GET", "/api/v1/roles", { token: next.json.data.accessToken })).status).toBe(200);

    const revoke = await api("PUT", `/api/v1/roles/${u.roleId}/permissions`, { token: t.adminToken, body: { permissions: ["pos.sell"] } });
    expect(revoke.status).toBe(200);
    // Taking a permission away ends the holder's sessions at once: sign in again for the smaller set.
    expectError(await refresh(next.json.data.refreshToken), 401, "REFRESH_TOKEN_REVOKED");
    const after = await login(t.slug, { username: u.username, password: u.password });
    expect(after.json.data.permissions).toEqual(["pos.sell"]);
    expectError(await api("GET", "/api/v1/roles", { token: after.json.data.accessToken }), 403, "MISSING_PERMISSION");
  });
});

describe("access tokens", () => {
  it("answers no token with 401 UNAUTHENTICATED and a malformed one with 401 INVALID_TOKEN", async () => {
    const t = await createTenant();
    expectError(await api("GET", "/api/v1/auth/me"), 401, "UNAUTHENTICATED");
    expectError(await api("GET", "/api/v1/users"), 401, "UNAUTHENTICATED");
    expectError(await api("GET", "/api/v1/auth/me", { headers: { Authorization: `Basic ${t.adminToken}` } }), 401, "UNAUTHENTICATED");
    for (const token of ["not-a-jwt", "a.b.c", `${t.adminToken}x`, t.adminToken.split(".").slice(0, 2).join(".") + ".", t.adminRefresh]) {
      expectError(await me(token), 401, "INVALID_TOKEN");
    }
    // The token is fine: only the way it was presented was wrong.
    expect((await me(t.adminToken)).status).toBe(200);
  });

  it("refuses a token signed by another key, or not meant as an access token here, with 401 INVALID_TOKEN", async () => {
    const t = await createTenant();
    const signedIn = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD });
    const claims = { sub: t.adminId, tid: t.tenantId, sid: t.storeId, ses: decodeJwt(signedIn.json.data.accessToken).ses as string, perms: ["users.view"] };
    const exp = nowSeconds() + 600;
    // The harness's key signs a token this Worker accepts...
    expect((await api("GET", "/api/v1/users", { token: await accessToken(claims, { exp }) })).status).toBe(200);
    // ...another key's token with the same claims is refused.
    const { privateKey } = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const foreign = (await crypto.subtle.exportKey("jwk", privateKey)) as JWK;
    expectError(await api("GET", "/api/v1/users", { token: await accessToken(claims, { exp, key: foreign }) }), 401, "INVALID_TOKEN");
    // Right key, wrong type, audience or issuer.
    expectError(await api("GET", "/api/v1/users", { token: await accessToken(claims, { exp, typ: "JWT" }) }), 401, "INVALID_TOKEN");
    expectError(await api("GET", "/api/v1/users", { token: await accessToken(claims, { exp, aud: "someone-else" }) }), 401, "INVALID_TOKEN");
    expectError(await api("GET", "/api/v1/users", { token: await accessToken(claims, { exp, iss: "someone-else" }) }), 401, "INVALID_TOKEN");
    // An unsigned token.
    const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const unsigned = `${b64({ alg: "none", typ: "at+jwt" })}.${b64({ ...claims, iss: "edge-pos", aud: "edge-pos-api", iat: exp - 900, exp })}.`;
    expectError(await api("GET", "/api/v1/users", { token: unsigned }), 401, "INVALID_TOKEN");
    // A token missing the tenant claim.
    const { tid: _tid, ...noTenant } = claims;
    const missing = await new SignJWT({ sid: noTenant.sid, perms: noTenant.perms }).setProtectedHeader({ alg: "ES256", typ: "at+jwt" }).setSubject(claims.sub)
      .setIssuer("edge-pos").setAudience("edge-pos-api").setIssuedAt(exp - 900).setExpirationTime(exp)
      .sign(await importJWK(JSON.parse(TEST_SECRETS.JWT_PRIVATE_KEY) as JWK, "ES256"));
    expectError(await api("GET", "/api/v1/users", { token: missing }), 401, "INVALID_TOKEN");
  });

  it("answers an expired token with 401 TOKEN_EXPIRED", async () => {
    const t = await createTenant();
    const signedIn = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD });
    const claims = { sub: t.adminId, tid: t.tenantId, sid: t.storeId, ses: decodeJwt(signedIn.json.data.accessToken).ses as string, perms: ["users.view"] };
    const expired = await accessToken(claims, { exp: nowSeconds() - 60 });
    expectError(await api("GET", "/api/v1/users", { token: expired }), 401, "TOKEN_EXPIRED");
    expectError(await me(expired), 401, "TOKEN_EXPIRED");
    // An expired token signed by someone else is simply invalid.
    const { privateKey } = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const foreign = await accessToken(claims, { exp: nowSeconds() - 60, key: (await crypto.subtle.exportKey("jwk", privateKey)) as JWK });
    expectError(await me(foreign), 401, "INVALID_TOKEN");
  });

  it("publishes a JWKS that verifies a real access token and holds no private part", async () => {
    const t = await createTenant();
    const res = await api("GET", "/.well-known/jwks.json");
    expect(res.status).toBe(200);
    expect(res.json.keys).toHaveLength(1);
    const [key] = res.json.keys;
    expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    expect(key.d).toBeUndefined();
    expect(JSON.stringify(res.json)).not.toContain(JSON.parse(TEST_SECRETS.JWT_PRIVATE_KEY).d);
    const { payload, protectedHeader } = await jwtVerify(t.adminToken, createLocalJWKSet(res.json), {
      issuer: "edge-pos", audience: "edge-pos-api", typ: "at+jwt", algorithms: ["ES256"],
    });
    expect(protectedHeader.kid).toBe(key.kid);
    expect(payload).toMatchObject({ sub: t.adminId, tid: t.tenantId, sid: t.storeId });
    // A token from another key does not verify against it.
    const { privateKey } = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const foreign = await new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: key.kid }).setExpirationTime("5m").sign(privateKey);
    await expect(jwtVerify(foreign, createLocalJWKSet(res.json))).rejects.toThrow();
  });
});

describe("GET /auth/me", () => {
  it("answers the user, the tenant, the store and the permissions there", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const u = await staffWithPin(t, ["products.view", "pos.sell"], [t.storeId, s2.id]);
    const session = await login(t.slug, { username: u.username, password: u.password, store: "S002" });
    const res = await me(session.json.data.accessToken);
    expect(res.status).toBe(200);
    expect(res.json.data).toMatchObject({
      user: { id: u.id, username: u.username, displayName: u.username, isActive: true, hasPin: true, hasPassword: true },
      tenant: { id: t.tenantId, slug: t.slug, name: `Tenant ${t.slug}` },
      store: { id: s2.id, code: "S002", name: "Store S002", currency: "SEK", timeZone: "Europe/Stockholm" },
      permissions: ["pos.sell", "products.view"],
    });
    expect(Object.keys(res.json.data.tenant).sort()).toEqual(["id", "name", "slug"]);
    expect(res.json.data.user.storeRoles).toHaveLength(2);
    expect(res.json.data.user.lastLoginAt).not.toBeNull();
    // No secret material in the answer.
    const text = JSON.stringify(res.json);
    expect(text).not.toMatch(/pbkdf2|pinHash|passwordHash|pinLookup/i);
  });

  it("ends a deactivated user's session: 401 SESSION_ENDED from me and their refresh fails", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell"]);
    expect((await me(u.token)).status).toBe(200);
    const off = await api("PUT", `/api/v1/users/${u.id}`, { token: t.adminToken, body: { isActive: false } });
    expect(off.status).toBe(200);
    expectError(await me(u.token), 401, "SESSION_ENDED");
    const r = await refresh(u.refreshToken);
    expect(r.status).toBe(401);
    expect(["REFRESH_TOKEN_REVOKED", "SESSION_ENDED"]).toContain(r.json.code);
    // The admin is unaffected.
    expect((await me(t.adminToken)).status).toBe(200);
  });

  it("ends the session when the store is deactivated, as refresh does, and does not hand out a new one by change-credential", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const there = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD, store: "S002" });
    expect((await me(there.json.data.accessToken)).status).toBe(200);
    const off = await api("PUT", `/api/v1/stores/${s2.id}`, { token: t.adminToken, body: { isActive: false } });
    expect(off.status).toBe(200);
    expectError(await me(there.json.data.accessToken), 401, "SESSION_ENDED");
    expectError(await refresh(there.json.data.refreshToken), 401, "SESSION_ENDED");
    const changed = await changeCredential(there.json.data.accessToken, { currentPassword: ADMIN_PASSWORD, newPin: true });
    expectError(changed, 401, "SESSION_ENDED");
    expect((await login(t.slug, { username: "admin", password: ADMIN_PASSWORD })).status).toBe(200);
    // The admin's session in S001 goes on.
    expect((await me(t.adminToken)).json.data.store.id).toBe(t.storeId);
  });
});

describe("revocation takes effect at once", () => {
  it("a signed-out session's next write is 401; its reads run to the end of the access token's life", async () => {
    const t = await createTenant();
    const session = (await login(t.slug, { username: "admin", password: ADMIN_PASSWORD })).json.data;
    expect((await write(session.accessToken)).status).toBe(201);
    expect((await api("POST", "/api/v1/auth/logout", { body: { refreshToken: session.refreshToken } })).status).toBe(200);
    const refused = await write(session.accessToken);
    expectError(refused, 401, "SESSION_ENDED");
    expect((await api("GET", "/api/v1/departments", { token: session.accessToken })).status).toBe(200);
    // Nothing of the refused write was committed.
    const names = (await api("GET", "/api/v1/departments?pageSize=200", { token: t.adminToken })).json.data.map((d: { name: string }) => d.name);
    expect(names).toHaveLength(1);
    // Other sessions of the same user write on.
    expect((await write(t.adminToken)).status).toBe(201);
  });

  it("a deactivated user's tokens stop writing at once, in every session", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["products.create", "products.view"]);
    expect((await write(u.token)).status).toBe(201);
    expect((await api("PUT", `/api/v1/users/${u.id}`, { token: t.adminToken, body: { isActive: false } })).status).toBe(200);
    expectError(await write(u.token), 401, "SESSION_ENDED");
  });

  it("a password change stops the user's other sessions' writes; the session it hands out writes", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["products.create"]);
    const other = (await login(t.slug, { username: u.username, password: u.password })).json.data;
    const changed = await changeCredential(u.token, { currentPassword: u.password, newPassword: "a brand new password" });
    expect(changed.status).toBe(200);
    expectError(await write(u.token), 401, "SESSION_ENDED");
    expectError(await write(other.accessToken), 401, "SESSION_ENDED");
    expect((await write(changed.json.data.accessToken)).status).toBe(201);
  });

  it("new store roles stop the user's writes until they sign in again", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["products.create"]);
    const moved = await api("PUT", `/api/v1/users/${u.id}`, { token: t.adminToken, body: { storeRoles: [{ storeId: t.storeId, roleId: t.roles.Cashier }] } });
    expect(moved.status).toBe(200);
    expectError(await write(u.token), 401, "SESSION_ENDED");
  });
});

describe("POST /auth/change-credential", () => {
  it("refuses a wrong current password with 401 INVALID_CREDENTIALS and changes nothing", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell"]);
    expectError(await changeCredential(u.token, { currentPassword: "wrong password", newPassword: "a brand new password" }), 401, "INVALID_CREDENTIALS");
    expectError(await changeCredential(u.token, { currentPassword: "wrong password", newPin: true }), 401, "INVALID_CREDENTIALS");
    expect((await login(t.slug, { username: u.username, password: u.password })).status).toBe(200);
    expect((await refresh(u.refreshToken)).status).toBe(200);
    expect((await me(u.token)).json.data.user.hasPin).toBe(false);
  });

  it("issues a new PIN, generated by the server and shown once: it works at a till, the old one does not", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const u = await staffWithPin(t, ["pos.sell"]);
    const second = await login(t.slug, { username: u.username, password: u.password });
    const changed = await changeCredential(u.token, { currentPassword: u.password, newPin: true });
    expect(changed.status).toBe(200);
    const data = changed.json.data;
    expect(data.pin).toMatch(/^\d{4}$/);
    expect(data).toMatchObject({ tokenType: "Bearer", expiresIn: 300, user: { id: u.id }, store: { id: t.storeId }, permissions: ["pos.sell"] });
    expect((await tillPinLogin(till.credential, data.pin)).json.data?.user.id).toBe(u.id);
    if (data.pin !== u.pin) expectError(await tillPinLogin(till.credential, u.pin), 401, "INVALID_PIN");
    // The PIN is nowhere but in that one answer.
    expect(JSON.stringify((await me(data.accessToken)).json)).not.toContain(`"${data.pin}"`);
    const audit = await env.DB.prepare("SELECT detail FROM audit_log WHERE entity_id = ?").bind(u.id).all();
    expect(JSON.stringify(audit.results)).not.toContain(`"${data.pin}"`);
    // Every earlier session is over; the new one works.
    expectError(await refresh(u.refreshToken), 401, "REFRESH_TOKEN_REVOKED");
    expectError(await refresh(second.json.data.refreshToken), 401, "REFRESH_TOKEN_REVOKED");
    expect((await refresh(data.refreshToken)).status).toBe(200);
  });

  it("gives the new PIN in every store the user works in, with the tenant's PIN length", async () => {
    const t = await createTenant();
    expect((await api("PATCH", `/api/v1/tenants/${t.tenantId}`, { token: operatorToken, body: { pinLength: 6 } })).status).toBe(200);
    const s2 = await createStore(t, "S002");
    const [tillA, tillB] = [await enrolTill(t), await enrolTill(t, { storeId: s2.id })];
    const u = await staffWithPin(t, ["pos.sell"], [t.storeId, s2.id]);
    expect(u.pin).toMatch(/^\d{6}$/);
    for (const till of [tillA, tillB]) expect((await tillPinLogin(till.credential, u.pin)).json.data?.user.id).toBe(u.id);
  });

  it("takes the current PIN as proof only from a session started at an enrolled till", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const u = await staffWithPin(t, ["pos.sell"]);
    expectError(await changeCredential(u.token, { currentPin: u.pin, newPin: true }), 401, "PIN_NEEDS_DEVICE");
    const atTill = (await tillPinLogin(till.credential, u.pin)).json.data;
    const changed = await changeCredential(atTill.accessToken, { currentPin: u.pin, newPassword: "a password set at the till" });
    expect(changed.status).toBe(200);
    expect(decodeJwt(changed.json.data.accessToken).dev).toBe(till.deviceId);
    expect((await login(t.slug, { username: u.username, password: "a password set at the till" })).status).toBe(200);
  });

  it("does not let anyone choose a PIN, so no answer can tell whose PIN a guess is", async () => {
    const t = await createTenant();
    const cashier = await userWith(t, ["pos.sell"]);
    for (const newPin of [t.adminPin, "1234", "0000"]) {
      const res = await changeCredential(cashier.token, { currentPassword: cashier.password, newPin });
      expectError(res, 400, "VALIDATION_ERROR");
      expect(res.json.fields.map((f: { path: string }) => f.path)).toContain("newPin");
    }
  });

  it("locks the user after five wrong current passwords, counted before they are verified", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell"]);
    const answers = await Promise.all(Array.from({ length: 8 }, () => changeCredential(u.token, { currentPassword: "wrong password", newPin: true })));
    expect(answers.filter((r) => r.status === 401).length).toBeLessThanOrEqual(5);
    expect(answers.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(3);
    expectError(await changeCredential(u.token, { currentPassword: u.password, newPin: true }), 429, "ACCOUNT_LOCKED");
    expectError(await login(t.slug, { username: u.username, password: u.password }), 429, "ACCOUNT_LOCKED");
  });

  it("refuses bad bodies with 400 VALIDATION_ERROR naming the field", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell"]);
    const cases: [Record<string, unknown>, string][] = [
      [{ currentPin: "3690", currentPassword: u.password, newPin: true }, "currentPin"],
      [{ newPin: true }, "currentPin"],
      [{ currentPassword: u.password }, "newPin"],
      [{ currentPassword: u.password, newPin: false }, "newPin"],
      [{ currentPassword: u.password, newPassword: "short" }, "newPassword"],
    ];
    for (const [body, field] of cases) {
      const res = await changeCredential(u.token, body);
      expectError(res, 400, "VALIDATION_ERROR");
      expect(res.json.fields.map((f: { path: string }) => f.path)).toContain(field);
    }
    // None of them counted as a wrong attempt or changed anything.
    expect((await userRow(u.id)).failed_attempts).toBe(0);
    expectError(await changeCredential("", { currentPassword: u.password, newPin: true }), 401, "UNAUTHENTICATED");
  });
});

describe("operator credential reset", () => {
  const issue = (tenantId: string, username: string, token = operatorToken) =>
    api("POST", `/api/v1/tenants/${tenantId}/credential-resets`, { token, body: { username } });
  const redeem = (tenant: string, code: string, newPassword: string) =>
    api("POST", "/api/v1/auth/credential-reset", { body: { tenant, code, newPassword }, ip: randomIp() });

  it("lets a locked-out administrator set a new password once, ending their sessions, audited", async () => {
    const t = await createTenant();
    const issued = await issue(t.tenantId, "admin");
    expect(issued.status).toBe(201);
    expect(issued.json.data).toMatchObject({ user: { id: t.adminId, username: "admin" } });
    const { code } = issued.json.data;
    expectError(await redeem(t.slug, "not-the-code-at-all", "the new admin password"), 401, "INVALID_RESET_CODE");
    const other = await createTenant();
    expectError(await redeem(other.slug, code, "the new admin password"), 401, "INVALID_RESET_CODE");
    const done = await redeem(t.slug, code, "the new admin password");
    expect(done.status).toBe(200);
    expectError(await redeem(t.slug, code, "yet another password"), 401, "INVALID_RESET_CODE");
    expect((await login(t.slug, { username: "admin", password: "the new admin password" })).status).toBe(200);
    expectError(await login(t.slug, { username: "admin", password: ADMIN_PASSWORD }), 401, "INVALID_CREDENTIALS");
    expectError(await write(t.adminToken), 401, "SESSION_ENDED");
    const audit = await env.DB.prepare("SELECT action, actor_type FROM audit_log WHERE entity_id = ? AND action LIKE 'user.credential_reset%' ORDER BY at, rowid").bind(t.adminId).all();
    expect(audit.results).toEqual([{ action: "user.credential_reset_issued", actor_type: "operator" }, { action: "user.credential_reset", actor_type: "anonymous" }]);
  });

  it("is for administrators only, issued by the operator only, and expires", async () => {
    const t = await createTenant();
    const cashier = await userWith(t, ["pos.sell"]);
    const refused = await issue(t.tenantId, cashier.username);
    expectError(refused, 422, "NOT_AN_ADMINISTRATOR");
    expectError(await issue(t.tenantId, "admin", t.adminToken), 401, "UNAUTHENTICATED");
    const { code } = (await issue(t.tenantId, "admin")).json.data;
    await env.DB.prepare("UPDATE credential_resets SET expires_at = ? WHERE user_id = ?").bind(Date.now() - 1, t.adminId).run();
    expectError(await redeem(t.slug, code, "the new admin password"), 401, "INVALID_RESET_CODE");
  });
});

describe("audit log", () => {
  it("records successful and failed logins with address, tenant and reason, never the secret tried", async () => {
    const t = await createTenant();
    const ip = randomIp();
    expect((await login(t.slug, { username: "admin", password: ADMIN_PASSWORD }, ip)).status).toBe(200);
    expectError(await login(t.slug, { username: "admin", password: "97531864-wrong" }, ip), 401, "INVALID_CREDENTIALS");
    expectError(await login(t.slug, { username: "nobody", password: "secret-guess-xyz" }, ip), 401, "INVALID_CREDENTIALS");
    const till = await enrolTill(t);
    expect((await tillPinLogin(till.credential, t.adminPin, { ip })).status).toBe(200);
    expectError(await tillPinLogin(till.credential, "86421357", { ip }), 401, "INVALID_PIN");

    const { results } = await env.DB.prepare("SELECT * FROM audit_log WHERE ip = ? AND action LIKE 'auth.%' ORDER BY at, rowid").bind(ip).all<Record<string, string | null>>();
    expect(results.map((r) => r.action)).toEqual(["auth.login", "auth.login_failed", "auth.login_failed", "auth.login", "auth.pin_login_failed"]);
    for (const r of results) {
      expect(r.tenant_id).toBe(t.tenantId);
      expect(r.ip).toBe(ip);
      expect(r.request_id).toBeTruthy();
    }
    const [ok, wrongPassword, unknown, pinOk, wrongPin] = results;
    expect(ok).toMatchObject({ actor_type: "user", actor_id: t.adminId, entity: "user", entity_id: t.adminId });
    expect(JSON.parse(ok!.detail!)).toEqual({ storeId: t.storeId, method: "password" });
    expect(wrongPassword).toMatchObject({ actor_type: "anonymous", actor_id: t.adminId, entity_id: t.adminId });
    expect(JSON.parse(wrongPassword!.detail!)).toMatchObject({ username: "admin", reason: "wrong_password" });
    expect(JSON.parse(wrongPin!.detail!)).toMatchObject({ deviceId: till.deviceId, reason: "unknown_pin" });
    expect(unknown).toMatchObject({ actor_type: "anonymous", actor_id: null });
    expect(JSON.parse(unknown!.detail!)).toMatchObject({ username: "nobody", reason: "unknown_user" });
    expect(JSON.parse(pinOk!.detail!)).toMatchObject({ method: "store_pin", deviceId: till.deviceId });
    const text = JSON.stringify(results);
    for (const secret of ["97531864", "secret-guess-xyz", "86421357"]) expect(text).not.toContain(secret);
  });

  it("writes at most the flood limit of failure rows per minute, and keeps counting the rest", async () => {
    const t = await createTenant();
    await env.DB.prepare("DELETE FROM auth_throttle WHERE key = ?").bind(`audit:auth.login_failed:${t.tenantId}`).run();
    for (let batch = 0; batch < 3; batch++) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => login(t.slug, { username: `flood${batch}-${i}`, password: "a guess at it" })));
    }
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE tenant_id = ? AND action = 'auth.login_failed'").bind(t.tenantId).first<{ n: number }>();
    expect(rows!.n).toBe(50);
    const counter = await env.DB.prepare("SELECT failures FROM auth_throttle WHERE key = ?").bind(`audit:auth.login_failed:${t.tenantId}`).first<{ failures: number }>();
    expect(counter!.failures).toBe(60);
  });

  it("records a login naming an unknown tenant without a tenant", async () => {
    const ip = randomIp();
    const slug = `gone-${crypto.randomUUID().slice(0, 8)}`;
    expectError(await login(slug, { username: "admin", password: ADMIN_PASSWORD }, ip), 401, "INVALID_CREDENTIALS");
    const { results } = await env.DB.prepare("SELECT action, tenant_id, detail FROM audit_log WHERE ip = ?").bind(ip).all<{ action: string; tenant_id: string | null; detail: string }>();
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ action: "auth.login_failed", tenant_id: null });
    expect(JSON.parse(results[0]!.detail)).toMatchObject({ tenant: slug, reason: "unknown_tenant" });
  });
});

async function sha256Hex(text: string) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
