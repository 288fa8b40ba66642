/**
 * Tax groups: several rates on one line, some compound, and the tax each rate charges on a net.
 *
 * Order: rates apply in `sortOrder` (ties keep the order given).
 * Compound: a compound rate is charged on the net **plus the non-compound taxes before it in that order, as
 * charged**: the whole-cent amounts that appear on the receipt, not their exact values. Compound taxes before it
 * are not in its base. On a net N, with r_i the rates as fractions of 1 and round half away from zero:
 *   non-compound  t_i = round(r_i × N)
 *   compound      t_i = round(r_i × (N + Σ t_j, j before i and non-compound))
 * `taxesOnNet` is this rule. It takes a fractional net too: backing taxes out of an inclusive price (inclusive.ts)
 * walks it over fractional nets. Document rounding (document.ts) uses the same bases, `taxBase`, with the
 * non-compound cents allocated to the line.
 *
 * The exact world (no rounding anywhere) gives the net a gross holds before any rounding: inclusive.ts starts
 * from it, and document rounding with inclusive prices charges the rates on it. There each rate's share of the
 * net is its multiplier
 *   m_i = r_i                                   (non-compound)
 *   m_i = r_i × (1 + Σ r_j, j before i, non-compound)   (compound)
 * and a gross G holds the exact net G / (1 + Σ m_i). Multipliers are integers over RATE_ONE².
 */
import { MoneyError } from "./errors";
import { safeInteger } from "./integers";
import { RATE_ONE, rateMillionths, type RateInput } from "./rate";
import { add, fraction, mul, roundHalfAwayFromZero, type Fraction } from "./rounding";

export interface TaxRateInput {
  /** Identifies the rate across lines: per-rate totals and per-document rounding group by it. */
  readonly id: string;
  readonly name: string;
  /** Basis points (integer) or `{ millionths }`; 0 ‥ 100 %. */
  readonly rate: RateInput;
  readonly isCompound?: boolean;
  readonly sortOrder?: number;
}

/** A validated rate in the engine's exact form. */
export interface TaxRate {
  readonly id: string;
  readonly name: string;
  readonly rateMillionths: number;
  readonly isCompound: boolean;
  readonly sortOrder: number;
}

/** Validates a line's taxes and puts them in application order. */
export function normalizeTaxGroup(taxes: unknown, field = "taxes"): TaxRate[] {
  if (taxes === undefined || taxes === null) return [];
  if (!Array.isArray(taxes)) throw new MoneyError("invalid_type", field, "must be an array");
  const seen = new Set<string>();
  const rates = taxes.map((t: unknown, i): TaxRate => {
    const f = `${field}[${i}]`;
    if (typeof t !== "object" || t === null) throw new MoneyError("invalid_type", f, "must be an object");
    const tax = t as Partial<Record<keyof TaxRateInput, unknown>>;
    if (typeof tax.id !== "string" || tax.id === "") throw new MoneyError("invalid_type", `${f}.id`, "must be a non-empty string");
    if (seen.has(tax.id)) throw new MoneyError("duplicate_tax", `${f}.id`, `tax ${tax.id} appears twice on the line`);
    seen.add(tax.id);
    if (typeof tax.name !== "string") throw new MoneyError("invalid_type", `${f}.name`, "must be a string");
    if (tax.isCompound !== undefined && typeof tax.isCompound !== "boolean") {
      throw new MoneyError("invalid_type", `${f}.isCompound`, "must be a boolean");
    }
    return {
      id: tax.id,
      name: tax.name,
      rateMillionths: rateMillionths(tax.rate as RateInput, `${f}.rate`),
      isCompound: tax.isCompound ?? false,
      sortOrder: tax.sortOrder === undefined ? 0 : safeInteger(tax.sortOrder, `${f}.sortOrder`),
    };
  });
  return rates
    .map((rate, index) => ({ rate, index }))
    .sort((a, b) => a.rate.sortOrder - b.rate.sortOrder || a.index - b.index)
    .map((x) => x.rate);
}

const ONE = BigInt(RATE_ONE);
/** Multipliers are integers over this denominator (RATE_ONE²). */
export const MULTIPLIER_ONE = ONE * ONE;

/** The rate as an exact fraction of 1. */
export const rateOf = (t: TaxRate): Fraction => fraction(BigInt(t.rateMillionths), ONE);

/**
 * What the rate at `pos` is charged on: the net, plus, for a compound rate, the amounts already charged by the
 * non-compound rates before it (`charged`, in group order; entries from `pos` on are not read).
 */
export function taxBase(net: Fraction, group: readonly TaxRate[], charged: readonly bigint[], pos: number): Fraction {
  if (!group[pos]!.isCompound) return net;
  let base = net;
  for (let j = 0; j < pos; j++) if (!group[j]!.isCompound) base = add(base, fraction(charged[j]!));
  return base;
}

/** Each rate's tax on `net` in whole minor units, in group order (the rule above). */
export function taxesOnNet(net: Fraction, group: readonly TaxRate[]): bigint[] {
  const charged: bigint[] = [];
  group.forEach((t, pos) => charged.push(roundHalfAwayFromZero(mul(rateOf(t), taxBase(net, group, charged, pos)))));
  return charged;
}

/** Each rate's multiplier m_i (see above) as an integer numerator over MULTIPLIER_ONE, in group order. */
export function taxMultipliers(group: readonly TaxRate[]): bigint[] {
  let nonCompound = 0n; // Σ r_j of the non-compound rates so far, in millionths
  return group.map((t) => {
    const r = BigInt(t.rateMillionths);
    if (t.isCompound) return r * (ONE + nonCompound);
    nonCompound += r;
    return r * ONE;
  });
}

/** The exact net a gross holds: G / (1 + Σ m_i), no rounding anywhere. */
export function exactNet(gross: bigint, group: readonly TaxRate[]): Fraction {
  return fraction(gross * MULTIPLIER_ONE, MULTIPLIER_ONE + taxMultipliers(group).reduce((s, x) => s + x, 0n));
}
