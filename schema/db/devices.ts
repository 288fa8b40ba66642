import { sqliteTable, text, integer, uniqueIndex, index } from "drizzle-orm/sqlite-core";
import { DEVICE_KINDS } from "../contracts/devices";
import { syncedColumns, tenantId } from "./columns";
import { registers, stores } from "./tenants";


/**
 * An enrolled device of a store: a till (kind `register`, tied to a register), the store's bridge, or a sync
 * client. One row is one credential's life: created with a one-time pairing code, paired once (the code is
 * exchanged for a long random credential, stored hashed), revoked for good. Re-pairing revokes the live row and
 * starts a new one, so every session and job can name the exact credential it came from.
 */
export const devices = sqliteTable("devices", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  storeId: text("store_id").notNull().references(() => stores.id),
  kind: text("kind", { enum: DEVICE_KINDS }).notNull(),
  registerId: text("register_id").references(() => registers.id),
  name: text("name").notNull(),
  /** HMAC of the pairing code under the server's lookup key; null once paired or revoked. */
  pairingCodeHash: text("pairing_code_hash"),
  pairingExpiresAt: integer("pairing_expires_at"),
  /** SHA-256 of the device credential; null until paired. */
  credentialHash: text("credential_hash"),
  pairedAt: integer("paired_at"),
  revokedAt: integer("revoked_at"),
  revokedBy: text("revoked_by"),
  lastSeenAt: integer("last_seen_at"),
  /** Sync: when the device last pulled, the change-feed seq it reached, and when it last pushed. */
  lastPullAt: integer("last_pull_at"),
  lastPullSeq: integer("last_pull_seq"),
  lastPushAt: integer("last_push_at"),
  createdBy: text("created_by").notNull(),
  ...syncedColumns(),
}, (t) => [
  uniqueIndex("devices_pairing_code_uq").on(t.pairingCodeHash),
  uniqueIndex("devices_credential_uq").on(t.credentialHash),
  index("devices_store_idx").on(t.storeId),
  index("devices_register_idx").on(t.registerId),
]);
