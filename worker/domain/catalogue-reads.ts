import { asc, eq, isNull } from "drizzle-orm";
import { departments } from "../../schema/db";
import type { PrincipalContext } from "./context";
import { inJson } from "./references";
import type { ReadBatcher } from "../db/read-batcher";

/**
 * Catalogue reads for the integrator faces (GraphQL): each takes the caller's PrincipalContext. Reads of related
 * rows (`…ByIds`) go through the request's ReadBatcher, so that the reads of one tick share a D1 batch, and answer
 * one value per id, in the ids' order.
 */

export type DepartmentRow = typeof departments.$inferSelect;

/** One value per key, in the keys' order, from rows grouped by `keyOf`. */
export function inKeyOrder<K, R, V>(keys: readonly K[], rows: readonly R[], keyOf: (row: R) => K, value: (rows: R[]) => V): V[] {
  const grouped = new Map<K, R[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const list = grouped.get(key);
    if (list) list.push(row);
    else grouped.set(key, [row]);
  }
  return keys.map((key) => value(grouped.get(key) ?? []));
}

/** A page of live departments by name (`id`: that one only), one past the page to tell whether there are more. */
export async function departmentPage(caller: PrincipalContext, q: { id?: string | null; first: number; skip: number }) {
  const { scope } = caller;
  const rows = (await scope
    .select(departments, isNull(departments.deletedAt), q.id ? eq(departments.id, q.id) : undefined)
    .orderBy(asc(departments.name), asc(departments.id))
    .limit(q.first + 1)
    .offset(q.skip)) as DepartmentRow[];
  return { items: rows.slice(0, q.first), hasMore: rows.length > q.first };
}

/** The live departments of these ids (null where there is none), in one statement of the request's next batch. */
export async function departmentsByIds(caller: PrincipalContext, reads: ReadBatcher, ids: readonly string[]) {
  const { scope } = caller;
  const rows = (await reads.read(scope.select(departments, inJson(departments.id, ids), isNull(departments.deletedAt)))) as DepartmentRow[];
  return inKeyOrder(ids, rows, (r) => r.id, (found) => found[0] ?? null);
}
