import { isNull, sql, type SQL } from "drizzle-orm";
import type { AnySQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { changeFeed } from "../../schema/db";
import type { Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";

type SyncedTable = SQLiteTable & {
  id: AnySQLiteColumn;
  tenantId: AnySQLiteColumn;
  version: AnySQLiteColumn;
  updatedAt: AnySQLiteColumn;
  deletedAt: AnySQLiteColumn;
};

/**
 * Change every live row of `table` matching `where` (clear a flag, or soft delete them with `op: "delete"`),
 * each one's version + 1 and its change-feed row, without reading them first: the feed rows are inserted from
 * the rows as they are, then the rows are updated, both in the caller's batch (one transaction, so the same rows).
 * For the rows a write drags along with it (a deleted product's store prices), not for the row it is about.
 */
export function updateEach(
  scope: TenantScope,
  options: { table: SyncedTable; kind: string; where: SQL; set?: Record<string, unknown>; op?: "upsert" | "delete"; storeId?: AnySQLiteColumn; now: number },
): Statement[] {
  const { table, kind, now } = options;
  const op = options.op ?? "upsert";
  const live = scope.where(table, isNull(table.deletedAt), options.where);
  const feedRows = scope.db
    .select({
      seq: sql<number>`NULL`.as("seq"),
      tenantId: table.tenantId,
      storeId: (options.storeId ? sql`${options.storeId}` : sql`NULL`).as("store_id"),
      entity: sql<string>`${kind}`.as("entity"),
      entityId: table.id,
      op: sql<string>`${op}`.as("op"),
      version: sql<number>`${table.version} + 1`.as("version"),
      at: sql<number>`${now}`.as("at"),
    })
    .from(table)
    .where(live);
  const set = { ...options.set, version: sql`${table.version} + 1`, updatedAt: now, ...(op === "delete" ? { deletedAt: now } : {}) };
  return [scope.db.insert(changeFeed).select(feedRows as never), scope.update(table, set as never, isNull(table.deletedAt), options.where)];
}
