/**
 * Real-time status of an ESC/POS printer: the DLE EOT n requests (10 04 n) and the decoding of their one-byte
 * replies.
 *
 * Bit meanings are those of Epson's ESC/POS command reference, "DLE EOT: Transmit real-time status"
 * (download4.epson.biz/sec_pubs/pos/reference_en/escpos/dle_eot.html), as the TM-T88 technical reference prints
 * them; Bixolon/Samsung, Citizen and CBM printers document the same layout:
 *
 *   every reply     bit 0 = 0, bit 1 = 1, bit 4 = 1, bit 7 = 0 (the fixed pattern 0xx1xx10 that tells a status
 *                   byte from anything else on the line, e.g. XON/XOFF or Automatic Status Back)
 *   n = 1 printer   bit 2: drawer kick-out connector pin 3 is HIGH; bit 3: offline;
 *                   bit 5: waiting for online recovery; bit 6: paper feed button pressed
 *   n = 2 offline   bit 2: cover open; bit 3: paper being fed by the feed button;
 *                   bit 5: printing stopped by a paper end; bit 6: an error occurred
 *   n = 3 error     bit 2: recoverable error; bit 3: autocutter error; bit 5: unrecoverable error;
 *                   bit 6: automatically recoverable error (e.g. head overheated, cover opened while printing)
 *   n = 4 paper     bits 2,3: roll paper near-end sensor reports near end;
 *                   bits 5,6: roll paper end sensor reports no paper
 *
 * Which pin-3 level means "drawer open" depends on the drawer's switch, so it is configurable
 * (`drawerOpenLevel`); most drawers pull pin 3 high when open.
 */

/** The four real-time status requests: printer, offline cause, error cause, roll paper sensor. */
export type StatusRequest = 1 | 2 | 3 | 4;
export const STATUS_REQUESTS: readonly StatusRequest[] = [1, 2, 3, 4];

export const DLE = 0x10;
export const EOT = 0x04;

/** The bytes of DLE EOT n. */
export function statusQuery(n: StatusRequest): Uint8Array {
  return Uint8Array.of(DLE, EOT, n);
}

/** Whether a byte has the fixed pattern of a DLE EOT reply (0xx1xx10). */
export function isStatusByte(byte: number): boolean {
  return (byte & 0b1001_0011) === 0b0001_0010;
}

export type PrinterErrorCause = "recoverable" | "autocutter" | "unrecoverable" | "auto-recoverable";

export interface PrinterStatus {
  /** DLE EOT 1 bit 3 clear. */
  online: boolean;
  /** DLE EOT 2 bit 2. */
  coverOpen: boolean;
  /** DLE EOT 4 bits 2/3 (the near-end sensor). */
  paperNearEnd: boolean;
  /** DLE EOT 4 bits 5/6 (the paper end sensor), or DLE EOT 2 bit 5 (printing stopped by a paper end). */
  paperOut: boolean;
  /** DLE EOT 1 bit 2, read with the configured level for "open". */
  drawerOpen: boolean;
  /** DLE EOT 2 bit 6, or any cause in DLE EOT 3. */
  error: boolean;
  /** What DLE EOT 3 names. */
  errorCauses: PrinterErrorCause[];
  /** The replies to DLE EOT 1–4, as they came (for logs). */
  raw: [number, number, number, number];
}

export type DrawerOpenLevel = "high" | "low";

const bit = (byte: number, n: number) => (byte & (1 << n)) !== 0;

export class StatusDecodeError extends Error {
  constructor(n: StatusRequest, byte: number) {
    super(`DLE EOT ${n} answered 0x${byte.toString(16).padStart(2, "0")}, which is not a status byte (0xx1xx10)`);
    this.name = "StatusDecodeError";
  }
}

/** Decode the replies to DLE EOT 1, 2, 3 and 4 (in that order). */
export function decodeStatus(
  replies: readonly [number, number, number, number],
  drawerOpenLevel: DrawerOpenLevel = "high",
): PrinterStatus {
  replies.forEach((byte, i) => {
    if (!isStatusByte(byte)) throw new StatusDecodeError((i + 1) as StatusRequest, byte);
  });
  const [printer, offline, error, paper] = replies;
  const errorCauses: PrinterErrorCause[] = [];
  if (bit(error, 2)) errorCauses.push("recoverable");
  if (bit(error, 3)) errorCauses.push("autocutter");
  if (bit(error, 5)) errorCauses.push("unrecoverable");
  if (bit(error, 6)) errorCauses.push("auto-recoverable");
  const pin3High = bit(printer, 2);
  return {
    online: !bit(printer, 3),
    coverOpen: bit(offline, 2),
    paperNearEnd: bit(paper, 2) || bit(paper, 3),
    paperOut: bit(paper, 5) || bit(paper, 6) || bit(offline, 5),
    drawerOpen: drawerOpenLevel === "high" ? pin3High : !pin3High,
    error: bit(offline, 6) || errorCauses.length > 0,
    errorCauses,
    raw: [printer, offline, error, paper],
  };
}

/** Whether two statuses say the same (the raw bytes decide: a change in any bit is a change). */
export function sameStatus(a: PrinterStatus | undefined, b: PrinterStatus | undefined): boolean {
  if (!a || !b) return a === b;
  return a.raw.every((byte, i) => byte === b.raw[i]) && a.drawerOpen === b.drawerOpen;
}
