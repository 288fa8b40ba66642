import { sqliteTable, text, integer, index, check } from "drizzle-orm/sqlite-core";
import { sql } from "drizzle-orm";

/**
 * The change feed: one autoincrement sequence for the whole database, written in the same batch as the change
 * it records, so `seq` order is commit order and a cursor never skips a row.
 */
export const changeFeed = sqliteTable("change_feed", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  tenantId: text("tenant_id").notNull(),
  /** Set when the change concerns one store only (a register, a store price); null for tenant-wide rows. */
  storeId: text("store_id"),
  entity: text("entity").notNull(),
  entityId: text("entity_id").notNull(),
  op: text("op", { enum: ["upsert", "delete"] }).notNull(),
  version: integer("version").notNull(),
  at: integer("at").notNull(),
}, (t) => [index("change_feed_tenant_seq_idx").on(t.tenantId, t.seq)]);

export const auditLog = sqliteTable("audit_log", {
  id: text("id").primaryKey(),
  /** Null only for platform events that belong to no tenant (a login naming an unknown tenant). */
  tenantId: text("tenant_id"),
  at: integer("at").notNull(),
  actorType: text("actor_type", { enum: ["user", "operator", "anonymous", "client"] }).notNull(),
  actorId: text("actor_id"),
  action: text("action").notNull(),
  entity: text("entity"),
  entityId: text("entity_id"),
  ip: text("ip"),
  requestId: text("request_id"),
  detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>(),
}, (t) => [index("audit_tenant_at_idx").on(t.tenantId, t.at)]);

/** Failed logins per client address, in fixed windows. */
export const authThrottle = sqliteTable("auth_throttle", {
  key: text("key").primaryKey(),
  windowStart: integer("window_start").notNull(),
  failures: integer("failures").notNull(),
});

/**
 * A one-row table whose CHECK aborts a D1 batch: a batch writes `changes()` of the statement before into it,
 * so a guarded UPDATE that matched no row (stale version, row gone) rolls the whole batch back.
 */
export const batchGuard = sqliteTable("batch_guard", {
  id: integer("id").primaryKey(),
  ok: integer("ok").notNull(),
}, (t) => [check("batch_guard_ok", sql`${t.ok} = 1`)]);

/**
 * Named guards that abort a D1 batch: a batch upserts the row of a kind with `ok` computed by a subquery over the
 * state the batch's own statements leave, and the kind's CHECK fails the whole batch when it is not 1. The
 * constraint's name in the error says which guard failed.
 * - session_live: the caller's session is live, its user active, its device not revoked (every user write).
 * - device_live: the calling device is paired, not revoked, its store active (every write made as a device alone).
 * - client_live: the calling API client is not revoked, its secret is the token's and it still holds the token's
 *   permissions (every write made with a client-credentials token).
 * - last_administrator: the tenant still has an active user holding every permission in some active store.
 * - register_session_open: the register session a sale is made in is open (and the register's).
 * - return_within_sold: no line is returned beyond what was sold, counting every return so far.
 */
export const writeGuards = sqliteTable("write_guards", {
  kind: text("kind").primaryKey(),
  ok: integer("ok").notNull(),
}, (t) => [
  check("session_live", sql`${t.kind} <> 'session' OR ${t.ok} = 1`),
  check("device_live", sql`${t.kind} <> 'device' OR ${t.ok} = 1`),
  check("client_live", sql`${t.kind} <> 'client' OR ${t.ok} = 1`),
  check("last_administrator", sql`${t.kind} <> 'last_admin' OR ${t.ok} = 1`),
  check("register_session_open", sql`${t.kind} <> 'session_open' OR ${t.ok} = 1`),
  check("return_within_sold", sql`${t.kind} <> 'return_limit' OR ${t.ok} = 1`),
]);
