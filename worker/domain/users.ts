import { asc, eq, getTableColumns, isNull, sql } from "drizzle-orm";
import type { z } from "zod";
import type { PageQuery } from "../../schema/contracts/common";
import type { CreateUserBody, UpdateUserBody, User, UserWithIssuedPin } from "../../schema/contracts/identity";
import { roles, storePins, stores, users, userStoreRoles } from "../../schema/db";
import { hashSecret } from "../auth/credentials";
import { chunkRows, expectOneChange, type Statement } from "../db/batch";
import { readPage } from "../db/paging";
import { matchesSearch, searchText } from "../db/search";
import type { TenantScope } from "../db/tenant-scope";
import { conflict, notFound, businessRule, type FieldError } from "./errors";
import type { ServiceContext } from "./context";
import { Access, accessQuery, checkGrants, checkOutranks, type AccessRow, type RoleGrant } from "./grants";
import { changedFields } from "./entity";
import { recordAudit, recordChange } from "./journal";
import { keepingAnAdministrator, lastAdminGuard } from "./last-admin";
import { pinLengthOf, pinLengthQuery, withFreshPin, type IssuedPin } from "./pins";
import { inJson } from "./references";
import { endUserSessions } from "./sessions";
import { checkVersion, commitWrite, toIso, toIsoOrNull } from "./versioning";

type UserRow = typeof users.$inferSelect;
type StoreRole = { storeId: string; roleId: string };
export type UserWithRoles = UserRow & { storeRoles: string };

const live = isNull(users.deletedAt);

/** The user's store roles as JSON, read in the same query as the user. */
const storeRolesJson = sql<string>`(SELECT json_group_array(json_object('storeId', usr.store_id, 'roleId', usr.role_id)) FROM ${userStoreRoles} usr WHERE usr.user_id = "users"."id")`;

export const userDto = (u: UserRow, storeRoles: StoreRole[]): User => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  email: u.email,
  isActive: u.isActive,
  hasPin: u.pinHash !== null,
  hasPassword: u.passwordHash !== null,
  storeRoles: [...storeRoles].sort((a, b) => (a.storeId + a.roleId).localeCompare(b.storeId + b.roleId)),
  lastLoginAt: toIsoOrNull(u.lastLoginAt),
  version: u.version,
  createdAt: toIso(u.createdAt),
  updatedAt: toIso(u.updatedAt),
});

/** What a users list search matches: username and display name, folded. */
export const userSearchText = (u: Pick<UserRow, "username" | "displayName">) => searchText([u.username, u.displayName]);

export const withRolesDto = (row: UserWithRoles) => {
  const { storeRoles, ...user } = row;
  return userDto(user, JSON.parse(storeRoles) as StoreRole[]);
};

export const selectUserWithRoles = (scope: TenantScope) => scope.db.select({ ...getTableColumns(users), storeRoles: storeRolesJson }).from(users);

export function listUsers(ctx: ServiceContext, query: PageQuery & { search?: string; storeId?: string; isActive?: boolean }) {
  const { scope } = ctx;
  const where = scope.where(
    users,
    live,
    matchesSearch(users.searchText, query.search),
    query.storeId ? sql`${users.id} IN (SELECT ${userStoreRoles.userId} FROM ${userStoreRoles} WHERE ${userStoreRoles.storeId} = ${query.storeId})` : undefined,
    query.isActive === undefined ? undefined : eq(users.isActive, query.isActive),
  );
  return readPage(scope.db, users, where, selectUserWithRoles(scope).where(where).orderBy(asc(users.username)), query, (r) => withRolesDto(r as UserWithRoles));
}

async function findUserWithRoles(scope: TenantScope, id: string): Promise<{ row: UserRow; storeRoles: StoreRole[] }> {
  const [found] = await selectUserWithRoles(scope).where(scope.where(users, eq(users.id, id), live));
  if (!found) throw notFound("User");
  const { storeRoles, ...row } = found as UserWithRoles;
  return { row, storeRoles: JSON.parse(storeRoles) as StoreRole[] };
}

export async function getUser(ctx: ServiceContext, id: string): Promise<User> {
  const { row, storeRoles } = await findUserWithRoles(ctx.scope, id);
  return userDto(row, storeRoles);
}

/** Active users who hold a role in the caller's current store: the till's employee list. */
export async function storeEmployees(ctx: ServiceContext) {
  const { scope, actor } = ctx;
  const rows = await scope.db
    .select({ id: users.id, username: users.username, displayName: users.displayName, isActive: users.isActive })
    .from(users)
    .where(scope.where(users, live, eq(users.isActive, true), sql`${users.id} IN (SELECT ${userStoreRoles.userId} FROM ${userStoreRoles} WHERE ${userStoreRoles.storeId} = ${actor.storeId})`))
    .orderBy(asc(users.displayName));
  return rows;
}

const NONE = "00000000-0000-0000-0000-000000000000";
const pairKey = (sr: StoreRole) => `${sr.storeId}/${sr.roleId}`;
const dedupe = (storeRoles: StoreRole[]) => [...new Map(storeRoles.map((sr) => [pairKey(sr), sr])).values()];

/**
 * Everything a user write must check, read in one round trip: the stores and roles named (this tenant's, live),
 * the user as they are and what they hold, what the editor holds in every store (fresh, not the token's), and
 * the tenant's PIN length.
 */
async function readForWrite(ctx: ServiceContext, input: { userId: string; storeRoles?: StoreRole[]; withCurrent: boolean }) {
  const { scope, actor } = ctx;
  const named = input.storeRoles ?? [];
  const storeIds = [...new Set(named.map((sr) => sr.storeId))];
  const roleIds = [...new Set(named.map((sr) => sr.roleId))];
  const [storeRows, roleRows, currentRows, targetRows, editorRows, pinLengthRows] = await scope.db.batch([
    scope.db.select({ id: stores.id, code: stores.code }).from(stores).where(scope.where(stores, inJson(stores.id, storeIds), isNull(stores.deletedAt))),
    scope.db.select({ id: roles.id, name: roles.name, permissions: roles.permissions }).from(roles).where(scope.where(roles, inJson(roles.id, roleIds), isNull(roles.deletedAt))),
    selectUserWithRoles(scope).where(scope.where(users, eq(users.id, input.withCurrent ? input.userId : NONE), live)),
    accessQuery(scope, input.withCurrent ? input.userId : NONE),
    accessQuery(scope, actor.userId),
    pinLengthQuery(scope),
  ]);
  const storeById = new Map(storeRows.map((r) => [r.id, r]));
  const roleById = new Map(roleRows.map((r) => [r.id, r]));
  const current = currentRows[0] as UserWithRoles | undefined;
  const target = new Access(targetRows as AccessRow[]);
  return {
    current: current ? { row: (({ storeRoles: _s, ...row }) => row)(current) as UserRow, storeRoles: JSON.parse(current.storeRoles) as StoreRole[] } : undefined,
    target,
    editor: new Access(editorRows as AccessRow[]),
    pinLength: pinLengthOf(pinLengthRows),
    /** 422 UNKNOWN_REFERENCE naming each store or role of `storeRoles` that is not this tenant's. */
    checkReferences() {
      const fields: FieldError[] = [];
      named.forEach((sr, i) => {
        if (!storeById.has(sr.storeId)) fields.push({ path: `storeRoles.${i}.storeId`, message: "is not a store of this tenant" });
        if (!roleById.has(sr.roleId)) fields.push({ path: `storeRoles.${i}.roleId`, message: "is not a role of this tenant" });
      });
      if (fields.length) throw businessRule("UNKNOWN_REFERENCE", "storeRoles names stores or roles that do not exist", fields);
    },
    /** The named store roles as grants (after checkReferences). */
    given: (pairs: StoreRole[]): RoleGrant[] =>
      pairs.map((sr) => {
        const role = roleById.get(sr.roleId)!;
        return { storeId: sr.storeId, storeCode: storeById.get(sr.storeId)!.code, roleName: role.name, permissions: role.permissions };
      }),
    /** Store roles the user holds now, as grants; a role of a deleted store or a deleted role is nothing to take. */
    taken: (pairs: StoreRole[]): RoleGrant[] =>
      pairs.flatMap((sr) => {
        const held = target.rows.find((r) => r.storeId === sr.storeId && r.roleId === sr.roleId);
        return held ? [{ storeId: sr.storeId, storeCode: held.storeCode, roleName: held.roleName, permissions: held.permissions }] : [];
      }),
  };
}

/** Statements that make the user's store roles and per-store PIN rows exactly these. */
export function replaceStoreAccess(scope: TenantScope, userId: string, storeRoles: StoreRole[], lookup: string | null): Statement[] {
  const statements: Statement[] = [
    scope.delete(userStoreRoles, eq(userStoreRoles.userId, userId)),
    scope.delete(storePins, eq(storePins.userId, userId)),
  ];
  for (const chunk of chunkRows(storeRoles, 4)) {
    statements.push(scope.insert(userStoreRoles, chunk.map((sr) => ({ userId, ...sr }))));
  }
  if (lookup) {
    const storeIds = [...new Set(storeRoles.map((sr) => sr.storeId))];
    for (const chunk of chunkRows(storeIds, 4)) {
      statements.push(scope.insert(storePins, chunk.map((storeId) => ({ storeId, userId, pinLookup: lookup }))));
    }
  }
  return statements;
}

export const usernameTaken = (username: string) => () => conflict("USERNAME_TAKEN", `The username ${username} is taken`);

const withPin = (user: User, pin: IssuedPin | null): UserWithIssuedPin => (pin ? { ...user, pin: pin.pin } : user);

const staleUser = (scope: TenantScope, id: string) => async (): Promise<never> => {
  const now = await findUserWithRoles(scope, id);
  throw conflict("VERSION_CONFLICT", `User changed while you edited it; it is now at version ${now.row.version}`, userDto(now.row, now.storeRoles));
};

/**
 * A new user. Their PIN (unless `issuePin` is false) is generated, unique among the PINs of every store they are
 * given a role in, and answered once. The creator may give only roles they fully hold, in stores where they hold
 * users.create.
 */
export async function createUser(ctx: ServiceContext, env: { PIN_LOOKUP_KEY: string }, body: z.output<typeof CreateUserBody>): Promise<UserWithIssuedPin> {
  const { scope, actor, request } = ctx;
  const storeRoles = dedupe(body.storeRoles);
  const id = body.id ?? crypto.randomUUID();
  const read = await readForWrite(ctx, { userId: id, storeRoles, withCurrent: false });
  read.checkReferences();
  checkGrants(read.editor, read.given(storeRoles), "users.create");
  const passwordHash = body.password ? await hashSecret(body.password) : null;

  const write = async (pin: IssuedPin | null) => {
    const row: UserRow = {
      id,
      tenantId: scope.tenantId,
      username: body.username,
      displayName: body.displayName,
      email: body.email ?? null,
      passwordHash,
      pinHash: pin?.hash ?? null,
      pinLookup: pin?.lookup ?? null,
      isActive: body.isActive,
      failedAttempts: 0,
      lockedUntil: null,
      lastLoginAt: null,
      searchText: userSearchText({ username: body.username, displayName: body.displayName }),
      version: 1,
      createdAt: request.now,
      updatedAt: request.now,
      deletedAt: null,
    };
    await commitWrite(
      scope.db,
      [
        scope.insert(users, row),
        ...replaceStoreAccess(scope, id, storeRoles, row.pinLookup),
        recordChange(scope, { entity: "user", entityId: id, op: "upsert", version: 1 }, request.now),
        recordAudit(scope.db, { tenantId: scope.tenantId, actorType: "user", actorId: actor.userId, action: "user.create", entity: "user", entityId: id, detail: { username: row.username, storeRoles, pinIssued: pin !== null } }, request),
      ],
      {
        unique: [
          { column: "users.username", error: usernameTaken(row.username) },
          { column: "users.id", error: () => conflict("ID_TAKEN", `The id ${id} is already used`) },
        ],
      },
    );
    return withPin(userDto(row, storeRoles), pin);
  };
  return body.issuePin ? withFreshPin(env, read.pinLength, write) : write(null);
}

/** The user as they are, if the editor may change them at all (404, 403 TARGET_OUTRANKS_EDITOR, 409 stale). */
function changeable(read: Awaited<ReturnType<typeof readForWrite>>, expectedVersion: number | undefined) {
  if (!read.current) throw notFound("User");
  const { row, storeRoles } = read.current;
  checkOutranks(read.editor, read.target, row.username);
  checkVersion("User", row.version, expectedVersion, () => userDto(row, storeRoles));
  return read.current;
}

/**
 * Change a user. New store roles replace the old; the editor must be able to give or take each role added or
 * removed. Being given a role in a store they had none in issues the user a new PIN (if they have one), answered
 * once: keeping the old one would have to be refused or changed when it clashed there, and either would tell the
 * editor that someone of that store has it.
 */
export async function updateUser(
  ctx: ServiceContext,
  env: { PIN_LOOKUP_KEY: string },
  id: string,
  body: z.output<typeof UpdateUserBody>,
  expectedVersion: number | undefined,
): Promise<UserWithIssuedPin> {
  const { scope, actor, request } = ctx;
  const named = body.storeRoles ? dedupe(body.storeRoles) : undefined;
  const read = await readForWrite(ctx, { userId: id, storeRoles: named, withCurrent: true });
  const { row: current, storeRoles: currentRoles } = changeable(read, expectedVersion);
  read.checkReferences();
  const storeRoles = named ?? currentRoles;
  // An update that changes nothing writes nothing: no version, no feed or audit row, no sessions ended.
  const sameRoles = !named || (named.length === currentRoles.length && named.every((sr) => currentRoles.some((c) => pairKey(c) === pairKey(sr))));
  const fieldChanges = { username: body.username, displayName: body.displayName, email: body.email === undefined ? undefined : body.email ?? null, isActive: body.isActive };
  const pinUnchanged = body.pin === undefined || (body.pin === null && current.pinHash === null);
  if (sameRoles && pinUnchanged && body.password === undefined && changedFields(current, fieldChanges).length === 0) return userDto(current, currentRoles);
  let newStore = false;
  if (named) {
    const before = new Set(currentRoles.map(pairKey));
    const after = new Set(named.map(pairKey));
    checkGrants(read.editor, [...read.given(named.filter((sr) => !before.has(pairKey(sr)))), ...read.taken(currentRoles.filter((sr) => !after.has(pairKey(sr))))], "users.edit");
    const storesBefore = new Set(currentRoles.map((sr) => sr.storeId));
    newStore = named.some((sr) => !storesBefore.has(sr.storeId));
  }

  const next: UserRow = { ...current, version: current.version + 1, updatedAt: request.now };
  if (body.username !== undefined) next.username = body.username;
  if (body.displayName !== undefined) next.displayName = body.displayName;
  if (body.email !== undefined) next.email = body.email ?? null;
  if (body.isActive !== undefined) next.isActive = body.isActive;
  if (body.password !== undefined) next.passwordHash = body.password === null ? null : await hashSecret(body.password);
  if (body.pin === null) {
    next.pinHash = null;
    next.pinLookup = null;
  }
  if (next.pinHash === null && next.passwordHash === null) {
    throw businessRule("NO_CREDENTIAL", "A user needs a PIN or a password; this would remove both", [{ path: "pin", message: "cannot be removed while password is null" }]);
  }
  const reissue = newStore && next.pinHash !== null;
  // A changed credential, a deactivation or a change of stores ends the user's sessions.
  const endSessions = body.password !== undefined || body.pin !== undefined || (body.isActive === false && current.isActive) || named !== undefined;
  // Whatever could take away the tenant's last administrator is checked inside the batch.
  const mayRemoveAdmin = body.isActive === false || named !== undefined;

  const write = async (pin: IssuedPin | null) => {
    if (pin) {
      next.pinHash = pin.hash;
      next.pinLookup = pin.lookup;
    }
    const statements: Statement[] = [
      scope.update(
        users,
        {
          username: next.username, displayName: next.displayName, email: next.email, isActive: next.isActive, searchText: userSearchText(next),
          passwordHash: next.passwordHash, pinHash: next.pinHash, pinLookup: next.pinLookup, version: next.version, updatedAt: next.updatedAt,
        },
        eq(users.id, id),
        eq(users.version, current.version),
      ),
      expectOneChange(scope.db),
    ];
    if (named || body.pin !== undefined) statements.push(...replaceStoreAccess(scope, id, storeRoles, next.pinLookup));
    if (endSessions) statements.push(...endUserSessions(scope, id, request.now, "user changed"));
    if (mayRemoveAdmin) statements.push(lastAdminGuard(scope));
    statements.push(
      recordChange(scope, { entity: "user", entityId: id, op: "upsert", version: next.version }, request.now),
      recordAudit(scope.db, {
        tenantId: scope.tenantId, actorType: "user", actorId: actor.userId, action: "user.update", entity: "user", entityId: id,
        detail: { fields: Object.keys(body).filter((k) => k !== "version"), ...(named ? { storeRoles } : {}), ...(pin ? { pinIssued: true } : {}) },
      }, request),
    );
    await commitWrite(scope.db, statements, { onStale: staleUser(scope, id), unique: [{ column: "users.username", error: usernameTaken(next.username) }] });
    return withPin(userDto(next, storeRoles), pin);
  };
  return keepingAnAdministrator(() => (reissue ? withFreshPin(env, read.pinLength, write) : write(null)));
}

/** A new generated PIN for the user, answered once; their sessions end and the old PIN names nobody. */
export async function resetUserPin(ctx: ServiceContext, env: { PIN_LOOKUP_KEY: string }, id: string, expectedVersion: number | undefined): Promise<UserWithIssuedPin> {
  const { scope, actor, request } = ctx;
  const read = await readForWrite(ctx, { userId: id, withCurrent: true });
  const { row: current, storeRoles } = changeable(read, expectedVersion);
  return withFreshPin(env, read.pinLength, async (pin) => {
    // A reset also clears a lock from wrong attempts: the credential they were against is gone.
    const next: UserRow = { ...current, pinHash: pin.hash, pinLookup: pin.lookup, failedAttempts: 0, lockedUntil: null, version: current.version + 1, updatedAt: request.now };
    await commitWrite(
      scope.db,
      [
        scope.update(users, { pinHash: next.pinHash, pinLookup: next.pinLookup, failedAttempts: 0, lockedUntil: null, version: next.version, updatedAt: next.updatedAt }, eq(users.id, id), eq(users.version, current.version)),
        expectOneChange(scope.db),
        ...replaceStoreAccess(scope, id, storeRoles, pin.lookup),
        ...endUserSessions(scope, id, request.now, "PIN reset"),
        recordChange(scope, { entity: "user", entityId: id, op: "upsert", version: next.version }, request.now),
        recordAudit(scope.db, { tenantId: scope.tenantId, actorType: "user", actorId: actor.userId, action: "user.reset_pin", entity: "user", entityId: id }, request),
      ],
      { onStale: staleUser(scope, id) },
    );
    return withPin(userDto(next, storeRoles), pin);
  });
}

/**
 * Soft delete: the row stays for history (sales name their cashier) but is gone from the API, its sessions end,
 * its credentials, PIN rows and store roles are removed, and its username is freed for a new user.
 */
export async function deleteUser(ctx: ServiceContext, id: string, expectedVersion: number | undefined): Promise<void> {
  const { scope, actor, request } = ctx;
  const read = await readForWrite(ctx, { userId: id, withCurrent: true });
  const { row: current, storeRoles } = changeable(read, expectedVersion);
  const version = current.version + 1;
  await keepingAnAdministrator(() =>
    commitWrite(
      scope.db,
      [
        scope.update(
          users,
          { username: `deleted.${id}`, searchText: "", passwordHash: null, pinHash: null, pinLookup: null, version, updatedAt: request.now, deletedAt: request.now },
          eq(users.id, id),
          eq(users.version, current.version),
        ),
        expectOneChange(scope.db),
        ...replaceStoreAccess(scope, id, [], null),
        ...endUserSessions(scope, id, request.now, "user deleted"),
        lastAdminGuard(scope),
        recordChange(scope, { entity: "user", entityId: id, op: "delete", version }, request.now),
        recordAudit(scope.db, { tenantId: scope.tenantId, actorType: "user", actorId: actor.userId, action: "user.delete", entity: "user", entityId: id, detail: { username: current.username, storeRoles } }, request),
      ],
      { onStale: staleUser(scope, id) },
    ),
  );
}
