import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createTenant, d1Count, journalCounts, type TestTenant } from "./helpers";

/** Applying a worksheet: all of it in one batch, or nothing. */

/** `count` products straight into D1, SKUs `${prefix}-0` …, sell price 1000, version 1. */
async function insertProducts(tenantId: string, prefix: string, count: number) {
  const now = Date.now();
  const ids = Array.from({ length: count }, () => crypto.randomUUID());
  await env.DB.batch(
    ids.map((id, i) =>
      env.DB.prepare("INSERT INTO products (id, tenant_id, sku, name, sell_price, cost_price, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1000, 400, 1, ?, ?)").bind(id, tenantId, `${prefix}-${i}`, `${prefix} ${i}`, now, now),
    ),
  );
  return ids;
}

/** `count` stores straight into D1 (Stockholm). */
async function insertStores(tenantId: string, prefix: string, count: number) {
  const now = Date.now();
  const ids = Array.from({ length: count }, () => crypto.randomUUID());
  await env.DB.batch(
    ids.map((id, i) =>
      env.DB.prepare("INSERT INTO stores (id, tenant_id, code, name, currency, time_zone, prices_include_tax, cash_rounding_unit, is_active, version, created_at, updated_at) VALUES (?, ?, ?, ?, 'SEK', 'Europe/Stockholm', 1, 1, 1, 1, ?, ?)")
        .bind(id, tenantId, `${prefix}${i}`, `Store ${prefix}${i}`, now, now),
    ),
  );
  return ids;
}

/** Change-feed rows of one entity kind for these ids: how many, and their versions. */
async function feedFor(entity: string, ids: string[]) {
  const { results } = await env.DB.prepare("SELECT entity_id, version, store_id FROM change_feed WHERE entity = ? AND entity_id IN (SELECT value FROM json_each(?)) ORDER BY seq")
    .bind(entity, JSON.stringify(ids)).all<{ entity_id: string; version: number; store_id: string | null }>();
  return results;
}

/**
 * A trigger that edits the catalogue the moment the worksheet turns applied. The apply batch sets the
 * worksheet's status in its first statement, so this lands an edit exactly between the apply's read and its
 * writes: what a concurrent edit would do. Dropped by the returned function.
 */
async function onApply(worksheetId: string, sqlBody: string) {
  const name = `ws_race_${crypto.randomUUID().replaceAll("-", "")}`;
  await env.DB.prepare(`CREATE TRIGGER ${name} AFTER UPDATE OF status ON worksheets WHEN NEW.id = '${worksheetId}' AND NEW.status = 'applied' BEGIN ${sqlBody}; END`).run();
  return () => env.DB.prepare(`DROP TRIGGER ${name}`).run();
}

describe("applying worksheets", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await createTenant();
  });
  const call = (method: string, path: string, body?: unknown) => api(method, `/api/v1${path}`, { token: t.adminToken, body });
  /** Create, submit and approve a worksheet; its id. */
  async function approved(body: Record<string, unknown>) {
    const created = await call("POST", "/worksheets", { name: "Big", ...body });
    expect(created.status, JSON.stringify(created.json).slice(0, 500)).toBe(201);
    const id = created.json.data.id as string;
    expect((await call("PATCH", `/worksheets/${id}/submit`)).status).toBe(200);
    expect((await call("PATCH", `/worksheets/${id}/approve`)).status).toBe(200);
    return id;
  }
  async function applyOk(id: string) {
    const res = await call("PATCH", `/worksheets/${id}/apply`);
    expect(res.status, JSON.stringify(res.json).slice(0, 500)).toBe(200);
    expect(res.json.data.status).toBe("applied");
    // read the sheet, read what it names, write: the write is one batch
    expect(d1Count(res)).toBe(3);
    return res;
  }

  describe("a catalogue edit between the apply's read and its write", () => {
    /** Apply must be 409, leave the worksheet approved and write nothing at all. */
    async function refused(id: string, code: string) {
      const before = await journalCounts(t.tenantId);
      const res = await call("PATCH", `/worksheets/${id}/apply`);
      expect(res.status, JSON.stringify(res.json)).toBe(409);
      expect(res.json.code).toBe(code);
      expect((await call("GET", `/worksheets/${id}`)).json.data).toMatchObject({ status: "approved", appliedAt: null });
      expect(await journalCounts(t.tenantId)).toEqual(before);
    }

    it("a store price edited meanwhile makes it 409, and so does one created meanwhile", async () => {
      const [p, q] = await insertProducts(t.tenantId, "RACESP", 2);
      await applyOk(await approved({ kind: "price_change", storeIds: [t.storeId], items: [{ productId: p, sellPrice: 800 }] }));
      const id = await approved({ kind: "price_change", storeIds: [t.storeId], items: [{ productId: p, sellPrice: 700 }, { productId: q, sellPrice: 700 }] });
      let drop = await onApply(id, `UPDATE store_prices SET version = version + 1 WHERE product_id = '${p}'`);
      await refused(id, "WORKSHEET_CONFLICT");
      await drop();
      const now = Date.now();
      drop = await onApply(id, `INSERT INTO store_prices (id, tenant_id, store_id, product_id, price, version, created_at, updated_at) VALUES ('${crypto.randomUUID()}', '${t.tenantId}', '${t.storeId}', '${q}', 1, 1, ${now}, ${now})`);
      await refused(id, "WORKSHEET_CONFLICT");
      await drop();
      expect(await env.DB.prepare("SELECT price FROM store_prices WHERE product_id = ?").bind(p).first("price")).toBe(800);
      expect(await env.DB.prepare("SELECT count(*) AS n FROM store_prices WHERE product_id = ?").bind(q).first("n")).toBe(0);
    });
  });

  it("concurrent applies of one worksheet with stores: exactly one applies, the others are 409", async () => {
    const storeIds = await insertStores(t.tenantId, "CC", 2);
    // several rounds, since concurrent requests need not interleave every time; fresh products each round, so
    // that every apply creates the store prices (the racing applies each read that there are none yet)
    for (let round = 1; round <= 6; round++) {
      const ids = await insertProducts(t.tenantId, `CONC${round}`, 3);
      const id = await approved({ kind: "price_change", storeIds, items: ids.map((productId) => ({ productId, sellPrice: 100 * round })) });
      const answers = await Promise.all(Array.from({ length: 8 }, () => call("PATCH", `/worksheets/${id}/apply`)));
      expect(answers.map((a) => a.status).sort(), JSON.stringify(answers.map((a) => a.json.code))).toEqual([200, ...Array(7).fill(409)]);
      for (const loser of answers.filter((a) => a.status === 409)) expect(["WORKSHEET_CONFLICT", "INVALID_STATE"]).toContain(loser.json.code);
      const { results } = await env.DB.prepare("SELECT id, price, version FROM store_prices WHERE deleted_at IS NULL AND product_id IN (SELECT value FROM json_each(?))")
        .bind(JSON.stringify(ids)).all<{ id: string; price: number; version: number }>();
      expect(results.map(({ price, version }) => ({ price, version }))).toEqual(Array(6).fill({ price: 100 * round, version: 1 }));
      expect(await feedFor("store_price", results.map((r) => r.id))).toHaveLength(6);
      expect(await feedFor("worksheet", [id])).toHaveLength(4); // create, submit, approve, apply
    }
  });
});
