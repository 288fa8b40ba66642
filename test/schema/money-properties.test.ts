/**
 * Property tests of the money and tax engine over thousands of random baskets (fast-check).
 *
 * The expected exact amounts come from a reference written here independently of the engine: it walks a tax
 * group rate by rate (a compound rate on the net plus the non-compound taxes before it) and backs inclusive prices
 * out by dividing by 1 + the group's total rate, all in exact bigint fractions.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allocateLargestRemainder,
  cashRounding,
  computeDocument,
  lineAmount,
  MoneyError,
  type DocumentInput,
  type DocumentResult,
  type LineInput,
  type RateInput,
  type TaxRateInput,
} from "../../schema/money/index";

fc.configureGlobal({ numRuns: 2000 });

// ---------------------------------------------------------------- reference arithmetic (exact fractions)

type Q = { n: bigint; d: bigint };
const babs = (x: bigint) => (x < 0n ? -x : x);
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? babs(a) : gcd(b, a % b));
const q = (n: bigint, d = 1n): Q => {
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
};
const qadd = (a: Q, b: Q) => q(a.n * b.d + b.n * a.d, a.d * b.d);
const qmul = (a: Q, b: Q) => q(a.n * b.n, a.d * b.d);
const qdiv = (a: Q, b: Q) => q(a.n * b.d, a.d * b.n);
const qsum = (xs: Q[]) => xs.reduce(qadd, q(0n));
/** Half away from zero: sign × floor((2|n| + d) / 2d). */
const qround = (x: Q): bigint => {
  const m = (2n * babs(x.n) + x.d) / (2n * x.d);
  return x.n < 0n ? -m : m;
};
/** |a − x| < 1 */
const within1 = (a: number, x: Q) => babs(BigInt(a) * x.d - x.n) < x.d;

const rateQ = (r: RateInput): Q => (typeof r === "number" ? q(BigInt(r), 10_000n) : q(BigInt(r.millionths), 1_000_000n));

function refOrder(taxes: readonly TaxRateInput[]): TaxRateInput[] {
  return taxes
    .map((t, i) => ({ t, i }))
    .sort((a, b) => (a.t.sortOrder ?? 0) - (b.t.sortOrder ?? 0) || a.i - b.i)
    .map((x) => x.t);
}

/** Exact tax of each rate (in application order) on a net amount. */
function refTaxesOnNet(net: Q, ordered: readonly TaxRateInput[]): Q[] {
  let nonCompound = q(0n);
  return ordered.map((t) => {
    const tax = qmul(t.isCompound ? qadd(net, nonCompound) : net, rateQ(t.rate));
    if (!t.isCompound) nonCompound = qadd(nonCompound, tax);
    return tax;
  });
}

/** Each rate's tax (in application order) in whole cents on a net, a compound rate on the net plus the
 * non-compound taxes before it as charged. */
function refTaxesAsCharged(net: Q, ordered: readonly TaxRateInput[]): bigint[] {
  let charged = q(0n);
  return ordered.map((t) => {
    const tax = qround(qmul(t.isCompound ? qadd(net, charged) : net, rateQ(t.rate)));
    if (!t.isCompound) charged = qadd(charged, q(tax));
    return tax;
  });
}

/**
 * Prices include tax, line rounding: the taxes a gross holds, by the rule of inclusive.ts, found here another way.
 * E(x) = x + Σ refTaxesAsCharged(x) is the gross of a net x. N is the largest whole net with E(N) ≤ G; if E(N) < G,
 * every point in (N, N + 1] where a tax can move up a cent is listed (a non-compound rate where r·x reaches k + ½, a
 * compound rate where r·(x + s) does for each sum s its non-compound rates can take there), and the first where E
 * passes G is x̂. The net is x̂ rounded to the nearer of N and N + 1 (N on a tie); the taxes are those just below
 * x̂, plus the cents that step at x̂ in application order until net + tax = G. A negative gross mirrors a positive.
 */
function refBackOut(gross: bigint, ordered: readonly TaxRateInput[]): { net: bigint; taxes: bigint[] } {
  if (gross < 0n) {
    const r = refBackOut(-gross, ordered);
    return { net: -r.net, taxes: r.taxes.map((t) => -t) };
  }
  const taxesAt = (x: Q) => refTaxesAsCharged(x, ordered);
  const grossAt = (x: Q) => qadd(x, q(taxesAt(x).reduce((s, t) => s + t, 0n)));
  const cmpQ = (a: Q, b: Q) => {
    const d = a.n * b.d - b.n * a.d;
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  };
  let lo = 0n; // E(lo) ≤ G < E(hi)
  let hi = gross + 1n;
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (cmpQ(grossAt(q(mid)), q(gross)) <= 0) lo = mid;
    else hi = mid;
  }
  const N = lo;
  const below = taxesAt(q(N));
  if (cmpQ(grossAt(q(N)), q(gross)) === 0) return { net: N, taxes: below };
  const above = taxesAt(q(N + 1n));
  const candidates: Q[] = [q(N + 1n)];
  ordered.forEach((t, i) => {
    const r = rateQ(t.rate);
    if (r.n === 0n) return;
    const sums = new Set<bigint>();
    if (t.isCompound) {
      const sumBefore = (taxes: bigint[]) => ordered.slice(0, i).reduce((s, x, j) => (x.isCompound ? s : s + taxes[j]!), 0n);
      for (let s = sumBefore(below); s <= sumBefore(above); s++) sums.add(s);
    } else sums.add(0n);
    for (let k = below[i]!; k <= above[i]!; k++) {
      for (const s of sums) candidates.push(qadd(qdiv(q(2n * k + 1n, 2n), r), q(-s)));
    }
  });
  const steps = candidates.filter((x) => cmpQ(x, q(N)) > 0 && cmpQ(x, q(N + 1n)) <= 0).sort(cmpQ);
  let before = below;
  for (const x of steps) {
    const at = taxesAt(x);
    if (cmpQ(grossAt(x), q(gross)) > 0) {
      const net = cmpQ(x, q(2n * N + 1n, 2n)) <= 0 ? N : N + 1n;
      let missing = gross - net - before.reduce((s, t) => s + t, 0n);
      const taxes = before.map((b, j) => {
        const take = at[j]! - b < missing ? at[j]! - b : missing;
        missing -= take;
        return b + take;
      });
      return { net, taxes };
    }
    before = at;
  }
  throw new Error("refBackOut: no step passes the gross");
}

function refExtended(unitPrice: number, quantity: number): bigint {
  return qround(q(BigInt(unitPrice) * BigInt(quantity), 1000n));
}

interface RefLine {
  amount: bigint;
  /** The net, or with inclusive prices the exact net the gross holds. */
  net: Q;
  ids: string[];
  ordered: TaxRateInput[];
  exact: Q[];
}

function refLine(line: LineInput, pricesIncludeTax: boolean): RefLine {
  const ext = refExtended(line.unitPrice, line.quantity);
  const d = BigInt(line.discount ?? 0);
  const amount = ext - (line.quantity < 0 ? -d : d);
  const ordered = refOrder(line.taxes ?? []);
  const net = pricesIncludeTax ? qdiv(q(amount), qadd(q(1n), qsum(refTaxesOnNet(q(1n), ordered)))) : q(amount);
  return { amount, net, ids: ordered.map((t) => t.id), ordered, exact: refTaxesOnNet(net, ordered) };
}

// ---------------------------------------------------------------- arbitraries

const rateArb: fc.Arbitrary<RateInput> = fc.oneof(
  fc.constantFrom<RateInput>(0, 500, 600, 825, 950, 1200, 2500, { millionths: 99_750 }, { millionths: 88_750 }),
  fc.integer({ min: 0, max: 10_000 }),
  fc.integer({ min: 0, max: 1_000_000 }).map((millionths) => ({ millionths })),
);

const taxPoolArb = fc
  .array(fc.record({ rate: rateArb, isCompound: fc.boolean(), sortOrder: fc.integer({ min: 0, max: 3 }) }), {
    minLength: 1,
    maxLength: 4,
  })
  .map((ts) => ts.map((t, i): TaxRateInput => ({ id: `t${i}`, name: `Tax ${i}`, ...t })));

const lineSeedArb = fc.record({
  unitPrice: fc.oneof(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 10_000_000 })),
  quantity: fc.oneof(
    fc.constantFrom(1000, 2000, 3000, 500, 1),
    fc.integer({ min: 1, max: 20_000 }),
    fc.integer({ min: 1, max: 1_000_000 }),
  ),
  isReturn: fc.boolean(),
  discountSeed: fc.oneof(fc.constant(0), fc.nat()),
  taxMask: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  reverseTaxes: fc.boolean(),
});

type LineSeed = typeof lineSeedArb extends fc.Arbitrary<infer T> ? T : never;

function buildLine(seed: LineSeed, pool: TaxRateInput[]): LineInput {
  const quantity = seed.isReturn ? -seed.quantity : seed.quantity;
  const ext = babs(refExtended(seed.unitPrice, quantity));
  const discount = Number(BigInt(seed.discountSeed) % (ext + 1n));
  const taxes = pool.filter((_, i) => seed.taxMask[i]);
  return { unitPrice: seed.unitPrice, quantity, discount, taxes: seed.reverseTaxes ? taxes.reverse() : taxes };
}

const documentArb: fc.Arbitrary<DocumentInput> = fc
  .record({
    pool: taxPoolArb,
    seeds: fc.array(lineSeedArb, { minLength: 0, maxLength: 12 }),
    pricesIncludeTax: fc.boolean(),
    rounding: fc.constantFrom("line" as const, "document" as const),
  })
  .map(({ pool, seeds, pricesIncludeTax, rounding }) => ({
    pricesIncludeTax,
    rounding,
    lines: seeds.map((s) => buildLine(s, pool)),
  }));

// ---------------------------------------------------------------- helpers

const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
const neg = (x: number) => (x === 0 ? 0 : -x);

function negateResult(r: DocumentResult): DocumentResult {
  const line = (l: DocumentResult["lines"][number]) => ({
    ...l,
    extended: neg(l.extended),
    discount: neg(l.discount),
    net: neg(l.net),
    tax: neg(l.tax),
    gross: neg(l.gross),
    taxes: l.taxes.map((t) => ({ ...t, amount: neg(t.amount) })),
  });
  const t = r.totals;
  return {
    ...r,
    lines: r.lines.map(line),
    totals: {
      extended: neg(t.extended),
      discount: neg(t.discount),
      net: neg(t.net),
      tax: neg(t.tax),
      gross: neg(t.gross),
      taxes: t.taxes.map((x) => ({ ...x, taxable: neg(x.taxable), amount: neg(x.amount) })),
    },
  };
}

// ---------------------------------------------------------------- properties

describe("every document", () => {
  it("net + tax = gross per line and per document; lines sum exactly to the totals", () => {
    fc.assert(
      fc.property(documentArb, (input) => {
        const r = computeDocument(input);
        for (const [i, l] of r.lines.entries()) {
          const src = input.lines[i]!;
          expect(l.net + l.tax).toBe(l.gross);
          expect(sum(l.taxes.map((t) => t.amount))).toBe(l.tax);
          expect(l.extended - l.discount).toBe(input.pricesIncludeTax ? l.gross : l.net);
          expect(l.extended).toBe(Number(refExtended(src.unitPrice, src.quantity)));
          expect(l.discount).toBe(src.quantity < 0 ? neg(src.discount ?? 0) : (src.discount ?? 0));
          for (const t of l.taxes) expect(Math.sign(t.amount) * Math.sign(src.quantity)).toBeGreaterThanOrEqual(0);
        }
        const t = r.totals;
        expect(t.net + t.tax).toBe(t.gross);
        expect(t.extended).toBe(sum(r.lines.map((l) => l.extended)));
        expect(t.discount).toBe(sum(r.lines.map((l) => l.discount)));
        expect(t.net).toBe(sum(r.lines.map((l) => l.net)));
        expect(t.tax).toBe(sum(r.lines.map((l) => l.tax)));
        expect(t.gross).toBe(sum(r.lines.map((l) => l.gross)));
        expect(sum(t.taxes.map((x) => x.amount))).toBe(t.tax);
        for (const rate of t.taxes) {
          const carrying = r.lines.filter((l) => l.taxes.some((x) => x.id === rate.id));
          expect(rate.amount).toBe(sum(carrying.map((l) => l.taxes.find((x) => x.id === rate.id)!.amount)));
          expect(rate.taxable).toBe(sum(carrying.map((l) => l.net)));
        }
      }),
    );
  });

  it("line rounding: each amount is its rate on its base rounded half away from zero", () => {
    fc.assert(
      fc.property(
        documentArb.map((d) => ({ ...d, rounding: "line" as const })),
        (input) => {
          const r = computeDocument(input);
          r.lines.forEach((l, i) => {
            const ref = refLine(input.lines[i]!, input.pricesIncludeTax);
            expect(l.taxes.map((t) => t.id)).toEqual(ref.ids);
            if (!input.pricesIncludeTax) {
              expect(l.taxes.map((t) => BigInt(t.amount))).toEqual(refTaxesAsCharged(ref.net, ref.ordered));
            } else {
              const backedOut = refBackOut(ref.amount, ref.ordered);
              expect(l.taxes.map((t) => BigInt(t.amount))).toEqual(backedOut.taxes);
              expect(BigInt(l.net)).toBe(backedOut.net);
              expect(Math.sign(l.net) * Math.sign(l.gross)).toBeGreaterThanOrEqual(0);
            }
          });
        },
      ),
    );
  });

  it("document rounding: each rate's total rounded once on its document base, each line within a cent of its share", () => {
    // A non-compound rate's share on a line is rate × net; a compound rate's is rate × (net + the amounts the
    // non-compound rates before it were allocated on that line). With inclusive prices the net is the exact net.
    fc.assert(
      fc.property(
        documentArb.map((d) => ({ ...d, rounding: "document" as const })),
        (input) => {
          const r = computeDocument(input);
          const shareByRate = new Map<string, Q>();
          r.lines.forEach((l, i) => {
            const ref = refLine(input.lines[i]!, input.pricesIncludeTax);
            expect(l.taxes.map((t) => t.id)).toEqual(ref.ids);
            let allocated = q(0n);
            ref.ordered.forEach((t, j) => {
              const share = qmul(rateQ(t.rate), t.isCompound ? qadd(ref.net, allocated) : ref.net);
              if (!t.isCompound) allocated = qadd(allocated, q(BigInt(l.taxes[j]!.amount)));
              shareByRate.set(t.id, qadd(shareByRate.get(t.id) ?? q(0n), share));
              expect(within1(l.taxes[j]!.amount, share)).toBe(true);
            });
          });
          expect(r.totals.taxes.map((t) => t.id).sort()).toEqual([...shareByRate.keys()].sort());
          for (const t of r.totals.taxes) expect(BigInt(t.amount)).toBe(qround(shareByRate.get(t.id)!));
        },
      ),
    );
  });

  it("document rounding without compound rates: each rate's total is its exact total rounded once", () => {
    fc.assert(
      fc.property(
        documentArb.map((d) => ({
          ...d,
          rounding: "document" as const,
          lines: d.lines.map((l) => ({ ...l, taxes: (l.taxes ?? []).map((t) => ({ ...t, isCompound: false })) })),
        })),
        (input) => {
          const r = computeDocument(input);
          const exactByRate = new Map<string, Q>();
          input.lines.forEach((line, i) => {
            const ref = refLine(line, input.pricesIncludeTax);
            ref.ids.forEach((id, j) => exactByRate.set(id, qadd(exactByRate.get(id) ?? q(0n), ref.exact[j]!)));
            expect(r.lines[i]!.taxes.map((t) => t.id)).toEqual(ref.ids);
          });
          for (const t of r.totals.taxes) expect(BigInt(t.amount)).toBe(qround(exactByRate.get(t.id)!));
        },
      ),
    );
  });

  it("a return is the exact mirror of its sale (both pricing modes, both rounding modes)", () => {
    fc.assert(
      fc.property(documentArb, (input) => {
        const mirrored = { ...input, lines: input.lines.map((l) => ({ ...l, quantity: -l.quantity })) };
        expect(computeDocument(mirrored)).toEqual(negateResult(computeDocument(input)));
      }),
    );
  });

  it("a rate in basis points and the same rate in millionths give the same result", () => {
    fc.assert(
      fc.property(documentArb, (input) => {
        const fine = {
          ...input,
          lines: input.lines.map((l) => ({
            ...l,
            taxes: (l.taxes ?? []).map((t) => ({ ...t, rate: typeof t.rate === "number" ? { millionths: t.rate * 100 } : t.rate })),
          })),
        };
        expect(computeDocument(fine)).toEqual(computeDocument(input));
      }),
    );
  });
});

describe("compound taxes", () => {
  const gst: TaxRateInput = { id: "gst", name: "GST", rate: 500, sortOrder: 0 };
  const qstCompound: TaxRateInput = { id: "qst", name: "QST", rate: 950, isCompound: true, sortOrder: 1 };
  const qstFlat: TaxRateInput = { id: "qst", name: "QST", rate: { millionths: 99_750 }, sortOrder: 1 };

  it("exclusive: QST 9.5 % compounded on GST 5 % is QST 9.975 % on the price wherever the GST is whole cents", () => {
    // A net that is a multiple of 20 cents has a GST of exactly net / 20: the GST as charged is the exact GST.
    const lineArb = fc.record({ twenties: fc.integer({ min: 0, max: 500_000 }), units: fc.integer({ min: 1, max: 20 }), isReturn: fc.boolean() });
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 8 }), fc.constantFrom("line" as const, "document" as const), (seeds, rounding) => {
        const lines = seeds.map((s) => ({ unitPrice: 20 * s.twenties, quantity: (s.isReturn ? -1000 : 1000) * s.units, taxes: [gst, qstFlat] }));
        const flat = computeDocument({ pricesIncludeTax: false, rounding, lines });
        const compound = computeDocument({ pricesIncludeTax: false, rounding, lines: lines.map((l) => ({ ...l, taxes: [gst, qstCompound] })) });
        const strip = (r: DocumentResult) => [
          r.lines.map((l) => [l.net, l.tax, l.gross, ...l.taxes.map((t) => t.amount)]),
          r.totals.taxes.map((t) => [t.id, t.amount]),
        ];
        expect(strip(compound)).toEqual(strip(flat));
      }),
    );
  });

  it("exclusive: on a GST that rounds, QST 9.5 % compound charges 9.5 % of the price plus that GST", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 20 }), (price, units) => {
        const line = computeDocument({ pricesIncludeTax: false, lines: [{ unitPrice: price, quantity: units * 1000, taxes: [gst, qstCompound] }] })
          .lines[0]!;
        const net = BigInt(price) * BigInt(units);
        const charged = qround(q(net * 5n, 100n));
        expect(line.taxes.map((t) => BigInt(t.amount))).toEqual([charged, qround(q((net + charged) * 95n, 1000n))]);
      }),
    );
  });
});

describe("compound taxes, document rounding", () => {
  const gst: TaxRateInput = { id: "gst", name: "GST", rate: 500, sortOrder: 0 };
  const qst: TaxRateInput = { id: "qst", name: "QST", rate: { millionths: 99_750 }, isCompound: true, sortOrder: 1 };

  it("exclusive: QST's total is 9.975 % of the document's net plus its rounded GST total", () => {
    fc.assert(
      fc.property(fc.array(lineSeedArb, { minLength: 1, maxLength: 12 }), (seeds) => {
        const lines = seeds.map((s) => buildLine({ ...s, taxMask: [true, true, false, false] }, [gst, qst]));
        const r = computeDocument({ pricesIncludeTax: false, rounding: "document", lines });
        const net = BigInt(r.totals.net);
        const gstTotal = qround(q(net * 5n, 100n));
        expect(r.totals.taxes.map((t) => [t.id, BigInt(t.amount)])).toEqual([
          ["gst", gstTotal],
          ["qst", qround(q((net + gstTotal) * 99_750n, 1_000_000n))],
        ]);
      }),
    );
  });
});

describe("prices include tax, line rounding", () => {
  const line = (gross: number, taxes: readonly TaxRateInput[], pricesIncludeTax = true) =>
    computeDocument({ pricesIncludeTax, lines: [{ unitPrice: gross, quantity: 1000, taxes }] }).lines[0]!;
  const groupArb = taxPoolArb.map((pool) => refOrder(pool).map((t) => ({ ...t, sortOrder: undefined })));
  const amountArb = fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 100_000_000 }));

  it("an exclusive receipt's gross, priced inclusive, gives back that receipt exactly (any group)", () => {
    fc.assert(
      fc.property(amountArb, groupArb, (net, taxes) => {
        const ex = line(net, taxes, false);
        const inc = line(ex.gross, taxes);
        expect([inc.net, inc.tax, inc.gross, ...inc.taxes.map((t) => t.amount)]).toEqual([
          ex.net,
          ex.tax,
          ex.gross,
          ...ex.taxes.map((t) => t.amount),
        ]);
      }),
    );
  });

  it("one rate: the classic backed-out figure, tax = round(gross × r / (1 + r))", () => {
    fc.assert(
      fc.property(amountArb, rateArb, fc.boolean(), (gross, rate, isCompound) => {
        const r = rateQ(rate);
        const l = line(gross, [{ id: "vat", name: "VAT", rate, isCompound }]);
        expect(BigInt(l.tax)).toBe(qround(q(BigInt(gross) * r.n, r.d + r.n)));
        expect(l.net + l.tax).toBe(gross);
      }),
    );
  });

  it("GST 5 % + QST 9.975 % compound: net and taxes by the stated rule, the net within a cent of the exact net", () => {
    const taxes: TaxRateInput[] = [
      { id: "gst", name: "GST", rate: 500 },
      { id: "qst", name: "QST", rate: { millionths: 99_750 }, isCompound: true },
    ];
    fc.assert(
      fc.property(amountArb, (gross) => {
        const l = line(gross, taxes);
        const expected = refBackOut(BigInt(gross), taxes);
        expect([BigInt(l.net), ...l.taxes.map((t) => BigInt(t.amount))]).toEqual([expected.net, ...expected.taxes]);
        expect(l.net + l.tax).toBe(gross);
        // the exact net: gross / (1 + 5 % + 9.975 % × 1.05)
        expect(within1(l.net, q(BigInt(gross) * 1_000_000_000n, 1_154_737_500n))).toBe(true);
      }),
    );
  });

  it("a dearer price never holds a smaller net or a smaller tax of any rate", () => {
    fc.assert(
      fc.property(amountArb, groupArb, (gross, taxes) => {
        const a = line(gross, taxes);
        const b = line(gross + 1, taxes);
        expect(b.net).toBeGreaterThanOrEqual(a.net);
        b.taxes.forEach((t, j) => expect(t.amount).toBeGreaterThanOrEqual(a.taxes[j]!.amount));
        expect(a.net).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe("line amounts", () => {
  it("are exact for any safe input, or throw rather than lose a cent", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }).filter((x) => x !== 0),
        (unitPrice, quantity) => {
          const expected = refExtended(unitPrice, quantity);
          if (babs(expected) > BigInt(Number.MAX_SAFE_INTEGER)) {
            expect(() => lineAmount(unitPrice, quantity)).toThrow(MoneyError);
          } else {
            expect(lineAmount(unitPrice, quantity).extended).toBe(Number(expected));
          }
        },
      ),
    );
  });
});

describe("largest remainder allocation", () => {
  it("sums to the rounded total, stays within a cent of each amount, and mirrors under negation", () => {
    const fractionArb = fc
      .tuple(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.bigInt({ min: 1n, max: 10n ** 6n }))
      .map(([n, d]) => q(n, d));
    fc.assert(
      fc.property(fc.array(fractionArb, { maxLength: 20 }), (exact) => {
        const total = qround(qsum(exact));
        const cents = allocateLargestRemainder(exact, total);
        expect(cents.reduce((s, x) => s + x, 0n)).toBe(total);
        cents.forEach((c, i) => expect(babs(c * exact[i]!.d - exact[i]!.n) < exact[i]!.d).toBe(true));
        const mirrored = allocateLargestRemainder(
          exact.map((x) => ({ n: -x.n, d: x.d })),
          -total,
        );
        expect(mirrored).toEqual(cents.map((c) => -c));
      }),
    );
  });
});

describe("cash rounding", () => {
  it("rounds to the nearest multiple of the unit, half away from zero, with an explicit bounded adjustment", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -10_000_000, max: 10_000_000 }), fc.integer({ min: -(2 ** 50), max: 2 ** 50 })),
        fc.oneof(fc.constantFrom(1, 5, 10, 50, 100), fc.integer({ min: 1, max: 10_000 })),
        (amount, unit) => {
          const r = cashRounding(amount, unit);
          expect(r.amount).toBe(amount);
          expect(r.unit).toBe(unit);
          expect(r.rounded % unit === 0).toBe(true);
          expect(r.rounded).toBe(amount + r.adjustment);
          expect(2 * Math.abs(r.adjustment)).toBeLessThanOrEqual(unit);
          // a tie (exactly half a unit) goes away from zero
          if (2 * Math.abs(r.adjustment) === unit && amount !== 0) {
            expect(Math.abs(r.rounded)).toBeGreaterThan(Math.abs(amount));
          }
          expect(cashRounding(-amount, unit).adjustment).toBe(neg(r.adjustment));
          expect(cashRounding(r.rounded, unit).adjustment).toBe(0);
        },
      ),
    );
  });
});
