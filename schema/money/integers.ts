/** Checked conversions between JavaScript numbers (inputs and outputs) and bigint (all arithmetic). */
import { MoneyError } from "./errors";

export interface IntegerBounds {
  readonly min?: number;
  readonly max?: number;
}

/** The value as an exact integer, or a MoneyError naming `field`. Accepts only safe integers. */
export function safeInteger(value: unknown, field: string, bounds: IntegerBounds = {}): number {
  if (typeof value !== "number") throw new MoneyError("invalid_type", field, "must be an integer");
  if (!Number.isInteger(value)) throw new MoneyError("not_integer", field, "must be an integer");
  if (!Number.isSafeInteger(value)) {
    throw new MoneyError("unsafe_integer", field, "must be a safe integer (|n| <= 2^53 - 1)");
  }
  if (bounds.min !== undefined && value < bounds.min) {
    throw new MoneyError("out_of_range", field, `must be at least ${bounds.min}`);
  }
  if (bounds.max !== undefined && value > bounds.max) {
    throw new MoneyError("out_of_range", field, `must be at most ${bounds.max}`);
  }
  return value === 0 ? 0 : value; // no -0
}

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** A computed bigint back to a number, or a MoneyError("overflow") naming the input it came from. */
export function toSafeNumber(value: bigint, field: string): number {
  if (value > MAX || value < -MAX) {
    throw new MoneyError("overflow", field, "the computed amount is beyond the safe integer range");
  }
  return Number(value);
}
