import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { SYNC_ERROR_KINDS, SYNC_ERROR_STATUSES } from "../contracts/sync-push";
import { tenantId } from "./columns";
import { stores } from "./tenants";

/**
 * The sync error queue: a record a store pushed that the edge refused (kind `rejected`), or applied with
 * something a person should look at (kind `flagged`, e.g. its cashier was deactivated since), with the payload as
 * it came. One row per store, record type, client id and kind: pushing the same record again counts an attempt.
 */
export const syncErrors = sqliteTable("sync_errors", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  storeId: text("store_id").notNull().references(() => stores.id),
  deviceId: text("device_id"),
  registerId: text("register_id"),
  itemType: text("item_type").notNull(),
  clientId: text("client_id").notNull(),
  kind: text("kind", { enum: SYNC_ERROR_KINDS }).notNull(),
  status: text("status", { enum: SYNC_ERROR_STATUSES }).notNull(),
  code: text("code").notNull(),
  message: text("message").notNull(),
  fields: text("fields", { mode: "json" }).$type<Record<string, unknown>[]>(),
  payload: text("payload", { mode: "json" }).$type<unknown>().notNull(),
  attempts: integer("attempts").notNull(),
  firstSeenAt: integer("first_seen_at").notNull(),
  lastSeenAt: integer("last_seen_at").notNull(),
  resolvedAt: integer("resolved_at"),
  resolvedBy: text("resolved_by"),
  resolution: text("resolution", { enum: ["applied", "duplicate", "manual"] }),
  note: text("note"),
  version: integer("version").notNull().default(1),
}, (t) => [
  uniqueIndex("sync_errors_record_uq").on(t.tenantId, t.storeId, t.itemType, t.clientId, t.kind),
  index("sync_errors_store_status_idx").on(t.storeId, t.status, t.lastSeenAt),
]);

/**
 * Superseded revisions of Z reports. A Z report is never rewritten in silence: when a record of a closed session
 * arrives after its close (an offline till's sale pushed late), the report is made again from the session's rows
 * as a new revision, and the revision it replaces is kept here as it was.
 */
export const zReportRevisions = sqliteTable("z_report_revisions", {
  tenantId: tenantId(),
  zReportId: text("z_report_id").notNull(),
  sessionId: text("session_id").notNull(),
  revision: integer("revision").notNull(),
  report: text("report", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  supersededAt: integer("superseded_at").notNull(),
}, (t) => [primaryKey({ columns: [t.zReportId, t.revision] }), index("z_report_revisions_session_idx").on(t.sessionId)]);
