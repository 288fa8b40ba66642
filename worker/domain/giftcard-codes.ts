import { and, eq, isNull } from "drizzle-orm";
import type { PresentedGiftCard } from "../../schema/contracts/giftcards";
import { giftCardCodes, giftCards } from "../../schema/db";
import { verifySecret } from "../auth/credentials";
import type { Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import { countAttempt, counterOf, refundAttempt, refuseOverLimit, type AttemptPolicy } from "./attempts";
import type { Principal } from "./context";
import { notFound } from "./errors";

/**
 * A card presented by its code (and PIN): at a till, or to look it up. Guessing is limited like PINs at sign-in
 * (attempts.ts): every attempt counts **before** it is verified, against the code (whether or not it exists, so
 * the limit itself tells nothing) and against the caller, in the read batch that finds the code; a success gives
 * both attempts back in the write that follows. An unknown code, a missing PIN and a wrong PIN answer alike, and
 * take as long (a PBKDF2 verification each).
 */

/** Wrong codes or PINs per code: a 4-digit PIN cannot be walked through. */
export const CODE_POLICY: AttemptPolicy = { limit: 5, windowMs: 15 * 60_000 };
/** Wrong codes or PINs per user or API client: a caller cannot walk through the codes. */
export const CALLER_POLICY: AttemptPolicy = { limit: 30, windowMs: 15 * 60_000 };

const codeKey = (tenantId: string, code: string) => `giftcode:${tenantId}:${code}`;
const callerKey = (principal: Principal) => `giftcaller:${principal.tenantId}:${principal.actorId}`;

/** "****5678": what receipts and lists print of a code. */
export const maskCode = (code: string) => `****${code.slice(-4)}`;

export type CodeRow = typeof giftCardCodes.$inferSelect;
export type CardRow = typeof giftCards.$inferSelect;

/** The statements of one presentation, for the caller's read batch, in this order: two counters, the code, its card, the card's codes. */
export function presentationReads(scope: TenantScope, principal: Principal, presented: PresentedGiftCard, now: number): Statement[] {
  const live = and(eq(giftCardCodes.code, presented.code), isNull(giftCardCodes.removedAt));
  const cardOfCode = scope.db.select({ id: giftCardCodes.cardId }).from(giftCardCodes).where(scope.where(giftCardCodes, live));
  return [
    countAttempt(scope.db, codeKey(scope.tenantId, presented.code), CODE_POLICY, now),
    countAttempt(scope.db, callerKey(principal), CALLER_POLICY, now),
    scope.select(giftCardCodes, live),
    scope.db.select().from(giftCards).where(scope.where(giftCards, isNull(giftCards.deletedAt), eq(giftCards.id, cardOfCode))),
    scope.select(giftCardCodes, isNull(giftCardCodes.removedAt), eq(giftCardCodes.cardId, cardOfCode)),
  ];
}
export const PRESENTATION_READS = 5;

export const noSuchCard = (path?: string) => {
  const error = notFound("Gift card", "GIFT_CARD_NOT_FOUND", "No gift card has this code and PIN");
  if (path) error.details.fields = [{ path, message: "names no gift card with this code and PIN" }];
  return error;
};

export interface Presented {
  card: CardRow;
  code: CodeRow;
  /** The card's live codes. */
  codes: CodeRow[];
  /** Give the attempts back: for the write batch that follows a success. */
  refunds: Statement[];
}

/**
 * The card the code and PIN name, from the results of `presentationReads`: 429 when either counter is past its
 * limit (before anything is verified), else the card, or GIFT_CARD_NOT_FOUND alike for every other failure.
 */
export async function verifyPresentation(scope: TenantScope, principal: Principal, presented: PresentedGiftCard, results: unknown[][], now: number, path?: string): Promise<Presented> {
  const [codeCounter, callerCounter, codeRows, cardRows, cardCodes] = results as [unknown[], unknown[], CodeRow[], CardRow[], CodeRow[]];
  const byCode = counterOf(codeCounter, codeKey(scope.tenantId, presented.code));
  const byCaller = counterOf(callerCounter, callerKey(principal));
  const tooMany = "Too many wrong gift card codes or PINs; wait and try again";
  refuseOverLimit(byCaller, CALLER_POLICY, now, "TOO_MANY_ATTEMPTS", tooMany);
  refuseOverLimit(byCode, CODE_POLICY, now, "TOO_MANY_ATTEMPTS", tooMany);
  const code = codeRows[0];
  const card = cardRows[0];
  // One PBKDF2 verification whatever is wrong, so that the time taken tells nothing either.
  const hash = code?.pinHash ?? null;
  const pinOk = hash === null ? (await verifySecret(presented.pin ?? "", undefined), true) : await verifySecret(presented.pin ?? "", hash);
  if (!code || !card || !pinOk || (hash !== null && presented.pin === undefined)) throw noSuchCard(path);
  return { card, code, codes: cardCodes, refunds: [byCode, byCaller].flatMap((row) => (row ? [refundAttempt(scope.db, row)] : [])) };
}
