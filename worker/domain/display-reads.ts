import { asc, eq, sql } from "drizzle-orm";
import type { AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { itemSerialLots, productBanners, productNotices, productSections, productSortOptions } from "../../schema/db";
import type { SerialLotKind, SerialLotStatus } from "../../schema/contracts/serial-lots";
import type { PrincipalContext } from "./context";
import { entityList, type ListRequest, type ListSecret } from "./integrator-lists";
import { requirePermission } from "./principal-access";
import { noticeAppliesTo, noticeListsDepartment } from "./product-notices";

/**
 * The integrator faces' lists (GraphQL) of what a till shows around the catalogue and of serial/lot numbers: by
 * position (the live rows in the list's order) or, with `since`, by change (deleted rows come too, as tombstones),
 * one D1 round trip either way (integrator-lists.ts). Each checks its permission, as the REST services do.
 */

export type ProductBannerRow = typeof productBanners.$inferSelect;
export type ProductNoticeRow = typeof productNotices.$inferSelect;
export type ProductSectionRow = typeof productSections.$inferSelect;
export type ProductSortOptionRow = typeof productSortOptions.$inferSelect;
export type ItemSerialLotRow = typeof itemSerialLots.$inferSelect;

type ById = ListRequest & { id?: string | null };
const byId = (column: AnySQLiteColumn, id: string | null | undefined) => (id ? eq(column, id) : undefined);
const lists = (column: AnySQLiteColumn, id: string) => sql`EXISTS (SELECT 1 FROM json_each(${column}) WHERE value = ${id})`;

/** Banners, lowest sortOrder first, then by title. */
export function bannerList(caller: PrincipalContext, secret: ListSecret, q: ById & { isActive?: boolean | null }) {
  requirePermission(caller.principal, "products.view");
  const B = productBanners;
  return entityList<typeof B, ProductBannerRow>(caller, secret, {
    table: B, kind: "product_banner",
    filters: [byId(B.id, q.id), q.isActive == null ? undefined : eq(B.isActive, q.isActive)],
    filterKey: { id: q.id, isActive: q.isActive },
    orderBy: [asc(B.sortOrder), asc(B.title), asc(B.id)],
  }, q);
}

/** Notices by name; `productId`: those that apply to the product (listing it, or its department). */
export function noticeList(caller: PrincipalContext, secret: ListSecret, q: ById & { productId?: string | null; departmentId?: string | null }) {
  requirePermission(caller.principal, "products.view");
  const N = productNotices;
  return entityList<typeof N, ProductNoticeRow>(caller, secret, {
    table: N, kind: "product_notice",
    filters: [byId(N.id, q.id), q.productId ? noticeAppliesTo(caller.scope, q.productId) : undefined, q.departmentId ? noticeListsDepartment(q.departmentId) : undefined],
    filterKey: { id: q.id, productId: q.productId, departmentId: q.departmentId },
    orderBy: [asc(N.name), asc(N.id)],
  }, q);
}

/** Sections, lowest sortOrder first, then by name; `productId`: those holding the product. */
export function sectionList(caller: PrincipalContext, secret: ListSecret, q: ById & { productId?: string | null }) {
  requirePermission(caller.principal, "products.view");
  const S = productSections;
  return entityList<typeof S, ProductSectionRow>(caller, secret, {
    table: S, kind: "product_section",
    filters: [byId(S.id, q.id), q.productId ? lists(S.productIds, q.productId) : undefined],
    filterKey: { id: q.id, productId: q.productId },
    orderBy: [asc(S.sortOrder), asc(S.name), asc(S.id)],
  }, q);
}

/** Sort options, lowest sortOrder first, then by name. */
export function sortOptionList(caller: PrincipalContext, secret: ListSecret, q: ById) {
  requirePermission(caller.principal, "products.view");
  const O = productSortOptions;
  return entityList<typeof O, ProductSortOptionRow>(caller, secret, {
    table: O, kind: "product_sort_option", filters: [byId(O.id, q.id)], filterKey: { id: q.id },
    orderBy: [asc(O.sortOrder), asc(O.name), asc(O.id)],
  }, q);
}

export interface SerialLotFilter {
  id?: string | null;
  productId?: string | null;
  storeId?: string | null;
  number?: string | null;
  kind?: SerialLotKind | null;
  status?: SerialLotStatus | null;
}

/** Serial and lot numbers of every store, by product then number (inventory.view). */
export function serialLotList(caller: PrincipalContext, secret: ListSecret, q: ListRequest & SerialLotFilter) {
  requirePermission(caller.principal, "inventory.view");
  const T = itemSerialLots;
  return entityList<typeof T, ItemSerialLotRow>(caller, secret, {
    table: T, kind: "item_serial_lot",
    filters: [
      byId(T.id, q.id),
      q.productId ? eq(T.productId, q.productId) : undefined,
      q.storeId ? eq(T.storeId, q.storeId) : undefined,
      q.number ? eq(T.number, q.number) : undefined,
      q.kind ? eq(T.kind, q.kind) : undefined,
      q.status ? eq(T.status, q.status) : undefined,
    ],
    filterKey: { id: q.id, productId: q.productId, storeId: q.storeId, number: q.number, kind: q.kind, status: q.status },
    orderBy: [asc(T.productId), asc(T.number), asc(T.id)],
  }, q);
}
