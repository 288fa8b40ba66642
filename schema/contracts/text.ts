import { z } from "zod";

/**
 * Text that reaches a receipt or a till screen. ESC/POS printers take C0 and C1 control characters (ESC, GS, CR,
 * LF, …) as commands, and bidirectional embeddings, overrides and isolates make a till show text other than what
 * is stored. Names are one printable line; descriptions and notes may also break lines with \n. Both are stored
 * in NFC, so that the same name typed on two keyboards is the same text (and the same for uniqueness).
 */

const NAMED: Record<number, string> = {
  0x00: "NUL", 0x09: "TAB", 0x0a: "LF", 0x0d: "CR", 0x1b: "ESC", 0x7f: "DEL", 0x85: "NEL",
  0x2028: "LINE SEPARATOR", 0x2029: "PARAGRAPH SEPARATOR",
  0x202a: "LEFT-TO-RIGHT EMBEDDING", 0x202b: "RIGHT-TO-LEFT EMBEDDING", 0x202c: "POP DIRECTIONAL FORMATTING",
  0x202d: "LEFT-TO-RIGHT OVERRIDE", 0x202e: "RIGHT-TO-LEFT OVERRIDE", 0x2066: "LEFT-TO-RIGHT ISOLATE",
  0x2067: "RIGHT-TO-LEFT ISOLATE", 0x2068: "FIRST STRONG ISOLATE", 0x2069: "POP DIRECTIONAL ISOLATE",
};

/** U+XXXX and, where it has a short name, the name: "U+001B (ESC)". */
export const codePointName = (code: number) => {
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  return NAMED[code] ? `${hex} (${NAMED[code]})` : hex;
};

/**
 * The characters refused, as a regex class: C0 and C1 controls (TAB, CR, LF, ESC and DEL included), the Unicode
 * line and paragraph separators, and the bidi embeddings, overrides and isolates. LRM and RLM stay allowed:
 * right-to-left names need them. Written as escapes so that the JSON Schema `pattern` is readable ASCII.
 */
const IN_LINE = "\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u2069";
/** The same, less \n. */
const IN_TEXT = "\\u0000-\\u0009\\u000B-\\u001F\\u007F-\\u009F\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u2069";

/** A regex check that refuses the class's characters, with a message naming the first one found. */
function refusing(refusedClass: string) {
  const refused = new RegExp(`[${refusedClass}]`);
  const pattern = new RegExp(`^[^${refusedClass}]*$`);
  const error = (issue: { input?: unknown }) => {
    const found = typeof issue.input === "string" ? refused.exec(issue.input) : null;
    if (!found) return "contains a character that is not allowed here";
    const code = found[0].charCodeAt(0);
    const kind = code <= 0x9f ? "the control character" : code === 0x2028 || code === 0x2029 ? "the line break" : "the bidirectional control";
    return `contains ${kind} ${codePointName(code)}, which is not allowed here`;
  };
  return [pattern, { error }] as const;
}

const printableLine = refusing(IN_LINE);
const printableText = refusing(IN_TEXT);

/** One printable line (no control characters, line breaks or bidi controls), trimmed, NFC, at most `max` long. */
export const SingleLineText = (max: number) => z.string().trim().normalize("NFC").max(max).regex(...printableLine);

/** A name: a single printable line that is not empty. */
export const Name = (max = 200) => z.string().trim().normalize("NFC").min(1, "must not be empty").max(max).regex(...printableLine);

/**
 * Printable text that may break lines with \n (a CR LF or a lone CR is taken as \n); no other control
 * characters or bidi controls. NFC, at most `max` long.
 */
export const MultiLineText = (max: number) =>
  z.string().overwrite((s) => s.replace(/\r\n?/g, "\n")).normalize("NFC").max(max).regex(...printableText);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What makes a string unusable as text anywhere in the API: a NUL (C strings, printers and logs cut at it) or a
 * lone surrogate (not a character: it cannot be stored as UTF-8). Undefined when the string is fine.
 */
export function unusableCharacter(s: string): string | undefined {
  const nul = s.indexOf("\u0000");
  const lone = LONE_SURROGATE.exec(s);
  if (nul < 0 && !lone) return undefined;
  if (lone && (nul < 0 || lone.index < nul)) return `contains a lone surrogate ${codePointName(lone[0].charCodeAt(0))}, which is not a character`;
  return `contains the character ${codePointName(0)}`;
}

/**
 * Text as search compares it, the same for what is stored and what is asked: NFKC (ligatures and full-width
 * letters as their plain letters), case folded in every script (lower, upper, lower again: ß and ẞ match SS,
 * and Greek final ς is σ; İ's combining dot is dropped), runs of white space as one space. Accents stay: ä is
 * not a. Folding a folded text changes nothing.
 */
export function foldForSearch(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .toUpperCase()
    .toLowerCase()
    .replace(/ς/g, "σ")
    .replace(/i\u0307/g, "i")
    .normalize("NFC")
    .replace(/\s+/g, " ")
    .trim();
}
