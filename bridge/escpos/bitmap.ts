/**
 * One-bit bitmaps for a printer's raster graphics (the receipt logo): read from a PBM file (P1 or P4, which any
 * image tool writes: `convert logo.png -resize 384x -monochrome logo.pbm`), or drawn from rows of text in tests.
 */

export interface MonoBitmap {
  /** In dots; at most the paper's printable width (profile.ts). */
  readonly width: number;
  readonly height: number;
  /**
   * Rows top to bottom, each `bytesPerRow(width)` bytes, the leftmost dot in the high bit, 1 for black: the layout
   * of PBM's P4 and of ESC/POS's GS v 0, so no conversion is needed either way.
   */
  readonly data: Uint8Array;
}

export const bytesPerRow = (width: number): number => Math.ceil(width / 8);

function checked(width: number, height: number, data: Uint8Array): MonoBitmap {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`a bitmap is at least 1 × 1 dots, not ${width} × ${height}`);
  }
  if (data.length !== bytesPerRow(width) * height) {
    throw new RangeError(`a ${width} × ${height} bitmap has ${bytesPerRow(width) * height} bytes, not ${data.length}`);
  }
  return { width, height, data };
}

/** A bitmap from rows of text: "#" (or "X", "1") black, "." (or " ", "0") white; rows of one length. */
export function bitmapFromRows(rows: readonly string[]): MonoBitmap {
  const width = rows[0]?.length ?? 0;
  const data = new Uint8Array(bytesPerRow(width) * rows.length);
  rows.forEach((row, y) => {
    if (row.length !== width) throw new RangeError(`bitmap row ${y} has ${row.length} dots, not ${width}`);
    [...row].forEach((dot, x) => {
      if ("#X1".includes(dot)) data[y * bytesPerRow(width) + (x >> 3)]! |= 0x80 >> (x & 7);
      else if (!". 0".includes(dot)) throw new RangeError(`bitmap row ${y} has "${dot}", neither a black dot (#) nor a white one (.)`);
    });
  });
  return checked(width, rows.length, data);
}

/** The bitmap as rows of "#" and "." (for tests and a decoded listing). */
export function bitmapRows(bitmap: MonoBitmap): string[] {
  const bpr = bytesPerRow(bitmap.width);
  return Array.from({ length: bitmap.height }, (_, y) =>
    Array.from({ length: bitmap.width }, (_, x) => ((bitmap.data[y * bpr + (x >> 3)]! & (0x80 >> (x & 7))) !== 0 ? "#" : ".")).join(""),
  );
}

const isSpace = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d);

/**
 * A PBM image: P4 (binary, rows packed as MonoBitmap's) or P1 (plain, "0" and "1" digits). Only the first image
 * of a file is read.
 */
export function parsePbm(bytes: Uint8Array): MonoBitmap {
  let at = 0;
  /** The next header token, after white space and # comments. */
  const token = (): string => {
    for (;;) {
      while (at < bytes.length && isSpace(bytes[at]!)) at++;
      if (bytes[at] !== 0x23) break;
      while (at < bytes.length && bytes[at] !== 0x0a && bytes[at] !== 0x0d) at++;
    }
    const start = at;
    while (at < bytes.length && !isSpace(bytes[at]!) && bytes[at] !== 0x23) at++;
    return String.fromCharCode(...bytes.subarray(start, at));
  };
  const magic = token();
  if (magic !== "P1" && magic !== "P4") throw new RangeError(`not a PBM image (it starts "${magic.slice(0, 8)}", not P1 or P4)`);
  const dimension = (name: string) => {
    const t = token();
    if (!/^[0-9]{1,5}$/.test(t)) throw new RangeError(`the PBM image's ${name} is "${t.slice(0, 8)}", not a number`);
    return Number(t);
  };
  const width = dimension("width");
  const height = dimension("height");
  const bpr = bytesPerRow(width);
  if (magic === "P4") {
    at++; // the single white space character that ends the header
    const data = bytes.slice(at, at + bpr * height);
    if (data.length < bpr * height) throw new RangeError(`the PBM image is cut short: ${data.length} of ${bpr * height} bytes`);
    // A row's padding bits are not part of the image, whatever the file has there; a printer would print them.
    const pad = 0xff << (bpr * 8 - width);
    if (width % 8 !== 0) for (let y = 0; y < height; y++) data[y * bpr + bpr - 1]! &= pad;
    return checked(width, height, data);
  }
  const data = new Uint8Array(bpr * height);
  for (let i = 0; i < width * height; i++) {
    while (at < bytes.length && isSpace(bytes[at]!)) at++;
    const digit = bytes[at++];
    if (digit !== 0x30 && digit !== 0x31) throw new RangeError(`the PBM image is cut short or has a "${String.fromCharCode(digit ?? 0x3f)}" among its dots`);
    const x = i % width;
    if (digit === 0x31) data[Math.floor(i / width) * bpr + (x >> 3)]! |= 0x80 >> (x & 7);
  }
  return checked(width, height, data);
}
