import { sql, type SQL } from "drizzle-orm";
import type { Permission } from "../../schema/permissions";
import { rawStatement, type Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import { forbidden, notFound } from "./errors";
import type { ServiceContext } from "./context";
import { Access, accessQuery, type AccessRow } from "./grants";

/**
 * Which stores and business dates a report reads, and who may read them: one store (store_id; the report's
 * permission is needed there: 403 MISSING_PERMISSION_IN_STORE, 404 for a store that is not the tenant's) or every
 * live store where the caller holds the report's permission. The permitted stores are a subquery of the report's
 * own statements, so a report costs one D1 round trip with its checks.
 */

export type Row = Record<string, unknown>;
export const num = (v: unknown) => Number(v ?? 0);

export interface StoreInfo {
  id: string;
  code: string;
  name: string;
  currency: string;
  timeZone: string;
}

export interface ReportFilter {
  date_from?: string;
  date_to?: string;
  store_id?: string;
}

export interface ReportWhere {
  /** `alias.tenant_id = … AND alias.store_id IN (the report's stores)`. */
  stores(alias: string): SQL;
  /** The stores and `alias.business_date` within the dates. */
  days(alias: string, from?: string, to?: string): SQL;
}

const col = (alias: string, column: string) => sql.raw(`${alias}.${column}`);

/** The live stores where the user holds the permission (a subquery of store ids). */
const permittedStores = (scope: TenantScope, userId: string, permission: Permission) => sql`(SELECT usr.store_id FROM user_store_roles usr
  JOIN roles ro ON ro.id = usr.role_id JOIN stores st ON st.id = usr.store_id
  WHERE usr.tenant_id = ${scope.tenantId} AND usr.user_id = ${userId} AND ro.deleted_at IS NULL AND st.deleted_at IS NULL
    AND EXISTS (SELECT 1 FROM json_each(ro.permissions) pe WHERE pe.value = ${permission}))`;

export interface ReportRead {
  results: Row[][];
  /** Every live store of the tenant, by id. */
  stores: Map<string, StoreInfo>;
  /** The stores the report covers, by code. */
  storeIds: string[];
  filters: { dateFrom: string | null; dateTo: string | null; storeIds: string[] };
}

/** Run a report's statements for the filter's stores and dates, with the store and permission checks, in one round trip. */
export async function readReport(ctx: ServiceContext, permission: Permission, q: ReportFilter, build: (where: ReportWhere) => SQL[]): Promise<ReportRead> {
  const { scope, actor } = ctx;
  const storeCondition = q.store_id ? sql`= ${q.store_id}` : sql`IN ${permittedStores(scope, actor.userId, permission)}`;
  const where: ReportWhere = {
    stores: (a) => sql`${col(a, "tenant_id")} = ${scope.tenantId} AND ${col(a, "store_id")} ${storeCondition}`,
    days: (a, from = q.date_from, to = q.date_to) => sql.join([
      where.stores(a),
      ...(from ? [sql`${col(a, "business_date")} >= ${from}`] : []),
      ...(to ? [sql`${col(a, "business_date")} <= ${to}`] : []),
    ], sql` AND `),
  };
  const statements: Statement[] = [
    rawStatement(scope.db, sql`SELECT id, code, name, currency, time_zone FROM stores WHERE tenant_id = ${scope.tenantId} AND deleted_at IS NULL ORDER BY code`),
    accessQuery(scope, actor.userId) as unknown as Statement,
    ...build(where).map((s) => rawStatement(scope.db, s)),
  ];
  const [storeRows, accessRows, ...results] = (await scope.db.batch(statements as [Statement, ...Statement[]])) as unknown as Row[][];
  const stores = new Map((storeRows as Row[]).map((s) => [String(s.id), { id: String(s.id), code: String(s.code), name: String(s.name), currency: String(s.currency), timeZone: String(s.time_zone) }]));
  const access = new Access(accessRows as unknown as AccessRow[]);
  let storeIds: string[];
  if (q.store_id) {
    const store = stores.get(q.store_id);
    if (!store) throw notFound("Store");
    if (!access.has(store.id, permission)) throw forbidden(`This report needs the permission ${permission} in store ${store.code}`, "MISSING_PERMISSION_IN_STORE");
    storeIds = [store.id];
  } else {
    storeIds = [...stores.values()].filter((s) => access.has(s.id, permission)).map((s) => s.id);
  }
  return { results, stores, storeIds, filters: { dateFrom: q.date_from ?? null, dateTo: q.date_to ?? null, storeIds } };
}

/** a × b / c in integers, rounded half away from zero (BigInt inside: quantities × prices overflow doubles). */
export function mulDiv(a: number, b: number, c: number): number {
  if (c === 0) return 0;
  const n = BigInt(a) * BigInt(b);
  const d = BigInt(c);
  const neg = (n < 0n) !== (d < 0n);
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = (an * 2n + ad) / (2n * ad);
  return Number(neg ? -q : q);
}

/** a / b rounded half away from zero, or null when b is 0 (a share of nothing). */
export const ratio = (a: number, b: number, scale: number): number | null => (b === 0 ? null : mulDiv(a, scale, b));

/** Sum the numeric fields `keys` of rows. */
export function sumOf<K extends string>(rows: Record<K, number>[], keys: readonly K[]): Record<K, number> {
  const total = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const r of rows) for (const k of keys) total[k] += r[k];
  return total;
}
