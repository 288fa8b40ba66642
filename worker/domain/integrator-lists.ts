import { isNull, sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Statement } from "../db/batch";
import type { PrincipalContext } from "./context";
import type { EntityTable } from "./entity";
import { changedSince, type FeedList } from "./feed-window";

/**
 * The two ways an integrator list pages: by position (`since` null: the live rows in the list's order, `first`
 * after `skip`, one more read to tell `hasMore`), or by change (`since`: see feed-window.ts; deleted rows come too).
 * One D1 round trip either way.
 */
export interface ListPage<Row> {
  rows: Row[];
  hasMore: boolean;
  /** Null when paging by position. */
  until: string | null;
}

export interface ListRequest {
  since: string | null;
  first: number;
  skip: number;
}

/** Where the list's `until` is made and checked: the server's secret. */
export interface ListSecret {
  untilSecret: string;
}

export async function entityList<T extends EntityTable, Row extends { id: string }>(
  caller: PrincipalContext,
  secret: ListSecret,
  spec: { table: T; kind: string; filters: (SQL | undefined)[]; filterKey?: Record<string, unknown>; orderBy: SQL[]; kinds?: FeedList["kinds"] },
  q: ListRequest,
): Promise<ListPage<Row>> {
  const { scope } = caller;
  const { table } = spec;
  if (q.since === null) {
    const rows = (await scope.db
      .select()
      .from(table as SQLiteTable)
      .where(scope.where(table, isNull(table.deletedAt), ...spec.filters))
      .orderBy(...spec.orderBy)
      .limit(q.first + 1)
      .offset(q.skip)) as Row[];
    return { rows: rows.slice(0, q.first), hasMore: rows.length > q.first, until: null };
  }
  const named = Object.fromEntries(Object.entries(spec.filterKey ?? {}).filter(([, v]) => v != null));
  const list: FeedList = { list: Object.keys(named).length ? `${spec.kind}${JSON.stringify(named)}` : spec.kind, kinds: spec.kinds ?? { [spec.kind]: null } };
  const page = await changedSince<Row>(
    caller,
    secret.untilSecret,
    list,
    { since: q.since, first: q.first },
    (keys) => scope.db.select().from(table as SQLiteTable).where(scope.where(table, sql`${table.id} IN ${keys}`, ...spec.filters)) as unknown as Statement,
    (r) => r.id,
  );
  return { rows: page.rows, hasMore: page.hasMore, until: page.until };
}
