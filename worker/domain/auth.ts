import { and, eq, getTableColumns, isNull, or } from "drizzle-orm";
import type { z } from "zod";
import type { ChangeCredentialBody, LoginBody, PinLoginBody } from "../../schema/contracts/identity";
import { refreshTokens, roles, storePins, stores, tenants, users, userStoreRoles } from "../../schema/db";
import type { Permission } from "../../schema/permissions";
import { hashSecret, pinLookup, sha256Hex, verifySecret } from "../auth/credentials";
import { commit, expectOneChange, isGuardFailure, type Statement } from "../db/batch";
import type { Db } from "../db/client";
import { forbidden, tooManyRequests, unauthenticated } from "../http/errors";
import type { RequestInfo, ServiceContext } from "./context";
import { recordAudit, recordChange, type AuditEntry } from "./journal";
import {
  addressKey, countFailure, countUserFailure, enforceThrottle, FAILURES_PER_ADDRESS, FAILURES_PER_STORE_PIN, lockAfterFailure, readThrottle, storePinKey, storePinKeySql,
} from "./login-throttle";
import { unionPermissions } from "./roles";
import { storeDto } from "./stores";
import { endSession, endUserSessions, issueSession } from "./sessions";
import { pinInUse, replaceStoreAccess, selectUserWithRoles, userDto, withRolesDto, type UserWithRoles } from "./users";
import { commitWrite } from "./versioning";


export interface AuthEnv {
  JWT_PRIVATE_KEY: string;
  JWT_ISSUER?: string;
  PIN_LOOKUP_KEY: string;
}

type UserRow = typeof users.$inferSelect;
interface StoreRef { id: string; code: string; name: string }

const invalidCredentials = () => unauthenticated("INVALID_CREDENTIALS", "Wrong username, PIN or password");
const accountLocked = (until: number, now: number) =>
  tooManyRequests("ACCOUNT_LOCKED", "Too many wrong attempts: this user is locked for a few minutes", (until - now) / 1000);

const signedIn = (db: Db, user: UserRow, now: number) =>
  db.update(users).set({ failedAttempts: 0, lockedUntil: null, lastLoginAt: now }).where(eq(users.id, user.id));

const audit = (db: Db, request: RequestInfo, entry: AuditEntry) => recordAudit(db, entry, request);

/** Login with username and PIN or password. */
export async function login(db: Db, env: AuthEnv, request: RequestInfo, body: z.output<typeof LoginBody>) {
  const tenantMatch = eq(tenants.slug, body.tenant);
  const userMatch = and(tenantMatch, eq(users.username, body.username), isNull(users.deletedAt));
  const [tenantRows, userRows, accessRows, throttleRows] = await db.batch([
    db.select({ id: tenants.id }).from(tenants).where(and(tenantMatch, isNull(tenants.deletedAt))),
    db.select(getTableColumns(users)).from(users).innerJoin(tenants, eq(tenants.id, users.tenantId)).where(userMatch),
    db
      .select({ id: stores.id, code: stores.code, name: stores.name, isActive: stores.isActive, permissions: roles.permissions })
      .from(userStoreRoles)
      .innerJoin(users, eq(users.id, userStoreRoles.userId))
      .innerJoin(tenants, eq(tenants.id, users.tenantId))
      .innerJoin(stores, eq(stores.id, userStoreRoles.storeId))
      .innerJoin(roles, eq(roles.id, userStoreRoles.roleId))
      .where(and(userMatch, isNull(stores.deletedAt), isNull(roles.deletedAt))),
    readThrottle(db, [addressKey(request.ip)]),
  ]);
  enforceThrottle(throttleRows, { [addressKey(request.ip)]: FAILURES_PER_ADDRESS }, request.now);

  const tenantId = tenantRows[0]?.id ?? null;
  const user = userRows[0];
  const failure = (reason: string, extra: Statement[] = []) =>
    commit(db, [
      ...extra, // first: a wrong secret's countUserFailure result is read as the batch's first
      countFailure(db, addressKey(request.ip), request.now),
      audit(db, request, { tenantId, actorType: "anonymous", actorId: user?.id, action: "auth.login_failed", entity: "user", entityId: user?.id, detail: { tenant: body.tenant, username: body.username, reason } }),
    ]);

  if (user?.lockedUntil && user.lockedUntil > request.now) {
    await commit(db, [audit(db, request, { tenantId, actorType: "anonymous", actorId: user.id, action: "auth.login_locked", entity: "user", entityId: user.id })]);
    throw accountLocked(user.lockedUntil, request.now);
  }
  const stored = body.pin !== undefined ? user?.pinHash : user?.passwordHash;
  const secretOk = await verifySecret((body.pin ?? body.password)!, stored);
  if (!user || !user.isActive || !secretOk) {
    if (!user || !user.isActive) {
      await failure(!tenantId ? "unknown_tenant" : !user ? "unknown_user" : "inactive");
      throw invalidCredentials();
    }
    const [counted] = await failure(body.pin !== undefined ? "wrong_pin" : "wrong_password", [countUserFailure(db, user.id, request.now)]);
    const lockedUntil = lockAfterFailure(counted as { lockedUntil: number | null }[], request.now);
    if (lockedUntil !== null) throw accountLocked(lockedUntil, request.now);
    throw invalidCredentials();
  }

  const byStore = new Map<string, { store: StoreRef & { isActive: boolean }; permissions: string[][] }>();
  for (const row of accessRows) {
    const entry = byStore.get(row.id) ?? { store: row, permissions: [] };
    entry.permissions.push(row.permissions);
    byStore.set(row.id, entry);
  }
  const candidates = [...byStore.values()].sort((a, b) => a.store.code.localeCompare(b.store.code));
  const chosen = body.store
    ? candidates.find((c) => c.store.id === body.store || c.store.code === body.store)
    : candidates.find((c) => c.store.isActive);
  if (!chosen) {
    throw forbidden(body.store ? `You have no role in store ${body.store}` : "You have no role in any active store", "NO_STORE_ACCESS");
  }
  if (!chosen.store.isActive) throw forbidden(`Store ${chosen.store.code} is inactive`, "STORE_INACTIVE");

  const session = await issueSession(db, env, request, { user, store: chosen.store, permissions: unionPermissions(chosen.permissions), deviceId: null, method: body.pin !== undefined ? "pin" : "password" });
  await commit(db, [
    signedIn(db, user, request.now),
    ...session.statements,
    audit(db, request, { tenantId, actorType: "user", actorId: user.id, action: "auth.login", entity: "user", entityId: user.id, detail: { storeId: chosen.store.id, method: body.pin !== undefined ? "pin" : "password" } }),
  ]);
  return session.result;
}

/** Login with a PIN alone, within a store (the till's quick switch of cashier). */
export async function pinLogin(db: Db, env: AuthEnv, request: RequestInfo, body: z.output<typeof PinLoginBody>) {
  const lookup = await pinLookup(body.pin, env.PIN_LOOKUP_KEY);
  const storeMatch = and(eq(tenants.slug, body.tenant), or(eq(stores.code, body.store), eq(stores.id, body.store)), isNull(stores.deletedAt));
  const pinMatch = and(storeMatch, eq(storePins.pinLookup, lookup));
  // The store's throttle key is its id, read in the same query that finds the store, so naming it by code or by
  // id spends one budget.
  const storeKey = db.select({ key: storePinKeySql(stores.id) }).from(stores).innerJoin(tenants, eq(tenants.id, stores.tenantId)).where(storeMatch);
  const [tenantRows, storeRows, userRows, permissionRows, throttleRows] = await db.batch([
    db.select({ id: tenants.id }).from(tenants).where(and(eq(tenants.slug, body.tenant), isNull(tenants.deletedAt))),
    db.select({ id: stores.id, code: stores.code, name: stores.name, isActive: stores.isActive }).from(stores).innerJoin(tenants, eq(tenants.id, stores.tenantId)).where(storeMatch),
    db
      .select(getTableColumns(users))
      .from(storePins)
      .innerJoin(users, eq(users.id, storePins.userId))
      .innerJoin(stores, eq(stores.id, storePins.storeId))
      .innerJoin(tenants, eq(tenants.id, stores.tenantId))
      .where(and(pinMatch, isNull(users.deletedAt))),
    db
      .select({ permissions: roles.permissions })
      .from(storePins)
      .innerJoin(userStoreRoles, and(eq(userStoreRoles.userId, storePins.userId), eq(userStoreRoles.storeId, storePins.storeId)))
      .innerJoin(roles, eq(roles.id, userStoreRoles.roleId))
      .innerJoin(stores, eq(stores.id, storePins.storeId))
      .innerJoin(tenants, eq(tenants.id, stores.tenantId))
      .where(and(pinMatch, isNull(roles.deletedAt))),
    readThrottle(db, [addressKey(request.ip)], storeKey),
  ]);
  const tenantId = tenantRows[0]?.id ?? null;
  const store = storeRows[0];
  const user = userRows[0];
  const keys = { [addressKey(request.ip)]: FAILURES_PER_ADDRESS, ...(store ? { [storePinKey(store.id)]: FAILURES_PER_STORE_PIN } : {}) };
  enforceThrottle(throttleRows, keys, request.now);

  if (user?.lockedUntil && user.lockedUntil > request.now) {
    await commit(db, [audit(db, request, { tenantId, actorType: "anonymous", actorId: user.id, action: "auth.login_locked", entity: "user", entityId: user.id })]);
    throw accountLocked(user.lockedUntil, request.now);
  }
  const secretOk = await verifySecret(body.pin, user?.pinHash);
  if (!store || !user || !user.isActive || !secretOk) {
    await commit(db, [
      ...(user && !secretOk ? [countUserFailure(db, user.id, request.now)] : []),
      ...Object.keys(keys).map((key) => countFailure(db, key, request.now)),
      audit(db, request, { tenantId, actorType: "anonymous", actorId: user?.id, action: "auth.pin_login_failed", detail: { tenant: body.tenant, store: body.store, reason: !store ? "unknown_store" : !user ? "unknown_pin" : "inactive" } }),
    ]);
    throw unauthenticated("INVALID_PIN", "No active user of this store has that PIN");
  }
  if (!store.isActive) throw forbidden(`Store ${store.code} is inactive`, "STORE_INACTIVE");
  // A role row is access, even one whose permission set is empty (token-only routes still work).
  if (permissionRows.length === 0) throw forbidden(`You have no role in store ${store.code}`, "NO_STORE_ACCESS");
  const permissions = unionPermissions(permissionRows.map((r) => r.permissions));

  const session = await issueSession(db, env, request, { user, store, permissions, deviceId: null, method: "pin" });
  await commit(db, [
    signedIn(db, user, request.now),
    ...session.statements,
    audit(db, request, { tenantId, actorType: "user", actorId: user.id, action: "auth.login", entity: "user", entityId: user.id, detail: { storeId: store.id, method: "store_pin" } }),
  ]);
  return session.result;
}

/**
 * Rotate a refresh token: the old one is spent, a new one of the same family is issued. Presenting a spent
 * token again means it was copied: the whole family is revoked and every holder must sign in again.
 */
export async function refresh(db: Db, env: AuthEnv, request: RequestInfo, refreshToken: string) {
  const tokenHash = await sha256Hex(refreshToken);
  // One table's columns per statement: in a D1 batch, drizzle maps rows by column name, so a join selecting
  // two tables' same-named columns (id, tenant_id) would shift values between fields.
  const byHash = eq(refreshTokens.tokenHash, tokenHash);
  const [tokenRows, userRows, storeRows, permissionRows] = await db.batch([
    db.select().from(refreshTokens).where(byHash),
    db.select(getTableColumns(users)).from(refreshTokens).innerJoin(users, eq(users.id, refreshTokens.userId)).where(byHash),
    db
      .select({ id: stores.id, code: stores.code, name: stores.name, isActive: stores.isActive, deletedAt: stores.deletedAt })
      .from(refreshTokens)
      .innerJoin(stores, eq(stores.id, refreshTokens.storeId))
      .where(byHash),
    db
      .select({ permissions: roles.permissions })
      .from(refreshTokens)
      .innerJoin(userStoreRoles, and(eq(userStoreRoles.userId, refreshTokens.userId), eq(userStoreRoles.storeId, refreshTokens.storeId)))
      .innerJoin(roles, eq(roles.id, userStoreRoles.roleId))
      .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(roles.deletedAt))),
  ]);
  const [token, user, store] = [tokenRows[0], userRows[0], storeRows[0]];
  if (!token || !user || !store) throw unauthenticated("INVALID_REFRESH_TOKEN", "The refresh token is not valid");
  const revokeFamily = (action: string, reason: string) =>
    commit(db, [
      ...endSession(db, token.familyId, request.now, reason),
      audit(db, request, { tenantId: token.tenantId, actorType: "anonymous", actorId: user.id, action, entity: "user", entityId: user.id, detail: { familyId: token.familyId, reason } }),
    ]);

  if (token.revokedAt !== null) throw unauthenticated("REFRESH_TOKEN_REVOKED", "This session has ended; sign in again");
  if (token.rotatedAt !== null) {
    await revokeFamily("auth.refresh_reuse", "spent token presented again");
    throw unauthenticated("REFRESH_TOKEN_REUSED", "This refresh token was already used; for safety every session of this sign-in has ended");
  }
  if (token.expiresAt <= request.now) throw unauthenticated("REFRESH_TOKEN_EXPIRED", "The session has expired; sign in again");
  if (!user.isActive || user.deletedAt !== null || !store.isActive || store.deletedAt !== null) {
    await revokeFamily("auth.session_ended", !user.isActive || user.deletedAt !== null ? "user inactive" : "store inactive");
    throw unauthenticated("SESSION_ENDED", "The user or store is no longer active; sign in again");
  }
  const permissions = unionPermissions(permissionRows.map((r) => r.permissions));
  if (permissionRows.length === 0) {
    await revokeFamily("auth.session_ended", "no role in store");
    throw forbidden(`You no longer have a role in store ${store.code}`, "NO_STORE_ACCESS");
  }
  const session = await issueSession(db, env, request, { user, store, permissions, deviceId: null, method: "password", sessionId: token.familyId });
  try {
    await commit(db, [
      db.update(refreshTokens).set({ rotatedAt: request.now }).where(and(eq(refreshTokens.id, token.id), isNull(refreshTokens.rotatedAt), isNull(refreshTokens.revokedAt))),
      expectOneChange(db),
      ...session.statements,
    ]);
  } catch (error) {
    // Any other failure (D1 unavailable) is not evidence of theft: it must not sign the family out.
    if (!isGuardFailure(error)) throw error;
    // Another request rotated this token between our read and write: the same token was used twice.
    await revokeFamily("auth.refresh_reuse", "concurrent use");
    throw unauthenticated("REFRESH_TOKEN_REUSED", "This refresh token was already used; for safety every session of this sign-in has ended");
  }
  return session.result;
}

/** The token's store still exists and is active (refresh ends the session otherwise; me and change-credential agree). */
const liveStore = (store: typeof stores.$inferSelect | undefined): store is typeof stores.$inferSelect =>
  store !== undefined && store.isActive && store.deletedAt === null;

function permissionsQuery(db: Db, tenantId: string, userId: string, storeId: string) {
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
  const [userRows, tenantRows, storeRows, permissionRows] = await db.batch([
    selectUserWithRoles(scope).where(scope.where(users, eq(users.id, actor.userId), isNull(users.deletedAt))),
    db.select({ id: tenants.id, slug: tenants.slug, name: tenants.name }).from(tenants).where(eq(tenants.id, actor.tenantId)),
    scope.select(stores, eq(stores.id, actor.storeId)),
    permissionsQuery(db, actor.tenantId, actor.userId, actor.storeId),
  ]);
  const user = userRows[0] as UserWithRoles | undefined;
  const store = storeRows[0] as typeof stores.$inferSelect | undefined;
  if (!user || !user.isActive || !tenantRows[0] || !liveStore(store)) throw unauthenticated("SESSION_ENDED", "The user or store is no longer active; sign in again");
  const s = storeDto(store);
  return {
    user: withRolesDto(user),
    tenant: tenantRows[0],
    store: { id: s.id, code: s.code, name: s.name, currency: s.currency, timeZone: s.timeZone },
    permissions: unionPermissions(permissionRows.map((r) => r.permissions)),
  };
}

/**
 * Change one's own PIN and/or password, proving the current one. Every other session ends; the answer
 * carries a fresh session for this device.
 */
export async function changeCredential(ctx: ServiceContext, env: AuthEnv, body: z.output<typeof ChangeCredentialBody>) {
  const { scope, actor, request } = ctx;
  const db = scope.db;
  const newLookup = body.newPin ? await pinLookup(body.newPin, env.PIN_LOOKUP_KEY) : null;
  const [userRows, storeRows, permissionRows, clashes] = await db.batch([
    selectUserWithRoles(scope).where(scope.where(users, eq(users.id, actor.userId), isNull(users.deletedAt))),
    scope.select(stores, eq(stores.id, actor.storeId)),
    permissionsQuery(db, actor.tenantId, actor.userId, actor.storeId),
    db
      .select({ code: stores.code })
      .from(storePins)
      .innerJoin(stores, eq(stores.id, storePins.storeId))
      .innerJoin(userStoreRoles, and(eq(userStoreRoles.storeId, storePins.storeId), eq(userStoreRoles.userId, actor.userId)))
      .where(scope.where(storePins, eq(storePins.pinLookup, newLookup ?? "-"), isNull(stores.deletedAt)))
      .limit(1),
  ]);
  const found = userRows[0] as UserWithRoles | undefined;
  const store = storeRows[0] as typeof stores.$inferSelect | undefined;
  // An inactive store ends the session here as at refresh: no fresh session for it comes out of this route.
  if (!found || !found.isActive || !liveStore(store)) throw unauthenticated("SESSION_ENDED", "The user or store is no longer active; sign in again");
  const { storeRoles: storeRolesJson, ...user } = found;
  const storeRoles = userDto(user, JSON.parse(storeRolesJson)).storeRoles;

  if (user.lockedUntil && user.lockedUntil > request.now) throw accountLocked(user.lockedUntil, request.now);
  const secretOk = await verifySecret((body.currentPin ?? body.currentPassword)!, body.currentPin !== undefined ? user.pinHash : user.passwordHash);
  if (!secretOk) {
    const [counted] = await commit(db, [
      countUserFailure(db, user.id, request.now),
      audit(db, request, { tenantId: scope.tenantId, actorType: "user", actorId: user.id, action: "auth.change_credential_failed", entity: "user", entityId: user.id }),
    ]);
    const lockedUntil = lockAfterFailure(counted as { lockedUntil: number | null }[], request.now);
    if (lockedUntil !== null) throw accountLocked(lockedUntil, request.now);
    throw unauthenticated("INVALID_CREDENTIALS", "The current PIN or password is wrong");
  }
  const clash = clashes.find(() => newLookup !== null && newLookup !== user.pinLookup);
  if (clash) throw pinInUse(clash.code)();

  const next = {
    passwordHash: body.newPassword ? await hashSecret(body.newPassword) : user.passwordHash,
    pinHash: body.newPin ? await hashSecret(body.newPin) : user.pinHash,
    pinLookup: newLookup ?? user.pinLookup,
    version: user.version + 1,
    updatedAt: request.now,
    failedAttempts: 0,
    lockedUntil: null,
  };
  const session = await issueSession(db, env, request, {
    deviceId: actor.deviceId,
    method: body.newPassword ? "password" : "pin",
    user: { ...user, ...next },
    store,
    permissions: unionPermissions(permissionRows.map((r) => r.permissions)),
  });
  await commitWrite(
    db,
    [
      scope.update(users, next, eq(users.id, user.id)),
      ...(newLookup ? replaceStoreAccess(scope, user.id, storeRoles, newLookup) : []),
      ...endUserSessions(scope, user.id, request.now, "credential changed"),
      ...session.statements,
      recordChange(scope, { entity: "user", entityId: user.id, op: "upsert", version: next.version }, request.now),
      audit(db, request, { tenantId: scope.tenantId, actorType: "user", actorId: user.id, action: "auth.change_credential", entity: "user", entityId: user.id, detail: { pin: !!body.newPin, password: !!body.newPassword } }),
    ],
    { unique: [{ column: "store_pins", error: pinInUse() }] },
  );
  return session.result;
}


/** Sign out: the refresh token's whole family is revoked. Idempotent: an unknown or spent token is fine. */
export async function logout(db: Db, request: RequestInfo, refreshToken: string) {
  const tokenHash = await sha256Hex(refreshToken);
  const [token] = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash));
  if (token) {
    await commit(db, [
      ...endSession(db, token.familyId, request.now, "signed out"),
      audit(db, request, { tenantId: token.tenantId, actorType: "user", actorId: token.userId, action: "auth.logout", entity: "user", entityId: token.userId }),
    ]);
  }
  return { signedOut: true };
}
