import { asc, eq } from "drizzle-orm";
import type { ReadBatcher } from "../db/read-batcher";
import { inKeyOrder } from "./catalogue-reads";
import { inJson } from "./references";
import { customers, stores, tenants } from "../../schema/db";
import type { PrincipalContext } from "./context";
import { notFound } from "./errors";
import { entityList, type ListRequest, type ListSecret } from "./integrator-lists";

/** Reads of the tenant, its stores and customers for the integrator faces. */

export type TenantRow = typeof tenants.$inferSelect;
export type StoreRow = typeof stores.$inferSelect;
export type CustomerRow = typeof customers.$inferSelect;

/** Stores by code (`id`: that one only). */
export const storeList = (caller: PrincipalContext, secret: ListSecret, q: ListRequest & { id?: string | null; code?: string | null }) =>
  entityList<typeof stores, StoreRow>(caller, secret, {
    table: stores, kind: "store", filters: [q.id ? eq(stores.id, q.id) : undefined, q.code ? eq(stores.code, q.code) : undefined],
    filterKey: { id: q.id, code: q.code }, orderBy: [asc(stores.code), asc(stores.id)],
  }, q);

export interface CustomerFilter {
  id?: string | null;
  customerNumber?: string | null;
  email?: string | null;
}

/** Customers by last name (or company), first name. */
export const customerList = (caller: PrincipalContext, secret: ListSecret, q: ListRequest & CustomerFilter) =>
  entityList<typeof customers, CustomerRow>(caller, secret, {
    table: customers, kind: "customer",
    filters: [q.id ? eq(customers.id, q.id) : undefined, q.customerNumber ? eq(customers.customerNumber, q.customerNumber) : undefined, q.email ? eq(customers.email, q.email) : undefined],
    filterKey: { id: q.id, customerNumber: q.customerNumber, email: q.email },
    orderBy: [asc(customers.lastName), asc(customers.companyName), asc(customers.firstName), asc(customers.id)],
  }, q);

/** The caller's tenant and, for a user, the store of their token: one round trip. */
export async function environmentOf(caller: PrincipalContext) {
  const { scope, principal } = caller;
  const [tenantRows, storeRows] = await scope.db.batch([
    scope.db.select().from(tenants).where(eq(tenants.id, scope.tenantId)),
    scope.select(stores, eq(stores.id, principal.storeId ?? "")),
  ]);
  const tenant = tenantRows[0];
  if (!tenant) throw notFound("Tenant");
  return { tenant, store: (storeRows[0] as StoreRow | undefined) ?? null };
}

/** The customers of these ids, deleted ones too (a sale names its customer whatever became of them). */
export async function customersByIds(caller: PrincipalContext, reads: ReadBatcher, ids: readonly string[]) {
  const rows = (await reads.read(caller.scope.select(customers, inJson(customers.id, ids)))) as CustomerRow[];
  return inKeyOrder(ids, rows, (r) => r.id, (found) => found[0] ?? null);
}
