import { count, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { PageQuery } from "../../schema/contracts/common";
import type { Db } from "./client";

/** One page of a list, and how many there are in all. */
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

interface PageableQuery<Row> {
  limit(n: number): { offset(n: number): PromiseLike<Row[]> & object };
}

/** A page of rows and the total, read in one D1 round trip (a batch of the count and the page). */
export async function readPage<Row, Item>(
  db: Db,
  from: SQLiteTable,
  where: SQL,
  rows: PageableQuery<Row>,
  page: PageQuery,
  toItem: (row: Row) => Item,
): Promise<Page<Item>> {
  const counted = db.select({ total: count() }).from(from).where(where);
  const pageRows = rows.limit(page.pageSize).offset((page.page - 1) * page.pageSize);
  const [[totalRow], items] = (await db.batch([counted, pageRows as never])) as unknown as [[{ total: number }], Row[]];
  return { items: items.map(toItem), total: totalRow?.total ?? 0, page: page.page, pageSize: page.pageSize };
}
