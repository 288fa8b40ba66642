/**
 * Worked examples of the money and tax engine, checked to the cent against arithmetic done by hand
 * (and, for the longer baskets, with exact fractions: each expected figure carries its exact value in a comment).
 */
import { describe, expect, it } from "vitest";
import {
  allocateLargestRemainder,
  basisPoints,
  cashRounding,
  computeDocument,
  computeLine,
  formatPercent,
  lineAmount,
  MoneyError,
  millionths,
  percent,
  toBasisPoints,
  type TaxRateInput,
} from "../../schema/money/index";

const amounts = (taxes: readonly { amount: number }[]) => taxes.map((t) => t.amount);

function expectMoneyError(fn: () => unknown, code: string, field: string) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MoneyError);
    expect(e).toMatchObject({ code, field, name: "MoneyError" });
    return;
  }
  throw new Error(`expected MoneyError ${code} on ${field}`);
}

describe("the spec's Create Sale example", () => {
  it("2 × 9.99 at 825 bp: subtotal 1998, tax 165, grand total 2163", () => {
    const doc = computeDocument({
      pricesIncludeTax: false,
      lines: [
        {
          unitPrice: 999,
          quantity: 2000,
          discount: 0,
          taxes: [{ id: "state", name: "State Tax", rate: 825, isCompound: false, sortOrder: 0 }],
        },
      ],
    });
    const line = doc.lines[0]!;
    expect(line).toMatchObject({ extended: 1998, discount: 0, net: 1998, tax: 165, gross: 2163 }); // 164.835 → 165
    expect(line.taxes).toEqual([
      { id: "state", name: "State Tax", rateMillionths: 82_500, isCompound: false, sortOrder: 0, amount: 165 },
    ]);
    expect(doc.totals).toMatchObject({ net: 1998, tax: 165, gross: 2163, discount: 0 });
    expect(doc.totals.taxes).toEqual([
      { id: "state", name: "State Tax", rateMillionths: 82_500, isCompound: false, taxable: 1998, amount: 165 },
    ]);
    expect(doc.rounding).toBe("line");
  });

  it("the same sale returned is its exact mirror", () => {
    const line = computeLine(
      { unitPrice: 999, quantity: -2000, taxes: [{ id: "state", name: "State Tax", rate: 825 }] },
      false,
    );
    expect(line).toMatchObject({ extended: -1998, net: -1998, tax: -165, gross: -2163 });
  });
});

describe("US sales tax: New York City, 8.875 % (not a whole basis point)", () => {
  const nyc: TaxRateInput[] = [{ id: "nyc", name: "NYC Sales Tax", rate: { millionths: 88_750 } }];
  const basket = [
    { unitPrice: 499, quantity: 3000 }, //   14.97, tax 132.85875
    { unitPrice: 1250, quantity: 1000 }, //  12.50, tax 110.9375
    { unitPrice: 399, quantity: 2500 }, //    2.5 lb × 3.99 = 9.975 → 9.98, tax 88.5725
    { unitPrice: 99, quantity: 1000 }, //     0.99, tax 8.78625
    { unitPrice: 2499, quantity: 1000, discount: 500 }, // 24.99 − 5.00 = 19.99, tax 177.41125
    { unitPrice: 649, quantity: 1000 }, //    6.49, tax 57.59875
    { unitPrice: 1099, quantity: 2000 }, //  21.98, tax 195.0725
  ].map((l) => ({ ...l, taxes: nyc }));

  it("per line: each line's tax rounded half away from zero", () => {
    const doc = computeDocument({ pricesIncludeTax: false, rounding: "line", lines: basket });
    expect(doc.lines.map((l) => l.net)).toEqual([1497, 1250, 998, 99, 1999, 649, 2198]);
    expect(doc.lines.map((l) => l.tax)).toEqual([133, 111, 89, 9, 177, 58, 195]);
    expect(doc.lines[2]!.extended).toBe(998);
    expect(doc.lines[4]).toMatchObject({ extended: 2499, discount: 500, net: 1999 });
    expect(doc.totals).toMatchObject({ extended: 9190, discount: 500, net: 8690, tax: 772, gross: 9462 });
  });

  it("per document: 8690 × 8.875 % = 771.2375 → 771, spread by largest remainder", () => {
    const doc = computeDocument({ pricesIncludeTax: false, rounding: "document", lines: basket });
    // truncated 132+110+88+8+177+57+195 = 767; the 4 cents go to remainders .9375, .85875, .78625, .59875
    expect(doc.lines.map((l) => l.tax)).toEqual([133, 111, 88, 9, 177, 58, 195]);
    expect(doc.totals).toMatchObject({ net: 8690, tax: 771, gross: 9461 });
    expect(doc.totals.taxes[0]).toMatchObject({ id: "nyc", taxable: 8690, amount: 771 });
  });
});

describe("Swedish moms 25 / 12 / 6 %, prices include tax", () => {
  const moms = (rate: number): TaxRateInput[] => [{ id: `moms${rate}`, name: `Moms ${rate}%`, rate: rate * 100 }];
  const receipt = [
    { unitPrice: 12500, quantity: 1000, taxes: moms(25) }, // Paraply 125.00: 25.00 moms exactly
    { unitPrice: 4500, quantity: 1000, taxes: moms(12) }, //  Smörgås 45.00: 482.142… öre
    { unitPrice: 3200, quantity: 2000, taxes: moms(12) }, //  Kaffe bryggt 2 × 32.00: 685.714…
    { unitPrice: 2490, quantity: 1000, taxes: moms(12) }, //  Äppeljuice 24.90: 266.785…
    { unitPrice: 5900, quantity: 1000, taxes: moms(6) }, //   Tidning 59.00: 333.962…
    { unitPrice: 9900, quantity: 347, taxes: moms(12) }, //   Lösgodis 0.347 kg × 99.00 = 34.353 → 34.35: 368.035…
  ];

  it("125.00 SEK at 25 % contains 25.00", () => {
    expect(computeLine({ unitPrice: 12500, quantity: 1000, taxes: moms(25) }, true)).toMatchObject({
      net: 10000,
      tax: 2500,
      gross: 12500,
    });
  });

  it("per line", () => {
    const doc = computeDocument({ pricesIncludeTax: true, lines: receipt });
    expect(doc.lines.map((l) => l.gross)).toEqual([12500, 4500, 6400, 2490, 5900, 3435]);
    expect(doc.lines.map((l) => l.tax)).toEqual([2500, 482, 686, 267, 334, 368]);
    expect(doc.lines.map((l) => l.net)).toEqual([10000, 4018, 5714, 2223, 5566, 3067]);
    expect(doc.totals).toMatchObject({ net: 30588, tax: 4637, gross: 35225 });
    expect(doc.totals.taxes.map((t) => [t.id, t.taxable, t.amount])).toEqual([
      ["moms25", 10000, 2500],
      ["moms12", 15022, 1803],
      ["moms6", 5566, 334],
    ]);
    expect(doc.totals.taxes.map((t) => formatPercent(t.rateMillionths))).toEqual(["25", "12", "6"]);
  });

  it("per document: 12 % of 168.25 inclusive is 18.02678… → 18.03, the same here", () => {
    const doc = computeDocument({ pricesIncludeTax: true, rounding: "document", lines: receipt });
    expect(doc.totals.taxes.map((t) => t.amount)).toEqual([2500, 1803, 334]);
    expect(doc.totals).toMatchObject({ net: 30588, tax: 4637, gross: 35225 });
  });

  it("cash: 352.25 SEK is paid as 352 kronor, adjustment −0.25 kept apart from the lines", () => {
    expect(cashRounding(35225, 100)).toEqual({ amount: 35225, rounded: 35200, adjustment: -25, unit: 100 });
    expect(cashRounding(31790, 100)).toMatchObject({ rounded: 31800, adjustment: 10 });
    expect(cashRounding(31749, 100)).toMatchObject({ rounded: 31700, adjustment: -49 });
    expect(cashRounding(31750, 100)).toMatchObject({ rounded: 31800, adjustment: 50 }); // 50 öre rounds up
    expect(cashRounding(-31750, 100)).toMatchObject({ rounded: -31800, adjustment: -50 }); // a refund mirrors it
    expect(cashRounding(35200, 100)).toMatchObject({ rounded: 35200, adjustment: 0 });
  });
});

describe("Canada: GST 5 % and Québec QST 9.975 %", () => {
  const gst: TaxRateInput = { id: "gst", name: "GST", rate: 500, sortOrder: 0 };
  const qst: TaxRateInput = { id: "qst", name: "QST", rate: { millionths: 99_750 }, sortOrder: 1 };

  it("since 2013 QST is not compound: 100.00 → GST 5.00 + QST 9.975 → 9.98 = 114.98", () => {
    const line = computeLine({ unitPrice: 10000, quantity: 1000, taxes: [gst, qst] }, false);
    expect(amounts(line.taxes)).toEqual([500, 998]);
    expect(line).toMatchObject({ net: 10000, tax: 1498, gross: 11498 });
  });

  it("19.99 → GST 0.9995 → 1.00, QST 1.9940025 → 1.99 = 22.98", () => {
    const line = computeLine({ unitPrice: 1999, quantity: 1000, taxes: [qst, gst] }, false);
    expect(line.taxes.map((t) => [t.id, t.amount])).toEqual([
      ["gst", 100],
      ["qst", 199],
    ]); // sortOrder, not input order
    expect(line.gross).toBe(2298);
  });

  it("a basket in document mode: GST and QST each rounded once", () => {
    const lines = [1999, 450, 1275].map((unitPrice) => ({ unitPrice, quantity: 1000, taxes: [gst, qst] }));
    const doc = computeDocument({ pricesIncludeTax: false, rounding: "document", lines });
    // net 37.24: GST 186.2 cents → 1.86; QST 371.469 cents → 3.71
    expect(doc.totals.taxes.map((t) => [t.id, t.taxable, t.amount])).toEqual([
      ["gst", 3724, 186],
      ["qst", 3724, 371],
    ]);
    expect(doc.totals).toMatchObject({ net: 3724, tax: 557, gross: 4281 });
  });

  it("before 2013 QST 9.5 % was compound on price + GST: 100.00 → 5.00 + 9.5 % × 105.00 = 9.975 → 9.98", () => {
    const qst2012: TaxRateInput = { id: "qst", name: "QST", rate: 950, isCompound: true, sortOrder: 1 };
    const line = computeLine({ unitPrice: 10000, quantity: 1000, taxes: [gst, qst2012] }, false);
    expect(amounts(line.taxes)).toEqual([500, 998]);
    expect(line.gross).toBe(11498);
    // 9.5 % × 1.05 = 9.975 %: why 2013's harmonised rate is what it is. On the GST as charged the two agree
    // wherever the GST is whole cents (the property test checks every such price).
  });

  it("compound, prices include tax: 114.98 backs out to 100.00 + 5.00 + 9.98", () => {
    const qst2012: TaxRateInput = { id: "qst", name: "QST", rate: 950, isCompound: true, sortOrder: 1 };
    const line = computeLine({ unitPrice: 11498, quantity: 1000, taxes: [gst, qst2012] }, true);
    // 100.00 priced exclusive is exactly 114.98 (above), so that is the receipt
    expect(amounts(line.taxes)).toEqual([500, 998]);
    expect(line).toMatchObject({ net: 10000, tax: 1498, gross: 11498 });
  });

  it("a second compound rate is computed on price + the non-compound rates, not on the other compound", () => {
    const line = computeLine(
      {
        unitPrice: 10000,
        quantity: 1000,
        taxes: [
          { id: "a", name: "A", rate: 1000, sortOrder: 0 },
          { id: "b", name: "B", rate: 1000, isCompound: true, sortOrder: 1 },
          { id: "c", name: "C", rate: 1000, isCompound: true, sortOrder: 2 },
        ],
      },
      false,
    );
    expect(amounts(line.taxes)).toEqual([1000, 1100, 1100]);
  });
});

describe("a compound rate is charged on the taxes before it as they appear on the receipt", () => {
  const gst: TaxRateInput = { id: "gst", name: "GST", rate: 500, sortOrder: 0 };
  const qst: TaxRateInput = { id: "qst", name: "QST", rate: { millionths: 99_750 }, isCompound: true, sortOrder: 1 };
  /** n / d rounded half away from zero for n ≥ 0, d > 0: done here, not by the engine. */
  const roundHalf = (n: bigint, d: bigint) => (2n * n + d) / (2n * d);

  it("the issue: exclusive, QST = round(9.975 % × (price + round(5 % × price))) for every price 1..400", () => {
    const prices = Array.from({ length: 400 }, (_, i) => i + 1);
    const doc = computeDocument({
      pricesIncludeTax: false,
      rounding: "line",
      lines: prices.map((unitPrice) => ({ unitPrice, quantity: 1000, taxes: [gst, qst] })),
    });
    let differsOnExactGst = 0;
    prices.forEach((price, i) => {
      const p = BigInt(price);
      const charged = roundHalf(p * 5n, 100n);
      const expected = roundHalf((p + charged) * 99_750n, 1_000_000n);
      const onExactGst = roundHalf(p * 105n * 99_750n, 100n * 1_000_000n); // the old rule: 9.975 % × 1.05 × price
      if (onExactGst !== expected) differsOnExactGst++;
      expect(amounts(doc.lines[i]!.taxes), `price ${price}`).toEqual([Number(charged), Number(expected)]);
    });
    expect(differsOnExactGst).toBe(12); // the prices the issue found: the test exercises the difference
  });

  it("0.05: GST 0.25 → 0, so QST is 9.975 % × 5 = 0.49875 → 0 (on the exact 5.25 it was 0.5236875 → 1)", () => {
    const line = computeLine({ unitPrice: 5, quantity: 1000, taxes: [gst, qst] }, false);
    expect(amounts(line.taxes)).toEqual([0, 0]);
    expect(line).toMatchObject({ net: 5, tax: 0, gross: 5 });
    expect(computeLine({ unitPrice: 5, quantity: -1000, taxes: [gst, qst] }, false)).toMatchObject({ net: -5, tax: 0, gross: -5 });
  });

  it("document rounding: GST rounded once, QST on the nets plus the GST allocated to each line", () => {
    const lines = [710, 1490, 1490].map((unitPrice) => ({ unitPrice, quantity: 1000, taxes: [gst, qst] }));
    const doc = computeDocument({ pricesIncludeTax: false, rounding: "document", lines });
    // GST: 35.5 + 74.5 + 74.5 = 184.5 → 185; truncated 35 + 74 + 74 = 183, the two cents to the first two of the
    // equal remainders (.5 each, earlier first): 36, 75, 74.
    // QST bases 746 + 1565 + 1564 = 3875 (= 3690 + 185): 9.975 % × 3875 = 386.53125 → 387; the shares 74.4135,
    // 156.10875, 156.009 truncate to 386, the cent to the largest remainder (.4135): 75, 156, 156.
    // (On the exact GST, 9.975 % × 1.05 × 3690 = 386.4758… → 386. Line by line: GST 186, QST 74 + 156 + 156 = 386.)
    expect(doc.lines.map((l) => amounts(l.taxes))).toEqual([
      [36, 75],
      [75, 156],
      [74, 156],
    ]);
    expect(doc.totals.taxes.map((t) => [t.id, t.taxable, t.amount])).toEqual([
      ["gst", 3690, 185],
      ["qst", 3690, 387],
    ]);
    expect(doc.totals).toMatchObject({ net: 3690, tax: 572, gross: 4262 });
  });

  it("prices include tax: 1.01 is the receipt of the net 0.88 (GST 0.04, QST 0.09)", () => {
    // 0.88 priced exclusive: GST 5 % × 88 = 4.4 → 4, QST 9.975 % × 92 = 9.177 → 9; 88 + 4 + 9 = 101.
    // (Backing the exact combined 15.47375 % out gave 13.53… → 14 cents, 0.87 + 0.05 + 0.09: taxes no net explains.)
    const line = computeLine({ unitPrice: 101, quantity: 1000, taxes: [gst, qst] }, true);
    expect(line).toMatchObject({ net: 88, tax: 13, gross: 101 });
    expect(amounts(line.taxes)).toEqual([4, 9]);
  });

  it("prices include tax, rounding jumps over the gross: 1.03 and 1.05 take the net nearest the crossing", () => {
    // Exclusive grosses: 0.89 → 89 + 4 (4.45) + 9 (9.27675) = 102; 0.90 → 90 + 5 (4.5) + 9 (9.47625) = 104;
    // 0.91 → 91 + 5 (4.55) + 10 (9.57645) = 106. No net gives 1.03 or 1.05.
    // 1.03: from 0.89 up, the first cent step is GST's at exactly 0.90 (4.5 → 5), where the gross goes from 103
    // to 104: it crosses 1.03 at 0.90, nearer 0.90 than 0.89. Net 0.90, tax 0.13: the taxes below the step.
    const at103 = computeLine({ unitPrice: 103, quantity: 1000, taxes: [gst, qst] }, true);
    expect(at103).toMatchObject({ net: 90, tax: 13, gross: 103 });
    expect(amounts(at103.taxes)).toEqual([4, 9]);
    // 1.05: from 0.90 the next step is QST's at 9.5 / 9.975 % − 5 = 90.238… (GST's next is at 110), where the
    // gross goes from 104.238… to 105.238…: it crosses 1.05 at 90.238…, nearer 0.90. Net 0.90, tax 0.15.
    const at105 = computeLine({ unitPrice: 105, quantity: 1000, taxes: [gst, qst] }, true);
    expect(at105).toMatchObject({ net: 90, tax: 15, gross: 105 });
    expect(amounts(at105.taxes)).toEqual([5, 10]);
    // A return backs out as the mirror of the sale.
    expect(computeLine({ unitPrice: 105, quantity: -1000, taxes: [gst, qst] }, true)).toMatchObject({ net: -90, tax: -15 });
  });

  it("one rate where rounding jumps over the gross keeps the classic figure: 0.05 at 12 % contains 0.01", () => {
    // 0.04 + 12 % = 0.04 (0.48 → 0), 0.05 + 12 % = 0.06 (0.6 → 1): no net gives 0.05. The tax steps at
    // 0.5 / 12 % = 4.166… öre, nearer 4 than 5: net 4, tax 1, which is round(5 × 0.12 / 1.12 = 0.5357…).
    const moms12: TaxRateInput[] = [{ id: "moms12", name: "Moms 12%", rate: 1200 }];
    expect(computeLine({ unitPrice: 5, quantity: 1000, taxes: moms12 }, true)).toMatchObject({ net: 4, tax: 1, gross: 5 });
  });
});

describe("CHF cash rounding to 5 rappen", () => {
  it.each([
    [1230, 1230],
    [1231, 1230],
    [1232, 1230],
    [1233, 1235],
    [1234, 1235],
    [1236, 1235],
    [1237, 1235],
    [1238, 1240],
    [1239, 1240],
    [-1233, -1235],
  ])("%i → %i", (amount, rounded) => {
    const r = cashRounding(amount, 5);
    expect(r.rounded).toBe(rounded);
    expect(r.adjustment).toBe(rounded - amount);
  });

  it("a unit of 1 changes nothing", () => {
    expect(cashRounding(1234, 1)).toEqual({ amount: 1234, rounded: 1234, adjustment: 0, unit: 1 });
  });
});

describe("lines and discounts", () => {
  it("quantity in thousandths, rounded half away from zero", () => {
    expect(lineAmount(999, 500)).toEqual({ extended: 500, discount: 0, amount: 500 }); // 499.5 → 500
    expect(lineAmount(999, -500)).toEqual({ extended: -500, discount: 0, amount: -500 });
    expect(lineAmount(333, 1)).toEqual({ extended: 0, discount: 0, amount: 0 }); // 0.333 → 0
  });

  it("a discount lowers a sale and, mirrored, a return", () => {
    expect(lineAmount(999, 2000, 98)).toEqual({ extended: 1998, discount: 98, amount: 1900 });
    expect(lineAmount(999, -2000, 98)).toEqual({ extended: -1998, discount: -98, amount: -1900 });
    expect(lineAmount(999, 2000, 1998).amount).toBe(0);
  });

  it("a line without taxes", () => {
    expect(computeLine({ unitPrice: 500, quantity: 3000 }, true)).toMatchObject({ net: 1500, tax: 0, gross: 1500, taxes: [] });
  });

  it("an empty document", () => {
    expect(computeDocument({ pricesIncludeTax: false, rounding: "document", lines: [] }).totals).toEqual({
      extended: 0,
      discount: 0,
      net: 0,
      tax: 0,
      gross: 0,
      taxes: [],
    });
  });
});

describe("rates", () => {
  it("basis points and millionths", () => {
    expect(basisPoints(825)).toEqual({ millionths: 82_500 });
    expect(millionths(99_750)).toEqual({ millionths: 99_750 });
    expect(toBasisPoints(82_500)).toBe(825);
    expect(toBasisPoints(99_750)).toBeNull();
  });

  it("percent strings parse exactly", () => {
    expect(percent("9.975")).toEqual({ millionths: 99_750 });
    expect(percent("25")).toEqual({ millionths: 250_000 });
    expect(percent("8.875")).toEqual({ millionths: 88_750 });
    expect(percent("100")).toEqual({ millionths: 1_000_000 });
    expect(formatPercent(99_750)).toBe("9.975");
    expect(formatPercent(82_500)).toBe("8.25");
    expect(formatPercent(1_000_000)).toBe("100");
    expectMoneyError(() => percent("9.97501"), "invalid_type", "percent");
    expectMoneyError(() => percent("100.5"), "out_of_range", "percent");
    expectMoneyError(() => percent("-1"), "invalid_type", "percent");
  });
});

describe("validation names the field", () => {
  const tax = { id: "t", name: "T", rate: 2500 };
  const doc = (line: Record<string, unknown>, extra: Record<string, unknown> = {}) => () =>
    computeDocument({ pricesIncludeTax: false, lines: [{ unitPrice: 100, quantity: 1000 }, line], ...extra } as never);

  it.each([
    [{ unitPrice: -1, quantity: 1000 }, "out_of_range", "lines[1].unitPrice"],
    [{ unitPrice: 1.5, quantity: 1000 }, "not_integer", "lines[1].unitPrice"],
    [{ unitPrice: "100", quantity: 1000 }, "invalid_type", "lines[1].unitPrice"],
    [{ unitPrice: Number.NaN, quantity: 1000 }, "not_integer", "lines[1].unitPrice"],
    [{ unitPrice: 2 ** 53, quantity: 1000 }, "unsafe_integer", "lines[1].unitPrice"],
    [{ unitPrice: 100, quantity: 0 }, "zero_quantity", "lines[1].quantity"],
    [{ unitPrice: 100, quantity: 0.5 }, "not_integer", "lines[1].quantity"],
    [{ unitPrice: 100, quantity: 1000, discount: -1 }, "out_of_range", "lines[1].discount"],
    [{ unitPrice: 100, quantity: 1000, discount: 101 }, "discount_exceeds_amount", "lines[1].discount"],
    [{ unitPrice: 100, quantity: 1000, taxes: [{ ...tax, rate: 10001 }] }, "out_of_range", "lines[1].taxes[0].rate"],
    [{ unitPrice: 100, quantity: 1000, taxes: [{ ...tax, rate: -1 }] }, "out_of_range", "lines[1].taxes[0].rate"],
    [{ unitPrice: 100, quantity: 1000, taxes: [{ ...tax, rate: 82.5 }] }, "not_integer", "lines[1].taxes[0].rate"],
    [
      { unitPrice: 100, quantity: 1000, taxes: [{ ...tax, rate: { millionths: 1_000_001 } }] },
      "out_of_range",
      "lines[1].taxes[0].rate.millionths",
    ],
    [{ unitPrice: 100, quantity: 1000, taxes: [{ ...tax, rate: "25%" }] }, "invalid_type", "lines[1].taxes[0].rate"],
    [{ unitPrice: 100, quantity: 1000, taxes: [{ ...tax, id: "" }] }, "invalid_type", "lines[1].taxes[0].id"],
    [{ unitPrice: 100, quantity: 1000, taxes: [tax, tax] }, "duplicate_tax", "lines[1].taxes[1].id"],
    [{ unitPrice: 100, quantity: 1000, taxes: [{ ...tax, isCompound: 1 }] }, "invalid_type", "lines[1].taxes[0].isCompound"],
    [{ unitPrice: 100, quantity: 1000, taxes: [{ ...tax, sortOrder: 0.5 }] }, "not_integer", "lines[1].taxes[0].sortOrder"],
    [{ unitPrice: 100, quantity: 1000, taxes: tax }, "invalid_type", "lines[1].taxes"],
  ])("%j → %s at %s", (line, code, field) => {
    expectMoneyError(doc(line), code, field);
  });

  it("document options", () => {
    expectMoneyError(doc({ unitPrice: 1, quantity: 1 }, { rounding: "nearest" }), "invalid_type", "rounding");
    expectMoneyError(doc({ unitPrice: 1, quantity: 1 }, { pricesIncludeTax: "yes" }), "invalid_type", "pricesIncludeTax");
    expectMoneyError(() => computeDocument({ pricesIncludeTax: true } as never), "invalid_type", "lines");
  });

  it("a tax id keeps one rate across the document", () => {
    expectMoneyError(
      () =>
        computeDocument({
          pricesIncludeTax: false,
          lines: [
            { unitPrice: 100, quantity: 1000, taxes: [tax] },
            { unitPrice: 100, quantity: 1000, taxes: [{ id: "x", name: "X", rate: 1 }, { ...tax, rate: 1200 }] },
          ],
        }),
      "inconsistent_tax",
      "lines[1].taxes[1].rate",
    );
  });

  it("an amount beyond the safe range throws instead of losing a cent", () => {
    expectMoneyError(() => lineAmount(Number.MAX_SAFE_INTEGER, 2000), "overflow", "line.quantity");
    expectMoneyError(
      () =>
        computeDocument({
          pricesIncludeTax: false,
          lines: [{ unitPrice: Number.MAX_SAFE_INTEGER, quantity: 1000, taxes: [tax] }],
        }),
      "overflow",
      "lines[0]",
    );
    // the product itself may exceed 2^53: exact through bigint
    expect(lineAmount(Number.MAX_SAFE_INTEGER, 1).extended).toBe(9_007_199_254_741); // 9007199254740.991 → …741
  });

  it("cash rounding unit", () => {
    expectMoneyError(() => cashRounding(100, 0), "out_of_range", "unit");
    expectMoneyError(() => cashRounding(1.5, 5), "not_integer", "amount");
  });
});

describe("largest remainder allocation", () => {
  it("hands the missing cents to the largest remainders, earlier first on ties", () => {
    const f = (n: bigint, d: bigint) => ({ n, d });
    expect(allocateLargestRemainder([f(1n, 3n), f(1n, 3n), f(1n, 3n)], 1n)).toEqual([1n, 0n, 0n]);
    expect(allocateLargestRemainder([f(-1n, 3n), f(-1n, 3n), f(-1n, 3n)], -1n)).toEqual([-1n, 0n, 0n]);
    expect(allocateLargestRemainder([f(5n, 4n), f(7n, 4n)], 3n)).toEqual([1n, 2n]);
  });
});
