/**
 * Tax rates.
 *
 * The engine's unit for a rate is the **millionth** (parts per million of the price): 100 % = 1 000 000,
 * 1 basis point = 100 millionths. Every rate with up to four decimals in percent is exact:
 *
 *   25 %      = 2500 bp  = 250 000 millionths      (Swedish moms)
 *   8.25 %    =  825 bp  =  82 500 millionths      (the spec's State Tax)
 *   8.875 %   = 887.5 bp =  88 750 millionths      (New York City sales tax: not a whole bp)
 *   9.975 %   = 997.5 bp =  99 750 millionths      (Québec QST: not a whole bp)
 *
 * A rate is written in one of two forms:
 *   - a plain integer: **basis points**, the spec's unit and the common case (`rate: 825`);
 *   - `{ millionths: n }` when a basis point is too coarse (`rate: { millionths: 99750 }`).
 * `percent("9.975")` parses a decimal percentage exactly into the second form.
 *
 * Why millionths and not an arbitrary rational: a rate stays one integer (one column, easy to compare and
 * index), every real tax rate we know of fits, and all arithmetic on it is exact anyway (bigint rationals,
 * see tax.ts), so a finer unit later would change only this file.
 */
import { MoneyError } from "./errors";
import { safeInteger } from "./integers";

/** 100 % in millionths. */
export const RATE_ONE = 1_000_000;
export const MILLIONTHS_PER_BASIS_POINT = 100;

/** A rate in millionths (the engine's exact form). */
export interface Millionths {
  readonly millionths: number;
}

/** Basis points (a plain integer, as in the spec) or an exact finer rate in millionths. */
export type RateInput = number | Millionths;

/** The rate in millionths, validated to 0 ‥ 100 %. */
export function rateMillionths(input: RateInput, field = "rate"): number {
  if (typeof input === "number") {
    return safeInteger(input, field, { min: 0, max: RATE_ONE / MILLIONTHS_PER_BASIS_POINT }) * MILLIONTHS_PER_BASIS_POINT;
  }
  if (typeof input === "object" && input !== null && "millionths" in input) {
    return safeInteger(input.millionths, `${field}.millionths`, { min: 0, max: RATE_ONE });
  }
  throw new MoneyError("invalid_type", field, "must be basis points (an integer) or { millionths }");
}

/** A rate given in basis points, in the exact form. */
export function basisPoints(bp: number): Millionths {
  return { millionths: rateMillionths(bp, "basisPoints") };
}

export function millionths(n: number): Millionths {
  return { millionths: rateMillionths({ millionths: n }, "millionths") };
}

/** Parses a decimal percentage exactly ("25", "8.25", "9.975"); at most four decimals; no floats involved. */
export function percent(text: string): Millionths {
  const m = typeof text === "string" ? /^(\d{1,3})(?:\.(\d{1,4}))?$/.exec(text.trim()) : null;
  if (!m) throw new MoneyError("invalid_type", "percent", "must be a decimal percentage with at most 4 decimals");
  const whole = Number(m[1]);
  const frac = Number((m[2] ?? "").padEnd(4, "0"));
  const value = whole * 10_000 + frac;
  if (value > RATE_ONE) throw new MoneyError("out_of_range", "percent", "must be at most 100 %");
  return { millionths: value };
}

/** The rate in whole basis points, or null when it is finer than a basis point (9.975 %). */
export function toBasisPoints(millionths: number): number | null {
  return millionths % MILLIONTHS_PER_BASIS_POINT === 0 ? millionths / MILLIONTHS_PER_BASIS_POINT : null;
}

/** "25", "8.25", "9.975": the rate as a percentage for receipts, without trailing zeros. */
export function formatPercent(millionths: number): string {
  const whole = Math.trunc(millionths / 10_000);
  const frac = String(millionths % 10_000).padStart(4, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : String(whole);
}
