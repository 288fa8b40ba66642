import { type BridgeDevice, type FinalJobState, type JobPayload, type PrintJobKind, type PrintJobState } from "../../schema/sync/bridge-messages";
import { businessRule, conflict, forbidden, notFound } from "../domain/errors";
import { mismatch, type IdempotencyKey } from "../domain/idempotency";

/**
 * The store's print-job queue, in the hub's own SQLite storage (the hub is its only authority: jobs never touch
 * D1). Jobs keep the order they were created in (`seq`, which is never reused) and move
 *
 *   queued → sent (to one bridge, on one socket) → acked (journaled by the bridge) → printed | failed | unknown
 *
 * Rules this module keeps (every change is one synchronous storage transaction):
 * - A job sent to a bridge stays that bridge's (`bridge_id`): it is redelivered only to it, so two bridges never
 *   both hold it. An acked or finished job is never sent again.
 * - A drawer kick is never sent twice: one sent but not acked whose socket is gone becomes unknown
 *   (connection_lost); one still queued after DRAWER_KICK_TTL_MS fails (expired) rather than open a drawer long
 *   after it was asked for. Any other job still queued after QUEUED_TTL_MS fails (expired).
 * - A bridge reports outcomes only of the jobs sent to it; a finished job stays as it finished, except that the
 *   hub's own guess (unknown, connection_lost) gives way to what the bridge that holds the job reports.
 * - The history is bounded: finished jobs beyond the newest HISTORY_JOBS, and every job older than HISTORY_MS, are
 *   deleted; at most MAX_UNFINISHED jobs wait at once (more is 422 PRINT_QUEUE_FULL).
 */

export const DRAWER_KICK_TTL_MS = 2 * 60_000;
export const QUEUED_TTL_MS = 24 * 3_600_000;
export const HISTORY_MS = 7 * 24 * 3_600_000;
export const HISTORY_JOBS = 500;
export const MAX_UNFINISHED = 1_000;

/** The storage layout of the queue: one step of the hub's MIGRATIONS (hub-state.ts). */
export const PRINT_JOB_TABLES = [
  `CREATE TABLE print_jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    printer_id TEXT,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    user_id TEXT NOT NULL,
    device_id TEXT,
    reprint_of TEXT,
    bridge_id TEXT,
    socket_id TEXT,
    idempotency_key TEXT UNIQUE,
    request_hash TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    acked_at INTEGER,
    finished_at INTEGER,
    updated_at INTEGER NOT NULL
  )`,
  "CREATE INDEX print_jobs_state ON print_jobs (state, seq)",
  "CREATE INDEX print_jobs_finished ON print_jobs (finished_at)",
  `CREATE TABLE bridge_status (
    bridge_id TEXT PRIMARY KEY,
    devices TEXT NOT NULL,
    at INTEGER NOT NULL,
    received_at INTEGER NOT NULL
  )`,
];

export interface JobRecord {
  id: string;
  seq: number;
  kind: PrintJobKind;
  printerId: string | null;
  payload: JobPayload;
  state: PrintJobState;
  reason: string | null;
  userId: string;
  deviceId: string | null;
  reprintOf: string | null;
  bridgeId: string | null;
  socketId: string | null;
  createdAt: number;
  sentAt: number | null;
  ackedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
}

export interface NewJob {
  printerId: string | null;
  payload: JobPayload;
  userId: string;
  deviceId: string | null;
  reprintOf?: string | null;
}

export interface BridgeStatusRecord {
  bridgeId: string;
  devices: BridgeDevice[];
  /** The bridge's clock when it reported. */
  at: number;
  receivedAt: number;
}

type JobRow = {
  seq: number; id: string; kind: string; printer_id: string | null; payload: string; state: string; reason: string | null;
  user_id: string; device_id: string | null; reprint_of: string | null; bridge_id: string | null; socket_id: string | null;
  created_at: number; sent_at: number | null; acked_at: number | null; finished_at: number | null; updated_at: number;
};

const toRecord = (r: JobRow): JobRecord => ({
  id: r.id, seq: r.seq, kind: r.kind as PrintJobKind, printerId: r.printer_id, payload: JSON.parse(r.payload) as JobPayload,
  state: r.state as PrintJobState, reason: r.reason, userId: r.user_id, deviceId: r.device_id, reprintOf: r.reprint_of,
  bridgeId: r.bridge_id, socketId: r.socket_id, createdAt: r.created_at, sentAt: r.sent_at, ackedAt: r.acked_at,
  finishedAt: r.finished_at, updatedAt: r.updated_at,
});

const UNFINISHED = "('queued', 'sent', 'acked')";

export class JobQueue {
  constructor(private readonly storage: DurableObjectStorage) {}

  private get sql() {
    return this.storage.sql;
  }

  private rows(query: string, ...params: SqlStorageValue[]): JobRecord[] {
    return this.sql.exec<JobRow>(query, ...params).toArray().map(toRecord);
  }

  get(id: string): JobRecord | undefined {
    return this.rows("SELECT * FROM print_jobs WHERE id = ?", id)[0];
  }

  /**
   * Queue a job, or answer the job an Idempotency-Key already made (the same request: as it is now; another
   * request with the key: 422 IDEMPOTENCY_MISMATCH). `replayed` says which.
   */
  create(job: NewJob, now: number, key?: IdempotencyKey): { job: JobRecord; replayed: boolean } {
    return this.storage.transactionSync(() => {
      if (key) {
        const held = this.sql.exec<{ id: string; request_hash: string }>("SELECT id, request_hash FROM print_jobs WHERE idempotency_key = ?", key.key).toArray()[0];
        if (held) {
          if (held.request_hash !== key.requestHash) throw mismatch();
          return { job: this.get(held.id)!, replayed: true };
        }
      }
      const waiting = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM print_jobs WHERE state IN ${UNFINISHED}`).one().n;
      if (waiting >= MAX_UNFINISHED) {
        throw businessRule("PRINT_QUEUE_FULL", `The store already has ${waiting} print jobs waiting for its bridge; is the bridge connected?`);
      }
      const id = crypto.randomUUID();
      this.sql.exec(
        `INSERT INTO print_jobs (id, kind, printer_id, payload, state, user_id, device_id, reprint_of, idempotency_key, request_hash, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)`,
        id, job.payload.kind, job.printerId, JSON.stringify(job.payload), job.userId, job.deviceId, job.reprintOf ?? null,
        key?.key ?? null, key?.requestHash ?? null, now, now,
      );
      return { job: this.get(id)!, replayed: false };
    });
  }

  /** A person's reprint of a finished job: a new job of the same payload, a receipt marked as a copy. */
  reprint(jobId: string, who: { userId: string; deviceId: string | null; mayRaw: boolean }, now: number, key?: IdempotencyKey): { job: JobRecord; replayed: boolean } {
    const old = this.get(jobId);
    if (!old) throw notFound("Print job");
    if (old.kind === "drawer") throw businessRule("NOT_REPRINTABLE", "A drawer kick is never repeated; kick the drawer again (POST /drawer-kicks) if it should open");
    if (old.kind === "raw" && !who.mayRaw) throw forbidden("Reprinting a raw job needs the permission stores.edit in the store", "MISSING_PERMISSION_IN_STORE");
    if (old.state !== "printed" && old.state !== "failed" && old.state !== "unknown") {
      throw conflict("JOB_NOT_FINISHED", `Print job ${old.id} is ${old.state}: it may still print; reprint it once it has printed, failed or is unknown`);
    }
    const payload: JobPayload = old.payload.kind === "receipt"
      ? { ...old.payload, copy: true, model: { ...old.payload.model, copy: true } }
      : old.payload;
    return this.create({ printerId: old.printerId, payload, userId: who.userId, deviceId: who.deviceId, reprintOf: old.id }, now, key);
  }

  /** A page of the history, newest first (optionally of one state), and how many there are. */
  page(page: number, pageSize: number, state?: PrintJobState): { items: JobRecord[]; total: number } {
    const where = state ? "WHERE state = ?" : "";
    const params: SqlStorageValue[] = state ? [state] : [];
    const total = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM print_jobs ${where}`, ...params).one().n;
    const items = this.rows(`SELECT * FROM print_jobs ${where} ORDER BY seq DESC LIMIT ? OFFSET ?`, ...params, pageSize, (page - 1) * pageSize);
    return { items, total };
  }

  /** Jobs waiting to be sent to any bridge, in order. */
  queued(): JobRecord[] {
    return this.rows("SELECT * FROM print_jobs WHERE state = 'queued' ORDER BY seq");
  }

  /** Jobs sent to the bridge and never acked (redelivered when it says hello again), drawer kicks excepted. */
  unacked(bridgeId: string): JobRecord[] {
    return this.rows("SELECT * FROM print_jobs WHERE state = 'sent' AND bridge_id = ? AND kind <> 'drawer' ORDER BY seq", bridgeId);
  }

  /** The job went out on the bridge's socket. */
  markSent(id: string, bridgeId: string, socketId: string, now: number): JobRecord {
    this.sql.exec(
      "UPDATE print_jobs SET state = 'sent', bridge_id = ?, socket_id = ?, sent_at = ?, updated_at = ? WHERE id = ? AND state IN ('queued', 'sent')",
      bridgeId, socketId, now, now, id,
    );
    return this.get(id)!;
  }

  /** The bridge journaled the job: the changed job, or undefined when there is nothing to change (not its job, acked already). */
  ack(id: string, bridgeId: string, now: number): JobRecord | undefined {
    const changed = this.sql.exec(
      "UPDATE print_jobs SET state = 'acked', acked_at = ?, updated_at = ? WHERE id = ? AND bridge_id = ? AND state = 'sent'",
      now, now, id, bridgeId,
    ).rowsWritten;
    return changed ? this.get(id) : undefined;
  }

  /** The bridge's outcome of a job sent to it: the changed job, or undefined (not its job, or finished already). */
  finish(id: string, bridgeId: string, state: FinalJobState, reason: string | null, now: number): JobRecord | undefined {
    const changed = this.sql.exec(
      `UPDATE print_jobs SET state = ?, reason = ?, finished_at = ?, updated_at = ?, acked_at = coalesce(acked_at, ?)
       WHERE id = ? AND bridge_id = ? AND (state IN ('sent', 'acked') OR (state = 'unknown' AND reason = 'connection_lost'))`,
      state, reason, now, now, now, id, bridgeId,
    ).rowsWritten;
    return changed ? this.get(id) : undefined;
  }

  /**
   * Drawer kicks sent to the bridge, never acked, on a socket that is gone (not among `openSockets`): unknown,
   * never sent again. Answers the changed jobs.
   */
  strandDrawerKicks(bridgeId: string, openSockets: string[], now: number): JobRecord[] {
    return this.storage.transactionSync(() => {
      const stranded = this.rows("SELECT * FROM print_jobs WHERE state = 'sent' AND kind = 'drawer' AND bridge_id = ? ORDER BY seq", bridgeId)
        .filter((j) => !openSockets.includes(j.socketId ?? ""));
      return stranded.map((j) => this.end(j.id, "unknown", "connection_lost", now));
    });
  }

  /**
   * A bridge was revoked: the hub will never hear of its jobs again. What it was sent and had not finished becomes
   * unknown (bridge_revoked: a person decides whether to reprint), and its reported printers are forgotten, so
   * jobs waiting for them go to the store's other bridges. Answers the changed jobs.
   */
  forgetBridge(bridgeId: string, now: number): JobRecord[] {
    return this.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM bridge_status WHERE bridge_id = ?", bridgeId);
      const held = this.rows("SELECT * FROM print_jobs WHERE bridge_id = ? AND state IN ('sent', 'acked') ORDER BY seq", bridgeId);
      return held.map((j) => this.end(j.id, "unknown", "bridge_revoked", now));
    });
  }

  /** Queued jobs too old to send (see the TTLs): failed, reason expired. Answers the changed jobs. */
  expire(now: number): JobRecord[] {
    return this.storage.transactionSync(() => {
      const stale = this.rows(
        "SELECT * FROM print_jobs WHERE state = 'queued' AND ((kind = 'drawer' AND created_at < ?) OR created_at < ?) ORDER BY seq",
        now - DRAWER_KICK_TTL_MS, now - QUEUED_TTL_MS,
      );
      return stale.map((j) => this.end(j.id, "failed", "expired", now));
    });
  }

  private end(id: string, state: FinalJobState, reason: string, now: number): JobRecord {
    this.sql.exec("UPDATE print_jobs SET state = ?, reason = ?, finished_at = ?, updated_at = ? WHERE id = ?", state, reason, now, now, id);
    return this.get(id)!;
  }

  /** Keep the history bounded: jobs older than HISTORY_MS, and finished ones beyond the newest HISTORY_JOBS. */
  prune(now: number): void {
    this.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM print_jobs WHERE created_at < ?", now - HISTORY_MS);
      this.sql.exec(
        `DELETE FROM print_jobs WHERE state NOT IN ${UNFINISHED} AND seq NOT IN
           (SELECT seq FROM print_jobs WHERE state NOT IN ${UNFINISHED} ORDER BY seq DESC LIMIT ?)`,
        HISTORY_JOBS,
      );
    });
  }

  putBridgeStatus(bridgeId: string, devices: BridgeDevice[], at: number, now: number): BridgeStatusRecord {
    this.sql.exec(
      `INSERT INTO bridge_status (bridge_id, devices, at, received_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (bridge_id) DO UPDATE SET devices = excluded.devices, at = excluded.at, received_at = excluded.received_at`,
      bridgeId, JSON.stringify(devices), at, now,
    );
    return { bridgeId, devices, at, receivedAt: now };
  }

  bridgeStatuses(): BridgeStatusRecord[] {
    return this.sql.exec<{ bridge_id: string; devices: string; at: number; received_at: number }>("SELECT * FROM bridge_status ORDER BY received_at")
      .toArray().map((r) => ({ bridgeId: r.bridge_id, devices: JSON.parse(r.devices) as BridgeDevice[], at: r.at, receivedAt: r.received_at }));
  }

  bridgeStatus(bridgeId: string): BridgeStatusRecord | undefined {
    return this.bridgeStatuses().find((s) => s.bridgeId === bridgeId);
  }
}
