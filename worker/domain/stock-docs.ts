import { isNull } from "drizzle-orm";
import { products, stores } from "../../schema/db";
import type { Permission } from "../../schema/permissions";
import type { TenantScope } from "../db/tenant-scope";
import { conflict, forbidden, businessRule, type FieldError } from "./errors";
import type { ServiceContext } from "./context";
import { Access, accessQuery, type AccessRow } from "./grants";
import { inJson } from "./references";

/**
 * What transfers, purchase orders and stock counts share: the permission in the store a step concerns (read
 * fresh, since the token holds only the store signed into), the products their lines name, and their states.
 */

/** The caller's store roles, for `requireIn`: goes in the batch that reads what the step needs. */
export const callerAccess = (ctx: ServiceContext) => accessQuery(ctx.scope, ctx.actor.userId);

/** 403 MISSING_PERMISSION_IN_STORE unless the caller holds `permission` in the store (as D1 says now). */
export function requireIn(accessRows: unknown[], storeId: string, permission: Permission, storeCode?: string) {
  const access = new Access(accessRows as AccessRow[]);
  if (!access.has(storeId, permission)) {
    const code = storeCode ?? access.stores().find((s) => s.storeId === storeId)?.storeCode ?? storeId;
    throw forbidden(`This needs the permission ${permission} in store ${code}`, "MISSING_PERMISSION_IN_STORE");
  }
}

/** Live stores of the tenant among these ids. */
export const storesQuery = (scope: TenantScope, ids: readonly string[]) =>
  scope.db.select({ id: stores.id, code: stores.code }).from(stores).where(scope.where(stores, inJson(stores.id, ids), isNull(stores.deletedAt)));

export type StoreRef = { id: string; code: string };

/** The store of `id` among the rows, or 422 UNKNOWN_REFERENCE naming `field`. */
export function requireStore(rows: unknown[], id: string, field: string): StoreRef {
  const store = (rows as StoreRef[]).find((s) => s.id === id);
  if (!store) throw businessRule("UNKNOWN_REFERENCE", "The store named does not exist", [{ path: field, message: "is not a store of this tenant" }]);
  return store;
}

export type ProductRef = { id: string; sku: string; name: string; trackStock: boolean; costPrice: number; departmentId: string | null };

/** Live products of the tenant among these ids, with what lines show of them. */
export const productsQuery = (scope: TenantScope, ids: readonly string[]) =>
  scope.db
    .select({ id: products.id, sku: products.sku, name: products.name, trackStock: products.trackStock, costPrice: products.costPrice, departmentId: products.departmentId })
    .from(products)
    .where(scope.where(products, inJson(products.id, ids), isNull(products.deletedAt)));

/**
 * The products of the lines by id, or 422 naming each `field.N.productId` that is not a live product of the
 * tenant (UNKNOWN_REFERENCE) or does not track stock (PRODUCT_NOT_TRACKED, when that is all that is wrong).
 */
export function requireTracked(rows: unknown[], productIds: readonly string[], field = "lines"): Map<string, ProductRef> {
  const byId = new Map((rows as ProductRef[]).map((r) => [r.id, r]));
  const fields: FieldError[] = [];
  let unknown = false;
  productIds.forEach((id, i) => {
    const product = byId.get(id);
    const path = `${field}.${i}.productId`;
    if (!product) {
      unknown = true;
      fields.push({ path, message: "is not a product of this tenant" });
    } else if (!product.trackStock) fields.push({ path, message: "does not track stock (trackStock is false)" });
  });
  if (unknown) throw businessRule("UNKNOWN_REFERENCE", "Some lines name products that do not exist", fields);
  if (fields.length) throw businessRule("PRODUCT_NOT_TRACKED", "Some lines name products that do not track stock", fields);
  return byId;
}

/** 409 INVALID_STATE (with the current document) unless its status is one of `allowed`. */
export function requireStatus<S extends string>(label: string, status: S, allowed: readonly S[], action: string, current: () => unknown) {
  if (!allowed.includes(status)) {
    throw conflict("INVALID_STATE", `The ${label} is ${status.replace("_", " ")}; only a ${allowed.map((s) => s.replace("_", " ")).join(" or ")} ${label} can be ${action}`, current());
  }
}

/** quantity (thousandths) × a per-unit amount, in minor units, rounded half away from zero; exact for any sizes. */
export function valueOf(quantity: number, perUnit: number): number {
  const product = BigInt(quantity) * BigInt(perUnit);
  const abs = product < 0n ? -product : product;
  const rounded = (abs + 500n) / 1000n;
  return Number(product < 0n ? -rounded : rounded);
}
