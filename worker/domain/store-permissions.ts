import { eq, isNull } from "drizzle-orm";
import { stores } from "../../schema/db";
import type { Permission } from "../../schema/permissions";
import type { TenantScope } from "../db/tenant-scope";
import { forbidden, notFound } from "./errors";
import { Access, accessQuery, type AccessRow } from "./grants";

/**
 * A token holds the user's permissions in the store they signed into. Acting on another store's things (its
 * registers and devices) needs the permission there too, read fresh: these two queries go in the caller's
 * batch, and `requireInStore` checks their results.
 */
export const storeQuery = (scope: TenantScope, storeId: string) => scope.select(stores, eq(stores.id, storeId), isNull(stores.deletedAt));

export const permissionsInStoreQuery = (scope: TenantScope, userId: string) => accessQuery(scope, userId);

type StoreRow = typeof stores.$inferSelect;

/** The store (404 if not this tenant's) once the user is known to hold `permission` there (403 otherwise). */
export function requireInStore(storeRows: unknown[], accessRows: unknown[], permission: Permission): StoreRow {
  const store = storeRows[0] as StoreRow | undefined;
  if (!store) throw notFound("Store");
  if (!new Access(accessRows as AccessRow[]).has(store.id, permission)) {
    throw forbidden(`This needs the permission ${permission} in store ${store.code}`, "MISSING_PERMISSION_IN_STORE");
  }
  return store;
}
