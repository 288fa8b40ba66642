/**
 * The job runner: one queue per printer, taken in the journal's order (the hub's seq order for hub jobs, arrival
 * for local ones), each job's outcome journaled before it is reported.
 *
 *   - Before a print job the printer's status is read: offline, cover open, paper out or an error → the job waits
 *     (the queue says why) and goes on when the status clears; jobs behind it wait with it.
 *   - A write that sent nothing (the printer was not connected, the link went before the job started) is tried
 *     again once the printer is back. A write that may have partly reached the printer → unknown, never resent.
 *   - A drawer kick does not queue behind waiting receipts (the cashier needs the drawer when the paper is out) and
 *     is never retried: a printer that cannot take it now (offline, paper out: it would open the drawer later,
 *     when the paper is changed) fails it without sending; a failed write is failed or unknown.
 */
import { EventEmitter } from "node:events";
import { ReceiptModelSchema } from "../schema/receipt/contract";
import type { ReceiptModel } from "../schema/receipt/index";
import type { PrinterState } from "../schema/sync/bridge-messages";
import { type Printer, PrinterError, type PrinterStatus, PrinterWriteError } from "./devices/index";
import { drawerKick, rawJob, renderReceipt, testPage, type PrinterProfile } from "./escpos/index";
import { type FinalState, type Journal, type JournalEntry } from "./journal";
import { type Logger, silentLogger } from "./log";

export interface RunnerPrinter {
  id: string;
  name: string;
  printer: Printer;
  profile: PrinterProfile;
  drawer: { pin: 2 | 5; onMs: number; offMs: number };
}

export interface PrinterView {
  id: string;
  name: string;
  connected: boolean;
  status: PrinterState | null;
  /** While not connected: why (bridge/devices' `problem`), or null. */
  problem: string | null;
  /** Why the job at the head of the queue waits (paper_out, cover_open, offline, printer_error), or null. */
  waiting: string | null;
  queued: number;
}

export interface RunnerEvents {
  /** A job reached its final state (already journaled). */
  outcome: [entry: JournalEntry];
  /** The job at the head of a printer's queue started or stopped waiting (reason null: it goes on). */
  waiting: [entry: JournalEntry, reason: string | null];
  /** A printer's connection, status or queue changed. */
  change: [];
}

export interface RunnerOptions {
  journal: Journal;
  printers: RunnerPrinter[];
  defaultPrinterId: string | undefined;
  log?: Logger;
  /** Pause before trying again a job whose write sent nothing (ms). */
  retryDelayMs?: number;
  /** Look at a waiting printer again after this long even without an event (ms). */
  recheckMs?: number;
}

export const toPrinterState = (s: PrinterStatus): PrinterState => ({
  online: s.online, coverOpen: s.coverOpen, paperNearEnd: s.paperNearEnd, paperOut: s.paperOut, drawerOpen: s.drawerOpen, error: s.error,
});

/** Why a printer in this status cannot print now, or null when it can. */
export function blockingReason(status: PrinterStatus): string | null {
  if (status.coverOpen) return "cover_open";
  if (status.paperOut) return "paper_out";
  if (status.error) return "printer_error";
  if (!status.online) return "offline";
  return null;
}

/** A sleep that an event can end early. */
class Signal {
  private wake: (() => void) | undefined;
  private poked = false;

  wait(ms: number): Promise<void> {
    if (this.poked) {
      this.poked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** End the current wait, or the next one if none is under way. */
  poke(): void {
    if (this.wake) this.wake();
    else this.poked = true;
  }
}

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e));

class PrinterQueue {
  private readonly jobs: JournalEntry[] = [];
  private readonly drawers: JournalEntry[] = [];
  private readonly signal = new Signal();
  private closed = false;
  waiting: string | null = null;
  readonly done: Promise<void>;

  constructor(
    private readonly target: RunnerPrinter,
    private readonly runner: JobRunner,
    private readonly journal: Journal,
    private readonly log: Logger,
    private readonly retryDelayMs: number,
    private readonly recheckMs: number,
  ) {
    const poke = () => {
      this.signal.poke();
      runner.emit("change");
    };
    target.printer.on("connected", poke);
    target.printer.on("disconnected", poke);
    target.printer.on("status", poke);
    target.printer.on("problem", () => runner.emit("change"));
    this.done = this.loop();
  }

  get size(): number {
    return this.jobs.length + this.drawers.length;
  }

  add(entry: JournalEntry): void {
    const list = entry.kind === "drawer" ? this.drawers : this.jobs;
    list.push(entry);
    list.sort((a, b) => a.order - b.order);
    this.signal.poke();
  }

  close(): void {
    this.closed = true;
    this.signal.poke();
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      const drawer = this.drawers.shift();
      if (drawer) {
        await this.guard(drawer, () => this.kick(drawer));
        continue;
      }
      const head = this.jobs[0];
      if (!head) {
        await this.signal.wait(this.recheckMs);
        continue;
      }
      const reason = await this.readiness();
      if (this.closed) break;
      this.setWaiting(head, reason);
      if (reason) {
        await this.signal.wait(this.recheckMs);
        continue;
      }
      await this.guard(head, () => this.print(head));
    }
  }

  /** A bug in a job's handling must not stop the queue: the job is unknown (it may have printed) and the queue goes on. */
  private async guard(entry: JournalEntry, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (e) {
      if (this.closed) return;
      this.log.error("job handling failed", { jobId: entry.id, error: e });
      this.remove(entry);
      if (entry.state === "queued" || entry.state === "printing") await this.finish(entry, "unknown", `bridge_error: ${describe(e)}`).catch(() => undefined);
    }
  }

  private setWaiting(head: JournalEntry, reason: string | null): void {
    if (this.waiting === reason) return;
    this.waiting = reason;
    if (reason) this.log.info("job waits for the printer", { jobId: head.id, printer: this.target.id, reason });
    this.runner.emit("waiting", head, reason);
    this.runner.emit("change");
  }

  /** Why the printer cannot print now (read fresh), or null. */
  private async readiness(): Promise<string | null> {
    const { printer } = this.target;
    if (!printer.connected) return "offline";
    try {
      return blockingReason(await printer.status());
    } catch (e) {
      if (e instanceof PrinterError && e.code === "unsupported") return null; // a USB printer that cannot say: print
      return "offline";
    }
  }

  private async render(entry: JournalEntry): Promise<Uint8Array> {
    const payload = entry.payload!;
    const { profile } = this.target;
    switch (payload.kind) {
      case "receipt": {
        const model = ReceiptModelSchema.safeParse(payload.model);
        if (!model.success) throw new JobRejected(`invalid_receipt: ${model.error.issues[0]?.path.join(".")}: ${model.error.issues[0]?.message}`);
        return renderReceipt({ ...model.data, copy: model.data.copy || payload.copy } as ReceiptModel, profile);
      }
      case "raw":
        return rawJob(Buffer.from(payload.bytesBase64, "base64"));
      case "test":
        return testPage(profile);
      case "drawer":
        throw new JobRejected("a drawer kick is not a print job");
    }
  }

  private async print(entry: JournalEntry): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = await this.render(entry);
    } catch (e) {
      this.remove(entry);
      await this.finish(entry, "failed", e instanceof JobRejected ? e.message : `render_error: ${describe(e)}`);
      return;
    }
    await this.journal.setState(entry.id, "printing");
    try {
      await this.target.printer.write(bytes);
    } catch (e) {
      if (e instanceof PrinterWriteError && !e.mayHavePrinted) {
        // Nothing reached the printer: the job goes back to the head of the queue and is tried again.
        await this.journal.setState(entry.id, "queued", e.code);
        this.log.warn("print job not sent; it will be tried again", { jobId: entry.id, printer: this.target.id, reason: e.message });
        await this.signal.wait(this.retryDelayMs);
        return;
      }
      this.remove(entry);
      await this.finish(entry, "unknown", `partial_write: ${e instanceof PrinterError ? e.code : describe(e)}`);
      return;
    }
    this.remove(entry);
    await this.finish(entry, "printed", null);
  }

  private async kick(entry: JournalEntry): Promise<void> {
    const { printer, drawer } = this.target;
    const reason = await this.readiness();
    if (reason) {
      await this.finish(entry, "failed", reason);
      return;
    }
    const pin = entry.payload?.kind === "drawer" && entry.payload.pin ? entry.payload.pin : drawer.pin;
    await this.journal.setState(entry.id, "printing");
    try {
      await printer.write(drawerKick({ pin, onMs: drawer.onMs, offMs: drawer.offMs }));
    } catch (e) {
      const sentNothing = e instanceof PrinterWriteError && !e.mayHavePrinted;
      await this.finish(entry, sentNothing ? "failed" : "unknown", sentNothing ? e.code : `partial_write: ${e instanceof PrinterError ? e.code : describe(e)}`);
      return;
    }
    await this.finish(entry, "printed", null);
  }

  private remove(entry: JournalEntry): void {
    const i = this.jobs.indexOf(entry);
    if (i >= 0) this.jobs.splice(i, 1);
  }

  private finish(entry: JournalEntry, state: FinalState, reason: string | null): Promise<void> {
    return this.runner.finish(entry, state, reason, this.target.id);
  }
}

class JobRejected extends Error {}

export class JobRunner extends EventEmitter<RunnerEvents> {
  private readonly queues = new Map<string, PrinterQueue>();
  private readonly log: Logger;

  constructor(private readonly options: RunnerOptions) {
    super();
    this.log = options.log ?? silentLogger;
    for (const target of options.printers) {
      this.queues.set(target.id, new PrinterQueue(target, this, options.journal, this.log, options.retryDelayMs ?? 1000, options.recheckMs ?? 5000));
    }
  }

  /** Queue the journal's queued jobs (after a restart), in order. */
  resume(): void {
    for (const entry of this.options.journal.queued()) void this.submit(entry);
  }

  /** Queue a journaled job on its printer; a job for no configured printer fails at once. */
  async submit(entry: JournalEntry): Promise<void> {
    if (entry.state !== "queued") return;
    const printerId = entry.printerId ?? this.options.defaultPrinterId;
    const queue = printerId === undefined ? undefined : this.queues.get(printerId);
    if (!queue) {
      await this.finish(entry, "failed", "no_printer", printerId ?? null);
      return;
    }
    queue.add(entry);
    this.emit("change");
  }

  /** @internal Journal a job's outcome, then tell the listeners. */
  async finish(entry: JournalEntry, state: FinalState, reason: string | null, printerId: string | null): Promise<void> {
    await this.options.journal.setState(entry.id, state, reason);
    const fields = { jobId: entry.id, kind: entry.kind, source: entry.source, printer: printerId, state, reason };
    if (state === "printed") this.log.info("job done", fields);
    else this.log.warn("job did not print", fields);
    this.emit("outcome", entry);
    this.emit("change");
  }

  printers(): PrinterView[] {
    return this.options.printers.map((t) => {
      const queue = this.queues.get(t.id)!;
      const status = t.printer.connected ? t.printer.lastStatus : undefined;
      return {
        id: t.id, name: t.name, connected: t.printer.connected, status: status ? toPrinterState(status) : null,
        problem: t.printer.problem ?? null, waiting: queue.waiting, queued: queue.size,
      };
    });
  }

  async close(): Promise<void> {
    for (const queue of this.queues.values()) queue.close();
    await Promise.all([...this.queues.values()].map((q) => q.done));
  }
}
