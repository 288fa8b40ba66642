import type { stores } from "../../schema/db";
import type { Permission } from "../../schema/permissions";
import type { Statement } from "../db/batch";
import type { Principal, PrincipalContext } from "./context";
import { businessRule, forbidden } from "./errors";
import { Access, type AccessRow } from "./grants";
import { permissionsInStoreQuery, storeQuery } from "./store-permissions";

/**
 * Permission checks of the services an integrator calls (GraphQL resolvers and REST routes alike): the services
 * check for themselves, so that no face can forget. An API client's permissions hold in every store of its
 * tenant; a user's token carries those of its store, and acting on another store reads theirs there fresh.
 */

export function requirePermission(principal: Principal, permission: Permission) {
  if (principal.permissions.has(permission)) return;
  const where = principal.kind === "user" ? " in your current store" : "";
  throw forbidden(`This needs the permission ${permission}${where}`, "MISSING_PERMISSION");
}

/** For the caller's read batch: what a user holds in every store, read fresh (nothing for an API client). */
export const accessQueries = (ctx: PrincipalContext): Statement[] =>
  ctx.principal.kind === "user" ? [permissionsInStoreQuery(ctx.scope, ctx.principal.actorId) as unknown as Statement] : [];

/**
 * What the principal may do in a store: an API client, and a user in their token's store, what the token says;
 * a user elsewhere, what `accessQueries` read.
 */
export function accessOf(principal: Principal, accessRows: unknown[] | undefined) {
  const fresh = accessRows ? new Access(accessRows as AccessRow[]) : undefined;
  const holds = (storeId: string, permission: Permission) =>
    principal.kind === "client" || principal.storeId === storeId ? principal.permissions.has(permission) : (fresh?.has(storeId, permission) ?? false);
  return {
    holds,
    require(store: { id: string; code: string }, permission: Permission) {
      if (!holds(store.id, permission)) throw forbidden(`This needs the permission ${permission} in store ${store.code}`, "MISSING_PERMISSION_IN_STORE");
    },
  };
}

type StoreRow = typeof stores.$inferSelect;

/** 422 UNKNOWN_REFERENCE naming `field` unless the rows of `storeQuery` hold the store. */
export function requireStoreRow(rows: unknown[], field = "storeId"): StoreRow {
  const store = (rows as StoreRow[])[0];
  if (!store) throw businessRule("UNKNOWN_REFERENCE", "The store named does not exist", [{ path: field, message: "is not a store of this tenant" }]);
  return store;
}

/**
 * The store a write names (`field`), for the caller's read batch: 422 UNKNOWN_REFERENCE unless it is a live store
 * of the tenant, 403 MISSING_PERMISSION_IN_STORE unless the principal holds `permission` there.
 */
export function storeAccess(ctx: PrincipalContext, storeId: string, permission: Permission, field = "storeId") {
  const reads = ctx.principal.kind === "user" && ctx.principal.storeId !== storeId ? accessQueries(ctx) : [];
  return {
    queries: [storeQuery(ctx.scope, storeId) as unknown as Statement, ...reads],
    verify(results: unknown[]): StoreRow {
      const store = requireStoreRow(results[0] as unknown[], field);
      accessOf(ctx.principal, reads.length ? (results[1] as unknown[]) : undefined).require(store, permission);
      return store;
    },
  };
}
