import { and, asc, count, desc, eq, isNull, sql, type SQL } from "drizzle-orm";
import {
  DEFAULT_GIFT_CARD_HOLD_MINUTES, type CreateGiftCardBody, type GiftCard, type GiftCardTransactionBody, type GiftCardWithTransaction, type NewGiftCardCode,
  type PresentedGiftCard, type UpdateGiftCardBody,
} from "../../schema/contracts/giftcards";
import type { PageQuery } from "../../schema/contracts/common";
import { customers, giftCardCodes, giftCards, giftCardTransactions, stores, tenants } from "../../schema/db";
import type { Permission } from "../../schema/permissions";
import { hashSecret } from "../auth/credentials";
import { commit, expectOneChange, isGuardFailure, isUniqueViolation, type Statement } from "../db/batch";
import type { Page } from "../db/paging";
import type { TenantScope } from "../db/tenant-scope";
import type { PrincipalContext } from "./context";
import { businessRule, conflict, forbidden, notFound, type FieldError } from "./errors";
import { maskCode, presentationReads, verifyPresentation, type CardRow, type CodeRow } from "./giftcard-codes";
import { actorOf, heldBy, insertTransaction, isFundsFailure, moveCard, transactionDto, unusable, type TransactionRow } from "./giftcard-ledger";
import { idempotencyQuery, isRace, record, replay, requestHash, type IdempotencyKey } from "./idempotency";
import { recordAudit } from "./journal";
import { inJson, referenceCheck } from "./references";
import { toIso } from "./versioning";

/**
 * Gift cards: create and edit cards and their codes, look them up, and write their ledger (transactions completed
 * at once, or authorised and then captured or cancelled). The services take a PrincipalContext, so REST and GraphQL
 * call them alike; each checks its own permission. How the money moves, and why it cannot go below zero under
 * concurrency, is giftcard-ledger.ts; how a code and PIN are checked, giftcard-codes.ts; the till's side,
 * giftcard-checkout.ts; expiry of authorisations, giftcard-expiry.ts.
 *
 * Retries: a card's or a transaction's id (made by the client) and an Idempotency-Key each name the request; a
 * retry of the same request answers with what the first one wrote (the card as it is now), writing nothing; the
 * same id or key with another request is 422 IDEMPOTENCY_MISMATCH.
 *
 * Gift cards are not synced to tills (no change-feed rows): a card is spent online, against this ledger.
 */

const NONE = "00000000-0000-0000-0000-000000000000";

/** The permission each kind of transaction needs. */
export const KIND_PERMISSION: Record<TransactionRow["kind"], Permission> = {
  ADD: "giftcards.add",
  ADJUST: "giftcards.adjust",
  EXTERNAL: "giftcards.external",
  IMPORT: "giftcards.import",
  USE: "giftcards.use",
};

/** Kinds that spend or load money on a card: only an active card within its days takes them. */
const usableKind = (kind: TransactionRow["kind"]) => kind === "USE" || kind === "ADD";

export function requirePermission(ctx: PrincipalContext, permission: Permission) {
  if (!ctx.principal.permissions.has(permission)) {
    throw forbidden(`This needs the permission ${permission}${ctx.principal.kind === "user" ? " in your current store" : ""}`, "MISSING_PERMISSION");
  }
}

export function cardDto(card: CardRow, codes: CodeRow[]): GiftCard {
  return {
    id: card.id,
    currency: card.currency,
    balance: card.balance,
    reserved: card.reserved,
    available: card.balance - card.reserved,
    status: card.status,
    customerId: card.customerId,
    expiresOn: card.expiresOn,
    codes: codes
      .filter((c) => c.cardId === card.id && c.removedAt === null)
      .sort((a, b) => a.createdAt - b.createdAt || a.code.localeCompare(b.code))
      .map((c) => ({ id: c.id, kind: c.kind, code: c.code, maskedCode: maskCode(c.code), hasPin: c.pinHash !== null, customerId: c.customerId, source: c.source, createdAt: toIso(c.createdAt) })),
    version: card.version,
    createdAt: toIso(card.createdAt),
    updatedAt: toIso(card.updatedAt),
  };
}

const cardQuery = (scope: TenantScope, id: string) => scope.db.select().from(giftCards).where(scope.where(giftCards, eq(giftCards.id, id), isNull(giftCards.deletedAt)));
const codesQuery = (scope: TenantScope, cardId: string) =>
  scope.db.select().from(giftCardCodes).where(scope.where(giftCardCodes, eq(giftCardCodes.cardId, cardId), isNull(giftCardCodes.removedAt)));
const transactionQuery = (scope: TenantScope, id: string) => scope.db.select().from(giftCardTransactions).where(scope.where(giftCardTransactions, eq(giftCardTransactions.id, id)));

/** The card and its live codes, read back at the end of a write batch: the state that write left. */
const readBack = (scope: TenantScope, cardId: string): Statement[] => [cardQuery(scope, cardId), codesQuery(scope, cardId)];

async function loadCard(scope: TenantScope, id: string): Promise<GiftCard> {
  const [cardRows, codeRows] = await scope.db.batch([cardQuery(scope, id), codesQuery(scope, id)]);
  const card = cardRows[0];
  if (!card) throw notFound("Gift card");
  return cardDto(card, codeRows);
}

async function loadCardAndTransaction(scope: TenantScope, cardId: string, transactionId: string): Promise<GiftCardWithTransaction> {
  const [cardRows, codeRows, txRows] = await scope.db.batch([cardQuery(scope, cardId), codesQuery(scope, cardId), transactionQuery(scope, transactionId)]);
  if (!cardRows[0] || !txRows[0]) throw notFound("Gift card transaction");
  return { card: cardDto(cardRows[0], codeRows), transaction: transactionDto(txRows[0]) };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

export async function getGiftCard(ctx: PrincipalContext, id: string): Promise<GiftCard> {
  requirePermission(ctx, "giftcards.view");
  return loadCard(ctx.scope, id);
}

/**
 * A card presented by its code (and PIN, when the code has one): for a till or a web shop checking a balance.
 * Counted like a PIN (giftcard-codes.ts); an unknown code and a wrong PIN answer alike, 404 GIFT_CARD_NOT_FOUND.
 */
export async function lookupGiftCard(ctx: PrincipalContext, presented: PresentedGiftCard): Promise<GiftCard> {
  requirePermission(ctx, "giftcards.view");
  const { scope, principal } = ctx;
  const now = ctx.request.now;
  const results = (await scope.db.batch(presentationReads(scope, principal, presented, now) as [Statement, ...Statement[]])) as unknown as unknown[][];
  const found = await verifyPresentation(scope, principal, presented, results, now);
  await commit(scope.db, found.refunds);
  return cardDto(found.card, found.codes);
}

export interface GiftCardListQuery extends PageQuery {
  status?: CardRow["status"];
  customerId?: string;
}

/** The tenant's cards, newest first, with their codes: one round trip (count, page, the page's codes). */
export async function listGiftCards(ctx: PrincipalContext, q: GiftCardListQuery): Promise<Page<GiftCard>> {
  requirePermission(ctx, "giftcards.view");
  const { scope } = ctx;
  const where = scope.where(giftCards, isNull(giftCards.deletedAt), q.status ? eq(giftCards.status, q.status) : undefined, q.customerId ? eq(giftCards.customerId, q.customerId) : undefined);
  const offset = (q.page - 1) * q.pageSize;
  const pageIds = scope.db.select({ id: giftCards.id }).from(giftCards).where(where).orderBy(desc(giftCards.createdAt), asc(giftCards.id)).limit(q.pageSize).offset(offset);
  const [[total], rows, codeRows] = (await scope.db.batch([
    scope.db.select({ total: count() }).from(giftCards).where(where),
    scope.db.select().from(giftCards).where(where).orderBy(desc(giftCards.createdAt), asc(giftCards.id)).limit(q.pageSize).offset(offset),
    scope.select(giftCardCodes, isNull(giftCardCodes.removedAt), sql`${giftCardCodes.cardId} IN ${pageIds}`),
  ])) as unknown as [[{ total: number }], CardRow[], CodeRow[]];
  return { items: rows.map((r) => cardDto(r, codeRows)), total: total?.total ?? 0, page: q.page, pageSize: q.pageSize };
}

/** A card's transactions, newest first, `skip` then at most `first` of them, and how many it has (404 for a card that is not the tenant's). */
export async function readGiftCardTransactions(ctx: PrincipalContext, cardId: string, q: { skip: number; first: number }) {
  requirePermission(ctx, "giftcards.view");
  const { scope } = ctx;
  const where = scope.where(giftCardTransactions, eq(giftCardTransactions.cardId, cardId));
  const [cardRows, [total], rows] = (await scope.db.batch([
    scope.db.select({ id: giftCards.id }).from(giftCards).where(scope.where(giftCards, eq(giftCards.id, cardId), isNull(giftCards.deletedAt))),
    scope.db.select({ total: count() }).from(giftCardTransactions).where(where),
    scope.db.select().from(giftCardTransactions).where(where).orderBy(desc(giftCardTransactions.createdAt), desc(giftCardTransactions.id)).limit(q.first).offset(q.skip),
  ])) as unknown as [{ id: string }[], [{ total: number }], TransactionRow[]];
  if (!cardRows[0]) throw notFound("Gift card");
  return { items: rows.map(transactionDto), total: total?.total ?? 0 };
}

/** The same, a page at a time (REST). */
export async function listGiftCardTransactions(ctx: PrincipalContext, cardId: string, q: PageQuery) {
  const { items, total } = await readGiftCardTransactions(ctx, cardId, { skip: (q.page - 1) * q.pageSize, first: q.pageSize });
  return { items, total, page: q.page, pageSize: q.pageSize };
}

// ---------------------------------------------------------------------------------------------------------------
// Cards and codes

const codeTaken = (codes: string[]) =>
  conflict("GIFT_CARD_CODE_TAKEN", `A live gift card code of this tenant is already ${codes.join(", ")}`, undefined, codes.map((c) => ({ path: "codes", message: `${c} is taken` })));

/** Live codes of the tenant among these, for the caller's read batch. */
const takenCodesQuery = (scope: TenantScope, codes: string[]) =>
  scope.db.select({ code: giftCardCodes.code }).from(giftCardCodes).where(scope.where(giftCardCodes, inJson(giftCardCodes.code, codes.length ? codes : [""]), isNull(giftCardCodes.removedAt)));

async function codeRows(scope: TenantScope, cardId: string, codes: NewGiftCardCode[], now: number): Promise<Omit<CodeRow, "tenantId">[]> {
  return Promise.all(codes.map(async (c) => ({
    id: crypto.randomUUID(), cardId, kind: c.kind, code: c.code, pinHash: c.pin ? await hashSecret(c.pin) : null,
    customerId: c.customerId ?? null, source: c.source ?? null, createdAt: now, removedAt: null,
  })));
}

const customerReferences = (customerId: string | null | undefined, codes: NewGiftCardCode[], codesField: string) => [
  { field: "customerId", table: customers, ids: customerId, noun: "a customer" },
  ...codes.map((c, i) => ({ field: `${codesField}.${i}.customerId`, table: customers, ids: c.customerId, noun: "a customer" })),
];

const auditEntry = (ctx: PrincipalContext, action: string, entityId: string, detail: Record<string, unknown>) =>
  recordAudit(ctx.scope.db, { tenantId: ctx.scope.tenantId, actorType: ctx.principal.kind, actorId: ctx.principal.actorId, action, entity: "gift_card", entityId, detail }, ctx.request);

const cardKey = (id: string, hash: string): IdempotencyKey => ({ key: `giftcards:card:${id}`, requestHash: hash });
const transactionKey = (id: string, hash: string): IdempotencyKey => ({ key: `giftcards:tx:${id}`, requestHash: hash });

/** The request as it is hashed for retries: PINs left out, so that no hash of a PIN is ever stored. */
const withoutPins = <T extends { codes?: NewGiftCardCode[]; addCodes?: NewGiftCardCode[] }>(body: T) => ({
  ...body,
  ...(body.codes ? { codes: body.codes.map(({ pin, ...c }) => ({ ...c, hasPin: pin !== undefined })) } : {}),
  ...(body.addCodes ? { addCodes: body.addCodes.map(({ pin, ...c }) => ({ ...c, hasPin: pin !== undefined })) } : {}),
});

/** The hash an Idempotency-Key of a card request is kept with (PINs left out). */
export const giftCardRequestHash = (body: CreateGiftCardBody | UpdateGiftCardBody) => requestHash(withoutPins(body));

/**
 * Create a card with its codes, and load it at once with `initialAmount` (an ADD, which needs giftcards.add too).
 * Two round trips: the reads (tenant, customers, codes taken, retries), then one batch.
 */
export async function createGiftCard(ctx: PrincipalContext, body: CreateGiftCardBody, idempotency?: IdempotencyKey): Promise<GiftCard> {
  requirePermission(ctx, "giftcards.create");
  if (body.initialAmount !== undefined) requirePermission(ctx, "giftcards.add");
  const { scope, principal } = ctx;
  const now = ctx.request.now;
  const id = body.id ?? crypto.randomUUID();
  const byId = cardKey(id, await requestHash(withoutPins(body)));
  const refs = referenceCheck(scope, customerReferences(body.customerId, body.codes, "codes"), "The card names customers that do not exist");
  const [tenantRows, byIdRows, byKeyRows, takenRows, ...refRows] = (await scope.db.batch([
    scope.db.select({ currency: tenants.currency }).from(tenants).where(eq(tenants.id, scope.tenantId)),
    idempotencyQuery(scope, byId),
    idempotencyQuery(scope, idempotency),
    takenCodesQuery(scope, body.codes.map((c) => c.code)),
    ...refs.queries,
  ] as unknown as [Statement, ...Statement[]])) as unknown as unknown[][];
  const first = replay<{ cardId: string }>(byKeyRows!, idempotency) ?? replay<{ cardId: string }>(byIdRows!, byId);
  if (first) return loadCard(scope, first.cardId);
  refs.verify(refRows);
  const taken = (takenRows as { code: string }[]).map((r) => r.code);
  if (taken.length) throw codeTaken(taken);

  const currency = body.currency ?? (tenantRows![0] as { currency: string } | undefined)?.currency ?? "SEK";
  const card: Omit<CardRow, "tenantId"> = {
    id, currency, balance: 0, reserved: 0, status: body.status, customerId: body.customerId ?? null, expiresOn: body.expiresOn ?? null,
    version: 1, createdAt: now, updatedAt: now, deletedAt: null,
  };
  const codes = await codeRows(scope, id, body.codes, now);
  const statements: Statement[] = [
    ...[byId, idempotency].flatMap((key) => record(scope, key, 201, { cardId: id }, now)),
    scope.insert(giftCards, card),
    ...(codes.length ? [scope.insert(giftCardCodes, codes)] : []),
  ];
  if (body.initialAmount !== undefined) {
    // A card is created with what it was given, even when created blocked.
    statements.push(
      ...moveCard(scope, id, { balance: body.initialAmount, reserved: 0 }, now, false),
      insertTransaction(scope, {
        id: crypto.randomUUID(), cardId: id, kind: "ADD", state: "COMPLETED", amount: body.initialAmount, authorisedAmount: null, reference: body.reference ?? null,
        description: "Initial load", storeId: principal.storeId, saleId: null, paymentId: null, codeId: null, ...actorOf(principal), createdAt: now, expiresAt: null, settledAt: null, settledBy: null,
      }, true),
    );
  }
  statements.push(auditEntry(ctx, "gift_card.create", id, { currency, codes: body.codes.map((c) => ({ kind: c.kind, code: maskCode(c.code) })), initialAmount: body.initialAmount ?? 0 }));
  try {
    await commit(scope.db, statements);
  } catch (error) {
    if (isRace(error)) return retried(scope, idempotency, byId, (r: { cardId: string }) => loadCard(scope, r.cardId));
    if (isUniqueViolation(error, "gift_card_codes")) throw codeTaken(body.codes.map((c) => c.code));
    if (isUniqueViolation(error, "gift_cards.id")) throw conflict("ID_TAKEN", "This card id is already used");
    throw error;
  }
  return cardDto({ ...card, tenantId: scope.tenantId, balance: body.initialAmount ?? 0, version: body.initialAmount !== undefined ? 2 : 1 }, codes.map((c) => ({ ...c, tenantId: scope.tenantId })));
}

/** After a lost race on a retry key: the winner's answer, by whichever key it holds. */
async function retried<R, T>(scope: TenantScope, key: IdempotencyKey | undefined, byId: IdempotencyKey | undefined, answer: (record: R) => Promise<T>): Promise<T> {
  const [byKeyRows, byIdRows] = await scope.db.batch([idempotencyQuery(scope, key), idempotencyQuery(scope, byId)]);
  const first = replay<R>(byKeyRows, key) ?? replay<R>(byIdRows, byId);
  if (first === undefined) throw new Error("idempotency record vanished after a conflict");
  return answer(first);
}

/**
 * Edit a card: status (blocked cards take no ADD, USE or capture), customer, last day, codes added and removed.
 * Compare-and-set on the version read (every transaction moves it too): a card that changed meanwhile is 409
 * VERSION_CONFLICT with the card as it is.
 */
export async function updateGiftCard(ctx: PrincipalContext, id: string, body: UpdateGiftCardBody, expectedVersion: number | undefined): Promise<GiftCard> {
  requirePermission(ctx, "giftcards.edit");
  const { scope } = ctx;
  const now = ctx.request.now;
  const adding = body.addCodes ?? [];
  const removing = body.removeCodeIds ?? [];
  const refs = referenceCheck(scope, customerReferences(body.customerId, adding, "addCodes"), "The card names customers that do not exist");
  const [cardRows, codeRowsRead, takenRows, ...refRows] = (await scope.db.batch([
    cardQuery(scope, id),
    codesQuery(scope, id),
    takenCodesQuery(scope, adding.map((c) => c.code)),
    ...refs.queries,
  ] as unknown as [Statement, ...Statement[]])) as unknown as unknown[][];
  const card = cardRows![0] as CardRow | undefined;
  if (!card) throw notFound("Gift card");
  const codes = codeRowsRead as CodeRow[];
  const current = () => cardDto(card, codes);
  if (expectedVersion !== undefined && expectedVersion !== card.version) {
    throw conflict("VERSION_CONFLICT", `Gift card is at version ${card.version}; you sent ${expectedVersion}. Reload it and try again.`, current());
  }
  refs.verify(refRows);
  const fields: FieldError[] = [];
  removing.forEach((codeId, i) => codes.some((c) => c.id === codeId) || fields.push({ path: `removeCodeIds.${i}`, message: "is not a live code of this card" }));
  if (fields.length) throw businessRule("UNKNOWN_REFERENCE", "The edit names codes the card does not have", fields);
  const freed = new Set(codes.filter((c) => removing.includes(c.id)).map((c) => c.code));
  const taken = (takenRows as { code: string }[]).map((r) => r.code).filter((c) => !freed.has(c));
  if (taken.length) throw codeTaken(taken);

  const next: CardRow = {
    ...card,
    ...(body.status !== undefined ? { status: body.status } : {}),
    ...(body.customerId !== undefined ? { customerId: body.customerId } : {}),
    ...(body.expiresOn !== undefined ? { expiresOn: body.expiresOn } : {}),
    version: card.version + 1,
    updatedAt: now,
  };
  const added = await codeRows(scope, id, adding, now);
  const statements: Statement[] = [
    scope.update(giftCards, { status: next.status, customerId: next.customerId, expiresOn: next.expiresOn, version: next.version, updatedAt: now },
      eq(giftCards.id, id), eq(giftCards.version, card.version), isNull(giftCards.deletedAt)),
    expectOneChange(scope.db),
    ...(removing.length ? [scope.update(giftCardCodes, { removedAt: now }, eq(giftCardCodes.cardId, id), inJson(giftCardCodes.id, removing), isNull(giftCardCodes.removedAt))] : []),
    ...(added.length ? [scope.insert(giftCardCodes, added)] : []),
    auditEntry(ctx, "gift_card.update", id, {
      ...(body.status !== undefined ? { status: body.status } : {}),
      ...(body.customerId !== undefined ? { customerId: body.customerId } : {}),
      ...(body.expiresOn !== undefined ? { expiresOn: body.expiresOn } : {}),
      ...(adding.length ? { addCodes: adding.map((c) => ({ kind: c.kind, code: maskCode(c.code) })) } : {}),
      ...(removing.length ? { removeCodeIds: removing } : {}),
    }),
    ...readBack(scope, id),
  ];
  let results: unknown[];
  try {
    results = await commit(scope.db, statements);
  } catch (error) {
    if (isGuardFailure(error)) {
      const now = await loadCard(scope, id).catch(() => null);
      if (!now) throw notFound("Gift card");
      throw conflict("VERSION_CONFLICT", `Gift card changed while you edited it; it is now at version ${now.version}`, now);
    }
    if (isUniqueViolation(error, "gift_card_codes")) throw codeTaken(adding.map((c) => c.code));
    throw error;
  }
  const [after, afterCodes] = results.slice(-2) as [CardRow[], CodeRow[]];
  return cardDto(after[0]!, afterCodes);
}

// ---------------------------------------------------------------------------------------------------------------
// Transactions

const insufficient = (available: number, wanted: number, path = "amount") =>
  businessRule("INSUFFICIENT_FUNDS", `The gift card has ${available} available; this needs ${wanted}`, [{ path, message: `needs ${wanted}; ${available} is available`, received: wanted, expected: available }]);

/** The store a transaction happened in: a user's own; an API client names one (or none). */
function storeOf(ctx: PrincipalContext, storeId: string | undefined, storeRows: unknown[]): string | null {
  const { principal } = ctx;
  if (principal.kind === "user") {
    if (storeId && storeId !== principal.storeId) throw businessRule("INVALID_STORE", "A user's transaction happens in the store they signed in to", [{ path: "storeId", message: "must be your current store (or left out)" }]);
    return principal.storeId;
  }
  if (!storeId) return null;
  if (!storeRows.length) throw businessRule("UNKNOWN_REFERENCE", "The store named does not exist", [{ path: "storeId", message: "is not a store of this tenant" }]);
  return storeId;
}

/**
 * Write a transaction on a card: completed at once (the balance moves), or authorised (`authorise`: a USE holds
 * the money at once, as `reserved`; any kind moves the balance only when captured). Needs the kind's permission.
 * A USE (or a negative ADJUST or EXTERNAL) beyond what is available is 422 INSUFFICIENT_FUNDS, also when another
 * transaction took the money between this one's read and its write.
 */
export async function addGiftCardTransaction(ctx: PrincipalContext, cardId: string, body: GiftCardTransactionBody, idempotency?: IdempotencyKey): Promise<GiftCardWithTransaction> {
  requirePermission(ctx, KIND_PERMISSION[body.kind]);
  const { scope, principal } = ctx;
  const now = ctx.request.now;
  const id = body.id ?? crypto.randomUUID();
  const byId = transactionKey(id, await requestHash({ ...body, cardId }));
  const [cardRows, tenantRows, byIdRows, byKeyRows, storeRows] = (await scope.db.batch([
    cardQuery(scope, cardId),
    scope.db.select({ holdMinutes: tenants.giftCardHoldMinutes }).from(tenants).where(eq(tenants.id, scope.tenantId)),
    idempotencyQuery(scope, byId),
    idempotencyQuery(scope, idempotency),
    scope.db.select({ id: stores.id }).from(stores).where(scope.where(stores, eq(stores.id, body.storeId ?? NONE), isNull(stores.deletedAt))),
  ] as unknown as [Statement, ...Statement[]])) as unknown as unknown[][];
  const first = replay<{ cardId: string; transactionId: string }>(byKeyRows!, idempotency) ?? replay<{ cardId: string; transactionId: string }>(byIdRows!, byId);
  if (first) return loadCardAndTransaction(scope, first.cardId, first.transactionId);
  const card = cardRows![0] as CardRow | undefined;
  if (!card) throw notFound("Gift card");
  const storeId = storeOf(ctx, body.storeId, storeRows!);
  const usable = usableKind(body.kind);
  const problem = usable ? unusable(card, now) : null;
  if (problem) throw businessRule(problem.code, problem.message);
  const held = body.authorise ? heldBy(body) : 0;
  const spends = body.authorise ? held : Math.max(0, -body.amount);
  const available = card.balance - card.reserved;
  if (spends > available) throw insufficient(available, spends);

  const holdMinutes = (tenantRows![0] as { holdMinutes: number } | undefined)?.holdMinutes ?? DEFAULT_GIFT_CARD_HOLD_MINUTES;
  const row: Omit<TransactionRow, "tenantId" | "balanceAfter"> = {
    id, cardId, kind: body.kind, state: body.authorise ? "AUTHORISED" : "COMPLETED", amount: body.amount, authorisedAmount: body.authorise ? body.amount : null,
    reference: body.reference ?? null, description: body.description ?? null, storeId, saleId: null, paymentId: null, codeId: null, ...actorOf(principal), createdAt: now,
    expiresAt: body.authorise ? now + holdMinutes * 60_000 : null, settledAt: null, settledBy: null,
  };
  const move = body.authorise ? { balance: 0, reserved: held } : { balance: body.amount, reserved: 0 };
  const moves = move.balance !== 0 || move.reserved !== 0;
  const statements: Statement[] = [
    ...[byId, idempotency].flatMap((key) => record(scope, key, 201, { cardId, transactionId: id }, now)),
    ...(moves ? moveCard(scope, cardId, move, now, usable) : []),
    insertTransaction(scope, row, move.balance !== 0),
    ...(body.kind === "USE" || body.kind === "ADD" ? [] : [auditEntry(ctx, `gift_card.${body.kind.toLowerCase()}`, cardId, { transactionId: id, amount: body.amount, authorised: body.authorise })]),
    ...readBack(scope, cardId),
    transactionQuery(scope, id),
  ];
  let results: unknown[];
  try {
    results = await commit(scope.db, statements);
  } catch (error) {
    if (isRace(error)) return retried(scope, idempotency, byId, (r: { cardId: string; transactionId: string }) => loadCardAndTransaction(scope, r.cardId, r.transactionId));
    if (isFundsFailure(error) || isGuardFailure(error)) throw await whyNot(scope, cardId, usable, spends, now);
    if (isUniqueViolation(error, "gift_card_transactions.id")) throw conflict("ID_TAKEN", "This transaction id is already used");
    throw error;
  }
  return answerOf(results);
}

/** The card and transaction a write batch read back at its end. */
function answerOf(results: unknown[]): GiftCardWithTransaction {
  const [cardRows, codeRows, txRows] = results.slice(-3) as [CardRow[], CodeRow[], TransactionRow[]];
  return { card: cardDto(cardRows[0]!, codeRows), transaction: transactionDto(txRows[0]!) };
}

/** After a write that a card's guard or funds stopped: what changed meanwhile, read again. */
async function whyNot(scope: TenantScope, cardId: string, usable: boolean, spends: number, now: number) {
  const [card] = await cardQuery(scope, cardId);
  if (!card) return notFound("Gift card");
  const problem = usable ? unusable(card, now) : null;
  if (problem) return businessRule(problem.code, problem.message);
  return insufficient(card.balance - card.reserved, spends);
}

const settledAlready = (t: TransactionRow, current: GiftCardWithTransaction | undefined) =>
  conflict("TRANSACTION_NOT_AUTHORISED", `This transaction is ${t.state}: only an AUTHORISED one can be captured or cancelled`, current?.transaction ?? transactionDto(t));

const expired = (t: TransactionRow) => conflict("AUTHORISATION_EXPIRED", `This authorisation expired at ${toIso(t.expiresAt!)}; authorise again`, transactionDto(t));

/** The transaction of the card, with its card, for capture and cancel; their own permission is the kind's. */
async function settlementReads(ctx: PrincipalContext, cardId: string, transactionId: string, idempotency: IdempotencyKey | undefined) {
  const { scope } = ctx;
  const [txRows, cardRows, keyRows] = await scope.db.batch([
    scope.select(giftCardTransactions, eq(giftCardTransactions.id, transactionId), eq(giftCardTransactions.cardId, cardId)),
    cardQuery(scope, cardId),
    idempotencyQuery(scope, idempotency),
  ]);
  return { tx: txRows[0] as TransactionRow | undefined, card: cardRows[0] as CardRow | undefined, keyRows };
}

/** The guarded change of an authorisation's state: it must still be AUTHORISED (and, to capture, not past its time). */
const settle = (scope: TenantScope, t: TransactionRow, set: Record<string, unknown>, extra?: SQL): Statement[] => [
  scope.update(giftCardTransactions, set as never, eq(giftCardTransactions.id, t.id), eq(giftCardTransactions.state, "AUTHORISED"), extra),
  expectOneChange(scope.db),
];

/**
 * The common start of a capture or a cancel (giftcards.view, then the kind's own permission): the first answer of a
 * retried Idempotency-Key, or the authorisation and its card; 404 for neither, 409 when it is settled already.
 */
async function openSettlement(ctx: PrincipalContext, cardId: string, transactionId: string, idempotency: IdempotencyKey | undefined) {
  requirePermission(ctx, "giftcards.view");
  const { tx, card, keyRows } = await settlementReads(ctx, cardId, transactionId, idempotency);
  const first = replay<{ cardId: string; transactionId: string }>(keyRows, idempotency);
  if (first) return { replayed: true as const, answer: await loadCardAndTransaction(ctx.scope, first.cardId, first.transactionId) };
  if (!tx || !card) throw notFound("Gift card transaction");
  requirePermission(ctx, KIND_PERMISSION[tx.kind]);
  if (tx.state !== "AUTHORISED") throw settledAlready(tx, undefined);
  return { replayed: false as const, tx, card };
}

/**
 * Capture an authorisation: for all of it, or `amount` (a magnitude, at most what was authorised). A capture
 * settles the authorisation: a partial one releases the rest of the hold at once and cannot be captured again.
 * The card must be active and within its days for a USE or an ADD. Of two captures of one authorisation at once,
 * one captures and the other is 409 TRANSACTION_NOT_AUTHORISED (or, with the same Idempotency-Key, the first's answer).
 */
export async function captureGiftCardTransaction(ctx: PrincipalContext, cardId: string, transactionId: string, amount: number | undefined, idempotency?: IdempotencyKey): Promise<GiftCardWithTransaction> {
  const { scope, principal } = ctx;
  const now = ctx.request.now;
  const opened = await openSettlement(ctx, cardId, transactionId, idempotency);
  if (opened.replayed) return opened.answer;
  const { tx, card } = opened;
  if (tx.expiresAt !== null && tx.expiresAt <= now) throw expired(tx);
  const authorised = tx.authorisedAmount ?? tx.amount;
  const magnitude = amount ?? Math.abs(authorised);
  if (magnitude > Math.abs(authorised)) {
    throw businessRule("CAPTURE_EXCEEDS_AUTHORISED", `At most ${Math.abs(authorised)} was authorised`, [{ path: "amount", message: `is more than the ${Math.abs(authorised)} authorised`, received: magnitude, expected: Math.abs(authorised) }]);
  }
  const captured = Math.sign(authorised) * magnitude;
  const usable = usableKind(tx.kind);
  const problem = usable ? unusable(card, now) : null;
  if (problem) throw businessRule(problem.code, problem.message);
  const statements: Statement[] = [
    ...record(scope, idempotency, 200, { cardId, transactionId }, now),
    // The balance after is read before the card moves by exactly `captured`, in the same batch.
    ...settle(scope, tx, { state: "CAPTURED", amount: captured, balanceAfter: sql`(SELECT ${giftCards.balance} + ${captured} FROM ${giftCards} WHERE ${giftCards.id} = ${cardId})`, settledAt: now, settledBy: principal.actorId },
      sql`${giftCardTransactions.expiresAt} > ${now}`),
    ...moveCard(scope, cardId, { balance: captured, reserved: -heldBy(tx) }, now, usable),
    ...(tx.kind === "USE" || tx.kind === "ADD" ? [] : [auditEntry(ctx, `gift_card.${tx.kind.toLowerCase()}.capture`, cardId, { transactionId, amount: captured })]),
    ...readBack(scope, cardId),
    transactionQuery(scope, transactionId),
  ];
  return commitSettlement(ctx, statements, { cardId, transactionId, usable, now }, idempotency);
}

/**
 * Commit a capture's or a cancel's batch: its answer; an Idempotency-Key race answers the winner's; a guard or the
 * card's funds check that stopped it says why, as the transaction and card are now.
 */
async function commitSettlement(
  ctx: PrincipalContext, statements: Statement[], at: { cardId: string; transactionId: string; usable: boolean; now: number }, idempotency?: IdempotencyKey,
): Promise<GiftCardWithTransaction> {
  const { scope } = ctx;
  try {
    return answerOf(await commit(scope.db, statements));
  } catch (error) {
    if (isRace(error)) return retried(scope, idempotency, undefined, (r: { cardId: string; transactionId: string }) => loadCardAndTransaction(scope, r.cardId, r.transactionId));
    if (isGuardFailure(error) || isFundsFailure(error)) throw await settlementRefusal(ctx, at.cardId, at.transactionId, at.usable, at.now);
    throw error;
  }
}

/** After a settlement that a guard stopped: the transaction (or the card) as it is now says why. */
async function settlementRefusal(ctx: PrincipalContext, cardId: string, transactionId: string, usable: boolean, now: number) {
  const { tx, card } = await settlementReads(ctx, cardId, transactionId, undefined);
  if (!tx || !card) return notFound("Gift card transaction");
  if (tx.state !== "AUTHORISED") return settledAlready(tx, undefined);
  if (tx.expiresAt !== null && tx.expiresAt <= now) return expired(tx);
  const problem = usable ? unusable(card, now) : null;
  return problem ? businessRule(problem.code, problem.message) : conflict("GIFT_CARD_CHANGED", "The gift card changed meanwhile; try again");
}

/** Cancel an authorisation: a USE's hold is released at once. Allowed on any card, also past the authorisation's time. */
export async function cancelGiftCardTransaction(ctx: PrincipalContext, cardId: string, transactionId: string, idempotency?: IdempotencyKey): Promise<GiftCardWithTransaction> {
  const { scope, principal } = ctx;
  const now = ctx.request.now;
  const opened = await openSettlement(ctx, cardId, transactionId, idempotency);
  if (opened.replayed) return opened.answer;
  const { tx } = opened;
  const held = heldBy(tx);
  const statements: Statement[] = [
    ...record(scope, idempotency, 200, { cardId, transactionId }, now),
    ...settle(scope, tx, { state: "CANCELLED", settledAt: now, settledBy: principal.actorId }),
    ...(held ? moveCard(scope, cardId, { balance: 0, reserved: -held }, now, false) : []),
    ...readBack(scope, cardId),
    transactionQuery(scope, transactionId),
  ];
  return commitSettlement(ctx, statements, { cardId, transactionId, usable: false, now }, idempotency);
}

// ---------------------------------------------------------------------------------------------------------------
// Settings

export async function getGiftCardSettings(ctx: PrincipalContext) {
  requirePermission(ctx, "giftcards.view");
  const [row] = await ctx.scope.db.select({ holdMinutes: tenants.giftCardHoldMinutes }).from(tenants).where(eq(tenants.id, ctx.scope.tenantId));
  return { authorisationHoldMinutes: row?.holdMinutes ?? DEFAULT_GIFT_CARD_HOLD_MINUTES };
}

/**
 * The tenant's gift card settings (giftcards.edit). A new hold applies to authorisations made from now on; those
 * already made keep the time they were given. Not a change tills sync (no tenant version or feed row); audited.
 */
export async function updateGiftCardSettings(ctx: PrincipalContext, body: { authorisationHoldMinutes: number }) {
  requirePermission(ctx, "giftcards.edit");
  const { scope } = ctx;
  await commit(scope.db, [
    scope.db.update(tenants).set({ giftCardHoldMinutes: body.authorisationHoldMinutes }).where(and(eq(tenants.id, scope.tenantId), isNull(tenants.deletedAt))),
    recordAudit(scope.db, { tenantId: scope.tenantId, actorType: ctx.principal.kind, actorId: ctx.principal.actorId, action: "gift_card.settings", entity: "tenant", entityId: scope.tenantId, detail: body }, ctx.request),
  ]);
  return { authorisationHoldMinutes: body.authorisationHoldMinutes };
}
