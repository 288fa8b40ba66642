import { sqliteTable, text, integer, uniqueIndex, index, primaryKey } from "drizzle-orm/sqlite-core";
import { bool, searchText, syncedColumns, tenantId } from "./columns";
import { stores } from "./tenants";

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  /** Stored lower-case; unique within the tenant. */
  username: text("username").notNull(),
  displayName: text("display_name").notNull(),
  email: text("email"),
  passwordHash: text("password_hash"),
  pinHash: text("pin_hash"),
  /** HMAC of the PIN under a server key: finds the PIN's owner in a store without trying every hash. */
  pinLookup: text("pin_lookup"),
  isActive: bool("is_active").notNull().default(true),
  failedAttempts: integer("failed_attempts").notNull().default(0),
  lockedUntil: integer("locked_until"),
  lastLoginAt: integer("last_login_at"),
  /** Username and display name, folded for search (worker/db/search.ts). */
  searchText: searchText(),
  ...syncedColumns(),
}, (t) => [uniqueIndex("users_tenant_username_uq").on(t.tenantId, t.username)]);

export const roles = sqliteTable("roles", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  name: text("name").notNull(),
  description: text("description"),
  /** Permission strings from schema/permissions.ts, JSON array. */
  permissions: text("permissions", { mode: "json" }).$type<string[]>().notNull(),
  searchText: searchText(),
  ...syncedColumns(),
}, (t) => [uniqueIndex("roles_tenant_name_uq").on(t.tenantId, t.name)]);

/** A user holds roles per store; their permissions in a store are the union of those roles'. */
export const userStoreRoles = sqliteTable("user_store_roles", {
  tenantId: tenantId(),
  userId: text("user_id").notNull().references(() => users.id),
  storeId: text("store_id").notNull().references(() => stores.id),
  roleId: text("role_id").notNull().references(() => roles.id),
}, (t) => [
  primaryKey({ columns: [t.userId, t.storeId, t.roleId] }),
  index("usr_store_idx").on(t.storeId),
  index("usr_role_idx").on(t.roleId),
]);

/**
 * One row per (store, user with a PIN who works there). The unique index is what makes a PIN unique per
 * store: two users of one store can never share a PIN, whichever write comes second.
 */
export const storePins = sqliteTable("store_pins", {
  tenantId: tenantId(),
  storeId: text("store_id").notNull().references(() => stores.id),
  userId: text("user_id").notNull().references(() => users.id),
  pinLookup: text("pin_lookup").notNull(),
}, (t) => [
  primaryKey({ columns: [t.storeId, t.userId] }),
  uniqueIndex("store_pins_lookup_uq").on(t.storeId, t.pinLookup),
  index("store_pins_user_idx").on(t.userId),
]);

/**
 * A sign-in: what a refresh-token family and its access tokens belong to. Every write checks, inside its own
 * batch, that its session is live (not revoked, its user active, its device not revoked), so ending a session
 * stops its writes at once. `deviceId` is the enrolled device it was started from, if any.
 */
export const sessions = sqliteTable("sessions", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  userId: text("user_id").notNull().references(() => users.id),
  storeId: text("store_id").notNull(),
  deviceId: text("device_id"),
  method: text("method", { enum: ["password", "pin"] }).notNull(),
  createdAt: integer("created_at").notNull(),
  lastUsedAt: integer("last_used_at").notNull(),
  revokedAt: integer("revoked_at"),
  revokeReason: text("revoke_reason"),
}, (t) => [index("sessions_user_idx").on(t.userId), index("sessions_device_idx").on(t.deviceId)]);

/**
 * One-time credential resets issued by the platform operator (a tenant locked out of its last administrator):
 * the code is shown once, stored as a SHA-256 hash, expires, and is spent by its first use.
 */
export const credentialResets = sqliteTable("credential_resets", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  userId: text("user_id").notNull().references(() => users.id),
  codeHash: text("code_hash").notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
}, (t) => [uniqueIndex("credential_resets_code_uq").on(t.codeHash), index("credential_resets_user_idx").on(t.userId)]);

/** Rotating refresh tokens, stored as SHA-256 hashes; a family is one login's chain of rotations. */
export const refreshTokens = sqliteTable("refresh_tokens", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  userId: text("user_id").notNull().references(() => users.id),
  storeId: text("store_id").notNull(),
  familyId: text("family_id").notNull(),
  tokenHash: text("token_hash").notNull(),
  issuedAt: integer("issued_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  rotatedAt: integer("rotated_at"),
  revokedAt: integer("revoked_at"),
}, (t) => [
  uniqueIndex("refresh_tokens_hash_uq").on(t.tokenHash),
  index("refresh_tokens_family_idx").on(t.familyId),
  index("refresh_tokens_user_idx").on(t.userId),
]);

/**
 * An API client: an integrator (ERP, accounting, web shop) signing in with OAuth client credentials
 * (POST /oauth/token). It belongs to one tenant and holds a set of permissions, which hold in every store of the
 * tenant. `client_id` is generated by the server and unique across tenants (the token endpoint is told no tenant);
 * the secret is shown once and stored as a SHA-256 hash. Rotating bumps `secret_version`, which every token
 * carries and every write checks (the `client` write guard), so the old secret and its tokens stop at once;
 * revoking is for good.
 */
export const apiClients = sqliteTable("api_clients", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  name: text("name").notNull(),
  clientId: text("client_id").notNull(),
  secretHash: text("secret_hash").notNull(),
  secretVersion: integer("secret_version").notNull().default(1),
  secretRotatedAt: integer("secret_rotated_at"),
  /** Permission strings from schema/permissions.ts, JSON array. */
  permissions: text("permissions", { mode: "json" }).$type<string[]>().notNull(),
  createdBy: text("created_by"),
  revokedAt: integer("revoked_at"),
  revokedBy: text("revoked_by"),
  /** When it last obtained a token. */
  lastUsedAt: integer("last_used_at"),
  version: integer("version").notNull().default(1),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull().default(0),
}, (t) => [uniqueIndex("api_clients_client_id_uq").on(t.clientId), index("api_clients_tenant_idx").on(t.tenantId, t.createdAt)]);
