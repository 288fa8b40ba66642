import type { Statement } from "./batch";
import type { Db } from "./client";

interface Pending {
  statement: Statement;
  resolve(rows: unknown): void;
  reject(error: unknown): void;
}

/**
 * Gathers the reads that a request asks for in the same tick into one D1 batch (one round trip, however many
 * statements). Per-request DataLoaders schedule their dispatch here (`schedule`), so the loaders of one level of a
 * GraphQL query (a page's departments, taxes, prices and stock) enqueue their statements together and the batch is
 * sent once they all have; `read` is also usable on its own by any read that may share a round trip.
 */
export class ReadBatcher {
  private pending: Pending[] = [];
  private callbacks: (() => void)[] = [];
  private scheduled = false;

  constructor(private readonly db: Db) {}

  /** The rows of `statement` (as drizzle maps them), read in the next batch of this request. */
  read<Row>(statement: PromiseLike<Row> | Statement): Promise<Row> {
    return new Promise<Row>((resolve, reject) => {
      this.pending.push({ statement: statement as Statement, resolve: resolve as (rows: unknown) => void, reject });
      this.arm();
    });
  }

  /** Run `dispatch` (a DataLoader's batch) before the next batch is sent, so that what it reads joins that batch. */
  schedule(dispatch: () => void) {
    this.callbacks.push(dispatch);
    this.arm();
  }

  private arm() {
    if (this.scheduled) return;
    this.scheduled = true;
    // A macrotask: every microtask (the resolvers of one execution level, DataLoader's own promise jobs) has run by then.
    setTimeout(() => void this.flush(), 0);
  }

  private async flush() {
    this.scheduled = false;
    // Dispatches enqueue reads synchronously, and each may schedule more dispatches: run them all first.
    while (this.callbacks.length) {
      const callbacks = this.callbacks;
      this.callbacks = [];
      for (const dispatch of callbacks) dispatch();
    }
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      const results = await this.db.batch(batch.map((p) => p.statement) as [Statement, ...Statement[]]);
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }
}
