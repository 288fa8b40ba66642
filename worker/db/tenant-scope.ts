import { and, eq, type SQL } from "drizzle-orm";
import type { AnySQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";

type TenantTable = SQLiteTable & { tenantId: AnySQLiteColumn };
type Insert<T extends TenantTable> = Omit<T["$inferInsert"], "tenantId">;

/**
 * The one place tenancy is applied: every read and write of tenant-owned rows goes through a scope built from
 * the caller's token, so another tenant's row is simply not there ("not found", never "forbidden").
 */
export class TenantScope {
  constructor(
    readonly db: Db,
    readonly tenantId: string,
  ) {}

  /** The where-clause for rows of `table` owned by this tenant, and any further conditions. */
  where<T extends TenantTable>(table: T, ...conditions: (SQL | undefined)[]): SQL {
    return and(eq(table.tenantId, this.tenantId), ...conditions)!;
  }

  select<T extends TenantTable>(table: T, ...conditions: (SQL | undefined)[]) {
    return this.db.select().from(table as SQLiteTable).where(this.where(table, ...conditions)).$dynamic();
  }

  insert<T extends TenantTable>(table: T, values: Insert<T> | Insert<T>[]) {
    const rows = (Array.isArray(values) ? values : [values]).map((v) => ({ ...v, tenantId: this.tenantId }));
    return this.db.insert(table).values(rows as T["$inferInsert"][]);
  }

  update<T extends TenantTable>(table: T, set: Partial<T["$inferInsert"]>, ...conditions: (SQL | undefined)[]) {
    return this.db.update(table).set(set as never).where(this.where(table, ...conditions));
  }

  delete<T extends TenantTable>(table: T, ...conditions: (SQL | undefined)[]) {
    return this.db.delete(table).where(this.where(table, ...conditions));
  }
}
