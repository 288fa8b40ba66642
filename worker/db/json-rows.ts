import { getTableColumns, is, SQL, sql } from "drizzle-orm";
import type { AnySQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Statement } from "./batch";
import type { TenantScope } from "./tenant-scope";

/**
 * Set-based writes of many rows: the rows travel as one JSON parameter and are read back with json_each, so a
 * statement that writes 250 rows binds a handful of parameters (D1 allows 100 per statement) and a batch
 * needs one statement per kind of write, not one per row (D1 allows 1000 per invocation).
 */

const PLAIN_FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The rows as a table source `json_each(?) AS j`, one row per element; read their fields with `jsonField`. */
export const jsonRows = (rows: readonly object[]): SQL => sql`json_each(${JSON.stringify(rows)}) AS j`;

/** A field of the current `jsonRows` element. JSON true/false read as 1/0, null as NULL, objects as JSON text. */
export function jsonField(field: string): SQL {
  if (!PLAIN_FIELD.test(field)) throw new Error(`jsonField: not a plain field name: ${field}`);
  return sql.raw(`json_extract(j.value, '$.${field}')`);
}

type TenantTable = SQLiteTable & { tenantId: AnySQLiteColumn };

/**
 * `INSERT INTO table SELECT ?, … FROM json_each(?)`: the rows (keyed by the table's property names, every row
 * with the keys of the first, values as the columns store them) for the scope's tenant, in one statement. A
 * column no row names gets its default (NULL for an autoincrement key). A json-mode column's value must be an
 * object or an array.
 */
export function insertFromJson<T extends TenantTable>(scope: TenantScope, table: T, rows: readonly Partial<Omit<T["$inferInsert"], "tenantId">>[]): Statement {
  const columns = Object.entries(getTableColumns(table) as Record<string, AnySQLiteColumn>).filter(([, c]) => !c.generated);
  const keys = Object.keys(rows[0] ?? {});
  const unknown = keys.filter((k) => k === "tenantId" || !columns.some(([name]) => name === k));
  if (rows.length === 0 || unknown.length) throw new Error(`insertFromJson: no rows, or keys that are not columns: ${unknown.join(", ")}`);
  const values = columns.map(([name, column]) =>
    name === "tenantId" ? sql`${scope.tenantId}`
    : keys.includes(name) ? jsonField(name)
    : column.default !== undefined ? (is(column.default, SQL) ? column.default : sql.param(column.default, column))
    : sql`NULL`,
  );
  // drizzle's own INSERT … SELECT: a raw statement with parameters cannot go into a D1 batch (drizzle 0.45)
  return scope.db.insert(table).select(sql`SELECT ${sql.join(values, sql`, `)} FROM ${jsonRows(rows)}`) as unknown as Statement;
}
