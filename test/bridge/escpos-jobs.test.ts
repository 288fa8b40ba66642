/**
 * The jobs that are not receipts (drawer kick, raw ESC/POS, test page), and the profile's config and logo.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  bitmapFromRows,
  bitmapRows,
  drawerKick,
  loadPrinterProfile,
  parsePbm,
  PrinterProfileError,
  rawJob,
  TEST_CHARACTERS,
  testPage,
  type PrinterProfileConfig,
} from "../../bridge/escpos/index";
import { decodeEscpos, textsOf } from "../fakes/escpos-decoder";

describe("a drawer kick", () => {
  it("is ESC @ then ESC p: pin 2 is m = 0, pin 5 is m = 1, times in 2 ms units", () => {
    expect([...drawerKick({ pin: 2, onMs: 100, offMs: 200 })]).toEqual([0x1b, 0x40, 0x1b, 0x70, 0, 50, 100]);
    expect(decodeEscpos(drawerKick({ pin: 5, onMs: 120, offMs: 240 }))).toEqual([{ op: "init" }, { op: "drawer", pin: 5, onMs: 120, offMs: 240 }]);
  });

  it("clamps its times to what ESC p can say (2 to 510 ms) and rounds to the nearest unit", () => {
    expect(decodeEscpos(drawerKick({ pin: 2, onMs: 0, offMs: 10_000 }))[1]).toEqual({ op: "drawer", pin: 2, onMs: 2, offMs: 510 });
    expect(decodeEscpos(drawerKick({ pin: 2, onMs: -5, offMs: 511 }))[1]).toEqual({ op: "drawer", pin: 2, onMs: 2, offMs: 510 });
    expect(decodeEscpos(drawerKick({ pin: 2, onMs: 51, offMs: 49 }))[1]).toEqual({ op: "drawer", pin: 2, onMs: 52, offMs: 50 });
  });

  it("refuses a pin other than 2 or 5 and a time that is not a number", () => {
    expect(() => drawerKick({ pin: 3 as 2, onMs: 100, offMs: 100 })).toThrow(/pin 2 or 5/);
    expect(() => drawerKick({ pin: 2, onMs: Number.NaN, offMs: 100 })).toThrow(/onMs/);
    expect(() => drawerKick({ pin: 2, onMs: 100, offMs: "200" as unknown as number })).toThrow(/offMs/);
  });
});

describe("a raw job", () => {
  it("passes the bytes through as they are, after ESC @", () => {
    const raw = Uint8Array.of(0x1b, 0x61, 1, 0x48, 0x69, 0x0a, 0x1d, 0x56, 0);
    const job = rawJob(raw);
    expect([...job]).toEqual([0x1b, 0x40, ...raw]);
    expect(decodeEscpos(job)).toEqual([{ op: "init" }, { op: "text", text: "Hi", bold: false, align: "center" }, { op: "cut", partial: false }]);
  });

  it("starts with ESC @ even when empty or when it starts with ESC @ itself", () => {
    expect([...rawJob(new Uint8Array())]).toEqual([0x1b, 0x40]);
    expect([...rawJob(Uint8Array.of(0x1b, 0x40))]).toEqual([0x1b, 0x40, 0x1b, 0x40]);
    expect(() => rawJob("text" as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe("the test page", () => {
  it("shows the profile, a ruler of the columns, the characters, the styles, a barcode, a QR code and the cut", async () => {
    const ops = decodeEscpos(await testPage({ columns: 32, codePage: "cp858", cut: "full" }));
    expect(ops.slice(0, 3)).toEqual([{ op: "init" }, { op: "codePage", n: 19 }, { op: "text", text: "Test page", bold: true, align: "center", height: 2 }]);
    const texts = textsOf(ops);
    expect(texts).toContain(`Code page${" ".repeat(32 - 9 - 16)}cp858 (ESC t 19)`);
    expect(texts).toContain(`Model${" ".repeat(32 - 5 - 6)}TM-T88`);
    expect(texts).toContain("12345678901234567890123456789012");
    for (const line of TEST_CHARACTERS) expect(texts).toContain(line);
    expect(ops).toContainEqual({ op: "text", text: "Double height", bold: false, align: "left", height: 2 });
    expect(ops).toContainEqual({ op: "text", text: "Right", bold: false, align: "right" });
    expect(ops).toContainEqual(expect.objectContaining({ op: "barcode", data: "TEST-123" }));
    expect(ops).toContainEqual(expect.objectContaining({ op: "qr", data: "pos:test-page" }));
    expect(ops.at(-1)).toEqual({ op: "cut", partial: false });
  });

  it("in a code page that lacks some of them prints '?' for those", async () => {
    const texts = textsOf(decodeEscpos(await testPage({ columns: 42, codePage: "cp437", cut: "partial" })));
    expect(texts).toContain("Euro: ? 12,50");
    expect(texts).toContain("Dansk/norsk: æ? Æ?");
    expect(texts).toContain("Svenska: åäö ÅÄÖ");
    expect(texts).toContain("1234567890".repeat(5).slice(0, 42));
  });
});

describe("a logo", () => {
  const rows = ["#.#.#.#.##", ".#.#.#.#..", "##########"];

  it("is read from a binary PBM (P4), its padding bits cleared", () => {
    // 10 dots wide: two bytes a row, the last six bits of each row padding (set here, and never printed).
    const p4 = Buffer.concat([Buffer.from("P4\n# a logo\n10 3\n"), Buffer.from([0b10101010, 0b11111111, 0b01010101, 0b00111111, 0xff, 0xff])]);
    const bitmap = parsePbm(p4);
    expect(bitmapRows(bitmap)).toEqual(rows);
    expect([...bitmap.data]).toEqual([0b10101010, 0b11000000, 0b01010101, 0b00000000, 0xff, 0b11000000]);
  });

  it("is read from a plain PBM (P1)", () => {
    const p1 = `P1\n10 3\n${rows.map((r) => [...r].map((d) => (d === "#" ? "1" : "0")).join(" ")).join("\n")}\n`;
    expect(parsePbm(Buffer.from(p1))).toEqual(bitmapFromRows(rows));
  });

  it.each([
    ["a PNG", Buffer.from("\x89PNG\r\n\x1a\n", "latin1")],
    ["a PBM cut short", Buffer.from("P4 16 2\n\xff", "latin1")],
    ["a PBM with a bad size", Buffer.from("P1 x 2\n", "latin1")],
    ["a plain PBM with a stray character", Buffer.from("P1 2 1\n1 x", "latin1")],
  ])("refuses %s", (_, bytes) => {
    expect(() => parsePbm(bytes)).toThrow(RangeError);
  });
});

describe("a profile in the bridge's config", () => {
  it("names its logo by a PBM file's path, read relative to the config", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "escpos-"));
    await writeFile(path.join(dir, "logo.pbm"), "P1\n8 1\n1 0 1 0 1 0 1 1\n");
    const profile = await loadPrinterProfile({ columns: 32, codePage: "cp858", cut: "partial", logo: "logo.pbm" }, dir);
    expect(bitmapRows(profile.logo!)).toEqual(["#.#.#.##"]);
    const ops = decodeEscpos(await testPage(profile));
    expect(ops[2]).toEqual({ op: "image", width: 8, height: 1, rows: ["#.#.#.##"] });
  });

  it("refuses unknown keys and values with zod's message, and a profile that cannot print", async () => {
    const base: PrinterProfileConfig = { columns: 42, codePage: "cp858", cut: "partial" };
    await expect(loadPrinterProfile({ ...base, colums: 42 } as PrinterProfileConfig, ".")).rejects.toThrow(/colums/);
    await expect(loadPrinterProfile({ ...base, codePage: "utf8" } as unknown as PrinterProfileConfig, ".")).rejects.toThrow(/codePage/);
    await expect(loadPrinterProfile({ ...base, model: "TM-T20", codePage: "cp858", feedLines: 256 }, ".")).rejects.toThrow(/feedLines/);
    const dir = await mkdtemp(path.join(tmpdir(), "escpos-"));
    await writeFile(path.join(dir, "wide.pbm"), `P1\n400 1\n${"0 ".repeat(400)}\n`);
    await expect(loadPrinterProfile({ ...base, columns: 32, logo: "wide.pbm" }, dir)).rejects.toThrow(PrinterProfileError);
  });
});
