/**
 * An ESC/POS decoder for the tests: bytes in, meaning out.
 *
 *   decodeEscpos(bytes) → [{ op: "init" }, { op: "codePage", n: 19 },
 *                          { op: "text", text: "Smörgås 25,00 €", bold: true, align: "center" }, …,
 *                          { op: "qr", data: "pos:sale/…", … }, { op: "cut", partial: true }]
 *
 * It knows the commands the bridge sends and nothing else: any other byte or sequence (a control character in
 * text, a command it does not know, a command cut short, a parameter out of range) throws, naming the offset, so
 * a stray command in a product name cannot hide in a byte dump. Text is decoded through the code page last
 * selected (ESC t n, by Epson's numbering unless told otherwise) with iconv-lite, independently of the bridge's
 * own encoder; a byte the code page has no character for throws too. The style state (bold, alignment,
 * character size) is tracked and carried on each text op.
 */
import iconv from "iconv-lite";

export type Align = "left" | "center" | "right";
export type Hri = "none" | "above" | "below" | "both";
export type QrErrorCorrection = "L" | "M" | "Q" | "H";

export type EscposOp =
  | { op: "init" }
  | { op: "codePage"; n: number }
  /** A line of text ended by LF; `partial` when a command came before the LF. `width`/`height` only when not 1. */
  | { op: "text"; text: string; bold: boolean; align: Align; width?: number; height?: number; partial?: true }
  | { op: "feed"; lines: number }
  /** A raster image (GS v 0), its rows as "#" (black) and "." (white). */
  | { op: "image"; width: number; height: number; rows: string[] }
  | { op: "barcode"; type: "CODE128"; data: string; height: number; moduleWidth: number; hri: Hri }
  | { op: "qr"; data: string; model: number; moduleSize: number; errorCorrection: QrErrorCorrection }
  | { op: "cut"; partial: boolean }
  | { op: "drawer"; pin: 2 | 5; onMs: number; offMs: number };

/** Epson's ESC t numbers for the tables iconv-lite knows. */
export const EPSON_CODE_PAGES: Readonly<Record<number, string>> = {
  0: "cp437",
  2: "cp850",
  3: "cp860",
  4: "cp863",
  5: "cp865",
  16: "cp1252",
  17: "cp866",
  18: "cp852",
  19: "cp858",
};

export class EscposDecodeError extends Error {
  override name = "EscposDecodeError";
}

export interface DecodeOptions {
  /** ESC t n → iconv-lite's name of the table, for a printer that numbers its tables otherwise. */
  readonly codePages?: Readonly<Record<number, string>>;
}

const hex = (b: number | undefined) => (b === undefined ? "end of data" : `0x${b.toString(16).padStart(2, "0")}`);

export function decodeEscpos(input: Uint8Array, options: DecodeOptions = {}): EscposOp[] {
  const codePages = options.codePages ?? EPSON_CODE_PAGES;
  const bytes = input;
  const ops: EscposOp[] = [];
  let at = 0;

  const fresh = () => ({
    bold: false,
    align: "left" as Align,
    width: 1,
    height: 1,
    codePage: 0,
    barcode: { height: 162, moduleWidth: 3, hri: "none" as Hri },
    qr: { model: 2, moduleSize: 3, errorCorrection: "L" as QrErrorCorrection, data: null as Uint8Array | null },
  });
  let state = fresh();
  let pending: number[] = [];
  let pendingAt = 0;

  const fail = (message: string, offset = at): never => {
    const before = new TextDecoder("latin1").decode(bytes.subarray(Math.max(0, offset - 16), offset)).replace(/[^\x20-\x7e]/g, ".");
    throw new EscposDecodeError(`ESC/POS at offset ${offset}: ${message} (after "${before}")`);
  };
  const byte = (what: string): number => {
    const b = bytes[at];
    if (b === undefined) fail(`${what} is cut short`);
    at++;
    return b!;
  };
  const take = (n: number, what: string): Uint8Array => {
    if (at + n > bytes.length) fail(`${what} is cut short: ${bytes.length - at} of ${n} bytes`);
    const out = bytes.subarray(at, at + n);
    at += n;
    return out;
  };

  const decodeText = (raw: number[], offset: number): string => {
    const table = codePages[state.codePage];
    return raw
      .map((b, i) => {
        if (b < 0x80) return String.fromCharCode(b);
        if (table === undefined) fail(`byte ${hex(b)} in text, in code page ${state.codePage}, which this decoder does not know`, offset + i);
        const char = iconv.decode(Buffer.of(b), table!);
        if (char === "\uFFFD") fail(`byte ${hex(b)} has no character in ${table}`, offset + i);
        return char;
      })
      .join("");
  };
  const textOp = (raw: number[], offset: number, partial: boolean): EscposOp => ({
    op: "text",
    text: decodeText(raw, offset),
    bold: state.bold,
    align: state.align,
    ...(state.width !== 1 ? { width: state.width } : {}),
    ...(state.height !== 1 ? { height: state.height } : {}),
    ...(partial ? { partial: true as const } : {}),
  });
  /** Text not yet ended by LF when a command comes: a partial line, in the style it was sent in. */
  const flush = () => {
    if (pending.length > 0) ops.push(textOp(pending, pendingAt, true));
    pending = [];
  };

  const esc = (start: number) => {
    const c = byte("ESC's command");
    switch (c) {
      case 0x40: // @
        state = fresh();
        return ops.push({ op: "init" });
      case 0x74: {
        // t n
        const n = byte("ESC t");
        if (codePages[n] === undefined) fail(`ESC t ${n}: a code page this decoder does not know`, start);
        state.codePage = n;
        return ops.push({ op: "codePage", n });
      }
      case 0x45: // E n
        state.bold = (byte("ESC E") & 1) === 1;
        return;
      case 0x61: {
        // a n
        const n = byte("ESC a");
        const align = ({ 0: "left", 48: "left", 1: "center", 49: "center", 2: "right", 50: "right" } as Record<number, Align>)[n];
        if (align === undefined) fail(`ESC a ${n}: not an alignment`, start);
        state.align = align!;
        return;
      }
      case 0x64: // d n
        return ops.push({ op: "feed", lines: byte("ESC d") });
      case 0x70: {
        // p m t1 t2
        const m = byte("ESC p");
        const pin = ({ 0: 2, 48: 2, 1: 5, 49: 5 } as Record<number, 2 | 5>)[m];
        if (pin === undefined) fail(`ESC p ${m}: not a drawer pin`, start);
        const t1 = byte("ESC p");
        const t2 = byte("ESC p");
        return ops.push({ op: "drawer", pin: pin!, onMs: t1 * 2, offMs: t2 * 2 });
      }
      default:
        return fail(`ESC ${hex(c)}: a command this decoder does not know`, start);
    }
  };

  const qr = (start: number) => {
    const pL = byte("GS ( k");
    const pH = byte("GS ( k");
    const length = pL + pH * 256;
    const body = take(length, "GS ( k");
    const [cn, fn, ...rest] = body;
    if (cn !== 49) fail(`GS ( k with cn ${hex(cn)}: only QR codes (49) are known`, start);
    const params = (n: number) => {
      if (rest.length !== n) fail(`GS ( k function ${fn} takes ${n} parameter bytes, not ${rest.length}`, start);
      return rest;
    };
    switch (fn) {
      case 65: {
        const [n1, n2] = params(2);
        const model = ({ 49: 1, 50: 2, 51: 3 } as Record<number, number>)[n1!];
        if (model === undefined || n2 !== 0) fail(`GS ( k QR model ${n1} ${n2}: not a QR model`, start);
        state.qr.model = model!;
        return;
      }
      case 67: {
        const [n] = params(1);
        if (n! < 1 || n! > 16) fail(`GS ( k QR module size ${n}: 1 to 16`, start);
        state.qr.moduleSize = n!;
        return;
      }
      case 69: {
        const [n] = params(1);
        const level = ({ 48: "L", 49: "M", 50: "Q", 51: "H" } as Record<number, QrErrorCorrection>)[n!];
        if (level === undefined) fail(`GS ( k QR error correction ${n}: not a level`, start);
        state.qr.errorCorrection = level!;
        return;
      }
      case 80: {
        if (rest[0] !== 48) fail(`GS ( k QR store with m ${hex(rest[0])}, not 48`, start);
        if (rest.length < 2) fail("GS ( k QR store with no data", start);
        state.qr.data = Uint8Array.from(rest.slice(1));
        return;
      }
      case 81: {
        const [m] = params(1);
        if (m !== 48) fail(`GS ( k QR print with m ${m}, not 48`, start);
        if (state.qr.data === null) fail("GS ( k QR print with no data stored", start);
        const { data, ...settings } = state.qr;
        const text = new TextDecoder("utf-8", { fatal: true }).decode(data!);
        return ops.push({ op: "qr", data: text, model: settings.model, moduleSize: settings.moduleSize, errorCorrection: settings.errorCorrection });
      }
      default:
        return fail(`GS ( k QR function ${fn}: not one this decoder knows`, start);
    }
  };

  const barcode = (start: number) => {
    const m = byte("GS k");
    if (m !== 73) fail(`GS k ${m}: only CODE128 (73) is known`, start);
    const n = byte("GS k");
    const data = [...take(n, "GS k 73")];
    if (data[0] !== 0x7b || data[1] !== 0x42) fail(`GS k 73 data that does not start with "{B" (code set B)`, start);
    let text = "";
    for (let i = 2; i < data.length; i++) {
      const b = data[i]!;
      if (b < 0x20 || b > 0x7e) fail(`GS k 73 data byte ${hex(b)}: not in code set B`, start);
      if (b === 0x7b) {
        if (data[i + 1] !== 0x7b) fail(`GS k 73 code "{${String.fromCharCode(data[i + 1] ?? 0x3f)}": only "{{" is known after "{B"`, start);
        i++;
      }
      text += String.fromCharCode(b);
    }
    if (text === "") fail("GS k 73 with no data", start);
    return ops.push({ op: "barcode", type: "CODE128", data: text, ...state.barcode });
  };

  const gs = (start: number) => {
    const c = byte("GS's command");
    switch (c) {
      case 0x21: {
        // ! n
        const n = byte("GS !");
        state.width = (n >> 4) + 1;
        state.height = (n & 0x0f) + 1;
        if (state.width > 8 || state.height > 8) fail(`GS ! ${hex(n)}: not a character size`, start);
        return;
      }
      case 0x56: {
        // V m
        const m = byte("GS V");
        const partial = ({ 0: false, 48: false, 1: true, 49: true } as Record<number, boolean>)[m];
        if (partial === undefined) fail(`GS V ${m}: a cut this decoder does not know`, start);
        return ops.push({ op: "cut", partial: partial! });
      }
      case 0x76: {
        // v 0 m xL xH yL yH d…
        if (byte("GS v") !== 0x30) fail("GS v not followed by 0", start);
        const m = byte("GS v 0");
        if (m !== 0 && m !== 48) fail(`GS v 0 with mode ${m}: only normal size (0) is known`, start);
        const x = byte("GS v 0") + byte("GS v 0") * 256;
        const y = byte("GS v 0") + byte("GS v 0") * 256;
        if (x < 1 || y < 1) fail(`GS v 0 of ${x} bytes × ${y} rows`, start);
        const data = take(x * y, "GS v 0's image");
        const rows = Array.from({ length: y }, (_, r) =>
          Array.from({ length: x * 8 }, (_, d) => ((data[r * x + (d >> 3)]! & (0x80 >> (d & 7))) !== 0 ? "#" : ".")).join(""),
        );
        return ops.push({ op: "image", width: x * 8, height: y, rows });
      }
      case 0x68: // h n
        state.barcode.height = byte("GS h");
        if (state.barcode.height < 1) fail("GS h 0: a barcode is at least one dot high", start);
        return;
      case 0x77: {
        // w n
        const n = byte("GS w");
        if (n < 1 || n > 6) fail(`GS w ${n}: a module is 1 to 6 dots`, start);
        state.barcode.moduleWidth = n;
        return;
      }
      case 0x48: {
        // H n
        const n = byte("GS H");
        const hri = ({ 0: "none", 48: "none", 1: "above", 49: "above", 2: "below", 50: "below", 3: "both", 51: "both" } as Record<number, Hri>)[n];
        if (hri === undefined) fail(`GS H ${n}: not an HRI position`, start);
        state.barcode.hri = hri!;
        return;
      }
      case 0x6b:
        return barcode(start);
      case 0x28: {
        if (byte("GS (") !== 0x6b) fail("GS ( followed by other than k", start);
        return qr(start);
      }
      default:
        return fail(`GS ${hex(c)}: a command this decoder does not know`, start);
    }
  };

  while (at < bytes.length) {
    const start = at;
    const b = bytes[at++]!;
    if ((b >= 0x20 && b < 0x7f) || b >= 0x80) {
      if (pending.length === 0) pendingAt = start;
      pending.push(b);
    } else if (b === 0x0a) {
      if (pending.length > 0) ops.push(textOp(pending, pendingAt, false));
      else ops.push({ op: "feed", lines: 1 });
      pending = [];
    } else if (b === 0x1b) {
      flush();
      esc(start);
    } else if (b === 0x1d) {
      flush();
      gs(start);
    } else {
      fail(`control byte ${hex(b)}: not a command this decoder knows`, start);
    }
  }
  flush();
  return ops;
}

/** The text ops' texts, in order. */
export const textsOf = (ops: readonly EscposOp[]): string[] => ops.flatMap((o) => (o.op === "text" ? [o.text] : []));

/** One line per op, as a person reads a receipt's bytes (the golden files' listings). */
export function describeEscpos(ops: readonly EscposOp[]): string {
  return ops
    .flatMap((o): string[] => {
      switch (o.op) {
        case "text": {
          const style = [o.align !== "left" ? o.align : "", o.bold ? "bold" : "", o.width ? `${o.width}w` : "", o.height ? `${o.height}h` : "", o.partial ? "partial" : ""].filter(Boolean);
          // A no-break space (or any space but the plain one) is written out: it looks like a space and is not one.
          const text = JSON.stringify(o.text).replace(/[^\S ]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`);
          return [`text${style.length ? ` [${style.join(" ")}]` : ""} ${text}`];
        }
        case "image":
          return [`image ${o.width}×${o.height}`, ...o.rows.map((r) => `  ${r}`)];
        case "barcode":
          return [`barcode ${o.type} ${JSON.stringify(o.data)} (height ${o.height}, module ${o.moduleWidth}, HRI ${o.hri})`];
        case "qr":
          return [`qr ${JSON.stringify(o.data)} (model ${o.model}, module ${o.moduleSize}, level ${o.errorCorrection})`];
        case "codePage":
          return [`codePage ${o.n} (${EPSON_CODE_PAGES[o.n] ?? "?"})`];
        case "feed":
          return [`feed ${o.lines}`];
        case "cut":
          return [`cut ${o.partial ? "partial" : "full"}`];
        case "drawer":
          return [`drawer pin ${o.pin} on ${o.onMs} ms off ${o.offMs} ms`];
        case "init":
          return ["init"];
      }
    })
    .map((l) => `${l}\n`)
    .join("");
}
