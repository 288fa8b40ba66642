import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../worker/index";
import { freshCode, ledgerBalance, stored } from "./giftcards-fixtures";
import { ALL_PERMISSIONS } from "../../schema/permissions";
import { clientToken, createClient } from "./api-client-fixtures";
import { gql } from "./graphql-helpers";
import { api, createTenant, userWith, type TestTenant } from "./helpers";

const CARD_FIELDS = `id currency balance reserved available status customerId expiresOn version codes { id kind code maskedCode hasPin customerId source }`;
const TX_FIELDS = `id giftcardId kind state amount authorisedAmount balanceAfter reference saleId actorType expiresAt settledAt`;

const ADD = `mutation Add($input: GiftcardAddInput!) { giftcardAdd(input: $input) { ${CARD_FIELDS} } }`;
const EDIT = `mutation Edit($input: GiftcardEditInput!) { giftcardEdit(input: $input) { ${CARD_FIELDS} } }`;
const TRANS = `mutation Trans($input: GiftcardTransAddInput!) { giftcardTransAdd(input: $input) { giftcard { ${CARD_FIELDS} } transaction { ${TX_FIELDS} } } }`;
const CAPTURE = `mutation Capture($input: GiftcardTransCaptureInput!) { giftcardTransCapture(input: $input) { giftcard { ${CARD_FIELDS} } transaction { ${TX_FIELDS} } } }`;
const BY_ID = `query Card($id: ID, $code: String, $pin: String, $first: Int, $skip: Int) {
  giftcard(id: $id, code: $code, pin: $pin) { ${CARD_FIELDS} transactions(first: $first, skip: $skip) { items { ${TX_FIELDS} } hasMoreResults until } }
}`;

const errorOf = (res: { errors?: { extensions: Record<string, any> }[] }) => res.errors?.[0]?.extensions;

describe("gift cards over GraphQL", () => {
  let t: TestTenant;
  /** An API client's client-credentials token, holding every gift card permission. */
  let integrator: string;
  beforeAll(async () => {
    t = await createTenant();
    integrator = await clientToken(await createClient(t, ALL_PERMISSIONS.filter((p) => p.startsWith("giftcards."))));
  });

  async function newCard(amount: number, pin?: string) {
    const code = freshCode();
    const res = await gql(integrator, ADD, { input: { codes: [{ kind: "PHYSICAL", code, ...(pin ? { pin } : {}) }], initialAmount: amount } });
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return { ...res.data.giftcardAdd, code } as { id: string; code: string; version: number };
  }

  it("creates a card with its codes and reads it back by id and by code and PIN, with its codes and transactions", async () => {
    const customer = await api("POST", "/api/v1/customers", { token: t.adminToken, body: { firstName: "Gun" } });
    const physical = freshCode();
    const personal = freshCode();
    const add = await gql(integrator, ADD, {
      input: {
        codes: [{ kind: "PHYSICAL", code: physical, pin: "73197319" }, { kind: "PERSONAL", code: personal, customerId: customer.json.data.id }],
        initialAmount: 25000, reference: "Sold online", expiresOn: "2099-06-30",
      },
    });
    expect(add.errors).toBeUndefined();
    const card = add.data.giftcardAdd;
    expect(card).toMatchObject({ currency: "SEK", balance: 25000, reserved: 0, available: 25000, status: "ACTIVE", expiresOn: "2099-06-30" });
    expect(card.codes.map((c: { kind: string; hasPin: boolean }) => [c.kind, c.hasPin]).sort()).toEqual([["PERSONAL", false], ["PHYSICAL", true]]);

    const byId = await gql(integrator, BY_ID, { id: card.id });
    expect(byId.errors).toBeUndefined();
    expect(byId.data.giftcard).toMatchObject({ id: card.id, balance: 25000 });
    expect(byId.data.giftcard.transactions).toEqual({
      items: [expect.objectContaining({ giftcardId: card.id, kind: "ADD", state: "COMPLETED", amount: 25000, balanceAfter: 25000, reference: "Sold online", actorType: "client" })],
      hasMoreResults: false, until: null,
    });
    const byCode = await gql(integrator, BY_ID, { code: physical.toLowerCase(), pin: "73197319" });
    expect(byCode.data.giftcard.id).toBe(card.id);
    expect((await gql(integrator, BY_ID, { code: personal })).data.giftcard.id).toBe(card.id);
  });

  it("answers a wrong PIN, a missing PIN and an unknown code alike, and refuses id and code together", async () => {
    const card = await newCard(100, "2580");
    const answers = [
      await gql(integrator, BY_ID, { code: card.code, pin: "0852" }),
      await gql(integrator, BY_ID, { code: card.code }),
      await gql(integrator, BY_ID, { code: freshCode(), pin: "2580" }),
    ];
    for (const a of answers) {
      expect(a.data.giftcard).toBeNull();
      expect(a.errors![0]!.message).toBe("No gift card has this code and PIN");
      expect(errorOf(a)).toMatchObject({ code: "NOT_FOUND", reason: "GIFT_CARD_NOT_FOUND" });
    }
    expect(errorOf(await gql(integrator, BY_ID, { id: card.id, code: card.code }))).toMatchObject({ code: "VALIDATION", property: "id" });
    expect(errorOf(await gql(integrator, BY_ID, {}))).toMatchObject({ code: "VALIDATION" });
  });

  it("uses, authorises, captures part and cancels, with the domain's refusals as error codes", async () => {
    const card = await newCard(20000);
    const use = await gql(integrator, TRANS, { input: { giftcardId: card.id, kind: "USE", amount: -5000, reference: "order 7" } });
    expect(use.data.giftcardTransAdd.transaction).toMatchObject({ kind: "USE", state: "COMPLETED", amount: -5000, balanceAfter: 15000 });
    expect(use.data.giftcardTransAdd.giftcard.balance).toBe(15000);

    const over = await gql(integrator, TRANS, { input: { giftcardId: card.id, kind: "USE", amount: -15001 } });
    expect(errorOf(over)).toMatchObject({ code: "BUSINESS_RULE", reason: "INSUFFICIENT_FUNDS", property: "amount" });
    const wrongSign = await gql(integrator, TRANS, { input: { giftcardId: card.id, kind: "USE", amount: 100 } });
    expect(errorOf(wrongSign)).toMatchObject({ code: "VALIDATION", property: "input.amount" });

    const hold = (await gql(integrator, TRANS, { input: { giftcardId: card.id, kind: "USE", amount: -8000, authorise: true } })).data.giftcardTransAdd;
    expect(hold.transaction).toMatchObject({ state: "AUTHORISED", authorisedAmount: -8000, balanceAfter: null });
    expect(hold.giftcard).toMatchObject({ balance: 15000, reserved: 8000, available: 7000 });
    const captured = await gql(integrator, CAPTURE, { input: { giftcardId: card.id, transactionId: hold.transaction.id, amount: 6000 } });
    expect(captured.errors).toBeUndefined();
    expect(captured.data.giftcardTransCapture.transaction).toMatchObject({ state: "CAPTURED", amount: -6000, balanceAfter: 9000 });
    expect(captured.data.giftcardTransCapture.giftcard).toMatchObject({ balance: 9000, reserved: 0 });
    const again = await gql(integrator, CAPTURE, { input: { giftcardId: card.id, transactionId: hold.transaction.id } });
    expect(errorOf(again)).toMatchObject({ code: "CONFLICT", reason: "TRANSACTION_NOT_AUTHORISED", current: { state: "CAPTURED" } });

    const other = (await gql(integrator, TRANS, { input: { giftcardId: card.id, kind: "USE", amount: -1000, authorise: true } })).data.giftcardTransAdd;
    const cancelled = await gql(integrator, CAPTURE, { input: { giftcardId: card.id, transactionId: other.transaction.id, action: "CANCEL" } });
    expect(cancelled.data.giftcardTransCapture.transaction.state).toBe("CANCELLED");
    expect(cancelled.data.giftcardTransCapture.giftcard).toMatchObject({ balance: 9000, reserved: 0 });

    const page = await gql(integrator, BY_ID, { id: card.id, first: 2, skip: 1 });
    expect(page.data.giftcard.transactions.items).toHaveLength(2);
    expect(page.data.giftcard.transactions.hasMoreResults).toBe(true);
  });

  it("retries a transaction by its id without writing it twice", async () => {
    const card = await newCard(5000);
    const input = { giftcardId: card.id, transactionId: crypto.randomUUID(), kind: "USE", amount: -2000 };
    const first = await gql(integrator, TRANS, { input });
    const second = await gql(integrator, TRANS, { input });
    expect(second.data.giftcardTransAdd.transaction).toEqual(first.data.giftcardTransAdd.transaction);
    expect(errorOf(await gql(integrator, TRANS, { input: { ...input, amount: -1000 } }))).toMatchObject({ code: "BUSINESS_RULE", reason: "IDEMPOTENCY_MISMATCH" });
    expect((await stored(card.id)).balance).toBe(3000);
  });

  it("two captures of one authorisation at once: one captures, the other is CONFLICT, the money moves once", async () => {
    const card = await newCard(10000);
    const hold = (await gql(integrator, TRANS, { input: { giftcardId: card.id, kind: "USE", amount: -10000, authorise: true } })).data.giftcardTransAdd.transaction;
    const both = await Promise.all([0, 1].map(() => gql(integrator, CAPTURE, { input: { giftcardId: card.id, transactionId: hold.id } })));
    const ok = both.filter((r) => !r.errors);
    const refused = both.filter((r) => r.errors);
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(errorOf(refused[0]!)).toMatchObject({ code: "CONFLICT", reason: "TRANSACTION_NOT_AUTHORISED" });
    expect(ok[0]!.data.giftcardTransCapture.giftcard).toMatchObject({ balance: 0, reserved: 0 });
    const s = await stored(card.id);
    expect(s).toMatchObject({ balance: 0, reserved: 0 });
    expect(s.ledger.map((r) => r.state)).toEqual(["COMPLETED", "CAPTURED"]);
  });

  it("two uses of the last 100 kr at once: one is taken, the other is INSUFFICIENT_FUNDS", async () => {
    const card = await newCard(10000);
    const both = await Promise.all([0, 1].map(() => gql(integrator, TRANS, { input: { giftcardId: card.id, kind: "USE", amount: -10000 } })));
    expect(both.filter((r) => !r.errors)).toHaveLength(1);
    expect(errorOf(both.find((r) => r.errors)!)).toMatchObject({ code: "BUSINESS_RULE", reason: "INSUFFICIENT_FUNDS" });
    const s = await stored(card.id);
    expect(s.balance).toBe(0);
    expect(ledgerBalance(s.ledger)).toBe(0);
  });

  it("the same capture sent twice at once with one idempotencyKey: both answer the one capture", async () => {
    const card = await newCard(10000);
    const hold = (await gql(integrator, TRANS, { input: { giftcardId: card.id, kind: "USE", amount: -4000, authorise: true } })).data.giftcardTransAdd.transaction;
    const idempotencyKey = crypto.randomUUID();
    const both = await Promise.all([0, 1].map(() => gql(integrator, CAPTURE, { input: { giftcardId: card.id, transactionId: hold.id, idempotencyKey } })));
    expect(both.map((r) => r.errors)).toEqual([undefined, undefined]);
    expect(both[0]!.data.giftcardTransCapture.transaction).toEqual(both[1]!.data.giftcardTransCapture.transaction);
    expect((await stored(card.id)).balance).toBe(6000);
  });

  it("an authorisation left uncaptured expires when the cron runs past the tenant's hold", async () => {
    const card = await newCard(10000);
    const hold = (await gql(integrator, TRANS, { input: { giftcardId: card.id, kind: "USE", amount: -3000, authorise: true } })).data.giftcardTransAdd.transaction;
    const ctx = createExecutionContext();
    const handler: ExportedHandlerScheduledHandler<typeof env> = worker.scheduled;
    await handler(createScheduledController({ scheduledTime: Date.parse(hold.expiresAt), cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const after = await gql(integrator, BY_ID, { id: card.id, first: 1 });
    expect(after.data.giftcard).toMatchObject({ balance: 10000, reserved: 0, available: 10000 });
    expect(after.data.giftcard.transactions.items[0]).toMatchObject({ id: hold.id, state: "EXPIRED", settledAt: hold.expiresAt });
    expect(errorOf(await gql(integrator, CAPTURE, { input: { giftcardId: card.id, transactionId: hold.id } }))).toMatchObject({ code: "CONFLICT", reason: "TRANSACTION_NOT_AUTHORISED" });
  });

  it("edits a card: blocking it stops uses, a stale version is CONFLICT", async () => {
    const card = await newCard(5000);
    const stale = await gql(integrator, EDIT, { input: { id: card.id, version: card.version + 5, status: "BLOCKED" } });
    expect(errorOf(stale)).toMatchObject({ code: "CONFLICT", reason: "VERSION_CONFLICT" });
    const blocked = await gql(integrator, EDIT, { input: { id: card.id, version: card.version, status: "BLOCKED", expiresOn: "2030-01-01" } });
    expect(blocked.data.giftcardEdit).toMatchObject({ status: "BLOCKED", expiresOn: "2030-01-01" });
    expect(errorOf(await gql(integrator, TRANS, { input: { giftcardId: card.id, kind: "USE", amount: -100 } }))).toMatchObject({ reason: "GIFT_CARD_BLOCKED" });
    const code = freshCode();
    const recoded = await gql(integrator, EDIT, { input: { id: card.id, status: "ACTIVE", expiresOn: null, addCodes: [{ kind: "EXTERNAL", code, source: "webshop" }] } });
    expect(recoded.data.giftcardEdit).toMatchObject({ status: "ACTIVE", expiresOn: null });
    expect(recoded.data.giftcardEdit.codes.map((c: { code: string }) => c.code)).toContain(code);
  });

  it("checks each operation's permission, and each kind's", async () => {
    const card = await newCard(5000);
    const viewer = await userWith(t, ["giftcards.view"]);
    const refused = [
      await gql(viewer.token, ADD, { input: {} }),
      await gql(viewer.token, EDIT, { input: { id: card.id, status: "BLOCKED" } }),
      await gql(viewer.token, TRANS, { input: { giftcardId: card.id, kind: "USE", amount: -100 } }),
      await gql(viewer.token, TRANS, { input: { giftcardId: card.id, kind: "ADJUST", amount: 100 } }),
    ];
    for (const r of refused) expect(errorOf(r)).toMatchObject({ code: "NOT_AUTHORIZED", reason: "MISSING_PERMISSION" });
    const hold = (await gql(integrator, TRANS, { input: { giftcardId: card.id, kind: "IMPORT", amount: 100, authorise: true } })).data.giftcardTransAdd.transaction;
    const user = await userWith(t, ["giftcards.view", "giftcards.use"]);
    expect(errorOf(await gql(user.token, CAPTURE, { input: { giftcardId: card.id, transactionId: hold.id } }))).toMatchObject({ code: "NOT_AUTHORIZED" });
    expect(errorOf(await gql((await userWith(t, ["giftcards.use"])).token, BY_ID, { id: card.id }))).toMatchObject({ code: "NOT_AUTHORIZED" });
    expect((await gql(user.token, TRANS, { input: { giftcardId: card.id, kind: "USE", amount: -100 } })).errors).toBeUndefined();
  });

  it("keeps tenants apart", async () => {
    const other = await createTenant();
    const card = await newCard(5000);
    const read = await gql(other.adminToken, BY_ID, { id: card.id });
    expect(read.data.giftcard).toBeNull();
    expect(errorOf(read)).toMatchObject({ code: "NOT_FOUND" });
    expect(errorOf(await gql(other.adminToken, BY_ID, { code: card.code }))).toMatchObject({ code: "NOT_FOUND" });
    expect(errorOf(await gql(other.adminToken, TRANS, { input: { giftcardId: card.id, kind: "USE", amount: -100 } }))).toMatchObject({ code: "NOT_FOUND" });
    expect((await stored(card.id)).balance).toBe(5000);
  });
});
