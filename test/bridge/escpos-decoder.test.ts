/**
 * The test decoder itself: what it makes of the commands it knows, and that it refuses everything else, so the
 * other tests can trust a decoded receipt.
 */
import { describe, expect, it } from "vitest";
import { decodeEscpos, describeEscpos, EscposDecodeError, textsOf } from "../fakes/escpos-decoder";

const ESC = 0x1b;
const GS = 0x1d;
const b = (...parts: (number | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "number" ? [p] : [...Buffer.from(p, "latin1")])));

describe("the ESC/POS decoder", () => {
  it("decodes text through the code page selected and carries the style on each line", () => {
    const ops = decodeEscpos(
      b(ESC, 0x40, ESC, 0x74, 19, ESC, 0x61, 1, GS, 0x21, 0x01, ESC, 0x45, 1, "Sm\x94rg\x86s 25,00\xff\xd5\n", ESC, 0x45, 0, GS, 0x21, 0, ESC, 0x61, 0, "Tack\n", "\n"),
    );
    expect(ops).toEqual([
      { op: "init" },
      { op: "codePage", n: 19 },
      { op: "text", text: "Smörgås 25,00\u00A0€", bold: true, align: "center", height: 2 },
      { op: "text", text: "Tack", bold: false, align: "left" },
      { op: "feed", lines: 1 },
    ]);
  });

  it("decodes the same byte by another code page once it is selected, and CP437 after ESC @", () => {
    expect(textsOf(decodeEscpos(b(ESC, 0x74, 19, "\xd5\n", ESC, 0x40, "\xd5\n", ESC, 0x74, 16, "\x80\n")))).toEqual(["€", "╒", "€"]);
  });

  it("decodes cuts, feeds, drawer pulses, barcodes, QR codes and raster images", () => {
    const qrData = "pos:sale/1";
    const ops = decodeEscpos(
      b(
        GS, 0x76, 0x30, 0, 1, 0, 2, 0, 0b10100000, 0b01000000,
        GS, 0x68, 50, GS, 0x77, 2, GS, 0x48, 2, GS, 0x6b, 73, 6, "{BA{{1",
        GS, 0x28, 0x6b, 4, 0, 49, 65, 50, 0, GS, 0x28, 0x6b, 3, 0, 49, 67, 5, GS, 0x28, 0x6b, 3, 0, 49, 69, 49,
        GS, 0x28, 0x6b, qrData.length + 3, 0, 49, 80, 48, qrData, GS, 0x28, 0x6b, 3, 0, 49, 81, 48,
        ESC, 0x64, 3, GS, 0x56, 1, GS, 0x56, 48, ESC, 0x70, 1, 50, 100,
      ),
    );
    expect(ops).toEqual([
      { op: "image", width: 8, height: 2, rows: ["#.#.....", ".#......"] },
      { op: "barcode", type: "CODE128", data: "A{1", height: 50, moduleWidth: 2, hri: "below" },
      { op: "qr", data: qrData, model: 2, moduleSize: 5, errorCorrection: "M" },
      { op: "feed", lines: 3 },
      { op: "cut", partial: true },
      { op: "cut", partial: false },
      { op: "drawer", pin: 5, onMs: 100, offMs: 200 },
    ]);
    expect(describeEscpos(ops)).toContain('barcode CODE128 "A{1" (height 50, module 2, HRI below)\n');
  });

  it("marks text cut off by a command before its LF as partial", () => {
    expect(decodeEscpos(b("Total ", ESC, 0x45, 1, "99\n"))).toEqual([
      { op: "text", text: "Total ", bold: false, align: "left", partial: true },
      { op: "text", text: "99", bold: true, align: "left" },
    ]);
  });

  it.each([
    ["DLE EOT in text", b("Kaffe", 0x10, 0x04, 1, "\n")],
    ["a CR", b("Kaffe\r\n")],
    ["DEL", b("Kaffe\x7f\n")],
    ["NUL", b("Kaffe\x00\n")],
    ["an ESC it does not know", b(ESC, 0x3f)],
    ["a GS it does not know", b(GS, 0x2f, 0)],
    ["a code page it does not know", b(ESC, 0x74, 99)],
    ["a byte the code page has no character for", b(ESC, 0x74, 16, "\x81\n")],
    ["a cut it does not know", b(GS, 0x56, 7)],
    ["a drawer pin that is neither 2 nor 5", b(ESC, 0x70, 2, 10, 10)],
    ["a command cut short", b(ESC, 0x70, 0, 10)],
    ["an image cut short", b(GS, 0x76, 0x30, 0, 2, 0, 2, 0, 0xff)],
    ["a QR code printed with no data stored", b(GS, 0x28, 0x6b, 3, 0, 49, 81, 48)],
    ["a barcode of another type", b(GS, 0x6b, 67, 1, "1")],
    ["a lone ESC at the end", b("x\n", ESC)],
  ])("refuses %s", (_, bytes) => {
    expect(() => decodeEscpos(bytes)).toThrow(EscposDecodeError);
  });

  it("names the offset and what came before a byte it refuses", () => {
    expect(() => decodeEscpos(b("Kaffe", 0x10, 0x04, 1))).toThrow(/offset 5: control byte 0x10.*after "Kaffe"/);
  });
});
