import { asc, eq, getTableName, isNull, type SQL } from "drizzle-orm";
import type { AnySQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { PageQuery } from "../../schema/contracts/common";
import { expectOneChange, type Statement } from "../db/batch";
import { readPage } from "../db/paging";
import type { TenantScope } from "../db/tenant-scope";
import type { Page } from "../db/paging";
import { conflict, notFound } from "./errors";
import type { PrincipalContext, ServiceContext } from "./context";
import { recordAudit, recordChange } from "./journal";
import { checkVersion, commitWrite, type UniqueRule } from "./versioning";

/** Who writes through an entity service: a REST route's ServiceContext, or an integrator face's PrincipalContext. */
export type EntityContext = ServiceContext | PrincipalContext;

/** The actor the audit log names for a write of either context. */
export const auditActor = (ctx: EntityContext): { actorType: "user" | "client"; actorId: string } =>
  "principal" in ctx ? { actorType: ctx.principal.kind, actorId: ctx.principal.actorId } : { actorType: "user", actorId: ctx.actor.userId };

/** A synced, tenant-owned table: id, version, timestamps and soft delete. */
export type EntityTable = SQLiteTable & {
  id: AnySQLiteColumn;
  tenantId: AnySQLiteColumn;
  version: AnySQLiteColumn;
  updatedAt: AnySQLiteColumn;
  deletedAt: AnySQLiteColumn;
};

interface EntityRow {
  id: string;
  tenantId: string;
  version: number;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

/** What a caller writes of a row: everything but the columns the service keeps itself. */
type Fields<Row> = Omit<Row, keyof EntityRow | "searchText">;

export interface EntitySpec<T extends EntityTable, Row extends EntityRow, Dto> {
  /** For people: "Store", "Tax group". */
  label: string;
  /** For the change feed and audit log: "store", "tax_group". */
  kind: string;
  table: T;
  toDto(row: Row): Dto;
  /** UNIQUE indexes and the error each maps to, for a row about to be written. */
  unique?(row: Row): UniqueRule[];
  /** The store a row belongs to, for rows that concern one store only (change-feed routing). */
  storeOf?(row: Row): string | null;
  /** For a table with a search column: the row's `search_text` (searchText of its searched fields), kept with every write. */
  searchText?(row: NoInfer<Row>): string;
}

/**
 * The life of a synced entity, written once: find (404 across tenants), list a page in one round trip,
 * create, update with optimistic concurrency (409 with the current row), soft delete. Each write is one batch
 * with its change-feed row and audit entry; callers add statements of their own (child rows) to the batch.
 */
export function entityService<T extends EntityTable, Row extends EntityRow, Dto>(spec: EntitySpec<T, Row, Dto>) {
  const { table, label, kind } = spec;
  const withSearchText = (row: Row): Row => (spec.searchText ? ({ ...row, searchText: spec.searchText(row) } as Row) : row);
  const live = isNull(table.deletedAt);

  async function find(scope: TenantScope, id: string): Promise<Row> {
    const [row] = await scope.select(table, eq(table.id, id), live);
    if (!row) throw notFound(label);
    return row as Row;
  }

  const stale = (scope: TenantScope, id: string) => async (): Promise<never> => {
    const now = await find(scope, id);
    throw conflict("VERSION_CONFLICT", `${label} changed while you edited it; it is now at version ${now.version}`, spec.toDto(now));
  };

  const journal = (ctx: EntityContext, row: Row, op: "upsert" | "delete", action: string, detail?: Record<string, unknown>): Statement[] => [
    recordChange(ctx.scope, { entity: kind, entityId: row.id, op, version: row.version, storeId: spec.storeOf?.(row) ?? null }, ctx.request.now),
    recordAudit(ctx.scope.db, { tenantId: ctx.scope.tenantId, ...auditActor(ctx), action: `${kind}.${action}`, entity: kind, entityId: row.id, detail }, ctx.request),
  ];

  const uniqueRules = (row: Row): UniqueRule[] => [
    ...(spec.unique?.(row) ?? []),
    { column: `${getTableName(table)}.id`, error: () => conflict("ID_TAKEN", `The id ${row.id} is already used`) },
  ];

  return {
    find,
    get: async (ctx: EntityContext, id: string) => spec.toDto(await find(ctx.scope, id)),

    list(ctx: EntityContext, page: PageQuery, filters: (SQL | undefined)[] = [], orderBy: SQL | AnySQLiteColumn = asc(table.id)): Promise<Page<Dto>> {
      const where = ctx.scope.where(table, live, ...filters);
      const rows = ctx.scope.db.select().from(table as SQLiteTable).where(where).orderBy(orderBy);
      return readPage(ctx.scope.db, table, where, rows, page, (r) => spec.toDto(r as Row));
    },

    /** `before`: statements that must run ahead of the insert (clearing a flag a unique index allows once). */
    async create(ctx: EntityContext, fields: Fields<Row> & { id?: string }, extra: Statement[] = [], before: Statement[] = []): Promise<Dto> {
      const now = ctx.request.now;
      const row = withSearchText({ ...fields, id: fields.id ?? crypto.randomUUID(), tenantId: ctx.scope.tenantId, version: 1, createdAt: now, updatedAt: now, deletedAt: null } as unknown as Row);
      await commitWrite(ctx.scope.db, [...before, ctx.scope.insert(table, row as never), ...extra, ...journal(ctx, row, "upsert", "create")], { unique: uniqueRules(row) });
      return spec.toDto(row);
    },

    /**
     * Apply `changes` (undefined fields are left alone) if the client's version is current. `changes` may be a
     * function of the current row, which may also refuse (throw) when the row's state forbids the change.
     * Changes that leave every field as it is, with no `extra` statements, write nothing and answer the row.
     */
    async update(
      ctx: EntityContext,
      id: string,
      changesOrRule: Partial<Fields<Row>> | ((current: Row) => Partial<Fields<Row>>),
      expectedVersion: number | undefined,
      extra: (next: Row) => Statement[] = () => [],
      before: (next: Row) => Statement[] = () => [],
    ): Promise<Dto> {
      const current = await find(ctx.scope, id);
      checkVersion(label, current.version, expectedVersion, () => spec.toDto(current));
      const changes = typeof changesOrRule === "function" ? changesOrRule(current) : changesOrRule;
      const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
      const next = withSearchText({ ...current, ...defined, version: current.version + 1, updatedAt: ctx.request.now } as Row);
      const children = extra(next);
      // Nothing to change: no new version, no feed or audit row; the answer is the row as it is.
      if (changedFields(current, defined).length === 0 && children.length === 0) return spec.toDto(current);
      const { id: _id, tenantId: _t, createdAt: _c, ...set } = next;
      await commitWrite(
        ctx.scope.db,
        [
          ...before(next),
          ctx.scope.update(table, set as never, eq(table.id, id), eq(table.version, current.version)),
          expectOneChange(ctx.scope.db),
          ...children,
          ...journal(ctx, next, "upsert", "update", { fields: Object.keys(defined) }),
        ],
        { onStale: stale(ctx.scope, id), unique: uniqueRules(next) },
      );
      return spec.toDto(next);
    },

    /** Soft delete: the row stays for history and sync (tills learn of it from the feed) but is gone from the API. */
    async remove(ctx: EntityContext, id: string, expectedVersion: number | undefined, extra: Statement[] = [], check?: (current: Row) => void): Promise<void> {
      const current = await find(ctx.scope, id);
      checkVersion(label, current.version, expectedVersion, () => spec.toDto(current));
      check?.(current);
      const next = { ...current, version: current.version + 1, updatedAt: ctx.request.now, deletedAt: ctx.request.now };
      await commitWrite(
        ctx.scope.db,
        [
          ctx.scope.update(table, { version: next.version, updatedAt: next.updatedAt, deletedAt: next.deletedAt } as never, eq(table.id, id), eq(table.version, current.version)),
          expectOneChange(ctx.scope.db),
          ...extra,
          ...journal(ctx, next, "delete", "delete"),
        ],
        { onStale: stale(ctx.scope, id) },
      );
    },
  };
}

/** Column values as the database returns them: equal when they are the same scalar or the same JSON. */
const sameValue = (a: unknown, b: unknown) =>
  a === b || (typeof a === "object" && a !== null && typeof b === "object" && b !== null && JSON.stringify(a) === JSON.stringify(b));

/** The fields of `changes` (undefined: left alone) whose value differs from the row's. */
export const changedFields = (current: object, changes: Record<string, unknown>) =>
  Object.keys(changes).filter((k) => changes[k] !== undefined && !sameValue((current as Record<string, unknown>)[k], changes[k]));

/** The API shape of a plain synced row: every column but tenant, deletion and search text, timestamps as ISO strings. */
export function plainDto<Row extends EntityRow>(row: Row) {
  const { tenantId: _tenant, deletedAt: _deleted, searchText: _search, createdAt, updatedAt, ...rest } = row as Row & { searchText?: string };
  return { ...rest, createdAt: new Date(createdAt).toISOString(), updatedAt: new Date(updatedAt).toISOString() };
}

/** The optional fields named, with those the client left out as the nulls their columns hold. */
export const withNulls = <T extends Record<string, unknown>, K extends string>(fields: T, keys: readonly K[]) =>
  ({ ...fields, ...Object.fromEntries(keys.map((k) => [k, fields[k] ?? null])) }) as Omit<T, K> & { [P in K]: Exclude<T[P & keyof T], undefined> | null };
