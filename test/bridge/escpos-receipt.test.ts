/**
 * renderReceipt: a receipt model as ESC/POS, asserted through the decoder (what the printer will do), not as
 * byte dumps.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bitmapFromRows, bitmapRows, PrinterProfileError, renderReceipt, type PrinterProfile } from "../../bridge/escpos/index";
import { buildReceipt, layoutReceipt, plainTextLines, type ReceiptModel } from "../../schema/receipt/index";
import { decodeEscpos, textsOf, type EscposOp } from "../fakes/escpos-decoder";
import { swedishContext, swedishReturn, swedishSale } from "../schema/receipt-fixtures";

const CP858_42: PrinterProfile = { columns: 42, codePage: "cp858", cut: "partial" };
const euroSale = buildReceipt({ ...swedishSale, currency: "EUR" }, { ...swedishContext, locale: "sv-FI" });
const kronaSale = buildReceipt(swedishSale, swedishContext);

/** A label and an amount at the two ends of a line of `width` columns. */
const row = (left: string, right: string, width = 42) => left + " ".repeat(width - [...left].length - [...right].length) + right;
const render = async (model: ReceiptModel, profile: PrinterProfile = CP858_42) => decodeEscpos(await renderReceipt(model, profile));
const opsOf = <K extends EscposOp["op"]>(ops: EscposOp[], op: K) => ops.filter((o): o is Extract<EscposOp, { op: K }> => o.op === op);

describe("a receipt", () => {
  it("starts with ESC @ and the profile's code page, then the store's name centred in bold at double height", async () => {
    const ops = await render(euroSale);
    expect(ops.slice(0, 3)).toEqual([{ op: "init" }, { op: "codePage", n: 19 }, { op: "text", text: "Demo Store", bold: true, align: "center", height: 2 }]);
  });

  it("prints the layout's lines for the printer's columns, in CP858 with å ä ö and €", async () => {
    for (const columns of [42, 32] as const) {
      const ops = await render(euroSale, { ...CP858_42, columns });
      const layout = plainTextLines(layoutReceipt(euroSale, columns));
      // The title is sent trimmed (the printer centres it); every other line as laid out.
      expect(textsOf(ops)).toEqual([layout[0]!.trim(), ...layout.slice(1)]);
      expect(textsOf(ops).every((t) => [...t].length <= columns)).toBe(true);
    }
    const texts = textsOf(await render(euroSale));
    expect(texts).toContain("Smörgås med ost och skinka på");
    expect(texts).toContain(row("Tygkasse Äppelträd", "49,00"));
    expect(texts).toContain(row("Totalt", "235,88\u00A0€"));
    expect(texts).toContain("            Tack för besöket!");
  });

  it("prints the layout's bold lines in bold and the rest not", async () => {
    const ops = await render(kronaSale);
    const bold = opsOf(ops, "text").filter((t) => t.bold).map((t) => t.text);
    expect(bold).toEqual(["Demo Store", row("Totalt", "235,88\u00A0kr"), row("Att betala", "236,00\u00A0kr")]);
    expect(opsOf(ops, "text").filter((t) => t.align !== "left" || t.height).map((t) => t.text)).toEqual(["Demo Store"]);
  });

  it("ends with the receipt number as a CODE128 barcode, the QR code of the sale, the feed and the cut", async () => {
    const ops = await render(kronaSale);
    const lastText = ops.findLastIndex((o) => o.op === "text");
    expect(ops.slice(lastText + 1)).toEqual([
      { op: "barcode", type: "CODE128", data: "R-0042", height: 64, moduleWidth: 2, hri: "below" },
      { op: "feed", lines: 1 },
      { op: "qr", data: `pos:sale/${swedishSale.id}`, model: 2, moduleSize: 5, errorCorrection: "L" },
      { op: "feed", lines: 3 },
      { op: "cut", partial: true },
    ]);
  });

  it("cuts fully, or not at all, as the profile says, after the profile's feed", async () => {
    expect((await render(kronaSale, { ...CP858_42, cut: "full", feedLines: 5 })).slice(-2)).toEqual([{ op: "feed", lines: 5 }, { op: "cut", partial: false }]);
    const uncut = await render(kronaSale, { ...CP858_42, cut: "none" });
    expect(opsOf(uncut, "cut")).toEqual([]);
    expect(uncut.at(-1)).toEqual({ op: "feed", lines: 3 });
  });

  it("prints the profile's logo centred above the store's name", async () => {
    const logo = bitmapFromRows(["################", "#..............#", "#.####..####...#", "################"]);
    const ops = await render(kronaSale, { ...CP858_42, logo });
    expect(ops[2]).toEqual({ op: "image", width: 16, height: 4, rows: bitmapRows(logo) });
    expect(ops[3]).toMatchObject({ op: "text", text: "Demo Store" });
    const bytes = await renderReceipt(kronaSale, { ...CP858_42, logo });
    // ESC a 1 before the image, ESC a 0 after it: centred on the paper.
    const at = Buffer.from(bytes).indexOf(Buffer.from([0x1d, 0x76, 0x30]));
    expect([...bytes.subarray(at - 3, at)]).toEqual([0x1b, 0x61, 0x31]);
  });

  it("a code page without € prints '?' for it, and å ä ö in CP437's bytes", async () => {
    const ops = await render(euroSale, { ...CP858_42, codePage: "cp437" });
    expect(ops[1]).toEqual({ op: "codePage", n: 0 });
    expect(textsOf(ops)).toContain(row("Totalt", "235,88\u00A0?"));
    expect(textsOf(ops)).toContain(row("Tygkasse Äppelträd", "49,00"));
  });

  it("selects the code page by the printer's own number when the profile gives one", async () => {
    const bytes = await renderReceipt(euroSale, { ...CP858_42, codePageNumber: 5 });
    const ops = decodeEscpos(bytes, { codePages: { 5: "cp858" } });
    expect(ops[1]).toEqual({ op: "codePage", n: 5 });
    expect(textsOf(ops)).toContain(row("Totalt", "235,88\u00A0€"));
  });

  it("takes the model's code page number from escpos-buffer's tables", async () => {
    // Epson's table: CP1252 is 16, CP852 18.
    expect((await render(euroSale, { ...CP858_42, codePage: "cp1252", model: "TM-T20" }))[1]).toEqual({ op: "codePage", n: 16 });
    expect((await render(euroSale, { ...CP858_42, codePage: "cp852", model: "TM-T81" }))[1]).toEqual({ op: "codePage", n: 18 });
  });

  it("prints a return at 32 columns with its refund", async () => {
    const ret = buildReceipt(swedishReturn, { ...swedishContext, originalReceiptNumber: "R-0042" });
    const texts = textsOf(await render(ret, { ...CP858_42, columns: 32, cut: "full" }));
    expect(texts).toContain("             RETUR");
    expect(texts).toContain(row("Retur av kvitto", "R-0042", 32));
    expect(texts).toContain(row("Att återbetala", "-35,00\u00A0kr", 32));
  });
});

describe("control characters from the data never reach the printer as commands", () => {
  const ESC_P = "\u001bp\u0000\u0019\u00fa"; // ESC p 0 25 250: kick drawer pin 2
  const GS_V = "\u001dV\u0001"; // GS V 1: partial cut
  const DLE_EOT = "\u0010\u0004\u0001"; // DLE EOT 1: a status request
  /** A model as it might arrive from elsewhere, with no printable() applied: every text field carries commands. */
  const hostile = (bad: string): ReceiptModel => ({
    ...kronaSale,
    receiptNumber: `R-${bad}42`,
    store: { name: `Demo${bad}Store`, lines: [`Storgatan${bad}1`] },
    cashier: `Lisa${bad}`,
    items: kronaSale.items.map((item) => ({ ...item, name: `${item.name}${bad}` })),
    tenders: kronaSale.tenders.map((t) => ({ ...t, name: `${t.name}${bad}`, reference: `12${bad}34` })),
    footer: [`Tack${bad}!`],
    qr: `pos:sale/${bad}`,
  });
  const once = (ops: EscposOp[]) => {
    expect(opsOf(ops, "drawer")).toEqual([]);
    expect(opsOf(ops, "cut")).toEqual([{ op: "cut", partial: true }]);
    expect(ops.at(-1)).toEqual({ op: "cut", partial: true });
    expect(opsOf(ops, "init")).toHaveLength(1);
    expect(opsOf(ops, "codePage")).toHaveLength(1);
  };

  it.each([
    ["ESC p (drawer kick)", ESC_P],
    ["GS V (cut)", GS_V],
    ["DLE EOT (status)", DLE_EOT],
    ["ESC @ and a code page change", "\u001b@\u001bt\u0000"],
  ])("%s in names, store lines, cashier, references, footer, receipt number and QR data", async (_, bad) => {
    const ops = await render(hostile(bad)); // the decoder throws on any byte it does not know
    once(ops);
    const texts = textsOf(ops);
    expect(texts.some((t) => t.startsWith("Kaffe bryggt"))).toBe(true);
    // The receipt number cannot be a barcode now; it is printed as text (controls as spaces).
    expect(opsOf(ops, "barcode")).toEqual([]);
    expect(texts.some((t) => t.startsWith("Kvitto") && t.includes("R-"))).toBe(true);
    expect(opsOf(ops, "qr")[0]!.data).toMatch(/^pos:sale\/(%[0-9A-F]{2}|[\x21-\x7e])*$/);
  });

  it("whatever the text", async () => {
    const unit = fc.oneof(
      fc.constantFrom("\u001b", "\u001d", "\u0010", "\u0004", "\n", "\r", "\u0000", "\u007f", "\u0085", "\u009b", "p", "V", "@", "t", "å", "€", "\u202e"),
      fc.integer({ min: 0, max: 0x10ffff }).map((n) => String.fromCodePoint(n)),
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ unit, maxLength: 30 }), async (bad) => once(await render(hostile(bad)))),
      { numRuns: 60 },
    );
  });
});

describe("a printer profile", () => {
  it.each([
    ["48 columns", { ...CP858_42, columns: 48 }, /columns/],
    ["a code page the encoder does not have", { ...CP858_42, codePage: "utf8" }, /code page "utf8"/],
    ["a model outside Epson's command set", { ...CP858_42, model: "MP-4200 TH" }, /model "MP-4200 TH"/],
    ["a code page the model has no number for", { ...CP858_42, codePage: "cp865", model: "TM-T88", codePageNumber: 300 }, /codePageNumber/],
    ["a logo wider than the paper", { ...CP858_42, columns: 32, logo: bitmapFromRows(["#".repeat(385)]) }, /384/],
    ["a cut that is not one", { ...CP858_42, cut: "half" }, /cut/],
  ])("refuses %s", async (_, profile, message) => {
    await expect(renderReceipt(kronaSale, profile as PrinterProfile)).rejects.toThrow(PrinterProfileError);
    await expect(renderReceipt(kronaSale, profile as PrinterProfile)).rejects.toThrow(message);
  });
});
