/**
 * The part of a printer that is the same for every transport: keep a link up (reconnect with backoff and jitter),
 * run jobs and status reads one at a time on it, poll the status when idle and after each job, and turn link
 * failures into `disconnected` and typed errors. A transport only supplies `connect()` and a PrinterLink.
 */
import { EventEmitter } from "node:events";
import { Backoff, type BackoffOptions, Wakeable } from "./backoff";
import {
  describeIdentity,
  type Printer,
  PrinterError,
  type PrinterEvents,
  type PrinterIdentity,
  PrinterWriteError,
} from "./printer";
import { decodeStatus, type DrawerOpenLevel, type PrinterStatus, sameStatus, STATUS_REQUESTS, type StatusRequest } from "./status";

/** One open connection to a printer. */
export interface PrinterLink {
  /** Whether `request` can work (a USB printer without a bulk IN endpoint cannot answer). */
  readonly canReadStatus: boolean;
  /**
   * Hand bytes to the printer; `timeoutMs` bounds each step of progress (a printer that stops taking bytes for
   * that long has stalled). Rejects with a LinkError.
   */
  send(bytes: Uint8Array, timeoutMs: number): Promise<void>;
  /** Send DLE EOT n and read its one-byte reply. Rejects with a LinkError. */
  request(n: StatusRequest, timeoutMs: number): Promise<number>;
  /** Register for the link's own death (a drop, an unplug); not called after close(). */
  onLost(listener: (reason: string) => void): void;
  close(): Promise<void>;
}

export class LinkError extends Error {
  constructor(
    readonly code: "timeout" | "io",
    /** Whether any byte of the failed send may have left for the printer. */
    readonly sentAny: boolean,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "LinkError";
  }
}

export interface PrinterTimings {
  /** Status poll while idle (ms). */
  pollIntervalMs?: number;
  /** Wait for each DLE EOT reply (ms). */
  statusTimeoutMs?: number;
  /** Longest a printer may take no bytes in the middle of a job before it counts as stalled (ms). */
  writeTimeoutMs?: number;
  backoff?: BackoffOptions;
}

export interface ManagedPrinterOptions extends PrinterTimings {
  drawerOpenLevel?: DrawerOpenLevel;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class ManagedPrinter extends EventEmitter<PrinterEvents> implements Printer {
  private link: PrinterLink | undefined;
  private drop: ((reason: string) => void) | undefined;
  private closed = false;
  private current: PrinterStatus | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  /** Why the printer is not connected: undefined until a first attempt fails (or while connected, its last drop). */
  private lastProblem: string | undefined;
  private readonly closeWaiters = new Set<() => void>();
  private readonly wake = new Wakeable();
  private readonly backoff: Backoff;
  private readonly pollIntervalMs: number;
  private readonly statusTimeoutMs: number;
  private readonly writeTimeoutMs: number;
  private readonly drawerOpenLevel: DrawerOpenLevel;
  private readonly running: Promise<void>;

  constructor(
    readonly identity: PrinterIdentity,
    private readonly connect: () => Promise<PrinterLink>,
    options: ManagedPrinterOptions = {},
  ) {
    super();
    this.pollIntervalMs = options.pollIntervalMs ?? 2_000;
    this.statusTimeoutMs = options.statusTimeoutMs ?? 1_000;
    this.writeTimeoutMs = options.writeTimeoutMs ?? 15_000;
    this.drawerOpenLevel = options.drawerOpenLevel ?? "high";
    this.backoff = new Backoff(options.backoff);
    this.running = this.run();
  }

  get connected(): boolean {
    return this.link !== undefined;
  }

  get lastStatus(): PrinterStatus | undefined {
    return this.current;
  }

  get problem(): string | undefined {
    return this.link ? undefined : this.lastProblem;
  }

  /** The last problem, for an error's message. */
  private get why(): string {
    return this.lastProblem ?? "not connected yet";
  }

  /** Note why the printer is not connected; tell listeners when the reason is a new one (not at every retry). */
  private setProblem(reason: string): void {
    if (reason === this.lastProblem) return;
    this.lastProblem = reason;
    if (!this.closed) this.emit("problem", reason);
  }

  /** Try to connect now instead of at the end of the current backoff (a transport saw the device come back). */
  retryNow(): void {
    this.wake.poke();
  }

  write(bytes: Uint8Array): Promise<void> {
    const link = this.link;
    if (this.closed) return Promise.reject(new PrinterWriteError("closed", false, "the printer is closed"));
    if (!link) {
      return Promise.reject(
        new PrinterWriteError("disconnected", false, `${describeIdentity(this.identity)} is not connected (${this.why})`),
      );
    }
    return this.enqueue(link, true, async () => {
      try {
        await link.send(bytes, this.writeTimeoutMs);
      } catch (e) {
        const failure = e instanceof LinkError ? e : new LinkError("io", true, message(e), { cause: e });
        this.dropLink(link, `write failed: ${failure.message}`);
        throw new PrinterWriteError(failure.code, failure.sentAny, failure.message, { cause: e });
      }
      if (!link.canReadStatus) return;
      try {
        this.setStatus(await this.readStatus(link));
      } catch (e) {
        this.dropLink(link, `no status after a job: ${message(e)}`);
        throw new PrinterWriteError("timeout", true, `the printer did not confirm it received the job (${message(e)})`, {
          cause: e,
        });
      }
    });
  }

  status(): Promise<PrinterStatus> {
    const link = this.link;
    if (this.closed) return Promise.reject(new PrinterError("closed", "the printer is closed"));
    if (!link) {
      return Promise.reject(
        new PrinterError("disconnected", `${describeIdentity(this.identity)} is not connected (${this.why})`),
      );
    }
    if (!link.canReadStatus) {
      return Promise.reject(new PrinterError("unsupported", `${describeIdentity(this.identity)} cannot report its status`));
    }
    return this.enqueue(link, false, () => this.poll(link));
  }

  whenConnected(): Promise<void> {
    if (this.closed) return Promise.reject(new PrinterError("closed", "the printer is closed"));
    if (this.link) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onClosed = () => {
        this.off("connected", onConnected);
        reject(new PrinterError("closed", "the printer is closed"));
      };
      const onConnected = () => {
        this.closeWaiters.delete(onClosed);
        resolve();
      };
      this.once("connected", onConnected);
      this.closeWaiters.add(onClosed);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.pollTimer);
    this.wake.cancel();
    const link = this.link;
    this.link = undefined;
    this.drop?.("closed");
    for (const onClosed of this.closeWaiters) onClosed();
    this.closeWaiters.clear();
    await link?.close().catch(() => undefined);
    await this.running;
  }


  private async run(): Promise<void> {
    while (!this.closed) {
      let link: PrinterLink;
      try {
        link = await this.connect();
      } catch (e) {
        this.setProblem(message(e));
        await this.wake.sleep(this.backoff.next());
        continue;
      }
      if (this.closed) {
        await link.close().catch(() => undefined);
        break;
      }
      const lost = new Promise<string>((resolve) => {
        this.drop = resolve;
        link.onLost(resolve);
      });
      let first: PrinterStatus | undefined;
      try {
        if (link.canReadStatus) first = await this.readStatus(link);
      } catch (e) {
        this.setProblem(`connected, but no status: ${message(e)}`);
        await link.close().catch(() => undefined);
        await this.wake.sleep(this.backoff.next());
        continue;
      }
      if (this.closed) {
        await link.close().catch(() => undefined);
        break;
      }
      this.link = link;
      this.backoff.reset();
      this.emit("connected");
      if (first) this.setStatus(first);
      this.schedulePoll();
      const reason = await lost;
      if (this.link === link) this.dropLink(link, reason);
      if (!this.closed) await this.wake.sleep(this.backoff.next());
    }
  }

  private dropLink(link: PrinterLink, reason: string): void {
    if (this.link !== link) return;
    this.link = undefined;
    this.current = undefined;
    this.lastProblem = reason;
    clearTimeout(this.pollTimer);
    void link.close().catch(() => undefined);
    this.emit("disconnected", reason);
    this.drop?.(reason);
  }

  private enqueue<T>(link: PrinterLink, isWrite: boolean, op: () => Promise<T>): Promise<T> {
    this.pending++;
    clearTimeout(this.pollTimer);
    const run = this.queue.then(async () => {
      if (this.link !== link) {
        const reason = this.closed ? "the printer was closed" : `the link was lost (${this.why})`;
        throw isWrite
          ? new PrinterWriteError(this.closed ? "closed" : "disconnected", false, `${reason} before the job was sent`)
          : new PrinterError(this.closed ? "closed" : "disconnected", reason);
      }
      return op();
    });
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.queue = settled;
    void settled.then(() => {
      this.pending--;
      if (this.pending === 0) this.schedulePoll();
    });
    return run;
  }

  private async poll(link: PrinterLink): Promise<PrinterStatus> {
    try {
      const status = await this.readStatus(link);
      this.setStatus(status);
      return status;
    } catch (e) {
      this.dropLink(link, `status request failed: ${message(e)}`);
      throw new PrinterError(e instanceof LinkError ? e.code : "io", `status request failed: ${message(e)}`, { cause: e });
    }
  }

  private schedulePoll(): void {
    clearTimeout(this.pollTimer);
    const link = this.link;
    if (!link || !link.canReadStatus || this.closed || this.pending > 0) return;
    this.pollTimer = setTimeout(() => {
      if (this.link === link && this.pending === 0) this.enqueue(link, false, () => this.poll(link)).catch(() => undefined);
    }, this.pollIntervalMs);
    this.pollTimer.unref();
  }

  private async readStatus(link: PrinterLink): Promise<PrinterStatus> {
    const replies: number[] = [];
    for (const n of STATUS_REQUESTS) replies.push(await link.request(n, this.statusTimeoutMs));
    return decodeStatus(replies as [number, number, number, number], this.drawerOpenLevel);
  }

  private setStatus(status: PrinterStatus): void {
    const changed = !sameStatus(this.current, status);
    this.current = status;
    if (changed) this.emit("status", status);
  }
}
