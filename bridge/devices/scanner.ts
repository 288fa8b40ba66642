/**
 * What the rest of the bridge sees of a barcode scanner: `scan` events with the decoded text. A scanner keeps
 * itself open the way a printer does: when its device goes away (unplugged, helper ended) it says `disconnected`
 * and reopens with backoff and jitter; each failed open is a `warning`.
 */
import { EventEmitter } from "node:events";
import { Backoff, type BackoffOptions, Wakeable } from "./backoff";

export interface Scan {
  text: string;
  /** The scanner's id from the config. */
  scannerId: string;
  /** When the scan was read (ms since the epoch). */
  at: number;
}

export interface ScannerEvents {
  scan: [scan: Scan];
  connected: [];
  disconnected: [reason: string];
  /** Something worth a log line that stops nothing (a failed open, a scanner that is not grabbed). */
  warning: [message: string];
}

export interface Scanner extends EventEmitter<ScannerEvents> {
  readonly id: string;
  readonly connected: boolean;
  close(): Promise<void>;
}

/** An open scanner device. */
export interface ScannerSource {
  /** Resolves with the reason when the device goes away by itself. */
  readonly lost: Promise<string>;
  close(): Promise<void>;
}

export interface SourceSink {
  /** A complete scan's text. */
  text(text: string): void;
  warn(message: string): void;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The reopen loop every scanner shares; a kind of scanner supplies `open`. */
export abstract class ReopeningScanner extends EventEmitter<ScannerEvents> implements Scanner {
  private source: ScannerSource | undefined;
  private closed = false;
  private readonly wake = new Wakeable();
  private readonly backoff: Backoff;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private signalClosed: () => void = () => undefined;
  private readonly closing = new Promise<string>((resolve) => {
    this.signalClosed = () => resolve("closed");
  });

  constructor(
    readonly id: string,
    backoff?: BackoffOptions,
  ) {
    super();
    this.backoff = new Backoff(backoff);
  }

  get connected(): boolean {
    return this.source !== undefined;
  }

  /** Open the device; resolves once it is ready to deliver scans. `signal` aborts an open still under way. */
  protected abstract open(sink: SourceSink, signal: AbortSignal): Promise<ScannerSource>;

  /** Start the reopen loop (subclasses call it at the end of their constructor). */
  protected start(): void {
    this.running ??= this.run();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake.cancel();
    this.abort.abort();
    this.signalClosed();
    const source = this.source;
    this.source = undefined;
    await source?.close().catch(() => undefined);
    await this.running;
  }


  private async run(): Promise<void> {
    const sink: SourceSink = {
      text: (text) => {
        if (!this.closed) this.emit("scan", { text, scannerId: this.id, at: Date.now() } satisfies Scan);
      },
      warn: (warning) => this.emit("warning", warning),
    };
    while (!this.closed) {
      let source: ScannerSource;
      try {
        source = await this.open(sink, this.abort.signal);
      } catch (e) {
        if (this.closed) break;
        this.emit("warning", `scanner ${this.id}: cannot open: ${message(e)}`);
        await this.wake.sleep(this.backoff.next());
        continue;
      }
      if (this.closed) {
        await source.close().catch(() => undefined);
        break;
      }
      this.source = source;
      this.backoff.reset();
      this.emit("connected");
      const reason = await Promise.race([source.lost, this.closing]);
      if (this.closed) break;
      this.source = undefined;
      await source.close().catch(() => undefined);
      this.emit("disconnected", reason);
      await this.wake.sleep(this.backoff.next());
    }
  }
}
