/** Reconnect delays: exponential, capped, with jitter so a shop's devices don't retry in lockstep. */

export interface BackoffOptions {
  /** First delay (ms). */
  initialMs?: number;
  /** Longest delay (ms). */
  maxMs?: number;
  /** Growth per failed attempt. */
  factor?: number;
  /** A number in [0, 1); Math.random unless a test fixes it. */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 250;
    this.maxMs = options.maxMs ?? 15_000;
    this.factor = options.factor ?? 2;
    this.random = options.random ?? Math.random;
  }

  /** The next delay: half of the capped exponential step, plus a random part of the other half ("equal jitter"). */
  next(): number {
    const step = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt++;
    return Math.round(step / 2 + this.random() * (step / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** A sleep that can be cut short (a device arrived) or cancelled (closing). */
export class Wakeable {
  private wake: (() => void) | undefined;
  private cancelled = false;

  sleep(ms: number): Promise<void> {
    if (this.cancelled) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.wake === done) self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }

  /** End the current sleep now (no effect when nothing sleeps). */
  poke(): void {
    this.wake?.();
  }

  /** End the current sleep and every later one at once (the owner is closing). */
  cancel(): void {
    this.cancelled = true;
    this.wake?.();
  }
}
