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

/**
 * The same check for an API client writing with a client-credentials token: not revoked, its tenant not deleted,
 * its secret still the one the token was issued with (rotating the secret stops the old tokens' writes), and it
 * still holds every permission the token carries (narrowing its permissions stops the tokens that had more).
 */
const CLIENT_GUARD_SQL = `INSERT INTO write_guards (kind, ok) VALUES ('client', (
  SELECT count(*) FROM api_clients c
  JOIN tenants t ON t.id = c.tenant_id
  WHERE c.id = ?1 AND c.secret_version = ?2 AND c.revoked_at IS NULL AND t.deleted_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM json_each(?3) p WHERE p.value NOT IN (SELECT value FROM json_each(c.permissions)))
)) ON CONFLICT (kind) DO UPDATE SET ok = excluded.ok`;

/** A statement that writes: one that starts with a write verb, or a WITH (a CTE) that contains one. */
const WRITE = /^\s*(?:insert|update|delete|replace)\b|^\s*with\b[\s\S]*\b(?:insert|update|delete|replace)\b/i;

export const isSessionGuardFailure = (error: unknown) =>
  isWriteGuardFailure(error, "session") || isWriteGuardFailure(error, "device") || isWriteGuardFailure(error, "client");

/** The API client a client-credentials token names, as its writes check it. */
export interface ClientGuard {
  /** The API client's id (api_clients.id). */
  id: string;
  secretVersion: number;
  permissions: readonly string[];
}

/** Who a guarded database writes as: a user's sign-in, a device on its own credential, or an API client. */
export type WriteGuard = { session: string } | { device: string } | { client: ClientGuard };

const ended = (guard: WriteGuard) => {
  if ("session" in guard) return unauthenticated("SESSION_ENDED", "This session has ended (signed out, user deactivated, credential changed or device revoked); sign in again");
  if ("device" in guard) return unauthenticated("DEVICE_REVOKED", "This device's credential has been revoked (or its store deactivated); pair the device again");
  return unauthenticated("CLIENT_TOKEN_REVOKED", "This API client's token no longer writes: the client was revoked, its secret rotated or its permissions narrowed; get a new token");
};

function guardStatement(db: D1Database, guard: WriteGuard) {
  if ("session" in guard) return db.prepare(SESSION_GUARD_SQL).bind(guard.session);
  if ("device" in guard) return db.prepare(DEVICE_GUARD_SQL).bind(guard.device);
  return db.prepare(CLIENT_GUARD_SQL).bind(guard.client.id, guard.client.secretVersion, JSON.stringify(guard.client.permissions));
}

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
      const [, ...results] = await this.inner.batch([guardStatement(this.inner, this.guard), ...inner]);
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

/** The database as an API client's token sees it: every writing batch is guarded by the client (revoked, rotated). */
export const withClientGuard = (db: D1Database, client: ClientGuard) => new GuardedDatabase(db, { client }) as unknown as D1Database;

/** The database as any guarded caller sees it. */
export const withWriteGuard = (db: D1Database, guard: WriteGuard) => new GuardedDatabase(db, guard) as unknown as D1Database;
