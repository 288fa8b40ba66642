/**
 * Bridge bench (part of `npm run bench`; alone: `node --import tsx test/bench/bridge.ts`). A shop on the Worker
 * (run.mjs's wrangler dev when BRIDGE_BENCH_BASE is set, else a local Worker of its own), its bridge enrolled with
 * `pair` and run from its command line against the fake TCP printer, a keyboard-wedge scanner on a FIFO, and a
 * till's socket to the hub. Figures to read, not pass/fail:
 *
 *   - print request → last byte at the printer, one job at a time (p50, p99 over BRIDGE_BENCH_JOBS, default 200),
 *     for raw jobs (the relay alone) and for a sale's receipt (the hub builds the model, the bridge lays it out);
 *     with the time the API answered and the time the till heard "printed";
 *   - the same jobs asked for by 8 tills at once: jobs per second through one bridge and one printer;
 *   - scan → till: the scanner's keys written to its device node → the till's socket has the scan.
 */
import { performance } from "node:perf_hooks";
import { FakeTcpPrinter } from "../fakes/tcp-printer";
import { tempDir } from "../bridge/daemon-fixtures";
import { aSale, type LocalWorker, openShop, ScannerFifo, startBridge, startLocalWorker, TillSocket, WorkerApi } from "../bridge/live-shop";

const JOBS = Number(process.env.BRIDGE_BENCH_JOBS ?? 200);
const CONCURRENCY = 8;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
function figures(name: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `${name.padEnd(44)} n=${String(samples.length).padStart(4)}  p50 ${pct(sorted, 50).toFixed(1).padStart(6)} ms  p99 ${pct(sorted, 99).toFixed(1).padStart(6)} ms  max ${sorted.at(-1)!.toFixed(1).padStart(6)} ms`;
}

/**
 * When each awaited text first reaches the printer. One listener for all of them, looking only at the new bytes
 * (and a marker's length before them): the bench must not slow down as the printer's record grows.
 */
class PrinterWatch {
  private tail = "";
  private readonly waiting = new Map<string, (at: number) => void>();
  constructor(fake: FakeTcpPrinter) {
    fake.on("data", (_connection, data: Buffer) => {
      const at = performance.now();
      const window = this.tail + data.toString("latin1");
      for (const [text, resolve] of this.waiting) {
        if (!window.includes(text)) continue;
        this.waiting.delete(text);
        resolve(at);
      }
      this.tail = window.slice(-64);
    });
  }

  /** Resolves when `text` (under 64 bytes, and new: not yet printed) arrives. */
  next(text: string): Promise<number> {
    return new Promise((resolve) => this.waiting.set(text, resolve));
  }
}

/** The cut that ends a receipt (GS V), as latin1 text. */
const CUT = "\x1dV";

export async function benchBridge(base?: URL): Promise<void> {
  let own: LocalWorker | undefined;
  const api = base ? new WorkerApi(base) : (own = await startLocalWorker()).api;
  const fake = await new FakeTcpPrinter().start();
  const watch = new PrinterWatch(fake);
  const folder = tempDir("edge-pos-bench-bridge-");
  const scanner = ScannerFifo.create(folder.dir);
  const shop = await openShop(api);
  const bridge = await startBridge(shop, { printerPort: fake.port, scannerPath: scanner.path, logLevel: "warn" });
  const till = await TillSocket.connect(shop);
  try {
    const printedHeard = (jobId: string) => till.until(`job ${jobId} printed`, (m) => m.type === "job.status" && m.jobId === jobId && m.state === "printed", { ms: 60_000 });
    const post = (body: unknown) => api.must("POST", `/api/v1/stores/${shop.storeId}/print-jobs`, { token: shop.cashier, body });

    console.log(`\nBridge (the bridge's CLI against the fake TCP printer, ${JOBS} jobs one at a time)\n`);
    const sale = await aSale(shop);
    for (const kind of ["raw", "receipt"] as const) {
      const answered: number[] = [];
      const lastByte: number[] = [];
      const heard: number[] = [];
      for (let i = 0; i < JOBS; i++) {
        const marker = `bench ${kind} ${i} end\n`;
        const started = performance.now();
        const arrived = watch.next(kind === "raw" ? marker : CUT);
        const job = await post(kind === "raw" ? { kind, bytesBase64: Buffer.from(`bench job\n${"-".repeat(40)}\n${marker}`).toString("base64") } : { kind, saleId: sale.id });
        answered.push(performance.now() - started);
        const hearing = printedHeard(job.id);
        lastByte.push((await arrived) - started);
        heard.push((await hearing).receivedAt - started);
      }
      console.log(figures(`${kind}: request → API answered`, answered));
      console.log(figures(`${kind}: request → last byte at the printer`, lastByte));
      console.log(figures(`${kind}: request → the till hears "printed"`, heard));
    }

    // 8 tills at once: the queue's throughput through one bridge and one printer.
    const jobs: { marker: string; started: number; lastByte?: number }[] = [];
    const burstStarted = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < JOBS) {
        const entry = { marker: `burst ${next++} end\n`, started: performance.now() } as (typeof jobs)[number];
        jobs.push(entry);
        void watch.next(entry.marker).then((t) => (entry.lastByte = t));
        await post({ kind: "raw", bytesBase64: Buffer.from(`burst job\n${entry.marker}`).toString("base64") });
      }
    }));
    while (jobs.some((j) => j.lastByte === undefined)) await new Promise((r) => setTimeout(r, 5));
    const seconds = (Math.max(...jobs.map((j) => j.lastByte!)) - burstStarted) / 1000;
    console.log(figures(`raw, ${CONCURRENCY} at once: request → last byte`, jobs.map((j) => j.lastByte! - j.started)));
    console.log(`${`raw, ${CONCURRENCY} at once: throughput`.padEnd(44)} ${(JOBS / seconds).toFixed(1)} jobs/s (${JOBS} jobs printed in ${seconds.toFixed(1)} s)`);

    // Scan → till: the first scan also opens the scanner's node; it is left out.
    await scanner.type("1 ENTER");
    await till.until("the warm-up scan", (m) => m.type === "scan" && m.text === "1");
    const scans: number[] = [];
    for (let i = 0; i < JOBS; i++) {
      const code = String(7310000000000 + i);
      const started = performance.now();
      await scanner.type(`${code.split("").join(" ")} ENTER`);
      const heard = await till.until(`the scan ${code}`, (m) => m.type === "scan" && m.text === code);
      scans.push(heard.receivedAt - started);
    }
    console.log(figures("scan: keys at the scanner → the till has it", scans));
  } finally {
    till.close();
    scanner.close();
    await bridge.process.kill();
    bridge.remove();
    folder.remove();
    await fake.stop();
    await own?.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const base = process.env.BRIDGE_BENCH_BASE;
  await benchBridge(base ? new URL(base) : undefined);
  process.exit(0);
}
