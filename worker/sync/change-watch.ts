/**
 * Which change-feed rows a piece of code committed, and for which tenant and store, learnt from D1's own answers
 * with no extra statement and no extra round trip: a D1 binding wrapped so that every statement inserting into
 * change_feed (drizzle's insert, an INSERT … SELECT from a cascade or json_each, raw SQL: however it is written)
 * is noticed by its SQL and gets `RETURNING seq, tenant_id, store_id` appended. Once its batch (or run) has
 * committed, the returned rows are handed to the sink and removed from the result, so the caller sees exactly the
 * answer it would have had without the clause. No caller has to report anything, and none can forget to.
 *
 * A statement that already has a RETURNING clause of its own is left alone; its rows are known only as a seq
 * range (from the result's meta), and their tenant and store are looked up later (notify.ts).
 */

export interface FeedRow {
  seq: number;
  tenantId: string;
  /** Null for a tenant-wide row (the catalogue): it concerns every store of the tenant. */
  storeId: string | null;
}

/** Seqs `from` to `to`, inclusive. */
export interface SeqRange {
  from: number;
  to: number;
}

export interface FeedSink {
  rows(rows: FeedRow[]): void;
  range(range: SeqRange): void;
}

/** A statement that inserts into change_feed (optionally after a WITH). */
const FEED_INSERT = /^\s*(?:with\b[\s\S]*?\)\s*)?insert\s+(?:or\s+\w+\s+)?into\s+["`[]?change_feed["`\]]?[\s(]/i;
const HAS_RETURNING = /\breturning\b/i;
const FEED_RETURNING = ` RETURNING "seq" AS "feed_seq", "tenant_id" AS "feed_tenant_id", "store_id" AS "feed_store_id"`;

export const insertsIntoChangeFeed = (sql: string) => FEED_INSERT.test(sql);

type Watch = "none" | "returning" | "meta";

/** The statement as it is sent, and how its committed rows are learnt. */
export function watchedSql(sql: string): { sql: string; watch: Watch } {
  if (!insertsIntoChangeFeed(sql)) return { sql, watch: "none" };
  if (HAS_RETURNING.test(sql)) return { sql, watch: "meta" };
  return { sql: sql.replace(/[\s;]+$/, "") + FEED_RETURNING, watch: "returning" };
}

type Returned = { feed_seq: number; feed_tenant_id: string; feed_store_id: string | null };

/** Hand the statement's committed rows to the sink; answer the result as the caller expects it. */
function noted<R extends D1Result | D1Response>(sink: FeedSink, watch: Watch, result: R): R {
  if (watch === "returning") {
    const rows = ((result as D1Result).results ?? []) as Returned[];
    if (rows.length) sink.rows(rows.map((r) => ({ seq: Number(r.feed_seq), tenantId: r.feed_tenant_id, storeId: r.feed_store_id ?? null })));
    return { ...result, results: [] };
  }
  if (watch === "meta") {
    const meta = result.meta as { changes?: number; last_row_id?: number };
    const changes = Number(meta.changes ?? 0);
    const last = Number(meta.last_row_id ?? 0);
    if (changes > 0 && last > 0) sink.range({ from: last - changes + 1, to: last });
  }
  return result;
}

class WatchedStatement {
  constructor(readonly inner: D1PreparedStatement, readonly watch: Watch, private readonly sink: FeedSink) {}
  bind(...values: unknown[]) {
    return new WatchedStatement(this.inner.bind(...values), this.watch, this.sink);
  }
  async first(column?: string) {
    if (this.watch === "none") return column === undefined ? this.inner.first() : this.inner.first(column);
    const row = (noted(this.sink, this.watch, await this.inner.all()).results[0] ?? null) as Record<string, unknown> | null;
    return row && column !== undefined ? row[column] : row;
  }
  async run() {
    return noted(this.sink, this.watch, await this.inner.run());
  }
  async all() {
    return noted(this.sink, this.watch, await this.inner.all());
  }
  async raw(options?: { columnNames?: boolean }) {
    if (this.watch === "none") return this.inner.raw(options as { columnNames: true });
    const rows = noted(this.sink, this.watch, await this.inner.all()).results as Record<string, unknown>[];
    const arrays = rows.map((r) => Object.values(r));
    return options?.columnNames ? [rows[0] ? Object.keys(rows[0]) : [], ...arrays] : arrays;
  }
}

class WatchedDatabase {
  constructor(private readonly inner: D1Database, private readonly sink: FeedSink) {}
  prepare(query: string) {
    const { sql, watch } = watchedSql(query);
    return new WatchedStatement(this.inner.prepare(sql), watch, this.sink);
  }
  async batch(statements: (D1PreparedStatement | WatchedStatement)[]) {
    const results = await this.inner.batch(statements.map((s) => (s instanceof WatchedStatement ? s.inner : s)));
    return results.map((result, i) => {
      const s = statements[i];
      return s instanceof WatchedStatement ? noted(this.sink, s.watch, result) : result;
    });
  }
  exec(query: string) {
    return this.inner.exec(query);
  }
  withSession(constraint?: string) {
    return this.inner.withSession(constraint);
  }
  dump() {
    return this.inner.dump();
  }
}

/** The binding as seen by code whose committed change-feed rows `sink` should hear of. */
export const watchChangeFeed = (db: D1Database, sink: FeedSink) => new WatchedDatabase(db, sink) as unknown as D1Database;

/** A store and the newest seq that concerns it. */
export interface StoreSeq {
  tenantId: string;
  storeId: string;
  seq: number;
}

/** What a request (or a hub command) committed: per store and per tenant (tenant-wide rows), the newest seq. */
export class CommittedChanges {
  readonly stores = new Map<string, StoreSeq>();
  readonly tenants = new Map<string, number>();
  readonly ranges: SeqRange[] = [];

  readonly sink: FeedSink = {
    rows: (rows) => {
      for (const { seq, tenantId, storeId } of rows) {
        if (storeId === null) {
          this.tenants.set(tenantId, Math.max(seq, this.tenants.get(tenantId) ?? 0));
        } else {
          const key = `${tenantId}:${storeId}`;
          this.stores.set(key, { tenantId, storeId, seq: Math.max(seq, this.stores.get(key)?.seq ?? 0) });
        }
      }
    },
    range: (range) => this.ranges.push(range),
  };

  get empty() {
    return this.stores.size === 0 && this.tenants.size === 0 && this.ranges.length === 0;
  }
}
