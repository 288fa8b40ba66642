/**
 * Prices include tax, line rounding: the taxes a line's gross holds, backed out so that the line reads as the
 * receipt the exclusive rule (tax.ts) would print.
 *
 * Let E(x) = x + Σ taxesOnNet(x) be the gross the exclusive rule makes of a net x (x may be fractional). E rises
 * with slope 1 and steps up by whole cents where a tax's rounding reaches its next cent. For a gross G ≥ 0:
 *   1. N is the largest whole net with E(N) ≤ G. If E(N) = G, the line is the exclusive receipt of N.
 *   2. Otherwise rounding jumps over G between N and N + 1: E passes G at a step x̂ in (N, N + 1]. The net is x̂
 *      rounded to the nearer whole cent (N when x̂ ≤ N + ½: a tie backs out the larger tax, as rounding half away
 *      from zero does) and the tax is G − net. That tax lies between the taxes just below x̂ and those at x̂;
 *      the rates that step at x̂ take the cents in application order (so a compound rate comes after the rate
 *      whose cent moved its base).
 * A negative gross (a return) is backed out as the mirror of the sale.
 *
 * Why this rule:
 *   - every receipt the exclusive rule prints, priced at its gross, backs out to itself;
 *   - with one rate it is the classic figure, tax = round(G × r / (1 + r)). If E(N) = G with tax t, then
 *     t − G × r / (1 + r) = (t − r × N) / (1 + r), under half a cent. If rounding jumps over G, then G = N + t + 1
 *     where t is N's tax, the one rate steps once in (N, N + 1], at x̂ = (t + ½) / r, and G × r / (1 + r) ≥ t + ½
 *     exactly when x̂ ≤ N + ½;
 *   - the net is N or N + 1: never negative, never more tax than the price; a dearer price never holds a
 *     smaller net or less of any rate.
 * (Backing the exact combined rate out and rounding the total once, as the engine did before, printed taxes no
 * net explains: 1.01 with GST 5 % + QST 9.975 % compound came out 0.87 + 0.05 + 0.09.)
 */
import { RATE_ONE } from "./rate";
import { add, compare, fraction, sub, truncate, type Fraction } from "./rounding";
import { exactNet, taxBase, taxesOnNet, type TaxRate } from "./tax";

const sum = (xs: readonly bigint[]) => xs.reduce((s, x) => s + x, 0n);

/** Each rate's tax (in group order, whole minor units) held in `gross`. */
export function taxesInGross(gross: bigint, group: readonly TaxRate[]): bigint[] {
  if (gross < 0n) return taxesInGross(-gross, group).map((t) => -t);
  const n = largestNetWithin(gross, group);
  let taxes = taxesOnNet(fraction(n), group);
  if (n + sum(taxes) === gross) return taxes;
  // Walk the net up from n, one cent step to the next, to the step where the gross passes G.
  const tie = fraction(2n * n + 1n, 2n);
  const end = fraction(n + 1n);
  let x = fraction(n);
  for (;;) {
    x = nextStep(x, taxes, group);
    if (compare(x, end) > 0) throw new RangeError("taxesInGross: the gross was not passed by N + 1"); // E(N + 1) > G
    const after = taxesOnNet(x, group);
    if (compare(add(x, fraction(sum(after))), fraction(gross)) > 0) {
      const net = compare(x, tie) <= 0 ? n : n + 1n;
      return takeInOrder(taxes, after, gross - net - sum(taxes));
    }
    taxes = after;
  }
}

/** The gross the exclusive rule makes of a whole net. */
const grossOf = (net: bigint, group: readonly TaxRate[]) => net + sum(taxesOnNet(fraction(net), group));

/** The largest whole net n ≥ 0 with E(n) ≤ gross, found from the exact net (a few cents off at most). */
function largestNetWithin(gross: bigint, group: readonly TaxRate[]): bigint {
  let n = truncate(exactNet(gross, group));
  while (n > 0n && grossOf(n, group) > gross) n--;
  while (grossOf(n + 1n, group) <= gross) n++;
  return n;
}

/** The first net after x where a rate's tax moves up a cent, given the taxes at x. */
function nextStep(x: Fraction, taxes: readonly bigint[], group: readonly TaxRate[]): Fraction {
  let next: Fraction | null = null;
  group.forEach((t, pos) => {
    if (t.rateMillionths === 0) return;
    // The rate reaches its next cent where rate × base = amount + ½; the base is x plus a constant until then.
    const reached = fraction((2n * taxes[pos]! + 1n) * BigInt(RATE_ONE), 2n * BigInt(t.rateMillionths));
    const at = add(x, sub(reached, taxBase(x, group, taxes, pos)));
    if (next === null || compare(at, next) < 0) next = at;
  });
  if (next === null) throw new RangeError("taxesInGross: no rate can step"); // all rates 0: E(N) = G always
  return next;
}

/** `below` plus `extra` cents of the steps up to `above`, handed out in group order. */
function takeInOrder(below: readonly bigint[], above: readonly bigint[], extra: bigint): bigint[] {
  return below.map((b, pos) => {
    const step = above[pos]! - b;
    const take = step < extra ? step : extra;
    extra -= take;
    return b + take;
  });
}
