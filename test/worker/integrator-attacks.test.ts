import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { basic, clientToken, createClient, tokenRequest, type CreatedClient } from "./api-client-fixtures";
import { gql } from "./graphql-helpers";
import { api, createTenant, type TestTenant } from "./helpers";

/** The integrator face tried as an attacker would: at the schema's maximum, twenty at once, and guessing secrets. */
describe("the integrator face under attack", () => {
  let t: TestTenant;
  let client: CreatedClient;
  let customerId: string;
  const ADD = `mutation($input: PurchaseAddInput!) { purchaseAdd(input: $input) { id total lines { lineNo } } }`;
  const purchase = (transactionId: string, lineCount: number) => ({
    source: "erp", transactionId, customerId, purchasedAt: "2026-11-30T10:00:00Z", currency: "SEK", pricesIncludeTax: true,
    lines: Array.from({ length: lineCount }, (_, i) => ({ description: `Line ${i + 1}`, quantity: 1000, unitPrice: 1000, lineTotal: 1000, taxAmount: 200 })),
    taxTotal: 200 * lineCount, total: 1000 * lineCount, payments: [{ method: "INVOICE", amount: 1000 * lineCount }],
  });
  beforeAll(async () => {
    t = await createTenant();
    client = await createClient(t, ["purchases.create", "purchases.view"]);
    customerId = (await api("POST", "/api/v1/customers", { token: t.adminToken, body: { firstName: "Max" } })).json.data.id;
  });

  it("records a purchase of the schema's maximum of 500 lines (D1's 100 bound parameters per statement), and refuses 501 with VALIDATION", async () => {
    const token = await clientToken(client);
    const full = await gql(token, ADD, { input: purchase("MAX-500", 500) });
    expect(full.errors).toBeUndefined();
    expect(full.data.purchaseAdd.total).toBe(500_000);
    expect(full.data.purchaseAdd.lines.map((l: { lineNo: number }) => l.lineNo)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    const over = await gql(token, ADD, { input: purchase("MAX-501", 501) });
    expect(over.errors?.[0]?.extensions.code).toBe("VALIDATION");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM external_purchases WHERE transaction_id = 'MAX-501'").first("n")).toBe(0);
  });

  it("twenty identical purchaseAdd calls at once write one purchase and all answer it", async () => {
    const token = await clientToken(client);
    const answers = await Promise.all(Array.from({ length: 20 }, () => gql(token, ADD, { input: purchase("TWENTY", 3) })));
    expect(answers.map((a) => a.errors)).toEqual(Array(20).fill(undefined));
    expect(new Set(answers.map((a) => a.data.purchaseAdd.id)).size).toBe(1);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM external_purchases WHERE transaction_id = 'TWENTY'").first("n")).toBe(1);
  });

  it("twenty wrong secrets at once are each refused (401 or 429, never 5xx), and then the right secret is throttled too", async () => {
    const target = await createClient(t, ["purchases.view"]);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(target.clientId, "cs_guess") })),
    );
    expect(answers.every((a) => a.status === 401 || a.status === 429)).toBe(true);
    expect(answers.some((a) => a.status === 429)).toBe(true);
    const right = await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(target.clientId, target.clientSecret) });
    expect(right.status).toBe(429);
    expect(right.json.access_token).toBeUndefined();
  });
});
