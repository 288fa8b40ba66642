import { sql } from "drizzle-orm";
import { giftCardTransactions, giftCards } from "../../schema/db";
import { commit, rawStatement } from "../db/batch";
import type { Db } from "../db/client";

/**
 * Authorisations left uncaptured past their time (the tenant's hold, fixed when each was made) are cancelled as
 * EXPIRED and their holds released: by the Worker's cron trigger (worker/index.ts `scheduled`, every minute), for
 * every tenant at once. Each round is one batch of two set-based statements over the same due set (the oldest
 * `limit` past their time, in a fixed order): the cards' holds first, then the transactions, so a capture or
 * cancel that commits before the round takes its transaction out of the set, and one after it finds the
 * transaction EXPIRED (its guarded update matches nothing). A capture is refused past the time even before the
 * sweep has run; only the release of the hold waits for the next minute.
 */

export const EXPIRY_ROUND = 200;
/** Rounds per run: 2 000 authorisations a minute, far under D1's 1 000 statements per invocation. */
export const EXPIRY_ROUNDS = 10;

const dueSet = (now: number, limit: number) => sql`SELECT ${giftCardTransactions.id} FROM ${giftCardTransactions}
  WHERE ${giftCardTransactions.state} = 'AUTHORISED' AND ${giftCardTransactions.expiresAt} <= ${now}
  ORDER BY ${giftCardTransactions.expiresAt}, ${giftCardTransactions.id} LIMIT ${limit}`;

/** One round: expires at most `limit` due authorisations; answers how many. */
export async function expireRound(db: Db, now: number, limit = EXPIRY_ROUND): Promise<number> {
  const releaseHolds = rawStatement(db, sql`UPDATE ${giftCards} SET
      reserved = reserved - (SELECT coalesce(sum(-t.amount), 0) FROM ${giftCardTransactions} t
        WHERE t.card_id = ${giftCards.id} AND t.kind = 'USE' AND t.id IN (${dueSet(now, limit)})),
      version = version + 1, updated_at = ${now}
    WHERE ${giftCards.id} IN (SELECT t.card_id FROM ${giftCardTransactions} t WHERE t.kind = 'USE' AND t.id IN (${dueSet(now, limit)}))`);
  const expire = rawStatement<{ id: string }>(db, sql`UPDATE ${giftCardTransactions} SET state = 'EXPIRED', settled_at = ${now}
    WHERE id IN (${dueSet(now, limit)}) RETURNING id`);
  const results = await commit(db, [releaseHolds, expire]);
  return (results[1] as { id: string }[]).length;
}

/** Expire everything due at `now`, round after round (at most EXPIRY_ROUNDS); answers how many. */
export async function expireAuthorisations(db: Db, now: number): Promise<number> {
  let total = 0;
  for (let round = 0; round < EXPIRY_ROUNDS; round++) {
    const expired = await expireRound(db, now);
    total += expired;
    if (expired < EXPIRY_ROUND) break;
  }
  return total;
}
