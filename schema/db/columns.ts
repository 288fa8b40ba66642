import { integer, text } from "drizzle-orm/sqlite-core";

/** Columns every tenant-owned row carries. */
export const tenantId = () => text("tenant_id").notNull();

/** Columns every synced entity carries: optimistic version, timestamps (epoch ms) and soft delete. */
export const syncedColumns = () => ({
  version: integer("version").notNull().default(1),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  deletedAt: integer("deleted_at"),
});

/**
 * The row's searched fields folded for search (worker/db/search.ts), written with every write of the row: search
 * is instr() on it, since SQLite folds case for ASCII only.
 */
export const searchText = () => text("search_text").notNull().default("");

export const bool = (name: string) => integer(name, { mode: "boolean" });
