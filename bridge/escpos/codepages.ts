/**
 * Code pages: text to the bytes a receipt printer prints, one byte per character.
 *
 * A printer's character table is chosen with ESC t n (the number depends on the printer model, see profile.ts);
 * its lower half is ASCII, its upper half (0x80–0xFF) the code page's own characters, listed below as Unicode.
 * CP858 is CP850 with the euro sign at 0xD5 (where CP850 has the dotless ı), so it prints å ä ö Å Ä Ö and €.
 *
 * Nothing that is not a printable character ever reaches the printer from text: C0 controls (ESC, GS, DLE, LF,
 * …), DEL and C1 controls become spaces, format characters (bidi controls, zero-width ones, soft hyphen) are
 * dropped, as schema/receipt/text.ts does for the receipt model; this is the last line of defence, for any text.
 * A character the code page lacks prints as "?", one per code point, so a receipt's columns stay where the layout
 * put them; a few typographic ones first fall back to their ASCII look-alike (’ → ', – → -).
 */

export const CODE_PAGES = ["cp437", "cp850", "cp852", "cp858", "cp865", "cp866", "cp1252"] as const;
export type CodePage = (typeof CODE_PAGES)[number];

/** What a code page lacks prints as this. */
export const REPLACEMENT = 0x3f; // "?"

/** The upper half of a code page: 128 characters for the bytes 0x80–0xFF; U+FFFD where the page has none. */
const table = (upper: string): readonly string[] => {
  const chars = [...upper];
  if (chars.length !== 128) throw new Error(`a code page's upper half has 128 characters, not ${chars.length}`);
  return chars;
};

/** Each code page's characters for 0x80–0xFF, as IBM and Microsoft publish them. */
export const UPPER_HALVES: Readonly<Record<CodePage, readonly string[]>> = {
  cp437: table(
    "ÇüéâäàåçêëèïîìÄÅ" +  // 80
    "ÉæÆôöòûùÿÖÜ¢£¥\u20A7ƒ" +  // 90
    "áíóúñÑªº¿\u2310¬½¼¡«»" +  // A0
    "\u2591\u2592\u2593\u2502\u2524\u2561\u2562\u2556\u2555\u2563\u2551\u2557\u255D\u255C\u255B\u2510" +  // B0
    "\u2514\u2534\u252C\u251C\u2500\u253C\u255E\u255F\u255A\u2554\u2569\u2566\u2560\u2550\u256C\u2567" +  // C0
    "\u2568\u2564\u2565\u2559\u2558\u2552\u2553\u256B\u256A\u2518\u250C\u2588\u2584\u258C\u2590\u2580" +  // D0
    "αßΓπΣσµτΦΘΩδ\u221Eφε\u2229" +  // E0
    "\u2261±\u2265\u2264\u2320\u2321÷\u2248°\u2219·\u221A\u207F²\u25A0\u00A0",   // F0
  ),
  cp850: table(
    "ÇüéâäàåçêëèïîìÄÅ" +  // 80
    "ÉæÆôöòûùÿÖÜø£Ø×ƒ" +  // 90
    "áíóúñÑªº¿®¬½¼¡«»" +  // A0
    "\u2591\u2592\u2593\u2502\u2524ÁÂÀ©\u2563\u2551\u2557\u255D¢¥\u2510" +  // B0
    "\u2514\u2534\u252C\u251C\u2500\u253CãÃ\u255A\u2554\u2569\u2566\u2560\u2550\u256C¤" +  // C0
    "ðÐÊËÈıÍÎÏ\u2518\u250C\u2588\u2584¦Ì\u2580" +  // D0
    "ÓßÔÒõÕµþÞÚÛÙýÝ¯´" +  // E0
    "\u00AD±\u2017¾¶§÷¸°¨·¹³²\u25A0\u00A0",   // F0
  ),
  cp852: table(
    "ÇüéâäůćçłëŐőîŹÄĆ" +  // 80
    "ÉĹĺôöĽľŚśÖÜŤťŁ×č" +  // 90
    "áíóúĄąŽžĘę¬źČş«»" +  // A0
    "\u2591\u2592\u2593\u2502\u2524ÁÂĚŞ\u2563\u2551\u2557\u255DŻż\u2510" +  // B0
    "\u2514\u2534\u252C\u251C\u2500\u253CĂă\u255A\u2554\u2569\u2566\u2560\u2550\u256C¤" +  // C0
    "đĐĎËďŇÍÎě\u2518\u250C\u2588\u2584ŢŮ\u2580" +  // D0
    "ÓßÔŃńňŠšŔÚŕŰýÝţ´" +  // E0
    "\u00AD˝˛ˇ˘§÷¸°¨˙űŘř\u25A0\u00A0",   // F0
  ),
  cp858: table(
    "ÇüéâäàåçêëèïîìÄÅ" +  // 80
    "ÉæÆôöòûùÿÖÜø£Ø×ƒ" +  // 90
    "áíóúñÑªº¿®¬½¼¡«»" +  // A0
    "\u2591\u2592\u2593\u2502\u2524ÁÂÀ©\u2563\u2551\u2557\u255D¢¥\u2510" +  // B0
    "\u2514\u2534\u252C\u251C\u2500\u253CãÃ\u255A\u2554\u2569\u2566\u2560\u2550\u256C¤" +  // C0
    "ðÐÊËÈ\u20ACÍÎÏ\u2518\u250C\u2588\u2584¦Ì\u2580" +  // D0
    "ÓßÔÒõÕµþÞÚÛÙýÝ¯´" +  // E0
    "\u00AD±\u2017¾¶§÷¸°¨·¹³²\u25A0\u00A0",   // F0
  ),
  cp865: table(
    "ÇüéâäàåçêëèïîìÄÅ" +  // 80
    "ÉæÆôöòûùÿÖÜø£Ø\u20A7ƒ" +  // 90
    "áíóúñÑªº¿\u2310¬½¼¡«¤" +  // A0
    "\u2591\u2592\u2593\u2502\u2524\u2561\u2562\u2556\u2555\u2563\u2551\u2557\u255D\u255C\u255B\u2510" +  // B0
    "\u2514\u2534\u252C\u251C\u2500\u253C\u255E\u255F\u255A\u2554\u2569\u2566\u2560\u2550\u256C\u2567" +  // C0
    "\u2568\u2564\u2565\u2559\u2558\u2552\u2553\u256B\u256A\u2518\u250C\u2588\u2584\u258C\u2590\u2580" +  // D0
    "αßΓπΣσµτΦΘΩδ\u221Eφε\u2229" +  // E0
    "\u2261±\u2265\u2264\u2320\u2321÷\u2248°\u2219·\u221A\u207F²\u25A0\u00A0",   // F0
  ),
  cp866: table(
    "АБВГДЕЖЗИЙКЛМНОП" +  // 80
    "РСТУФХЦЧШЩЪЫЬЭЮЯ" +  // 90
    "абвгдежзийклмноп" +  // A0
    "\u2591\u2592\u2593\u2502\u2524\u2561\u2562\u2556\u2555\u2563\u2551\u2557\u255D\u255C\u255B\u2510" +  // B0
    "\u2514\u2534\u252C\u251C\u2500\u253C\u255E\u255F\u255A\u2554\u2569\u2566\u2560\u2550\u256C\u2567" +  // C0
    "\u2568\u2564\u2565\u2559\u2558\u2552\u2553\u256B\u256A\u2518\u250C\u2588\u2584\u258C\u2590\u2580" +  // D0
    "рстуфхцчшщъыьэюя" +  // E0
    "ЁёЄєЇїЎў°\u2219·\u221A\u2116¤\u25A0\u00A0",   // F0
  ),
  cp1252: table(
    "\u20AC\uFFFD\u201Aƒ\u201E\u2026\u2020\u2021ˆ\u2030Š\u2039Œ\uFFFDŽ\uFFFD" +  // 80
    "\uFFFD\u2018\u2019\u201C\u201D\u2022\u2013\u2014˜\u2122š\u203Aœ\uFFFDžŸ" +  // 90
    "\u00A0¡¢£¤¥¦§¨©ª«¬\u00AD®¯" +  // A0
    "°±²³´µ¶·¸¹º»¼½¾¿" +  // B0
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏ" +  // C0
    "ÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞß" +  // D0
    "àáâãäåæçèéêëìíîï" +  // E0
    "ðñòóôõö÷øùúûüýþÿ",   // F0
  ),
};

/** Typographic characters that print as their ASCII look-alike where a code page lacks them (one for one). */
const LOOK_ALIKES: Readonly<Record<string, string>> = {
  "\u2018": "'", "\u2019": "'", "\u201A": "'", "\u201B": "'", "\u2032": "'",
  "\u201C": '"', "\u201D": '"', "\u201E": '"', "\u201F": '"', "\u2033": '"',
  "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
  "\u2007": "\u00A0", "\u202F": "\u00A0",
  "\u2000": " ", "\u2001": " ", "\u2002": " ", "\u2003": " ", "\u2004": " ", "\u2005": " ", "\u2006": " ",
  "\u2008": " ", "\u2009": " ", "\u200A": " ", "\u205F": " ", "\u3000": " ",
};

const encoders = new Map<CodePage, ReadonlyMap<string, number>>();

function encoderOf(codePage: CodePage): ReadonlyMap<string, number> {
  let map = encoders.get(codePage);
  if (!map) {
    const upper = UPPER_HALVES[codePage];
    if (!upper) throw new RangeError(`unknown code page "${codePage}" (known: ${CODE_PAGES.join(", ")})`);
    const m = new Map<string, number>();
    upper.forEach((char, i) => {
      if (char !== "\uFFFD" && !/[\p{Cc}\p{Cf}]/u.test(char)) m.set(char, 0x80 + i);
    });
    encoders.set(codePage, (map = m));
  }
  return map;
}

/**
 * Text made safe for a printer, before any code page: NFC; lone surrogates as U+FFFD (which no page has, so
 * "?"); C0 and C1 controls, DEL, line and paragraph separators as spaces; format characters dropped.
 */
export function printerText(text: string): string {
  return text
    .replace(/\p{Cs}/gu, "\uFFFD")
    .replace(/[\p{Cc}\u2028\u2029]/gu, " ")
    .replace(/\p{Cf}/gu, "")
    .normalize("NFC");
}

/** The bytes of `text` in `codePage`: printable characters only (0x20–0x7E and the page's upper half). */
export function encodeText(text: string, codePage: CodePage): Uint8Array {
  const map = encoderOf(codePage);
  const chars = [...printerText(text)];
  const out = new Uint8Array(chars.length);
  const byteOf = (char: string): number | undefined => {
    const code = char.codePointAt(0)!;
    return code >= 0x20 && code < 0x7f ? code : map.get(char);
  };
  chars.forEach((char, i) => {
    const lookAlike = LOOK_ALIKES[char];
    out[i] = byteOf(char) ?? (lookAlike === undefined ? undefined : byteOf(lookAlike)) ?? REPLACEMENT;
  });
  return out;
}
