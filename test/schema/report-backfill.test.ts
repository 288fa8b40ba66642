import { readFileSync } from "node:fs";
import path from "node:path";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { backfillAggregateSql } from "../../worker/domain/sale-aggregates";

/**
 * The migration that backfills the report rows from existing sales runs the same INSERT … SELECT statements as
 * the sales service (worker/domain/sale-aggregates.ts), rendered here: a change to one without the other fails.
 */
const MIGRATION = path.join(import.meta.dirname, "../../migrations/0010_sales_aggregates_backfill.sql");
const squash = (text: string) => text.replace(/\s+/g, " ").trim();

describe("the report rows' backfill migration", () => {
  it("rebuilds the report tables with the statements the sales service writes", () => {
    const dialect = new SQLiteSyncDialect();
    const rendered = backfillAggregateSql().map((q) => dialect.sqlToQuery(q));
    for (const r of rendered) expect(r.params).toEqual([]);
    const statements = readFileSync(MIGRATION, "utf8").split("--> statement-breakpoint").map((s) => squash(s.replace(/^--.*$/gm, "")).replace(/;$/, ""));
    const expected = rendered.map((r) => squash(r.sql));
    const found = statements.filter((s) => /^(DELETE FROM report_|INSERT INTO report_(hourly|people|products|taxes|tenders))/.test(s));
    if (process.env.PRINT_BACKFILL) console.log(expected.map((s) => `${s};`).join("\n--> statement-breakpoint\n"));
    expect(found).toEqual(expected);
  });
});
