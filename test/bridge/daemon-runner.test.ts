/**
 * The job runner against the fake TCP printer (a real socket answering DLE EOT with a scripted status), and against
 * a scripted Printer for the write failures a socket cannot be made to produce on cue.
 */
import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import type { Job } from "../../schema/sync/bridge-messages";
import { Devices, type Printer, type PrinterEvents, type PrinterStatus, PrinterWriteError } from "../../bridge/devices/index";
import { decodeStatus } from "../../bridge/devices/index";
import type { PrinterProfile } from "../../bridge/escpos/index";
import { Journal, type JournalEntry } from "../../bridge/journal";
import { JobRunner, type RunnerPrinter } from "../../bridge/runner";
import { decodeEscpos } from "../fakes/escpos-decoder";
import { statusReplies } from "../fakes/printer-status";
import { FakeTcpPrinter } from "../fakes/tcp-printer";
import { makeJob, rawText, tempDir, until } from "./daemon-fixtures";

const PROFILE: PrinterProfile = { columns: 42, codePage: "cp858", cut: "partial" };
const DRAWER = { pin: 2 as const, onMs: 100, offMs: 200 };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  fake: FakeTcpPrinter;
  printer: Printer;
  journal: Journal;
  runner: JobRunner;
  outcomes: JournalEntry[];
  waits: (string | null)[];
  submit(job: Job): Promise<JournalEntry>;
}

async function rig(options: { fake?: FakeTcpPrinter; dir?: string } = {}): Promise<Rig> {
  const fake = options.fake ?? (await new FakeTcpPrinter().start());
  const printer = await new Devices().openPrinter({ type: "tcp", host: "127.0.0.1", port: fake.port, pollIntervalMs: 40, statusTimeoutMs: 1000, writeTimeoutMs: 2000, backoff: { initialMs: 20, maxMs: 80 } });
  const temp = options.dir ? undefined : tempDir();
  const { journal } = await Journal.open(options.dir ?? temp!.dir);
  const target: RunnerPrinter = { id: "front", name: "Front counter", printer, profile: PROFILE, drawer: DRAWER };
  const runner = new JobRunner({ journal, printers: [target], defaultPrinterId: "front", retryDelayMs: 20, recheckMs: 40 });
  const outcomes: JournalEntry[] = [];
  const waits: (string | null)[] = [];
  runner.on("outcome", (e) => outcomes.push({ ...e }));
  runner.on("waiting", (_e, reason) => waits.push(reason));
  cleanups.push(async () => {
    await runner.close();
    await printer.close();
    await journal.close();
    if (!options.fake) await fake.stop();
    temp?.remove();
  });
  await printer.whenConnected();
  return {
    fake, printer, journal, runner, outcomes, waits,
    async submit(job) {
      const { entry } = await journal.add(job, "hub");
      await runner.submit(entry);
      return entry;
    },
  };
}

/** How many times each job's text reached the printer. */
const printCounts = (fake: FakeTcpPrinter, jobs: Job[]) => jobs.map((j) => fake.printed.toString("latin1").split(rawText(j)).length - 1);

describe("the job runner on a TCP printer", () => {
  it("prints a printer's jobs in order, each once, and journals them printed", async () => {
    const r = await rig();
    const jobs = [1, 2, 3].map((seq) => makeJob(seq));
    for (const job of jobs) await r.submit(job);
    await until(() => r.outcomes.length === 3, 5000, "three outcomes");
    expect(r.outcomes.map((o) => [o.id, o.state])).toEqual(jobs.map((j) => [j.id, "printed"]));
    const texts = decodeEscpos(r.fake.printed).flatMap((op) => (op.op === "text" ? [op.text] : []));
    expect(texts).toEqual(["job 1", "job 2", "job 3"]);
    expect(r.journal.queued()).toEqual([]);
  });

  it("holds jobs while the paper is out, says why, and prints them in order once paper is loaded", async () => {
    const r = await rig();
    r.fake.status = { paperOut: true };
    const jobs = [1, 2].map((seq) => makeJob(seq));
    for (const job of jobs) await r.submit(job);
    await until(() => r.runner.printers()[0]!.waiting === "paper_out", 3000, "the queue to wait for paper");
    expect(r.runner.printers()[0]).toMatchObject({ connected: true, status: { paperOut: true, online: false }, queued: 2 });
    expect(r.waits).toContain("paper_out");
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(r.fake.printed.length, "nothing is sent while the paper is out").toBe(0);
    expect(r.outcomes).toEqual([]);

    r.fake.status = {};
    await until(() => r.outcomes.length === 2, 3000, "both jobs printed");
    expect(r.outcomes.map((o) => o.state)).toEqual(["printed", "printed"]);
    expect(printCounts(r.fake, jobs)).toEqual([1, 1]);
    expect(r.runner.printers()[0]).toMatchObject({ waiting: null, status: { paperOut: false } });
    expect(r.waits.at(-1)).toBeNull();
  });

  it("waits for a closed cover too, with its own reason", async () => {
    const r = await rig();
    r.fake.status = { coverOpen: true };
    await r.submit(makeJob(1));
    await until(() => r.runner.printers()[0]!.waiting === "cover_open", 3000, "cover_open");
    r.fake.status = {};
    await until(() => r.outcomes.length === 1);
    expect(r.outcomes[0]!.state).toBe("printed");
  });

  it("loses no job and prints none twice when the printer is switched off mid-queue and on again", async () => {
    const r = await rig();
    const jobs = Array.from({ length: 6 }, (_, i) => makeJob(i + 1));
    for (const job of jobs.slice(0, 2)) await r.submit(job);
    await until(() => r.outcomes.length === 2);
    await r.fake.powerOff();
    for (const job of jobs.slice(2)) await r.submit(job);
    await until(() => r.runner.printers()[0]!.waiting === "offline", 3000, "the queue to wait for the printer");
    expect(r.runner.printers()[0]).toMatchObject({ connected: false, status: null, queued: 4 });
    await r.fake.powerOn();
    await until(() => r.outcomes.length === 6, 5000, "every job's outcome");
    expect(r.outcomes.map((o) => o.state)).toEqual(Array(6).fill("printed"));
    expect(printCounts(r.fake, jobs)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(r.outcomes.map((o) => o.id)).toEqual(jobs.map((j) => j.id));
  });

  it("a job cut off in the middle of its bytes is unknown and never resent; the queue goes on after the reconnect", async () => {
    const r = await rig();
    const big = makeJob(1, { kind: "raw", bytesBase64: Buffer.from(`big job\n${"x".repeat(60_000)}\n`).toString("base64") });
    const next = makeJob(2);
    r.fake.dropAfterBytes(1000);
    await r.submit(big);
    await r.submit(next);
    await until(() => r.outcomes.length === 2, 5000, "both outcomes");
    expect(r.outcomes.map((o) => [o.id, o.state])).toEqual([[big.id, "unknown"], [next.id, "printed"]]);
    expect(r.outcomes[0]!.reason).toMatch(/^partial_write/);
    const printed = r.fake.printed.toString("latin1");
    expect(printed.split("big job").length - 1, "the cut-off job was not sent again").toBe(1);
    expect(printCounts(r.fake, [next])).toEqual([1]);
  });

  it("kicks the drawer through the printer with the configured pulse, or the job's pin", async () => {
    const r = await rig();
    await r.submit(makeJob(1, { kind: "drawer" }));
    await r.submit(makeJob(2, { kind: "drawer", pin: 5 }));
    await until(() => r.outcomes.length === 2);
    expect(r.outcomes.map((o) => o.state)).toEqual(["printed", "printed"]);
    expect(decodeEscpos(r.fake.printed).filter((op) => op.op === "drawer")).toEqual([
      { op: "drawer", pin: 2, onMs: 100, offMs: 200 },
      { op: "drawer", pin: 5, onMs: 100, offMs: 200 },
    ]);
  });

  it("does not hold a drawer kick behind waiting receipts: with the paper out it fails at once and sends nothing", async () => {
    const r = await rig();
    r.fake.status = { paperOut: true };
    const receipt = makeJob(1);
    await r.submit(receipt);
    await until(() => r.runner.printers()[0]!.waiting === "paper_out");
    await r.submit(makeJob(2, { kind: "drawer" }));
    await until(() => r.outcomes.length === 1, 2000, "the drawer kick's outcome");
    expect(r.outcomes[0]).toMatchObject({ kind: "drawer", state: "failed", reason: "paper_out" });
    expect(r.fake.printed.length).toBe(0);
    expect(r.runner.printers()[0]!.queued).toBe(1);
    r.fake.status = {};
    await until(() => r.outcomes.length === 2);
    expect(r.outcomes[1]).toMatchObject({ id: receipt.id, state: "printed" });
  });

  it("fails a job for a printer it does not have, and a receipt whose model is not one", async () => {
    const r = await rig();
    await r.submit(makeJob(1, undefined, { printerId: "back-office" }));
    await r.submit(makeJob(2, { kind: "receipt", saleId: "s1", copy: false, model: { format: "edge-pos.receipt/1" } as never }));
    await until(() => r.outcomes.length === 2);
    expect(r.outcomes[0]).toMatchObject({ state: "failed", reason: "no_printer" });
    expect(r.outcomes[1]).toMatchObject({ state: "failed" });
    expect(r.outcomes[1]!.reason).toMatch(/^invalid_receipt/);
    expect(r.fake.printed.length).toBe(0);
  });

  it("prints a test page in the printer's profile", async () => {
    const r = await rig();
    await r.submit(makeJob(1, { kind: "test" }));
    await until(() => r.outcomes.length === 1);
    const ops = decodeEscpos(r.fake.printed);
    expect(ops).toContainEqual({ op: "codePage", n: 19 });
    expect(ops.some((op) => op.op === "text" && op.text === "Test page")).toBe(true);
    expect(ops.at(-1)).toEqual({ op: "cut", partial: true });
  });
});

/** A printer whose writes fail as scripted: what a socket cannot be made to do on cue. */
class ScriptedPrinter extends EventEmitter<PrinterEvents> implements Printer {
  readonly identity = { type: "tcp" as const, host: "scripted", port: 9100 };
  readonly connected = true;
  readonly problem = undefined;
  readonly lastStatus: PrinterStatus = decodeStatus(statusReplies({}));
  writes: Uint8Array[] = [];
  constructor(private readonly failures: (PrinterWriteError | undefined)[]) {
    super();
  }
  async write(bytes: Uint8Array) {
    this.writes.push(bytes);
    const failure = this.failures.shift();
    if (failure) throw failure;
  }
  async status() {
    return this.lastStatus;
  }
  async whenConnected() {}
  async close() {}
}

async function scripted(failures: (PrinterWriteError | undefined)[]) {
  const printer = new ScriptedPrinter(failures);
  const temp = tempDir();
  const { journal } = await Journal.open(temp.dir);
  const runner = new JobRunner({ journal, printers: [{ id: "p", name: "P", printer, profile: PROFILE, drawer: DRAWER }], defaultPrinterId: "p", retryDelayMs: 10, recheckMs: 20 });
  const outcomes: JournalEntry[] = [];
  runner.on("outcome", (e) => outcomes.push({ ...e }));
  cleanups.push(async () => {
    await runner.close();
    await journal.close();
    temp.remove();
  });
  const submit = async (job: Job) => runner.submit((await journal.add(job, "hub")).entry);
  return { printer, journal, runner, outcomes, submit };
}

describe("the job runner's write failures", () => {
  const sentNothing = () => new PrinterWriteError("disconnected", false, "not connected");
  const mayHavePrinted = () => new PrinterWriteError("io", true, "connection reset");

  it("tries a print job again when its write sent nothing, and prints it once", async () => {
    const s = await scripted([sentNothing(), sentNothing(), undefined]);
    const job = makeJob(1);
    await s.submit(job);
    await until(() => s.outcomes.length === 1);
    expect(s.outcomes[0]!.state).toBe("printed");
    expect(s.printer.writes).toHaveLength(3);
  });

  it("never retries a drawer kick: a write that sent nothing fails it, one that may have sent something makes it unknown", async () => {
    const s = await scripted([sentNothing(), mayHavePrinted()]);
    await s.submit(makeJob(1, { kind: "drawer" }));
    await s.submit(makeJob(2, { kind: "drawer" }));
    await until(() => s.outcomes.length === 2);
    expect(s.outcomes.map((o) => [o.state, o.reason])).toEqual([["failed", "disconnected"], ["unknown", "partial_write: io"]]);
    expect(s.printer.writes).toHaveLength(2);
  });

  it("makes a print job that may have partly printed unknown, journaled, and goes on with the next", async () => {
    const s = await scripted([mayHavePrinted(), undefined]);
    const [first, second] = [makeJob(1), makeJob(2)];
    await s.submit(first);
    await s.submit(second);
    await until(() => s.outcomes.length === 2);
    expect(s.outcomes.map((o) => o.state)).toEqual(["unknown", "printed"]);
    expect(s.journal.get(first.id)!.state).toBe("unknown");
    expect(s.printer.writes).toHaveLength(2);
  });
});
