/**
 * Property tests of the receipt layout (fast-check): whatever names, amounts, quantities, currencies, locales and
 * time zones come in, every printed line fits the paper and holds no control character, and the totals printed
 * are the sale's own, read back from the text.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Sale } from "../../schema/contracts/sales";
import { cashRounding, computeDocument } from "../../schema/money/index";
import { buildReceipt, columns, layoutReceipt, plainTextLines, printable, RECEIPT_LABELS, wrap, type ReceiptContext, type ReceiptLayout, type ReceiptWidth } from "../../schema/receipt/index";
import { labelRow, row } from "../../schema/receipt/text";
import { line, payment, sale } from "./receipt-fixtures";

/** unit price × quantity / 1000, half away from zero: a line before its discount, worked out here on its own. */
function extended(unitPrice: number, quantity: number): number {
  const n = BigInt(unitPrice) * BigInt(quantity < 0 ? -quantity : quantity);
  const magnitude = Number((n + 500n) / 1000n);
  return quantity < 0 ? -magnitude + 0 : magnitude; // + 0: no negative zero
}

/** What a printer must never be sent, and what makes a string no text at all. */
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u;

const nasty = fc.constantFrom(
  "\u001b", "\u001d", "\u0010", "\n", "\r", "\t", "\u0000", "\u007f", "\u0085", "\u009b", "\u2028", "\u2029",
  "\u202e", "\u2066", "\u200b", "\u200f", "\ufeff", "\u00ad", "\ud800", "\udfff",
  "a", "W", "Å", "ä", "ö", "€", "-", " ", "  ", "\u00a0", "\u202f", "\u3000", "\u0308", "\u030a", "漢", "😀", "ﷺ",
);
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.string({ unit: nasty, maxLength: 250 }),
  fc.string({ unit: "grapheme", maxLength: 80 }),
  fc.constantFrom("", "Kaffe bryggt", "Smörgås med ost och skinka på surdegsbröd", "x".repeat(200)),
);
const amount = fc.oneof(fc.integer({ min: -1_000_000_000_000, max: 1_000_000_000_000 }), fc.integer({ min: -1000, max: 1000 }), fc.constant(0));
const quantity = fc.oneof(
  fc.constantFrom(1000, -1000, 2000, 347, -347, 1, -1),
  fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }).filter((q) => q !== 0),
);
const LOCALES = ["sv-SE", "en-US", "de-DE", "fr-FR", "en-IN", "ar-EG", "ja-JP", "sv-FI", "de-CH"];
const CURRENCIES = ["SEK", "USD", "EUR", "JPY", "KWD", "CHF", "INR"];
const ZONES = ["Europe/Stockholm", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "UTC"];
const width = fc.constantFrom<ReceiptWidth>(42, 32);

const anyLine = fc.record({ productName: text, quantity, unitPrice: amount.map(Math.abs), cataloguePrice: amount.map(Math.abs), priceOverride: fc.boolean(), discount: amount.map(Math.abs), net: amount, tax: amount, gross: amount }).map((l) => line({ ...l, taxes: [] }));

const anySale: fc.Arbitrary<Sale> = fc
  .record({
    lines: fc.array(anyLine, { minLength: 1, maxLength: 8 }),
    taxes: fc.array(fc.record({ name: text, rateMillionths: fc.integer({ min: 0, max: 1_000_000 }), isCompound: fc.boolean(), taxable: amount, amount }), { maxLength: 4 }),
    payments: fc.array(fc.record({ method: fc.oneof(fc.constantFrom("CASH", "CARD", "SWISH"), text), amount, reference: fc.option(text) }), { maxLength: 4 }),
    kind: fc.constantFrom<Sale["kind"]>("sale", "return"),
    status: fc.constantFrom<Sale["status"]>("completed", "voided"),
    voidReason: fc.option(text),
    currency: fc.constantFrom(...CURRENCIES),
    pricesIncludeTax: fc.boolean(),
    receiptNumber: text,
    soldAt: fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString()),
    unreferenced: fc.boolean(),
    subtotal: amount,
    discountTotal: amount,
    taxTotal: amount,
    grandTotal: amount,
    cashRounding: amount,
    totalDue: amount,
    paidTotal: amount,
    changeGiven: amount,
  })
  .map((s) =>
    sale({
      ...s,
      taxes: s.taxes.map((t, i) => ({ ...t, taxRateId: `aa000000-0000-4000-8000-00000000000${i}`, rate: null })),
      payments: s.payments.map((p) => payment(p.method, p.amount, p.reference)),
      originalSaleId: s.kind === "return" && !s.unreferenced ? "0b7c5d1e-2f3a-4b5c-8d6e-7f8091a2b3c4" : null,
      voidedAt: s.status === "voided" ? s.soldAt : null,
    }),
  );

const anyContext: fc.Arbitrary<ReceiptContext> = fc.record({
  store: fc.record({ name: text, address: fc.option(text), phone: fc.option(text), orgNumber: fc.option(text), vatNumber: fc.option(text), legalLines: fc.array(text, { maxLength: 3 }), timeZone: fc.constantFrom(...ZONES) }),
  register: fc.record({ code: text, name: fc.option(text) }),
  cashier: fc.option(text),
  locale: fc.constantFrom(...LOCALES),
  tenderNames: fc.dictionary(fc.constantFrom("CASH", "CARD", "SWISH"), text),
  originalReceiptNumber: fc.option(text),
  fractionalUnit: fc.option(text, { nil: undefined }),
  footer: fc.array(text, { maxLength: 3 }),
  copy: fc.boolean(),
});

function expectPrintable(layout: ReceiptLayout) {
  for (const l of layout.lines) {
    if (l.kind === "text") {
      expect(columns(l.text), JSON.stringify(l.text)).toBeLessThanOrEqual(layout.width);
      expect(l.text).not.toMatch(FORBIDDEN);
      expect(l.text).toBe(l.text.trimEnd());
    }
    if (l.kind === "qr") expect(l.data).not.toMatch(FORBIDDEN);
  }
  for (const l of plainTextLines(layout)) expect(columns(l)).toBeLessThanOrEqual(layout.width);
  expect(layout.lines.filter((l) => l.kind === "qr")).toHaveLength(1);
  expect(layout.lines.at(-1)).toEqual({ kind: "cut" });
}

/** The text lines between the n-th and the next separator (0: before the first). */
function section(layout: ReceiptLayout, n: number): string[] {
  const out: string[][] = [[]];
  for (const l of layout.lines) {
    if (l.kind === "separator") out.push([]);
    else if (l.kind === "text") out.at(-1)!.push(l.text);
  }
  return out[n] ?? [];
}

/**
 * The amount printed on the row of `label` in `lines` (the last such row), read back as minor units: the
 * digits, as they are printed with exactly the currency's decimals, and the sign. Undefined when no row has it.
 */
function printedAmount(lines: readonly string[], label: string): bigint | undefined {
  const at = lines.findLastIndex((l) => l === label || l.startsWith(`${label} `));
  if (at < 0) return undefined;
  const rest = lines[at]!.slice(label.length).trim() || (lines[at + 1] ?? "").trim();
  const digits = rest.replace(/[^0-9]/g, "");
  expect(digits, `${label}: ${rest}`).not.toBe("");
  return (rest.includes("-") ? -1n : 1n) * BigInt(digits);
}

describe("any receipt", () => {
  it("prints every line within the width and without a control character", () => {
    fc.assert(
      fc.property(anySale, anyContext, width, (s, c, w) => {
        expectPrintable(layoutReceipt(buildReceipt(s, c), w));
      }),
      { numRuns: 400 },
    );
  }, 30_000);

  it("prints the sale's subtotal, discounts, tax, total, cash rounding, total due and change", () => {
    fc.assert(
      fc.property(anySale, anyContext, width, (s, c, w) => {
        const model = buildReceipt(s, c);
        const labels = RECEIPT_LABELS[model.language];
        const layout = layoutReceipt(model, w);
        const totals = section(layout, 3);
        expect(printedAmount(totals, labels.subtotal)).toBe(s.pricesIncludeTax ? undefined : BigInt(s.subtotal));
        expect(printedAmount(totals, labels.total)).toBe(BigInt(s.grandTotal));
        expect(printedAmount(totals, s.pricesIncludeTax ? labels.taxIncluded : labels.taxAdded)).toBe(BigInt(s.taxTotal));
        expect(printedAmount(totals, labels.discountTotal)).toBe(s.discountTotal === 0 ? undefined : BigInt(s.discountTotal));
        const due = s.totalDue < 0 ? labels.refundDue : labels.totalDue;
        expect(printedAmount(totals, labels.cashRounding)).toBe(s.cashRounding === 0 ? undefined : BigInt(s.cashRounding));
        expect(printedAmount(totals, due)).toBe(s.cashRounding === 0 ? undefined : BigInt(s.totalDue));
        const tenders = s.payments.length > 0 || s.changeGiven !== 0 ? section(layout, 4) : [];
        expect(printedAmount(tenders, labels.change)).toBe(s.changeGiven === 0 ? undefined : BigInt(s.changeGiven));
      }),
      { numRuns: 300 },
    );
  }, 30_000);
});

describe("a sale the money engine priced", () => {
  const rate = fc.record({ id: fc.constantFrom("a", "b", "c"), bp: fc.constantFrom(0, 600, 825, 1200, 2500, 100) });
  const pricedSale = fc
    .record({
      pricesIncludeTax: fc.boolean(),
      returned: fc.boolean(),
      cashUnit: fc.constantFrom(1, 5, 100),
      currency: fc.constantFrom("SEK", "USD", "CHF"),
      lines: fc.array(
        fc.record({ name: text, unitPrice: fc.integer({ min: 0, max: 10_000_000 }), quantity: fc.integer({ min: 1, max: 50_000 }), discountShare: fc.integer({ min: 0, max: 100 }), rates: fc.uniqueArray(rate, { selector: (r) => r.id, maxLength: 2 }) }),
        { minLength: 1, maxLength: 10 },
      ),
      tenderedExtra: fc.integer({ min: 0, max: 100_000 }),
    })
    .map((g) => {
      const RATES = { a: 2500, b: 1200, c: 825 } as const;
      const inputs = g.lines.map((l) => {
        const quantity = g.returned ? -l.quantity : l.quantity;
        // At most half the extended amount (unit price × quantity / 1000), so never more than it.
        const discount = Number((BigInt(l.unitPrice) * BigInt(l.quantity) * BigInt(l.discountShare)) / 200_000n);
        return { unitPrice: l.unitPrice, quantity, discount, taxes: l.rates.map((r, i) => ({ id: r.id, name: `Rate ${r.id}`, rate: RATES[r.id], isCompound: r.id === "c", sortOrder: i })) };
      });
      const doc = computeDocument({ pricesIncludeTax: g.pricesIncludeTax, lines: inputs });
      const cash = cashRounding(doc.totals.gross, g.cashUnit);
      const handed = cash.rounded >= 0 ? cash.rounded + g.tenderedExtra : cash.rounded;
      return sale({
        currency: g.currency,
        pricesIncludeTax: g.pricesIncludeTax,
        kind: g.returned ? "return" : "sale",
        lines: doc.lines.map((r, i) =>
          line({
            productName: g.lines[i]!.name, quantity: inputs[i]!.quantity, unitPrice: inputs[i]!.unitPrice, discount: inputs[i]!.discount, net: r.net, tax: r.tax, gross: r.gross,
            taxes: r.taxes.map((t) => ({ taxRateId: t.id, name: t.name, rate: null, rateMillionths: t.rateMillionths, isCompound: t.isCompound, sortOrder: t.sortOrder, amount: t.amount })),
          }),
        ),
        taxes: doc.totals.taxes.map((t) => ({ taxRateId: t.id, name: t.name, rate: null, rateMillionths: t.rateMillionths, isCompound: t.isCompound, taxable: t.taxable, amount: t.amount })),
        payments: [payment("CASH", handed)],
        subtotal: doc.lines.reduce((a, l) => a + l.extended - l.discount, 0),
        discountTotal: doc.totals.discount,
        taxTotal: doc.totals.tax,
        grandTotal: doc.totals.gross,
        cashRounding: cash.adjustment,
        totalDue: cash.rounded,
        paidTotal: handed,
        changeGiven: handed - cash.rounded,
      });
    });

  it("prints totals that add up: the item column makes the subtotal, and the subtotal (and tax added on top) the total", () => {
    fc.assert(
      fc.property(pricedSale, anyContext, width, (s, c, w) => {
        const model = buildReceipt(s, c);
        const labels = RECEIPT_LABELS[model.language];
        const layout = layoutReceipt(model, w);
        expectPrintable(layout);
        const totals = section(layout, 3);
        const total = printedAmount(totals, labels.total)!;
        const subtotal = s.pricesIncludeTax ? total : printedAmount(totals, labels.subtotal)!;
        const taxAdded = s.pricesIncludeTax ? 0n : printedAmount(totals, labels.taxAdded)!;
        expect(subtotal + taxAdded).toBe(total);
        expect(total).toBe(BigInt(s.grandTotal));
        expect(subtotal).toBe(BigInt(s.subtotal));
        expect(printedAmount(totals, labels.discountTotal) ?? 0n).toBe(BigInt(s.discountTotal));
        // Each item's amount and its discount: the column the customer adds up.
        expect(model.items.reduce((a, i) => a + BigInt(i.amount.minor) + BigInt(i.discount?.minor ?? 0), 0n)).toBe(subtotal);
        expect(model.items.map((i) => i.amount.minor)).toEqual(s.lines.map((l) => extended(l.unitPrice, l.quantity)));
      }),
      { numRuns: 300 },
    );
  }, 30_000);
});

describe("wrapping", () => {
  it("works on printable text, which stays as it is when made printable again", () => {
    fc.assert(
      fc.property(text, (t) => {
        const p = printable(t);
        expect(p).not.toMatch(FORBIDDEN);
        expect(printable(p)).toBe(p);
        expect(p).toBe(p.normalize("NFC"));
      }),
      { numRuns: 5000 },
    );
  });

  it("keeps every character of the printable text, each line within the width", () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 50 }), (t, w) => {
        const lines = wrap(t, w);
        for (const l of lines) {
          expect(columns(l)).toBeLessThanOrEqual(w);
          expect(l).not.toMatch(FORBIDDEN);
        }
        expect(lines.join("").replace(/ /g, "")).toBe(printable(t).replace(/ /g, ""));
      }),
      { numRuns: 2000 },
    );
  });

  it("puts a row's right-hand text at the end of its last lines and never lets the left run into it", () => {
    fc.assert(
      fc.property(text, text, fc.constantFrom(42, 32), fc.integer({ min: 0, max: 4 }), (left, right, w, indent) => {
        const lines = row(left, right, w, indent);
        for (const l of lines) expect(columns(l)).toBeLessThanOrEqual(w);
        const r = printable(right);
        if (r !== "" && columns(r) < w) expect(lines.at(-1)!.endsWith(r)).toBe(true);
        expect(lines.join("").replace(/ /g, "")).toBe((printable(left) + r).replace(/ /g, ""));
      }),
      { numRuns: 2000 },
    );
  });

  it("never breaks a label that fits on a line to make room for the right-hand text", () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(RECEIPT_LABELS).flatMap((l) => [l.total, l.refundDue, l.cashRounding, l.taxIncluded])), text, fc.constantFrom(42, 32), (label, right, w) => {
        const lines = labelRow(label, right, w);
        for (const l of lines) expect(columns(l)).toBeLessThanOrEqual(w);
        expect(lines[0] === label || lines[0]!.startsWith(`${label} `)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
