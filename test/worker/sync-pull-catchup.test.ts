import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import { client } from "./catalogue-fixtures";
import { createStore, createTenant, enrolTill, staffWithPin } from "./helpers";
import { pullAll, type Replica } from "./sync-pull-fixtures";

/**
 * A till that has never synced catches up on a feed of more than 10,000 changes of real entities, made by the
 * domain's own writes (worksheets apply 250 changes in one batch; the rest one request each), and ends with
 * exactly the store's view of the database, row by row.
 */
it("catches up on a 10,000-change feed from empty: exactly the final state of every entity", { timeout: 240_000 }, async () => {
  const t = await createTenant();
  const s2 = await createStore(t, "S002");
  const till = await enrolTill(t);
  const admin = client(t.adminToken);
  const ok = async (res: Promise<{ status: number; json: any }>) => {
    const r = await res;
    if (r.status >= 300) throw new Error(`${r.status} ${JSON.stringify(r.json)}`);
    return r.json.data;
  };
  const worksheet = async (body: Record<string, unknown>) => {
    const sheet = await ok(admin.post("/worksheets", body));
    for (const step of ["submit", "approve", "apply"]) await ok(admin.patch(`/worksheets/${sheet.id}/${step}`, {}));
  };

  const departments: { id: string }[] = [];
  for (let i = 0; i < 11; i++) departments.push(await ok(admin.post("/departments", { name: `Avdelning ${i}` })));
  const rates = [await ok(admin.post("/taxes", { name: "Moms 25", rate: 2500 })), await ok(admin.post("/taxes", { name: "Moms 12", rate: 1200 }))];
  const groups = [
    await ok(admin.post("/taxes/groups", { name: "G25", taxRateIds: [rates[0].id] })),
    await ok(admin.post("/taxes/groups", { name: "G12", taxRateIds: [rates[1].id] })),
  ];
  const productIds: string[] = [];
  for (let w = 0; w < 20; w++) {
    const items = Array.from({ length: 250 }, (_, i) => {
      const n = w * 250 + i;
      const id = crypto.randomUUID();
      productIds.push(id);
      return { product: { id, sku: `P-${n}`, barcode: `73${String(n).padStart(11, "0")}`, name: `Vara ${n}`, sellPrice: 1000 + n, departmentId: departments[n % 10]!.id, taxGroupId: groups[n % 2].id } };
    });
    await worksheet({ kind: "new_product", name: `Nya ${w}`, items });
  }
  // Store prices in both stores (the other store's never reach this till), set twice for some.
  for (let w = 0; w < 8; w++) {
    const items = productIds.slice((w % 6) * 125, (w % 6) * 125 + 125).map((productId, i) => ({ productId, sellPrice: 900 + w * 10 + i }));
    await worksheet({ kind: "price_change", name: `Priser ${w}`, storeIds: [t.storeId, s2.id], items });
  }
  // The same products changed again and again: compaction's work.
  for (let w = 0; w < 11; w++) {
    const items = productIds.slice((w % 3) * 250, (w % 3) * 250 + 250).map((productId, i) => ({ productId, changes: { name: `Vara ${w}-${i}`, costPrice: w * 100 + i } }));
    await worksheet({ kind: "product_update", name: `Ändra ${w}`, items });
  }
  for (let w = 0; w < 4; w++) {
    await worksheet({ kind: "tax_change", name: `Moms ${w}`, items: productIds.slice(3000 + w * 250, 3250 + w * 250).map((productId) => ({ productId, taxGroupId: groups[w % 2].id })) });
  }
  await worksheet({ kind: "deactivate", name: "Utgående", items: productIds.slice(4000, 4250).map((productId) => ({ productId })) });
  for (const id of productIds.slice(0, 40)) await ok(admin.del(`/products/${id}`)); // with their store prices
  for (let i = 0; i < 20; i++) await ok(admin.post("/customers", { firstName: `Kund ${i}`, customerNumber: `K${i}` }));
  for (let i = 0; i < 5; i++) await ok(admin.post("/sales-reps", { code: `R${i}`, name: `Säljare ${i}` }));
  await ok(admin.post("/tenders", { code: "SWISH", name: "Swish", kind: "mobile", isCash: false, opensDrawer: false, allowsChange: false, sortOrder: 2, isActive: true }));
  await ok(admin.put(`/taxes/${rates[1].id}`, { rate: 1300 }));
  await ok(admin.put(`/departments/${departments[3]!.id}`, { name: "Omdöpt" }));
  await ok(admin.del(`/departments/${departments[10]!.id}`)); // one no product uses
  const cashier = await staffWithPin(t, ["pos.sell"]);
  await staffWithPin(t, ["pos.sell"], [s2.id]);
  await ok(admin.post("/specials", { name: "Rea", kind: "percent", value: 1000, productIds: productIds.slice(100, 110), departmentId: null, storeIds: [], startsAt: "2026-01-01T00:00", endsAt: "2027-01-01T00:00", isActive: true }));

  const feed = await env.DB.prepare(
    `SELECT count(*) AS n FROM change_feed WHERE tenant_id = ? AND (store_id IS NULL OR store_id = ?)
       AND entity IN ('tenant','store','register','user','role','department','tax_rate','tax_group','product','store_price','special','tender','customer','sales_rep')`,
  ).bind(t.tenantId, t.storeId).first<{ n: number }>();
  expect(feed!.n).toBeGreaterThanOrEqual(10_000);

  const result = await pullAll({ credential: till.credential }, { limit: 1000, maxD1: 2 });
  expect(result.pages).toBe(Math.ceil(feed!.n / 1000));
  expect(result.changes).toBeLessThan(feed!.n); // compaction: each entity once per page
  await expectAsStored(result.replica, t.tenantId, t.storeId);
  expect(result.replica.get("user")!.has(cashier.id)).toBe(true);
});

/** Each type's rows as this store's till should see them, read straight from D1, against what the till pulled. */
async function expectAsStored(replica: Replica, tenantId: string, storeId: string) {
  const rows = async (query: string, ...binds: unknown[]) => (await env.DB.prepare(query).bind(...binds).all<any>()).results;
  const bool = (v: number) => v === 1;
  const iso = (ms: number) => new Date(ms).toISOString();
  const compare = (entity: string, expected: unknown[][], pick: (d: any) => unknown[]) => {
    const pulled = [...(replica.get(entity)?.values() ?? [])].map(pick).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(pulled, entity).toEqual(expected);
  };
  compare(
    "product",
    (await rows("SELECT * FROM products WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY id", tenantId))
      .map((r) => [r.id, r.sku, r.barcode, r.name, r.description, r.department_id, r.tax_group_id, r.cost_price, r.sell_price, bool(r.track_stock), bool(r.is_active), r.version, iso(r.updated_at)]),
    (d) => [d.id, d.sku, d.barcode, d.name, d.description, d.departmentId, d.taxGroupId, d.costPrice, d.sellPrice, d.trackStock, d.isActive, d.version, d.updatedAt],
  );
  compare(
    "store_price",
    (await rows("SELECT * FROM store_prices WHERE tenant_id = ? AND store_id = ? AND deleted_at IS NULL ORDER BY id", tenantId, storeId))
      .map((r) => [r.id, r.store_id, r.product_id, r.price, r.version]),
    (d) => [d.id, d.storeId, d.productId, d.price, d.version],
  );
  compare(
    "department",
    (await rows("SELECT * FROM departments WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY id", tenantId)).map((r) => [r.id, r.name, r.version]),
    (d) => [d.id, d.name, d.version],
  );
  compare(
    "tax_rate",
    (await rows("SELECT * FROM tax_rates WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY id", tenantId)).map((r) => [r.id, r.rate_millionths, r.version]),
    (d) => [d.id, d.rateMillionths, d.version],
  );
  compare(
    "tax_group",
    await Promise.all((await rows("SELECT * FROM tax_groups WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY id", tenantId)).map(async (g) => [
      g.id, g.version,
      (await rows("SELECT r.id, r.rate_millionths FROM tax_group_rates gr JOIN tax_rates r ON r.id = gr.tax_rate_id WHERE gr.tax_group_id = ? ORDER BY gr.sort_order", g.id)).map((r) => [r.id, r.rate_millionths]),
    ])),
    (d) => [d.id, d.version, d.rates.map((r: any) => [r.id, r.rateMillionths])],
  );
  for (const [entity, table] of [["customer", "customers"], ["sales_rep", "sales_reps"], ["tender", "tenders"], ["special", "specials"]] as const) {
    compare(entity, (await rows(`SELECT id, version FROM ${table} WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY id`, tenantId)).map((r) => [r.id, r.version]), (d) => [d.id, d.version]);
  }
  compare(
    "user",
    (await rows(
      `SELECT u.id, u.version, u.display_name FROM users u WHERE u.tenant_id = ? AND u.deleted_at IS NULL AND u.is_active = 1
         AND EXISTS (SELECT 1 FROM user_store_roles usr WHERE usr.user_id = u.id AND usr.store_id = ?) ORDER BY u.id`, tenantId, storeId,
    )).map((r) => [r.id, r.version, r.display_name]),
    (d) => [d.id, d.version, d.displayName],
  );
  compare("register", (await rows("SELECT id, version FROM registers WHERE tenant_id = ? AND store_id = ? AND deleted_at IS NULL ORDER BY id", tenantId, storeId)).map((r) => [r.id, r.version]), (d) => [d.id, d.version]);
  compare("store", (await rows("SELECT id, version FROM stores WHERE id = ?", storeId)).map((r) => [r.id, r.version]), (d) => [d.id, d.version]);
  compare("tenant", (await rows("SELECT id, version FROM tenants WHERE id = ?", tenantId)).map((r) => [r.id, r.version]), (d) => [d.id, d.version]);
}
