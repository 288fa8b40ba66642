import { sql, type SQL } from "drizzle-orm";
import type { AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { foldForSearch } from "../../schema/contracts/text";

/**
 * Search matches a folded copy of a row's searched fields (`search_text`), written with the row, against the
 * folded query with instr(): case-insensitive in every script (SQLite's LIKE and lower() fold ASCII only), no
 * pattern-length limit (D1 caps LIKE patterns at 50 bytes) and nothing to escape.
 */

/** The `search_text` of a row: each searched field folded, one per line (a query never spans two fields). */
export const searchText = (fields: readonly (string | null | undefined)[]): string =>
  fields.filter((f): f is string => !!f).map(foldForSearch).filter(Boolean).join("\n");

/** Rows whose search text holds the query; undefined (no filter) for a missing or blank query. */
export function matchesSearch(column: AnySQLiteColumn, query: string | undefined): SQL | undefined {
  const folded = query ? foldForSearch(query) : "";
  return folded ? sql`instr(${column}, ${folded}) > 0` : undefined;
}
