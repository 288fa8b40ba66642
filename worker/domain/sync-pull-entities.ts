import { and, eq, getTableColumns, sql, type SQL } from "drizzle-orm";
import type { AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import type { PinVerifier, SyncEntityType } from "../../schema/contracts/sync-pull";
import {
  customers, departments, productBanners, productNotices, products, productSections, productSortOptions, registers, roles, salesReps, specials, storePrices, stores,
  taxGroupRates, taxGroups, taxRates, tenants, tenders, users, userStoreRoles,
} from "../../schema/db";
import { toBasisPoints } from "../../schema/money";
import type { Statement } from "../db/batch";
import type { Db } from "../db/client";
import { plainDto } from "./entity";
import { bannerDto } from "./product-banners";
import { noticeDto } from "./product-notices";
import { sectionDto } from "./product-sections";
import { sortOptionDto } from "./product-sort-options";
import { productDto } from "./products";
import { unionPermissions } from "./roles";
import { specialDto } from "./specials";
import { storeDto } from "./stores";
import { toIso } from "./versioning";

/**
 * What each entity type of a pull reads, and how its rows become changes. Every statement reads the rows of the
 * page's window of the change feed (the window repeated as a subquery, so all statements of the one batch see
 * the same rows), whatever their state: a soft-deleted row, or one this till no longer sees, is a tombstone.
 */

/** The page's slice of the change feed: the tenant's rows after `since` that concern this store, of `kinds`. */
export interface PullWindow {
  tenantId: string;
  storeId: string;
  since: number;
  limit: number;
  /** Feed entity kinds the page reads (the types asked for, and what their rows are made of). */
  kinds: string[];
}

export const windowRows = (w: PullWindow, limit: number): SQL =>
  sql`SELECT cf.seq AS seq, cf.entity AS entity, cf.entity_id AS entity_id FROM change_feed AS cf
    WHERE cf.tenant_id = ${w.tenantId} AND cf.seq > ${w.since} AND (cf.store_id IS NULL OR cf.store_id = ${w.storeId})
      AND cf.entity IN (SELECT value FROM json_each(${JSON.stringify(w.kinds)}))
    ORDER BY cf.seq LIMIT ${limit}`;

/** The ids of the window's changes of one kind. */
const idsOf = (w: PullWindow, kind: string): SQL => sql`(SELECT win.entity_id FROM (${windowRows(w, w.limit)}) AS win WHERE win.entity = ${kind})`;
const changedIn = (w: PullWindow, column: AnySQLiteColumn, kind: string): SQL => sql`${column} IN ${idsOf(w, kind)}`;

/** One row read for a pull, as a change: visible to this till (`data`) or a tombstone (`data` null). */
export interface PulledRow {
  id: string;
  version: number;
  data: unknown | null;
  /** Feed keys (`kind/id`) whose changes this row reflects: its own, and those it is made of (a group's rates). */
  keys: string[];
}

export interface EntitySource {
  type: SyncEntityType;
  /** Feed kinds whose changes bring this type's rows into a page. */
  kinds: string[];
  query(db: Db, w: PullWindow): Statement;
  rows(results: unknown[], w: PullWindow): PulledRow[];
}

export const feedKey = (kind: string, id: string) => `${kind}/${id}`;

type Row = Record<string, unknown> & { id: string; version: number; deletedAt: number | null };

/** A tenant-wide synced table whose rows a till sees as they are, until deleted. */
type PlainTable =
  | typeof departments | typeof taxRates | typeof products | typeof tenders | typeof customers | typeof salesReps
  | typeof productBanners | typeof productNotices | typeof productSections | typeof productSortOptions;

function plainSource<T extends PlainTable>(
  type: SyncEntityType,
  table: T,
  toDto: (row: never) => unknown,
): EntitySource {
  return {
    type,
    kinds: [type],
    query: (db, w) => db.select().from(table).where(and(eq(table.tenantId, w.tenantId), changedIn(w, table.id, type))) as unknown as Statement,
    rows: (results) =>
      (results as Row[]).map((r) => ({ id: r.id, version: r.version, data: r.deletedAt === null ? toDto(r as never) : null, keys: [feedKey(type, r.id)] })),
  };
}

/** A store's row (store price, register): only the device's store's are read at all. */
function storeRowSource<T extends typeof storePrices | typeof registers>(type: SyncEntityType, table: T, toDto: (row: never) => unknown): EntitySource {
  return {
    type,
    kinds: [type],
    query: (db, w) =>
      db.select().from(table).where(and(eq(table.tenantId, w.tenantId), eq(table.storeId, w.storeId), changedIn(w, table.id, type))) as unknown as Statement,
    rows: (results) =>
      (results as Row[]).map((r) => ({ id: r.id, version: r.version, data: r.deletedAt === null ? toDto(r as never) : null, keys: [feedKey(type, r.id)] })),
  };
}

const rateDto = (r: typeof taxRates.$inferSelect) => ({ ...plainDto(r), rate: toBasisPoints(r.rateMillionths) });

const storePriceDto = (r: typeof storePrices.$inferSelect) => ({
  id: r.id, storeId: r.storeId, productId: r.productId, price: r.price, version: r.version, createdAt: toIso(r.createdAt), updatedAt: toIso(r.updatedAt),
});

const tenantSource: EntitySource = {
  type: "tenant",
  kinds: ["tenant"],
  query: (db, w) => db.select().from(tenants).where(and(eq(tenants.id, w.tenantId), changedIn(w, tenants.id, "tenant"))) as unknown as Statement,
  rows: (results) =>
    (results as (typeof tenants.$inferSelect)[]).map((t) => ({
      id: t.id,
      version: t.version,
      data: t.deletedAt === null
        ? { id: t.id, name: t.name, currency: t.currency, taxRounding: t.taxRounding, pinLength: t.pinLength, allowUnreferencedReturns: t.allowUnreferencedReturns, version: t.version, updatedAt: toIso(t.updatedAt) }
        : null,
      keys: [feedKey("tenant", t.id)],
    })),
};

/** The device's own store only: the others' rows are in the window (the feed names no store for them) but never read. */
const storeSource: EntitySource = {
  type: "store",
  kinds: ["store"],
  query: (db, w) =>
    db.select().from(stores).where(and(eq(stores.tenantId, w.tenantId), eq(stores.id, w.storeId), changedIn(w, stores.id, "store"))) as unknown as Statement,
  rows: (results) =>
    (results as (typeof stores.$inferSelect)[]).map((s) => ({ id: s.id, version: s.version, data: s.deletedAt === null ? storeDto(s) : null, keys: [feedKey("store", s.id)] })),
};

/**
 * A group with its live rates in order. A rate's change changes every group holding it, so a group is read when
 * it changed or one of its rates did. (The outer column is spelled out: see taxes.ts.)
 */
const groupRatesJson = sql<string>`(SELECT json_group_array(json_object('id', r.id, 'name', r.name, 'rateMillionths', r.rate_millionths, 'isCompound', r.is_compound, 'sortOrder', gr.sort_order))
  FROM ${taxGroupRates} gr JOIN ${taxRates} r ON r.id = gr.tax_rate_id WHERE gr.tax_group_id = "tax_groups"."id" AND r.deleted_at IS NULL)`;

interface GroupRate { id: string; name: string; rateMillionths: number; isCompound: number | boolean; sortOrder: number }

const taxGroupSource: EntitySource = {
  type: "tax_group",
  kinds: ["tax_group", "tax_rate"],
  query: (db, w) =>
    db
      .select({ ...getTableColumns(taxGroups), rates: groupRatesJson })
      .from(taxGroups)
      .where(and(
        eq(taxGroups.tenantId, w.tenantId),
        sql`(${changedIn(w, taxGroups.id, "tax_group")} OR ${taxGroups.id} IN (SELECT gr.tax_group_id FROM ${taxGroupRates} gr WHERE gr.tax_rate_id IN ${idsOf(w, "tax_rate")}))`,
      )) as unknown as Statement,
  rows: (results) =>
    (results as (typeof taxGroups.$inferSelect & { rates: string })[]).map((g) => {
      const rates = (JSON.parse(g.rates) as GroupRate[])
        .sort((a, b) => a.sortOrder - b.sortOrder)
        .map((r) => ({ ...r, isCompound: !!r.isCompound, rate: toBasisPoints(r.rateMillionths) }));
      const { rates: _json, ...group } = g;
      return {
        id: g.id,
        version: g.version,
        data: g.deletedAt === null ? { ...plainDto(group), rates } : null,
        keys: [feedKey("tax_group", g.id), ...rates.map((r) => feedKey("tax_rate", r.id))],
      };
    }),
};

/** A special reaches the stores it names (none named: every store); leaving this store's list is a tombstone here. */
const specialSource: EntitySource = {
  type: "special",
  kinds: ["special"],
  query: (db, w) => db.select().from(specials).where(and(eq(specials.tenantId, w.tenantId), changedIn(w, specials.id, "special"))) as unknown as Statement,
  rows: (results, w) =>
    (results as (typeof specials.$inferSelect)[]).map((s) => ({
      id: s.id,
      version: s.version,
      data: s.deletedAt === null && (s.storeIds.length === 0 || s.storeIds.includes(w.storeId)) ? specialDto(s) : null,
      keys: [feedKey("special", s.id)],
    })),
};

/** PBKDF2 hashes are stored as `pbkdf2_sha256$<iterations>$<salt>$<hash>` (auth/credentials.ts). */
export function pinVerifier(pinHash: string | null): PinVerifier | null {
  const [scheme, iterations, salt, hash, ...rest] = (pinHash ?? "").split("$");
  if (scheme !== "pbkdf2_sha256" || !iterations || !salt || !hash || rest.length) return null;
  return { algorithm: "PBKDF2-SHA256", iterations: Number(iterations), salt, hash };
}

/**
 * The store's users: live, active, with a role in this store. A role's change changes what its holders may do,
 * so a user is read when they changed or one of their roles here did. Only the PIN's verifier leaves the server,
 * never its lookup value (the HMAC under the server's key that finds a PIN's owner), nor password hashes.
 */
const rolesHereJson = (storeId: string) =>
  sql<string>`(SELECT json_group_array(json_object('id', r.id, 'name', r.name, 'permissions', json(r.permissions)))
    FROM ${userStoreRoles} usr JOIN ${roles} r ON r.id = usr.role_id
    WHERE usr.user_id = "users"."id" AND usr.store_id = ${storeId} AND r.deleted_at IS NULL)`;

const userSource: EntitySource = {
  type: "user",
  kinds: ["user", "role"],
  query: (db, w) =>
    db
      .select({
        id: users.id, username: users.username, displayName: users.displayName, isActive: users.isActive, pinHash: users.pinHash,
        version: users.version, updatedAt: users.updatedAt, deletedAt: users.deletedAt, roles: rolesHereJson(w.storeId),
      })
      .from(users)
      .where(and(
        eq(users.tenantId, w.tenantId),
        sql`(${changedIn(w, users.id, "user")} OR ${users.id} IN (SELECT usr.user_id FROM ${userStoreRoles} usr WHERE usr.store_id = ${w.storeId} AND usr.role_id IN ${idsOf(w, "role")}))`,
      )) as unknown as Statement,
  rows: (results) =>
    (results as { id: string; username: string; displayName: string; isActive: boolean; pinHash: string | null; version: number; updatedAt: number; deletedAt: number | null; roles: string }[]).map((u) => {
      const held = (JSON.parse(u.roles) as { id: string; name: string; permissions: string[] }[]).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
      const visible = u.deletedAt === null && u.isActive && held.length > 0;
      return {
        id: u.id,
        version: u.version,
        data: visible
          ? {
            id: u.id, username: u.username, displayName: u.displayName, isActive: u.isActive,
            roles: held.map((r) => ({ id: r.id, name: r.name })), permissions: unionPermissions(held.map((r) => r.permissions)),
            pinVerifier: pinVerifier(u.pinHash), version: u.version, updatedAt: toIso(u.updatedAt),
          }
          : null,
        keys: [feedKey("user", u.id), ...held.map((r) => feedKey("role", r.id))],
      };
    }),
};

/** Every type, in the order a page lists changes of the same seq (what rows refer to comes first). */
export const ENTITY_SOURCES: EntitySource[] = [
  tenantSource,
  storeSource,
  storeRowSource("register", registers, (r: typeof registers.$inferSelect) => plainDto(r)),
  userSource,
  plainSource("department", departments, (r: typeof departments.$inferSelect) => plainDto(r)),
  plainSource("tax_rate", taxRates, rateDto),
  taxGroupSource,
  plainSource("product", products, productDto),
  storeRowSource("store_price", storePrices, storePriceDto),
  specialSource,
  plainSource("tender", tenders, (r: typeof tenders.$inferSelect) => plainDto(r)),
  plainSource("customer", customers, (r: typeof customers.$inferSelect) => plainDto(r)),
  plainSource("sales_rep", salesReps, (r: typeof salesReps.$inferSelect) => plainDto(r)),
  plainSource("product_banner", productBanners, bannerDto),
  plainSource("product_notice", productNotices, noticeDto),
  plainSource("product_section", productSections, sectionDto),
  plainSource("product_sort_option", productSortOptions, sortOptionDto),
];
