import { beforeAll, describe, expect, it } from "vitest";
import { ALL_PERMISSIONS } from "../../schema/permissions";
import { clientToken, createClient, type CreatedClient } from "./api-client-fixtures";
import { gql } from "./graphql-helpers";
import { api, createTenant, type TestTenant } from "./helpers";

/**
 * Every query and mutation of the schema, driven over HTTP with a client-credentials token (POST /oauth/token),
 * once with the permission it needs and once with a token whose scope lacks exactly that permission.
 */
const QUERIES: [field: string, permission: string | null][] = [
  ["customer", "customers.view"],
  ["environment", null],
  ["item", "inventory.view"],
  ["itemSerialLot", "inventory.view"],
  ["itemWarehouse", "inventory.view"],
  ["location", "stores.view"],
  ["product", "products.view"],
  ["productBanner", "products.view"],
  ["productGroup", "products.view"],
  ["productNotice", "products.view"],
  ["productSection", "products.view"],
  ["productSortOption", "products.view"],
  ["purchase", "purchases.view"],
  ["sale", "pos.sell"],
];

const listQuery = (field: string) => (field === "environment" ? `{ environment { apiVersion caller { __typename } } }` : `{ ${field}(first: 5) { hasMoreResults } }`);
const without = (permission: string) => ALL_PERMISSIONS.filter((p) => p !== permission).join(" ");

describe("every GraphQL operation with a client-credentials token", () => {
  let t: TestTenant;
  let client: CreatedClient;
  let token: string;
  let customerId: string;
  beforeAll(async () => {
    t = await createTenant();
    client = await createClient(t, [...ALL_PERMISSIONS]);
    token = await clientToken(client);
    customerId = (await api("POST", "/api/v1/customers", { token: t.adminToken, body: { firstName: "Ines" } })).json.data.id;
  });

  it("introspection lists exactly the operations this test drives", async () => {
    const res = await gql(token, `{ __schema { queryType { fields { name } } mutationType { fields { name } } } }`);
    expect(res.data.__schema.queryType.fields.map((f: { name: string }) => f.name).sort()).toEqual([...QUERIES.map(([f]) => f), "giftcard"].sort());
    expect(res.data.__schema.mutationType.fields.map((f: { name: string }) => f.name).sort()).toEqual(["giftcardAdd", "giftcardEdit", "giftcardTransAdd", "giftcardTransCapture", "purchaseAdd"]);
  });

  it.each(QUERIES)("query %s answers with the permission and is NOT_AUTHORIZED without it", async (field, permission) => {
    const allowed = await gql(token, listQuery(field));
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data[field]).toBeTruthy();
    if (!permission) return;
    const refused = await gql(await clientToken(client, without(permission)), listQuery(field));
    expect(refused.errors?.[0]?.extensions.code).toBe("NOT_AUTHORIZED");
    expect(refused.errors?.[0]?.message).toContain(permission);
  });

  it("gift cards: giftcardAdd, giftcard, giftcardEdit, giftcardTransAdd (authorised) and giftcardTransCapture, each refused without its permission", async () => {
    const add = `mutation { giftcardAdd(input: { initialAmount: 10000, currency: "SEK" }) { id balance available } }`;
    expect((await gql(await clientToken(client, without("giftcards.create")), add)).errors?.[0]?.extensions.code).toBe("NOT_AUTHORIZED");
    const added = await gql(token, add);
    expect(added.errors).toBeUndefined();
    const card = added.data.giftcardAdd;
    expect(card).toMatchObject({ balance: 10000, available: 10000 });

    const read = `query($id: ID) { giftcard(id: $id) { id balance transactions { items { kind amount } } } }`;
    expect((await gql(await clientToken(client, without("giftcards.view")), read, { id: card.id })).errors?.[0]?.extensions.code).toBe("NOT_AUTHORIZED");
    expect((await gql(token, read, { id: card.id })).data.giftcard).toMatchObject({ id: card.id, balance: 10000, transactions: { items: [{ kind: "ADD", amount: 10000 }] } });

    const edit = `mutation($id: ID!) { giftcardEdit(input: { id: $id, expiresOn: "2099-12-31" }) { expiresOn } }`;
    expect((await gql(await clientToken(client, without("giftcards.edit")), edit, { id: card.id })).errors?.[0]?.extensions.code).toBe("NOT_AUTHORIZED");
    expect((await gql(token, edit, { id: card.id })).data.giftcardEdit.expiresOn).toBe("2099-12-31");

    const hold = `mutation($id: ID!) { giftcardTransAdd(input: { giftcardId: $id, kind: USE, amount: -4000, authorise: true }) { transaction { id state } giftcard { available reserved } } }`;
    expect((await gql(await clientToken(client, without("giftcards.use")), hold, { id: card.id })).errors?.[0]?.extensions.code).toBe("NOT_AUTHORIZED");
    const held = (await gql(token, hold, { id: card.id })).data.giftcardTransAdd;
    expect(held).toMatchObject({ transaction: { state: "AUTHORISED" }, giftcard: { available: 6000, reserved: 4000 } });

    const capture = `mutation($card: ID!, $tx: ID!) { giftcardTransCapture(input: { giftcardId: $card, transactionId: $tx, action: CAPTURE }) { transaction { state } giftcard { balance reserved } } }`;
    const vars = { card: card.id, tx: held.transaction.id };
    expect((await gql(await clientToken(client, without("giftcards.view")), capture, vars)).errors?.[0]?.extensions.code).toBe("NOT_AUTHORIZED");
    expect((await gql(token, capture, vars)).data.giftcardTransCapture).toEqual({ transaction: { state: "CAPTURED" }, giftcard: { balance: 6000, reserved: 0 } });
  });

  it("purchaseAdd records a purchase for a customer, once per source and transaction id, and is refused without purchases.create", async () => {
    const add = `mutation($input: PurchaseAddInput!) { purchaseAdd(input: $input) { id total source transactionId } }`;
    const input = {
      source: "webshop", transactionId: "W-1001", customerId, purchasedAt: "2026-11-30T10:00:00Z", currency: "SEK", pricesIncludeTax: true,
      lines: [{ description: "Mug", quantity: 1000, unitPrice: 9900, lineTotal: 9900, taxAmount: 1980 }], taxTotal: 1980, total: 9900,
      payments: [{ method: "CARD", amount: 9900 }],
    };
    expect((await gql(await clientToken(client, without("purchases.create")), add, { input })).errors?.[0]?.extensions.code).toBe("NOT_AUTHORIZED");
    const first = await gql(token, add, { input });
    expect(first.errors).toBeUndefined();
    expect(first.data.purchaseAdd).toMatchObject({ total: 9900, source: "webshop", transactionId: "W-1001" });
    expect((await gql(token, add, { input })).data.purchaseAdd.id).toBe(first.data.purchaseAdd.id);
    expect((await gql(token, add, { input: { ...input, note: "another" } })).errors?.[0]?.extensions.code).toBe("CONFLICT");
  });
});
