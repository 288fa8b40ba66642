import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_WORKSHEET_CHANGES } from "../../schema/contracts/worksheets";
import { api, createTenant, d1Count, insertDepartment, insertTaxGroup, journalCounts, type TestTenant } from "./helpers";

/**
 * Applying a worksheet is one D1 batch whatever its size: every statement under D1's 100 bound parameters, a
 * bounded number of statements, each product written only if it is still the version that was read.
 */

const N = MAX_WORKSHEET_CHANGES;

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

async function productRows(ids: string[]) {
  const { results } = await env.DB.prepare("SELECT * FROM products WHERE id IN (SELECT value FROM json_each(?))").bind(JSON.stringify(ids)).all<Record<string, unknown>>();
  return new Map(results.map((r) => [r.id as string, r]));
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

  describe(`the maximum of ${N} changes, for every kind`, () => {
    it(`${N} price changes`, async () => {
      const ids = await insertProducts(t.tenantId, "MAXP", N);
      const id = await approved({ kind: "price_change", items: ids.map((productId, i) => ({ productId, sellPrice: 2000 + i, ...(i % 2 ? { costPrice: 900 + i } : {}) })) });
      await applyOk(id);
      const rows = await productRows(ids);
      ids.forEach((pid, i) => expect(rows.get(pid)).toMatchObject({ sell_price: 2000 + i, cost_price: i % 2 ? 900 + i : 400, version: 2 }));
      const feed = await feedFor("product", ids);
      expect(feed).toHaveLength(N);
      expect(new Set(feed.map((f) => f.entity_id)).size).toBe(N);
      expect(feed.every((f) => f.version === 2 && f.store_id === null)).toBe(true);
    });

    it("5 products × 50 stores as store prices, some there already", async () => {
      const ids = await insertProducts(t.tenantId, "MAXS", 5);
      const storeIds = await insertStores(t.tenantId, "MS", 50);
      // products 0 and 1 already have a price in every store
      const first = await approved({ kind: "price_change", storeIds, items: ids.slice(0, 2).map((productId) => ({ productId, sellPrice: 500 })) });
      await applyOk(first);
      const id = await approved({ kind: "price_change", storeIds, items: ids.map((productId, i) => ({ productId, sellPrice: 700 + i, ...(i === 3 ? { costPrice: 123 } : {}) })) });
      await applyOk(id);
      const { results } = await env.DB.prepare("SELECT id, store_id, product_id, price, version FROM store_prices WHERE tenant_id = ? AND deleted_at IS NULL AND product_id IN (SELECT value FROM json_each(?))")
        .bind(t.tenantId, JSON.stringify(ids)).all<{ id: string; store_id: string; product_id: string; price: number; version: number }>();
      expect(results).toHaveLength(250);
      for (const sp of results) {
        const i = ids.indexOf(sp.product_id);
        expect(sp).toMatchObject({ price: 700 + i, version: i < 2 ? 2 : 1 });
      }
      expect(new Set(results.map((r) => `${r.store_id}/${r.product_id}`)).size).toBe(250);
      const feed = await feedFor("store_price", results.map((r) => r.id));
      expect(feed).toHaveLength(100 + 250);
      const last = new Map(feed.map((f) => [f.entity_id, f]));
      for (const sp of results) expect(last.get(sp.id)).toMatchObject({ version: sp.version, store_id: sp.store_id });
      // the base prices stay; a cost price is the product's
      const rows = await productRows(ids);
      ids.forEach((pid, i) => expect(rows.get(pid)).toMatchObject({ sell_price: 1000, cost_price: i === 3 ? 123 : 400, version: i === 3 ? 2 : 1 }));
      expect(await feedFor("product", ids)).toHaveLength(1);
    });

    it(`${N} product updates`, async () => {
      const ids = await insertProducts(t.tenantId, "MAXU", N);
      const dept = await insertDepartment(t.tenantId, "Max dept");
      const items = ids.map((productId, i) => ({
        productId,
        changes: i % 3 === 0 ? { name: `Renamed ${i}`, barcode: `73${String(i).padStart(11, "0")}` } : i % 3 === 1 ? { departmentId: dept, trackStock: false, description: "Ny" } : { sku: `MAXU-NEW-${i}`, sellPrice: 5 },
      }));
      await applyOk(await approved({ kind: "product_update", items }));
      const rows = await productRows(ids);
      ids.forEach((pid, i) => {
        const row = rows.get(pid)!;
        expect(row.version).toBe(2);
        if (i % 3 === 0) expect(row).toMatchObject({ name: `Renamed ${i}`, barcode: `73${String(i).padStart(11, "0")}`, sku: `MAXU-${i}`, department_id: null, track_stock: 1 });
        else if (i % 3 === 1) expect(row).toMatchObject({ name: `MAXU ${i}`, department_id: dept, track_stock: 0, description: "Ny", barcode: null });
        else expect(row).toMatchObject({ sku: `MAXU-NEW-${i}`, sell_price: 5, cost_price: 400, name: `MAXU ${i}` });
      });
      expect(await feedFor("product", ids)).toHaveLength(N);
    });

    it(`${N} tax changes`, async () => {
      const ids = await insertProducts(t.tenantId, "MAXT", N);
      const group = await insertTaxGroup(t.tenantId, "Max group", [{ name: "Moms", millionths: 60_000 }]);
      await applyOk(await approved({ kind: "tax_change", items: ids.map((productId) => ({ productId, taxGroupId: group })) }));
      const rows = await productRows(ids);
      for (const pid of ids) expect(rows.get(pid)).toMatchObject({ tax_group_id: group, version: 2 });
      expect(await feedFor("product", ids)).toHaveLength(N);
      // and back to none
      await applyOk(await approved({ kind: "tax_change", items: ids.map((productId) => ({ productId, taxGroupId: null })) }));
      for (const row of (await productRows(ids)).values()) expect(row).toMatchObject({ tax_group_id: null, version: 3 });
    });

    it(`${N} deactivations`, async () => {
      const ids = await insertProducts(t.tenantId, "MAXD", N);
      await applyOk(await approved({ kind: "deactivate", items: ids.map((productId) => ({ productId })) }));
      for (const row of (await productRows(ids)).values()) expect(row).toMatchObject({ is_active: 0, version: 2 });
      expect((await feedFor("product", ids)).map((f) => f.version)).toEqual(Array(N).fill(2));
    });

    it(`${N} new products`, async () => {
      const dept = await insertDepartment(t.tenantId, "New dept");
      const ids = Array.from({ length: N }, () => crypto.randomUUID());
      const items = ids.map((id, i) => ({ product: { ...(i % 2 ? { id } : {}), sku: `MAXN-${i}`, name: `New ${i}`, sellPrice: 100 + i, ...(i % 5 === 0 ? { departmentId: dept, barcode: `99${String(i).padStart(8, "0")}`, trackStock: false } : {}) } }));
      const res = await applyOk(await approved({ kind: "new_product", items }));
      expect(res.json.data.items).toHaveLength(N);
      const { results } = await env.DB.prepare("SELECT * FROM products WHERE tenant_id = ? AND sku LIKE 'MAXN-%'").bind(t.tenantId).all<Record<string, unknown>>();
      expect(results).toHaveLength(N);
      const bySku = new Map(results.map((r) => [r.sku as string, r]));
      items.forEach(({ product }, i) => {
        const row = bySku.get(product.sku)!;
        expect(row).toMatchObject({ name: `New ${i}`, sell_price: 100 + i, cost_price: 0, is_active: 1, version: 1, deleted_at: null, department_id: i % 5 === 0 ? dept : null, track_stock: i % 5 === 0 ? 0 : 1 });
        if (i % 2) expect(row.id).toBe(ids[i]);
      });
      expect(await feedFor("product", results.map((r) => r.id as string))).toHaveLength(N);
    });
  });

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

    it("makes the whole apply 409 for every kind, writing nothing", async () => {
      const ids = await insertProducts(t.tenantId, "RACE", 6);
      const edited = ids[4]!;
      const bump = `UPDATE products SET version = version + 1 WHERE id = '${edited}'`;
      const kinds: Record<string, unknown>[] = [
        { kind: "price_change", items: ids.map((productId) => ({ productId, sellPrice: 1 })) },
        { kind: "product_update", items: ids.map((productId) => ({ productId, changes: { name: "Raced" } })) },
        { kind: "tax_change", items: ids.map((productId) => ({ productId, taxGroupId: null })) },
        { kind: "deactivate", items: ids.map((productId) => ({ productId })) },
        // only store prices: the products are not written, but must still be the ones read
        { kind: "price_change", storeIds: [t.storeId], items: ids.map((productId) => ({ productId, sellPrice: 1 })) },
      ];
      for (const body of kinds) {
        const id = await approved(body);
        const drop = await onApply(id, bump);
        await refused(id, "WORKSHEET_CONFLICT");
        await drop();
        const rows = await productRows(ids);
        for (const pid of ids) expect(rows.get(pid)).toMatchObject({ sell_price: 1000, name: expect.stringMatching(/^RACE/), is_active: 1 });
        expect(await env.DB.prepare("SELECT count(*) AS n FROM store_prices WHERE product_id = ?").bind(ids[0]).first("n")).toBe(0);
      }
    });

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

    it("a new product's id or SKU taken meanwhile is 409 ID_TAKEN or SKU_TAKEN", async () => {
      const newId = crypto.randomUUID();
      const id = await approved({ kind: "new_product", items: [{ product: { sku: "RACEN-1", name: "A", sellPrice: 1 } }, { product: { id: newId, sku: "RACEN-2", name: "B", sellPrice: 1 } }] });
      const now = Date.now();
      const other = await createTenant();
      let drop = await onApply(id, `INSERT INTO products (id, tenant_id, sku, name, sell_price, version, created_at, updated_at) VALUES ('${newId}', '${other.tenantId}', 'X', 'X', 1, 1, ${now}, ${now})`);
      await refused(id, "ID_TAKEN");
      await drop();
      drop = await onApply(id, `INSERT INTO products (id, tenant_id, sku, name, sell_price, version, created_at, updated_at) VALUES ('${crypto.randomUUID()}', '${t.tenantId}', 'RACEN-1', 'X', 1, 1, ${now}, ${now})`);
      await refused(id, "SKU_TAKEN");
      await drop();
      // the rows the triggers wrote went with the refused batch
      expect(await env.DB.prepare("SELECT count(*) AS n FROM products WHERE sku LIKE 'RACEN-%' OR id = ?").bind(newId).first("n")).toBe(0);
    });

    it("a new product's id taken after the worksheet was written is 409 ID_TAKEN at apply, naming the item", async () => {
      const newId = crypto.randomUUID();
      const id = await approved({ kind: "new_product", items: [{ product: { sku: "LATE-1", name: "A", sellPrice: 1 } }, { product: { id: newId, sku: "LATE-2", name: "B", sellPrice: 1 } }] });
      expect((await call("POST", "/products", { id: newId, sku: "LATE-OTHER", name: "Got there first", sellPrice: 1 })).status).toBe(201);
      const res = await call("PATCH", `/worksheets/${id}/apply`);
      expect(res.status).toBe(409);
      expect(res.json).toMatchObject({ code: "ID_TAKEN", fields: [{ path: "items.1.product.id", message: "is already used by a product" }] });
    });

    it("a department gone after the worksheet was written is 422 WORKSHEET_OUT_OF_DATE at apply, naming the field", async () => {
      const [p] = await insertProducts(t.tenantId, "GONE", 1);
      const dept = await insertDepartment(t.tenantId, "Going");
      const id = await approved({ kind: "product_update", items: [{ productId: p, changes: { departmentId: dept } }] });
      await env.DB.prepare("UPDATE departments SET deleted_at = ? WHERE id = ?").bind(Date.now(), dept).run();
      const res = await call("PATCH", `/worksheets/${id}/apply`);
      expect(res.status).toBe(422);
      expect(res.json).toMatchObject({ code: "WORKSHEET_OUT_OF_DATE", fields: [{ path: "items.0.changes.departmentId" }] });
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
