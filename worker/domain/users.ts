import { asc, eq, getTableColumns, inArray, isNull, ne, or, sql } from "drizzle-orm";
import type { z } from "zod";
import type { PageQuery } from "../../schema/contracts/common";
import type { CreateUserBody, UpdateUserBody, User } from "../../schema/contracts/identity";
import { refreshTokens, roles, storePins, stores, users, userStoreRoles } from "../../schema/db";
import { hashSecret, pinLookup } from "../auth/credentials";
import { chunkRows, expectOneChange, type Statement } from "../db/batch";
import { contains, readPage } from "../db/paging";
import type { TenantScope } from "../db/tenant-scope";
import { conflict, notFound, unprocessable, type FieldError } from "../http/errors";
import type { ServiceContext } from "./context";
import { recordAudit, recordChange } from "./journal";
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
    query.search ? or(contains(users.username, query.search), contains(users.displayName, query.search)) : undefined,
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

const NONE = ["00000000-0000-0000-0000-000000000000"];
const orNone = (ids: string[]) => (ids.length ? ids : NONE);

/**
 * Everything a user write must check, read in one round trip: the stores and roles named (this tenant's,
 * live), the store of another user already holding the PIN among the user's stores, and the current user.
 */
async function readForWrite(
  scope: TenantScope,
  /** `lookup`: the PIN's lookup value; undefined for the user's current PIN. */
  input: { userId: string; storeRoles?: StoreRole[]; lookup: string | null | undefined; withCurrent: boolean },
) {
  const named = input.storeRoles ?? [];
  const storeIds = [...new Set(named.map((sr) => sr.storeId))];
  const roleIds = [...new Set(named.map((sr) => sr.roleId))];
  // The stores the user will work in: the ones named, or (no new roles given) the ones they have now.
  const pinStores = input.storeRoles
    ? inArray(storePins.storeId, orNone(storeIds))
    : sql`${storePins.storeId} IN (SELECT ${userStoreRoles.storeId} FROM ${userStoreRoles} WHERE ${userStoreRoles.userId} = ${input.userId})`;
  const pinValue = input.lookup === undefined ? sql`(SELECT ${users.pinLookup} FROM ${users} WHERE ${users.id} = ${input.userId})` : (input.lookup ?? "-");
  const [storeRows, roleRows, clashRows, currentRows] = await scope.db.batch([
    scope.select(stores, inArray(stores.id, orNone(storeIds)), isNull(stores.deletedAt)),
    scope.select(roles, inArray(roles.id, orNone(roleIds)), isNull(roles.deletedAt)),
    scope.db
      .select({ code: stores.code })
      .from(storePins)
      .innerJoin(stores, eq(stores.id, storePins.storeId))
      .where(scope.where(storePins, eq(storePins.pinLookup, pinValue), pinStores, ne(storePins.userId, input.userId)))
      .limit(1),
    selectUserWithRoles(scope).where(scope.where(users, eq(users.id, input.withCurrent ? input.userId : NONE[0]!), live)),
  ]);
  const knownStores = new Set(storeRows.map((r) => (r as { id: string }).id));
  const knownRoles = new Set(roleRows.map((r) => (r as { id: string }).id));
  const fields: FieldError[] = [];
  named.forEach((sr, i) => {
    if (!knownStores.has(sr.storeId)) fields.push({ path: `storeRoles.${i}.storeId`, message: "is not a store of this tenant" });
    if (!knownRoles.has(sr.roleId)) fields.push({ path: `storeRoles.${i}.roleId`, message: "is not a role of this tenant" });
  });
  const current = currentRows[0] as UserWithRoles | undefined;
  return {
    current: current ? { row: (({ storeRoles: _s, ...row }) => row)(current) as UserRow, storeRoles: JSON.parse(current.storeRoles) as StoreRole[] } : undefined,
    /** Throws what is wrong with the named store roles and the PIN, if anything. */
    check(pinChanging: boolean) {
      if (fields.length) throw unprocessable("UNKNOWN_REFERENCE", "storeRoles names stores or roles that do not exist", fields);
      if (pinChanging && input.lookup !== null && clashRows[0]) throw pinInUse(clashRows[0].code)();
    },
  };
}

const dedupe = (storeRoles: StoreRole[]) => [...new Map(storeRoles.map((sr) => [`${sr.storeId}/${sr.roleId}`, sr])).values()];

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

export const pinInUse = (storeCode?: string) => () =>
  conflict("PIN_IN_USE", storeCode ? `Another user of store ${storeCode} already has this PIN` : "Another user of one of these stores already has this PIN");

export const usernameTaken = (username: string) => () => conflict("USERNAME_TAKEN", `The username ${username} is taken`);

export async function createUser(ctx: ServiceContext, env: { PIN_LOOKUP_KEY: string }, body: z.output<typeof CreateUserBody>): Promise<User> {
  const { scope, actor, request } = ctx;
  const storeRoles = dedupe(body.storeRoles);
  const id = body.id ?? crypto.randomUUID();
  const lookup = body.pin ? await pinLookup(body.pin, env.PIN_LOOKUP_KEY) : null;
  (await readForWrite(scope, { userId: id, storeRoles, lookup, withCurrent: false })).check(true);
  const row: UserRow = {
    id,
    tenantId: scope.tenantId,
    username: body.username,
    displayName: body.displayName,
    email: body.email ?? null,
    passwordHash: body.password ? await hashSecret(body.password) : null,
    pinHash: body.pin ? await hashSecret(body.pin) : null,
    pinLookup: lookup,
    isActive: body.isActive,
    failedAttempts: 0,
    lockedUntil: null,
    lastLoginAt: null,
    version: 1,
    createdAt: request.now,
    updatedAt: request.now,
    deletedAt: null,
  };
  await commitWrite(
    scope.db,
    [
      scope.insert(users, row),
      ...replaceStoreAccess(scope, id, storeRoles, lookup),
      recordChange(scope, { entity: "user", entityId: id, op: "upsert", version: 1 }, request.now),
      recordAudit(scope.db, { tenantId: scope.tenantId, actorType: "user", actorId: actor.userId, action: "user.create", entity: "user", entityId: id, detail: { username: row.username, storeRoles } }, request),
    ],
    {
      unique: [
        { column: "users.username", error: usernameTaken(row.username) },
        { column: "users.id", error: () => conflict("ID_TAKEN", `The id ${id} is already used`) },
        { column: "store_pins", error: pinInUse() },
      ],
    },
  );
  return userDto(row, storeRoles);
}

export async function updateUser(
  ctx: ServiceContext,
  env: { PIN_LOOKUP_KEY: string },
  id: string,
  body: z.output<typeof UpdateUserBody>,
  expectedVersion: number | undefined,
): Promise<User> {
  const { scope, actor, request } = ctx;
  const newLookup = body.pin ? await pinLookup(body.pin, env.PIN_LOOKUP_KEY) : null;
  const read = await readForWrite(scope, {
    userId: id,
    storeRoles: body.storeRoles ? dedupe(body.storeRoles) : undefined,
    lookup: body.pin === undefined ? undefined : newLookup,
    withCurrent: true,
  });
  if (!read.current) throw notFound("User");
  const { row: current, storeRoles: currentRoles } = read.current;
  checkVersion("User", current.version, expectedVersion, () => userDto(current, currentRoles));
  const storeRoles = body.storeRoles ? dedupe(body.storeRoles) : currentRoles;

  const next: UserRow = { ...current, version: current.version + 1, updatedAt: request.now };
  if (body.username !== undefined) next.username = body.username;
  if (body.displayName !== undefined) next.displayName = body.displayName;
  if (body.email !== undefined) next.email = body.email ?? null;
  if (body.isActive !== undefined) next.isActive = body.isActive;
  if (body.password !== undefined) next.passwordHash = body.password === null ? null : await hashSecret(body.password);
  if (body.pin !== undefined) {
    next.pinHash = body.pin === null ? null : await hashSecret(body.pin);
    next.pinLookup = newLookup;
  }
  if (next.pinHash === null && next.passwordHash === null) {
    throw unprocessable("NO_CREDENTIAL", "A user needs a PIN or a password; this would remove both", [{ path: "pin", message: "cannot be removed while password is null" }]);
  }
  read.check(body.pin !== undefined || body.storeRoles !== undefined);
  // A changed credential, a deactivation or a change of stores ends the user's sessions.
  const endSessions = body.password !== undefined || body.pin !== undefined || (body.isActive === false && current.isActive) || body.storeRoles !== undefined;

  const statements: Statement[] = [
    scope.update(
      users,
      {
        username: next.username, displayName: next.displayName, email: next.email, isActive: next.isActive,
        passwordHash: next.passwordHash, pinHash: next.pinHash, pinLookup: next.pinLookup, version: next.version, updatedAt: next.updatedAt,
      },
      eq(users.id, id),
      eq(users.version, current.version),
    ),
    expectOneChange(scope.db),
  ];
  if (body.storeRoles || body.pin !== undefined) statements.push(...replaceStoreAccess(scope, id, storeRoles, next.pinLookup));
  if (endSessions) statements.push(...endUserSessions(scope, id, request.now, "user changed"));
  statements.push(
    recordChange(scope, { entity: "user", entityId: id, op: "upsert", version: next.version }, request.now),
    recordAudit(scope.db, {
      tenantId: scope.tenantId, actorType: "user", actorId: actor.userId, action: "user.update", entity: "user", entityId: id,
      detail: { fields: Object.keys(body).filter((k) => k !== "version"), ...(body.storeRoles ? { storeRoles } : {}) },
    }, request),
  );
  await commitWrite(scope.db, statements, {
    onStale: async () => {
      const now = await findUserWithRoles(scope, id);
      throw conflict("VERSION_CONFLICT", `User changed while you edited it; it is now at version ${now.row.version}`, userDto(now.row, now.storeRoles));
    },
    unique: [{ column: "users.username", error: usernameTaken(next.username) }, { column: "store_pins", error: pinInUse() }],
  });
  return userDto(next, storeRoles);
}
