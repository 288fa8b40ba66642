/**
 * A sale (or any priced document): lines with their taxes, rounded to whole minor units, with totals.
 *
 * Rounding modes (the tenant's `taxRounding`):
 * - `line` (default): each line is rounded on its own.
 *     Prices exclude tax: each rate's tax on the line is its rate × its base, rounded half away from zero; the
 *     base is the net, for a compound rate plus the line's rounded non-compound taxes before it (tax.ts). The
 *     line's gross is net + taxes.
 *     Prices include tax: the taxes are backed out of the gross so that the line is the receipt the exclusive
 *     rule prints for the net nearest to where that receipt's gross reaches the price (inclusive.ts); the net
 *     is gross − tax. Any exclusive receipt priced at its gross backs out to itself, and with one rate per line,
 *     the usual case, the tax is the classic round(gross × r / (1 + r)).
 * - `document`: each rate is rounded once over the whole document: its total is the sum of its exact shares on
 *     the lines carrying it, rounded half away from zero, spread back over those lines by largest remainder of
 *     the shares (allocate.ts). The non-compound rates go first; a rate's share on a line is
 *       non-compound  rate × the line's net
 *       compound      rate × (the line's net + the whole cents the non-compound rates before it were allocated
 *                     on that line)
 *     so a compound total is round(rate × Σ those bases); with one tax group on every line that is rate ×
 *     (the net total + the rounded non-compound totals before it), as the receipt shows them. Prices exclude tax: gross = net + taxes. Prices include tax: the net in the
 *     shares is the exact net the line's gross holds (gross / (1 + the group's exact combined rate), tax.ts),
 *     and the line's net is then gross − its allocated taxes.
 *
 * Either way, for every line net + tax = gross and the line's rate amounts sum to its tax; the document's totals
 * and per-rate totals are the exact sums of its lines. No cent appears or disappears.
 */
import { MoneyError } from "./errors";
import { toSafeNumber } from "./integers";
import { lineAmount } from "./line";
import { allocateLargestRemainder } from "./allocate";
import { add, fraction, mul, roundHalfAwayFromZero, ZERO } from "./rounding";
import { taxesInGross } from "./inclusive";
import { exactNet, normalizeTaxGroup, rateOf, taxBase, taxesOnNet, type TaxRate, type TaxRateInput } from "./tax";

export type TaxRoundingMode = "line" | "document";

export interface LineInput {
  /** Minor units per unit, never negative: net if prices exclude tax, gross if they include it. */
  readonly unitPrice: number;
  /** Thousandths of a unit (2000 = 2 units); not 0; negative for a return line. */
  readonly quantity: number;
  /** Minor units, a magnitude (see line.ts); at most the extended amount. */
  readonly discount?: number;
  readonly taxes?: readonly TaxRateInput[];
}

export interface DocumentInput {
  /** The store's setting: prices contain their tax (EU VAT) or have it added on top (US sales tax). */
  readonly pricesIncludeTax: boolean;
  readonly rounding?: TaxRoundingMode;
  readonly lines: readonly LineInput[];
}

export interface LineTax extends TaxRate {
  /** The rate's tax on this line, in minor units. */
  readonly amount: number;
}

export interface LineResult {
  /** unitPrice × quantity / 1000, rounded half away from zero. */
  readonly extended: number;
  /** Signed like the line (negative on a return); extended − discount is the priced amount. */
  readonly discount: number;
  readonly net: number;
  readonly tax: number;
  readonly gross: number;
  /** In application order (sortOrder). */
  readonly taxes: readonly LineTax[];
}

export interface RateTotal {
  readonly id: string;
  readonly name: string;
  readonly rateMillionths: number;
  readonly isCompound: boolean;
  /** Σ net of the lines carrying this rate (for a compound rate too: the net, not its compound base). */
  readonly taxable: number;
  readonly amount: number;
}

export interface DocumentTotals {
  readonly extended: number;
  readonly discount: number;
  readonly net: number;
  readonly tax: number;
  readonly gross: number;
  /** Per rate, in order of first appearance in the document. */
  readonly taxes: readonly RateTotal[];
}

export interface DocumentResult {
  readonly pricesIncludeTax: boolean;
  readonly rounding: TaxRoundingMode;
  readonly lines: readonly LineResult[];
  readonly totals: DocumentTotals;
}

interface PreparedLine {
  readonly field: string;
  readonly extended: number;
  readonly discount: number;
  readonly amount: bigint;
  readonly group: readonly TaxRate[];
}

export function computeDocument(input: DocumentInput): DocumentResult {
  if (typeof input !== "object" || input === null) throw new MoneyError("invalid_type", "document", "must be an object");
  const { pricesIncludeTax } = input;
  if (typeof pricesIncludeTax !== "boolean") throw new MoneyError("invalid_type", "pricesIncludeTax", "must be a boolean");
  const rounding = input.rounding ?? "line";
  if (rounding !== "line" && rounding !== "document") {
    throw new MoneyError("invalid_type", "rounding", 'must be "line" or "document"');
  }
  if (!Array.isArray(input.lines)) throw new MoneyError("invalid_type", "lines", "must be an array");

  // Validate and price every line; keep each tax id's definition consistent across the document.
  const rates = new Map<string, TaxRate>();
  const lines: PreparedLine[] = input.lines.map((raw: unknown, i): PreparedLine => {
    const field = `lines[${i}]`;
    if (typeof raw !== "object" || raw === null) throw new MoneyError("invalid_type", field, "must be an object");
    const line = raw as Partial<Record<keyof LineInput, unknown>>;
    const priced = lineAmount(line.unitPrice as number, line.quantity as number, (line.discount ?? 0) as number, field);
    const group = normalizeTaxGroup(line.taxes, `${field}.taxes`);
    for (const t of group) {
      const known = rates.get(t.id);
      if (!known) rates.set(t.id, t);
      else if (known.rateMillionths !== t.rateMillionths || known.isCompound !== t.isCompound) {
        const j = (line.taxes as TaxRateInput[]).findIndex((x) => x.id === t.id);
        throw new MoneyError("inconsistent_tax", `${field}.taxes[${j}].rate`, `tax ${t.id} has another rate or compound flag on an earlier line`);
      }
    }
    const amount = BigInt(priced.amount);
    return { field, extended: priced.extended, discount: priced.discount, amount, group };
  });

  // Whole-cent tax per line and rate, in group order.
  const amounts: bigint[][] =
    rounding === "line" ? lines.map((l) => roundLine(l, pricesIncludeTax)) : roundDocument(lines, pricesIncludeTax);

  const results: LineResult[] = lines.map((l, i) => {
    const taxAmounts = amounts[i]!;
    const tax = taxAmounts.reduce((s, x) => s + x, 0n);
    const net = pricesIncludeTax ? l.amount - tax : l.amount;
    const gross = pricesIncludeTax ? l.amount : l.amount + tax;
    return {
      extended: l.extended,
      discount: l.discount,
      net: toSafeNumber(net, l.field),
      tax: toSafeNumber(tax, l.field),
      gross: toSafeNumber(gross, l.field),
      taxes: l.group.map((t, j) => ({ ...t, amount: toSafeNumber(taxAmounts[j]!, `${l.field}.taxes`) })),
    };
  });

  return { pricesIncludeTax, rounding, lines: results, totals: totalsOf(results) };
}

/** One line on its own (line rounding). */
export function computeLine(line: LineInput, pricesIncludeTax: boolean): LineResult {
  return computeDocument({ pricesIncludeTax, rounding: "line", lines: [line] }).lines[0]!;
}

function roundLine(line: PreparedLine, pricesIncludeTax: boolean): bigint[] {
  return pricesIncludeTax ? taxesInGross(line.amount, line.group) : taxesOnNet(fraction(line.amount), line.group);
}

function roundDocument(lines: readonly PreparedLine[], pricesIncludeTax: boolean): bigint[][] {
  // What each line's taxes are charged on: its net, or with inclusive prices the exact net its gross holds.
  const nets = lines.map((l) => (pricesIncludeTax ? exactNet(l.amount, l.group) : fraction(l.amount)));
  const amounts = lines.map((l) => l.group.map(() => 0n));
  // Where each rate occurs: (line, position in its group).
  const occurrences = new Map<string, { line: number; pos: number }[]>();
  lines.forEach((l, line) =>
    l.group.forEach((t, pos) => {
      const list = occurrences.get(t.id) ?? [];
      list.push({ line, pos });
      occurrences.set(t.id, list);
    }),
  );
  // Non-compound rates first: a compound rate's base on a line takes the amounts they were allocated there.
  const rates = [...occurrences.values()];
  const isCompound = (list: (typeof rates)[number]) => lines[list[0]!.line]!.group[list[0]!.pos]!.isCompound;
  for (const list of [...rates.filter((r) => !isCompound(r)), ...rates.filter(isCompound)]) {
    const shares = list.map(({ line, pos }) => {
      const group = lines[line]!.group;
      return mul(rateOf(group[pos]!), taxBase(nets[line]!, group, amounts[line]!, pos));
    });
    const total = roundHalfAwayFromZero(shares.reduce(add, ZERO));
    allocateLargestRemainder(shares, total).forEach((cents, k) => {
      const { line, pos } = list[k]!;
      amounts[line]![pos] = cents;
    });
  }
  return amounts;
}

function totalsOf(lines: readonly LineResult[]): DocumentTotals {
  const sum = (pick: (l: LineResult) => number) => toSafeNumber(lines.reduce((s, l) => s + BigInt(pick(l)), 0n), "lines");
  const perRate = new Map<string, { rate: TaxRate; taxable: bigint; amount: bigint }>();
  for (const l of lines) {
    for (const t of l.taxes) {
      const acc = perRate.get(t.id) ?? { rate: t, taxable: 0n, amount: 0n };
      acc.taxable += BigInt(l.net);
      acc.amount += BigInt(t.amount);
      perRate.set(t.id, acc);
    }
  }
  return {
    extended: sum((l) => l.extended),
    discount: sum((l) => l.discount),
    net: sum((l) => l.net),
    tax: sum((l) => l.tax),
    gross: sum((l) => l.gross),
    taxes: [...perRate.values()].map(({ rate, taxable, amount }) => ({
      id: rate.id,
      name: rate.name,
      rateMillionths: rate.rateMillionths,
      isCompound: rate.isCompound,
      taxable: toSafeNumber(taxable, "lines"),
      amount: toSafeNumber(amount, "lines"),
    })),
  };
}
