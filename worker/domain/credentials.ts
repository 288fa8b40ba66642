import { and, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import type { z } from "zod";
import type { ChangeCredentialBody, CredentialResetBody, IssueCredentialResetBody } from "../../schema/contracts/auth";
import { credentialResets, stores, tenants, users } from "../../schema/db";
import { hashSecret, randomToken, sha256Hex, verifySecret } from "../auth/credentials";
import { commit, expectOneChange, isGuardFailure, type Statement } from "../db/batch";
import type { Db } from "../db/client";
import { TenantScope } from "../db/tenant-scope";
import { notFound, unauthenticated, businessRule } from "./errors";
import { accountLocked, ADDRESS_POLICY, addressKey, clearPasswordAttempts, countAttempt, countPasswordAttempt, lockIfAtLimit, MAX_PASSWORD_ATTEMPTS, refundAttempt, refuseOverLimit } from "./attempts";
import { liveStore, permissionsQuery, type AuthEnv } from "./auth";
import type { RequestInfo, ServiceContext } from "./context";
import { recordAudit, recordChange } from "./journal";
import { administratorIds } from "./last-admin";
import { pinLengthOf, pinLengthQuery, withFreshPin } from "./pins";
import { unionPermissions } from "./roles";
import { limitedAudit } from "./security-audit";
import { endUserSessions, issueSession } from "./sessions";
import { replaceStoreAccess, selectUserWithRoles, type UserWithRoles } from "./users";
import { toIso } from "./versioning";

type UserRow = typeof users.$inferSelect;

/**
 * Change one's own password and/or get a new PIN (generated, shown once), proving the current password, or the
 * current PIN when signed in at an enrolled till. Every session of the user ends; the answer carries a fresh one
 * for this device. The proof counts as an attempt before it is verified, like a sign-in.
 */
export async function changeCredential(ctx: ServiceContext, env: AuthEnv, body: z.output<typeof ChangeCredentialBody>) {
  const { scope, actor, request } = ctx;
  const db = scope.db;
  if (body.currentPin !== undefined && !actor.deviceId) {
    throw unauthenticated("PIN_NEEDS_DEVICE", "A PIN proves who you are only at an enrolled till; give your current password here");
  }
  const byId = scope.where(users, eq(users.id, actor.userId), isNull(users.deletedAt));
  const [counted, userRows, storeRows, permissionRows, pinLengthRows] = await db.batch([
    countPasswordAttempt(db, byId, request.now),
    selectUserWithRoles(scope).where(byId),
    scope.select(stores, eq(stores.id, actor.storeId)),
    permissionsQuery(db, actor.tenantId, actor.userId, actor.storeId),
    pinLengthQuery(scope),
  ]);
  const found = userRows[0] as UserWithRoles | undefined;
  const store = storeRows[0] as typeof stores.$inferSelect | undefined;
  // An inactive store ends the session here as at refresh: no fresh session for it comes out of this route.
  if (!found || !found.isActive || !liveStore(store)) throw unauthenticated("SESSION_ENDED", "The user or store is no longer active; sign in again");
  const { storeRoles: storeRolesJson, ...user } = found;
  const attempt = counted[0];
  if (attempt?.lockedUntil && attempt.lockedUntil > request.now) throw accountLocked(attempt.lockedUntil, request.now);

  const secretOk = await verifySecret((body.currentPin ?? body.currentPassword)!, body.currentPin !== undefined ? user.pinHash : user.passwordHash);
  if (!secretOk) {
    await commit(db, [
      lockIfAtLimit(db, user.id, request.now),
      ...limitedAudit(db, { tenantId: scope.tenantId, actorType: "user", actorId: user.id, action: "auth.change_credential_failed", entity: "user", entityId: user.id }, request),
    ]);
    if (attempt && attempt.failedAttempts >= MAX_PASSWORD_ATTEMPTS) throw accountLocked(request.now + 5 * 60_000, request.now);
    throw unauthenticated("INVALID_CREDENTIALS", "The current PIN or password is wrong");
  }

  const storeRoles = JSON.parse(storeRolesJson) as { storeId: string; roleId: string }[];
  const passwordHash = body.newPassword ? await hashSecret(body.newPassword) : user.passwordHash;
  const permissions = unionPermissions(permissionRows.map((r) => r.permissions));
  const write = async (pin: { pin: string; hash: string; lookup: string } | null) => {
    const next: UserRow = {
      ...user,
      passwordHash,
      pinHash: pin ? pin.hash : user.pinHash,
      pinLookup: pin ? pin.lookup : user.pinLookup,
      version: user.version + 1,
      updatedAt: request.now,
      failedAttempts: 0,
      lockedUntil: null,
    };
    const session = await issueSession(db, env, request, { user: next, store, permissions, deviceId: actor.deviceId, method: body.newPassword ? "password" : "pin" });
    await commit(db, [
      scope.update(users, { passwordHash: next.passwordHash, pinHash: next.pinHash, pinLookup: next.pinLookup, version: next.version, updatedAt: next.updatedAt, failedAttempts: 0, lockedUntil: null }, eq(users.id, user.id), eq(users.version, user.version)),
      expectOneChange(db),
      ...(pin ? replaceStoreAccess(scope, user.id, storeRoles, pin.lookup) : []),
      ...endUserSessions(scope, user.id, request.now, "credential changed"),
      ...session.statements,
      recordChange(scope, { entity: "user", entityId: user.id, op: "upsert", version: next.version }, request.now),
      recordAudit(db, { tenantId: scope.tenantId, actorType: "user", actorId: user.id, action: "auth.change_credential", entity: "user", entityId: user.id, detail: { pin: !!body.newPin, password: !!body.newPassword } }, request),
    ]);
    return { ...session.result, ...(pin ? { pin: pin.pin } : {}) };
  };
  try {
    return body.newPin ? await withFreshPin(env, pinLengthOf(pinLengthRows), write) : await write(null);
  } catch (error) {
    if (isGuardFailure(error)) throw unauthenticated("SESSION_ENDED", "Your account changed meanwhile (an administrator's edit); sign in again");
    throw error;
  }
}

const RESET_TTL_MS = 60 * 60_000;

/**
 * The platform operator's way back in for a tenant that lost its administrators' passwords: a one-time code for
 * one of the tenant's administrators (named by username), valid an hour, audited. The administrator redeems it
 * for a new password at POST /api/v1/auth/credential-reset.
 */
export async function issueCredentialReset(db: Db, request: RequestInfo, tenantId: string, body: z.output<typeof IssueCredentialResetBody>) {
  const [tenantRows, userRows] = await db.batch([
    db.select({ id: tenants.id }).from(tenants).where(and(eq(tenants.id, tenantId), isNull(tenants.deletedAt))),
    db.select({ id: users.id, username: users.username, isActive: users.isActive }).from(users).where(and(eq(users.tenantId, tenantId), eq(users.username, body.username), isNull(users.deletedAt), inArray(users.id, administratorIds(tenantId)))),
  ]);
  if (!tenantRows[0]) throw notFound("Tenant");
  const user = userRows[0];
  if (!user || !user.isActive) {
    throw businessRule("NOT_AN_ADMINISTRATOR", `${body.username} is not an active administrator of this tenant (a user holding every permission in an active store)`, [{ path: "username", message: "is not an active administrator" }]);
  }
  const code = randomToken();
  const expiresAt = request.now + RESET_TTL_MS;
  await commit(db, [
    db.insert(credentialResets).values({ id: crypto.randomUUID(), tenantId, userId: user.id, codeHash: await sha256Hex(code), createdAt: request.now, expiresAt }),
    recordAudit(db, { tenantId, actorType: "operator", action: "user.credential_reset_issued", entity: "user", entityId: user.id, detail: { username: user.username, expiresAt: toIso(expiresAt) } }, request),
  ]);
  return { code, expiresAt: toIso(expiresAt), user: { id: user.id, username: user.username } };
}

const invalidResetCode = () => unauthenticated("INVALID_RESET_CODE", "That reset code is not valid: wrong, used or expired");

/** Redeem an operator's reset code: a new password, the lock lifted, every session ended. Once. */
export async function redeemCredentialReset(db: Db, request: RequestInfo, body: z.output<typeof CredentialResetBody>) {
  const codeHash = await sha256Hex(body.code);
  const usable = and(
    eq(credentialResets.codeHash, codeHash),
    isNull(credentialResets.usedAt),
    gt(credentialResets.expiresAt, request.now),
    eq(credentialResets.tenantId, sql`(SELECT ${tenants.id} FROM ${tenants} WHERE ${tenants.slug} = ${body.tenant})`),
  );
  const [counted, resetRows, userRows] = await db.batch([
    countAttempt(db, addressKey(request.ip), ADDRESS_POLICY, request.now),
    db.select().from(credentialResets).where(usable),
    db.select({ version: users.version }).from(credentialResets).innerJoin(users, eq(users.id, credentialResets.userId)).where(usable),
  ]);
  const attempt = counted[0]!;
  refuseOverLimit(attempt, ADDRESS_POLICY, request.now);
  const reset = resetRows[0];
  const user = userRows[0];
  if (!reset || !user) {
    await commit(db, limitedAudit(db, { tenantId: null, actorType: "anonymous", action: "auth.credential_reset_failed", detail: { tenant: body.tenant } }, request));
    throw invalidResetCode();
  }
  const scope = new TenantScope(db, reset.tenantId);
  const statements: Statement[] = [
    db.update(credentialResets).set({ usedAt: request.now }).where(and(eq(credentialResets.id, reset.id), usable)),
    expectOneChange(db),
    scope.update(users, { passwordHash: await hashSecret(body.newPassword), updatedAt: request.now, version: user.version + 1 }, eq(users.id, reset.userId), eq(users.version, user.version)),
    expectOneChange(db),
    clearPasswordAttempts(db, reset.userId, request.now),
    recordChange(scope, { entity: "user", entityId: reset.userId, op: "upsert", version: user.version + 1 }, request.now),
    ...endUserSessions(scope, reset.userId, request.now, "credential reset"),
    refundAttempt(db, attempt),
    recordAudit(db, { tenantId: reset.tenantId, actorType: "anonymous", actorId: reset.userId, action: "user.credential_reset", entity: "user", entityId: reset.userId }, request),
  ];
  try {
    await commit(db, statements);
  } catch (error) {
    if (isGuardFailure(error)) throw invalidResetCode();
    throw error;
  }
  return { reset: true as const, userId: reset.userId };
}

