/**
 * The one error the money engine throws for bad input. `field` names the failing input by path
 * (`lines[2].taxes[0].rate`), so a route can answer 400 with the field without parsing a message.
 */
export type MoneyErrorCode =
  | "invalid_type" // not a number / string / boolean / array where one is required
  | "not_integer" // a fraction (or NaN, Infinity) where an integer is required
  | "unsafe_integer" // beyond Number.MAX_SAFE_INTEGER: cannot be represented exactly
  | "out_of_range" // negative price, rate over 100 %, cash unit below 1, ...
  | "zero_quantity" // a line of quantity 0
  | "discount_exceeds_amount" // a discount larger than the line's extended amount
  | "duplicate_tax" // the same tax id twice on one line
  | "inconsistent_tax" // the same tax id with a different rate or compound flag on another line
  | "overflow"; // a computed amount is not a safe integer

export class MoneyError extends Error {
  override readonly name = "MoneyError";
  constructor(
    readonly code: MoneyErrorCode,
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export const isMoneyError = (e: unknown): e is MoneyError => e instanceof MoneyError;
