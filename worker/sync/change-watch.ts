/**
 * Which change-feed rows a piece of code committed, learnt for free from D1's own answers: a D1 binding wrapped so
 * that every statement inserting into change_feed is noticed by its SQL, and, once its batch (or run) has
 * committed, the seqs it inserted are read from the statement's result meta (`last_row_id` is the last seq it
 * inserted, `changes` how many rows; seq is the table's autoincrement rowid, so one statement's rows are
 * consecutive). No extra statement, no extra round trip, and it covers every way rows are inserted (drizzle's
 * insert, INSERT … SELECT from a cascade or json_each, raw SQL), without any caller having to report anything.
 *
 * Which tenant and store the rows are for is read later, off the request's path (notify.ts).
 */

/** Seqs `from` to `to`, inclusive. */
export interface SeqRange {
  from: number;
  to: number;
}

/** A statement that inserts into change_feed (optionally after a WITH). */
const FEED_INSERT = /^\s*(?:with\b[\s\S]*?\)\s*)?insert\s+(?:or\s+\w+\s+)?into\s+["`[]?change_feed["`\]]?[\s(]/i;

export const insertsIntoChangeFeed = (sql: string) => FEED_INSERT.test(sql);

type Sink = (range: SeqRange) => void;

function noteResult(sink: Sink, result: D1Result | D1Response | undefined) {
  const meta = result?.meta as { changes?: number; last_row_id?: number } | undefined;
  const changes = Number(meta?.changes ?? 0);
  const last = Number(meta?.last_row_id ?? 0);
  if (changes > 0 && last > 0) sink({ from: last - changes + 1, to: last });
}

class WatchedStatement {
  constructor(readonly inner: D1PreparedStatement, readonly feed: boolean, private readonly sink: Sink) {}
  bind(...values: unknown[]) {
    return new WatchedStatement(this.inner.bind(...values), this.feed, this.sink);
  }
  first(column?: string) {
    return column === undefined ? this.inner.first() : this.inner.first(column);
  }
  async run() {
    const result = await this.inner.run();
    if (this.feed) noteResult(this.sink, result);
    return result;
  }
  async all() {
    const result = await this.inner.all();
    if (this.feed) noteResult(this.sink, result);
    return result;
  }
  raw(options?: { columnNames?: boolean }) {
    return this.inner.raw(options as { columnNames: true });
  }
}

class WatchedDatabase {
  constructor(private readonly inner: D1Database, private readonly sink: Sink) {}
  prepare(query: string) {
    return new WatchedStatement(this.inner.prepare(query), insertsIntoChangeFeed(query), this.sink);
  }
  async batch(statements: (D1PreparedStatement | WatchedStatement)[]) {
    const results = await this.inner.batch(statements.map((s) => (s instanceof WatchedStatement ? s.inner : s)));
    statements.forEach((s, i) => {
      if (s instanceof WatchedStatement && s.feed) noteResult(this.sink, results[i]);
    });
    return results;
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
export const watchChangeFeed = (db: D1Database, sink: Sink) => new WatchedDatabase(db, sink) as unknown as D1Database;

/** The ranges a request (or a hub command) committed, merged where they touch. */
export class CommittedChanges {
  private readonly ranges: SeqRange[] = [];
  readonly sink: Sink = (range) => this.ranges.push(range);

  get empty() {
    return this.ranges.length === 0;
  }

  /** The ranges so far (merged, in order), and forget them. */
  take(): SeqRange[] {
    const sorted = this.ranges.splice(0).sort((a, b) => a.from - b.from);
    const merged: SeqRange[] = [];
    for (const r of sorted) {
      const last = merged[merged.length - 1];
      if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
      else merged.push({ ...r });
    }
    return merged;
  }
}
