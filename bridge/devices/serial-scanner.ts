/**
 * Serial and USB-CDC barcode scanners (/dev/serial/by-id/…, /dev/ttyACM0) through `serialport`: the scanner
 * sends each barcode followed by its configured suffix (CR by default on most scanners, or CR LF, LF, Tab).
 * Line ends around a scan are trimmed, so a CR LF scanner read with terminator "\r" still gives clean scans.
 */
import type { BackoffOptions } from "./backoff";
import { ReopeningScanner, type ScannerSource, type SourceSink } from "./scanner";

/** The part of serialport's SerialPortStream the scanner uses. */
export interface SerialPortLike {
  readonly isOpen: boolean;
  open(callback: (error: Error | null) => void): void;
  close(callback?: (error: Error | null) => void): void;
  on(event: "data", listener: (chunk: Buffer) => void): this;
  on(event: "close", listener: (error?: Error | null) => void): this;
  on(event: "error", listener: (error: Error) => void): this;
}

export type OpenSerialPort = (options: { path: string; baudRate: number; autoOpen: false }) => SerialPortLike | Promise<SerialPortLike>;

export interface SerialScannerOptions {
  id: string;
  /** Best a /dev/serial/by-id/… path (stable across replugs). */
  path: string;
  baudRate?: number;
  /** What ends a scan: "\r" (default), "\r\n", "\n", "\t" or any other string. */
  terminator?: string;
  encoding?: "utf8" | "latin1";
  /** Longest scan (the hub's scan message takes 512 characters); a longer one is dropped whole, never cut. */
  maxLength?: number;
  /** Creates the port (serialport's SerialPort by default; tests pass a fake). */
  openPort?: OpenSerialPort;
  backoff?: BackoffOptions;
}

const systemSerialPort: OpenSerialPort = async (options) => {
  const { SerialPort } = await import("serialport");
  return new SerialPort(options);
};

export class SerialScanner extends ReopeningScanner {
  constructor(private readonly options: SerialScannerOptions) {
    super(options.id, options.backoff);
    this.start();
  }

  protected async open(sink: SourceSink): Promise<ScannerSource> {
    const { path, baudRate = 9600, terminator = "\r", encoding = "utf8", maxLength = 512 } = this.options;
    const port = await (this.options.openPort ?? systemSerialPort)({ path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    const end = Buffer.from(terminator, encoding);
    let pending = Buffer.alloc(0);
    let overflow = false; // the scan under way is too long: skip to its terminator
    port.on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (let at = pending.indexOf(end); at >= 0; at = pending.indexOf(end)) {
        const text = pending.subarray(0, at).toString(encoding).replace(/^[\r\n]+|[\r\n]+$/g, "");
        pending = pending.subarray(at + end.length);
        if (text.length > 0 && text.length <= maxLength && !overflow) sink.text(text);
        overflow = false;
      }
      if (pending.length > 4 * maxLength) {
        pending = pending.subarray(pending.length - end.length + 1); // keep what may start the terminator
        overflow = true;
      }
    });
    const lost = new Promise<string>((resolve) => {
      port.on("close", (e) => resolve(e ? `${path}: ${e.message}` : `${path} was closed`));
      port.on("error", (e) => resolve(`${path}: ${e.message}`));
    });
    return {
      lost,
      close: () =>
        new Promise<void>((resolve) => {
          if (!port.isOpen) resolve();
          else port.close(() => resolve());
        }),
    };
  }
}

export function openSerialScanner(options: SerialScannerOptions): SerialScanner {
  return new SerialScanner(options);
}
