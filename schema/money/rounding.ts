/**
 * Exact rationals over bigint and the one rounding rule of the engine: half away from zero
 * (2.5 → 3, −2.5 → −3, so a return rounds exactly as the sale it mirrors).
 */

/** n / d with d > 0 and gcd(|n|, d) = 1. */
export interface Fraction {
  readonly n: bigint;
  readonly d: bigint;
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export function fraction(n: bigint, d: bigint = 1n): Fraction {
  if (d === 0n) throw new RangeError("fraction: zero denominator");
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d);
  return g > 1n ? { n: n / g, d: d / g } : { n, d };
}

export const ZERO: Fraction = { n: 0n, d: 1n };

export function add(a: Fraction, b: Fraction): Fraction {
  return a.d === b.d ? fraction(a.n + b.n, a.d) : fraction(a.n * b.d + b.n * a.d, a.d * b.d);
}

export function sub(a: Fraction, b: Fraction): Fraction {
  return add(a, { n: -b.n, d: b.d });
}

/** −1, 0 or 1 as a < b, a = b, a > b. */
export function compare(a: Fraction, b: Fraction): number {
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
}

/** n / d rounded half away from zero (d ≠ 0). */
export function divRoundHalfAwayFromZero(n: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError("division by zero");
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const m = abs(n);
  const q = m / d;
  const up = 2n * (m % d) >= d ? q + 1n : q;
  return n < 0n ? -up : up;
}

/** The fraction rounded half away from zero. */
export function roundHalfAwayFromZero(f: Fraction): bigint {
  return divRoundHalfAwayFromZero(f.n, f.d);
}

/** The fraction truncated toward zero (bigint division truncates). */
export function truncate(f: Fraction): bigint {
  return f.n / f.d;
}

export function mul(a: Fraction, b: Fraction): Fraction {
  return fraction(a.n * b.n, a.d * b.d);
}
