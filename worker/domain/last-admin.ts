import { sql } from "drizzle-orm";
import { ALL_PERMISSIONS } from "../../schema/permissions";
import { guard, isWriteGuardFailure, type Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import { businessRule } from "./errors";

/** The tenant's administrators: the ids of its users holding every permission in some active store. */
export const administratorIds = (tenantId: string) => sql`(
    SELECT usr.user_id
    FROM stores s
    JOIN user_store_roles usr ON usr.store_id = s.id
    JOIN users u ON u.id = usr.user_id
    JOIN roles r ON r.id = usr.role_id
    JOIN json_each(r.permissions) p
    WHERE s.tenant_id = ${tenantId} AND s.is_active = 1 AND s.deleted_at IS NULL
      AND u.is_active = 1 AND u.deleted_at IS NULL AND r.deleted_at IS NULL
      AND p.value IN (SELECT value FROM json_each(${JSON.stringify(ALL_PERMISSIONS)}))
    GROUP BY usr.user_id, usr.store_id
    HAVING count(DISTINCT p.value) = ${ALL_PERMISSIONS.length}
  )`;

/**
 * A tenant always keeps an administrator: an active, not deleted user who holds every permission (the union
 * of their roles) in at least one active store. Nobody else can give that back, since nobody grants what they
 * do not hold.
 *
 * The check is a guard statement at the end of the batch of every write that could take it away (deactivating
 * or deleting a user, changing their store roles, taking permissions from a role, deactivating a store): it
 * upserts write_guards' `last_admin` row with whether such a user exists once the batch's own changes are
 * made, and the row's CHECK (`last_administrator`) fails the whole batch otherwise. D1 runs batches one at a
 * time, so of two administrators removing each other at the same moment the second batch sees the first one's
 * change and fails: a read before the write could not tell.
 */
export function lastAdminGuard(scope: TenantScope): Statement {
  return guard(scope.db, "last_admin", sql`EXISTS ${administratorIds(scope.tenantId)}`);
}

export const isLastAdminFailure = (error: unknown) => isWriteGuardFailure(error, "last_admin");

export const lastAdministrator = () =>
  businessRule(
    "LAST_ADMINISTRATOR",
    "This would leave the tenant with no administrator (an active user holding every permission in an active store); make someone else one first",
  );

/** Run a write whose batch holds `lastAdminGuard`, answering 422 LAST_ADMINISTRATOR when the guard fails it. */
export async function keepingAnAdministrator<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isLastAdminFailure(error)) throw lastAdministrator();
    throw error;
  }
}
