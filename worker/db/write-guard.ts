import { unauthenticated } from "../domain/errors";
import { isWriteGuardFailure } from "./batch";

/**
 * Every write of a signed-in caller checks, inside its own batch and with no extra round trip, that the caller's
 * session is still live: not signed out or revoked, its user active and not deleted, its store active, and the
 * device it came from (if any) not revoked. The check is a guard statement put first in every batch that writes:
 * it upserts write_guards' `session` row with the count of such sessions, and the row's CHECK (`session_live`)
 * fails the whole batch, so nothing of a revoked caller's write is committed.
 *
 * Writes must go through a batch (`commit`); a lone write statement on a guarded database is a programming error.
 */
const SESSION_GUARD_SQL = `INSERT INTO write_guards (kind, ok) VALUES ('session', (
  SELECT count(*) FROM sessions s
  JOIN users u ON u.id = s.user_id
  JOIN stores st ON st.id = s.store_id
  LEFT JOIN devices d ON d.id = s.device_id
  WHERE s.id = ?1 AND s.revoked_at IS NULL
    AND u.is_active = 1 AND u.deleted_at IS NULL
    AND st.is_active = 1 AND st.deleted_at IS NULL
    AND (s.device_id IS NULL OR (d.revoked_at IS NULL AND d.deleted_at IS NULL))
)) ON CONFLICT (kind) DO UPDATE SET ok = excluded.ok`;

/** The same check for a device writing on its own credential (a sync push): paired, not revoked, store active. */
const DEVICE_GUARD_SQL = `INSERT INTO write_guards (kind, ok) VALUES ('device', (
  SELECT count(*) FROM devices d
  JOIN stores st ON st.id = d.store_id
  WHERE d.id = ?1 AND d.credential_hash IS NOT NULL AND d.revoked_at IS NULL AND d.deleted_at IS NULL
    AND st.is_active = 1 AND st.deleted_at IS NULL
)) ON CONFLICT (kind) DO UPDATE SET ok = excluded.ok`;

/** A statement that writes: one that starts with a write verb, or a WITH (a CTE) that contains one. */
const WRITE = /^\s*(?:insert|update|delete|replace)\b|^\s*with\b[\s\S]*\b(?:insert|update|delete|replace)\b/i;

export const isSessionGuardFailure = (error: unknown) => isWriteGuardFailure(error, "session") || isWriteGuardFailure(error, "device");

/** Who a guarded database writes as: a user's sign-in, or a device on its own credential. */
export type WriteGuard = { session: string } | { device: string };

const ended = (guard: WriteGuard) =>
  "session" in guard
    ? unauthenticated("SESSION_ENDED", "This session has ended (signed out, user deactivated, credential changed or device revoked); sign in again")
    : unauthenticated("DEVICE_REVOKED", "This device's credential has been revoked (or its store deactivated); pair the device again");

class GuardedStatement {
  constructor(readonly inner: D1PreparedStatement, readonly sql: string) {}
  bind(...values: unknown[]) {
    return new GuardedStatement(this.inner.bind(...values), this.sql);
  }
  private readOnly() {
    if (WRITE.test(this.sql)) throw new Error(`A write outside a batch skips the session guard: ${this.sql.slice(0, 80)}`);
    return this.inner;
  }
  first(column?: string) {
    return column === undefined ? this.readOnly().first() : this.readOnly().first(column);
  }
  run() {
    return this.readOnly().run();
  }
  all() {
    return this.readOnly().all();
  }
  raw(options?: { columnNames?: boolean }) {
    return this.readOnly().raw(options as { columnNames: true });
  }
}

class GuardedDatabase {
  constructor(private readonly inner: D1Database, private readonly guard: WriteGuard) {}
  prepare(query: string) {
    return new GuardedStatement(this.inner.prepare(query), query);
  }
  async batch(statements: GuardedStatement[]) {
    const writes = statements.some((s) => WRITE.test(s.sql));
    const inner = statements.map((s) => s.inner);
    if (!writes) return this.inner.batch(inner);
    try {
      const check = "session" in this.guard
        ? this.inner.prepare(SESSION_GUARD_SQL).bind(this.guard.session)
        : this.inner.prepare(DEVICE_GUARD_SQL).bind(this.guard.device);
      const [, ...results] = await this.inner.batch([check, ...inner]);
      return results;
    } catch (error) {
      if (isSessionGuardFailure(error)) throw ended(this.guard);
      throw error;
    }
  }
  exec(query: string) {
    if (WRITE.test(query)) throw new Error("exec skips the session guard");
    return this.inner.exec(query);
  }
  withSession(constraint?: string) {
    return this.inner.withSession(constraint);
  }
  dump() {
    return this.inner.dump();
  }
}

/** The database as a signed-in caller's request sees it: every writing batch is guarded by the session. */
export const withSessionGuard = (db: D1Database, sessionId: string) => new GuardedDatabase(db, { session: sessionId }) as unknown as D1Database;

/** The database as a device writing on its own credential sees it: every writing batch is guarded by the device. */
export const withDeviceGuard = (db: D1Database, deviceId: string) => new GuardedDatabase(db, { device: deviceId }) as unknown as D1Database;
