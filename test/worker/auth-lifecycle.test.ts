import { env } from "cloudflare:test";
import { createLocalJWKSet, importJWK, jwtVerify, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { TEST_SECRETS } from "../fixtures/secrets.mjs";
import { api, createTenant, randomIp, userWith, type TestTenant } from "./helpers";

const login = (t: TestTenant, body: Record<string, unknown>, ip = randomIp()) =>
  api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, ...body }, ip });
const pinLogin = (t: TestTenant, store: string, pin: string, ip = randomIp()) =>
  api("POST", "/api/v1/auth/pin-login", { body: { tenant: t.slug, store, pin }, ip });
const refresh = (refreshToken: string) => api("POST", "/api/v1/auth/refresh", { body: { refreshToken } });

describe("login", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await createTenant();
  });

  it("accepts username + PIN and username + password, answering tokens, user, store and permissions", async () => {
    for (const secret of [{ pin: "1234" }, { password: "correct horse battery" }]) {
      const res = await login(t, { username: "ADMIN", ...secret });
      expect(res.status).toBe(200);
      expect(res.json.data).toMatchObject({
        tokenType: "Bearer",
        expiresIn: 900,
        user: { id: t.adminId, username: "admin", isActive: true },
        store: { id: t.storeId, code: "S001" },
      });
      expect(res.json.data.accessToken.split(".")).toHaveLength(3);
      expect(res.json.data.refreshToken.length).toBeGreaterThan(30);
      expect(res.json.data.permissions).toContain("users.create");
    }
  });

  it("gives the same 401 for an unknown tenant, an unknown user and a wrong PIN", async () => {
    const answers = await Promise.all([
      api("POST", "/api/v1/auth/login", { body: { tenant: "no-such-tenant", username: "admin", pin: "1234" }, ip: randomIp() }),
      login(t, { username: "nobody", pin: "1234" }),
      login(t, { username: "admin", pin: "9999" }),
      login(t, { username: "admin", password: "wrong password" }),
    ]);
    for (const res of answers) {
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ code: "INVALID_CREDENTIALS", error: "Wrong username, PIN or password" });
    }
  });

  it("chooses the store by code or id, and refuses a store the user has no role in", async () => {
    const other = await api("POST", "/api/v1/stores", {
      token: t.adminToken,
      body: { code: "S002", name: "Second", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true },
    });
    expect(other.status).toBe(201);
    const byCode = await login(t, { username: "admin", pin: "1234", store: "S002" });
    expect(byCode.json.data.store.id).toBe(other.json.data.id);
    const byId = await login(t, { username: "admin", pin: "1234", store: other.json.data.id });
    expect(byId.json.data.store.code).toBe("S002");

    const cashier = await userWith(t, ["pos.sell"]);
    const refused = await login(t, { username: cashier.username, password: cashier.password, store: "S002" });
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe("NO_STORE_ACCESS");
  });

  it("refuses an inactive user", async () => {
    const u = await userWith(t, ["pos.sell"]);
    const off = await api("PUT", `/api/v1/users/${u.id}`, { token: t.adminToken, body: { isActive: false } });
    expect(off.status).toBe(200);
    const res = await login(t, { username: u.username, password: u.password });
    expect(res.status).toBe(401);
  });

  it("writes every success and failure to the audit log", async () => {
    const ip = randomIp();
    await login(t, { username: "admin", pin: "1234" }, ip);
    await login(t, { username: "admin", pin: "0000" }, ip);
    const { results } = await env.DB.prepare("SELECT action, tenant_id, actor_id FROM audit_log WHERE ip = ? ORDER BY at").bind(ip).all();
    expect(results.map((r) => r.action)).toEqual(["auth.login", "auth.login_failed"]);
    expect(results.every((r) => r.tenant_id === t.tenantId && r.actor_id === t.adminId)).toBe(true);
  });
});

describe("PIN login", () => {
  it("finds the user by PIN alone within a store, by store code or id", async () => {
    const t = await createTenant();
    const cashier = await userWith(t, ["pos.sell"], { pin: "5678" });
    const byCode = await pinLogin(t, "S001", "5678");
    expect(byCode.status).toBe(200);
    expect(byCode.json.data.user.id).toBe(cashier.id);
    expect(byCode.json.data.permissions).toEqual(["pos.sell"]);
    expect((await pinLogin(t, t.storeId, "5678")).json.data.user.id).toBe(cashier.id);
    const wrong = await pinLogin(t, "S001", "5679");
    expect(wrong.status).toBe(401);
    expect(wrong.json.code).toBe("INVALID_PIN");
  });

  it("does not log in at a store where the PIN's owner has no role", async () => {
    const t = await createTenant();
    await userWith(t, ["pos.sell"], { pin: "2468" });
    await api("POST", "/api/v1/stores", { token: t.adminToken, body: { code: "S002", name: "Second", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true } });
    expect((await pinLogin(t, "S002", "2468")).status).toBe(401);
    // the admin's PIN came along to S002 when the admin created it
    expect((await pinLogin(t, "S002", "1234")).status).toBe(200);
  });
});

describe("lockout and throttling", () => {
  it("locks a user for five minutes after five wrong attempts, the right PIN included", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell"], { pin: "1357" });
    for (let i = 1; i <= 4; i++) expect((await login(t, { username: u.username, pin: "0000" })).status).toBe(401);
    const fifth = await login(t, { username: u.username, pin: "0000" });
    expect(fifth.status).toBe(429);
    expect(fifth.json.code).toBe("ACCOUNT_LOCKED");
    expect(Number(fifth.headers.get("Retry-After"))).toBeGreaterThan(290);
    expect(Number(fifth.headers.get("Retry-After"))).toBeLessThanOrEqual(300);
    const right = await login(t, { username: u.username, pin: "1357" });
    expect(right.status).toBe(429);
    expect((await pinLogin(t, "S001", "1357")).status).toBe(429);

    await env.DB.prepare("UPDATE users SET locked_until = ? WHERE id = ?").bind(Date.now() - 1000, u.id).run();
    expect((await login(t, { username: u.username, pin: "1357" })).status).toBe(200);
  });

  it("forgets earlier failures after a success", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell"], { pin: "8642" });
    for (let i = 0; i < 4; i++) await login(t, { username: u.username, pin: "0000" });
    expect((await login(t, { username: u.username, pin: "8642" })).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await login(t, { username: u.username, pin: "0000" })).status).toBe(401);
  });

  it("limits failed logins per client address, leaving other addresses alone", async () => {
    const t = await createTenant();
    const ip = randomIp();
    for (let i = 0; i < 20; i++) {
      await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username: `nobody${i}`, pin: "0000" }, ip });
    }
    const blocked = await login(t, { username: "admin", pin: "1234" }, ip);
    expect(blocked.status).toBe(429);
    expect(blocked.json.code).toBe("TOO_MANY_ATTEMPTS");
    expect(Number(blocked.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect((await login(t, { username: "admin", pin: "1234" }, randomIp())).status).toBe(200);
  });
});

describe("refresh tokens", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await createTenant();
  });

  it("rotate: each works once and gives a new pair", async () => {
    const first = await login(t, { username: "admin", pin: "1234" });
    const next = await refresh(first.json.data.refreshToken);
    expect(next.status).toBe(200);
    expect(next.json.data.refreshToken).not.toBe(first.json.data.refreshToken);
    expect((await api("GET", "/api/v1/auth/me", { token: next.json.data.accessToken })).status).toBe(200);
    expect((await refresh(next.json.data.refreshToken)).status).toBe(200);
  });

  it("revoke the whole family when a spent token is presented again, sparing other sign-ins", async () => {
    const stolen = await login(t, { username: "admin", pin: "1234" });
    const other = await login(t, { username: "admin", pin: "1234" });
    const rotated = await refresh(stolen.json.data.refreshToken);
    const reuse = await refresh(stolen.json.data.refreshToken);
    expect(reuse.status).toBe(401);
    expect(reuse.json.code).toBe("REFRESH_TOKEN_REUSED");
    const newest = await refresh(rotated.json.data.refreshToken);
    expect(newest.status).toBe(401);
    expect(newest.json.code).toBe("REFRESH_TOKEN_REVOKED");
    expect((await refresh(other.json.data.refreshToken)).status).toBe(200);
    const { results } = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'auth.refresh_reuse' AND tenant_id = ?").bind(t.tenantId).all();
    expect(results[0]!.n).toBe(1);
  });

  it("expire after their lifetime, and reject garbage", async () => {
    const session = await login(t, { username: "admin", pin: "1234" });
    await env.DB.prepare("UPDATE refresh_tokens SET expires_at = ? WHERE user_id = ? AND rotated_at IS NULL AND revoked_at IS NULL").bind(Date.now() - 1, t.adminId).run();
    const expired = await refresh(session.json.data.refreshToken);
    expect(expired.status).toBe(401);
    expect(expired.json.code).toBe("REFRESH_TOKEN_EXPIRED");
    const garbage = await refresh("x".repeat(43));
    expect(garbage.status).toBe(401);
    expect(garbage.json.code).toBe("INVALID_REFRESH_TOKEN");
  });

  it("carry the user's current permissions into the new access token", async () => {
    const u = await userWith(t, ["pos.sell"]);
    expect((await api("GET", "/api/v1/roles", { token: u.token })).status).toBe(403);
    const grant = await api("PUT", `/api/v1/roles/${u.roleId}/permissions`, { token: t.adminToken, body: { permissions: ["pos.sell", "roles.view"] } });
    expect(grant.status).toBe(200);
    const next = await refresh(u.refreshToken);
    expect(next.json.data.permissions).toEqual(["pos.sell", "roles.view"]);
    expect((await api("GET", "/api/v1/roles", { token: next.json.data.accessToken })).status).toBe(200);
  });

  it("end when the user is deactivated", async () => {
    const u = await userWith(t, ["pos.sell"]);
    await api("PUT", `/api/v1/users/${u.id}`, { token: t.adminToken, body: { isActive: false } });
    const me = await api("GET", "/api/v1/auth/me", { token: u.token });
    expect(me.status).toBe(401);
    expect(me.json.code).toBe("SESSION_ENDED");
    expect((await refresh(u.refreshToken)).status).toBe(401);
  });
});

describe("access tokens", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await createTenant();
  });

  const signed = async (claims: Record<string, unknown>, exp: number, key = JSON.parse(TEST_SECRETS.JWT_PRIVATE_KEY)) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", typ: "at+jwt" })
      .setSubject(t.adminId)
      .setIssuer("edge-pos")
      .setAudience("edge-pos-api")
      .setIssuedAt(exp - 900)
      .setExpirationTime(exp)
      .sign(await importJWK(key, "ES256"));

  it("answers 401 TOKEN_EXPIRED to an expired token and INVALID_TOKEN to a malformed or foreign one", async () => {
    const claims = { tid: t.tenantId, sid: t.storeId, perms: ["users.view"] };
    const now = Math.floor(Date.now() / 1000);
    const valid = await api("GET", "/api/v1/users", { token: await signed(claims, now + 60) });
    expect(valid.status).toBe(200);
    const expired = await api("GET", "/api/v1/users", { token: await signed(claims, now - 60) });
    expect(expired.status).toBe(401);
    expect(expired.json.code).toBe("TOKEN_EXPIRED");
    const malformed = await api("GET", "/api/v1/users", { token: "not.a.jwt" });
    expect(malformed.json.code).toBe("INVALID_TOKEN");
    const { privateKey } = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const foreignKey = await crypto.subtle.exportKey("jwk", privateKey);
    const foreign = await api("GET", "/api/v1/users", { token: await signed(claims, now + 60, foreignKey) });
    expect(foreign.status).toBe(401);
    expect(foreign.json.code).toBe("INVALID_TOKEN");
  });

  it("are verifiable with the published JWKS, which holds no private part", async () => {
    const jwks = await api("GET", "/.well-known/jwks.json");
    expect(jwks.json.keys).toHaveLength(1);
    expect(jwks.json.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    expect(jwks.json.keys[0].d).toBeUndefined();
    const { payload, protectedHeader } = await jwtVerify(t.adminToken, createLocalJWKSet(jwks.json), { issuer: "edge-pos", audience: "edge-pos-api" });
    expect(protectedHeader.kid).toBe(jwks.json.keys[0].kid);
    expect(payload).toMatchObject({ sub: t.adminId, tid: t.tenantId, sid: t.storeId });
  });
});

describe("me and change-credential", () => {
  it("me answers the user, tenant, store and permissions", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell", "products.view"]);
    const me = await api("GET", "/api/v1/auth/me", { token: u.token });
    expect(me.status).toBe(200);
    expect(me.json.data).toMatchObject({
      user: { id: u.id, username: u.username, storeRoles: [{ storeId: t.storeId, roleId: u.roleId }] },
      tenant: { id: t.tenantId, slug: t.slug },
      store: { id: t.storeId, code: "S001", currency: "SEK", timeZone: "Europe/Stockholm" },
      permissions: ["pos.sell", "products.view"],
    });
  });

  it("changes the PIN after proving the current one, ending other sessions", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell"], { pin: "1470" });
    const wrong = await api("POST", "/api/v1/auth/change-credential", { token: u.token, body: { currentPin: "0000", newPin: "2580" } });
    expect(wrong.status).toBe(401);
    expect(wrong.json.code).toBe("INVALID_CREDENTIALS");

    const changed = await api("POST", "/api/v1/auth/change-credential", { token: u.token, body: { currentPin: "1470", newPin: "2580" } });
    expect(changed.status).toBe(200);
    expect(changed.json.data.refreshToken).toBeDefined();
    expect((await pinLogin(t, "S001", "2580")).json.data?.user.id).toBe(u.id);
    expect((await pinLogin(t, "S001", "1470")).status).toBe(401);
    expect((await refresh(u.refreshToken)).status).toBe(401);
    expect((await refresh(changed.json.data.refreshToken)).status).toBe(200);
  });

  it("refuses a PIN another user of the store has, and bad bodies", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell"], { pin: "3690" });
    const taken = await api("POST", "/api/v1/auth/change-credential", { token: u.token, body: { currentPin: "3690", newPin: "1234" } });
    expect(taken.status).toBe(409);
    expect(taken.json.code).toBe("PIN_IN_USE");
    const cases: [Record<string, unknown>, string][] = [
      [{ currentPin: "3690", currentPassword: u.password, newPin: "7777" }, "currentPin"],
      [{ currentPin: "3690" }, "newPin"],
      [{ currentPin: "3690", newPin: "12ab" }, "newPin"],
    ];
    for (const [body, field] of cases) {
      const res = await api("POST", "/api/v1/auth/change-credential", { token: u.token, body });
      expect(res.status).toBe(400);
      expect(res.json.fields.map((f: { path: string }) => f.path)).toContain(field);
    }
  });
});

describe("a role with no permissions", () => {
  it("still admits its holder by username, PIN and refresh, to token-only routes", async () => {
    const t = await createTenant();
    const u = await userWith(t, [], { pin: "9753" });
    expect((await api("GET", "/api/v1/auth/me", { token: u.token })).json.data.permissions).toEqual([]);
    expect((await pinLogin(t, "S001", "9753")).status).toBe(200);
    expect((await refresh(u.refreshToken)).status).toBe(200);
    expect((await api("GET", "/api/v1/users", { token: u.token })).status).toBe(403);
  });

  it("is not access once the user has no role in the store at all", async () => {
    const t = await createTenant();
    const u = await userWith(t, ["pos.sell"], { pin: "8642" });
    const stripped = await api("PUT", `/api/v1/users/${u.id}`, { token: t.adminToken, body: { storeRoles: [] } });
    expect(stripped.status).toBe(200);
    expect((await pinLogin(t, "S001", "8642")).status).toBe(401);
    const again = await login(t, { username: u.username, password: u.password });
    expect(again.status).toBe(403);
    expect(again.json.code).toBe("NO_STORE_ACCESS");
  });
});

describe("logout", () => {
  it("ends the sign-in's refresh tokens, leaves other sign-ins, and may be repeated", async () => {
    const t = await createTenant();
    const a = await login(t, { username: "admin", pin: "1234" });
    const b = await login(t, { username: "admin", pin: "1234" });
    const rotated = await refresh(a.json.data.refreshToken);
    const out = await api("POST", "/api/v1/auth/logout", { body: { refreshToken: rotated.json.data.refreshToken } });
    expect(out.status).toBe(200);
    expect(out.json.data).toEqual({ signedOut: true });
    expect((await refresh(rotated.json.data.refreshToken)).json.code).toBe("REFRESH_TOKEN_REVOKED");
    expect((await refresh(b.json.data.refreshToken)).status).toBe(200);
    expect((await api("POST", "/api/v1/auth/logout", { body: { refreshToken: rotated.json.data.refreshToken } })).status).toBe(200);
    expect((await api("POST", "/api/v1/auth/logout", { body: { refreshToken: "y".repeat(43) } })).status).toBe(200);
  });
});
