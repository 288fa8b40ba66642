import { sql } from "drizzle-orm";
import type { PresentedGiftCard } from "../../schema/contracts/giftcards";
import { giftCardTransactions, giftCards } from "../../schema/db";
import { commit, rawStatement, type Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import type { Principal } from "./context";
import { DomainError, businessRule, forbidden, type FieldError } from "./errors";
import { refundAttempt } from "./attempts";
import { PRESENTATION_READS, presentationReads, verifyPresentation, type CardRow, type Presented } from "./giftcard-codes";
import { insertTransaction, moveCard, unusable } from "./giftcard-ledger";

/**
 * A gift card as a tender at the till (POST /api/v1/sales): a payment of a tender of kind `gift_card` names the
 * card by its code (and PIN). The card is found and its attempt counted in the sale's own read batch; its USE (or,
 * for a return's refund onto the card, its ADD) is written in the sale's own batch, with the card's guard and
 * funds CHECK, so the sale and the card's money commit together or not at all, and the sale keeps its two D1
 * round trips. A void puts the money back (or takes a refund back) in the void's batch, set-based.
 */

export interface GiftPayment {
  /** The payment's position in the sale's payments. */
  index: number;
  presented: PresentedGiftCard;
  /** The payment's amount: positive pays (a USE), negative refunds onto the card (an ADD). */
  amount: number;
}

export const giftPaymentsOf = (payments: { amount: number; giftCard?: PresentedGiftCard | undefined }[]): GiftPayment[] =>
  payments.flatMap((p, index) => (p.giftCard ? [{ index, presented: p.giftCard, amount: p.amount }] : []));

/** The reads of the sale's gift card payments, for the sale's read batch (after its own reads). */
export const giftPaymentReads = (scope: TenantScope, principal: Principal, payments: GiftPayment[], now: number): Statement[] =>
  payments.flatMap((p) => presentationReads(scope, principal, p.presented, now));

const resultsOf = (results: unknown[][], i: number) => results.slice(i * PRESENTATION_READS, (i + 1) * PRESENTATION_READS);

/**
 * Give back attempts that were counted but never checked (the sale was refused, or answered as a retry, before
 * any PIN was verified): nothing was learnt from them.
 */
export async function returnUncheckedAttempts(scope: TenantScope, payments: GiftPayment[], results: unknown[][]) {
  const refunds = payments.flatMap((_, i) => {
    const [byCode, byCaller] = resultsOf(results, i) as Parameters<typeof refundAttempt>[1][][];
    return [...byCode!, ...byCaller!].map((row) => refundAttempt(scope.db, row));
  });
  if (refunds.length) await commit(scope.db, refunds);
}

/** A card a payment uses, once found: for the batch and for explaining a refused write. */
export interface GiftUse {
  index: number;
  card: CardRow;
  amount: number;
}

export interface GiftSale {
  id: string;
  receiptNumber: string;
  storeId: string;
  currency: string;
  /** The ids of the sale's payments, in order. */
  paymentIds: string[];
}

/**
 * Check the sale's gift card payments (the code and PIN, the permission, the card's currency, state and funds)
 * and make their statements for the sale's batch. 404 GIFT_CARD_NOT_FOUND alike for any code or PIN that is not
 * right (`payments.N.giftCard`); once every PIN is right, any other refusal gives the attempts back (`refunds`,
 * which the batch carries too, are for the caller to commit when the batch fails).
 */
export async function giftPaymentStatements(
  scope: TenantScope, principal: Principal, payments: GiftPayment[], results: unknown[][], sale: GiftSale, now: number,
): Promise<{ statements: Statement[]; uses: GiftUse[]; refunds: Statement[] }> {
  const found: Presented[] = [];
  for (const [i, payment] of payments.entries()) {
    found.push(await verifyPresentation(scope, principal, payment.presented, resultsOf(results, i), now, `payments.${payment.index}.giftCard`));
  }
  const refunds = found.flatMap((f) => f.refunds);
  try {
    const uses = payments.map((p, i): GiftUse => ({ index: p.index, card: found[i]!.card, amount: p.amount }));
    checkUses(principal, uses, sale, now);
    const statements = uses.flatMap((use, i) => [
      ...moveCard(scope, use.card.id, { balance: -use.amount, reserved: 0 }, now, true),
      insertTransaction(scope, {
        id: crypto.randomUUID(), cardId: use.card.id, kind: use.amount > 0 ? "USE" : "ADD", state: "COMPLETED", amount: -use.amount, authorisedAmount: null,
        reference: sale.receiptNumber, description: use.amount > 0 ? "Paid at the till" : "Refunded at the till", storeId: sale.storeId, saleId: sale.id,
        paymentId: sale.paymentIds[use.index] ?? null, codeId: found[i]!.code.id, actorType: principal.kind, actorId: principal.actorId, createdAt: now, expiresAt: null, settledAt: null, settledBy: null,
      }, true),
    ]);
    return { statements: [...refunds, ...statements], uses, refunds };
  } catch (error) {
    if (error instanceof DomainError && refunds.length) await commit(scope.db, refunds);
    throw error;
  }
}

function checkUses(principal: Principal, uses: GiftUse[], sale: GiftSale, now: number) {
  if (uses.some((u) => u.amount > 0) && !principal.permissions.has("giftcards.use")) throw forbidden("Paying with a gift card needs the permission giftcards.use", "MISSING_PERMISSION");
  if (uses.some((u) => u.amount < 0) && !principal.permissions.has("giftcards.add")) throw forbidden("Refunding onto a gift card needs the permission giftcards.add", "MISSING_PERMISSION");
  const fields: FieldError[] = [];
  const seen = new Set<string>();
  for (const use of uses) {
    const path = `payments.${use.index}.giftCard`;
    if (seen.has(use.card.id)) fields.push({ path, message: "is a card another payment of this sale already uses" });
    seen.add(use.card.id);
    if (use.card.currency !== sale.currency) fields.push({ path, message: `is a card in ${use.card.currency}; this store sells in ${sale.currency}` });
  }
  if (fields.length) throw businessRule("INVALID_GIFT_CARD_PAYMENT", "A gift card payment of this sale cannot be taken", fields);
  for (const use of uses) {
    const problem = unusable(use.card, now);
    if (problem) throw businessRule(problem.code, problem.message, [{ path: `payments.${use.index}.giftCard`, message: problem.message }]);
  }
  const short = uses.filter((u) => u.amount > u.card.balance - u.card.reserved);
  if (short.length) throw insufficient(short.map((u) => ({ ...u, available: u.card.balance - u.card.reserved })));
}

const insufficient = (short: { index: number; amount: number; available: number }[]) =>
  businessRule("INSUFFICIENT_FUNDS", "A gift card does not have what its payment takes; nothing was written", short.map((u) => ({
    path: `payments.${u.index}.amount`, message: `takes ${u.amount}; the gift card has ${u.available} available`, received: u.amount, expected: u.available,
  })));

/** After the sale's batch failed on a card's guard or funds: the cards as they are now say which and why. */
export async function explainRefusedUses(scope: TenantScope, uses: GiftUse[], now: number): Promise<DomainError> {
  const rows = (await scope.db.batch(uses.map((u) => scope.db.select().from(giftCards).where(scope.where(giftCards, sql`${giftCards.id} = ${u.card.id}`))) as never)) as unknown as CardRow[][];
  const current = uses.map((u, i) => ({ ...u, card: rows[i]![0] ?? u.card }));
  for (const use of current) {
    const problem = unusable(use.card, now);
    if (problem) return businessRule(problem.code, `${problem.message} (it changed while the sale was made)`, [{ path: `payments.${use.index}.giftCard`, message: problem.message }]);
  }
  const short = current.filter((u) => u.amount > u.card.balance - u.card.reserved).map((u) => ({ ...u, available: u.card.balance - u.card.reserved }));
  return short.length ? insufficient(short) : businessRule("INSUFFICIENT_FUNDS", "A gift card of this sale was spent meanwhile; nothing was written", []);
}

/**
 * A void's statements: every gift card the sale paid with gets its money back, and every refund the return put
 * onto a card is taken back (an ADJUST each, naming the sale), set-based so that a void needs no read of its own.
 * Taking back a refund that has been spent fails the card's funds CHECK, and the void with it.
 */
export function voidGiftCardStatements(scope: TenantScope, saleId: string, receiptNumber: string, userId: string, now: number): Statement[] {
  const ofSale = sql`t.tenant_id = ${scope.tenantId} AND t.sale_id = ${saleId} AND t.state = 'COMPLETED' AND t.kind IN ('USE', 'ADD')`;
  const uuid = sql`lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`;
  return [
    rawStatement(scope.db, sql`UPDATE ${giftCards} SET
        balance = balance - (SELECT sum(t.amount) FROM ${giftCardTransactions} t WHERE t.card_id = ${giftCards.id} AND ${ofSale}),
        version = version + 1, updated_at = ${now}
      WHERE ${giftCards.id} IN (SELECT t.card_id FROM ${giftCardTransactions} t WHERE ${ofSale})`),
    rawStatement(scope.db, sql`INSERT INTO ${giftCardTransactions}
        (id, tenant_id, card_id, kind, state, amount, authorised_amount, balance_after, reference, description, store_id, sale_id, payment_id, code_id, actor_type, actor_id, created_at, expires_at, settled_at, settled_by)
      SELECT ${uuid}, t.tenant_id, t.card_id, 'ADJUST', 'COMPLETED', -t.amount, NULL, (SELECT g.balance FROM ${giftCards} g WHERE g.id = t.card_id),
        ${receiptNumber}, ${`Void of sale ${receiptNumber}`}, t.store_id, t.sale_id, t.payment_id, t.code_id, 'user', ${userId}, ${now}, NULL, NULL, NULL
      FROM ${giftCardTransactions} t WHERE ${ofSale}`),
  ];
}

/** A pushed record as the sync error queue keeps it: a gift card payment's PIN left out (it is never stored). */
export function withoutGiftCardPins(raw: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(raw.payments)) return raw;
  const payments = raw.payments.map((p: unknown) => {
    const card = (p as { giftCard?: unknown } | null)?.giftCard;
    if (!card || typeof card !== "object" || !("pin" in card)) return p;
    const { pin: _pin, ...rest } = card as Record<string, unknown>;
    return { ...(p as object), giftCard: rest };
  });
  return { ...raw, payments };
}
