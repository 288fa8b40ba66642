/**
 * Largest-remainder allocation: whole cents for a set of exact amounts so that they sum to a given total.
 *
 * Every amount starts truncated toward zero; the cents still missing go, one each, to the amounts with the
 * largest remainder in the direction needed (largest positive remainders when cents are missing, most negative
 * when there are too many); ties go to the earlier entry. Truncating toward zero (not flooring) makes the
 * allocation of negated amounts exactly the negated allocation, so returns mirror sales. When the total is the
 * rounded sum of the amounts, every entry ends within one cent of its exact amount (its floor or its ceiling).
 */
import { compare, sub, truncate, type Fraction } from "./rounding";

export function allocateLargestRemainder(exact: readonly Fraction[], total: bigint): bigint[] {
  const result = exact.map(truncate);
  let missing = total - result.reduce((s, x) => s + x, 0n);
  if (missing === 0n) return result;
  const step = missing > 0n ? 1n : -1n;
  const candidates = exact
    .map((e, index) => ({ index, remainder: sub(e, { n: result[index]!, d: 1n }) }))
    .filter((c) => (step > 0n ? c.remainder.n > 0n : c.remainder.n < 0n))
    .sort((a, b) => (step > 0n ? compare(b.remainder, a.remainder) : compare(a.remainder, b.remainder)) || a.index - b.index);
  if (BigInt(candidates.length) < (missing > 0n ? missing : -missing)) {
    throw new RangeError("allocateLargestRemainder: the total is not reachable within one cent of each amount");
  }
  for (const c of candidates) {
    if (missing === 0n) break;
    result[c.index] = result[c.index]! + step;
    missing -= step;
  }
  return result;
}
