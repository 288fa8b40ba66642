/**
 * Golden receipts: the bytes of a few receipts, compared byte for byte with test/bridge/golden/*.bin, each
 * decoded too (the listing beside it, *.txt, says what the printer will do) and checked for what it must say.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bitmapFromRows, bitmapRows, renderReceipt, type PrinterProfile } from "../../bridge/escpos/index";
import { buildReceipt } from "../../schema/receipt/index";
import { decodeEscpos, textsOf } from "../fakes/escpos-decoder";
import { swedishContext, swedishReturn, swedishSale, swedishVoid } from "../schema/receipt-fixtures";
import { expectGolden } from "./golden";

const LOGO = bitmapFromRows([
  "################################",
  "#..............................#",
  "#..####.###...###..####........#",
  "#..#....#..#.#.....#...........#",
  "#..###..#..#.#.##..###.........#",
  "#..#....#..#.#..#..#...........#",
  "#..####.###...###..####........#",
  "################################",
]);

const cases = {
  /** A Finland-Swedish café sale in euros: å ä ö Å Ä Ö and € in CP858, logo, partial cut. */
  "sale-sv-eur-42": {
    model: buildReceipt({ ...swedishSale, currency: "EUR" }, { ...swedishContext, locale: "sv-FI" }),
    profile: { columns: 42, codePage: "cp858", cut: "partial", logo: LOGO } satisfies PrinterProfile,
  },
  /** A return at 32 columns (58 mm paper), full cut. */
  "return-sv-32": {
    model: buildReceipt(swedishReturn, { ...swedishContext, originalReceiptNumber: "R-0042" }),
    profile: { columns: 32, codePage: "cp858", cut: "full" } satisfies PrinterProfile,
  },
  /** A copy of a voided sale on a TM-T20 in CP437, five lines fed before the cut. */
  "void-copy-sv-42": {
    model: buildReceipt(swedishVoid, { ...swedishContext, copy: true }),
    profile: { columns: 42, codePage: "cp437", cut: "partial", model: "TM-T20", feedLines: 5 } satisfies PrinterProfile,
  },
} as const;

const bytesOf = (name: keyof typeof cases) => renderReceipt(cases[name].model, cases[name].profile);

describe("golden receipts", () => {
  it("a Swedish sale in euros, 42 columns, CP858", async () => {
    const bytes = await bytesOf("sale-sv-eur-42");
    expectGolden("sale-sv-eur-42", bytes);
    const ops = decodeEscpos(bytes);
    expect(ops.slice(0, 4)).toEqual([
      { op: "init" },
      { op: "codePage", n: 19 },
      { op: "image", width: 32, height: 8, rows: bitmapRows(LOGO) },
      { op: "text", text: "Demo Store", bold: true, align: "center", height: 2 },
    ]);
    const texts = textsOf(ops);
    expect(texts).toContain("Smörgås med ost och skinka på");
    expect(texts).toContain("  Ändrat pris, ord. 59,00");
    expect(texts.filter((t) => t.endsWith("\u00A0€"))).toEqual([`Totalt${" ".repeat(28)}235,88\u00A0€`, `Att betala${" ".repeat(24)}236,00\u00A0€`]);
    // € and the no-break space before it as CP858's bytes.
    expect(Buffer.from(bytes).includes(Buffer.from("235,88\xff\xd5", "latin1"))).toBe(true);
    expect(ops.slice(-5).map((o) => o.op)).toEqual(["barcode", "feed", "qr", "feed", "cut"]);
    expect(ops.at(-1)).toEqual({ op: "cut", partial: true });
  });

  it("a return, 32 columns, full cut", async () => {
    const bytes = await bytesOf("return-sv-32");
    expectGolden("return-sv-32", bytes);
    const ops = decodeEscpos(bytes);
    const texts = textsOf(ops);
    expect(texts.every((t) => [...t].length <= 32)).toBe(true);
    expect(texts).toContain("             RETUR");
    expect(ops).toContainEqual({ op: "text", text: `Att återbetala${" ".repeat(9)}-35,00\u00A0kr`, bold: true, align: "left" });
    expect(ops).toContainEqual(expect.objectContaining({ op: "barcode", data: "R-0043" }));
    expect(ops).toContainEqual(expect.objectContaining({ op: "qr", data: `pos:sale/${swedishReturn.id}` }));
    expect(ops.at(-1)).toEqual({ op: "cut", partial: false });
  });

  it("a voided copy, 42 columns, CP437", async () => {
    const bytes = await bytesOf("void-copy-sv-42");
    expectGolden("void-copy-sv-42", bytes);
    const ops = decodeEscpos(bytes);
    expect(ops[1]).toEqual({ op: "codePage", n: 0 });
    const bold = ops.flatMap((o) => (o.op === "text" && o.bold ? [o.text.trim()] : []));
    expect(bold).toEqual(["Demo Store", "KOPIA", "MAKULERAD", expect.stringMatching(/^Totalt/), expect.stringMatching(/^Att betala/), "MAKULERAD"]);
    expect(textsOf(ops)).toContain(`Orsak${" ".repeat(22)}Fel vara slagen`);
    expect(ops.slice(-2)).toEqual([{ op: "feed", lines: 5 }, { op: "cut", partial: true }]);
  });
});

describe("a golden file", () => {
  const bytes = Uint8Array.of(0x1b, 0x40, 0x48, 0x69, 0x0a);

  it("that is missing fails the test, and is not written unless asked", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "golden-"));
    expect(() => expectGolden("missing", bytes, { dir, update: false })).toThrow(/missing: write it with UPDATE_GOLDEN=1/);
    expect(existsSync(path.join(dir, "missing.bin"))).toBe(false);
  });

  it("fails on one byte that differs", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "golden-"));
    expectGolden("hi", bytes, { dir, update: true });
    expectGolden("hi", bytes, { dir, update: false });
    expect(() => expectGolden("hi", Uint8Array.of(0x1b, 0x40, 0x48, 0x49, 0x0a), { dir, update: false })).toThrow();
  });
});
