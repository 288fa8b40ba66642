import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { ALL_PERMISSIONS } from "../../schema/permissions";
import { client, insertProduct, paths, rowCount } from "./catalogue-fixtures";
import { auditOf, createStore, createTenant, d1Count, feedOf, journalCounts, staffWithPin, userWith, type TestTenant } from "./helpers";

let t: TestTenant;
let other: TestTenant;
let as: ReturnType<typeof client>;
let customerId: string;
beforeAll(async () => {
  [t, other] = await Promise.all([createTenant(), createTenant()]);
  as = client(t.adminToken);
  customerId = (await as.post("/customers", { firstName: "Astrid", lastName: "Lind" })).json.data.id;
});

const txn = () => `WS-${crypto.randomUUID().slice(0, 8)}`;
const expectError = (res: { status: number; json: any }, status: number, code: string) => {
  expect(res.status, JSON.stringify(res.json)).toBe(status);
  expect(res.json).toMatchObject({ success: false, code });
};

/** A web-shop order: two mugs at 99 kr with 10 kr off, a returned 49.50 kr candle at a quarter-unit, VAT included. */
const order = (overrides: Record<string, unknown> = {}) => ({
  source: "webshop",
  transactionId: txn(),
  customerId,
  purchasedAt: "2026-11-03T14:30:00+01:00",
  currency: "SEK",
  pricesIncludeTax: true,
  lines: [
    { description: "Mugg", quantity: 2000, unitPrice: 9900, discount: 1000, lineTotal: 18800, taxAmount: 3760, taxRate: 2500 },
    { sku: "CANDLE-1", description: "Ljus", quantity: -250, unitPrice: 4950, lineTotal: -1238, taxAmount: -248 },
  ],
  taxTotal: 3512,
  total: 17562,
  payments: [{ method: "card", amount: 17562, reference: "PSP-123" }],
  ...overrides,
});

describe("POST /api/v1/purchases", () => {
  it("records a purchase with its lines in one batch, a change-feed row and an audit entry, and moves no stock", async () => {
    const productId = await insertProduct(t.tenantId, {});
    const sku = (await env.DB.prepare("SELECT sku FROM products WHERE id = ?").bind(productId).first<{ sku: string }>())!.sku;
    const body = order({ storeId: t.storeId });
    (body.lines as Record<string, unknown>[])[1]!.sku = sku;
    const before = await journalCounts(t.tenantId);
    const stockBefore = await rowCount("stock_movements", t.tenantId);
    const res = await as.post("/purchases", body);
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(d1Count(res)).toBe(2);
    expect(res.json.data).toEqual({
      id: expect.any(String), source: "webshop", transactionId: body.transactionId, customerId, storeId: t.storeId,
      purchasedAt: "2026-11-03T13:30:00.000Z", currency: "SEK", pricesIncludeTax: true, subtotal: 17562, taxTotal: 3512, total: 17562,
      lines: [
        { lineNo: 1, productId: null, sku: null, description: "Mugg", quantity: 2000, unitPrice: 9900, discount: 1000, lineTotal: 18800, taxAmount: 3760, taxRate: 2500 },
        // The SKU found the product; the returned line's discount is signed like it.
        { lineNo: 2, productId, sku, description: "Ljus", quantity: -250, unitPrice: 4950, discount: 0, lineTotal: -1238, taxAmount: -248, taxRate: null },
      ],
      payments: [{ method: "CARD", amount: 17562, reference: "PSP-123" }],
      note: null, version: 1, createdAt: expect.any(String),
    });
    const id = res.json.data.id;
    expect(await feedOf(id)).toEqual([{ seq: expect.any(Number), tenant_id: t.tenantId, store_id: t.storeId, entity: "purchase", entity_id: id, op: "upsert", version: 1 }]);
    expect(await auditOf(id)).toMatchObject([{ actor_type: "user", actor_id: t.adminId, action: "purchase.create", detail: { source: "webshop", total: 17562, lines: 2 } }]);
    expect(await journalCounts(t.tenantId)).toEqual({ feed: before.feed + 1, audit: before.audit + 1 });
    expect(await rowCount("stock_movements", t.tenantId)).toBe(stockBefore);
    expect((await as.get(`/purchases/${id}`)).json.data).toEqual(res.json.data);
  });

  it("prices without tax: the total is the line totals plus the tax; a whole-order discount is a line's", async () => {
    const res = await as.post("/purchases", order({
      pricesIncludeTax: false, currency: "USD",
      lines: [{ productId: await insertProduct(t.tenantId, {}), quantity: 3000, unitPrice: 1999, discount: 597, lineTotal: 5400, taxAmount: 446, taxRate: 825 }],
      taxTotal: 446, total: 5846, payments: [{ method: "CARD", amount: 5000 }, { method: "GIFT_CARD", amount: 846 }],
    }));
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json.data).toMatchObject({ subtotal: 5400, taxTotal: 446, total: 5846, currency: "USD" });
  });

  it("answers the same purchase again with the record, writing nothing; another purchase under its transactionId is 409 naming it", async () => {
    const body = order();
    const first = await as.post("/purchases", body);
    expect(first.status).toBe(201);
    const before = { ...(await journalCounts(t.tenantId)), purchases: await rowCount("external_purchases", t.tenantId), lines: await rowCount("external_purchase_lines", t.tenantId) };
    // The same purchase as the route understands it: the source's case and the JSON's key order do not matter.
    const again = await as.post("/purchases", { ...Object.fromEntries(Object.entries(body).reverse()), source: "WebShop" });
    expect(again.status).toBe(201);
    expect(again.json.data).toEqual(first.json.data);
    expect(d1Count(again)).toBe(1);
    const changed = await as.post("/purchases", { ...body, note: "Levererad" });
    expectError(changed, 409, "PURCHASE_TRANSACTION_EXISTS");
    expect(changed.json.error).toContain(body.transactionId);
    expect(changed.json.fields).toEqual([{ path: "transactionId", message: expect.stringContaining(first.json.data.id) }]);
    expect(changed.json.current).toEqual(first.json.data);
    expect({ ...(await journalCounts(t.tenantId)), purchases: await rowCount("external_purchases", t.tenantId), lines: await rowCount("external_purchase_lines", t.tenantId) }).toEqual(before);
    // Another source, or another tenant, may use the transactionId.
    expect((await as.post("/purchases", { ...body, source: "erp" })).status).toBe(201);
    const theirCustomer = (await client(other.adminToken).post("/customers", { firstName: "Bo" })).json.data.id;
    expect((await client(other.adminToken).post("/purchases", { ...body, customerId: theirCustomer })).status).toBe(201);
  });

  it("shows what is recorded under a transactionId only to those who may read purchases", async () => {
    const body = order();
    await as.post("/purchases", body);
    const writer = client((await userWith(t, ["purchases.create"])).token);
    const changed = await writer.post("/purchases", { ...body, note: "other" });
    expectError(changed, 409, "PURCHASE_TRANSACTION_EXISTS");
    expect(changed.json.current).toBeUndefined();
    // The same purchase is its own answer: the writer sent it.
    expect((await writer.post("/purchases", body)).status).toBe(201);
  });

  it("identical purchases sent at once are recorded once: every answer is the one record", async () => {
    const body = order();
    const before = await journalCounts(t.tenantId);
    const answers = await Promise.all(Array.from({ length: 8 }, () => as.post("/purchases", body)));
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 201));
    expect(new Set(answers.map((r) => r.json.data.id)).size).toBe(1);
    for (const r of answers) expect(r.json.data).toEqual(answers[0]!.json.data);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM external_purchases WHERE tenant_id = ? AND transaction_id = ?").bind(t.tenantId, body.transactionId).first<{ n: number }>();
    expect(rows!.n).toBe(1);
    const lines = await env.DB.prepare("SELECT count(*) AS n FROM external_purchase_lines WHERE purchase_id = ?").bind(answers[0]!.json.data.id).first<{ n: number }>();
    expect(lines!.n).toBe(2);
    expect(await journalCounts(t.tenantId)).toEqual({ feed: before.feed + 1, audit: before.audit + 1 });
  });

  it("different purchases racing for one transactionId: one is recorded, every other is 409", async () => {
    const transactionId = txn();
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => as.post("/purchases", order({ transactionId, note: `attempt ${i}` }))));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    const winner = answers.find((r) => r.status === 201)!.json.data;
    for (const r of answers.filter((a) => a.status === 409)) {
      expect(r.json.code).toBe("PURCHASE_TRANSACTION_EXISTS");
      expect(r.json.current).toEqual(winner);
    }
    const lines = await env.DB.prepare("SELECT count(*) AS n FROM external_purchase_lines l JOIN external_purchases p ON p.id = l.purchase_id WHERE p.tenant_id = ? AND p.transaction_id = ?").bind(t.tenantId, transactionId).first<{ n: number }>();
    expect(lines!.n).toBe(2);
  });

  it("refuses figures that do not add up, naming each with what came and what it should be", async () => {
    const before = await journalCounts(t.tenantId);
    const body = order();
    const wrongLine = await as.post("/purchases", { ...body, lines: [{ ...body.lines[0], lineTotal: 18801 }, body.lines[1]] });
    expectError(wrongLine, 400, "PURCHASE_TOTALS_MISMATCH");
    expect(wrongLine.json.fields).toEqual([
      { path: "lines.0.lineTotal", message: expect.any(String), received: 18801, expected: 18800 },
    ]);
    const wrongTotals = await as.post("/purchases", { ...body, taxTotal: 3500, total: 17000 });
    expect(wrongTotals.json.fields).toEqual([
      { path: "taxTotal", message: expect.any(String), received: 3500, expected: 3512 },
      { path: "total", message: expect.any(String), received: 17000, expected: 17562 },
      { path: "payments", message: expect.any(String), received: 17562, expected: 17000 },
    ]);
    const underpaid = await as.post("/purchases", { ...body, payments: [{ method: "CARD", amount: 17000 }] });
    expect(paths(underpaid)).toEqual(["payments"]);
    // Exclusive prices: the total must include the tax.
    const exclusive = await as.post("/purchases", { ...body, pricesIncludeTax: false });
    expect(exclusive.json.fields).toEqual([{ path: "total", message: expect.any(String), received: 17562, expected: 21074 }]);
    const bigDiscount = await as.post("/purchases", { ...body, lines: [{ ...body.lines[0], discount: 20000 }, body.lines[1]] });
    expect(paths(bigDiscount)).toContain("lines.0.discount");
    const wrongSign = await as.post("/purchases", { ...body, lines: [{ ...body.lines[0], taxAmount: -3760 }, body.lines[1]], taxTotal: -4008 });
    expect(paths(wrongSign)).toEqual(["lines.0.taxAmount"]);
    const taxOverLine = await as.post("/purchases", { ...body, lines: [{ ...body.lines[0], taxAmount: 20000 }, body.lines[1]], taxTotal: 19752 });
    expect(paths(taxOverLine)).toEqual(["lines.0.taxAmount"]);
    expect(await journalCounts(t.tenantId)).toEqual(before);
  });

  it("refuses malformed input with 400 naming the field", async () => {
    const body = order();
    expect(paths(await as.post("/purchases", { ...body, lines: [] }))).toEqual(["lines"]);
    expect(paths(await as.post("/purchases", { ...body, payments: [] }))).toEqual(["payments"]);
    expect(new Set(paths(await as.post("/purchases", { ...body, currency: "KRONOR" })))).toEqual(new Set(["currency"]));
    expect(paths(await as.post("/purchases", { ...body, purchasedAt: "2026-11-03 14:30" }))).toEqual(["purchasedAt"]);
    expect(paths(await as.post("/purchases", { ...body, transactionId: "has space" }))).toEqual(["transactionId"]);
    expect(paths(await as.post("/purchases", { ...body, source: "web shop" }))).toEqual(["source"]);
    expect(paths(await as.post("/purchases", { ...body, customerId: "42" }))).toEqual(["customerId"]);
    expect(paths(await as.post("/purchases", { ...body, lines: [{ ...body.lines[0], unitPrice: 99.5 }] }))).toEqual(["lines.0.unitPrice"]);
    expect(paths(await as.post("/purchases", { ...body, lines: [{ ...body.lines[0], quantity: 0 }] }))).toEqual(["lines.0.quantity"]);
    expect(paths(await as.post("/purchases", { ...body, lines: [{ quantity: 1000, unitPrice: 100, lineTotal: 100 }] }))).toEqual(["lines.0.description"]);
    expect(paths(await as.post("/purchases", { ...body, payments: [{ method: "CARD PAY", amount: 17562 }] }))).toEqual(["payments.0.method"]);
    expect(paths(await as.post("/purchases", { ...body, total: "17562" }))).toEqual(["total"]);
    const future = await as.post("/purchases", { ...body, purchasedAt: new Date(Date.now() + 60 * 60_000).toISOString() });
    expectError(future, 400, "VALIDATION_ERROR");
    expect(paths(future)).toEqual(["purchasedAt"]);
  });

  it("names only the tenant's live customer, store and products (422)", async () => {
    const body = order();
    const theirCustomer = (await client(other.adminToken).post("/customers", { firstName: "Bo" })).json.data.id;
    const foreign = await as.post("/purchases", { ...body, customerId: theirCustomer, lines: [{ ...body.lines[0], productId: await insertProduct(other.tenantId, {}) }, body.lines[1]] });
    expectError(foreign, 422, "UNKNOWN_REFERENCE");
    expect(paths(foreign)).toEqual(["customerId", "lines.0.productId"]);
    const store = await as.post("/purchases", { ...body, storeId: other.storeId });
    expectError(store, 422, "UNKNOWN_REFERENCE");
    expect(paths(store)).toEqual(["storeId"]);
    const gone = (await as.post("/customers", { firstName: "Gone" })).json.data.id;
    await as.del(`/customers/${gone}`);
    expect(paths(await as.post("/purchases", { ...body, customerId: gone }))).toEqual(["customerId"]);
    // A SKU that is not one of yours leaves the line unlinked; that is no error.
    const unlinked = await as.post("/purchases", body);
    expect(unlinked.json.data.lines[1]).toMatchObject({ sku: "CANDLE-1", productId: null });
  });

  it("needs purchases.create, and in the store it names", async () => {
    const viewer = client((await userWith(t, ["purchases.view"])).token);
    expectError(await viewer.post("/purchases", order()), 403, "MISSING_PERMISSION");
    const second = (await createStore(t, `P${crypto.randomUUID().slice(0, 4)}`)).id;
    const here = client((await staffWithPin(t, ["purchases.create"])).token);
    expect((await here.post("/purchases", order({ storeId: t.storeId }))).status).toBe(201);
    const there = await here.post("/purchases", order({ storeId: second }));
    expectError(there, 403, "MISSING_PERMISSION_IN_STORE");
    expect((await here.post("/purchases", order())).status).toBe(201);
  });
});

describe("GET /api/v1/purchases", () => {
  it("lists a customer's purchases newest first without lines, by date range (from inclusive, to exclusive)", async () => {
    const t2 = await createTenant();
    const as2 = client(t2.adminToken);
    const astrid = (await as2.post("/customers", { firstName: "Astrid" })).json.data.id;
    const bo = (await as2.post("/customers", { firstName: "Bo" })).json.data.id;
    const record = async (customer: string, purchasedAt: string) =>
      (await as2.post("/purchases", order({ customerId: customer, purchasedAt }))).json.data.id as string;
    const oct = await record(astrid, "2026-10-31T23:59:59Z");
    const nov1 = await record(astrid, "2026-11-01T00:00:00Z");
    const nov20 = await record(astrid, "2026-11-20T12:00:00+01:00");
    await record(bo, "2026-11-05T00:00:00Z");
    const all = await as2.get(`/purchases?customerId=${astrid}`);
    expect(all.json.data.map((p: { id: string }) => p.id)).toEqual([nov20, nov1, oct]);
    expect(all.json.total).toBe(3);
    expect(all.json.data[0]).toMatchObject({ customerId: astrid, lineCount: 2, total: 17562 });
    expect(all.json.data[0].lines).toBeUndefined();
    expect(d1Count(all)).toBe(1);
    const november = await as2.get(`/purchases?customerId=${astrid}&date_from=2026-11-01&date_to=2026-11-20T11:00:00Z`);
    expect(november.json.data.map((p: { id: string }) => p.id)).toEqual([nov1]);
    expect((await as2.get(`/purchases?date_from=2026-11-01`)).json.total).toBe(3);
    expect(paths(await as2.get("/purchases?date_from=yesterday"))).toEqual(["query.date_from"]);
    // By source and transactionId: the one purchase.
    const one = (await as2.get(`/purchases/${nov1}`)).json.data;
    expect((await as2.get(`/purchases?source=WEBSHOP&transactionId=${one.transactionId}`)).json.data.map((p: { id: string }) => p.id)).toEqual([nov1]);
    // Another tenant sees none of it.
    const theirs = client(other.adminToken);
    expect((await theirs.get(`/purchases?customerId=${astrid}`)).json.data).toEqual([]);
    expectError(await theirs.get(`/purchases/${nov1}`), 404, "NOT_FOUND");
  });

  it("needs purchases.view", async () => {
    const writer = client((await userWith(t, ["purchases.create"])).token);
    expectError(await writer.get("/purchases"), 403, "MISSING_PERMISSION");
  });
});

describe("the purchases permissions migration", () => {
  it("gives purchases.view and purchases.create to roles that held every permission before them, with a new version and a feed row; others are left alone", async () => {
    const t2 = await createTenant();
    const role = (id: string) => env.DB.prepare("SELECT permissions, version FROM roles WHERE id = ?").bind(id).first<{ permissions: string; version: number }>();
    const older = ALL_PERMISSIONS.filter((p) => !p.startsWith("purchases."));
    // As a tenant made before the permissions existed: its Administrator role and Cashier role without them.
    await env.DB.prepare("UPDATE roles SET permissions = ? WHERE id = ?").bind(JSON.stringify(older), t2.adminRoleId).run();
    const cashierBefore = await role(t2.roles.Cashier!);
    const adminBefore = await role(t2.adminRoleId);
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.endsWith("_purchases_permissions.sql"))!;
    const run = () => env.DB.batch(migration.queries.map((q) => env.DB.prepare(q)));
    await run();
    const admin = await role(t2.adminRoleId);
    expect(JSON.parse(admin!.permissions)).toEqual([...ALL_PERMISSIONS].sort());
    expect(admin!.version).toBe(adminBefore!.version + 1);
    expect((await feedOf(t2.adminRoleId)).at(-1)).toMatchObject({ entity: "role", op: "upsert", version: admin!.version, store_id: null });
    expect(await role(t2.roles.Cashier!)).toEqual(cashierBefore);
    // Its admin holds every permission again: a write the last-administrator guard watches goes through.
    const other = await userWith(t2, ["products.view"]);
    expect((await client(t2.adminToken).put(`/users/${other.id}`, { isActive: false })).status).toBe(200);
    // Run again: nothing changes.
    await run();
    expect(await role(t2.adminRoleId)).toEqual(admin);
  });
});
