/**
 * What a fake printer answers to DLE EOT 1–4 for a scripted condition (the printer side of bridge/devices/status.ts,
 * written from the same Epson tables so a test of one is not a copy of the other), and a parser that finds the
 * DLE EOT requests in the bytes a fake receives.
 */

export interface ScriptedStatus {
  coverOpen?: boolean;
  paperNearEnd?: boolean;
  paperOut?: boolean;
  /** Pin 3 of the drawer kick-out connector high (an open drawer for most drawers). */
  drawerOpen?: boolean;
  autocutterError?: boolean;
}

const FIXED = 0b0001_0010; // bit 1 and bit 4 set, bits 0 and 7 clear

/** The replies to DLE EOT 1, 2, 3, 4 of a printer in that condition (offline whenever it cannot print). */
export function statusReplies(s: ScriptedStatus): [number, number, number, number] {
  const offline = Boolean(s.coverOpen || s.paperOut || s.autocutterError);
  const printer = FIXED | (s.drawerOpen ? 0x04 : 0) | (offline ? 0x08 : 0);
  const offlineCause = FIXED | (s.coverOpen ? 0x04 : 0) | (s.paperOut ? 0x20 : 0) | (s.autocutterError ? 0x40 : 0);
  const errorCause = FIXED | (s.autocutterError ? 0x08 : 0);
  // An empty roll has passed the near-end sensor too.
  const paper = FIXED | (s.paperNearEnd || s.paperOut ? 0x0c : 0) | (s.paperOut ? 0x60 : 0);
  return [printer, offlineCause, errorCause, paper];
}

/**
 * Splits what a printer receives into job bytes and DLE EOT requests, across chunk boundaries. (A real printer
 * cannot tell a DLE EOT inside binary data from a request either; the bridge never sends one inside a job.)
 */
export class DleEotParser {
  private pending: number[] = [];

  /** Feed received bytes; returns the job bytes among them and the requests (n) in order. */
  push(chunk: Uint8Array): { data: number[]; requests: number[] } {
    const data: number[] = [];
    const requests: number[] = [];
    for (const byte of chunk) {
      this.pending.push(byte);
      const [a, b, c] = this.pending;
      if (a !== 0x10) {
        data.push(...this.pending);
        this.pending = [];
      } else if (this.pending.length === 2 && b !== 0x04) {
        data.push(a);
        if (b === 0x10) this.pending = [b];
        else {
          data.push(b!);
          this.pending = [];
        }
      } else if (this.pending.length === 3) {
        if (c! >= 1 && c! <= 4) requests.push(c!);
        else data.push(...this.pending);
        this.pending = [];
      }
    }
    return { data, requests };
  }
}
