import type { z } from "zod";
import {
  CaptureBody, CreateGiftCardBody, GIFT_CARD_CODE_KINDS, GIFT_CARD_TRANSACTION_KINDS, GIFT_CARD_TRANSACTION_STATES, GiftCardTransactionBody, PresentedGiftCard,
  UpdateGiftCardBody, type GiftCard as GiftCardDto, type GiftCardTransaction as GiftCardTransactionDto, type GiftCardWithTransaction,
} from "../../../schema/contracts/giftcards";
import { Id } from "../../../schema/contracts/common";
import {
  addGiftCardTransaction, cancelGiftCardTransaction, captureGiftCardTransaction, createGiftCard, getGiftCard, lookupGiftCard,
  readGiftCardTransactions, updateGiftCard,
} from "../../domain/giftcards";
import { validationFailed } from "../../domain/errors";
import { idempotencyKey } from "../../domain/idempotency";
import { authorize } from "../authorize";
import { builder, useMutations } from "../builder";
import { pageArgs, pageOf, pageResult } from "../paging";

/**
 * Gift cards over GraphQL: the query `giftcard` (by id, or by code and PIN) with its codes and transactions, and
 * the mutations giftcardAdd, giftcardEdit, giftcardTransAdd and giftcardTransCapture (capture or cancel). The
 * domain (worker/domain/giftcards.ts) checks every permission and rule; inputs are checked with the same zod
 * contracts as REST.
 */

/** An input checked with its REST contract: VALIDATION naming each field (under `input.`) otherwise. */
function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(result.error.issues.map((i) => ({ path: ["input", ...i.path.map(String)].join("."), message: i.message })));
  return result.data;
}

/** GraphQL's null for an optional input field is "not given", except where null means "none" (customerId, expiresOn). */
const given = <T>(value: T | null | undefined) => (value === null ? undefined : value);

// ---------------------------------------------------------------------------------------------------------------
// Types

const GiftCardStatus = builder.enumType("GiftCardStatus", {
  description: "Whether a gift card can be used.",
  values: {
    ACTIVE: { value: "active", description: "The card can be loaded and spent." },
    BLOCKED: { value: "blocked", description: "The card takes no ADD or USE and no capture (lost, stolen, disputed); corrections and cancels still work." },
  } as const,
});

const GiftCardCodeKind = builder.enumType("GiftCardCodeKind", {
  description: "What kind of code a gift card is presented by.",
  values: {
    PHYSICAL: { value: "PHYSICAL", description: "Printed on a card, optionally with a PIN." },
    PERSONAL: { value: "PERSONAL", description: "A customer's own code (a member's)." },
    EXTERNAL: { value: "EXTERNAL", description: "A code from another system (a web shop, a former POS)." },
  } as const satisfies Record<(typeof GIFT_CARD_CODE_KINDS)[number], unknown>,
});

const GiftCardTransactionKind = builder.enumType("GiftCardTransactionKind", {
  description: "What a transaction does to a card's money. Each kind needs its own permission.",
  values: {
    ADD: { value: "ADD", description: "Money loaded onto the card (selling or topping it up): a positive amount. Needs giftcards.add." },
    ADJUST: { value: "ADJUST", description: "A correction, either way. Needs giftcards.adjust." },
    EXTERNAL: { value: "EXTERNAL", description: "A transaction made in another system, either way. Needs giftcards.external." },
    IMPORT: { value: "IMPORT", description: "A balance brought over from another system: a positive amount. Needs giftcards.import." },
    USE: { value: "USE", description: "Money spent: a negative amount. Needs giftcards.use." },
  } as const satisfies Record<(typeof GIFT_CARD_TRANSACTION_KINDS)[number], unknown>,
});

const GiftCardTransactionState = builder.enumType("GiftCardTransactionState", {
  description: "Where a transaction is in its life.",
  values: {
    COMPLETED: { value: "COMPLETED", description: "Done at once: the balance moved." },
    AUTHORISED: { value: "AUTHORISED", description: "Authorised, waiting to be captured or cancelled; an authorised USE holds its money already." },
    CAPTURED: { value: "CAPTURED", description: "An authorisation captured: the balance moved by `amount`." },
    CANCELLED: { value: "CANCELLED", description: "An authorisation cancelled: nothing moved, its hold released." },
    EXPIRED: { value: "EXPIRED", description: "An authorisation left uncaptured past the tenant's hold, cancelled by the system." },
  } as const satisfies Record<(typeof GIFT_CARD_TRANSACTION_STATES)[number], unknown>,
});

const GiftCardCode = builder.objectRef<GiftCardDto["codes"][number]>("GiftCardCode").implement({
  description: "A code a gift card is presented by. A PIN is never answered, only whether there is one.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The code's id (a UUID): giftcardEdit removes a code by it." }),
    kind: t.field({ type: GiftCardCodeKind, description: "What kind of code it is.", resolve: (c) => c.kind }),
    code: t.exposeString("code", { description: "The code, in upper case; unique among the tenant's live codes." }),
    maskedCode: t.exposeString("maskedCode", { description: "The code as receipts print it: its last four characters." }),
    hasPin: t.exposeBoolean("hasPin", { description: "Whether presenting the code needs its PIN." }),
    customerId: t.exposeID("customerId", { nullable: true, description: "A PERSONAL code's customer." }),
    source: t.exposeString("source", { nullable: true, description: "An EXTERNAL code's system." }),
    createdAt: t.field({ type: "DateTime", description: "When the code was added to the card.", resolve: (c) => c.createdAt }),
  }),
});

const GiftCardTransaction = builder.objectRef<GiftCardTransactionDto>("GiftCardTransaction").implement({
  description: "A row of a gift card's ledger. Amounts are integer minor units of the card's currency (öre, cents).",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The transaction's id (a UUID; the client's, when it sent one)." }),
    giftcardId: t.exposeID("cardId", { description: "The card's id." }),
    kind: t.field({ type: GiftCardTransactionKind, description: "What the transaction does.", resolve: (x) => x.kind }),
    state: t.field({ type: GiftCardTransactionState, description: "Completed at once, or where its authorisation is.", resolve: (x) => x.state }),
    amount: t.exposeInt("amount", { description: "Signed minor units (a USE is negative): what it did to the balance, or, while authorised, what it will do when captured in full." }),
    authorisedAmount: t.exposeInt("authorisedAmount", { nullable: true, description: "What an authorisation was made for; null for a transaction completed at once." }),
    balanceAfter: t.exposeInt("balanceAfter", { nullable: true, description: "The card's balance right after this transaction moved it; null when it moved nothing." }),
    reference: t.exposeString("reference", { nullable: true, description: "The caller's reference (an order number; a sale's receipt number at the till)." }),
    description: t.exposeString("description", { nullable: true, description: "A note about the transaction." }),
    storeId: t.exposeID("storeId", { nullable: true, description: "The store it happened in, if any." }),
    saleId: t.exposeID("saleId", { nullable: true, description: "The sale it belongs to, when it was paid, refunded or voided at a till." }),
    actorType: t.exposeString("actorType", { description: "Who made it: user, client (an API client) or system (expiry)." }),
    actorId: t.exposeString("actorId", { nullable: true, description: "The user's or API client's id." }),
    createdAt: t.field({ type: "DateTime", description: "When it was made.", resolve: (x) => x.createdAt }),
    expiresAt: t.field({ type: "DateTime", nullable: true, description: "An authorisation's end: cancelled as EXPIRED unless captured before.", resolve: (x) => x.expiresAt }),
    settledAt: t.field({ type: "DateTime", nullable: true, description: "When an authorisation was captured, cancelled or expired.", resolve: (x) => x.settledAt }),
  }),
});

const GiftCardTransactionPage = pageResult("GiftCardTransactionPage", GiftCardTransaction, "A page of a gift card's transactions, newest first.");

const GiftCard = builder.objectRef<GiftCardDto>("GiftCard").implement({
  description: "A gift card: money in one currency, presented by its codes, moved only by its ledger. Amounts are integer minor units (öre, cents).",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The card's id (a UUID)." }),
    currency: t.exposeString("currency", { description: "ISO 4217 code of the card's money; a till takes only cards in its store's currency." }),
    balance: t.exposeInt("balance", { description: "What completed and captured transactions add up to." }),
    reserved: t.exposeInt("reserved", { description: "What open authorisations of a USE hold back." }),
    available: t.exposeInt("available", { description: "balance − reserved: what can be spent now. Never below zero." }),
    status: t.field({ type: GiftCardStatus, description: "Whether the card can be used.", resolve: (c) => c.status }),
    customerId: t.exposeID("customerId", { nullable: true, description: "The customer the card belongs to, if any." }),
    expiresOn: t.exposeString("expiresOn", { nullable: true, description: "The last day (YYYY-MM-DD, UTC) the card can be loaded or spent; null: no end." }),
    codes: t.field({ type: [GiftCardCode], description: "The card's live codes.", resolve: (c) => c.codes }),
    transactions: t.field({
      type: GiftCardTransactionPage,
      description: "The card's ledger, newest first.",
      args: { ...pageArgs },
      resolve: async (card, args, ctx) => {
        const page = pageOf(args);
        const { items, total } = await readGiftCardTransactions(ctx.caller, card.id, page);
        return { items, hasMoreResults: page.skip + items.length < total, until: null };
      },
    }),
    version: t.exposeInt("version", { description: "The card's version, raised by every change and every transaction (giftcardEdit's optimistic concurrency)." }),
    createdAt: t.field({ type: "DateTime", description: "When the card was created.", resolve: (c) => c.createdAt }),
    updatedAt: t.field({ type: "DateTime", description: "When the card last changed.", resolve: (c) => c.updatedAt }),
  }),
});

const GiftCardTransactionResult = builder.objectRef<GiftCardWithTransaction>("GiftCardTransactionResult").implement({
  description: "A transaction as it was written, with its card as the write left it.",
  fields: (t) => ({
    giftcard: t.field({ type: GiftCard, description: "The card, right after the transaction.", resolve: (r) => r.card }),
    transaction: t.field({ type: GiftCardTransaction, description: "The transaction.", resolve: (r) => r.transaction }),
  }),
});

// ---------------------------------------------------------------------------------------------------------------
// Query

builder.queryField("giftcard", (t) =>
  t.field({
    type: GiftCard,
    nullable: true,
    description:
      "One gift card, by its id, or by a code it is presented by (with the PIN when the code has one). Looking up by code counts every attempt before " +
      "it is checked (5 wrong per code and 30 per caller in 15 minutes, then THROTTLED); an unknown code and a wrong or missing PIN answer alike (NOT_FOUND). Needs giftcards.view.",
    args: {
      id: t.arg.id({ required: false, description: "The card's id." }),
      code: t.arg.string({ required: false, description: "A code of the card (instead of id)." }),
      pin: t.arg.string({ required: false, description: "The code's PIN, when it has one." }),
    },
    resolve: async (_root, args, ctx) => {
      authorize(ctx, "giftcards.view");
      if ((args.id == null) === (args.code == null)) throw validationFailed([{ path: "id", message: "give exactly one of id or code" }]);
      if (args.id != null) return getGiftCard(ctx.caller, parse(Id, String(args.id)));
      return lookupGiftCard(ctx.caller, parse(PresentedGiftCard, { code: args.code, pin: given(args.pin) }));
    },
  }),
);

// ---------------------------------------------------------------------------------------------------------------
// Mutations

useMutations();

const GiftCardCodeInput = builder.inputType("GiftCardCodeInput", {
  description: "A code to give a card.",
  fields: (t) => ({
    kind: t.field({ type: GiftCardCodeKind, required: true, description: "What kind of code it is." }),
    code: t.string({ required: true, description: "4 to 64 letters, digits or . _ - (taken in upper case); unique among the tenant's live codes." }),
    pin: t.string({ required: false, description: "A PHYSICAL code's PIN (4 to 12 digits), stored hashed." }),
    customerId: t.id({ required: false, description: "A PERSONAL code's customer (required for one)." }),
    source: t.string({ required: false, description: "An EXTERNAL code's system." }),
  }),
});

type CodeInput = { kind: string; code: string; pin?: string | null; customerId?: string | number | null; source?: string | null };
const codeBody = (c: CodeInput) => ({ kind: c.kind, code: c.code, pin: given(c.pin), customerId: given(c.customerId)?.toString(), source: given(c.source) });

const GiftcardAddInput = builder.inputType("GiftcardAddInput", {
  description: "A new gift card.",
  fields: (t) => ({
    id: t.id({ required: false, description: "The card's id, made by the client: the same id and input again answers the card and writes nothing." }),
    currency: t.string({ required: false, description: "ISO 4217 code; the tenant's currency when not given." }),
    customerId: t.id({ required: false, description: "The customer the card belongs to." }),
    expiresOn: t.string({ required: false, description: "The last day (YYYY-MM-DD, UTC) the card can be used." }),
    status: t.field({ type: GiftCardStatus, required: false, description: "ACTIVE when not given." }),
    codes: t.field({ type: [GiftCardCodeInput], required: false, description: "The card's codes (at most 10)." }),
    initialAmount: t.int({ required: false, description: "Load the card at once with this many minor units (an ADD; needs giftcards.add too)." }),
    reference: t.string({ required: false, description: "The initial load's reference." }),
  }),
});

builder.mutationField("giftcardAdd", (t) =>
  t.field({
    type: GiftCard,
    description: "Create a gift card with its codes, optionally loaded at once. Needs giftcards.create (and giftcards.add for initialAmount).",
    args: { input: t.arg({ type: GiftcardAddInput, required: true, description: "The card." }) },
    resolve: async (_root, { input }, ctx) => {
      authorize(ctx, "giftcards.create");
      const body = parse(CreateGiftCardBody, {
        id: given(input.id)?.toString(), currency: given(input.currency), customerId: given(input.customerId)?.toString(), expiresOn: given(input.expiresOn),
        status: given(input.status), codes: given(input.codes)?.map(codeBody), initialAmount: given(input.initialAmount), reference: given(input.reference),
      });
      return createGiftCard(ctx.caller, body);
    },
  }),
);

const GiftcardEditInput = builder.inputType("GiftcardEditInput", {
  description: "What to change of a gift card; what is not given stays as it is.",
  fields: (t) => ({
    id: t.id({ required: true, description: "The card's id." }),
    version: t.int({ required: false, description: "The version you saw: CONFLICT (VERSION_CONFLICT) if the card changed since." }),
    status: t.field({ type: GiftCardStatus, required: false, description: "Block or unblock the card." }),
    customerId: t.id({ required: false, description: "The card's customer; null to clear it." }),
    expiresOn: t.string({ required: false, description: "The card's last day (YYYY-MM-DD); null for no end." }),
    addCodes: t.field({ type: [GiftCardCodeInput], required: false, description: "Codes to add." }),
    removeCodeIds: t.idList({ required: false, description: "Ids of the card's codes to remove (removed before addCodes are added, so a code can get a new PIN)." }),
  }),
});

builder.mutationField("giftcardEdit", (t) =>
  t.field({
    type: GiftCard,
    description: "Change a gift card's status, customer, last day or codes. Needs giftcards.edit.",
    args: { input: t.arg({ type: GiftcardEditInput, required: true, description: "What to change." }) },
    resolve: async (_root, { input }, ctx) => {
      authorize(ctx, "giftcards.edit");
      const id = parse(Id, String(input.id));
      const body = parse(UpdateGiftCardBody, {
        version: given(input.version), status: given(input.status),
        customerId: input.customerId === undefined ? undefined : input.customerId === null ? null : String(input.customerId),
        expiresOn: input.expiresOn, addCodes: given(input.addCodes)?.map(codeBody), removeCodeIds: given(input.removeCodeIds)?.map(String),
      });
      return updateGiftCard(ctx.caller, id, body, body.version);
    },
  }),
);

const GiftcardTransAddInput = builder.inputType("GiftcardTransAddInput", {
  description: "A transaction on a gift card.",
  fields: (t) => ({
    giftcardId: t.id({ required: true, description: "The card's id." }),
    transactionId: t.id({ required: false, description: "The transaction's id, made by the client: the same id and input again answers the transaction and writes nothing." }),
    kind: t.field({ type: GiftCardTransactionKind, required: true, description: "What the transaction does (each kind needs its own permission)." }),
    amount: t.int({ required: true, description: "Signed minor units: ADD and IMPORT positive, USE negative, ADJUST and EXTERNAL either way; never zero." }),
    authorise: t.boolean({ required: false, description: "Authorise now and capture or cancel later (giftcardTransCapture); an authorised USE holds its money at once. False when not given." }),
    reference: t.string({ required: false, description: "Your reference (an order number)." }),
    description: t.string({ required: false, description: "A note." }),
    storeId: t.id({ required: false, description: "The store it happened in (an API client's to name; a user's is their own)." }),
  }),
});

builder.mutationField("giftcardTransAdd", (t) =>
  t.field({
    type: GiftCardTransactionResult,
    description:
      "Write a transaction on a gift card, completed at once or authorised. The balance never goes below what open authorisations hold: BUSINESS_RULE " +
      "INSUFFICIENT_FUNDS, also when another transaction took the money at the same time. Needs giftcards.view and the kind's permission.",
    args: { input: t.arg({ type: GiftcardTransAddInput, required: true, description: "The transaction." }) },
    resolve: async (_root, { input }, ctx) => {
      authorize(ctx, "giftcards.view");
      const cardId = parse(Id, String(input.giftcardId));
      const body = parse(GiftCardTransactionBody, {
        id: given(input.transactionId)?.toString(), kind: input.kind, amount: input.amount, authorise: given(input.authorise), reference: given(input.reference),
        description: given(input.description), storeId: given(input.storeId)?.toString(),
      });
      return addGiftCardTransaction(ctx.caller, cardId, body);
    },
  }),
);

const GiftcardTransCaptureAction = builder.enumType("GiftcardTransCaptureAction", {
  description: "What to do with an authorisation.",
  values: {
    CAPTURE: { value: "CAPTURE", description: "Capture it (all of it, or `amount`)." },
    CANCEL: { value: "CANCEL", description: "Cancel it, releasing its hold." },
  } as const,
});

const GiftcardTransCaptureInput = builder.inputType("GiftcardTransCaptureInput", {
  description: "An authorised transaction to capture or cancel.",
  fields: (t) => ({
    giftcardId: t.id({ required: true, description: "The card's id." }),
    transactionId: t.id({ required: true, description: "The authorised transaction's id." }),
    action: t.field({ type: GiftcardTransCaptureAction, required: false, description: "CAPTURE when not given." }),
    amount: t.int({
      required: false,
      description: "What to capture, as a magnitude, at most what was authorised; all of it when not given. A capture settles the authorisation: after a partial one the rest is released.",
    }),
    idempotencyKey: t.string({ required: false, description: "The same key again (for the same transaction and input) answers the first capture or cancel and writes nothing." }),
  }),
});

builder.mutationField("giftcardTransCapture", (t) =>
  t.field({
    type: GiftCardTransactionResult,
    description:
      "Capture or cancel an authorised gift card transaction. Of two captures of one authorisation at the same time one captures and the other is CONFLICT " +
      "(TRANSACTION_NOT_AUTHORISED); past its hold it is CONFLICT (AUTHORISATION_EXPIRED). Needs giftcards.view and the transaction kind's permission.",
    args: { input: t.arg({ type: GiftcardTransCaptureInput, required: true, description: "The authorisation and what to do." }) },
    resolve: async (_root, { input }, ctx) => {
      authorize(ctx, "giftcards.view");
      const cardId = parse(Id, String(input.giftcardId));
      const transactionId = parse(Id, String(input.transactionId));
      const action = given(input.action) ?? "CAPTURE";
      const { amount } = parse(CaptureBody, { amount: given(input.amount) });
      const key = await idempotencyKey(`graphql:giftcards:${action.toLowerCase()}:${transactionId}`, given(input.idempotencyKey), { amount: amount ?? null });
      return action === "CAPTURE"
        ? captureGiftCardTransaction(ctx.caller, cardId, transactionId, amount, key)
        : cancelGiftCardTransaction(ctx.caller, cardId, transactionId, key);
    },
  }),
);
