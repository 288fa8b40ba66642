import { appendFileSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { COMPACT_AFTER, DiskJournalFile, Journal, type JournalFile } from "../../bridge/journal";
import { makeJob, tempDir, until } from "./daemon-fixtures";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function dir() {
  const t = tempDir();
  cleanups.push(t.remove);
  return t.dir;
}

const fileOf = (d: string) => path.join(d, "journal.jsonl");
const lines = (d: string) => readFileSync(fileOf(d), "utf8").split("\n").filter(Boolean);

/** A journal file whose appends wait until released: what is "on disk" is what the real file holds. */
class HeldFile implements JournalFile {
  private releases: (() => void)[] = [];
  held = true;
  constructor(private readonly inner: JournalFile) {}
  async append(text: string) {
    if (this.held) await new Promise<void>((r) => this.releases.push(r));
    await this.inner.append(text);
  }
  replace(text: string) {
    return this.inner.replace(text);
  }
  close() {
    return this.inner.close();
  }
  release() {
    this.held = false;
    for (const r of this.releases.splice(0)) r();
  }
}

describe("the journal", () => {
  it("resolves add() only once the job is written and synced, and a reader of the file then finds it", async () => {
    const d = dir();
    const held = new HeldFile(await DiskJournalFile.open(fileOf(d)));
    const { journal } = await Journal.open(d, { file: held });
    cleanups.push(() => journal.close());
    const job = makeJob(1);
    let resolved = false;
    const adding = journal.add(job, "hub").then((r) => ((resolved = true), r));
    await new Promise((r) => setTimeout(r, 30));
    expect(resolved, "add() resolved before its write reached the disk").toBe(false);
    expect(readFileSync(fileOf(d), "utf8")).not.toContain(job.id);
    held.release();
    const { isNew, entry } = await adding;
    expect(isNew).toBe(true);
    expect(entry.state).toBe("queued");
    expect(readFileSync(fileOf(d), "utf8")).toContain(job.id);
  });

  it("a second add of a job being written waits for the same write and is not new", async () => {
    const d = dir();
    const held = new HeldFile(await DiskJournalFile.open(fileOf(d)));
    const { journal } = await Journal.open(d, { file: held });
    cleanups.push(() => journal.close());
    const job = makeJob(1);
    const first = journal.add(job, "hub");
    let secondDone = false;
    const second = journal.add(job, "hub").then((r) => ((secondDone = true), r));
    await new Promise((r) => setTimeout(r, 30));
    expect(secondDone).toBe(false);
    held.release();
    expect((await first).isNew).toBe(true);
    expect((await second).isNew).toBe(false);
    expect(lines(d).filter((l) => l.includes(job.id))).toHaveLength(1);
  });

  it("a failed write rejects add() and forgets the job, so a redelivery journals it again", async () => {
    const d = dir();
    const disk = await DiskJournalFile.open(fileOf(d));
    let fail = true;
    const flaky: JournalFile = {
      append: (t) => (fail ? Promise.reject(new Error("ENOSPC: no space left on device")) : disk.append(t)),
      replace: (t) => disk.replace(t),
      close: () => disk.close(),
    };
    const { journal } = await Journal.open(d, { file: flaky });
    cleanups.push(() => journal.close());
    const job = makeJob(1);
    await expect(journal.add(job, "hub")).rejects.toThrow(/ENOSPC/);
    expect(journal.get(job.id)).toBeUndefined();
    fail = false;
    expect((await journal.add(job, "hub")).isNew).toBe(true);
  });

  it("replays after a kill: finished jobs stay finished, one left printing becomes unknown, queued ones resume in order", async () => {
    const d = dir();
    const [printed, printing, failed, queuedA, queuedB] = [1, 2, 3, 4, 5].map((seq) => makeJob(seq));
    const first = (await Journal.open(d)).journal;
    for (const job of [printed, printing, failed, queuedA, queuedB]) await first.add(job!, "hub");
    await first.setState(printed!.id, "printing");
    await first.setState(printed!.id, "printed");
    await first.markReported(printed!.id);
    await first.setState(printing!.id, "printing");
    await first.setState(failed!.id, "failed", "no_printer");
    // killed here: never closed (its file handle is let go after the test)
    cleanups.push(() => first.close());

    const { journal, interrupted } = await Journal.open(d);
    cleanups.push(() => journal.close());
    expect(interrupted.map((e) => e.id)).toEqual([printing!.id]);
    expect(journal.get(printing!.id)).toMatchObject({ state: "unknown", reason: "interrupted", reported: false });
    expect(journal.get(printed!.id)).toMatchObject({ state: "printed", reported: true });
    expect(journal.get(failed!.id)).toMatchObject({ state: "failed", reason: "no_printer" });
    expect(journal.queued().map((e) => e.id)).toEqual([queuedA!.id, queuedB!.id]);
    expect(journal.queued()[0]!.payload).toEqual(queuedA!.payload);
    expect(journal.unreported().map((e) => e.id)).toEqual([printing!.id, failed!.id]);
    for (const job of [printed, printing, failed]) expect((await journal.add(job!, "hub")).isNew).toBe(false);
    expect(journal.queued()).toHaveLength(2);

    // A later job gets a later order than everything replayed.
    const later = makeJob(6);
    const { entry } = await journal.add(later, "local");
    expect(entry.order).toBeGreaterThan(journal.get(queuedB!.id)!.order);

    // And the unknown survives another restart as unknown (it is not printing any more).
    await journal.close();
    const third = (await Journal.open(d)).journal;
    cleanups.push(() => third.close());
    expect(third.get(printing!.id)!.state).toBe("unknown");
    expect(third.queued().map((e) => e.id)).toEqual([queuedA!.id, queuedB!.id, later.id]);
  });

  it("ignores a last record cut short by a crash and keeps everything before it", async () => {
    const d = dir();
    const first = (await Journal.open(d)).journal;
    const job = makeJob(1);
    await first.add(job, "hub");
    cleanups.push(() => first.close());
    appendFileSync(fileOf(d), `{"r":"state","id":"${job.id}","state":"pri`);
    const { journal } = await Journal.open(d);
    cleanups.push(() => journal.close());
    expect(journal.get(job.id)!.state).toBe("queued");
  });

  it("compacts: finished jobs past the retention or the cap are forgotten, unfinished ones kept whole", async () => {
    const d = dir();
    let now = 1_000_000;
    const options = { now: () => now, maxFinished: 3, retentionMs: 10_000 };
    const first = (await Journal.open(d, options)).journal;
    const jobs = Array.from({ length: 8 }, (_, i) => makeJob(i + 1));
    for (const job of jobs) await first.add(job, "local");
    for (const job of jobs.slice(0, 6)) {
      now += 100;
      await first.setState(job.id, "printed");
    }
    await first.close();
    const second = (await Journal.open(d, options)).journal;
    // The three newest finished jobs and the two queued ones: one snapshot line each.
    expect(lines(d)).toHaveLength(5);
    expect(second.all().map((e) => e.id)).toEqual([jobs[3], jobs[4], jobs[5], jobs[6], jobs[7]].map((j) => j!.id));
    expect(second.get(jobs[5]!.id)!.payload).toBeUndefined();
    expect(second.get(jobs[7]!.id)!.payload).toEqual(jobs[7]!.payload);
    await second.close();
    now += 20_000;
    const third = (await Journal.open(d, options)).journal;
    cleanups.push(() => third.close());
    expect(third.all().map((e) => e.id)).toEqual([jobs[6]!.id, jobs[7]!.id]);
  });

  it("keeps a hub job's unreported outcome past the retention, until it is reported", async () => {
    const d = dir();
    let now = 1_000_000;
    const options = { now: () => now, retentionMs: 10_000 };
    const first = (await Journal.open(d, options)).journal;
    const job = makeJob(1);
    await first.add(job, "hub");
    await first.setState(job.id, "printed");
    await first.close();
    now += 60_000;
    const second = (await Journal.open(d, options)).journal;
    expect(second.unreported().map((e) => e.id)).toEqual([job.id]);
    await second.markReported(job.id);
    await second.close();
    const third = (await Journal.open(d, options)).journal;
    cleanups.push(() => third.close());
    expect(third.get(job.id)).toBeUndefined();
  });

  it("compacts while running once enough records pile up, and loses none written during the rewrite", async () => {
    expect(COMPACT_AFTER).toBe(5000);
    const d = dir();
    let now = 1_000_000;
    /** A disk file whose next replace waits until released, and that counts them. */
    class SlowReplace implements JournalFile {
      replaces = 0;
      hold: Promise<void> | undefined;
      release: () => void = () => undefined;
      constructor(private readonly inner: JournalFile) {}
      append(text: string) {
        return this.inner.append(text);
      }
      async replace(text: string) {
        this.replaces++;
        await this.hold;
        return this.inner.replace(text);
      }
      close() {
        return this.inner.close();
      }
      holdNext() {
        this.hold = new Promise((r) => (this.release = r));
      }
    }
    const file = new SlowReplace(await DiskJournalFile.open(fileOf(d)));
    const options = { now: () => now, maxFinished: 5, retentionMs: 10_000, compactAfter: 40 };
    const journal = (await Journal.open(d, { ...options, file })).journal;
    expect(file.replaces).toBe(1); // the compaction at open

    // 20 jobs taken and printed: 40 records, the threshold. The compaction starts after the 40th and is held.
    const printedJobs = Array.from({ length: 20 }, (_, i) => makeJob(i + 1));
    file.holdNext();
    for (const job of printedJobs.slice(0, 19)) {
      await journal.add(job, "hub");
      now += 10;
      await journal.setState(job.id, "printed");
    }
    await journal.add(printedJobs[19]!, "hub");
    const lastPrinted = journal.setState(printedJobs[19]!.id, "printed");
    await lastPrinted;
    await until(() => file.replaces === 2, 2000, "the compaction to start");
    // While the file is being rewritten: a new job, a report and a state change still become durable, after it.
    const during = makeJob(100);
    let settled = false;
    const writes = Promise.all([journal.add(during, "hub"), journal.markReported(printedJobs[19]!.id), journal.setState(printedJobs[18]!.id, "printed", "again")]).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    file.release();
    await writes;
    await journal.close();

    // Five newest finished jobs (the cap) as snapshots, then the three records written during the rewrite.
    const written = lines(d).map((l) => JSON.parse(l) as { r: string; entry?: { id: string; payload?: unknown }; job?: { id: string } });
    expect(written.map((r) => r.r)).toEqual(["entry", "entry", "entry", "entry", "entry", "job", "reported", "state"]);
    expect(written.slice(0, 5).map((r) => r.entry!.id)).toEqual(printedJobs.slice(15).map((j) => j.id));
    expect(written.slice(0, 5).every((r) => r.entry!.payload === undefined)).toBe(true);

    const reopened = (await Journal.open(d, options)).journal;
    cleanups.push(() => reopened.close());
    expect(reopened.queued().map((e) => e.id)).toEqual([during.id]);
    expect(reopened.get(during.id)!.payload).toEqual(during.payload);
    expect(reopened.get(printedJobs[19]!.id)!.reported).toBe(true);
    expect(reopened.get(printedJobs[18]!.id)).toMatchObject({ state: "printed", reason: "again" });
    expect(reopened.get(printedJobs[0]!.id)).toBeUndefined();
    // A job forgotten by the compaction is a new job if it came again, but one it kept is recognised.
    expect((await reopened.add(printedJobs[17]!, "hub")).isNew).toBe(false);
  });
});
