/**
 * Keyboard layouts for keyboard-wedge scanners: a scanner "types" each character by pressing the key that makes it
 * in the layout it is configured for, so the bridge reads evdev key codes (positions, linux/input-event-codes.h)
 * back through the same layout. Only what barcodes carry is mapped: letters, digits, space and punctuation; dead
 * keys (´ ` ¨ ^ ~ on the Swedish layout) are left out, since a scanner cannot rely on them.
 */

export const KEY = {
  ESC: 1,
  K1: 2,
  K2: 3,
  K3: 4,
  K4: 5,
  K5: 6,
  K6: 7,
  K7: 8,
  K8: 9,
  K9: 10,
  K0: 11,
  MINUS: 12,
  EQUAL: 13,
  BACKSPACE: 14,
  TAB: 15,
  LEFTBRACE: 26,
  RIGHTBRACE: 27,
  ENTER: 28,
  LEFTCTRL: 29,
  SEMICOLON: 39,
  APOSTROPHE: 40,
  GRAVE: 41,
  LEFTSHIFT: 42,
  BACKSLASH: 43,
  COMMA: 51,
  DOT: 52,
  SLASH: 53,
  RIGHTSHIFT: 54,
  KPASTERISK: 55,
  LEFTALT: 56,
  SPACE: 57,
  CAPSLOCK: 58,
  KP7: 71,
  KP8: 72,
  KP9: 73,
  KPMINUS: 74,
  KP4: 75,
  KP5: 76,
  KP6: 77,
  KPPLUS: 78,
  KP1: 79,
  KP2: 80,
  KP3: 81,
  KP0: 82,
  KPDOT: 83,
  KEY_102ND: 86,
  KPENTER: 96,
  RIGHTCTRL: 97,
  KPSLASH: 98,
  RIGHTALT: 100,
} as const;

/** The letter keys, in key-code order per row (q–p, a–l, z–m). */
const LETTER_ROWS: [number, string][] = [
  [16, "qwertyuiop"],
  [30, "asdfghjkl"],
  [44, "zxcvbnm"],
];

/** What a key gives: plain, with Shift, with AltGr (right Alt). */
export type KeyChars = [plain: string, shift?: string, altGr?: string];
export type Layout = ReadonlyMap<number, KeyChars>;
export type LayoutName = "us" | "se";

function layout(keys: [number, KeyChars][]): Layout {
  const map = new Map<number, KeyChars>();
  for (const [first, row] of LETTER_ROWS) [...row].forEach((c, i) => map.set(first + i, [c, c.toUpperCase()]));
  map.set(KEY.SPACE, [" ", " "]);
  map.set(KEY.TAB, ["\t", "\t"]);
  for (const [code, chars] of keys) map.set(code, chars);
  return map;
}

const keypad = (decimal: string): [number, KeyChars][] => [
  [KEY.KP0, ["0"]],
  [KEY.KP1, ["1"]],
  [KEY.KP2, ["2"]],
  [KEY.KP3, ["3"]],
  [KEY.KP4, ["4"]],
  [KEY.KP5, ["5"]],
  [KEY.KP6, ["6"]],
  [KEY.KP7, ["7"]],
  [KEY.KP8, ["8"]],
  [KEY.KP9, ["9"]],
  [KEY.KPDOT, [decimal]],
  [KEY.KPMINUS, ["-"]],
  [KEY.KPPLUS, ["+"]],
  [KEY.KPASTERISK, ["*"]],
  [KEY.KPSLASH, ["/"]],
];

/** xkb "us". */
const US = layout([
  [KEY.K1, ["1", "!"]],
  [KEY.K2, ["2", "@"]],
  [KEY.K3, ["3", "#"]],
  [KEY.K4, ["4", "$"]],
  [KEY.K5, ["5", "%"]],
  [KEY.K6, ["6", "^"]],
  [KEY.K7, ["7", "&"]],
  [KEY.K8, ["8", "*"]],
  [KEY.K9, ["9", "("]],
  [KEY.K0, ["0", ")"]],
  [KEY.MINUS, ["-", "_"]],
  [KEY.EQUAL, ["=", "+"]],
  [KEY.LEFTBRACE, ["[", "{"]],
  [KEY.RIGHTBRACE, ["]", "}"]],
  [KEY.SEMICOLON, [";", ":"]],
  [KEY.APOSTROPHE, ["'", '"']],
  [KEY.GRAVE, ["`", "~"]],
  [KEY.BACKSLASH, ["\\", "|"]],
  [KEY.COMMA, [",", "<"]],
  [KEY.DOT, [".", ">"]],
  [KEY.SLASH, ["/", "?"]],
  ...keypad("."),
]);

/** xkb "se" (Swedish), whose keypad decimal key gives a comma (kpdl(comma)). */
const SE = layout([
  [KEY.K1, ["1", "!"]],
  [KEY.K2, ["2", '"', "@"]],
  [KEY.K3, ["3", "#", "£"]],
  [KEY.K4, ["4", "¤", "$"]],
  [KEY.K5, ["5", "%", "€"]],
  [KEY.K6, ["6", "&"]],
  [KEY.K7, ["7", "/", "{"]],
  [KEY.K8, ["8", "(", "["]],
  [KEY.K9, ["9", ")", "]"]],
  [KEY.K0, ["0", "=", "}"]],
  [KEY.MINUS, ["+", "?", "\\"]],
  [KEY.LEFTBRACE, ["å", "Å"]],
  [KEY.SEMICOLON, ["ö", "Ö"]],
  [KEY.APOSTROPHE, ["ä", "Ä"]],
  [KEY.GRAVE, ["§", "½"]],
  [KEY.BACKSLASH, ["'", "*"]],
  [KEY.COMMA, [",", ";"]],
  [KEY.DOT, [".", ":"]],
  [KEY.SLASH, ["-", "_"]],
  [KEY.KEY_102ND, ["<", ">", "|"]],
  [18, ["e", "E", "€"]],
  ...keypad(","),
]);

export const LAYOUTS: Readonly<Record<LayoutName, Layout>> = { us: US, se: SE };
