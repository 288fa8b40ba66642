import { and, eq, getTableColumns, isNull, sql, type SQL } from "drizzle-orm";
import type { z } from "zod";
import type { LoginBody, PinLoginBody } from "../../schema/contracts/auth";
import { devices, refreshTokens, roles, sessions, storePins, stores, tenants, users, userStoreRoles } from "../../schema/db";
import { pinLookup, sha256Hex, verifySecret } from "../auth/credentials";
import { commit, expectOneChange, isGuardFailure, type Statement } from "../db/batch";
import type { Db } from "../db/client";
import { invalid, forbidden, unauthenticated } from "./errors";
import {
  accountLocked, ADDRESS_POLICY, addressKey, clearAttempts, clearPasswordAttempts, counterOf, countAttempt, countAttemptsFrom, countPasswordAttempt,
  DEVICE_POLICY, DEVICE_USER_POLICY, deviceKey, deviceUserKey, lockIfAtLimit, MAX_PASSWORD_ATTEMPTS, refundAttempt, refuseOverLimit,
} from "./attempts";
import type { RequestInfo, ServiceContext } from "./context";
import { deviceLookup } from "./devices";
import { recordAudit, type AuditEntry } from "./journal";
import { unionPermissions } from "./roles";
import { limitedAudit } from "./security-audit";
import { endSession, issueSession } from "./sessions";
import { storeDto } from "./stores";
import { selectUserWithRoles, withRolesDto, type UserWithRoles } from "./users";

/**
 * Sign-in, refresh, sign-out, me. A password signs in anywhere; a PIN only from an enrolled device of the PIN's
 * store (X-Device-Credential), so nobody outside a shop can guess PINs or lock its tills. Every attempt is counted
 * before it is verified (attempts.ts).
 */
export interface AuthEnv {
  JWT_PRIVATE_KEY: string;
  JWT_ISSUER?: string;
  PIN_LOOKUP_KEY: string;
}

type UserRow = typeof users.$inferSelect;
type StoreRow = typeof stores.$inferSelect;
type DeviceRow = typeof devices.$inferSelect;

const invalidCredentials = () => unauthenticated("INVALID_CREDENTIALS", "Wrong username, PIN or password");
const invalidDevice = () => unauthenticated("INVALID_DEVICE", "The device credential is not valid: the device is unknown, not paired yet or revoked");
const pinNeedsDevice = () =>
  unauthenticated("PIN_NEEDS_DEVICE", "A PIN is accepted only from an enrolled till of its store (X-Device-Credential); sign in with your password here");

/** The user's store roles with each store, for choosing the store to sign into. */
const accessRows = (db: Db, userMatch: SQL) =>
  db
    .select({ id: stores.id, code: stores.code, name: stores.name, isActive: stores.isActive, permissions: roles.permissions })
    .from(userStoreRoles)
    .innerJoin(users, eq(users.id, userStoreRoles.userId))
    .innerJoin(stores, eq(stores.id, userStoreRoles.storeId))
    .innerJoin(roles, eq(roles.id, userStoreRoles.roleId))
    .where(and(userMatch, isNull(stores.deletedAt), isNull(roles.deletedAt)));

type AccessRow = { id: string; code: string; name: string; isActive: boolean; permissions: string[] };

/** The store to sign into: the one named (code or id), the device's, or the user's first active one. */
function chooseStore(rows: AccessRow[], wanted: string | undefined) {
  const byStore = new Map<string, { store: AccessRow; permissions: string[][] }>();
  for (const row of rows) {
    const entry = byStore.get(row.id) ?? { store: row, permissions: [] };
    entry.permissions.push(row.permissions);
    byStore.set(row.id, entry);
  }
  const candidates = [...byStore.values()].sort((a, b) => a.store.code.localeCompare(b.store.code));
  const chosen = wanted ? candidates.find((c) => c.store.id === wanted || c.store.code === wanted) : candidates.find((c) => c.store.isActive);
  if (!chosen) throw forbidden(wanted ? `You have no role in store ${wanted}` : "You have no role in any active store", "NO_STORE_ACCESS");
  if (!chosen.store.isActive) throw forbidden(`Store ${chosen.store.code} is inactive`, "STORE_INACTIVE");
  return { store: chosen.store, permissions: unionPermissions(chosen.permissions) };
}

/**
 * The device of a sign-in, found by its credential in the sign-in's first batch. Attempts count against the
 * device when it is valid and against the client address when it is not (a bad credential from outside).
 */
async function deviceContext(db: Db, credential: string, request: RequestInfo) {
  const lookup = await deviceLookup(db, credential);
  const deviceId = sql`${devices.id}`;
  const fromDevice = sql`FROM ${devices} WHERE ${devices.credentialHash} = ${lookup.hash} AND ${devices.revokedAt} IS NULL AND ${devices.deletedAt} IS NULL`;
  return {
    lookup,
    /** The device's tenant, for matching users. */
    tenantId: sql`(SELECT ${devices.tenantId} ${fromDevice})`,
    storeId: sql`(SELECT ${devices.storeId} ${fromDevice})`,
    counters: [
      countAttemptsFrom(db, { key: sql`'dev:' || ${deviceId}`, from: fromDevice }, DEVICE_POLICY, request.now),
      countAttemptsFrom(db, { key: sql`${addressKey(request.ip)}`, from: sql`WHERE NOT EXISTS (SELECT 1 ${fromDevice})` }, ADDRESS_POLICY, request.now),
    ] as const,
    fromDevice,
  };
}

/** Checks on the device found by the first batch: valid, its store active, its counter within the limit. */
async function checkDevice(db: Db, found: { device?: DeviceRow; store?: StoreRow; counters: unknown[] }, request: RequestInfo) {
  const { device, store } = found;
  if (!device || !store) {
    refuseOverLimit(counterOf(found.counters[1], addressKey(request.ip)), ADDRESS_POLICY, request.now);
    await commit(db, failureAudit(db, request, { tenantId: null, action: "auth.device_invalid", detail: { reason: "unknown, unpaired or revoked device credential" } }));
    throw invalidDevice();
  }
  if (!store.isActive || store.deletedAt !== null) throw forbidden(`Store ${store.code} is inactive`, "STORE_INACTIVE");
  // The bridge drives printers and drawers on its own credential; a session started there would be a user's
  // session on a box nobody stands at (and one that the sync routes would have to tell from a till's).
  if (device.kind === "bridge") throw forbidden("People sign in at a till, not at the store's bridge", "DEVICE_KIND_CANNOT_SIGN_IN");
  const counter = counterOf(found.counters[0], deviceKey(device.id));
  refuseOverLimit(counter, DEVICE_POLICY, request.now, "TOO_MANY_ATTEMPTS", "Too many wrong PINs at this till; wait a few minutes");
  return { device, store, counter: counter! };
}

const failureAudit = (db: Db, request: RequestInfo, entry: Omit<AuditEntry, "actorType">) =>
  limitedAudit(db, { actorType: "anonymous", ...entry }, request);

const successAudit = (db: Db, request: RequestInfo, user: UserRow, detail: Record<string, unknown>) =>
  recordAudit(db, { tenantId: user.tenantId, actorType: "user", actorId: user.id, action: "auth.login", entity: "user", entityId: user.id, detail }, request);

const touchDevice = (db: Db, deviceId: string, now: number) => db.update(devices).set({ lastSeenAt: now }).where(eq(devices.id, deviceId));

/** Username and password (anywhere), or username and PIN (from an enrolled device). */
export async function login(db: Db, env: AuthEnv, request: RequestInfo, body: z.output<typeof LoginBody>, deviceCredential: string | undefined) {
  if (body.pin !== undefined && !deviceCredential) throw pinNeedsDevice();
  if (!deviceCredential && !body.tenant) throw invalid("VALIDATION_ERROR", "Invalid request: tenant is required", [{ path: "tenant", message: "is required (or sign in from an enrolled device)" }]);
  const device = deviceCredential ? await deviceContext(db, deviceCredential, request) : undefined;
  const tenantId = device ? device.tenantId : sql`(SELECT ${tenants.id} FROM ${tenants} WHERE ${tenants.slug} = ${body.tenant!} AND ${tenants.deletedAt} IS NULL)`;
  const userMatch = and(eq(users.tenantId, tenantId), eq(users.username, body.username), isNull(users.deletedAt))!;
  const byPassword = body.password !== undefined;
  const ipKey = addressKey(request.ip);

  const statements: Statement[] = [
    db.select({ id: tenants.id, slug: tenants.slug }).from(tenants).where(eq(tenants.id, tenantId)),
    db.select(getTableColumns(users)).from(users).where(userMatch),
    accessRows(db, userMatch),
  ];
  if (device) {
    statements.push(device.lookup.device, device.lookup.store, ...device.counters);
    if (!byPassword) {
      statements.push(countAttemptsFrom(db, {
        key: sql`'devuser:' || ${devices.id} || ':' || ${users.id}`,
        from: sql`FROM ${devices} JOIN ${users} ON ${users.tenantId} = ${devices.tenantId} WHERE ${devices.credentialHash} = ${device.lookup.hash} AND ${devices.revokedAt} IS NULL AND ${users.username} = ${body.username} AND ${users.deletedAt} IS NULL`,
      }, DEVICE_USER_POLICY, request.now));
    }
  } else {
    statements.push(countAttempt(db, ipKey, ADDRESS_POLICY, request.now));
  }
  if (byPassword) {
    // Gated on the address's counter, which the statement before has just counted: a flood refused by address
    // does not lock the user too.
    const withinAddress = device ? undefined : sql`(SELECT failures FROM auth_throttle WHERE key = ${ipKey}) <= ${ADDRESS_POLICY.limit}`;
    statements.push(countPasswordAttempt(db, userMatch, request.now, withinAddress));
  }
  const results = await db.batch(statements as [Statement, ...Statement[]]);
  const [tenantRows, userRows, access] = results as [{ id: string; slug: string }[], UserRow[], AccessRow[]];
  const tenant = tenantRows[0];
  const user = userRows[0];

  let found: Awaited<ReturnType<typeof checkDevice>> | undefined;
  const ipCounter = device ? undefined : counterOf(results[3], ipKey);
  if (device) {
    found = await checkDevice(db, { device: (results[3] as DeviceRow[])[0], store: (results[4] as StoreRow[])[0], counters: [results[5], results[6]] }, request);
    if (body.tenant && body.tenant !== tenant?.slug) throw invalid("DEVICE_MISMATCH", "This device belongs to another tenant");
  } else {
    refuseOverLimit(ipCounter, ADDRESS_POLICY, request.now, "TOO_MANY_ATTEMPTS", "Too many failed sign-ins from here; wait and try again");
  }
  const deviceUserCounter = device && !byPassword ? counterOf(results[7], user && found ? deviceUserKey(found.device.id, user.id) : "") : undefined;
  const passwordCount = byPassword ? (results.at(-1) as { failedAttempts: number; lockedUntil: number | null }[])[0] : undefined;

  if (passwordCount?.lockedUntil && passwordCount.lockedUntil > request.now) {
    await commit(db, failureAudit(db, request, { tenantId: tenant?.id ?? null, actorId: user?.id, action: "auth.login_locked", entity: "user", entityId: user?.id }));
    throw accountLocked(passwordCount.lockedUntil, request.now);
  }
  if (deviceUserCounter && deviceUserCounter.failures > DEVICE_USER_POLICY.limit) {
    throw accountLocked(deviceUserCounter.windowStart + DEVICE_USER_POLICY.windowMs, request.now);
  }

  const secretOk = await verifySecret((body.password ?? body.pin)!, byPassword ? user?.passwordHash : user?.pinHash);
  if (!user || !user.isActive || !secretOk) {
    const reason = !tenant ? "unknown_tenant" : !user ? "unknown_user" : !user.isActive ? "inactive" : byPassword ? "wrong_password" : "wrong_pin";
    await commit(db, [
      ...(user && byPassword ? [lockIfAtLimit(db, user.id, request.now)] : []),
      ...failureAudit(db, request, { tenantId: tenant?.id ?? null, actorId: user?.id, action: "auth.login_failed", entity: "user", entityId: user?.id, detail: { tenant: body.tenant ?? tenant?.slug, username: body.username, reason, ...(found ? { deviceId: found.device.id } : {}) } }),
    ]);
    if (user && passwordCount && passwordCount.failedAttempts >= MAX_PASSWORD_ATTEMPTS) throw accountLocked(request.now + 5 * 60_000, request.now);
    if (deviceUserCounter && deviceUserCounter.failures >= DEVICE_USER_POLICY.limit) throw accountLocked(deviceUserCounter.windowStart + DEVICE_USER_POLICY.windowMs, request.now);
    throw invalidCredentials();
  }

  const { store, permissions } = chooseStore(access, found ? found.store.id : body.store);
  if (found && body.store && body.store !== found.store.id && body.store !== found.store.code) {
    throw invalid("DEVICE_MISMATCH", `This device belongs to store ${found.store.code}`);
  }
  const session = await issueSession(db, env, request, { user, store, permissions, deviceId: found?.device.id ?? null, method: byPassword ? "password" : "pin" });
  await commit(db, [
    byPassword ? clearPasswordAttempts(db, user.id, request.now) : db.update(users).set({ lastLoginAt: request.now }).where(eq(users.id, user.id)),
    ...(found
      ? [refundAttempt(db, found.counter), touchDevice(db, found.device.id, request.now), ...(byPassword ? [] : [clearAttempts(db, deviceUserKey(found.device.id, user.id))])]
      : [refundAttempt(db, ipCounter!)]),
    ...session.statements,
    successAudit(db, request, user, { storeId: store.id, method: byPassword ? "password" : "pin", ...(found ? { deviceId: found.device.id } : {}) }),
  ]);
  return session.result;
}

/** A PIN alone, at an enrolled till: the till's store decides whose PIN it is (PINs are unique per store). */
export async function pinLogin(db: Db, env: AuthEnv, request: RequestInfo, body: z.output<typeof PinLoginBody>, deviceCredential: string | undefined) {
  if (!deviceCredential) throw pinNeedsDevice();
  const device = await deviceContext(db, deviceCredential, request);
  const lookup = await pinLookup(body.pin, env.PIN_LOOKUP_KEY);
  const pinMatch = and(eq(storePins.storeId, device.storeId), eq(storePins.pinLookup, lookup));
  const [tenantRows, deviceRows, storeRows, devCounter, ipCounter, userRows, permissionRows] = await db.batch([
    db.select({ id: tenants.id, slug: tenants.slug }).from(tenants).where(eq(tenants.id, device.tenantId)),
    device.lookup.device,
    device.lookup.store,
    ...device.counters,
    db.select(getTableColumns(users)).from(storePins).innerJoin(users, eq(users.id, storePins.userId)).where(and(pinMatch, isNull(users.deletedAt))),
    db
      .select({ permissions: roles.permissions })
      .from(storePins)
      .innerJoin(userStoreRoles, and(eq(userStoreRoles.userId, storePins.userId), eq(userStoreRoles.storeId, storePins.storeId)))
      .innerJoin(roles, eq(roles.id, userStoreRoles.roleId))
      .where(and(pinMatch, isNull(roles.deletedAt))),
  ]);
  const found = await checkDevice(db, { device: (deviceRows as DeviceRow[])[0], store: (storeRows as StoreRow[])[0], counters: [devCounter, ipCounter] }, request);
  const tenant = (tenantRows as { id: string; slug: string }[])[0]!;
  if ((body.tenant && body.tenant !== tenant.slug) || (body.store && body.store !== found.store.id && body.store !== found.store.code)) {
    throw invalid("DEVICE_MISMATCH", `This device belongs to store ${found.store.code} of tenant ${tenant.slug}`);
  }
  const user = (userRows as UserRow[])[0];
  const secretOk = await verifySecret(body.pin, user?.pinHash);
  if (!user || !user.isActive || !secretOk) {
    await commit(db, failureAudit(db, request, { tenantId: tenant.id, actorId: user?.id, action: "auth.pin_login_failed", detail: { deviceId: found.device.id, storeId: found.store.id, reason: !user ? "unknown_pin" : "inactive" } }));
    throw unauthenticated("INVALID_PIN", "No active user of this store has that PIN");
  }
  // A role row is access, even one whose permission set is empty (token-only routes still work).
  if ((permissionRows as unknown[]).length === 0) throw forbidden(`You have no role in store ${found.store.code}`, "NO_STORE_ACCESS");
  const permissions = unionPermissions((permissionRows as { permissions: string[] }[]).map((r) => r.permissions));
  const session = await issueSession(db, env, request, { user, store: found.store, permissions, deviceId: found.device.id, method: "pin" });
  await commit(db, [
    db.update(users).set({ lastLoginAt: request.now }).where(eq(users.id, user.id)),
    refundAttempt(db, found.counter),
    touchDevice(db, found.device.id, request.now),
    ...session.statements,
    successAudit(db, request, user, { storeId: found.store.id, method: "store_pin", deviceId: found.device.id }),
  ]);
  return session.result;
}

/**
 * Rotate a refresh token: the old one is spent, a new one of the same session is issued. Presenting a spent
 * token again means it was copied: the whole session ends and every holder must sign in again.
 */
export async function refresh(db: Db, env: AuthEnv, request: RequestInfo, refreshToken: string, deviceCredential: string | undefined) {
  const tokenHash = await sha256Hex(refreshToken);
  // One table's columns per statement: in a D1 batch, drizzle maps rows by column name, so a join selecting
  // two tables' same-named columns (id, tenant_id) would shift values between fields.
  const byHash = eq(refreshTokens.tokenHash, tokenHash);
  const [tokenRows, sessionRows, deviceRows, userRows, storeRows, permissionRows] = await db.batch([
    db.select().from(refreshTokens).where(byHash),
    db.select(getTableColumns(sessions)).from(refreshTokens).innerJoin(sessions, eq(sessions.id, refreshTokens.familyId)).where(byHash),
    db.select({ revokedAt: devices.revokedAt, credentialHash: devices.credentialHash }).from(refreshTokens).innerJoin(sessions, eq(sessions.id, refreshTokens.familyId)).innerJoin(devices, eq(devices.id, sessions.deviceId)).where(byHash),
    db.select(getTableColumns(users)).from(refreshTokens).innerJoin(users, eq(users.id, refreshTokens.userId)).where(byHash),
    db.select(getTableColumns(stores)).from(refreshTokens).innerJoin(stores, eq(stores.id, refreshTokens.storeId)).where(byHash),
    db
      .select({ permissions: roles.permissions })
      .from(refreshTokens)
      .innerJoin(userStoreRoles, and(eq(userStoreRoles.userId, refreshTokens.userId), eq(userStoreRoles.storeId, refreshTokens.storeId)))
      .innerJoin(roles, eq(roles.id, userStoreRoles.roleId))
      .where(and(byHash, isNull(roles.deletedAt))),
  ]);
  const [token, session, user, store] = [tokenRows[0], sessionRows[0], userRows[0], storeRows[0]];
  if (!token || !session || !user || !store) throw unauthenticated("INVALID_REFRESH_TOKEN", "The refresh token is not valid");
  const endWith = (action: string, reason: string) =>
    commit(db, [
      ...endSession(db, session.id, request.now, reason),
      recordAudit(db, { tenantId: token.tenantId, actorType: "anonymous", actorId: user.id, action, entity: "user", entityId: user.id, detail: { sessionId: session.id, reason } }, request),
    ]);

  if (token.revokedAt !== null || session.revokedAt !== null) throw unauthenticated("REFRESH_TOKEN_REVOKED", "This session has ended; sign in again");
  if (token.rotatedAt !== null) {
    await endWith("auth.refresh_reuse", "spent token presented again");
    throw unauthenticated("REFRESH_TOKEN_REUSED", "This refresh token was already used; for safety every session of this sign-in has ended");
  }
  if (token.expiresAt <= request.now) throw unauthenticated("REFRESH_TOKEN_EXPIRED", "The session has expired; sign in again");
  const deviceRow = deviceRows[0];
  const deviceRevoked = session.deviceId !== null && (!deviceRow || deviceRow.revokedAt !== null);
  if (!user.isActive || user.deletedAt !== null || !store.isActive || store.deletedAt !== null || deviceRevoked) {
    await endWith("auth.session_ended", deviceRevoked ? "device revoked" : !user.isActive || user.deletedAt !== null ? "user inactive" : "store inactive");
    throw unauthenticated("SESSION_ENDED", "The user, store or device is no longer active; sign in again");
  }
  // A session started at a till is refreshed only by that till: a refresh token copied off it is no use elsewhere.
  if (deviceRow && (!deviceCredential || (await sha256Hex(deviceCredential)) !== deviceRow.credentialHash)) {
    throw unauthenticated("DEVICE_REQUIRED", "This session belongs to an enrolled till: refresh it from that till, with its X-Device-Credential");
  }
  if (permissionRows.length === 0) {
    await endWith("auth.session_ended", "no role in store");
    throw forbidden(`You no longer have a role in store ${store.code}`, "NO_STORE_ACCESS");
  }
  const permissions = unionPermissions(permissionRows.map((r) => r.permissions));
  const next = await issueSession(db, env, request, { user, store, permissions, deviceId: session.deviceId, method: session.method, sessionId: session.id });
  try {
    await commit(db, [
      db.update(refreshTokens).set({ rotatedAt: request.now }).where(and(eq(refreshTokens.id, token.id), isNull(refreshTokens.rotatedAt), isNull(refreshTokens.revokedAt))),
      expectOneChange(db),
      ...next.statements,
    ]);
  } catch (error) {
    // Any other failure (D1 unavailable) is not evidence of theft: it must not sign the session out.
    if (!isGuardFailure(error)) throw error;
    // Another request rotated this token between our read and write: the same token was used twice.
    await endWith("auth.refresh_reuse", "concurrent use");
    throw unauthenticated("REFRESH_TOKEN_REUSED", "This refresh token was already used; for safety every session of this sign-in has ended");
  }
  return next.result;
}

/** The token's store still exists and is active (refresh ends the session otherwise; me agrees). */
export const liveStore = (store: StoreRow | undefined): store is StoreRow => store !== undefined && store.isActive && store.deletedAt === null;

export function permissionsQuery(db: Db, tenantId: string, userId: string, storeId: string) {
  return db
    .select({ permissions: roles.permissions })
    .from(userStoreRoles)
    .innerJoin(roles, eq(roles.id, userStoreRoles.roleId))
    .where(and(eq(userStoreRoles.tenantId, tenantId), eq(userStoreRoles.userId, userId), eq(userStoreRoles.storeId, storeId), isNull(roles.deletedAt)));
}

/** The signed-in user, their tenant and current store, and their permissions there, read fresh. */
export async function me(ctx: ServiceContext) {
  const { scope, actor } = ctx;
  const db = scope.db;
  const [userRows, tenantRows, storeRows, permissionRows, sessionRows] = await db.batch([
    selectUserWithRoles(scope).where(scope.where(users, eq(users.id, actor.userId), isNull(users.deletedAt))),
    db.select({ id: tenants.id, slug: tenants.slug, name: tenants.name }).from(tenants).where(eq(tenants.id, actor.tenantId)),
    scope.select(stores, eq(stores.id, actor.storeId)),
    permissionsQuery(db, actor.tenantId, actor.userId, actor.storeId),
    scope.select(sessions, eq(sessions.id, actor.sessionId), isNull(sessions.revokedAt)),
  ]);
  const user = userRows[0] as UserWithRoles | undefined;
  const store = storeRows[0] as StoreRow | undefined;
  if (!user || !user.isActive || !tenantRows[0] || !liveStore(store) || !sessionRows[0]) {
    throw unauthenticated("SESSION_ENDED", "This session has ended, or the user or store is no longer active; sign in again");
  }
  const s = storeDto(store);
  return {
    user: withRolesDto(user),
    tenant: tenantRows[0],
    store: { id: s.id, code: s.code, name: s.name, currency: s.currency, timeZone: s.timeZone },
    permissions: unionPermissions(permissionRows.map((r) => r.permissions)),
    deviceId: actor.deviceId,
  };
}

/** Sign out: the refresh token's session ends (its access tokens stop writing at once). Idempotent. */
export async function logout(db: Db, request: RequestInfo, refreshToken: string) {
  const tokenHash = await sha256Hex(refreshToken);
  const [token] = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash));
  if (token) {
    await commit(db, [
      ...endSession(db, token.familyId, request.now, "signed out"),
      recordAudit(db, { tenantId: token.tenantId, actorType: "user", actorId: token.userId, action: "auth.logout", entity: "user", entityId: token.userId }, request),
    ]);
  }
  return { signedOut: true };
}

