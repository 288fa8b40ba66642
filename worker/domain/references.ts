import { isNull, sql, type SQL } from "drizzle-orm";
import type { AnySQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import { businessRule, type FieldError } from "./errors";

type LiveTable = SQLiteTable & { id: AnySQLiteColumn; tenantId: AnySQLiteColumn; deletedAt: AnySQLiteColumn };

/** `column IN (the ids)`, bound as one JSON parameter so that any number of ids stays under D1's parameter limit. */
export const inJson = (column: AnySQLiteColumn | SQL, ids: readonly string[]): SQL =>
  sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;

/** A field of a request that names rows of another table: one id, or a list of them (`storeIds`). */
export interface Reference {
  field: string;
  table: LiveTable;
  ids: string | readonly string[] | null | undefined;
  /** "a department", "a store": for the message. */
  noun: string;
}

/**
 * Reads that check references are this tenant's live rows, to run in the caller's batch, and the check of
 * their results: 422 UNKNOWN_REFERENCE naming each field (`departmentId`, `storeIds.2`) that names no such row.
 */
export function referenceCheck(scope: TenantScope, references: Reference[], message = "The request names rows that do not exist") {
  const named = references.filter((r) => r.ids != null && (typeof r.ids === "string" || r.ids.length > 0));
  const queries = named.map((r) => {
    const ids = typeof r.ids === "string" ? [r.ids] : [...(r.ids as readonly string[])];
    return scope.db.select({ id: r.table.id }).from(r.table).where(scope.where(r.table, inJson(r.table.id, ids), isNull(r.table.deletedAt))) as unknown as Statement;
  });
  return {
    queries,
    verify(results: unknown[]) {
      const fields: FieldError[] = [];
      named.forEach((r, i) => {
        const found = new Set((results[i] as { id: string }[]).map((row) => row.id));
        const problem = { message: `is not ${r.noun} of this tenant` };
        if (typeof r.ids === "string") {
          if (!found.has(r.ids)) fields.push({ path: r.field, ...problem });
        } else {
          (r.ids as readonly string[]).forEach((id, k) => found.has(id) || fields.push({ path: `${r.field}.${k}`, ...problem }));
        }
      });
      if (fields.length) throw businessRule("UNKNOWN_REFERENCE", message, fields);
    },
  };
}

/** Check references in a round trip of their own (none when nothing is named). */
export async function requireReferences(scope: TenantScope, references: Reference[], message?: string) {
  const check = referenceCheck(scope, references, message);
  if (check.queries.length === 0) return;
  check.verify(await scope.db.batch(check.queries as [Statement, ...Statement[]]));
}
