import { IdParams, PageQuery } from "../../../schema/contracts/common";
import {
  CaptureBody, CreateGiftCardBody, GiftCard, GiftCardQuery, GiftCardSettings, GiftCardTransaction, GiftCardTransactionBody, GiftCardWithTransaction,
  PresentedGiftCard, TransactionParams, UpdateGiftCardBody, UpdateGiftCardSettingsBody,
} from "../../../schema/contracts/giftcards";
import {
  addGiftCardTransaction, cancelGiftCardTransaction, captureGiftCardTransaction, createGiftCard, getGiftCard, getGiftCardSettings, giftCardRequestHash,
  listGiftCards, listGiftCardTransactions, lookupGiftCard, updateGiftCard, updateGiftCardSettings,
} from "../../domain/giftcards";
import { idempotencyKey } from "../../domain/idempotency";
import type { AppContext } from "../../http/app";
import { route } from "../../http/route";
import { principalContext } from "./context";

const tag = "Gift cards";

/** The Idempotency-Key of a request, namespaced by what it does. */
const keyOf = (c: AppContext, route: string, hashed: unknown) => idempotencyKey(route, c.req.header("Idempotency-Key"), hashed);

const KIND_PERMISSIONS = "ADD giftcards.add, ADJUST giftcards.adjust, EXTERNAL giftcards.external, IMPORT giftcards.import, USE giftcards.use";

export const giftCardRoutes = [
  route({
    method: "get", path: "/gift-cards/settings", tag, auth: "user", permission: "giftcards.view",
    summary: "The tenant's gift card settings",
    response: GiftCardSettings,
    handler: (c) => getGiftCardSettings(principalContext(c)),
  }),
  route({
    method: "put", path: "/gift-cards/settings", tag, auth: "user", permission: "giftcards.edit",
    summary: "Change the tenant's gift card settings",
    description: "authorisationHoldMinutes: how long an authorised transaction holds before it is cancelled (EXPIRED) unless captured; 7 days by default. Applies to authorisations made from now on.",
    body: UpdateGiftCardSettingsBody, response: GiftCardSettings,
    handler: (c, { body }) => updateGiftCardSettings(principalContext(c), body),
  }),
  route({
    method: "post", path: "/gift-cards/lookup", tag, auth: "user", permission: "giftcards.view",
    summary: "Find a gift card by its code (and PIN)",
    description:
      "For a card presented at a till or in a web shop: the code, and the PIN when the code has one. Every attempt counts before it is checked (5 wrong per code and 30 per caller in 15 minutes, then 429 TOO_MANY_ATTEMPTS); " +
      "a success gives it back. An unknown code, a missing PIN and a wrong PIN answer alike: 404 GIFT_CARD_NOT_FOUND.",
    body: PresentedGiftCard, response: GiftCard,
    errors: { 404: "GIFT_CARD_NOT_FOUND: no card has this code and PIN", 429: "TOO_MANY_ATTEMPTS" },
    handler: (c, { body }) => lookupGiftCard(principalContext(c), body),
  }),
  route({
    method: "get", path: "/gift-cards", tag, auth: "user", permission: "giftcards.view",
    summary: "List gift cards", description: "Newest first, with their codes. Filter by status or customer.",
    query: PageQuery.extend(GiftCardQuery.shape), response: GiftCard, paged: true,
    handler: (c, { query }) => listGiftCards(principalContext(c), query),
  }),
  route({
    method: "post", path: "/gift-cards", tag, auth: "user", permission: "giftcards.create", status: 201,
    summary: "Create a gift card with its codes",
    description:
      "Codes: PHYSICAL (optionally with a PIN, stored hashed), PERSONAL (names its customer), EXTERNAL (from another system); a code is unique among the tenant's live codes. " +
      "initialAmount loads the card at once (an ADD; needs giftcards.add too). The card's currency is the tenant's unless named. " +
      "Retries: the card's id, or an Idempotency-Key, answers the card again; with another request, 422 IDEMPOTENCY_MISMATCH.",
    body: CreateGiftCardBody, response: GiftCard,
    errors: { 403: "MISSING_PERMISSION: giftcards.add for initialAmount", 409: "GIFT_CARD_CODE_TAKEN; ID_TAKEN", 422: "UNKNOWN_REFERENCE: a customer that is not yours; IDEMPOTENCY_MISMATCH" },
    handler: async (c, { body }) => createGiftCard(principalContext(c), body, await keyOf(c, "giftcards:create", await giftCardRequestHash(body))),
  }),
  route({
    method: "get", path: "/gift-cards/:id", tag, auth: "user", permission: "giftcards.view",
    summary: "Get a gift card with its codes", params: IdParams, response: GiftCard,
    handler: (c, { params }) => getGiftCard(principalContext(c), params.id),
  }),
  route({
    method: "put", path: "/gift-cards/:id", tag, auth: "user", permission: "giftcards.edit", versioned: true,
    summary: "Edit a gift card: status, customer, last day, codes",
    description:
      "A blocked card takes no ADD or USE and no capture (cancel still works). removeCodeIds are removed before addCodes are added, so a code can be given a new PIN in one edit. " +
      "The card's version moves with every transaction too: a stale version is 409 VERSION_CONFLICT with the card as it is.",
    params: IdParams, body: UpdateGiftCardBody, response: GiftCard,
    errors: { 409: "GIFT_CARD_CODE_TAKEN", 422: "UNKNOWN_REFERENCE: a code of another card, a customer that is not yours" },
    handler: (c, { params, body, expectedVersion }) => updateGiftCard(principalContext(c), params.id, body, expectedVersion),
  }),
  route({
    method: "get", path: "/gift-cards/:id/transactions", tag, auth: "user", permission: "giftcards.view",
    summary: "A gift card's transactions", description: "Newest first.",
    params: IdParams, query: PageQuery, response: GiftCardTransaction, paged: true,
    handler: (c, { params, query }) => listGiftCardTransactions(principalContext(c), params.id, query),
  }),
  route({
    method: "post", path: "/gift-cards/:id/transactions", tag, auth: "user", permission: "giftcards.view", status: 201,
    summary: "Write a transaction on a gift card",
    description:
      `Each kind needs its own permission too (${KIND_PERMISSIONS}). amount is signed minor units: ADD and IMPORT positive, USE negative, ADJUST and EXTERNAL either way. ` +
      "Completed at once (the balance moves), or with authorise: true authorised, to be captured or cancelled later; an authorised USE holds the money at once, and an authorisation " +
      "left uncaptured past the tenant's hold (GET /gift-cards/settings) is cancelled as EXPIRED. ADD and USE need an active card within its last day. The balance never goes " +
      "below what open authorisations hold: 422 INSUFFICIENT_FUNDS, also when another transaction took the money at the same time. " +
      "Retries: the transaction's id, or an Idempotency-Key, answers the transaction again (and the card as it is now); with another request, 422 IDEMPOTENCY_MISMATCH.",
    params: IdParams, body: GiftCardTransactionBody, response: GiftCardWithTransaction,
    errors: {
      403: "MISSING_PERMISSION: the kind's permission",
      409: "ID_TAKEN",
      422: "INSUFFICIENT_FUNDS (fields with what is available); GIFT_CARD_BLOCKED; GIFT_CARD_EXPIRED; INVALID_STORE; UNKNOWN_REFERENCE; IDEMPOTENCY_MISMATCH",
    },
    handler: async (c, { params, body }) =>
      addGiftCardTransaction(principalContext(c), params.id, body, await keyOf(c, `giftcards:tx:${params.id}`, body)),
  }),
  route({
    method: "post", path: "/gift-cards/:id/transactions/:transactionId/capture", tag, auth: "user", permission: "giftcards.view",
    summary: "Capture an authorised gift card transaction",
    description:
      `Needs the transaction kind's permission too (${KIND_PERMISSIONS}). Captures amount (a magnitude, at most what was authorised), or all of it when left out. A capture settles the ` +
      "authorisation: after a partial one the rest of the hold is released and nothing more can be captured. An authorisation past its hold is 409 AUTHORISATION_EXPIRED. Of two " +
      "captures of one authorisation at the same time one captures and the other is 409 TRANSACTION_NOT_AUTHORISED; with the same Idempotency-Key both answer the capture.",
    params: TransactionParams, body: CaptureBody, response: GiftCardWithTransaction,
    errors: {
      403: "MISSING_PERMISSION: the kind's permission",
      404: "NOT_FOUND: no such transaction of this card",
      409: "TRANSACTION_NOT_AUTHORISED (captured, cancelled or expired already, with the transaction); AUTHORISATION_EXPIRED",
      422: "CAPTURE_EXCEEDS_AUTHORISED; GIFT_CARD_BLOCKED; GIFT_CARD_EXPIRED; IDEMPOTENCY_MISMATCH",
    },
    handler: async (c, { params, body }) =>
      captureGiftCardTransaction(principalContext(c), params.id, params.transactionId, body.amount, await keyOf(c, `giftcards:capture:${params.transactionId}`, body)),
  }),
  route({
    method: "post", path: "/gift-cards/:id/transactions/:transactionId/cancel", tag, auth: "user", permission: "giftcards.view",
    summary: "Cancel an authorised gift card transaction",
    description: `Needs the transaction kind's permission too (${KIND_PERMISSIONS}). A USE's hold is released at once. Works on a blocked card, and past the hold's time.`,
    params: TransactionParams, response: GiftCardWithTransaction,
    errors: {
      403: "MISSING_PERMISSION: the kind's permission",
      404: "NOT_FOUND: no such transaction of this card",
      409: "TRANSACTION_NOT_AUTHORISED (captured, cancelled or expired already, with the transaction)",
    },
    handler: async (c, { params }) =>
      cancelGiftCardTransaction(principalContext(c), params.id, params.transactionId, await keyOf(c, `giftcards:cancel:${params.transactionId}`, {})),
  }),
];
