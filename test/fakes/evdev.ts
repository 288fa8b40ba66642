/**
 * Evdev event streams of a keyboard-wedge scanner, built the way the kernel reports a USB HID keyboard: for each
 * key an MSC_SCAN (the HID usage), the EV_KEY press and a SYN_REPORT, then the same for the release; modifiers
 * pressed around the key they modify; timestamps a few milliseconds apart. Keys are named by their position
 * (linux/input-event-codes.h, without KEY_), so a stream says which keys the scanner pressed, not which
 * characters a layout makes of them.
 */

/** Key codes from linux/input-event-codes.h. */
const CODES: Record<string, number> = {
  ESC: 1,
  "1": 2,
  "2": 3,
  "3": 4,
  "4": 5,
  "5": 6,
  "6": 7,
  "7": 8,
  "8": 9,
  "9": 10,
  "0": 11,
  MINUS: 12,
  EQUAL: 13,
  TAB: 15,
  Q: 16,
  W: 17,
  E: 18,
  R: 19,
  T: 20,
  Y: 21,
  U: 22,
  I: 23,
  O: 24,
  P: 25,
  LEFTBRACE: 26,
  RIGHTBRACE: 27,
  ENTER: 28,
  LEFTCTRL: 29,
  A: 30,
  S: 31,
  D: 32,
  F: 33,
  G: 34,
  H: 35,
  J: 36,
  K: 37,
  L: 38,
  SEMICOLON: 39,
  APOSTROPHE: 40,
  GRAVE: 41,
  LEFTSHIFT: 42,
  BACKSLASH: 43,
  Z: 44,
  X: 45,
  C: 46,
  V: 47,
  B: 48,
  N: 49,
  M: 50,
  COMMA: 51,
  DOT: 52,
  SLASH: 53,
  RIGHTSHIFT: 54,
  SPACE: 57,
  CAPSLOCK: 58,
  KP1: 79,
  KP2: 80,
  KPDOT: 83,
  "102ND": 86,
  KPENTER: 96,
  RIGHTALT: 100,
};

const MODIFIERS: Record<string, number> = { SHIFT: 42, RSHIFT: 54, ALTGR: 100, CTRL: 29 };

export interface StreamOptions {
  /** sizeof(struct input_event): 24 on 64-bit, 16 on 32-bit. */
  size?: 16 | 24;
  /** Epoch seconds of the first event. */
  startSec?: number;
}

/**
 * The events for a sequence of keys, e.g. "SHIFT+S M SEMICOLON R G LEFTBRACE S ENTER": space-separated keys, each
 * with optional modifiers (SHIFT+, RSHIFT+, ALTGR+, CTRL+) held while it is pressed.
 */
export function keyStream(keys: string, options: StreamOptions = {}): Buffer {
  const size = options.size ?? 24;
  const events: [number, number, number][] = [];
  const tap = (code: number, value: 0 | 1) => {
    events.push([4, 4, 0x70000 + code]); // EV_MSC MSC_SCAN (usage; the decoder ignores it)
    events.push([1, code, value]); // EV_KEY
    events.push([0, 0, 0]); // EV_SYN SYN_REPORT
  };
  for (const token of keys.trim().split(/\s+/)) {
    const parts = token.split("+");
    const key = parts.pop()!;
    const code = CODES[key];
    if (code === undefined) throw new Error(`unknown key ${key}`);
    const modifiers = parts.map((m) => {
      const c = MODIFIERS[m];
      if (c === undefined) throw new Error(`unknown modifier ${m}`);
      return c;
    });
    for (const m of modifiers) tap(m, 1);
    tap(code, 1);
    tap(code, 0);
    for (const m of modifiers.reverse()) tap(m, 0);
  }
  const out = Buffer.alloc(events.length * size);
  let usec = 0;
  let sec = options.startSec ?? 1_767_225_600;
  events.forEach(([type, code, value], i) => {
    if (type === 0) usec += 4_000;
    if (usec >= 1_000_000) {
      sec++;
      usec -= 1_000_000;
    }
    const at = i * size;
    if (size === 24) {
      out.writeBigInt64LE(BigInt(sec), at);
      out.writeBigInt64LE(BigInt(usec), at + 8);
    } else {
      out.writeInt32LE(sec, at);
      out.writeInt32LE(usec, at + 4);
    }
    const tail = at + size - 8;
    out.writeUInt16LE(type, tail);
    out.writeUInt16LE(code, tail + 2);
    out.writeInt32LE(value, tail + 4);
  });
  return out;
}

/** Scans as scanners configured for each layout type them, with the text each must give. */
export const RECORDED_SCANS = {
  us: [
    { keys: "5 7 0 1 2 3 4 5 6 7 8 9 0 ENTER", text: "5701234567890" },
    { keys: "SHIFT+A SHIFT+B SHIFT+C MINUS 1 2 3 DOT 4 SLASH SHIFT+X ENTER", text: "ABC-123.4/X" },
    { keys: "H T T P S SHIFT+SEMICOLON SLASH SLASH E X DOT S E SLASH SHIFT+SLASH Q EQUAL 1 ENTER", text: "https://ex.se/?q=1" },
  ],
  se: [
    { keys: "7 3 1 0 0 0 0 0 0 0 0 0 1 ENTER", text: "7310000000001" },
    { keys: "SHIFT+S M SEMICOLON R G LEFTBRACE S SPACE 2 5 COMMA 0 0 ENTER", text: "Smörgås 25,00" },
    { keys: "SHIFT+LEFTBRACE SHIFT+APOSTROPHE SHIFT+SEMICOLON APOSTROPHE ENTER", text: "ÅÄÖä" },
    { keys: "SHIFT+A SHIFT+B SHIFT+C SLASH 1 2 3 DOT 4 SHIFT+7 SHIFT+X ENTER", text: "ABC-123.4/X" },
    { keys: "I N F O ALTGR+2 E X DOT S E SPACE ALTGR+5 ENTER", text: "info@ex.se €" },
  ],
} as const;
