/**
 * Wraps the D1 binding to count round trips and their time for `Server-Timing: d1;count=N;dur=MS`.
 * A batch is one round trip however many statements it carries.
 */
export class D1Meter {
  count = 0;
  durationMs = 0;

  async time<T>(call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } finally {
      this.count += 1;
      this.durationMs += performance.now() - started;
    }
  }

  header(): string {
    return `d1;count=${this.count};dur=${this.durationMs.toFixed(1)}`;
  }

  wrap(db: D1Database): D1Database {
    return new MeteredDatabase(db, this) as unknown as D1Database;
  }
}

class MeteredStatement {
  constructor(readonly inner: D1PreparedStatement, private readonly meter: D1Meter) {}
  bind(...values: unknown[]) {
    return new MeteredStatement(this.inner.bind(...values), this.meter);
  }
  first(column?: string) {
    return this.meter.time(() => (column === undefined ? this.inner.first() : this.inner.first(column)));
  }
  run() {
    return this.meter.time(() => this.inner.run());
  }
  all() {
    return this.meter.time(() => this.inner.all());
  }
  raw(options?: { columnNames?: boolean }) {
    return this.meter.time(() => this.inner.raw(options as { columnNames: true }));
  }
}

const unwrap = (s: D1PreparedStatement | MeteredStatement) => (s instanceof MeteredStatement ? s.inner : s);

class MeteredDatabase {
  constructor(private readonly inner: D1Database, private readonly meter: D1Meter) {}
  prepare(query: string) {
    return new MeteredStatement(this.inner.prepare(query), this.meter);
  }
  batch(statements: (D1PreparedStatement | MeteredStatement)[]) {
    return this.meter.time(() => this.inner.batch(statements.map(unwrap)));
  }
  exec(query: string) {
    return this.meter.time(() => this.inner.exec(query));
  }
  withSession(constraint?: string) {
    return this.inner.withSession(constraint);
  }
  dump() {
    return this.meter.time(() => this.inner.dump());
  }
}
