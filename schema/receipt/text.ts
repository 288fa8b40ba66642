/**
 * Text as a receipt prints it: one line of printable characters, measured in code points.
 *
 * A receipt printer takes C0 and C1 control characters (ESC, GS, LF, …) as commands, so nothing that came from a
 * sale (a product name, a reference, a cashier's name) may carry one to it. The contracts refuse them at the door
 * (schema/contracts/text.ts); this is the second line of defence, for anything that got in another way (an old
 * row, an import, a till that bypassed the API): it never refuses, it repairs.
 *
 * Columns are code points after NFC, so "ä" typed as a + combining diaeresis is one column, and an emoji or a
 * CJK character is one column too (a CP858 printer prints it as one "?").
 */

/** Controls, line and paragraph separators: each becomes a space (a TAB or LF between words keeps them apart). */
const BREAKING = /[\p{Cc}\u2028\u2029]/gu;
/** Format characters (bidi embeddings, overrides, isolates and marks, zero-width spaces and joiners, BOM, soft hyphen): dropped. */
const FORMAT = /\p{Cf}/gu;
/** Lone surrogates are not characters: the replacement character stands in for each. */
const LONE_SURROGATE = /\p{Cs}/gu;
/** Every space but the no-break space is a plain space; narrow and figure no-break spaces are no-break spaces. */
const NO_BREAK_SPACES = /[\u2007\u202F]/g;
const OTHER_SPACES = /[^\S\u00A0]/gu;

/**
 * One printable line: lone surrogates replaced, control characters and line breaks as spaces, format characters
 * dropped, runs of spaces as one, trimmed, NFC. Anything that is not a string is the empty string.
 */
export function printable(text: unknown): string {
  if (typeof text !== "string") return "";
  return text
    .replace(LONE_SURROGATE, "\uFFFD")
    .replace(BREAKING, " ")
    .replace(FORMAT, "")
    .replace(NO_BREAK_SPACES, "\u00A0")
    .replace(OTHER_SPACES, " ")
    .replace(/ {2,}/g, " ")
    .trim()
    // Last, so that a letter and its combining mark that a dropped character kept apart are composed too.
    .normalize("NFC");
}

/** The columns a (printable) text takes: its code points. */
export const columns = (text: string): number => [...text].length;

/** Splits text into lines of at most `width` columns at spaces; a word longer than a line is cut. */
export function wrap(text: string, width: number): string[] {
  const cols = Math.max(1, Math.floor(width));
  const lines: string[] = [];
  let line: string[] = [];
  for (const word of printable(text).split(" ")) {
    let chars = [...word];
    if (line.length > 0 && line.length + 1 + chars.length <= cols) {
      line.push(" ", ...chars);
      continue;
    }
    if (line.length > 0) lines.push(line.join(""));
    while (chars.length > cols) {
      lines.push(chars.slice(0, cols).join(""));
      chars = chars.slice(cols);
    }
    line = chars;
  }
  if (line.length > 0 || lines.length === 0) lines.push(line.join(""));
  return lines;
}

const spaces = (n: number) => " ".repeat(Math.max(0, n));

/** Text right-aligned in `width` columns (wrapped first if it is longer). */
export const alignRight = (text: string, width: number): string[] =>
  wrap(text, width).map((l) => spaces(width - columns(l)) + l);

/** Text centred in `width` columns (wrapped first), the odd space on the right; no trailing spaces. */
export const centre = (text: string, width: number): string[] =>
  wrap(text, width).map((l) => spaces(Math.floor((width - columns(l)) / 2)) + l);

/** The narrowest the left text of a row may be squeezed before the right text goes to a line of its own. */
const MIN_LEFT = 10;

/**
 * A row: `left` text (indented by `indent`) and `right` text right-aligned at the end of the line, at least one
 * space between them.
 *
 * A name (the default) too long for the room the right text leaves wraps within that room, so that it never runs
 * into the right-hand column, and the right text sits on its last line; when the room is narrower than a few
 * columns, the name takes whole lines and the right text a line of its own. A `label` ("Att betala") is never
 * broken to make room: when it does not fit beside the right text, the right text goes to the next line.
 */
export function row(left: string, right: string, width: number, indent = 0, kind: "name" | "label" = "name"): string[] {
  const l = printable(left);
  const r = printable(right);
  const pad = spaces(indent);
  if (r === "") return wrap(l, width - indent).map((x) => (pad + x).trimEnd());
  const room = width - columns(r) - 1 - indent;
  const stacked = kind === "label" ? columns(l) > room : room < Math.min(MIN_LEFT, Math.max(1, columns(l)));
  if (stacked) {
    const lefts = l === "" ? [] : wrap(l, width - indent).map((x) => pad + x);
    return [...lefts, ...alignRight(r, width)];
  }
  const lefts = wrap(l, room);
  const last = lefts.pop()!;
  return [...lefts.map((x) => pad + x), pad + last + spaces(width - indent - columns(last) - columns(r)) + r];
}

/** A row whose left text is a label, never broken to make room for the right text. */
export const labelRow = (label: string, right: string, width: number, indent = 0): string[] => row(label, right, width, indent, "label");
