/**
 * Worked receipts, checked line by line against text written by hand at 42 and 32 columns: a Swedish VAT sale
 * (moms 25 % and 12 %, a weighed line, a price override, a discount, cash rounded to whole kronor, change), a US
 * sales-tax sale (prices exclude tax, a compound city tax), a return and a void. In the expected text "~" stands
 * for the no-break space (U+00A0) that keeps an amount and its currency together.
 */
import { describe, expect, it } from "vitest";
import { cashRounding, computeDocument, type TaxRateInput } from "../../schema/money/index";
import type { Sale } from "../../schema/contracts/sales";
import { buildReceipt, layoutReceipt, plainText, plainTextLines, receiptFormat, type ReceiptContext, type ReceiptWidth } from "../../schema/receipt/index";
import { swedishContext, swedishReturn, swedishSale, swedishVoid, usContext, usSale, sale, line, moms12, payment } from "./receipt-fixtures";

const expected = (text: string) => text.replace(/^\n/, "").replace(/\n$/, "").split("\n").map((l) => l.replace(/~/g, "\u00A0"));
const printed = (s: Sale, c: ReceiptContext, width: ReceiptWidth) => plainTextLines(layoutReceipt(buildReceipt(s, c), width));

describe("the hand-made sales are what the money engine makes of them", () => {
  const check = (s: Sale, cashUnit: number) => {
    const taxes = (l: Sale["lines"][number]): TaxRateInput[] =>
      l.taxes.map((t) => ({ id: t.taxRateId, name: t.name, rate: { millionths: t.rateMillionths }, isCompound: t.isCompound, sortOrder: t.sortOrder }));
    const doc = computeDocument({
      pricesIncludeTax: s.pricesIncludeTax,
      lines: s.lines.map((l) => ({ unitPrice: l.unitPrice, quantity: l.quantity, discount: l.discount, taxes: taxes(l) })),
    });
    doc.lines.forEach((r, i) => {
      const l = s.lines[i]!;
      expect({ net: r.net, tax: r.tax, gross: r.gross, taxes: r.taxes.map((t) => t.amount) }).toEqual({ net: l.net, tax: l.tax, gross: l.gross, taxes: l.taxes.map((t) => t.amount) });
    });
    expect(doc.totals.taxes.map((t) => ({ id: t.id, taxable: t.taxable, amount: t.amount }))).toEqual(s.taxes.map((t) => ({ id: t.taxRateId, taxable: t.taxable, amount: t.amount })));
    // The sales domain's subtotal: the lines' priced amounts (after their discounts).
    const subtotal = doc.lines.reduce((a, l) => a + l.extended - l.discount, 0);
    expect({ subtotal, tax: doc.totals.tax, gross: doc.totals.gross, discount: doc.totals.discount }).toEqual({ subtotal: s.subtotal, tax: s.taxTotal, gross: s.grandTotal, discount: s.discountTotal });
    const card = s.payments.filter((p) => !p.isCash).reduce((a, p) => a + p.amount, 0);
    const cash = cashRounding(s.grandTotal - card, cashUnit);
    expect(cash.adjustment).toBe(s.cashRounding);
    expect(s.totalDue).toBe(s.grandTotal + s.cashRounding);
    expect(s.changeGiven).toBe(s.paidTotal - s.totalDue);
  };
  it("the Swedish sale", () => check(swedishSale, 100));
  it("the US sale", () => check(usSale, 1));
  it("the Swedish return", () => check(swedishReturn, 100));
});

describe("a Swedish VAT receipt", () => {
  it("at 42 columns", () => {
    expect(printed(swedishSale, swedishContext, 42)).toEqual(expected(`
                Demo Store
               Storgatan 1
             111 22 Stockholm
             Tel 08-123 45 67
            Org.nr 556677-8899
        Momsreg.nr SE556677889901
------------------------------------------
Kvitto                              R-0042
Datum                     2026-03-14 14:05
Kassa                          T01 Kassa 1
Kassör                        Lisa Larsson
------------------------------------------
Kaffe bryggt
  2 st x 25,00                       50,00
Smörgås med ost och skinka på
surdegsbröd                          59,00
Bananer
  0,347 kg x 29,90/kg                10,38
Tygkasse Äppelträd                   49,00
  Ändrat pris, ord. 59,00
Äppeljuice
  3 st x 25,00                       75,00
  Rabatt                             -7,50
------------------------------------------
Totalt                           235,88~kr
varav moms                           29,82
Öresavrundning                        0,12
Att betala                       236,00~kr
Erhållen rabatt                       7,50
------------------------------------------
Kort                                100,00
  Ref 123456
Kontant                             150,00
Växel                                14,00
------------------------------------------
Moms                      Underlag  Belopp
Moms 12 %                   166,86   20,02
Moms 25 %                    39,20    9,80
------------------------------------------
            Tack för besöket!
`));
  });

  it("at 32 columns", () => {
    expect(printed(swedishSale, swedishContext, 32)).toEqual(expected(`
           Demo Store
          Storgatan 1
        111 22 Stockholm
        Tel 08-123 45 67
       Org.nr 556677-8899
   Momsreg.nr SE556677889901
--------------------------------
Kvitto                    R-0042
Datum           2026-03-14 14:05
Kassa                T01 Kassa 1
Kassör              Lisa Larsson
--------------------------------
Kaffe bryggt
  2 st x 25,00             50,00
Smörgås med ost och skinka
på surdegsbröd             59,00
Bananer
  0,347 kg x 29,90/kg      10,38
Tygkasse Äppelträd         49,00
  Ändrat pris, ord. 59,00
Äppeljuice
  3 st x 25,00             75,00
  Rabatt                   -7,50
--------------------------------
Totalt                 235,88~kr
varav moms                 29,82
Öresavrundning              0,12
Att betala             236,00~kr
Erhållen rabatt             7,50
--------------------------------
Kort                      100,00
  Ref 123456
Kontant                   150,00
Växel                      14,00
--------------------------------
Moms            Underlag  Belopp
Moms 12 %         166,86   20,02
Moms 25 %          39,20    9,80
--------------------------------
       Tack för besöket!
`));
  });

  it("marks the title, the totals, the QR code with the sale's id and the cut for a printer", () => {
    const layout = layoutReceipt(buildReceipt(swedishSale, swedishContext), 42);
    expect(layout.lines[0]).toEqual({ kind: "text", text: "                Demo Store", style: "title" });
    const bold = layout.lines.flatMap((l) => (l.kind === "text" && l.style === "bold" ? [l.text.split(" ")[0]] : []));
    expect(bold).toEqual(["Totalt", "Att"]);
    expect(layout.lines.slice(-2)).toEqual([{ kind: "qr", data: "pos:sale/0b7c5d1e-2f3a-4b5c-8d6e-7f8091a2b3c4" }, { kind: "cut" }]);
    expect(layout.lines.filter((l) => l.kind === "separator")).toHaveLength(6);
    expect(plainText(layout)).toBe(plainTextLines(layout).map((l) => `${l}\n`).join(""));
  });

  it("carries the sale's amounts beside their text in the model", () => {
    const model = buildReceipt(swedishSale, swedishContext);
    expect(model.totals).toEqual({
      pricesIncludeTax: true,
      subtotal: { minor: 23588, text: "235,88" },
      discount: { minor: 750, text: "7,50" },
      tax: { minor: 2982, text: "29,82" },
      total: { minor: 23588, text: "235,88", money: "235,88\u00A0kr" },
      cashRounding: { minor: 12, text: "0,12" },
      totalDue: { minor: 23600, text: "236,00", money: "236,00\u00A0kr" },
      paid: { minor: 25000, text: "250,00" },
    });
    expect(model.items.map((i) => [i.name, i.quantity, i.unitPrice.minor, i.amount.minor, i.discount?.minor ?? null, i.total.minor, i.cataloguePrice?.minor ?? null])).toEqual([
      ["Kaffe bryggt", { thousandths: 2000, text: "2", unit: null }, 2500, 5000, null, 5000, null],
      ["Smörgås med ost och skinka på surdegsbröd", { thousandths: 1000, text: "1", unit: null }, 5900, 5900, null, 5900, null],
      ["Bananer", { thousandths: 347, text: "0,347", unit: "kg" }, 2990, 1038, null, 1038, null],
      ["Tygkasse Äppelträd", { thousandths: 1000, text: "1", unit: null }, 4900, 4900, null, 4900, 5900],
      ["Äppeljuice", { thousandths: 3000, text: "3", unit: null }, 2500, 7500, -750, 6750, null],
    ]);
    expect(model.taxes.map((t) => [t.label, t.rate, t.taxable.minor, t.tax.minor])).toEqual([
      ["Moms 12 %", "12\u00A0%", 16686, 2002],
      ["Moms 25 %", "25\u00A0%", 3920, 980],
    ]);
    expect(model.tenders).toEqual([
      { code: "CARD", name: "Kort", isCash: false, amount: { minor: 10000, text: "100,00" }, reference: "123456" },
      { code: "CASH", name: "Kontant", isCash: true, amount: { minor: 15000, text: "150,00" }, reference: null },
    ]);
    expect(model.change).toEqual({ minor: 1400, text: "14,00" });
    expect(model.soldAt).toEqual({ iso: "2026-03-14T13:05:09.000Z", text: "2026-03-14 14:05" });
    expect(JSON.parse(JSON.stringify(model))).toEqual(model);
  });

  it("names tenders as the tenant does, and a product's unit shows three decimals even for whole units", () => {
    const s = sale({
      lines: [line({ productName: "Ost, lagrad", productId: "dd000000-0000-4000-8000-0000000000aa", quantity: 2000, unitPrice: 19900, net: 35536, tax: 4264, gross: 39800, taxes: [moms12(4264)] })],
      taxes: [{ taxRateId: "aa000000-0000-4000-8000-000000000012", name: "Moms 12 %", rate: 1200, rateMillionths: 120_000, isCompound: false, taxable: 35536, amount: 4264 }],
      payments: [payment("SWISH", 39800, "SW 7733"), payment("GIFT", 0)],
      subtotal: 39800, discountTotal: 0, taxTotal: 4264, grandTotal: 39800, totalDue: 39800, paidTotal: 39800,
    });
    const lines = printed(s, { ...swedishContext, units: { "dd000000-0000-4000-8000-0000000000aa": "kg" }, tenderNames: { GIFT: "Presentkort" } }, 42);
    expect(lines).toContain("  2,000 kg x 199,00/kg              398,00");
    expect(lines).toContain("Swish                               398,00");
    expect(lines).toContain("  Ref SW 7733");
    expect(lines).toContain("Presentkort                           0,00");
  });
});

describe("the tax summary's labels", () => {
  const labelled = (name: string, rateMillionths: number) =>
    buildReceipt({ ...swedishSale, taxes: [{ taxRateId: "aa000000-0000-4000-8000-000000000099", name, rate: null, rateMillionths, isCompound: false, taxable: 100, amount: 25 }] }, swedishContext).taxes[0]!.label;
  it("add the rate to a name that does not already say it", () => {
    expect(labelled("Moms 25 %", 250_000)).toBe("Moms 25 %");
    expect(labelled("Moms 25%", 250_000)).toBe("Moms 25%");
    expect(labelled("Moms", 250_000)).toBe("Moms 25\u00A0%");
    expect(labelled("Moms 12,5 %", 25_000)).toBe("Moms 12,5 % 2,5\u00A0%");
    expect(labelled("Moms 2.5%", 25_000)).toBe("Moms 2.5%");
    expect(labelled("", 60_000)).toBe("6\u00A0%");
  });
});

describe("a US sales-tax receipt", () => {
  it("at 42 columns", () => {
    expect(printed(usSale, usContext, 42)).toEqual(expected(`
              Corner Coffee
                12 Main St
          Springfield, IL 62701
            Tel (217) 555-0100
------------------------------------------
Receipt                               1001
Date                  07/04/2026, 10:30 AM
Register                                R2
Cashier                                Sam
------------------------------------------
Coffee
  2 x 9.99                           19.98
Blueberry muffin                      3.49
  Discount                           -0.50
House blend ground coffee beans, 12
oz bag                               14.00
  Price override, was 15.00
------------------------------------------
Subtotal                             36.97
Tax                                   3.46
Total                               $40.43
Discounts                             0.50
------------------------------------------
Card                                 20.00
  Ref VISA 4242 AUTH 0815
Cash                                 30.00
Change                                9.57
------------------------------------------
Tax                        Taxable  Amount
State Tax 8.25%              36.97    3.06
City Tax 1%                  36.97    0.40
------------------------------------------
                Thank you!
`));
  });

  it("at 32 columns", () => {
    expect(printed(usSale, usContext, 32)).toEqual(expected(`
         Corner Coffee
           12 Main St
     Springfield, IL 62701
       Tel (217) 555-0100
--------------------------------
Receipt                     1001
Date        07/04/2026, 10:30 AM
Register                      R2
Cashier                      Sam
--------------------------------
Coffee
  2 x 9.99                 19.98
Blueberry muffin            3.49
  Discount                 -0.50
House blend ground coffee
beans, 12 oz bag           14.00
  Price override, was 15.00
--------------------------------
Subtotal                   36.97
Tax                         3.46
Total                     $40.43
Discounts                   0.50
--------------------------------
Card                       20.00
  Ref VISA 4242 AUTH 0815
Cash                       30.00
Change                      9.57
--------------------------------
Tax              Taxable  Amount
State Tax 8.25%    36.97    3.06
City Tax 1%        36.97    0.40
--------------------------------
           Thank you!
`));
  });

  it("keeps each rate's compound flag in the model", () => {
    expect(buildReceipt(usSale, usContext).taxes.map((t) => [t.name, t.rate, t.isCompound])).toEqual([
      ["State Tax", "8.25%", false],
      ["City Tax", "1%", true],
    ]);
  });
});

describe("a return", () => {
  it("is marked, names the receipt it returns, and refunds as negative amounts with the cash rounding", () => {
    expect(printed(swedishReturn, { ...swedishContext, originalReceiptNumber: "R-0042" }, 42)).toEqual(expected(`
                Demo Store
               Storgatan 1
             111 22 Stockholm
             Tel 08-123 45 67
            Org.nr 556677-8899
        Momsreg.nr SE556677889901
                  RETUR
------------------------------------------
Kvitto                              R-0043
Datum                     2026-03-15 10:12
Kassa                          T01 Kassa 1
Kassör                        Lisa Larsson
Retur av kvitto                     R-0042
------------------------------------------
Kaffe bryggt                        -25,00
Bananer
  -0,347 kg x 29,90/kg              -10,38
------------------------------------------
Totalt                           -35,38~kr
varav moms                           -3,79
Öresavrundning                        0,38
Att återbetala                   -35,00~kr
------------------------------------------
Kontant                             -35,00
------------------------------------------
Moms                      Underlag  Belopp
Moms 12 %                   -31,59   -3,79
------------------------------------------
            Tack för besöket!
`));
  });

  it("without the original's number names the original sale by its id, on lines of its own at 32 columns", () => {
    const lines = printed(swedishReturn, swedishContext, 32);
    const at = lines.indexOf("Retur av kvitto");
    expect(lines.slice(at, at + 4)).toEqual(["Retur av kvitto", "0b7c5d1e-2f3a-4b5c-8d6e-7f8091a2", "                            b3c4", "-".repeat(32)]);
  });

  it("without a receipt says so", () => {
    const lines = printed({ ...swedishReturn, originalSaleId: null, unreferenced: true }, swedishContext, 42);
    expect(lines).toContain("Retur utan kvitto");
    expect(lines.some((l) => l.startsWith("Retur av kvitto"))).toBe(false);
    expect(buildReceipt({ ...swedishReturn, originalSaleId: null, unreferenced: true }, swedishContext).return).toEqual({ originalSaleId: null, originalReceiptNumber: null, unreferenced: true });
  });
});

describe("a voided sale", () => {
  it("is marked at the top and at the end, with the reason and when", () => {
    const lines = printed(swedishVoid, swedishContext, 42);
    expect(lines.slice(5, 8)).toEqual(["        Momsreg.nr SE556677889901", "                MAKULERAD", "-".repeat(42)]);
    expect(lines.slice(-6)).toEqual(expected(`
------------------------------------------
                MAKULERAD
Orsak                      Fel vara slagen
Makulerad                 2026-03-14 14:09
------------------------------------------
            Tack för besöket!
`));
    // Everything else is the sale's receipt as it was.
    const completed = printed(swedishSale, swedishContext, 42);
    expect(lines.filter((l) => !/MAKULERAD|^Orsak|^Makulerad/.test(l))).toEqual([...completed.slice(0, -2), "-".repeat(42), ...completed.slice(-2)]);
    const layout = layoutReceipt(buildReceipt(swedishVoid, swedishContext), 32);
    expect(layout.lines.filter((l) => l.kind === "text" && l.style === "bold" && l.text.trim() === "MAKULERAD")).toHaveLength(2);
  });

  it("is marked in English too", () => {
    const lines = printed({ ...usSale, status: "voided", voidedAt: "2026-07-04T15:31:00.000Z", voidReason: "Wrong item" }, usContext, 32);
    expect(lines).toContain("              VOID");
    expect(lines).toContain("Reason                Wrong item");
    expect(lines).toContain("Voided      07/04/2026, 10:31 AM");
  });
});

describe("a copy", () => {
  it("is marked KOPIA", () => {
    expect(printed(swedishSale, { ...swedishContext, copy: true }, 32).slice(6, 8)).toEqual(["             KOPIA", "-".repeat(32)]);
  });
});

describe("what came in with control characters prints without them", () => {
  it("strips ESC, GS and line breaks from names and references, and bidi and zero-width characters", () => {
    const s = sale({
      ...swedishSale,
      lines: [{ ...swedishSale.lines[0]!, productName: "Kaffe\u001b@\u001dV\u0000 bryggt\r\nstor\u202e \u200bkopp\u0085" }],
      payments: [{ ...swedishSale.payments[0]!, reference: "12\u001bp\u00003456" }],
    });
    const lines = printed(s, { ...swedishContext, cashier: "Lisa\u0007 Larsson", store: { ...swedishContext.store, name: "Demo\tStore\u001bE" } }, 42);
    for (const l of lines) expect(l).not.toMatch(/[\p{Cc}\p{Cf}]/u);
    expect(lines[0]).toBe("               Demo Store E");
    expect(lines).toContain("Kaffe @ V bryggt stor kopp");
    expect(lines).toContain("  Ref 12 p 3456");
    expect(lines).toContain("Kassör                        Lisa Larsson");
  });

  it("keeps å ä ö Å Ä Ö and € and counts them as one column each", () => {
    const s = sale({ ...swedishSale, currency: "EUR", lines: [{ ...swedishSale.lines[0]!, productName: "ÅÄÖ åäö" }] });
    const lines = printed(s, { ...swedishContext, locale: "sv-FI" }, 32);
    expect(lines).toContain("Totalt                  235,88\u00A0€");
    expect(lines).toContain("ÅÄÖ åäö");
    // NFD input (a + combining ring) prints as the composed letter.
    const nfd = printed(sale({ ...swedishSale, lines: [{ ...swedishSale.lines[3]!, productName: "Tygkasse A\u030Apple" }] }), swedishContext, 32);
    expect(nfd).toContain("Tygkasse Åpple             49,00");
  });
});

describe("amounts are formatted exactly from integer minor units", () => {
  it("with the currency's decimals", () => {
    expect(receiptFormat("SEK").money(123456)).toBe("1\u00A0234,56\u00A0kr");
    expect(receiptFormat("JPY", "ja-JP").money(1234567)).toBe("￥1,234,567");
    expect(receiptFormat("JPY").amount(-1500)).toBe("-1\u00A0500");
    expect(receiptFormat("KWD", "en-US").amount(1234567)).toBe("1,234.567");
    expect(receiptFormat("USD", "en-US").money(-5)).toBe("-$0.05");
    expect(receiptFormat("SEK").amount(-50)).toBe("-0,50");
    expect(receiptFormat("EUR", "de-DE").money(100000000)).toBe("1.000.000,00\u00A0€");
    expect(receiptFormat("INR", "en-IN").money(1234567890)).toBe("₹1,23,45,678.90");
  });

  it("to the last digit of the largest safe integer and beyond it as bigint", () => {
    expect(receiptFormat("SEK").amount(Number.MAX_SAFE_INTEGER)).toBe("90\u00A0071\u00A0992\u00A0547\u00A0409,91");
    expect(receiptFormat("USD", "en-US").amount(123456789012345678901n)).toBe("1,234,567,890,123,456,789.01");
    expect(() => receiptFormat("SEK").amount(0.5)).toThrow(RangeError);
  });

  it("quantities: whole units without decimals, fractions with three", () => {
    const f = receiptFormat("SEK");
    expect([f.quantity(2000), f.quantity(347), f.quantity(-1500), f.quantity(1_000_000_000), f.quantity(1000, true)]).toEqual(["2", "0,347", "-1,500", "1\u00A0000\u00A0000", "1,000"]);
    expect(receiptFormat("USD", "en-US").quantity(1234567)).toBe("1,234.567");
  });

  it("rates as percentages in the locale", () => {
    expect([receiptFormat("SEK").percent(250_000), receiptFormat("SEK").percent(82_500), receiptFormat("CAD", "en-CA").percent(99_750)]).toEqual(["25\u00A0%", "8,25\u00A0%", "9.975%"]);
  });

  it("times on the store's clock, whatever the summer time", () => {
    const f = receiptFormat("SEK");
    expect(f.dateTime("2026-03-29T00:59:00Z", "Europe/Stockholm")).toBe("2026-03-29 01:59");
    expect(f.dateTime("2026-03-29T01:00:00Z", "Europe/Stockholm")).toBe("2026-03-29 03:00");
    expect(f.dateTime("2026-03-29T01:00:00Z", "America/New_York")).toBe("2026-03-28 21:00");
  });
});

describe("the layout", () => {
  it("is for 42 or 32 columns", () => {
    const model = buildReceipt(swedishSale, swedishContext);
    expect(() => layoutReceipt(model, 40 as ReceiptWidth)).toThrow(RangeError);
    expect(layoutReceipt(model).width).toBe(42);
  });
});
