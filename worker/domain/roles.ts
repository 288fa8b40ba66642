import { asc, eq, inArray, isNull, or, sql } from "drizzle-orm";
import type { z } from "zod";
import type { PageQuery } from "../../schema/contracts/common";
import type { CreateRoleBody, Role, RolePermissionsBody, UpdateRoleBody } from "../../schema/contracts/identity";
import { refreshTokens, roles, sessions, stores, userStoreRoles } from "../../schema/db";
import { isPermission, PERMISSIONS, permissionGroup, type Permission } from "../../schema/permissions";
import { expectOneChange, type Statement } from "../db/batch";
import { matchesSearch, searchText } from "../db/search";
import type { TenantScope } from "../db/tenant-scope";
import { conflict, notFound } from "./errors";
import type { ServiceContext } from "./context";
import { changedFields, entityService } from "./entity";
import { Access, accessQuery, checkRoleChange, type AccessRow } from "./grants";
import { recordAudit, recordChange } from "./journal";
import { keepingAnAdministrator, lastAdminGuard } from "./last-admin";
import { checkVersion, commitWrite, toIso } from "./versioning";

type RoleRow = typeof roles.$inferSelect;

export const roleDto = (r: RoleRow): Role => ({
  id: r.id,
  name: r.name,
  description: r.description,
  permissions: [...r.permissions].sort(),
  version: r.version,
  createdAt: toIso(r.createdAt),
  updatedAt: toIso(r.updatedAt),
});

/** What a roles list search matches: the name, folded. */
export const roleSearchText = (r: Pick<RoleRow, "name">) => searchText([r.name]);

const roleEntity = entityService({
  label: "Role",
  kind: "role",
  table: roles,
  toDto: roleDto,
  searchText: (row: RoleRow) => roleSearchText(row),
  unique: (row: RoleRow) => [{ column: "roles.name", error: () => conflict("ROLE_NAME_TAKEN", `A role named ${row.name} already exists`) }],
});

/** The union of the roles' permissions, keeping only strings the registry knows. */
export function unionPermissions(permissionLists: Iterable<readonly string[]>): Permission[] {
  const set = new Set<Permission>();
  for (const list of permissionLists) for (const p of list) if (isPermission(p)) set.add(p);
  return [...set].sort();
}

export const permissionCatalogue = () =>
  (Object.entries(PERMISSIONS) as [Permission, string][]).map(([name, description]) => ({ name, group: permissionGroup(name), description }));

export const getRole = roleEntity.get;

export const listRoles = (ctx: ServiceContext, query: PageQuery & { search?: string }) =>
  roleEntity.list(ctx, query, [matchesSearch(roles.searchText, query.search)], asc(roles.name));

const NONE = "00000000-0000-0000-0000-000000000000";

/**
 * What a role write checks, in one round trip: the role, what the editor holds in every store (fresh), and the
 * stores the change reaches: the editor's current store and every store where the role is assigned.
 */
async function readForRoleWrite(ctx: ServiceContext, roleId: string | null) {
  const { scope, actor } = ctx;
  const assigned = scope.db.select({ storeId: userStoreRoles.storeId }).from(userStoreRoles).where(scope.where(userStoreRoles, eq(userStoreRoles.roleId, roleId ?? NONE)));
  const [roleRows, editorRows, storeRows] = await scope.db.batch([
    scope.select(roles, eq(roles.id, roleId ?? NONE), isNull(roles.deletedAt)),
    accessQuery(scope, actor.userId),
    scope.db
      .select({ storeId: stores.id, storeCode: stores.code })
      .from(stores)
      .where(scope.where(stores, isNull(stores.deletedAt), or(eq(stores.id, actor.storeId), inArray(stores.id, assigned)))),
  ]);
  return { role: roleRows[0] as RoleRow | undefined, editor: new Access(editorRows as AccessRow[]), reach: storeRows };
}

/** A new role, holding only permissions its creator holds in their current store (it is assigned nowhere yet). */
export async function createRole(ctx: ServiceContext, body: z.output<typeof CreateRoleBody>) {
  const permissions = unionPermissions([body.permissions]);
  const { editor, reach } = await readForRoleWrite(ctx, null);
  checkRoleChange(editor, { name: body.name, current: [], next: permissions }, reach);
  return roleEntity.create(ctx, { id: body.id, name: body.name, description: body.description ?? null, permissions });
}

/**
 * The sessions of everyone holding the role, in the stores where they hold it: taking permissions away then
 * takes effect at once (every write checks its session), not at the next token refresh.
 */
function endHolderSessions(scope: TenantScope, roleId: string, now: number): Statement[] {
  const holds = (table: typeof sessions | typeof refreshTokens) =>
    sql`EXISTS (SELECT 1 FROM ${userStoreRoles} WHERE ${userStoreRoles.roleId} = ${roleId} AND ${userStoreRoles.userId} = ${table.userId} AND ${userStoreRoles.storeId} = ${table.storeId})`;
  return [
    scope.update(sessions, { revokedAt: now, revokeReason: "role permissions removed" }, isNull(sessions.revokedAt), holds(sessions)),
    scope.update(refreshTokens, { revokedAt: now }, isNull(refreshTokens.revokedAt), holds(refreshTokens)),
  ];
}

type RoleChanges = Partial<Pick<RoleRow, "name" | "description" | "permissions">>;

/**
 * Change a role the editor fully holds, into one they still fully hold, in every store it reaches. Permissions
 * taken away end the holders' sessions and must leave the tenant an administrator; added ones show at the
 * holders' next token refresh.
 */
async function changeRole(ctx: ServiceContext, id: string, changes: RoleChanges, expectedVersion: number | undefined): Promise<Role> {
  const { scope, actor, request } = ctx;
  const { role: current, editor, reach } = await readForRoleWrite(ctx, id);
  if (!current) throw notFound("Role");
  checkVersion("Role", current.version, expectedVersion, () => roleDto(current));
  const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as RoleChanges;
  // An update that changes nothing writes nothing (permissions compare as sets).
  const asStored = { ...current, permissions: [...current.permissions].sort() };
  if (changedFields(asStored, { ...defined, ...(defined.permissions ? { permissions: [...defined.permissions].sort() } : {}) }).length === 0) return roleDto(current);
  const next: RoleRow = { ...current, ...defined, version: current.version + 1, updatedAt: request.now };
  checkRoleChange(editor, { name: current.name, current: current.permissions, next: next.permissions }, reach);
  const removed = current.permissions.filter((p) => !next.permissions.includes(p)).sort();
  const added = next.permissions.filter((p) => !current.permissions.includes(p)).sort();
  const statements: Statement[] = [
    scope.update(roles, { ...defined, searchText: roleSearchText(next), version: next.version, updatedAt: next.updatedAt }, eq(roles.id, id), eq(roles.version, current.version)),
    expectOneChange(scope.db),
  ];
  if (removed.length) statements.push(...endHolderSessions(scope, id, request.now), lastAdminGuard(scope));
  statements.push(
    recordChange(scope, { entity: "role", entityId: id, op: "upsert", version: next.version }, request.now),
    recordAudit(scope.db, {
      tenantId: scope.tenantId, actorType: "user", actorId: actor.userId, action: "role.update", entity: "role", entityId: id,
      detail: { fields: Object.keys(defined), ...(defined.permissions ? { added, removed } : {}) },
    }, request),
  );
  await keepingAnAdministrator(() =>
    commitWrite(scope.db, statements, {
      onStale: async () => {
        const now = await roleEntity.find(scope, id);
        throw conflict("VERSION_CONFLICT", `Role changed while you edited it; it is now at version ${now.version}`, roleDto(now));
      },
      unique: [{ column: "roles.name", error: () => conflict("ROLE_NAME_TAKEN", `A role named ${next.name} already exists`) }],
    }),
  );
  return roleDto(next);
}

export const updateRole = (ctx: ServiceContext, id: string, body: z.output<typeof UpdateRoleBody>, expectedVersion: number | undefined) =>
  changeRole(ctx, id, { name: body.name, description: body.description }, expectedVersion);

export const setRolePermissions = (ctx: ServiceContext, id: string, body: z.output<typeof RolePermissionsBody>, expectedVersion: number | undefined) =>
  changeRole(ctx, id, { permissions: unionPermissions([body.permissions]) }, expectedVersion);
