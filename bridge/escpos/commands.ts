/**
 * The ESC/POS commands escpos-buffer does not build (or builds otherwise than we need), as bytes:
 *
 *   ESC @             initialise: every job starts with it, so nothing a job before left set (bold, a code page,
 *                     double size) carries over
 *   GS V m            cut: escpos-buffer's Epson profile sends ESC m, a partial cut, whatever was asked
 *   GS v 0            raster graphics: escpos-buffer draws with ESC *, in 24-dot bands
 *   GS h, GS w, GS H, GS k 73   a CODE128 barcode: escpos-buffer has no 1-D barcodes
 *   ESC p m t1 t2     a drawer kick, for a job that names no printer model (escpos-buffer's is per model)
 *
 * Command reference: Epson's ESC/POS Command Reference for TM printers.
 */
import { bytesPerRow, type MonoBitmap } from "./bitmap";

export const LF = 0x0a;
export const ESC = 0x1b;
export const GS = 0x1d;

export const INIT = Uint8Array.of(ESC, 0x40);

/** GS V 0 (full) or GS V 1 (partial): cut at the current position. */
export const cutCommand = (mode: "partial" | "full"): Uint8Array => Uint8Array.of(GS, 0x56, mode === "partial" ? 1 : 0);

/** GS v 0 m=0 (normal size): the bitmap, as it is laid out in MonoBitmap. */
export function rasterCommand(bitmap: MonoBitmap): Uint8Array {
  const x = bytesPerRow(bitmap.width);
  const y = bitmap.height;
  return Uint8Array.of(GS, 0x76, 0x30, 0, x & 0xff, x >> 8, y & 0xff, y >> 8, ...bitmap.data);
}

/** A drawer pulse: ESC p m t1 t2, pin 2 is m = 0 and pin 5 is m = 1, times in units of 2 ms (1 to 255). */
export function drawerCommand(pin: 2 | 5, onMs: number, offMs: number): Uint8Array {
  if (pin !== 2 && pin !== 5) throw new RangeError(`a cash drawer is on pin 2 or 5, not ${String(pin)}`);
  const units = (ms: number, name: string) => {
    if (typeof ms !== "number" || !Number.isFinite(ms)) throw new RangeError(`the drawer pulse's ${name} is a number of milliseconds, not ${String(ms)}`);
    return Math.min(255, Math.max(1, Math.round(ms / 2)));
  };
  return Uint8Array.of(ESC, 0x70, pin === 2 ? 0 : 1, units(onMs, "onMs"), units(offMs, "offMs"));
}

export interface BarcodeOptions {
  /** The paper's printable width in dots: the barcode's modules are made as wide as fits, two dots or one. */
  readonly dots: number;
  /** In dots. */
  readonly height?: number;
}

/** CODE128's modules for `symbols` data characters: start, the data, the check character (11 each), stop (13). */
const code128Modules = (symbols: number) => 11 * (symbols + 2) + 13;
/** The quiet zone a scanner needs on each side, in modules. */
const QUIET_ZONE = 10;

/**
 * A CODE128 barcode of `data` in code set B, its text printed below it (HRI): GS h, GS w, GS H, then GS k 73 n
 * "{B" data (a "{" in the data is sent as "{{"). Null when the data cannot be a barcode here: a character outside
 * printable ASCII, more than GS k's 255 bytes, or wider than the paper even with modules one dot wide.
 */
export function code128Command(data: string, options: BarcodeOptions): Uint8Array | null {
  if (data === "" || !/^[\x20-\x7e]+$/.test(data)) return null;
  const payload = [..."{B", ...data.replace(/\{/g, "{{")].map((c) => c.charCodeAt(0));
  if (payload.length > 255) return null;
  const modules = code128Modules(data.length) + 2 * QUIET_ZONE;
  const moduleWidth = [2, 1].find((w) => modules * w <= options.dots);
  if (moduleWidth === undefined) return null;
  const height = Math.min(255, Math.max(1, options.height ?? 64));
  return Uint8Array.of(GS, 0x68, height, GS, 0x77, moduleWidth, GS, 0x48, 2, GS, 0x6b, 73, payload.length, ...payload);
}
