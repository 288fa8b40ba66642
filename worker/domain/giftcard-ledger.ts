import { and, eq, isNull, or, sql, type SQL } from "drizzle-orm";
import type { GiftCardTransaction } from "../../schema/contracts/giftcards";
import { giftCardTransactions, giftCards } from "../../schema/db";
import { expectOneChange, isCheckFailure, type Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import type { Principal } from "./context";
import { toIso, toIsoOrNull } from "./versioning";

/**
 * How a card's money moves: the statements every face writes (a transaction, a capture, a sale's payment), each
 * set-based and conditional, so that they hold whatever runs at the same time:
 *
 * - the card's row moves by one UPDATE (`balance = balance + ?`, `reserved = reserved + ?`) that also says which
 *   cards may move (live; active and not past their day when money is spent or loaded), followed by a guard that
 *   it matched (batch_guard): a card blocked meanwhile stops the batch;
 * - the card's CHECK `gift_card_funds` (reserved ≥ 0, balance ≥ reserved) stops any batch that would spend or
 *   hold more than is available: of two batches racing for the last 100 kr, the second fails and writes nothing;
 * - the ledger row is inserted after the move, reading the card's balance as the move left it.
 */

export type TransactionRow = typeof giftCardTransactions.$inferSelect;
export type TransactionKind = TransactionRow["kind"];

/** The batch failed because a card would have gone below zero (spent or held more than it has). */
export const isFundsFailure = (error: unknown) => isCheckFailure(error, "gift_card_funds");

/** Today in UTC, as the cards' `expiresOn` is compared. */
export const utcDay = (now: number) => new Date(now).toISOString().slice(0, 10);

/** Which cards may move: live; and, for money spent or loaded, active and not past their last day. */
function movable(card: string, now: number, usable: boolean): SQL {
  const live = and(eq(giftCards.id, card), isNull(giftCards.deletedAt))!;
  if (!usable) return live;
  return and(live, eq(giftCards.status, "active"), or(isNull(giftCards.expiresOn), sql`${giftCards.expiresOn} >= ${utcDay(now)}`))!;
}

/**
 * Move a card's balance and hold (signed minor units), guarded: [UPDATE, guard]. `usable`: the card must be active
 * and within its days (spending and loading); corrections and money coming back (a void) move any live card.
 */
export function moveCard(scope: TenantScope, card: string, move: { balance: number; reserved: number }, now: number, usable: boolean): Statement[] {
  return [
    scope.update(giftCards, {
      balance: sql`${giftCards.balance} + ${move.balance}`,
      reserved: sql`${giftCards.reserved} + ${move.reserved}`,
      version: sql`${giftCards.version} + 1`,
      updatedAt: now,
    } as never, movable(card, now, usable)),
    expectOneChange(scope.db),
  ];
}

/** The card's balance as the statements before it in the batch left it. */
export const balanceNow = (card: string): SQL => sql`(SELECT ${giftCards.balance} FROM ${giftCards} WHERE ${giftCards.id} = ${card})`;

export const actorOf = (principal: Principal) => ({ actorType: principal.kind, actorId: principal.actorId });

/** A ledger row that moved the balance now: its balance-after read from the card in the same batch. */
export const insertTransaction = (scope: TenantScope, row: Omit<TransactionRow, "tenantId" | "balanceAfter">, movedBalance: boolean): Statement =>
  scope.insert(giftCardTransactions, { ...row, balanceAfter: movedBalance ? balanceNow(row.cardId) : null } as never);

/** What an open authorisation holds back (a positive amount): a USE holds what it would take. */
export const heldBy = (t: Pick<TransactionRow, "kind" | "amount">) => (t.kind === "USE" ? -t.amount : 0);

export function transactionDto(t: TransactionRow): GiftCardTransaction {
  return {
    id: t.id,
    cardId: t.cardId,
    kind: t.kind,
    state: t.state,
    amount: t.amount,
    authorisedAmount: t.authorisedAmount,
    balanceAfter: t.balanceAfter,
    reference: t.reference,
    description: t.description,
    storeId: t.storeId,
    saleId: t.saleId,
    actorType: t.actorType,
    actorId: t.actorId,
    createdAt: toIso(t.createdAt),
    expiresAt: toIsoOrNull(t.expiresAt),
    settledAt: toIsoOrNull(t.settledAt),
  };
}

/** Why a card takes no money now, or null when it does. */
export function unusable(card: { status: string; expiresOn: string | null }, now: number): { code: string; message: string } | null {
  if (card.status !== "active") return { code: "GIFT_CARD_BLOCKED", message: "This gift card is blocked" };
  if (card.expiresOn !== null && card.expiresOn < utcDay(now)) return { code: "GIFT_CARD_EXPIRED", message: `This gift card could be used until ${card.expiresOn}` };
  return null;
}
