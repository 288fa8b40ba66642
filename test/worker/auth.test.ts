import { env } from "cloudflare:test";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, SignJWT, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { TEST_SECRETS } from "../fixtures/secrets.mjs";
import { api, createStore, createTenant, randomIp, userWith, type ApiResponse, type TestTenant } from "./helpers";

// Every request names its client address: a fresh one unless the test is about addresses, so the per-address
// throttle of one test never reaches another.
const login = (slug: string, body: Record<string, unknown>, ip = randomIp()) =>
  api("POST", "/api/v1/auth/login", { body: { tenant: slug, ...body }, ip });
const pinLogin = (slug: string, store: string, pin: string, ip = randomIp()) =>
  api("POST", "/api/v1/auth/pin-login", { body: { tenant: slug, store, pin }, ip });
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
async function makeUser(t: TestTenant, permissions: string[], storeIds: string[], extra: { pin?: string; password?: string } = {}) {
  const role = await api("POST", "/api/v1/roles", { token: t.adminToken, body: { name: `r-${crypto.randomUUID().slice(0, 8)}`, permissions } });
  expect(role.status).toBe(201);
  const username = `u${crypto.randomUUID().slice(0, 8)}`;
  const password = extra.password ?? "another long password";
  const user = await api("POST", "/api/v1/users", {
    token: t.adminToken,
    body: { username, displayName: `User ${username}`, password, ...(extra.pin ? { pin: extra.pin } : {}), storeRoles: storeIds.map((storeId) => ({ storeId, roleId: role.json.data.id })) },
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
async function accessToken(claims: { sub: string; tid: string; sid: string; perms: string[] }, options: { exp: number; key?: JWK; typ?: string; aud?: string; iss?: string }) {
  const key = await importJWK(options.key ?? (JSON.parse(TEST_SECRETS.JWT_PRIVATE_KEY) as JWK), "ES256");
  const { sub, ...rest } = claims;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: "ES256", typ: options.typ ?? "at+jwt" })
    .setSubject(sub)
    .setIssuer(options.iss ?? "edge-pos")
    .setAudience(options.aud ?? "edge-pos-api")
    .setIssuedAt(options.exp - 900)
    .setExpirationTime(options.exp)
    .sign(key);
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe("POST /auth/login", () => {
  it("signs in with username + PIN and with username + password, answering the full session shape", async () => {
    const t = await createTenant();
    for (const secret of [{ pin: t.adminPin }, { password: ADMIN_PASSWORD }]) {
      const res = await login(t.slug, { username: "admin", ...secret });
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

      // The access token says the same as the answer and lives expiresIn seconds.
      const header = decodeProtectedHeader(data.accessToken);
      expect(header).toMatchObject({ alg: "ES256", typ: "at+jwt" });
      const claims = decodeJwt(data.accessToken);
      expect(claims).toMatchObject({ sub: t.adminId, tid: t.tenantId, sid: t.storeId, iss: "edge-pos", aud: "edge-pos-api" });
      expect(claims.perms).toEqual(data.permissions);
      expect(claims.exp! - claims.iat!).toBe(300);
      expect(Math.abs(claims.iat! - nowSeconds())).toBeLessThan(30);

      // ...and it works.
      expect((await me(data.accessToken)).status).toBe(200);
    }
    const row = await userRow(t.adminId);
    expect(row.last_login_at).toBeGreaterThan(Date.now() - 60_000);
  });

  it("issues a different refresh token and access token at every sign-in", async () => {
    const t = await createTenant();
    const a = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD });
    const b = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD });
    expect(a.json.data.refreshToken).not.toBe(b.json.data.refreshToken);
    expect(a.json.data.accessToken).not.toBe(b.json.data.accessToken);
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
    const user = await api("POST", "/api/v1/users", {
      token: t.adminToken,
      body: { username: "multi", displayName: "Multi", pin: "7531", storeRoles: [{ storeId: t.storeId, roleId: a }, { storeId: t.storeId, roleId: b }, { storeId: s2.id, roleId: c }] },
    });
    expect(user.status).toBe(201);
    const inS1 = await login(t.slug, { username: "multi", pin: "7531", store: "S001" });
    expect(inS1.json.data.permissions).toEqual(["customers.view", "pos.sell", "products.view"]);
    expect((await pinLogin(t.slug, "S001", "7531")).json.data.permissions).toEqual(["customers.view", "pos.sell", "products.view"]);
    const inS2 = await login(t.slug, { username: "multi", pin: "7531", store: "S002" });
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

  it("answers a wrong tenant, an unknown user, a wrong PIN and a wrong password with the same 401", async () => {
    const t = await createTenant();
    const answers = [
      await login("no-such-tenant-x", { username: "admin", password: ADMIN_PASSWORD }),
      await login(t.slug, { username: "nobody", pin: "1234" }),
      await login(t.slug, { username: "admin", pin: "4321" }),
      await login(t.slug, { username: "admin", password: "not the password" }),
      // the PIN as a password, and the password as a PIN, are wrong too
      await login(t.slug, { username: "admin", password: "1234" }),
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

  it("refuses an inactive user even with the right PIN, with the same 401, and admits them again once reactivated", async () => {
    const t = await createTenant();
    const u = await makeUser(t, ["pos.sell"], [t.storeId], { pin: "5151" });
    expect((await login(t.slug, { username: u.username, pin: "5151" })).status).toBe(200);
    const off = await api("PUT", `/api/v1/users/${u.id}`, { token: t.adminToken, body: { isActive: false } });
    expect(off.status).toBe(200);
    for (const body of [{ pin: "5151" }, { password: u.password }]) {
      const res = await login(t.slug, { username: u.username, ...body });
      expectError(res, 401, "INVALID_CREDENTIALS");
      expect(res.json.error).toBe(INVALID_CREDENTIALS_MESSAGE);
    }
    expectError(await pinLogin(t.slug, "S001", "5151"), 401, "INVALID_PIN");
    const on = await api("PUT", `/api/v1/users/${u.id}`, { token: t.adminToken, body: { isActive: true } });
    expect(on.status).toBe(200);
    expect((await login(t.slug, { username: u.username, pin: "5151" })).status).toBe(200);
  });

  it("validates the body: exactly one of pin or password, a well-formed tenant slug", async () => {
    const t = await createTenant();
    const cases: [Record<string, unknown>, string][] = [
      [{ tenant: t.slug, username: "admin" }, "pin"],
      [{ tenant: t.slug, username: "admin", pin: "1234", password: ADMIN_PASSWORD }, "pin"],
      [{ tenant: "Not A Slug", username: "admin", pin: "1234" }, "tenant"],
      [{ tenant: t.slug, pin: "1234" }, "username"],
    ];
    for (const [body, field] of cases) {
      const res = await api("POST", "/api/v1/auth/login", { body, ip: randomIp() });
      expectError(res, 400, "VALIDATION_ERROR");
      expect(res.json.fields.map((f: { path: string }) => f.path)).toContain(field);
    }
  });
});

describe("POST /auth/pin-login", () => {
  it("finds the user by PIN alone within a store named by code or id", async () => {
    const t = await createTenant();
    const cashier = await makeUser(t, ["pos.sell", "products.view"], [t.storeId], { pin: "5678" });
    for (const store of ["S001", t.storeId]) {
      const res = await pinLogin(t.slug, store, "5678");
      expect(res.status).toBe(200);
      expect(res.json.data).toMatchObject({
        tokenType: "Bearer",
        expiresIn: 300,
        user: { id: cashier.id, username: cashier.username, isActive: true },
        store: { id: t.storeId, code: "S001", name: "Main Store" },
        permissions: ["pos.sell", "products.view"],
      });
      expect(decodeJwt(res.json.data.accessToken)).toMatchObject({ sub: cashier.id, tid: t.tenantId, sid: t.storeId, perms: ["pos.sell", "products.view"] });
      expect((await refresh(res.json.data.refreshToken)).status).toBe(200);
    }
    // The admin's PIN names the admin in the same store.
    expect((await pinLogin(t.slug, "S001", t.adminPin)).json.data.user.id).toBe(t.adminId);
  });

  it("answers a wrong PIN, an unknown store and a wrong tenant with 401 INVALID_PIN", async () => {
    const t = await createTenant();
    await makeUser(t, ["pos.sell"], [t.storeId], { pin: "5678" });
    for (const res of [
      await pinLogin(t.slug, "S001", "5679"),
      await pinLogin(t.slug, "S999", "5678"),
      await pinLogin("no-such-tenant-y", "S001", "5678"),
    ]) {
      expectError(res, 401, "INVALID_PIN");
      expect(res.json.data).toBeUndefined();
    }
  });

  it("resolves a PIN per store: the same PIN names different users in different stores", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const a = await makeUser(t, ["pos.sell"], [t.storeId], { pin: "2468" });
    const b = await makeUser(t, ["pos.sell"], [s2.id], { pin: "2468" });
    expect((await pinLogin(t.slug, "S001", "2468")).json.data.user.id).toBe(a.id);
    const inS2 = await pinLogin(t.slug, "S002", "2468");
    expect(inS2.json.data.user.id).toBe(b.id);
    expect(inS2.json.data.store.id).toBe(s2.id);
  });

  it("does not log in at a store of the tenant where the PIN's owner has no role, until they get one", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const u = await makeUser(t, ["pos.sell"], [t.storeId], { pin: "1357" });
    expect((await pinLogin(t.slug, "S001", "1357")).status).toBe(200);
    expectError(await pinLogin(t.slug, "S002", "1357"), 401, "INVALID_PIN");
    expectError(await pinLogin(t.slug, s2.id, "1357"), 401, "INVALID_PIN");

    const grant = await api("PUT", `/api/v1/users/${u.id}`, {
      token: t.adminToken,
      body: { storeRoles: [{ storeId: t.storeId, roleId: u.roleId }, { storeId: s2.id, roleId: u.roleId }] },
    });
    expect(grant.status).toBe(200);
    const there = await pinLogin(t.slug, "S002", "1357");
    expect(there.status).toBe(200);
    expect(there.json.data).toMatchObject({ user: { id: u.id }, store: { id: s2.id } });
  });

  it("does not reach another tenant's store by its id", async () => {
    const t1 = await createTenant();
    const t2 = await createTenant();
    await makeUser(t2, ["pos.sell"], [t2.storeId], { pin: "8080" });
    expectError(await pinLogin(t1.slug, t2.storeId, "8080"), 401, "INVALID_PIN");
    expectError(await pinLogin(t1.slug, t2.storeId, t1.adminPin), 401, "INVALID_PIN");
    expect((await pinLogin(t2.slug, t2.storeId, "8080")).status).toBe(200);
  });

  it("refuses an inactive store with 403 STORE_INACTIVE", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const off = await api("PUT", `/api/v1/stores/${s2.id}`, { token: t.adminToken, body: { isActive: false } });
    expect(off.status).toBe(200);
    expectError(await pinLogin(t.slug, "S002", t.adminPin), 403, "STORE_INACTIVE");
    expect((await pinLogin(t.slug, "S001", t.adminPin)).status).toBe(200);
  });

  it("limits failed PIN logins per store, however the store is named", async () => {
    const t = await createTenant();
    // 30 wrong PINs from 30 addresses, half naming the store by code and half by id.
    for (let i = 0; i < 30; i++) {
      const res = await pinLogin(t.slug, i % 2 ? "S001" : t.storeId, String(900000 + i));
      expectError(res, 401, "INVALID_PIN");
    }
    for (const store of ["S001", t.storeId]) {
      const blocked = await pinLogin(t.slug, store, t.adminPin);
      expectError(blocked, 429, "TOO_MANY_ATTEMPTS");
      expect(retryAfter(blocked)).toBeGreaterThan(800);
      expect(retryAfter(blocked)).toBeLessThanOrEqual(900);
    }
    // The store's lock is on PIN-only login; the admin still signs in with username and PIN.
    expect((await login(t.slug, { username: "admin", password: ADMIN_PASSWORD })).status).toBe(200);
  });
});

describe("lockout", () => {
  it("locks the user at the fifth wrong attempt for about 300 s, refusing even the right PIN meanwhile", async () => {
    const t = await createTenant();
    const u = await makeUser(t, ["pos.sell"], [t.storeId], { pin: "1470" });
    for (let i = 1; i <= 4; i++) {
      const res = await login(t.slug, { username: u.username, pin: "0000" });
      expectError(res, 401, "INVALID_CREDENTIALS");
      expect((await userRow(u.id)).failed_attempts).toBe(i);
    }
    const fifth = await login(t.slug, { username: u.username, pin: "0000" });
    expectError(fifth, 429, "ACCOUNT_LOCKED");
    expect(retryAfter(fifth)).toBeGreaterThanOrEqual(295);
    expect(retryAfter(fifth)).toBeLessThanOrEqual(300);
    const row = await userRow(u.id);
    expect(row.locked_until).toBeGreaterThan(Date.now() + 290_000);
    expect(row.locked_until).toBeLessThanOrEqual(Date.now() + 300_000);

    // While locked: the right PIN, the right password and PIN-only login are all 429.
    for (const res of [
      await login(t.slug, { username: u.username, pin: "1470" }),
      await login(t.slug, { username: u.username, password: u.password }),
      await pinLogin(t.slug, "S001", "1470"),
    ]) {
      expectError(res, 429, "ACCOUNT_LOCKED");
      expect(retryAfter(res)).toBeGreaterThan(0);
      expect(retryAfter(res)).toBeLessThanOrEqual(300);
    }
    // Other users are not affected.
    expect((await login(t.slug, { username: "admin", password: ADMIN_PASSWORD })).status).toBe(200);
  });

  it("counts wrong PINs and wrong passwords together", async () => {
    const t = await createTenant();
    const u = await makeUser(t, ["pos.sell"], [t.storeId], { pin: "1470" });
    for (let i = 0; i < 2; i++) expectError(await login(t.slug, { username: u.username, pin: "0000" }), 401, "INVALID_CREDENTIALS");
    for (let i = 0; i < 2; i++) expectError(await login(t.slug, { username: u.username, password: "wrong password" }), 401, "INVALID_CREDENTIALS");
    expectError(await login(t.slug, { username: u.username, password: "wrong password" }), 429, "ACCOUNT_LOCKED");
  });

  it("forgets earlier failures after a success", async () => {
    const t = await createTenant();
    const u = await makeUser(t, ["pos.sell"], [t.storeId], { pin: "8642" });
    for (let i = 0; i < 4; i++) expectError(await login(t.slug, { username: u.username, pin: "0000" }), 401, "INVALID_CREDENTIALS");
    expect((await login(t.slug, { username: u.username, pin: "8642" })).status).toBe(200);
    expect((await userRow(u.id)).failed_attempts).toBe(0);
    // Four more wrong attempts are again only four.
    for (let i = 0; i < 4; i++) expectError(await login(t.slug, { username: u.username, pin: "0000" }), 401, "INVALID_CREDENTIALS");
    expect((await login(t.slug, { username: u.username, pin: "8642" })).status).toBe(200);
  });

  it("lets the user in again once the lock has passed, with a fresh count", async () => {
    const t = await createTenant();
    const u = await makeUser(t, ["pos.sell"], [t.storeId], { pin: "9753" });
    for (let i = 0; i < 4; i++) await login(t.slug, { username: u.username, pin: "0000" });
    expectError(await login(t.slug, { username: u.username, pin: "0000" }), 429, "ACCOUNT_LOCKED");

    await env.DB.prepare("UPDATE users SET locked_until = ? WHERE id = ?").bind(Date.now() - 1000, u.id).run();
    // One wrong attempt after the lock is one of five again, not a new lock.
    expectError(await login(t.slug, { username: u.username, pin: "0000" }), 401, "INVALID_CREDENTIALS");
    const back = await login(t.slug, { username: u.username, pin: "9753" });
    expect(back.status).toBe(200);
    expect(back.json.data.user.id).toBe(u.id);
    const row = await userRow(u.id);
    expect(row.locked_until).toBeNull();
    expect(row.failed_attempts).toBe(0);
  });

  it("locks the user even when the wrong attempts arrive at the same time", async () => {
    const t = await createTenant();
    const u = await makeUser(t, ["pos.sell"], [t.storeId], { pin: "3141" });
    const answers = await Promise.all(Array.from({ length: 8 }, () => login(t.slug, { username: u.username, pin: "0000" })));
    for (const res of answers) expect([401, 429]).toContain(res.status);
    expect(answers.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(1);
    expectError(await login(t.slug, { username: u.username, pin: "3141" }), 429, "ACCOUNT_LOCKED");
  });
});

describe("per-address throttle", () => {
  it("refuses the attempt after 20 failures from an address, right credentials included, but not other addresses", async () => {
    const t = await createTenant();
    const ip = randomIp();
    // Successful sign-ins spend nothing of the address's budget.
    for (let i = 0; i < 2; i++) expect((await login(t.slug, { username: "admin", password: ADMIN_PASSWORD }, ip)).status).toBe(200);
    // 20 failures, PIN-only and username logins sharing one budget; unknown users and PINs, so no user lock
    // interferes. The 20th failure is still an ordinary 401.
    for (let i = 0; i < 10; i++) expectError(await pinLogin(t.slug, "S001", String(700000 + i), ip), 401, "INVALID_PIN");
    for (let i = 0; i < 10; i++) expectError(await login(t.slug, { username: `nobody${i}`, pin: "0000" }, ip), 401, "INVALID_CREDENTIALS");

    const blocked = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD }, ip);
    expectError(blocked, 429, "TOO_MANY_ATTEMPTS");
    expect(retryAfter(blocked)).toBeGreaterThan(800);
    expect(retryAfter(blocked)).toBeLessThanOrEqual(900);
    expect(blocked.json.data).toBeUndefined();
    expectError(await login(t.slug, { username: "admin", password: ADMIN_PASSWORD }, ip), 429, "TOO_MANY_ATTEMPTS");
    expectError(await pinLogin(t.slug, "S001", t.adminPin, ip), 429, "TOO_MANY_ATTEMPTS");
    // A refused attempt is not even tried against the user.
    expect((await userRow(t.adminId)).failed_attempts).toBe(0);

    const elsewhere = await login(t.slug, { username: "admin", password: ADMIN_PASSWORD }, randomIp());
    expect(elsewhere.status).toBe(200);

    // When the window has passed, the address may try again.
    const moved = await env.DB.prepare("UPDATE auth_throttle SET window_start = ? WHERE key = ?").bind(Date.now() - 16 * 60_000, `ip:${ip}`).run();
    expect(moved.meta.changes).toBe(1);
    expect((await login(t.slug, { username: "admin", password: ADMIN_PASSWORD }, ip)).status).toBe(200);
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
    const after = await refresh(next.json.data.refreshToken);
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
    const u = await makeUser(t, ["products.view", "pos.sell"], [t.storeId, s2.id], { pin: "6543" });
    const session = await login(t.slug, { username: u.username, password: u.password, store: "S002" });
    const res = await me(session.json.data.accessToken);
    expect(res.status).toBe(200);
    expect(res.json.data).toMatchObject({
      user: { id: u.id, username: u.username, displayName: `User ${u.username}`, isActive: true, hasPin: true, hasPassword: true },
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
    const changed = await changeCredential(there.json.data.accessToken, { currentPin: "1234", newPin: "4321" });
    expectError(changed, 401, "SESSION_ENDED");
    expect((await login(t.slug, { username: "admin", password: ADMIN_PASSWORD })).status).toBe(200);
    // The admin's session in S001 goes on.
    expect((await me(t.adminToken)).json.data.store.id).toBe(t.storeId);
  });
});

describe("POST /auth/change-credential", () => {
  it("refuses a wrong current PIN or password with 401 INVALID_CREDENTIALS and changes nothing", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell"], { pin: "1470" });
    expectError(await changeCredential(u.token, { currentPin: "0000", newPin: "2580" }), 401, "INVALID_CREDENTIALS");
    expectError(await changeCredential(u.token, { currentPassword: "wrong password", newPassword: "a brand new password" }), 401, "INVALID_CREDENTIALS");
    expect((await pinLogin(t.slug, "S001", "1470")).json.data?.user.id).toBe(u.id);
    expectError(await pinLogin(t.slug, "S001", "2580"), 401, "INVALID_PIN");
    expect((await login(t.slug, { username: u.username, password: u.password })).status).toBe(200);
    expect((await refresh(u.refreshToken)).status).toBe(200);
  });

  it("changes the PIN: fresh tokens, the new PIN logs in, the old does not, earlier sessions are revoked", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell"], { pin: "1470" });
    const second = await login(t.slug, { username: u.username, pin: "1470" });

    const changed = await changeCredential(u.token, { currentPin: "1470", newPin: "2580" });
    expect(changed.status).toBe(200);
    const data = changed.json.data;
    expect(data).toMatchObject({ tokenType: "Bearer", expiresIn: 300, user: { id: u.id }, store: { id: t.storeId }, permissions: ["pos.sell"] });
    expect(data.refreshToken).not.toBe(u.refreshToken);
    expect((await me(data.accessToken)).json.data.user.id).toBe(u.id);

    // The new PIN works with username and alone; the old one does neither.
    expect((await login(t.slug, { username: u.username, pin: "2580" })).status).toBe(200);
    expect((await pinLogin(t.slug, "S001", "2580")).json.data?.user.id).toBe(u.id);
    expectError(await login(t.slug, { username: u.username, pin: "1470" }), 401, "INVALID_CREDENTIALS");
    expectError(await pinLogin(t.slug, "S001", "1470"), 401, "INVALID_PIN");
    // The password is untouched.
    expect((await login(t.slug, { username: u.username, password: u.password })).status).toBe(200);

    // Every earlier refresh token is revoked; the new one works.
    expectError(await refresh(u.refreshToken), 401, "REFRESH_TOKEN_REVOKED");
    expectError(await refresh(second.json.data.refreshToken), 401, "REFRESH_TOKEN_REVOKED");
    expect((await refresh(data.refreshToken)).status).toBe(200);
  });

  it("changes the password by proving the current password", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell"], { pin: "1470" });
    const changed = await changeCredential(u.token, { currentPassword: u.password, newPassword: "a brand new password" });
    expect(changed.status).toBe(200);
    expect((await login(t.slug, { username: u.username, password: "a brand new password" })).status).toBe(200);
    expectError(await login(t.slug, { username: u.username, password: u.password }), 401, "INVALID_CREDENTIALS");
    // The PIN is untouched.
    expect((await pinLogin(t.slug, "S001", "1470")).json.data?.user.id).toBe(u.id);
    expectError(await refresh(u.refreshToken), 401, "REFRESH_TOKEN_REVOKED");
  });

  it("moves the new PIN to every store the user works in", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const u = await makeUser(t, ["pos.sell"], [t.storeId, s2.id], { pin: "1122" });
    const session = await login(t.slug, { username: u.username, pin: "1122" });
    const changed = await changeCredential(session.json.data.accessToken, { currentPin: "1122", newPin: "3344" });
    expect(changed.status).toBe(200);
    for (const store of ["S001", "S002"]) {
      expect((await pinLogin(t.slug, store, "3344")).json.data?.user.id).toBe(u.id);
      expectError(await pinLogin(t.slug, store, "1122"), 401, "INVALID_PIN");
    }
  });

  it("accepts the user's own current PIN as the new PIN", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell"], { pin: "3690" });
    const same = await changeCredential(u.token, { currentPin: "3690", newPin: "3690" });
    expect(same.status).toBe(200);
    expect((await pinLogin(t.slug, "S001", "3690")).json.data?.user.id).toBe(u.id);
  });

  it("locks the user after five wrong current PINs", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell"], { pin: "3690" });
    for (let i = 0; i < 4; i++) expectError(await changeCredential(u.token, { currentPin: "0000", newPin: "5555" }), 401, "INVALID_CREDENTIALS");
    const fifth = await changeCredential(u.token, { currentPin: "0000", newPin: "5555" });
    expectError(fifth, 429, "ACCOUNT_LOCKED");
    expect(retryAfter(fifth)).toBeGreaterThanOrEqual(295);
    expectError(await changeCredential(u.token, { currentPin: "3690", newPin: "5555" }), 429, "ACCOUNT_LOCKED");
    expectError(await login(t.slug, { username: u.username, pin: "3690" }), 429, "ACCOUNT_LOCKED");
  });

  it("refuses bad bodies with 400 VALIDATION_ERROR naming the field", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell"], { pin: "3690" });
    const cases: [Record<string, unknown>, string][] = [
      [{ currentPin: "3690", currentPassword: u.password, newPin: "7777" }, "currentPin"],
      [{ newPin: "7777" }, "currentPin"],
      [{ currentPin: "3690" }, "newPin"],
      [{ currentPin: "3690", newPin: "12ab" }, "newPin"],
      [{ currentPin: "3690", newPin: "123" }, "newPin"],
      [{ currentPassword: u.password, newPassword: "short" }, "newPassword"],
    ];
    for (const [body, field] of cases) {
      const res = await changeCredential(u.token, body);
      expectError(res, 400, "VALIDATION_ERROR");
      expect(res.json.fields.map((f: { path: string }) => f.path)).toContain(field);
    }
    // None of them counted as a wrong attempt or changed anything.
    expect((await userRow(u.id)).failed_attempts).toBe(0);
    expect((await pinLogin(t.slug, "S001", "3690")).json.data?.user.id).toBe(u.id);
    expectError(await changeCredential("", { currentPin: "3690", newPin: "7777" }), 401, "UNAUTHENTICATED");
  });
});

describe("audit log", () => {
  it("records successful and failed logins with address, tenant and reason, never the secret tried", async () => {
    const t = await createTenant();
    const ip = randomIp();
    expect((await login(t.slug, { username: "admin", password: ADMIN_PASSWORD }, ip)).status).toBe(200);
    expectError(await login(t.slug, { username: "admin", pin: "97531864" }, ip), 401, "INVALID_CREDENTIALS");
    expectError(await login(t.slug, { username: "nobody", password: "secret-guess-xyz" }, ip), 401, "INVALID_CREDENTIALS");
    expect((await pinLogin(t.slug, "S001", t.adminPin, ip)).status).toBe(200);
    expectError(await pinLogin(t.slug, "S001", "86421357", ip), 401, "INVALID_PIN");

    const { results } = await env.DB.prepare("SELECT * FROM audit_log WHERE ip = ? ORDER BY at, rowid").bind(ip).all<Record<string, string | null>>();
    expect(results.map((r) => r.action)).toEqual(["auth.login", "auth.login_failed", "auth.login_failed", "auth.login", "auth.pin_login_failed"]);
    for (const r of results) {
      expect(r.tenant_id).toBe(t.tenantId);
      expect(r.ip).toBe(ip);
      expect(r.request_id).toBeTruthy();
    }
    const [ok, wrongPin, unknown, pinOk] = results;
    expect(ok).toMatchObject({ actor_type: "user", actor_id: t.adminId, entity: "user", entity_id: t.adminId });
    expect(JSON.parse(ok!.detail!)).toEqual({ storeId: t.storeId, method: "password" });
    expect(wrongPin).toMatchObject({ actor_type: "anonymous", actor_id: t.adminId, entity_id: t.adminId });
    expect(JSON.parse(wrongPin!.detail!)).toMatchObject({ username: "admin", reason: "wrong_pin" });
    expect(unknown).toMatchObject({ actor_type: "anonymous", actor_id: null });
    expect(JSON.parse(unknown!.detail!)).toMatchObject({ username: "nobody", reason: "unknown_user" });
    expect(JSON.parse(pinOk!.detail!)).toMatchObject({ method: "store_pin" });
    const text = JSON.stringify(results);
    for (const secret of ["97531864", "secret-guess-xyz", "86421357"]) expect(text).not.toContain(secret);
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
