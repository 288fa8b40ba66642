import { PRINT_JOB_TABLES } from "./hub-jobs";

/**
 * What the hub keeps in its own SQLite storage, per register of its store: the open session, the last Z number
 * and the grand total after it. D1 is the system of record: the hub writes D1 first and its own storage after, so
 * its copy can only lag behind D1 (the hub stopped between the two), never run ahead. Every D1 write of the hub is
 * guarded so that a lagging copy makes it fail (the open-session index, the Z number index, a session-open
 * guard); the hub then rebuilds the register's copy from D1 and tries again or refuses.
 */
export interface RegisterState {
  registerId: string;
  openSessionId: string | null;
  lastZNumber: number;
  grandTotal: number;
}

/** The storage's layout version: a new layout bumps it and says how to get there in `MIGRATIONS`. */
const MIGRATIONS: string[][] = [
  // 1: the hub's identity and its copy of the registers
  [
    "CREATE TABLE hub_identity (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    `CREATE TABLE register_state (
      register_id TEXT PRIMARY KEY,
      open_session_id TEXT,
      last_z_number INTEGER NOT NULL,
      grand_total INTEGER NOT NULL,
      synced_at INTEGER NOT NULL
    )`,
  ],
  // 2: the print-job queue and the bridges' latest status (hub-jobs.ts)
  PRINT_JOB_TABLES,
];

type StateRow = { register_id: string; open_session_id: string | null; last_z_number: number; grand_total: number };

export class HubState {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS hub_schema (version INTEGER NOT NULL)");
    const at = sql.exec<{ version: number }>("SELECT version FROM hub_schema").toArray()[0]?.version ?? 0;
    for (let v = at; v < MIGRATIONS.length; v++) for (const statement of MIGRATIONS[v]!) sql.exec(statement);
    if (at === 0) sql.exec("INSERT INTO hub_schema (version) VALUES (?)", MIGRATIONS.length);
    else if (at < MIGRATIONS.length) sql.exec("UPDATE hub_schema SET version = ?", MIGRATIONS.length);
  }

  /**
   * The hub serves one store of one tenant, as it was named. The first call records which; a call naming another
   * is a programming error (a hub reached under the wrong name), refused before it touches anything.
   */
  claim(tenantId: string, storeId: string) {
    const rows = this.sql.exec<{ key: string; value: string }>("SELECT key, value FROM hub_identity").toArray();
    if (rows.length === 0) {
      this.sql.exec("INSERT INTO hub_identity (key, value) VALUES ('tenant', ?), ('store', ?)", tenantId, storeId);
      return;
    }
    const held = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    if (held.tenant !== tenantId || held.store !== storeId) throw new Error(`this hub serves store ${held.store}, not ${storeId}`);
  }

  get(registerId: string): RegisterState | undefined {
    const row = this.sql.exec<StateRow>("SELECT * FROM register_state WHERE register_id = ?", registerId).toArray()[0];
    return row && { registerId: row.register_id, openSessionId: row.open_session_id, lastZNumber: row.last_z_number, grandTotal: row.grand_total };
  }

  put(state: RegisterState, now: number) {
    this.sql.exec(
      `INSERT INTO register_state (register_id, open_session_id, last_z_number, grand_total, synced_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (register_id) DO UPDATE SET open_session_id = excluded.open_session_id, last_z_number = excluded.last_z_number,
         grand_total = excluded.grand_total, synced_at = excluded.synced_at`,
      state.registerId, state.openSessionId, state.lastZNumber, state.grandTotal, now,
    );
  }

  /** Forget a register's copy: the next command rebuilds it from D1. */
  forget(registerId: string) {
    this.sql.exec("DELETE FROM register_state WHERE register_id = ?", registerId);
  }

  all(): RegisterState[] {
    return this.sql.exec<StateRow>("SELECT * FROM register_state ORDER BY register_id").toArray()
      .map((row) => ({ registerId: row.register_id, openSessionId: row.open_session_id, lastZNumber: row.last_z_number, grandTotal: row.grand_total }));
  }
}
