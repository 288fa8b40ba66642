import { sql, type SQL } from "drizzle-orm";
import { rawStatement, type Statement } from "../db/batch";
import type { PrincipalContext } from "./context";
import { validationFailed } from "./errors";
import { decodeSince, encodeUntil } from "./feed-cursor";

/**
 * Since & until for the integrator lists, on the change feed. An item (a product, a store, a product's stock in a
 * store) is in the window after `since` when a feed row of one of its kinds is; the window lists each item once,
 * at its newest change, oldest first, and a page is its first `first` items with their rows as they are now, read
 * in the same D1 batch (one round trip, one snapshot). `until` is the newest change of the page's last item: every
 * item whose newest change is at or before it is in this page or an earlier one, and any later write has a higher
 * seq, so the next page (`since` = `until`) finds it. Nothing is skipped, and an item comes again only when it
 * changed again. Soft-deleted rows come back as they are, with their deletedAt: the face answers them as deleted.
 */
export interface FeedList {
  /** The list and the filters that change what it holds: an until is good for that list only. */
  list: string;
  /** Feed kinds that bring an item into the window, each with the item's key as SQL over `cf` (null: cf.entity_id). */
  kinds: Record<string, SQL | null>;
  /** A further condition on the window's feed rows (`cf`), e.g. one store's. */
  where?: SQL;
}

export interface SincePage<Row> {
  rows: Row[];
  until: string;
  hasMore: boolean;
}

interface WindowRow { item_key: string; seq: number }

function windowOf(tenantId: string, list: FeedList, since: number, limit: number): SQL {
  const kinds = Object.keys(list.kinds);
  const cases = kinds.filter((k) => list.kinds[k]).map((k) => sql`WHEN ${k} THEN ${list.kinds[k]}`);
  const key = cases.length ? sql`CASE cf.entity ${sql.join(cases, sql` `)} ELSE cf.entity_id END` : sql`cf.entity_id`;
  return sql`SELECT w.item_key AS item_key, max(w.seq) AS seq FROM (
      SELECT ${key} AS item_key, cf.seq AS seq FROM change_feed AS cf
      WHERE cf.tenant_id = ${tenantId} AND cf.seq > ${since} AND cf.entity IN (SELECT value FROM json_each(${JSON.stringify(kinds)}))
        ${list.where ? sql`AND ${list.where}` : sql``}
    ) AS w WHERE w.item_key IS NOT NULL GROUP BY w.item_key ORDER BY seq LIMIT ${limit}`;
}

/**
 * The page of `list` after `since` ("" from the beginning): `rowsOf(keys)` is the statement reading the current
 * rows whose key (`keyOf`) is in the SQL list `keys`.
 */
export async function changedSince<Row>(
  caller: PrincipalContext,
  secret: string,
  list: FeedList,
  page: { since: string; first: number },
  rowsOf: (keys: SQL) => Statement,
  keyOf: (row: Row) => string,
): Promise<SincePage<Row>> {
  const { scope } = caller;
  if (page.since.length > 512) throw validationFailed([{ path: "since", message: "is too long to be an until of ours" }]);
  const since = page.since === "" ? 0 : await decodeSince(secret, page.since, { tenantId: scope.tenantId, list: list.list });
  const keys = sql`(SELECT pw.item_key FROM (${windowOf(scope.tenantId, list, since, page.first)}) AS pw)`;
  const [windowRows, rows] = (await scope.db.batch([
    rawStatement<WindowRow>(scope.db, windowOf(scope.tenantId, list, since, page.first + 1)),
    rowsOf(keys),
  ] as [Statement, Statement])) as unknown as [WindowRow[], Row[]];
  const window = windowRows.slice(0, page.first);
  const byKey = new Map(rows.map((r) => [keyOf(r), r]));
  const reached = window.at(-1)?.seq ?? since;
  return {
    rows: window.map((w) => byKey.get(w.item_key)).filter((r): r is Row => r !== undefined),
    until: await encodeUntil(secret, { tenantId: scope.tenantId, list: list.list, seq: reached }),
    hasMore: windowRows.length > page.first,
  };
}
