import { DurableObject } from "cloudflare:workers";
import type { CashEvent, CloseResult, RegisterSession } from "../../schema/contracts/registers";
import type { PushResult } from "../../schema/contracts/sync-push";
import { commit, isGuardFailure, isUniqueViolation, type Statement } from "../db/batch";
import { createDb } from "../db/client";
import { TenantScope } from "../db/tenant-scope";
import { withWriteGuard } from "../db/write-guard";
import { cashEventStatements, type CashEventCommand } from "../domain/cash-events";
import { idempotencyQuery, isRace, replay, type IdempotencyKey } from "../domain/idempotency";
import { openStatements, refusals, registerStateFrom, registerStateQueries, sessionClosed, type HubContext, type OpenCommand } from "../domain/register-sessions";
import { closeReadStatements, planClose, type CloseCommand } from "../domain/session-close";
import { applyPush, type PushCommand } from "../domain/sync-push-apply";
import type { RegisterCopies } from "../domain/sync-push-records";
import type { Env } from "../env";
import { D1Meter } from "../http/d1-meter";
import { DomainError, conflict, notFound } from "../domain/errors";
import { SYNC_CLOSE, type PresenceEntry } from "../../schema/sync/messages";
import { watchChangeFeed } from "../sync/change-watch";
import { toHubError, type HubCaller, type HubReply } from "./hub-protocol";
import { HubSockets } from "./hub-sockets";
import { JobQueue } from "./hub-jobs";
import { BridgeRelay } from "./hub-relay";
import { printJobDto, type CreateJobCommand, type HubBridge, type JobCaller, type ReprintCommand } from "../domain/print-jobs";
import type { PrintJob, PrintJobQuery } from "../../schema/contracts/print-jobs";
import type { Page } from "../db/paging";
import { HubState, type RegisterState } from "./hub-state";
import { SerialQueue } from "./serial-queue";

export { storeHub } from "./hub-client";

/** Reads and writes a close may make when sales keep arriving in the session between its read and its write. */
const CLOSE_ATTEMPTS = 5;

/**
 * The store's hub: one Durable Object per store, the authority for the store's register sessions, its live
 * sockets and the bridge's print-job queue. Reached by RPC from the Worker through `storeHub()`.
 *
 * Every command (open, close, cash event) runs in one queue per store, so the store's session changes happen one
 * at a time: a D1 call does not hold the input gate, so without the queue two opens could both read "closed" and
 * both write. Each command writes D1 before it answers, then updates the hub's own copy (see HubState). The copy
 * saves D1 reads on the way that succeeds; a refusal is confirmed against D1 first, and a write made on a lagging
 * copy fails on D1's constraints and guards, so the hub rebuilds the copy and tries again.
 */
export class StoreHub extends DurableObject<Env> {
  private readonly queue = new SerialQueue();
  private readonly state: HubState;
  private readonly sockets: HubSockets;
  private readonly jobs: JobQueue;
  private readonly relay: BridgeRelay;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.state = new HubState(ctx.storage.sql);
    this.jobs = new JobQueue(ctx.storage);
    this.relay = new BridgeRelay(ctx, this.jobs, () => this.env.DB);
    this.sockets = new HubSockets(ctx, () => this.env.DB, this.relay);
    // The hub's own writes (sessions, cash events, closes) tell its sockets directly once they commit; they are
    // the store's own rows, nothing for other stores' hubs.
    const told = (seq: number) => this.sockets.committed(seq);
    this.env = { ...env, DB: watchChangeFeed(env.DB, { rows: (rows) => told(Math.max(...rows.map((r) => r.seq))), range: (r) => told(r.to) }) };
  }

  /** A WebSocket upgrade the Worker authenticated (GET /api/v1/sync/ws): see hub-sockets.ts. */
  override async fetch(request: Request): Promise<Response> {
    return this.sockets.accept(request);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    await this.sockets.message(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    await this.sockets.closed(ws, code);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.sockets.closed(ws, 1011);
  }

  /** A committed change concerns this store up to `seq`: its pulling clients are told. Answers how many. */
  async notify(seq: number): Promise<number> {
    return this.sockets.notify(seq);
  }

  /**
   * A device of this store was revoked: its open sockets close now (4010), not at the next check, and a bridge's
   * unfinished jobs become unknown (see JobQueue.forgetBridge). Answers how many sockets.
   */
  async disconnectDevice(deviceId: string): Promise<number> {
    const closed = this.sockets.closeDevice(deviceId, SYNC_CLOSE.REVOKED, "this device was revoked or its store deactivated");
    this.relay.revoked(deviceId);
    await this.relay.sendTills();
    return closed;
  }

  /** A till of this store was enrolled: the bridges' lists of tills for their local API are sent again. Answers to how many bridges. */
  async tillsChanged(): Promise<number> {
    return this.relay.sendTills();
  }

  /** Which tills, bridges and sync clients are connected, and since when. */
  async presence(): Promise<PresenceEntry[]> {
    return this.sockets.presence();
  }

  /** Queue a print job (or answer the one its Idempotency-Key made) and hand it to the bridge if one is connected. */
  async createPrintJob(command: CreateJobCommand): Promise<HubReply<PrintJob>> {
    return this.answer(command.caller, (now) => {
      this.jobs.prune(now);
      const { job, replayed } = this.jobs.create(
        { printerId: command.printerId, payload: command.payload, userId: command.caller.userId, deviceId: command.caller.deviceId }, now, command.idempotency,
      );
      if (!replayed) this.relay.queued(job);
      return printJobDto(command.caller.storeId, this.jobs.get(job.id)!);
    });
  }

  /** A person's reprint of a finished job: a new job (a receipt marked as a copy) naming the old one. */
  async reprintJob(command: ReprintCommand): Promise<HubReply<PrintJob>> {
    return this.answer(command.caller, (now) => {
      this.jobs.prune(now);
      const { caller } = command;
      const { job, replayed } = this.jobs.reprint(command.jobId, { userId: caller.userId, deviceId: caller.deviceId, mayRaw: command.mayRaw }, now, command.idempotency);
      if (!replayed) this.relay.queued(job);
      return printJobDto(caller.storeId, this.jobs.get(job.id)!);
    });
  }

  async printJob(caller: JobCaller, jobId: string): Promise<HubReply<PrintJob>> {
    return this.answer(caller, () => {
      const job = this.jobs.get(jobId);
      if (!job) throw notFound("Print job");
      return printJobDto(caller.storeId, job);
    });
  }

  async printJobs(caller: JobCaller, query: PrintJobQuery): Promise<HubReply<Page<PrintJob>>> {
    return this.answer(caller, () => {
      const { items, total } = this.jobs.page(query.page, query.pageSize, query.state);
      return { items: items.map((j) => printJobDto(caller.storeId, j)), total, page: query.page, pageSize: query.pageSize };
    });
  }

  /** The bridges the hub knows: connected now, or that reported their devices. */
  async bridges(caller: JobCaller): Promise<HubReply<HubBridge[]>> {
    return this.answer(caller, () => {
      const online = this.relay.onlineBridges();
      const statuses = new Map(this.jobs.bridgeStatuses().map((s) => [s.bridgeId, s]));
      return [...new Set([...online.keys(), ...statuses.keys()])].map((bridgeId) => {
        const status = statuses.get(bridgeId);
        return { bridgeId, online: online.has(bridgeId), connectedAt: online.get(bridgeId) ?? null, status: status ? { devices: status.devices, at: status.at } : null };
      });
    });
  }

  /** Answers the hub's identity: a liveness probe for tests and tools. */
  async ping(): Promise<{ ok: true }> {
    return { ok: true };
  }

  /** Open a session of a register of this store: 409 REGISTER_ALREADY_OPEN when it has one, REGISTER_INACTIVE. */
  openSession(command: OpenCommand): Promise<HubReply<RegisterSession>> {
    const { register } = command;
    return this.serve(command.caller, command.idempotency, async (h) => {
      let state = await this.registerState(h, register.id);
      if (state.openSessionId) state = await this.rebuild(h, register.id);
      if (state.openSessionId) throw refusals.alreadyOpen(register.code);
      const { session, statements } = openStatements(h, command);
      try {
        await commit(h.scope.db, statements);
      } catch (error) {
        if (isUniqueViolation(error, "register_sessions.register_id")) {
          await this.rebuild(h, register.id);
          throw refusals.alreadyOpen(register.code);
        }
        if (isGuardFailure(error)) throw refusals.registerInactive(register.code);
        throw error;
      }
      this.state.put({ ...state, openSessionId: session.id }, h.now);
      return session;
    });
  }

  /** Close a session of this store: its counts, expected amounts and Z report (409 SESSION_CLOSED if it is not open). */
  closeSession(command: CloseCommand): Promise<HubReply<CloseResult>> {
    return this.serve(command.caller, command.idempotency, async (h) => {
      for (let attempt = 0; attempt < CLOSE_ATTEMPTS; attempt++) {
        const state = await this.registerState(h, command.registerId);
        const results = (await h.scope.db.batch(closeReadStatements(h.scope, command.sessionId) as [Statement, ...Statement[]])) as unknown as unknown[][];
        const plan = planClose(h, results, state, command);
        try {
          await commit(h.scope.db, plan.statements);
        } catch (error) {
          // The session changed between the read and the write (a sale, a void, or it closed): read it again.
          if (isGuardFailure(error)) continue;
          // The hub's copy of the register lagged behind D1: its Z number is taken.
          if (isUniqueViolation(error, "z_reports.z_number") || isUniqueViolation(error, "z_reports.session_id")) {
            await this.rebuild(h, command.registerId);
            continue;
          }
          throw error;
        }
        this.state.put(plan.next, h.now);
        return plan.result;
      }
      throw conflict("SESSION_BUSY", "Sales kept arriving in this session while it was being closed; close it again");
    });
  }

  /** Record a cash event in an open session of this store (409 SESSION_CLOSED otherwise). */
  recordCashEvent(command: CashEventCommand): Promise<HubReply<CashEvent>> {
    return this.serve(command.caller, command.idempotency, async (h) => {
      let state = await this.registerState(h, command.registerId);
      if (state.openSessionId !== command.sessionId) state = await this.rebuild(h, command.registerId);
      if (state.openSessionId !== command.sessionId) throw sessionClosed({ id: command.sessionId });
      const { event, statements } = cashEventStatements(h, command);
      try {
        await commit(h.scope.db, statements);
      } catch (error) {
        if (isGuardFailure(error)) {
          await this.rebuild(h, command.registerId);
          throw sessionClosed({ id: command.sessionId });
        }
        throw error;
      }
      return event;
    });
  }

  /** Apply a batch of records the store made offline, in the store's queue (domain/sync-push-apply.ts). */
  push(command: PushCommand): Promise<HubReply<PushResult>> {
    return this.serve(command.caller, undefined, (h) => applyPush(h, this.registerCopies, command));
  }

  /** The hub's copy of its registers, as a push reads and updates it. */
  private readonly registerCopies: RegisterCopies = {
    get: (h, registerId) => this.registerState(h, registerId),
    rebuild: (h, registerId) => this.rebuild(h, registerId),
    put: (state, now) => this.state.put(state, now),
    forget: (registerId) => this.state.forget(registerId),
  };

  /** The hub's copy of its registers (for tools and tests). */
  async registers(): Promise<RegisterState[]> {
    return this.queue.run(async () => this.state.all());
  }

  private async registerState(h: HubContext, registerId: string): Promise<RegisterState> {
    return this.state.get(registerId) ?? this.rebuild(h, registerId);
  }

  /** The register's copy, read afresh from D1 (one round trip) and kept. */
  private async rebuild(h: HubContext, registerId: string): Promise<RegisterState> {
    const [open, lastZ] = await h.scope.db.batch(registerStateQueries(h.scope, registerId));
    const state = registerStateFrom(registerId, [open, lastZ]);
    this.state.put(state, Date.now());
    return state;
  }

  /**
   * Answer a print-job call: synchronous on the hub's own storage (no D1, so no queue is needed: nothing else runs
   * in between), a refusal as data.
   */
  private answer<T>(caller: { tenantId: string; storeId: string }, run: (now: number) => T): HubReply<T> {
    const d1 = { count: 0, durationMs: 0 };
    try {
      this.state.claim(caller.tenantId, caller.storeId);
      return { ok: true, value: run(Date.now()), d1 };
    } catch (error) {
      if (error instanceof DomainError) return { ok: false, error: toHubError(error), d1 };
      throw error;
    }
  }

  /**
   * Run a command in the store's queue, as the caller: D1 through the caller's session guard (so a revoked session
   * or device writes nothing here either), the command's own clock reading, its D1 round trips counted. A refusal
   * answers as data. A command with an idempotency key that is refused, or loses a race on its key, answers the
   * key's first answer if there is one (a retry arriving while the first attempt was still running).
   */
  private async serve<T>(caller: HubCaller, key: IdempotencyKey | undefined, command: (h: HubContext) => Promise<T>): Promise<HubReply<T>> {
    const meter = new D1Meter();
    const usage = () => ({ count: meter.count, durationMs: meter.durationMs });
    const d1 = meter.wrap(this.env.DB);
    const db = createDb(withWriteGuard(d1, caller.guard));
    const scope = new TenantScope(db, caller.tenantId);
    try {
      const value = await this.queue.run(async () => {
        this.state.claim(caller.tenantId, caller.storeId);
        const now = Date.now();
        const h: HubContext = { scope, caller, now, request: { ip: caller.ip, requestId: caller.requestId, now } };
        try {
          return await command(h);
        } catch (error) {
          if (key && ((error instanceof DomainError && error.kind === "conflict") || isRace(error))) {
            const first = replay<T>(await idempotencyQuery(scope, key), key);
            if (first !== undefined) return first;
          }
          throw error;
        }
      });
      return { ok: true, value, d1: usage() };
    } catch (error) {
      if (error instanceof DomainError) return { ok: false, error: toHubError(error), d1: usage() };
      throw error;
    }
  }
}
