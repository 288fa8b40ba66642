import { asc } from "drizzle-orm";
import type { z } from "zod";
import type { PageQuery } from "../../schema/contracts/common";
import type { CreateRoleBody, Role, RolePermissionsBody, UpdateRoleBody } from "../../schema/contracts/identity";
import { roles } from "../../schema/db";
import { isPermission, PERMISSIONS, permissionGroup, type Permission } from "../../schema/permissions";
import { contains } from "../db/paging";
import { conflict } from "../http/errors";
import type { ServiceContext } from "./context";
import { entityService } from "./entity";
import { toIso } from "./versioning";

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

const roleEntity = entityService({
  label: "Role",
  kind: "role",
  table: roles,
  toDto: roleDto,
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
  roleEntity.list(ctx, query, [query.search ? contains(roles.name, query.search) : undefined], asc(roles.name));

export const createRole = (ctx: ServiceContext, body: z.output<typeof CreateRoleBody>) =>
  roleEntity.create(ctx, { id: body.id, name: body.name, description: body.description ?? null, permissions: unionPermissions([body.permissions]) });

export const updateRole = (ctx: ServiceContext, id: string, body: z.output<typeof UpdateRoleBody>, expectedVersion: number | undefined) =>
  roleEntity.update(ctx, id, { name: body.name, description: body.description }, expectedVersion);

export const setRolePermissions = (ctx: ServiceContext, id: string, body: z.output<typeof RolePermissionsBody>, expectedVersion: number | undefined) =>
  roleEntity.update(ctx, id, { permissions: unionPermissions([body.permissions]) }, expectedVersion);
