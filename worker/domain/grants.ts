import { eq, isNull } from "drizzle-orm";
import { roles, stores, userStoreRoles } from "../../schema/db";
import { isPermission, type Permission } from "../../schema/permissions";
import type { TenantScope } from "../db/tenant-scope";
import { forbidden } from "./errors";

/**
 * Nobody gives what they do not hold. A person's permissions differ per store (the union of their roles there),
 * and the access token carries only those of the store it was issued for, so every check here reads them fresh
 * from D1, for every store, in the round trip that reads what the write needs.
 *
 * - Store roles: in a store, an editor may give or take only roles whose permissions they all hold there, and
 *   only where they hold `users.edit` (`users.create` when creating the user).
 * - Users: an editor may not edit, reset the credentials of, deactivate or delete a user who holds, in any
 *   store, a permission the editor lacks there.
 * - Roles: a role applies in every store where it is assigned, so the editor must hold its old and its new
 *   permissions in their current store and in each of those stores.
 */

/** One row per (store, role) a user holds: what `accessQuery` reads. */
export interface AccessRow {
  storeId: string;
  storeCode: string;
  roleId: string;
  roleName: string;
  permissions: string[];
}

/** A user's store roles with the stores' codes and the roles' permissions (live stores and roles only). */
export const accessQuery = (scope: TenantScope, userId: string) =>
  scope.db
    .select({ storeId: userStoreRoles.storeId, storeCode: stores.code, roleId: userStoreRoles.roleId, roleName: roles.name, permissions: roles.permissions })
    .from(userStoreRoles)
    .innerJoin(stores, eq(stores.id, userStoreRoles.storeId))
    .innerJoin(roles, eq(roles.id, userStoreRoles.roleId))
    .where(scope.where(userStoreRoles, eq(userStoreRoles.userId, userId), isNull(stores.deletedAt), isNull(roles.deletedAt)));

interface StoreAccess {
  storeId: string;
  storeCode: string;
  permissions: Set<Permission>;
}

/** What one person holds, store by store. */
export class Access {
  private readonly byStore = new Map<string, StoreAccess>();

  constructor(readonly rows: AccessRow[]) {
    for (const row of rows) {
      const store = this.byStore.get(row.storeId) ?? { storeId: row.storeId, storeCode: row.storeCode, permissions: new Set<Permission>() };
      for (const p of row.permissions) if (isPermission(p)) store.permissions.add(p);
      this.byStore.set(row.storeId, store);
    }
  }

  /** The stores they hold a role in, by code. */
  stores(): StoreAccess[] {
    return [...this.byStore.values()].sort((a, b) => a.storeCode.localeCompare(b.storeCode));
  }

  has(storeId: string, permission: Permission): boolean {
    return this.byStore.get(storeId)?.permissions.has(permission) ?? false;
  }

  /** The permissions of `wanted` they do not hold in the store (all of them where they hold no role). */
  lacking(storeId: string, wanted: Iterable<string>): Permission[] {
    const held = this.byStore.get(storeId)?.permissions;
    return [...new Set(wanted)].filter((p): p is Permission => isPermission(p) && !held?.has(p)).sort();
  }
}

/** Permissions for a message: all of them when few, the first few and a count otherwise. */
export function listPermissions(permissions: readonly string[]): string {
  const SHOWN = 8;
  if (permissions.length <= SHOWN) return permissions.join(", ");
  return `${permissions.slice(0, SHOWN).join(", ")} and ${permissions.length - SHOWN} more`;
}

/** A store role being given or taken away. */
export interface RoleGrant {
  storeId: string;
  storeCode: string;
  roleName: string;
  permissions: readonly string[];
}

const byStoreCode = <T extends { storeCode: string }>(items: T[]) => [...items].sort((a, b) => a.storeCode.localeCompare(b.storeCode));

/**
 * 403 unless the editor may give or take each of these store roles: they hold `adminPermission` in the role's
 * store (NOT_USER_ADMIN_IN_STORE) and every permission of the role there (GRANT_EXCEEDS_OWN).
 */
export function checkGrants(editor: Access, grants: RoleGrant[], adminPermission: "users.edit" | "users.create") {
  for (const grant of byStoreCode(grants)) {
    if (!editor.has(grant.storeId, adminPermission)) {
      throw forbidden(`You need ${adminPermission} in store ${grant.storeCode} to give or take roles there`, "NOT_USER_ADMIN_IN_STORE");
    }
    const lacking = editor.lacking(grant.storeId, grant.permissions);
    if (lacking.length) {
      throw forbidden(
        `Role ${grant.roleName} holds permissions you lack in store ${grant.storeCode} (${listPermissions(lacking)}); you can give or take only roles you fully hold`,
        "GRANT_EXCEEDS_OWN",
      );
    }
  }
}

/** 403 TARGET_OUTRANKS_EDITOR when the user holds, in some store, a permission the editor lacks there. */
export function checkOutranks(editor: Access, target: Access, targetName: string) {
  for (const store of target.stores()) {
    const lacking = editor.lacking(store.storeId, store.permissions);
    if (lacking.length) {
      throw forbidden(
        `User ${targetName} holds permissions you lack in store ${store.storeCode} (${listPermissions(lacking)}); only someone who holds them can change this user`,
        "TARGET_OUTRANKS_EDITOR",
      );
    }
  }
}

/**
 * 403 unless the editor holds the role's current permissions (ROLE_OUTRANKS_EDITOR) and the ones it would get
 * (ROLE_EXCEEDS_OWN) in each of these stores: their current store and every store where the role is assigned.
 */
export function checkRoleChange(
  editor: Access,
  role: { name: string; current: readonly string[]; next: readonly string[] },
  where: { storeId: string; storeCode: string }[],
) {
  const unique = [...new Map(where.map((s) => [s.storeId, s])).values()];
  for (const store of byStoreCode(unique)) {
    const held = editor.lacking(store.storeId, role.current);
    if (held.length) {
      throw forbidden(
        `Role ${role.name} holds permissions you lack in store ${store.storeCode} (${listPermissions(held)}); only someone who holds them can change it`,
        "ROLE_OUTRANKS_EDITOR",
      );
    }
    const added = editor.lacking(store.storeId, role.next);
    if (added.length) {
      throw forbidden(`You cannot give role ${role.name} permissions you lack in store ${store.storeCode} (${listPermissions(added)})`, "ROLE_EXCEEDS_OWN");
    }
  }
}
