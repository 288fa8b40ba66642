/** Jobs and printer configs for the daemon's tests. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
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

/** Resolves when `check` is true, polling; fails after `ms`. */
export async function until(check: () => boolean, ms = 5000, what = "the condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
