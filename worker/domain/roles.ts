import { asc, eq, isNull, sql } from "drizzle-orm";
import type { z } from "zod";
import type { PageQuery } from "../../schema/contracts/common";
import type { CreateRoleBody, Role, RolePermissionsBody, UpdateRoleBody } from "../../schema/contracts/identity";
import { roles } from "../../schema/db";
import { isPermission, PERMISSIONS, permissionGroup, type Permission } from "../../schema/permissions";
import { expectOneChange } from "../db/batch";
import { contains, readPage } from "../db/paging";
import type { TenantScope } from "../db/tenant-scope";
import { conflict, notFound } from "../http/errors";
import type { ServiceContext } from "./context";
import { recordAudit, recordChange } from "./journal";
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

const live = isNull(roles.deletedAt);
const nameTaken = (name: string) => () => conflict("ROLE_NAME_TAKEN", `A role named ${name} already exists`);

/** The union of the roles' permissions, keeping only strings the registry knows. */
export function unionPermissions(permissionLists: Iterable<readonly string[]>): Permission[] {
  const set = new Set<Permission>();
  for (const list of permissionLists) for (const p of list) if (isPermission(p)) set.add(p);
  return [...set].sort();
}

export const permissionCatalogue = () =>
  (Object.entries(PERMISSIONS) as [Permission, string][]).map(([name, description]) => ({ name, group: permissionGroup(name), description }));

export function listRoles(ctx: ServiceContext, query: PageQuery & { search?: string }) {
  const { scope } = ctx;
  const where = scope.where(roles, live, query.search ? contains(roles.name, query.search) : undefined);
  return readPage(scope.db, roles, where, scope.db.select().from(roles).where(where).orderBy(asc(roles.name)), query, roleDto);
}

export async function findRole(scope: TenantScope, id: string): Promise<RoleRow> {
  const [row] = await scope.select(roles, eq(roles.id, id), live);
  if (!row) throw notFound("Role");
  return row as RoleRow;
}

export const getRole = async (ctx: ServiceContext, id: string) => roleDto(await findRole(ctx.scope, id));

export async function rolesById(scope: TenantScope, ids: string[]) {
  if (ids.length === 0) return new Map<string, RoleRow>();
  const rows = (await scope.select(roles, sql`${roles.id} IN ${ids}`, live)) as RoleRow[];
  return new Map(rows.map((r) => [r.id, r]));
}

export async function createRole(ctx: ServiceContext, body: z.output<typeof CreateRoleBody>): Promise<Role> {
  const { scope, actor, request } = ctx;
  const id = body.id ?? crypto.randomUUID();
  const row: RoleRow = {
    id,
    tenantId: scope.tenantId,
    name: body.name,
    description: body.description ?? null,
    permissions: unionPermissions([body.permissions]),
    version: 1,
    createdAt: request.now,
    updatedAt: request.now,
    deletedAt: null,
  };
  await commitWrite(
    scope.db,
    [
      scope.insert(roles, row),
      recordChange(scope, { entity: "role", entityId: id, op: "upsert", version: 1 }, request.now),
      recordAudit(scope.db, { tenantId: scope.tenantId, actorType: "user", actorId: actor.userId, action: "role.create", entity: "role", entityId: id, detail: { name: row.name, permissions: row.permissions } }, request),
    ],
    { unique: [{ column: "roles.name", error: nameTaken(row.name) }, { column: "roles.id", error: () => conflict("ID_TAKEN", `The id ${id} is already used`) }] },
  );
  return roleDto(row);
}

async function writeRole(ctx: ServiceContext, current: RoleRow, changes: Partial<RoleRow>, action: string): Promise<Role> {
  const { scope, actor, request } = ctx;
  const next: RoleRow = { ...current, ...changes, version: current.version + 1, updatedAt: request.now };
  await commitWrite(
    scope.db,
    [
      scope.update(roles, { name: next.name, description: next.description, permissions: next.permissions, version: next.version, updatedAt: next.updatedAt }, eq(roles.id, current.id), eq(roles.version, current.version)),
      expectOneChange(scope.db),
      recordChange(scope, { entity: "role", entityId: current.id, op: "upsert", version: next.version }, request.now),
      recordAudit(scope.db, { tenantId: scope.tenantId, actorType: "user", actorId: actor.userId, action, entity: "role", entityId: current.id, detail: changes }, request),
    ],
    {
      onStale: async () => {
        const now = await findRole(scope, current.id);
        throw conflict("VERSION_CONFLICT", `Role changed while you edited it; it is now at version ${now.version}`, roleDto(now));
      },
      unique: [{ column: "roles.name", error: nameTaken(next.name) }],
    },
  );
  return roleDto(next);
}

export async function updateRole(ctx: ServiceContext, id: string, body: z.output<typeof UpdateRoleBody>, expectedVersion: number | undefined) {
  const current = await findRole(ctx.scope, id);
  checkVersion("Role", current.version, expectedVersion, () => roleDto(current));
  const changes: Partial<RoleRow> = {};
  if (body.name !== undefined) changes.name = body.name;
  if (body.description !== undefined) changes.description = body.description ?? null;
  return writeRole(ctx, current, changes, "role.update");
}

export async function setRolePermissions(ctx: ServiceContext, id: string, body: z.output<typeof RolePermissionsBody>, expectedVersion: number | undefined) {
  const current = await findRole(ctx.scope, id);
  checkVersion("Role", current.version, expectedVersion, () => roleDto(current));
  return writeRole(ctx, current, { permissions: unionPermissions([body.permissions]) }, "role.permissions");
}
