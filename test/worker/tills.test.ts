import { env } from "cloudflare:test";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import {
  ADMIN_PASSWORD, api, createStore, createTenant, enrolTill, randomIp, staffWithPin, tillPinLogin, userWith, type ApiResponse, type TestTenant,
} from "./helpers";

/** Enrolled tills: registers, pairing codes, device credentials, and PIN sign-in only from them. */

function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.json?.code }).toEqual({ status, code });
  expect(res.json.success).toBe(false);
}

const retryAfter = (res: ApiResponse) => Number(res.headers.get("Retry-After"));
const device = (credential: string) => ({ "X-Device-Credential": credential });
const createRegister = (t: TestTenant, body: Record<string, unknown>, token = t.adminToken, storeId = t.storeId) =>
  api("POST", `/api/v1/stores/${storeId}/registers`, { token, body });
const pair = (code: string, ip = randomIp()) => api("POST", "/api/v1/devices/pair", { body: { code }, ip });
const passwordLogin = (t: TestTenant, username: string, password: string, ip = randomIp()) =>
  api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username, password }, ip });
/** A write any signed-in user with products.create may do: proves a session can still write. */
const write = (token: string) => api("POST", "/api/v1/departments", { token, body: { name: `Dept ${crypto.randomUUID().slice(0, 8)}` } });

describe("enrolment", () => {
  it("creates a register with a one-time pairing code that the till exchanges once for its credential", async () => {
    const t = await createTenant();
    const created = await createRegister(t, { code: "T01", name: "Till 1" });
    expect(created.status).toBe(201);
    const { pairing, device: pending, ...register } = created.json.data;
    expect(register).toMatchObject({ storeId: t.storeId, code: "T01", name: "Till 1", isActive: true, version: 1 });
    expect(pending).toMatchObject({ kind: "register", registerId: register.id, status: "pending", pairedAt: null });
    expect(pairing.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    const expires = Date.parse(pairing.expiresAt) - Date.now();
    expect(expires).toBeGreaterThan(14 * 60_000);
    expect(expires).toBeLessThanOrEqual(15 * 60_000);
    // Only a hash of the code is kept.
    const row = await env.DB.prepare("SELECT pairing_code_hash, credential_hash FROM devices WHERE id = ?").bind(pairing.deviceId).first<Record<string, string | null>>();
    expect(JSON.stringify(row)).not.toContain(pairing.code.replace("-", ""));
    expect(row!.credential_hash).toBeNull();

    // Typed in lower case and without the dash, it still pairs.
    const paired = await pair(pairing.code.replace("-", "").toLowerCase());
    expect(paired.status).toBe(200);
    const { credential, ...answer } = paired.json.data;
    expect(credential).toMatch(/^dvc_[A-Za-z0-9_-]{40,}$/);
    expect(answer).toMatchObject({
      device: { id: pairing.deviceId, status: "active", kind: "register" },
      tenant: { id: t.tenantId, slug: t.slug },
      store: { id: t.storeId, code: "S001" },
      register: { id: register.id, code: "T01", name: "Till 1" },
    });
    const stored = await env.DB.prepare("SELECT credential_hash, pairing_code_hash FROM devices WHERE id = ?").bind(pairing.deviceId).first<Record<string, string | null>>();
    expect(stored!.credential_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored!.credential_hash).not.toContain(credential);
    expect(stored!.pairing_code_hash).toBeNull();

    // The code works once.
    expectError(await pair(pairing.code), 401, "INVALID_PAIRING_CODE");
    // The device knows what it is.
    const current = await api("GET", "/api/v1/devices/current", { headers: device(credential) });
    expect(current.status).toBe(200);
    expect(current.json.data).toMatchObject({ device: { id: pairing.deviceId }, store: { code: "S001" }, register: { code: "T01" } });
  });

  it("refuses a register or device name that a till or printer would take as commands", async () => {
    const t = await createTenant();
    for (const name of ["Till\u001b@", "Till\r\n2", "\u202eTill"]) {
      const res = await createRegister(t, { code: "T01", name });
      expectError(res, 400, "VALIDATION_ERROR");
      expect(res.json.fields.map((f: { path: string }) => f.path)).toEqual(["name"]);
    }
    expectError(await api("POST", `/api/v1/stores/${t.storeId}/devices`, { token: t.adminToken, body: { kind: "bridge", name: "B\u0007" } }), 400, "VALIDATION_ERROR");
  });

  it("lets only one of two simultaneous pairings with one code win", async () => {
    const t = await createTenant();
    const { pairing } = (await createRegister(t, { code: "T01", name: "Till 1" })).json.data;
    const answers = await Promise.all([pair(pairing.code), pair(pairing.code), pair(pairing.code)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401]);
  });

  it("refuses an expired code, a wrong code, and counts wrong codes against the address", async () => {
    const t = await createTenant();
    const { pairing } = (await createRegister(t, { code: "T01", name: "Till 1" })).json.data;
    await env.DB.prepare("UPDATE devices SET pairing_expires_at = ? WHERE id = ?").bind(Date.now() - 1, pairing.deviceId).run();
    expectError(await pair(pairing.code), 401, "INVALID_PAIRING_CODE");
    const listed = await api("GET", `/api/v1/stores/${t.storeId}/devices`, { token: t.adminToken });
    expect(listed.json.data.find((d: { id: string }) => d.id === pairing.deviceId).status).toBe("expired");

    const ip = randomIp();
    for (let i = 0; i < 20; i++) expectError(await pair(`ZZZZ-${String(i).padStart(4, "0")}`, ip), 401, "INVALID_PAIRING_CODE");
    const fresh = (await createRegister(t, { code: "T02", name: "Till 2" })).json.data.pairing.code;
    const blocked = await pair(fresh, ip);
    expectError(blocked, 429, "TOO_MANY_ATTEMPTS");
    expect(retryAfter(blocked)).toBeGreaterThan(800);
    expect((await pair(fresh)).status).toBe(200);
  });

  it("re-pairs a till: the old credential and its sessions stop at once, the new code pairs a new device", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const cashier = await staffWithPin(t, ["pos.sell", "products.create"]);
    const signedIn = await tillPinLogin(till.credential, cashier.pin);
    expect(signedIn.status).toBe(200);
    expect((await write(signedIn.json.data.accessToken)).status).toBe(201);

    const repaired = await api("POST", `/api/v1/stores/${t.storeId}/registers/${till.registerId}/pairing-code`, { token: t.adminToken });
    expect(repaired.status).toBe(201);
    expect(repaired.json.data.device).toMatchObject({ status: "pending" });
    expect(repaired.json.data.pairing.deviceId).not.toBe(till.deviceId);

    expectError(await tillPinLogin(till.credential, cashier.pin), 401, "INVALID_DEVICE");
    expectError(await write(signedIn.json.data.accessToken), 401, "SESSION_ENDED");
    expectError(await api("POST", "/api/v1/auth/refresh", { body: { refreshToken: signedIn.json.data.refreshToken } }), 401, "REFRESH_TOKEN_REVOKED");
    expectError(await api("GET", "/api/v1/devices/current", { headers: device(till.credential) }), 401, "INVALID_DEVICE");

    const next = await pair(repaired.json.data.pairing.code);
    expect(next.status).toBe(200);
    expect((await tillPinLogin(next.json.data.credential, cashier.pin)).status).toBe(200);
    const registers = await api("GET", `/api/v1/stores/${t.storeId}/registers`, { token: t.adminToken });
    expect(registers.json.data).toMatchObject([{ id: till.registerId, device: { id: repaired.json.data.pairing.deviceId, status: "active" } }]);
    const history = await api("GET", `/api/v1/stores/${t.storeId}/devices`, { token: t.adminToken });
    expect(history.json.data.map((d: { status: string }) => d.status)).toEqual(["active", "revoked"]);
  });

  it("revokes a device: its PIN sign-ins and its sessions' writes stop at once; revoking again is harmless", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const cashier = await staffWithPin(t, ["products.create", "products.view"]);
    const session = (await tillPinLogin(till.credential, cashier.pin)).json.data;
    const revoked = await api("POST", `/api/v1/devices/${till.deviceId}/revoke`, { token: t.adminToken });
    expect(revoked.status).toBe(200);
    expect(revoked.json.data).toMatchObject({ id: till.deviceId, status: "revoked" });
    expectError(await write(session.accessToken), 401, "SESSION_ENDED");
    // Reads may run to the end of the access token's short life.
    expect((await api("GET", "/api/v1/departments", { token: session.accessToken })).status).toBe(200);
    expectError(await tillPinLogin(till.credential, cashier.pin), 401, "INVALID_DEVICE");
    expect((await api("POST", `/api/v1/devices/${till.deviceId}/revoke`, { token: t.adminToken })).status).toBe(200);
    const audit = await env.DB.prepare("SELECT action FROM audit_log WHERE entity_id = ? ORDER BY at, rowid").bind(till.deviceId).all<{ action: string }>();
    expect(audit.results.map((r) => r.action)).toEqual(["device.create", "device.pair", "device.revoke"]);
  });

  it("deactivating a register revokes its till", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const off = await api("PUT", `/api/v1/stores/${t.storeId}/registers/${till.registerId}`, { token: t.adminToken, body: { version: 1, isActive: false } });
    expect(off.status).toBe(200);
    expect(off.json.data).toMatchObject({ isActive: false, version: 2, device: null });
    expectError(await tillPinLogin(till.credential, t.adminPin), 401, "INVALID_DEVICE");
    expectError(await api("POST", `/api/v1/stores/${t.storeId}/registers/${till.registerId}/pairing-code`, { token: t.adminToken }), 409, "REGISTER_INACTIVE");
  });

  it("enrols the store's bridge as a device of its own kind", async () => {
    const t = await createTenant();
    const created = await api("POST", `/api/v1/stores/${t.storeId}/devices`, { token: t.adminToken, body: { kind: "bridge", name: "Back room bridge" } });
    expect(created.status).toBe(201);
    expect(created.json.data).toMatchObject({ kind: "bridge", registerId: null, status: "pending" });
    const paired = await pair(created.json.data.pairing.code);
    expect(paired.json.data).toMatchObject({ device: { kind: "bridge" }, register: null });
    // A bridge is no till: nobody signs in at it (its sessions would be people's sessions on a box nobody stands at).
    expectError(await tillPinLogin(paired.json.data.credential, t.adminPin), 403, "DEVICE_KIND_CANNOT_SIGN_IN");
  });

  it("needs stores.edit in the register's store, and keeps other tenants' stores and devices out of reach", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const viewer = await userWith(t, ["stores.view", "stores.edit"]);
    // The viewer holds stores.edit in S001 but has no role in S002.
    expectError(await createRegister(t, { code: "T09", name: "Till" }, viewer.token, s2.id), 403, "MISSING_PERMISSION_IN_STORE");
    expect((await createRegister(t, { code: "T09", name: "Till" }, viewer.token)).status).toBe(201);
    expectError(await createRegister(t, { code: "T09", name: "Again" }), 409, "REGISTER_CODE_TAKEN");

    const other = await createTenant();
    const theirs = await enrolTill(other);
    expectError(await api("GET", `/api/v1/stores/${other.storeId}/registers`, { token: t.adminToken }), 404, "NOT_FOUND");
    expectError(await createRegister(t, { code: "T10", name: "Till" }, t.adminToken, other.storeId), 404, "NOT_FOUND");
    expectError(await api("POST", `/api/v1/devices/${theirs.deviceId}/revoke`, { token: t.adminToken }), 404, "NOT_FOUND");
    // A device of another tenant signs in nobody of this one.
    expectError(await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username: "admin", pin: t.adminPin }, headers: device(theirs.credential) }), 400, "DEVICE_MISMATCH");
    expectError(await tillPinLogin(theirs.credential, t.adminPin), 401, "INVALID_PIN");
  });
});

describe("PIN sign-in", () => {
  it("accepts a PIN only from an enrolled device of the store", async () => {
    const t = await createTenant();
    const cashier = await staffWithPin(t, ["pos.sell", "products.view"]);
    expectError(await api("POST", "/api/v1/auth/pin-login", { body: { tenant: t.slug, store: "S001", pin: cashier.pin } }), 401, "PIN_NEEDS_DEVICE");
    expectError(await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username: cashier.username, pin: cashier.pin } }), 401, "PIN_NEEDS_DEVICE");
    expectError(await tillPinLogin("dvc_not-a-real-credential-at-all-0000000000000000", cashier.pin), 401, "INVALID_DEVICE");

    const till = await enrolTill(t);
    const res = await tillPinLogin(till.credential, cashier.pin);
    expect(res.status).toBe(200);
    expect(res.json.data).toMatchObject({
      expiresIn: 300,
      user: { id: cashier.id, username: cashier.username },
      store: { id: t.storeId, code: "S001" },
      permissions: ["pos.sell", "products.view"],
    });
    const claims = decodeJwt(res.json.data.accessToken);
    expect(claims).toMatchObject({ sub: cashier.id, sid: t.storeId, dev: till.deviceId });
    const me = await api("GET", "/api/v1/auth/me", { token: res.json.data.accessToken });
    expect(me.json.data.deviceId).toBe(till.deviceId);
    // Username + PIN from the till works too; tenant and store come from the device.
    const named = await api("POST", "/api/v1/auth/login", { body: { username: cashier.username, pin: cashier.pin }, headers: device(till.credential) });
    expect(named.status).toBe(200);
    expect(named.json.data.store.id).toBe(t.storeId);
    // The till's store, not another: naming another store is a mismatch.
    expectError(await api("POST", "/api/v1/auth/pin-login", { body: { pin: cashier.pin, store: "S999" }, headers: device(till.credential) }), 400, "DEVICE_MISMATCH");
  });

  it("refreshes a till's session only from that till", async () => {
    const t = await createTenant();
    const [till, other] = [await enrolTill(t), await enrolTill(t)];
    const cashier = await staffWithPin(t, ["pos.sell"]);
    const session = (await tillPinLogin(till.credential, cashier.pin)).json.data;
    const refresh = (headers: Record<string, string>) => api("POST", "/api/v1/auth/refresh", { body: { refreshToken: session.refreshToken }, headers });
    // Copied off the till, the refresh token is no use: not bare, not from another till.
    expectError(await refresh({}), 401, "DEVICE_REQUIRED");
    expectError(await refresh(device(other.credential)), 401, "DEVICE_REQUIRED");
    const next = await refresh(device(till.credential));
    expect(next.status).toBe(200);
    expect(decodeJwt(next.json.data.accessToken).dev).toBe(till.deviceId);
  });

  it("resolves a PIN in the till's store only", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const inS1 = await staffWithPin(t, ["pos.sell"]);
    const tillS2 = await enrolTill(t, { storeId: s2.id });
    expectError(await tillPinLogin(tillS2.credential, inS1.pin), 401, "INVALID_PIN");
    // The admin works in both (they created S002) and signs in at either.
    expect((await tillPinLogin(tillS2.credential, t.adminPin)).json.data.store.id).toBe(s2.id);
  });

  it("refuses an inactive user's PIN with the answer a wrong PIN gets", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const u = await staffWithPin(t, ["pos.sell"]);
    const off = await api("PUT", `/api/v1/users/${u.id}`, { token: t.adminToken, body: { isActive: false } });
    expect(off.status).toBe(200);
    const inactive = await tillPinLogin(till.credential, u.pin);
    const wrong = await tillPinLogin(till.credential, "00000000");
    expectError(inactive, 401, "INVALID_PIN");
    expect({ ...inactive.json, requestId: undefined }).toEqual({ ...wrong.json, requestId: undefined });
  });

  it("refuses a till of an inactive store", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const till = await enrolTill(t, { storeId: s2.id });
    expect((await api("PUT", `/api/v1/stores/${s2.id}`, { token: t.adminToken, body: { isActive: false } })).status).toBe(200);
    expectError(await tillPinLogin(till.credential, t.adminPin), 403, "STORE_INACTIVE");
  });
});

describe("nobody outside can lock a store's tills", () => {
  it("80 wrong PINs from 80 addresses do not stop the enrolled till's cashier", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const cashier = await staffWithPin(t, ["pos.sell"]);
    // From outside, without a device: nothing is verified and nothing is counted against the store.
    const outside = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        api("POST", "/api/v1/auth/pin-login", { body: { tenant: t.slug, store: "S001", pin: String(1000 + i) }, ip: randomIp() }),
      ),
    );
    for (const res of outside) expectError(res, 401, "PIN_NEEDS_DEVICE");
    // With made-up device credentials: 401, counted against the addresses, not the store.
    const guessIp = randomIp();
    await env.DB.prepare("DELETE FROM auth_throttle WHERE key = 'audit:auth.device_invalid:-'").run(); // the audit's flood cap is per minute
    for (let i = 0; i < 20; i++) expectError(await tillPinLogin(`dvc_guess${i}${"x".repeat(40)}`, String(2000 + i), { ip: guessIp }), 401, "INVALID_DEVICE");
    // those count against the address they came from, and are in the audit log
    expectError(await tillPinLogin("dvc_one-more-guess-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "2999", { ip: guessIp }), 429, "TOO_MANY_ATTEMPTS");
    const audited = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE ip = ? AND action = 'auth.device_invalid'").bind(guessIp).first<{ n: number }>();
    expect(audited!.n).toBe(20);
    const res = await tillPinLogin(till.credential, cashier.pin);
    expect(res.status).toBe(200);
    expect(res.json.data.user.id).toBe(cashier.id);
    expect((await tillPinLogin(till.credential, t.adminPin)).json.data.user.id).toBe(t.adminId);
  });

  it("a burst of wrong passwords locks password sign-in, not the user's tills", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const cashier = await staffWithPin(t, ["pos.sell"]);
    for (let i = 0; i < 8; i++) await passwordLogin(t, cashier.username, "wrong password!");
    expectError(await passwordLogin(t, cashier.username, cashier.password), 429, "ACCOUNT_LOCKED");
    expect((await tillPinLogin(till.credential, cashier.pin)).status).toBe(200);
    expect((await api("POST", "/api/v1/auth/login", { body: { username: cashier.username, pin: cashier.pin }, headers: device(till.credential) })).status).toBe(200);
  });

  it("limits wrong PINs per till: the 31st is refused at that till only, and a success gives its attempt back", async () => {
    const t = await createTenant();
    const [tillA, tillB] = [await enrolTill(t), await enrolTill(t)];
    expect((await tillPinLogin(tillA.credential, t.adminPin)).status).toBe(200); // spends nothing
    // In parallel: every attempt counts before it is verified, so no more than 30 are verified.
    const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => tillPinLogin(tillA.credential, String(10_000_000 + i))));
    expect(burst.filter((r) => r.status === 401).length).toBe(30);
    expect(burst.filter((r) => r.status === 429).length).toBe(10);
    for (const r of burst.filter((r) => r.status === 429)) expect(r.json.code).toBe("TOO_MANY_ATTEMPTS");
    const blocked = await tillPinLogin(tillA.credential, t.adminPin);
    expectError(blocked, 429, "TOO_MANY_ATTEMPTS");
    expect(retryAfter(blocked)).toBeGreaterThan(800);
    expect((await tillPinLogin(tillB.credential, t.adminPin)).status).toBe(200);
    // The admin still signs in with a password anywhere.
    expect((await passwordLogin(t, "admin", ADMIN_PASSWORD)).status).toBe(200);
  });

  it("limits wrong PINs per user at a till (username + PIN): five, then that user waits, others do not", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const cashier = await staffWithPin(t, ["pos.sell"]);
    const named = (pin: string) => api("POST", "/api/v1/auth/login", { body: { username: cashier.username, pin }, headers: device(till.credential) });
    for (let i = 0; i < 4; i++) expectError(await named("00000000"), 401, "INVALID_CREDENTIALS");
    const fifth = await named("00000000");
    expectError(fifth, 429, "ACCOUNT_LOCKED");
    expectError(await named(cashier.pin), 429, "ACCOUNT_LOCKED");
    // the same user by PIN alone, the admin by name, and the user's password elsewhere are unaffected
    expect((await tillPinLogin(till.credential, cashier.pin)).status).toBe(200);
    expect((await api("POST", "/api/v1/auth/login", { body: { username: "admin", pin: t.adminPin }, headers: device(till.credential) })).status).toBe(200);
    expect((await passwordLogin(t, cashier.username, cashier.password)).status).toBe(200);
  });
});
