/**
 * The code page encoder: the bytes each character becomes, checked against iconv-lite's tables (an independent
 * source), and what never reaches a printer from text.
 */
import fc from "fast-check";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { CODE_PAGES, encodeText, printerText, UPPER_HALVES } from "../../bridge/escpos/codepages";

const bytes = (text: string, codePage: Parameters<typeof encodeText>[1]) => [...encodeText(text, codePage)];

/** Any code point (lone surrogates too), most often a control, ASCII or Latin-1 one, or one of the typographic ones. */
const codePoint = fc
  .oneof(fc.integer({ min: 0, max: 0x2ff }), fc.integer({ min: 0x2000, max: 0x206f }), fc.integer({ min: 0, max: 0x10ffff }))
  .map((n) => String.fromCodePoint(n));
const anyText = fc.string({ unit: codePoint, maxLength: 120 });

describe("CP858", () => {
  it("prints å ä ö Å Ä Ö and € as their CP858 bytes (€ at 0xD5)", () => {
    expect(bytes("åäöÅÄÖ€", "cp858")).toEqual([0x86, 0x84, 0x94, 0x8f, 0x8e, 0x99, 0xd5]);
    expect(iconv.decode(Buffer.from(encodeText("Smörgås 25,00\u00A0€", "cp858")), "cp858")).toBe("Smörgås 25,00\u00A0€");
  });

  it("sends a no-break space as 0xFF and ASCII as it is", () => {
    expect(bytes("1\u00A0234,50 kr", "cp858")).toEqual([0x31, 0xff, ...Buffer.from("234,50 kr", "ascii")]);
  });

  it("composes a decomposed letter first (A + combining ring is Å)", () => {
    expect(bytes("A\u030Apple", "cp858")).toEqual([0x8f, ...Buffer.from("pple", "ascii")]);
  });
});

describe("every code page", () => {
  it.each(CODE_PAGES)("%s: each character of its upper half is the byte iconv-lite decodes to it", (codePage) => {
    const upper = UPPER_HALVES[codePage];
    expect(upper).toHaveLength(128);
    for (let i = 0; i < 128; i++) {
      const expected = iconv.decode(Buffer.of(0x80 + i), codePage);
      expect(upper[i], `${codePage} 0x${(0x80 + i).toString(16)}`).toBe(expected);
      if (expected === "\uFFFD" || /\p{Cf}/u.test(expected)) continue;
      expect(bytes(expected, codePage), `${codePage} ${expected}`).toEqual([0x80 + i]);
    }
  });

  it.each(CODE_PAGES)("%s: prints every printable ASCII character as itself", (codePage) => {
    const ascii = Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x20 + i)).join("");
    expect(bytes(ascii, codePage)).toEqual([...Buffer.from(ascii, "ascii")]);
  });
});

describe("a character a code page lacks", () => {
  it("prints as one '?' per code point, never dropped", () => {
    expect(bytes("€ ø", "cp437")).toEqual([0x3f, 0x20, 0x3f]);
    expect(bytes("Łódź", "cp858")).toEqual([0x3f, 0xa2, 0x64, 0x3f]);
    expect(bytes("Kaffe ☕ 😀", "cp858")).toEqual([...Buffer.from("Kaffe ", "ascii"), 0x3f, 0x20, 0x3f]);
    expect(bytes("漢字", "cp1252")).toEqual([0x3f, 0x3f]);
    expect(bytes("€", "cp850")).toEqual([0x3f]); // CP850 has ı where CP858 has €
  });

  it("prints a typographic quote or dash as its ASCII look-alike where the page has none", () => {
    expect(bytes("Kafé’s – “bästa”", "cp858")).toEqual([...encodeText("Kafé's - \"bästa\"", "cp858")]);
    // CP1252 has them: its own bytes.
    expect(bytes("’–“”", "cp1252")).toEqual([0x92, 0x96, 0x93, 0x94]);
    expect(bytes("1\u202F234", "cp858")).toEqual([0x31, 0xff, 0x32, 0x33, 0x34]);
  });

  it("keeps the columns: one byte per code point of the printable text", () => {
    fc.assert(
      fc.property(anyText, fc.constantFrom(...CODE_PAGES), (text, codePage) => {
        expect(encodeText(text, codePage).length).toBe([...printerText(text)].length);
      }),
    );
  });
});

describe("control characters", () => {
  it("become spaces: ESC p (drawer kick), GS V (cut), DLE EOT (status), LF, NUL, DEL and C1 never reach the printer", () => {
    const ascii = (text: string) => [...Buffer.from(text, "ascii")];
    expect(bytes("Kaffe\u001bp\u0000\u0019ú", "cp858")).toEqual([...ascii("Kaffe p  "), 0xa3]);
    expect(bytes("Bulle\u001dV\u0001", "cp858")).toEqual(ascii("Bulle V "));
    expect(bytes("\u0010\u0004\u0001\n\r\t\u007f\u0085\u009b", "cp858")).toEqual(Array(9).fill(0x20));
  });

  it("format characters (bidi overrides, zero-width ones, soft hyphen) are dropped", () => {
    expect(bytes("Ka\u202effe\u200b\u00ad\ufeff", "cp858")).toEqual([...Buffer.from("Kaffe", "ascii")]);
  });

  it("no text in any code page gives a byte below 0x20, DEL, or a byte the code page has no character for", () => {
    const undefinedBytes = new Map(
      CODE_PAGES.map((cp) => [cp, new Set(UPPER_HALVES[cp].flatMap((c, i) => (c === "\uFFFD" || /\p{Cc}|\p{Cf}/u.test(c) ? [0x80 + i] : [])))]),
    );
    // CP1252's five unassigned bytes, and its soft hyphen (a format character, dropped from text).
    expect(undefinedBytes.get("cp1252")).toEqual(new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d, 0xad]));
    fc.assert(
      fc.property(anyText, fc.constantFrom(...CODE_PAGES), (text, codePage) => {
        const bad = undefinedBytes.get(codePage)!;
        const wrong = [...encodeText(text, codePage)].filter((b) => b < 0x20 || b === 0x7f || bad.has(b));
        expect(wrong).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});
