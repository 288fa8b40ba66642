import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { client } from "./catalogue-fixtures";
import { gql } from "./graphql-helpers";
import { createStore, createTenant, journalCounts, userWith, type TestTenant } from "./helpers";

let t: TestTenant;
let customerId: string;
beforeAll(async () => {
  t = await createTenant();
  customerId = (await client(t.adminToken).post("/customers", { firstName: "Astrid" })).json.data.id;
});

const ADD = `mutation Add($input: PurchaseAddInput!) {
  purchaseAdd(input: $input) {
    id source transactionId customerId locationId purchasedAt currency pricesIncludeTax subtotal taxTotal total note version
    lines { lineNo productId sku description quantity unitPrice discount lineTotal taxAmount taxRate }
    payments { method amount reference }
  }
}`;

const input = (overrides: Record<string, unknown> = {}) => ({
  source: "ERP",
  transactionId: `INV-${crypto.randomUUID().slice(0, 8)}`,
  customerId,
  purchasedAt: "2026-11-03T14:30:00+01:00",
  currency: "SEK",
  pricesIncludeTax: false,
  lines: [{ description: "Konsultation", quantity: 1500, unitPrice: 80000, lineTotal: 120000, taxAmount: 30000, taxRate: 2500 }],
  taxTotal: 30000,
  total: 150000,
  payments: [{ method: "INVOICE", amount: 150000 }],
  ...overrides,
});

describe("mutation purchaseAdd", () => {
  it("records a purchase and answers it, in UTC, as REST's GET /purchases/:id does", async () => {
    const body = input({ locationId: t.storeId, note: "Faktura 1001" });
    const res = await gql(t.adminToken, ADD, { input: body });
    expect(res.errors).toBeUndefined();
    const purchase = res.data.purchaseAdd;
    expect(purchase).toEqual({
      id: expect.any(String), source: "erp", transactionId: body.transactionId, customerId, locationId: t.storeId, purchasedAt: "2026-11-03T13:30:00.000Z",
      currency: "SEK", pricesIncludeTax: false, subtotal: 120000, taxTotal: 30000, total: 150000, note: "Faktura 1001", version: 1,
      lines: [{ lineNo: 1, productId: null, sku: null, description: "Konsultation", quantity: 1500, unitPrice: 80000, discount: 0, lineTotal: 120000, taxAmount: 30000, taxRate: 2500 }],
      payments: [{ method: "INVOICE", amount: 150000, reference: null }],
    });
    const rest = await client(t.adminToken).get(`/purchases/${purchase.id}`);
    expect(rest.json.data).toMatchObject({ id: purchase.id, total: 150000, storeId: t.storeId });
  });

  it("the same purchase again answers the one recorded and writes nothing; another under its transactionId is CONFLICT", async () => {
    const body = input();
    const first = await gql(t.adminToken, ADD, { input: body });
    const before = await journalCounts(t.tenantId);
    const again = await gql(t.adminToken, ADD, { input: body });
    expect(again.errors).toBeUndefined();
    expect(again.data.purchaseAdd).toEqual(first.data.purchaseAdd);
    expect(await journalCounts(t.tenantId)).toEqual(before);
    const other = await gql(t.adminToken, ADD, { input: { ...body, note: "changed" } });
    expect(other.data).toBeNull();
    expect(other.errors![0]!.extensions).toMatchObject({ code: "CONFLICT", reason: "PURCHASE_TRANSACTION_EXISTS", property: "input.transactionId", current: { id: first.data.purchaseAdd.id } });
    expect(other.errors![0]!.message).toContain(body.transactionId);
  });

  it("sent many times at once: recorded once, every answer the same", async () => {
    const body = input();
    const answers = await Promise.all(Array.from({ length: 6 }, () => gql(t.adminToken, ADD, { input: body })));
    for (const a of answers) expect(a.errors).toBeUndefined();
    expect(new Set(answers.map((a) => a.data.purchaseAdd.id)).size).toBe(1);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM external_purchases WHERE tenant_id = ? AND transaction_id = ?").bind(t.tenantId, body.transactionId).first<{ n: number }>();
    expect(rows!.n).toBe(1);
  });

  it("is VALIDATION naming the input's property when the figures do not add up or a field is wrong", async () => {
    const wrongTotal = await gql(t.adminToken, ADD, { input: input({ total: 120000, payments: [{ method: "INVOICE", amount: 120000 }] }) });
    expect(wrongTotal.errors![0]!.extensions).toMatchObject({
      code: "VALIDATION", reason: "PURCHASE_TOTALS_MISMATCH", property: "input.total", fields: [{ path: "input.total", received: 120000, expected: 150000, message: expect.any(String) }],
    });
    const badLine = await gql(t.adminToken, ADD, { input: input({ lines: [{ quantity: 1000, unitPrice: 100, lineTotal: 100 }], taxTotal: 0, total: 100, payments: [{ method: "X", amount: 100 }] }) });
    expect(badLine.errors![0]!.extensions).toMatchObject({ code: "VALIDATION", reason: "VALIDATION_ERROR", property: "input.lines.0.description" });
    const badSource = await gql(t.adminToken, ADD, { input: input({ source: "web shop" }) });
    expect(badSource.errors![0]!.extensions).toMatchObject({ code: "VALIDATION", property: "input.source" });
    // A DateTime without a zone is refused by the scalar itself.
    const noZone = await gql(t.adminToken, ADD, { input: input({ purchasedAt: "2026-11-03T14:30:00" }) });
    expect(noZone.errors![0]!.extensions.code).toBe("VALIDATION");
  });

  it("names a customer or location that is not the tenant's (BUSINESS_RULE, UNKNOWN_REFERENCE)", async () => {
    const other = await createTenant();
    const res = await gql(t.adminToken, ADD, { input: input({ locationId: other.storeId }) });
    expect(res.errors![0]!.extensions).toMatchObject({ code: "BUSINESS_RULE", reason: "UNKNOWN_REFERENCE", property: "input.locationId" });
    const theirCustomer = (await client(other.adminToken).post("/customers", { firstName: "Bo" })).json.data.id;
    const customer = await gql(t.adminToken, ADD, { input: input({ customerId: theirCustomer }) });
    expect(customer.errors![0]!.extensions).toMatchObject({ code: "BUSINESS_RULE", property: "input.customerId" });
  });

  it("needs purchases.create (NOT_AUTHORIZED), and in the location it names", async () => {
    const viewer = await userWith(t, ["purchases.view", "customers.view"]);
    const refused = await gql(viewer.token, ADD, { input: input() });
    expect(refused.errors![0]!.extensions).toMatchObject({ code: "NOT_AUTHORIZED", reason: "MISSING_PERMISSION" });
    expect(refused.errors![0]!.message).toContain("purchases.create");
    const writer = await userWith(t, ["purchases.create"]);
    const elsewhere = (await createStore(t, `G${crypto.randomUUID().slice(0, 4)}`)).id;
    const there = await gql(writer.token, ADD, { input: input({ locationId: elsewhere }) });
    expect(there.errors![0]!.extensions).toMatchObject({ code: "NOT_AUTHORIZED", reason: "MISSING_PERMISSION_IN_STORE" });
    expect((await gql(writer.token, ADD, { input: input() })).errors).toBeUndefined();
  });
});

const HISTORY = `query History($customerId: ID, $fromDate: DateTime, $toDate: DateTime, $first: Int, $skip: Int, $source: String, $transactionId: String) {
  purchase(customerId: $customerId, fromDate: $fromDate, toDate: $toDate, first: $first, skip: $skip, source: $source, transactionId: $transactionId) {
    items { id purchasedAt total lines { lineNo lineTotal } payments { method amount } }
    hasMoreResults until
  }
}`;

describe("query purchase", () => {
  it("is a customer's purchase history: oldest first with lines, fromDate inclusive, toDate exclusive, skip and first, in one round trip", async () => {
    const t2 = await createTenant();
    const astrid = (await client(t2.adminToken).post("/customers", { firstName: "Astrid" })).json.data.id;
    const bo = (await client(t2.adminToken).post("/customers", { firstName: "Bo" })).json.data.id;
    const add = async (customer: string, purchasedAt: string) =>
      (await gql(t2.adminToken, ADD, { input: input({ customerId: customer, purchasedAt }) })).data.purchaseAdd.id as string;
    const a1 = await add(astrid, "2026-10-31T23:00:00Z");
    const a2 = await add(astrid, "2026-11-01T00:00:00Z");
    const a3 = await add(astrid, "2026-11-02T00:00:00Z");
    await add(bo, "2026-11-01T12:00:00Z");
    const all = await gql(t2.adminToken, HISTORY, { customerId: astrid });
    expect(all.errors).toBeUndefined();
    expect(all.data.purchase.items.map((p: { id: string }) => p.id)).toEqual([a1, a2, a3]);
    expect(all.data.purchase.items[0]).toMatchObject({ total: 150000, lines: [{ lineNo: 1, lineTotal: 120000 }], payments: [{ method: "INVOICE", amount: 150000 }] });
    expect(all.data.purchase).toMatchObject({ hasMoreResults: false, until: null });
    expect(all.d1).toBe(1);
    const november = await gql(t2.adminToken, HISTORY, { customerId: astrid, fromDate: "2026-11-01T00:00:00Z", toDate: "2026-11-02T00:00:00Z" });
    expect(november.data.purchase.items.map((p: { id: string }) => p.id)).toEqual([a2]);
    const paged = await gql(t2.adminToken, HISTORY, { customerId: astrid, first: 1, skip: 1 });
    expect(paged.data.purchase).toMatchObject({ items: [{ id: a2 }], hasMoreResults: true });
    const backwards = await gql(t2.adminToken, HISTORY, { fromDate: "2026-11-02T00:00:00Z", toDate: "2026-11-01T00:00:00Z" });
    expect(backwards.errors![0]!.extensions).toMatchObject({ code: "VALIDATION", property: "toDate" });
    // By source and transactionId: the one.
    const one = (await client(t2.adminToken).get(`/purchases/${a3}`)).json.data;
    const found = await gql(t2.adminToken, HISTORY, { source: "Erp", transactionId: one.transactionId });
    expect(found.data.purchase.items.map((p: { id: string }) => p.id)).toEqual([a3]);
    // Another tenant's customer's history: nothing.
    expect((await gql(t.adminToken, HISTORY, { customerId: astrid })).data.purchase.items).toEqual([]);
  });

  it("needs purchases.view", async () => {
    const writer = await userWith(t, ["purchases.create"]);
    const res = await gql(writer.token, HISTORY, {});
    expect(res.errors![0]!.extensions).toMatchObject({ code: "NOT_AUTHORIZED", reason: "MISSING_PERMISSION" });
  });
});

