import { sql, type SQL } from "drizzle-orm";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import type { BatchItem } from "drizzle-orm/batch";
import { batchGuard, writeGuards } from "../../schema/db";
import type { Db } from "./client";

export type Statement = BatchItem<"sqlite">;

/** Max bound parameters per statement we allow ourselves (D1 rejects more than 100). */
export const MAX_PARAMS = 90;

/** Run statements as one D1 batch: one round trip, one transaction, all or nothing. */
export async function commit(db: Db, statements: Statement[]) {
  if (statements.length === 0) return [];
  return db.batch(statements as [Statement, ...Statement[]]);
}

/**
 * A statement that aborts the batch (batch_guard's CHECK) unless `condition` holds when it runs, that is with
 * the statements before it in the batch applied; `isGuardFailure` tells its failure. For "the row is still as I
 * read it" and the like, where the caller answers a 409 or re-reads.
 */
export const expectThat = (db: Db, condition: SQL): Statement =>
  db.insert(batchGuard).values({ id: 1, ok: sql`(${condition})` }).onConflictDoUpdate({ target: batchGuard.id, set: { ok: sql`excluded.ok` } });

/** Aborts the batch unless the statement right before it changed exactly `n` rows. */
export const expectChanges = (db: Db, n: number): Statement => expectThat(db, sql`changes() = ${n}`);

/**
 * Aborts the batch unless the statement right before it changed exactly one row. Put it after an UPDATE
 * guarded by `version = ?` to make compare-and-set atomic with everything else in the batch.
 */
export const expectOneChange = (db: Db): Statement => expectChanges(db, 1);

/** The named guards of write_guards (schema/db/journal.ts): each kind's CHECK constraint says which failed. */
export const WRITE_GUARDS = {
  session: "session_live",
  device: "device_live",
  client: "client_live",
  last_admin: "last_administrator",
  session_open: "register_session_open",
  return_limit: "return_within_sold",
} as const;
export type WriteGuardKind = keyof typeof WRITE_GUARDS;

/** A named guard: aborts the batch unless `condition` holds, with an error naming the guard (`isCheckFailure`). */
export const guard = (db: Db, kind: WriteGuardKind, condition: SQL): Statement =>
  db.insert(writeGuards).values({ kind, ok: sql`(${condition})` }).onConflictDoUpdate({ target: writeGuards.kind, set: { ok: sql`excluded.ok` } });

/** Split rows so that each multi-row insert stays under D1's bound-parameter limit. */
export function chunkRows<T>(rows: T[], columnsPerRow: number): T[][] {
  const size = Math.max(1, Math.floor(MAX_PARAMS / columnsPerRow));
  const chunks: T[][] = [];
  for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size));
  return chunks;
}

function messages(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e && depth < 5; depth++) {
    if (e instanceof Error) parts.push(e.message);
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join(" | ");
}

/** True when a batch failed on the CHECK constraint of that name. */
export const isCheckFailure = (error: unknown, constraint: string) => new RegExp(`CHECK constraint failed: ${constraint}`, "i").test(messages(error));

/** True when a batch failed on the guard of `expectThat` (and so `expectChanges`, `expectOneChange`). */
export const isGuardFailure = (error: unknown) => isCheckFailure(error, "batch_guard");

/** True when a batch failed on the named guard `kind` (`guard`). */
export const isWriteGuardFailure = (error: unknown, kind: WriteGuardKind) => isCheckFailure(error, WRITE_GUARDS[kind]);

/** True when a batch failed on a UNIQUE constraint of the given index columns (e.g. "store_pins.pin_lookup"). */
export const isUniqueViolation = (error: unknown, column: string) => {
  const text = messages(error);
  return /UNIQUE constraint failed/i.test(text) && text.includes(column);
};

const dialect = new SQLiteSyncDialect();

/**
 * A hand-written statement as a batch item whose rows come back as objects. (drizzle's own `db.run(sql)` cannot
 * be batched with bound parameters.) For SQL the query builder cannot say, e.g. INSERT … SELECT without a table.
 */
export function rawStatement<Row = Record<string, unknown>>(db: Db, query: SQL): Statement & { readonly __rows?: Row } {
  const { sql: text, params } = dialect.sqlToQuery(query);
  const prepared = {
    stmt: db.$client.prepare(text),
    getQuery: () => ({ sql: text, params }),
    mapResult: (result: D1Result<Row>) => result.results,
  };
  return { _prepare: () => prepared } as unknown as Statement;
}
