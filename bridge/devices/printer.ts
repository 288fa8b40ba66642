/**
 * What the rest of the bridge sees of a receipt printer, whatever its transport (TCP port 9100 or USB).
 *
 * A printer is opened from config by stable identity and keeps itself connected: it reconnects by itself with
 * backoff and jitter after a drop, an unplug or a power cycle, polls its real-time status (DLE EOT 1–4) when idle
 * and after each job, and says so through its events. Nothing here retries a job: a write either reached the
 * printer whole, or it rejects and says whether any byte may have reached it (the relay decides what follows).
 */
import type { EventEmitter } from "node:events";
import type { PrinterStatus } from "./status";

export type { DrawerOpenLevel, PrinterErrorCause, PrinterStatus } from "./status";

/** A printer's stable identity in the bridge's config: never a bus address or a device path. */
export type PrinterIdentity =
  | { type: "tcp"; host: string; port: number }
  | { type: "usb"; vendorId: number; productId: number; serial?: string };

export function describeIdentity(identity: PrinterIdentity): string {
  if (identity.type === "tcp") return `tcp://${identity.host}:${identity.port}`;
  const hex = (n: number) => n.toString(16).padStart(4, "0");
  return `usb:${hex(identity.vendorId)}:${hex(identity.productId)}${identity.serial ? `:${identity.serial}` : ""}`;
}

export interface PrinterEvents {
  /** The link is up and its first status has been read. */
  connected: [];
  /** The link is gone (dropped, stalled, unplugged, powered off); the printer is already reconnecting. */
  disconnected: [reason: string];
  /** A status that differs from the last one (the first status after each connect counts as a change). */
  status: [status: PrinterStatus];
  /** While not connected: a connection attempt failed for a reason other than the last one's (see `problem`). */
  problem: [reason: string];
}

/** Events: `connected`, `disconnected` (reason), `status` (PrinterStatus); see PrinterEvents. */
export interface Printer extends EventEmitter<PrinterEvents> {
  readonly identity: PrinterIdentity;
  readonly connected: boolean;
  /** The last status read, or undefined while none has been read on the current link. */
  readonly lastStatus: PrinterStatus | undefined;
  /** While not connected: why (the last attempt's error, or how the link was lost); undefined when connected. */
  readonly problem: string | undefined;
  /**
   * Send a job's bytes. Resolves once every byte was handed to the transport and the printer confirmed receipt
   * (its answer to the status request sent after them, which also becomes the current status). Rejects with a
   * PrinterWriteError whose `mayHavePrinted` says whether any byte may have reached the printer.
   */
  write(bytes: Uint8Array): Promise<void>;
  /** Read the status now (DLE EOT 1–4). Rejects with a PrinterError when the printer cannot answer. */
  status(): Promise<PrinterStatus>;
  /** Resolves at the next `connected` (at once when connected); rejects when closed. */
  whenConnected(): Promise<void>;
  /** Stop reconnecting and polling, and release the device. Pending writes reject. */
  close(): Promise<void>;
}

export type PrinterErrorCode =
  /** Not connected right now (the printer is reconnecting by itself). */
  | "disconnected"
  /** close() was called. */
  | "closed"
  /** The printer stopped answering or taking bytes in time. */
  | "timeout"
  /** The link failed (connection reset, USB transfer error, unplugged). */
  | "io"
  /** The printer cannot report status (a USB printer without a bulk IN endpoint). */
  | "unsupported";

export class PrinterError extends Error {
  constructor(
    readonly code: PrinterErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "PrinterError";
  }
}

/**
 * A job that did not go through. `mayHavePrinted` is false only when no byte of it can have reached the printer
 * (it was never handed to the transport); otherwise the job may have partly printed and must not be resent
 * automatically.
 */
export class PrinterWriteError extends PrinterError {
  constructor(
    code: PrinterErrorCode,
    readonly mayHavePrinted: boolean,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      code,
      mayHavePrinted
        ? `${reason}; the job may have partly printed`
        : `${reason}; nothing was sent to the printer`,
      options,
    );
    this.name = "PrinterWriteError";
  }
}
