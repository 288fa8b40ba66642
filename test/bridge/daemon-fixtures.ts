/** Jobs and printer configs for the daemon's tests. */
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BridgeConfig } from "../../bridge/config";
import type { BridgeDependencies } from "../../bridge/daemon";
import type { Job, JobPayload } from "../../schema/sync/bridge-messages";

let counter = 0;

export function makeJob(seq: number, payload: JobPayload = { kind: "raw", bytesBase64: Buffer.from(`job ${seq}\n`).toString("base64") }, extra: Partial<Job> = {}): Job {
  counter++;
  return { id: `job-${seq}-${counter}`, seq, printerId: null, createdAt: Date.now(), requestedBy: null, payload, ...extra };
}

/** The text a raw job of makeJob prints. */
export const rawText = (job: Job) => (job.payload.kind === "raw" ? Buffer.from(job.payload.bytesBase64, "base64").toString() : "");

export function tempDir(prefix = "edge-pos-bridge-"): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A port nothing listens on now (for a server to take, or to stand for a hub that cannot be reached). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Resolves when `check` is true, polling; fails after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000, what = "the condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A checked config for a bridge with one TCP printer ("front", the default) on `printerPort`. */
export function bridgeConfig(o: { hubUrl: URL; credential: string; journalDir: string; printerPort?: number; localApiKey?: string; scanners?: BridgeConfig["scanners"] }): BridgeConfig {
  return {
    hub: { url: o.hubUrl, credential: o.credential },
    printers: o.printerPort === undefined ? [] : [{
      id: "front", name: "Front counter", transport: { type: "tcp", host: "127.0.0.1", port: o.printerPort },
      profile: { columns: 42, codePage: "cp858", cut: "partial" }, drawer: { pin: 2, onMs: 100, offMs: 100 }, drawerOpenLevel: "high", default: true,
    }],
    defaultPrinterId: o.printerPort === undefined ? undefined : "front",
    scanners: o.scanners ?? [],
    journalDir: o.journalDir,
    localApi: o.localApiKey ? { host: "127.0.0.1", port: 0, key: o.localApiKey } : undefined,
    logLevel: "error",
    warnings: [],
  };
}

/** Short timings for a bridge under test. */
export const FAST: BridgeDependencies = {
  printerTimings: { pollIntervalMs: 40, statusTimeoutMs: 1000, writeTimeoutMs: 2000, backoff: { initialMs: 20, maxMs: 80 } },
  hub: { backoff: { initialMs: 20, maxMs: 200, stableMs: 60_000 }, pingIntervalMs: 1000, pongTimeoutMs: 500 },
  runner: { retryDelayMs: 20, recheckMs: 40 },
};
