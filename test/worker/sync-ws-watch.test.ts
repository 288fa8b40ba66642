import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CommittedChanges, insertsIntoChangeFeed, watchChangeFeed, watchedSql } from "../../worker/sync/change-watch";
import { storesToTell } from "../../worker/sync/notify";
import { createStore, createTenant } from "./helpers";

/** The change watcher: which committed change-feed rows it learns of, for which stores, and what callers still see. */
describe("change watcher", () => {
  it("notices drizzle's insert, INSERT … SELECT and raw SQL into change_feed, and nothing else", () => {
    expect(insertsIntoChangeFeed('insert into "change_feed" ("seq", "tenant_id") values (null, ?)')).toBe(true);
    expect(insertsIntoChangeFeed('insert into "change_feed" ("tenant_id", "store_id") select "tenant_id", NULL from "products"')).toBe(true);
    expect(insertsIntoChangeFeed('INSERT INTO "change_feed" (tenant_id, store_id, entity) SELECT ?, l.store_id FROM json_each(?)')).toBe(true);
    expect(insertsIntoChangeFeed("  with x as (select 1) insert into change_feed (tenant_id) select 1 from x")).toBe(true);
    expect(insertsIntoChangeFeed('select * from "change_feed"')).toBe(false);
    expect(insertsIntoChangeFeed('insert into "change_feed_archive" (seq) values (1)')).toBe(false);
    expect(insertsIntoChangeFeed('insert into "audit_log" ("id") values (?)')).toBe(false);
    expect(insertsIntoChangeFeed('update "products" set "name" = ? where id = ?')).toBe(false);
  });

  it("asks a change-feed insert for its rows, and leaves other statements and a RETURNING of the caller's alone", () => {
    expect(watchedSql('insert into "change_feed" ("seq", "tenant_id") values (null, ?);  ')).toEqual({
      sql: 'insert into "change_feed" ("seq", "tenant_id") values (null, ?) RETURNING "seq" AS "feed_seq", "tenant_id" AS "feed_tenant_id", "store_id" AS "feed_store_id"',
      watch: "returning",
    });
    expect(watchedSql('INSERT INTO "change_feed" (tenant_id) SELECT ? FROM json_each(?) ORDER BY j.key').watch).toBe("returning");
    expect(watchedSql("insert into change_feed (tenant_id) values (?) returning seq")).toEqual({ sql: "insert into change_feed (tenant_id) values (?) returning seq", watch: "meta" });
    expect(watchedSql('insert into "products" ("id") values (?)')).toEqual({ sql: 'insert into "products" ("id") values (?)', watch: "none" });
  });

  it("learns each committed row's seq, tenant and store, while the caller gets the answer it would have had", async () => {
    const t = await createTenant();
    const committed = new CommittedChanges();
    const db = watchChangeFeed(env.DB, committed.sink);
    const insert = `INSERT INTO change_feed (tenant_id, store_id, entity, entity_id, op, version, at) VALUES (?, ?, 'probe', ?, 'upsert', 1, 0)`;
    const [tenantWide, scoped, other] = await db.batch([
      db.prepare(insert).bind(t.tenantId, null, "a"),
      db.prepare(insert).bind(t.tenantId, t.storeId, "b"),
      db.prepare("SELECT 1 AS one"),
    ]);
    expect(tenantWide!.results).toEqual([]);
    expect(scoped!.results).toEqual([]);
    expect(other!.results).toEqual([{ one: 1 }]);
    const seqs = (await env.DB.prepare("SELECT seq FROM change_feed WHERE tenant_id = ? AND entity = 'probe' ORDER BY seq").bind(t.tenantId).all<{ seq: number }>()).results.map((r) => r.seq);
    expect([...committed.tenants]).toEqual([[t.tenantId, seqs[0]]]);
    expect([...committed.stores.values()]).toEqual([{ tenantId: t.tenantId, storeId: t.storeId, seq: seqs[1] }]);

    const failed = db.batch([db.prepare(insert).bind(t.tenantId, t.storeId, "c"), db.prepare("SELECT * FROM no_such_table")]);
    await expect(failed).rejects.toThrow();
    expect(committed.stores.get(`${t.tenantId}:${t.storeId}`)!.seq).toBe(seqs[1]);
  });

  it("tells a tenant-wide row to every store of its tenant, and finds the stores of rows known only by seq", async () => {
    const t = await createTenant();
    const second = await createStore(t, "S002");
    const other = await createTenant();
    const committed = new CommittedChanges();
    const db = watchChangeFeed(env.DB, committed.sink);
    const insert = `INSERT INTO change_feed (tenant_id, store_id, entity, entity_id, op, version, at) VALUES (?, ?, 'probe', 'x', 'upsert', 1, 0)`;
    await db.prepare(insert).bind(t.tenantId, null).run();
    const mine = committed.tenants.get(t.tenantId)!;
    // A statement with a RETURNING of its own: known only by its seq range, looked up in D1.
    const theirs = await db.prepare(`${insert} RETURNING seq`).bind(other.tenantId, other.storeId).first<{ seq: number }>();
    expect(committed.ranges).toEqual([{ from: theirs!.seq, to: theirs!.seq }]);

    const told = await storesToTell(env.DB, committed);
    expect(told.sort((a, b) => a.storeId.localeCompare(b.storeId))).toEqual([
      { tenantId: t.tenantId, storeId: t.storeId, seq: mine },
      { tenantId: t.tenantId, storeId: second.id, seq: mine },
      { tenantId: other.tenantId, storeId: other.storeId, seq: theirs!.seq },
    ].sort((a, b) => a.storeId.localeCompare(b.storeId)));
  });
});
