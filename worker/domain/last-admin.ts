import { sql } from "drizzle-orm";
import { writeGuards } from "../../schema/db";
import { ALL_PERMISSIONS } from "../../schema/permissions";
import type { Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import { unprocessable } from "../http/errors";

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
  const anAdministrator = sql<number>`EXISTS (
    SELECT 1
    FROM stores s
    JOIN user_store_roles usr ON usr.store_id = s.id
    JOIN users u ON u.id = usr.user_id
    JOIN roles r ON r.id = usr.role_id
    JOIN json_each(r.permissions) p
    WHERE s.tenant_id = ${scope.tenantId} AND s.is_active = 1 AND s.deleted_at IS NULL
      AND u.is_active = 1 AND u.deleted_at IS NULL AND r.deleted_at IS NULL
      AND p.value IN (SELECT value FROM json_each(${JSON.stringify(ALL_PERMISSIONS)}))
    GROUP BY usr.user_id, usr.store_id
    HAVING count(DISTINCT p.value) = ${ALL_PERMISSIONS.length}
  )`;
  return scope.db
    .insert(writeGuards)
    .values({ kind: "last_admin", ok: anAdministrator })
    .onConflictDoUpdate({ target: writeGuards.kind, set: { ok: sql`excluded.ok` } });
}

export const isLastAdminFailure = (error: unknown) => {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (/CHECK constraint failed: last_administrator/i.test(String((e as Error).message ?? e))) return true;
  }
  return false;
};

export const lastAdministrator = () =>
  unprocessable(
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
