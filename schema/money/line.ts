/**
 * A line's price amount: `unitPrice × quantity / 1000` (quantity in thousandths), rounded half away from zero,
 * minus its discount.
 *
 * `discount` is a magnitude in minor units (never negative) and works in the direction of the line: it lowers a
 * sale line and lowers (in magnitude) a return line, so a return (negative quantity) is the exact negation of
 * the sale it mirrors. It may not exceed the extended amount. The result is the line's **net** when prices
 * exclude tax and its **gross** when they include it.
 */
import { MoneyError } from "./errors";
import { safeInteger, toSafeNumber } from "./integers";
import { divRoundHalfAwayFromZero } from "./rounding";

export const QUANTITY_ONE = 1000;

export interface LineAmount {
  /** unitPrice × quantity / 1000, rounded half away from zero (negative for a return). */
  readonly extended: number;
  /** The discount signed like the line: positive on a sale, negative on a return. amount = extended − discount. */
  readonly discount: number;
  /** extended − discount. */
  readonly amount: number;
}

export function lineAmount(unitPrice: number, quantity: number, discount = 0, field = "line"): LineAmount {
  const price = safeInteger(unitPrice, `${field}.unitPrice`, { min: 0 });
  const qty = safeInteger(quantity, `${field}.quantity`);
  if (qty === 0) throw new MoneyError("zero_quantity", `${field}.quantity`, "must not be 0");
  const disc = safeInteger(discount, `${field}.discount`, { min: 0 });

  const extended = divRoundHalfAwayFromZero(BigInt(price) * BigInt(qty), BigInt(QUANTITY_ONE));
  const magnitude = extended < 0n ? -extended : extended;
  if (BigInt(disc) > magnitude) {
    throw new MoneyError("discount_exceeds_amount", `${field}.discount`, "must not exceed the line's extended amount");
  }
  const signedDiscount = qty < 0 ? -BigInt(disc) : BigInt(disc);
  return {
    extended: toSafeNumber(extended, `${field}.quantity`),
    discount: toSafeNumber(signedDiscount, `${field}.discount`),
    amount: toSafeNumber(extended - signedDiscount, `${field}.quantity`),
  };
}
