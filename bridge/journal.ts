/**
 * The job journal: an append-only file of JSON lines (journal.jsonl in the journal directory) holding every job the
 * bridge took on and each change of its state. A record is on disk (written and fdatasync'd) before the promise
 * that wrote it resolves, so a job is acknowledged to the hub, or answered to a till, only once it survives a
 * crash or a power cut.
 *
 * States on the bridge: queued (journaled, waiting its turn) → printing (the bytes are about to go) → printed |
 * failed | unknown; a write that sent nothing puts the job back to queued. On open the file is replayed: a job
 * left "printing" (the bridge died during its write) becomes unknown — reported, never printed again — and queued
 * jobs resume in their order. Finished jobs are remembered (so a redelivered job is recognised) for a week, at
 * most MAX_FINISHED of them; compaction rewrites the file to what is still needed, atomically (write a new file,
 * fsync, rename over the old one, fsync the folder), at open and whenever enough records have piled up.
 */
import { type FileHandle, mkdir, open, readFile } from "node:fs/promises";
import path from "node:path";
import type { Job, JobPayload } from "../schema/sync/bridge-messages";
import { fsyncDir, replaceFileDurably } from "./durable-file";
import type { Logger } from "./log";
import { silentLogger } from "./log";

export type JobSource = "hub" | "local";
export const FINAL_STATES = ["printed", "failed", "unknown"] as const;
export type FinalState = (typeof FINAL_STATES)[number];
export type JournalState = "queued" | "printing" | FinalState;

export const isFinal = (state: JournalState): state is FinalState => (FINAL_STATES as readonly string[]).includes(state);

export interface JournalEntry {
  id: string;
  source: JobSource;
  /** The bridge's own order of arrival: the runner takes a printer's jobs in this order. */
  order: number;
  seq: number;
  printerId: string | null;
  requestedBy: string | null;
  createdAt: number;
  kind: JobPayload["kind"];
  /** Kept while the job may still print; dropped from finished jobs at compaction. */
  payload?: JobPayload;
  state: JournalState;
  reason: string | null;
  /** The outcome was sent to the hub (hub jobs only). */
  reported: boolean;
  receivedAt: number;
  updatedAt: number;
}

type JournalRecord =
  | { r: "job"; order: number; source: JobSource; job: Job; at: number }
  | { r: "state"; id: string; state: JournalState; reason: string | null; at: number }
  | { r: "reported"; id: string; at: number }
  | { r: "entry"; entry: JournalEntry };

/** Where the journal's bytes go: appends that are durable when they resolve. Tests wrap it to hold a write back. */
export interface JournalFile {
  append(text: string): Promise<void>;
  /** Replace the whole file with `text`, atomically and durably. */
  replace(text: string): Promise<void>;
  close(): Promise<void>;
}

const FILE_NAME = "journal.jsonl";
export const MAX_FINISHED = 2000;
export const FINISHED_RETENTION_MS = 7 * 24 * 3600_000;
/** Records appended before the file is compacted again. */
export const COMPACT_AFTER = 5000;

/** The journal file on disk: O_APPEND writes, each followed by fdatasync. */
export class DiskJournalFile implements JournalFile {
  private constructor(
    private readonly file: string,
    private handle: FileHandle,
  ) {}

  static async open(file: string): Promise<DiskJournalFile> {
    const handle = await open(file, "a", 0o600);
    await fsyncDir(path.dirname(file));
    return new DiskJournalFile(file, handle);
  }

  async append(text: string): Promise<void> {
    await this.handle.write(text);
    await this.handle.datasync();
  }

  async replace(text: string): Promise<void> {
    await replaceFileDurably(this.file, text);
    const old = this.handle;
    this.handle = await open(this.file, "a", 0o600);
    await old.close();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

interface Pending {
  text: string;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface JournalOptions {
  log?: Logger;
  now?: () => number;
  /** The file to write to (default: journal.jsonl in the directory, on disk). */
  file?: JournalFile;
  maxFinished?: number;
  retentionMs?: number;
  /** Records appended before the file is compacted while running (default COMPACT_AFTER). */
  compactAfter?: number;
}

export class JournalClosedError extends Error {
  override name = "JournalClosedError";
}

export class Journal {
  private readonly entries = new Map<string, JournalEntry>();
  /** The write that made each entry durable: a second add of the same job waits for it too. */
  private readonly durable = new Map<string, Promise<void>>();
  private nextOrder = 1;
  private buffer: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private sinceCompaction = 0;
  private closed = false;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly maxFinished: number;
  private readonly retentionMs: number;
  private readonly compactAfter: number;

  private constructor(
    private readonly file: JournalFile,
    options: JournalOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? silentLogger;
    this.maxFinished = options.maxFinished ?? MAX_FINISHED;
    this.retentionMs = options.retentionMs ?? FINISHED_RETENTION_MS;
    this.compactAfter = options.compactAfter ?? COMPACT_AFTER;
  }

  /**
   * Open (or create) the journal in `dir` and replay it. `interrupted` are the jobs that were printing when the
   * bridge stopped: they are unknown now (and not yet reported).
   */
  static async open(dir: string, options: JournalOptions = {}): Promise<{ journal: Journal; interrupted: JournalEntry[] }> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const filePath = path.join(dir, FILE_NAME);
    let text = "";
    try {
      text = await readFile(filePath, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    const journal = new Journal(options.file ?? (await DiskJournalFile.open(filePath)), options);
    journal.replay(text);
    const interrupted = [...journal.entries.values()].filter((e) => e.state === "printing");
    const at = journal.now();
    for (const entry of interrupted) Object.assign(entry, { state: "unknown", reason: "interrupted", reported: false, updatedAt: at });
    await journal.compact();
    if (interrupted.length) journal.log.warn("jobs were printing when the bridge stopped: they are unknown, not printed again", { jobs: interrupted.map((e) => e.id) });
    return { journal, interrupted };
  }

  get(id: string): JournalEntry | undefined {
    return this.entries.get(id);
  }

  all(): JournalEntry[] {
    return [...this.entries.values()].sort((a, b) => a.order - b.order);
  }

  /** Jobs still to print, in order. */
  queued(): JournalEntry[] {
    return this.all().filter((e) => e.state === "queued");
  }

  /** Hub jobs whose outcome the hub has not been sent. */
  unreported(): JournalEntry[] {
    return this.all().filter((e) => e.source === "hub" && isFinal(e.state) && !e.reported);
  }

  /**
   * Take a job on: journal it (durably) unless it is known. Resolves when it is on disk, with its entry and
   * whether it was new; a job seen before is never queued again, whatever its state.
   */
  async add(job: Job, source: JobSource): Promise<{ entry: JournalEntry; isNew: boolean }> {
    const known = this.entries.get(job.id);
    if (known) {
      await this.durable.get(job.id);
      return { entry: known, isNew: false };
    }
    this.assertOpen();
    const at = this.now();
    const order = this.nextOrder++;
    const entry: JournalEntry = {
      id: job.id, source, order, seq: job.seq, printerId: job.printerId, requestedBy: job.requestedBy, createdAt: job.createdAt,
      kind: job.payload.kind, payload: job.payload, state: "queued", reason: null, reported: false, receivedAt: at, updatedAt: at,
    };
    this.entries.set(job.id, entry);
    const written = this.append({ r: "job", order, source, job, at });
    this.durable.set(job.id, written);
    try {
      await written;
    } catch (e) {
      this.entries.delete(job.id);
      this.durable.delete(job.id);
      throw e;
    }
    this.durable.delete(job.id);
    return { entry, isNew: true };
  }

  /** Record a state change (durably). */
  async setState(id: string, state: JournalState, reason: string | null = null): Promise<JournalEntry> {
    const entry = this.entries.get(id);
    if (!entry) throw new Error(`journal: no job ${id}`);
    this.assertOpen();
    const at = this.now();
    Object.assign(entry, { state, reason, updatedAt: at });
    if (isFinal(state)) entry.reported = false;
    await this.append({ r: "state", id, state, reason, at });
    return entry;
  }

  /** The hub was sent the job's outcome. */
  async markReported(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry || entry.reported || this.closed) return;
    entry.reported = true;
    await this.append({ r: "reported", id, at: this.now() });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing?.catch(() => undefined);
    await this.file.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new JournalClosedError("the journal is closed");
  }

  private replay(text: string): void {
    const lines = text.split("\n");
    const torn = !text.endsWith("\n") && lines.at(-1) !== "";
    lines.forEach((line, i) => {
      if (!line) return;
      let record: JournalRecord;
      try {
        record = JSON.parse(line) as JournalRecord;
      } catch {
        const last = i === lines.length - 1;
        if (last && torn) this.log.warn("journal: the last record was cut short (a crash while writing it); ignored");
        else this.log.error("journal: a record is not JSON; skipped", { line: i + 1 });
        return;
      }
      this.apply(record);
    });
  }

  private apply(record: JournalRecord): void {
    switch (record.r) {
      case "job": {
        const { job, source, order, at } = record;
        if (this.entries.has(job.id)) return;
        this.entries.set(job.id, {
          id: job.id, source, order, seq: job.seq, printerId: job.printerId, requestedBy: job.requestedBy, createdAt: job.createdAt,
          kind: job.payload.kind, payload: job.payload, state: "queued", reason: null, reported: false, receivedAt: at, updatedAt: at,
        });
        this.nextOrder = Math.max(this.nextOrder, order + 1);
        return;
      }
      case "state": {
        const entry = this.entries.get(record.id);
        if (!entry) return;
        Object.assign(entry, { state: record.state, reason: record.reason, updatedAt: record.at });
        if (isFinal(record.state)) entry.reported = false;
        return;
      }
      case "reported": {
        const entry = this.entries.get(record.id);
        if (entry) entry.reported = true;
        return;
      }
      case "entry":
        this.entries.set(record.entry.id, record.entry);
        this.nextOrder = Math.max(this.nextOrder, record.entry.order + 1);
        return;
      default:
        this.log.warn("journal: a record of an unknown kind; skipped", { kind: (record as { r?: unknown }).r });
    }
  }

  private append(record: JournalRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.buffer.push({ text: `${JSON.stringify(record)}\n`, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /** Group commit: every record that arrived while a write was under way goes in the next write and fsync. */
  private async flush(): Promise<void> {
    try {
      while (this.buffer.length) {
        const batch = this.buffer;
        this.buffer = [];
        try {
          await this.file.append(batch.map((p) => p.text).join(""));
          for (const p of batch) p.resolve();
        } catch (e) {
          this.log.error("journal: a write failed", { error: e });
          for (const p of batch) p.reject(e);
        }
        this.sinceCompaction += batch.length;
        if (this.sinceCompaction >= this.compactAfter && !this.closed) await this.compact().catch((e) => this.log.error("journal: compaction failed", { error: e }));
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Rewrite the file as one snapshot record per job still needed. */
  private async compact(): Promise<void> {
    const cutoff = this.now() - this.retentionMs;
    const finished = [...this.entries.values()].filter((e) => isFinal(e.state)).sort((a, b) => b.updatedAt - a.updatedAt);
    const keep = new Set(finished.filter((e, i) => i < this.maxFinished && (e.updatedAt >= cutoff || (e.source === "hub" && !e.reported))).map((e) => e.id));
    for (const e of finished) if (!keep.has(e.id)) this.entries.delete(e.id);
    const lines = this.all().map((entry) => {
      const snapshot = isFinal(entry.state) ? { ...entry, payload: undefined } : entry;
      if (isFinal(entry.state)) delete entry.payload;
      return `${JSON.stringify({ r: "entry", entry: snapshot } satisfies JournalRecord)}\n`;
    });
    await this.file.replace(lines.join(""));
    this.sinceCompaction = 0;
  }
}
