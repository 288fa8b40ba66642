/**
 * Cash rounding: the amount a customer settles in cash, rounded to the smallest unit the store handles in cash.
 *
 * `unit` is the store's `cashRoundingUnit` in minor units: 1 = none, 5 = CHF 5 rappen (also CAD, AUD), 10, 50,
 * 100 = SEK whole kronor (also NOK). The rule is half away from zero, which is the practice of both:
 *   - SEK (öresavrundning): to the nearest krona, 50 öre and above up: 317.49 → 317, 317.50 → 318;
 *   - CHF (Rappenrundung): to the nearest 0.05: .01 .02 → .00, .03 .04 → .05, .06 .07 → .05, .08 .09 → .10
 *     (an odd unit has no ties, so any tie rule gives the same);
 * and a refund (negative amount) rounds as the mirror of the sale. A currency whose practice differs on ties
 * (some New Zealand retailers round 5 cents down) would need a tie option here.
 *
 * Only cash tender is rounded: pass the part of the sale to be paid in cash (the remaining balance after card
 * payments), never a line. The difference is returned as an explicit `adjustment` that the sale stores on its
 * own (rounded = amount + adjustment), so the lines and tax totals are never touched.
 */
import { safeInteger, toSafeNumber } from "./integers";
import { divRoundHalfAwayFromZero } from "./rounding";

export interface CashRounding {
  /** The cash amount due before rounding. */
  readonly amount: number;
  /** What the customer pays (or gets back): a multiple of `unit`. */
  readonly rounded: number;
  /** rounded − amount; |adjustment| ≤ unit / 2. */
  readonly adjustment: number;
  readonly unit: number;
}

export function cashRounding(amount: number, unit: number): CashRounding {
  const a = safeInteger(amount, "amount");
  const u = safeInteger(unit, "unit", { min: 1 });
  const rounded = divRoundHalfAwayFromZero(BigInt(a), BigInt(u)) * BigInt(u);
  const r = toSafeNumber(rounded, "amount");
  return { amount: a, rounded: r, adjustment: toSafeNumber(rounded - BigInt(a), "amount"), unit: u };
}
