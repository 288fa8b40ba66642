import { FEATURES, isFinalJobState, type Feature } from "../../schema/sync/bridge-messages";
import { SYNC_CLOSE, SYNC_PROTOCOL_VERSION, type ParseFailure, type ServerMessage } from "../../schema/sync/messages";
import type { BridgeStatusRecord, JobQueue, JobRecord } from "./hub-jobs";
import { storeTills } from "./hub-tills";
import { helloedSockets, send, type BridgeClientMessage, type SocketAttachment, type SocketListener } from "./hub-sockets";

/**
 * The store bridge's side of the hub: jobs from the queue (hub-jobs.ts) to the bridge's socket, and what the
 * bridge says (acks, outcomes, its devices' status, scans) to the queue and the store's tills. Everything here is
 * synchronous on the hub's storage and sockets, so no two steps of it interleave.
 *
 * Which bridge gets a job (a store may have several): the bridge that owns the job's printer, by the devices its
 * latest bridge.status lists, waiting for it while it is offline; a job for the default printer (no printerId) or
 * for a printer no bridge has reported goes to the first connected bridge (connected the longest). A job once sent
 * stays with the bridge it was sent to. A bridge's jobs go out on its newest socket, in seq order.
 *
 * Only sockets that asked for them get the bridge protocol's messages: a bridge that said `jobs` gets jobs; a
 * till (any socket but a bridge's) that said `job.status`, `bridge.status` or `scan` gets those.
 */
export class BridgeRelay implements SocketListener {
  constructor(
    private readonly ctx: DurableObjectState,
    private readonly jobs: JobQueue,
    private readonly db: () => D1Database,
  ) {}

  /**
   * Tell the bridges that asked (`tills`) which of the store's tills may use their local API: the one that just
   * said hello, or every one (a till was enrolled or a device revoked). One D1 read for all of them.
   */
  async sendTills(only?: { ws: WebSocket; a: SocketAttachment }): Promise<number> {
    const targets = only ? [only] : helloedSockets(this.ctx, "bridge").filter(({ a }) => a.features.includes(FEATURES.tills));
    if (targets.length === 0) return 0;
    const { tenantId, storeId } = targets[0]!.a;
    // Stamped before the read: of two reads that finish out of order, the one that started later wins at the bridge.
    const at = Date.now();
    const tills = await storeTills(this.db(), tenantId, storeId);
    const message: ServerMessage = { v: SYNC_PROTOCOL_VERSION, type: "tills", tills, at };
    for (const { ws } of targets) trySend(ws, message);
    return targets.length;
  }

  /** Send every job that can go now, in order (after a job is queued, a bridge says hello or reports its devices). */
  deliver(now = Date.now()): void {
    this.tellJobs(this.jobs.expire(now));
    const bridges = this.jobBridges();
    if (bridges.length === 0) return;
    const owners = this.printerOwners();
    for (const job of this.jobs.queued()) {
      const target = this.targetOf(job, bridges, owners);
      if (target) this.sendJob(target, job, now);
    }
  }

  /** A job was queued (or an Idempotency-Key answered an existing one): its tills are told, the bridge given it. */
  queued(job: JobRecord): void {
    this.tellJobs([job]);
    this.deliver();
  }

  helloed(ws: WebSocket, a: SocketAttachment): void {
    const now = Date.now();
    if (a.kind === "bridge") {
      if (a.features.includes(FEATURES.tills)) {
        void this.sendTills({ ws, a }).catch((error: unknown) => console.error("hub: could not send the tills to a bridge", error));
      }
      if (!a.features.includes(FEATURES.jobs)) return;
      // Drawer kicks sent on a socket that is gone (its close may not have reached the hub) are never sent again.
      const open = helloedSockets(this.ctx, "bridge").filter(({ a: other }) => other.deviceId === a.deviceId).map(({ a: other }) => other.socketId);
      this.tellJobs(this.jobs.strandDrawerKicks(a.deviceId, open, now));
      // What the bridge was sent and never acked, again (it dedupes by id), then what waits for it.
      for (const job of this.jobs.unacked(a.deviceId)) this.sendJob({ ws, a }, job, now);
      this.deliver(now);
      return;
    }
    if (a.features.includes(FEATURES.bridgeStatus)) {
      const online = this.onlineBridges();
      for (const status of this.jobs.bridgeStatuses()) trySend(ws, statusMessage(status, online.has(status.bridgeId)));
    }
  }

  message(_ws: WebSocket, a: SocketAttachment, message: BridgeClientMessage): ParseFailure | undefined {
    const now = Date.now();
    switch (message.type) {
      case "job.ack": {
        const job = this.jobs.ack(message.jobId, a.deviceId, now);
        if (job) this.tellJobs([job]);
        return;
      }
      case "job.status": {
        if (!isFinalJobState(message.state)) {
          return { code: SYNC_CLOSE.MALFORMED, reason: `job.status from a bridge reports printed, failed or unknown, not ${message.state}` };
        }
        const job = this.jobs.finish(message.jobId, a.deviceId, message.state, message.reason ?? null, now);
        if (job) this.tellJobs([job]);
        return;
      }
      case "bridge.status": {
        const status = this.jobs.putBridgeStatus(a.deviceId, message.devices, message.at, now);
        this.tellTills(FEATURES.bridgeStatus, statusMessage(status, true));
        // The bridge may have named a printer that queued jobs were waiting for.
        this.deliver(now);
        return;
      }
      case "scan": {
        const { v, type, scannerId, text, registerId, at } = message;
        const relay: ServerMessage = { v, type, bridgeId: a.deviceId, scannerId, text, registerId: registerId ?? null, at };
        this.tellTills(FEATURES.scan, relay, registerId ? (till) => till.registerId === registerId : undefined);
        return;
      }
    }
  }

  closed(a: SocketAttachment): void {
    if (a.kind !== "bridge") return;
    const now = Date.now();
    const open = helloedSockets(this.ctx, "bridge").filter(({ a: other }) => other.deviceId === a.deviceId && other.socketId !== a.socketId);
    this.tellJobs(this.jobs.strandDrawerKicks(a.deviceId, open.map(({ a: other }) => other.socketId), now));
    if (open.length === 0) {
      const status = this.jobs.bridgeStatus(a.deviceId);
      this.tellTills(FEATURES.bridgeStatus, statusMessage(status ?? { bridgeId: a.deviceId, devices: [], at: now, receivedAt: now }, false));
    }
  }

  /** A device of the store was revoked: if it was a bridge, its unfinished jobs are unknown and its printers free. */
  revoked(deviceId: string): void {
    const now = Date.now();
    this.tellJobs(this.jobs.forgetBridge(deviceId, now));
    this.deliver(now);
  }

  /** The bridges connected now (their device ids) and, for each, its oldest socket's connectedAt. */
  onlineBridges(): Map<string, number> {
    const online = new Map<string, number>();
    for (const { a } of helloedSockets(this.ctx, "bridge")) online.set(a.deviceId, Math.min(a.connectedAt, online.get(a.deviceId) ?? Infinity));
    return online;
  }

  private tellJobs(jobs: JobRecord[]): void {
    for (const job of jobs) {
      this.tellTills(FEATURES.jobStatus, {
        v: SYNC_PROTOCOL_VERSION, type: "job.status", jobId: job.id, state: job.state, reason: job.reason, at: job.updatedAt,
      });
    }
  }

  /** Send to every socket but a bridge's that asked for `feature` (and that `only` accepts). */
  private tellTills(feature: Feature, message: ServerMessage, only?: (a: SocketAttachment) => boolean): void {
    for (const { ws, a } of helloedSockets(this.ctx)) {
      if (a.kind === "bridge" || !a.features.includes(feature) || (only && !only(a))) continue;
      trySend(ws, message);
    }
  }

  /** The bridges that take jobs, first connected first: each with its newest socket. */
  private jobBridges(): Target[] {
    const byDevice = new Map<string, { newest: Target; since: number }>();
    for (const target of helloedSockets(this.ctx, "bridge")) {
      if (!target.a.features.includes(FEATURES.jobs)) continue;
      const held = byDevice.get(target.a.deviceId);
      if (!held) byDevice.set(target.a.deviceId, { newest: target, since: target.a.connectedAt });
      else {
        if ((target.a.helloAt ?? 0) >= (held.newest.a.helloAt ?? 0)) held.newest = target;
        held.since = Math.min(held.since, target.a.connectedAt);
      }
    }
    return [...byDevice.values()].sort((x, y) => x.since - y.since).map((b) => b.newest);
  }

  /** Which bridges (device ids) reported each printer. */
  private printerOwners(): Map<string, string[]> {
    const owners = new Map<string, string[]>();
    for (const status of this.jobs.bridgeStatuses()) {
      for (const device of status.devices) {
        if (device.kind === "printer") owners.set(device.id, [...(owners.get(device.id) ?? []), status.bridgeId]);
      }
    }
    return owners;
  }

  private targetOf(job: JobRecord, bridges: Target[], owners: Map<string, string[]>): Target | undefined {
    const owning = job.printerId === null ? undefined : owners.get(job.printerId);
    if (!owning) return bridges[0];
    // The printer's bridge, or wait for it.
    return bridges.find((b) => owning.includes(b.a.deviceId));
  }

  private sendJob(target: Target, job: JobRecord, now: number): void {
    try {
      send(target.ws, {
        v: SYNC_PROTOCOL_VERSION, type: "job",
        job: { id: job.id, seq: job.seq, printerId: job.printerId, createdAt: job.createdAt, requestedBy: job.deviceId, payload: job.payload },
      });
    } catch {
      return; // the socket is closing: the job waits for the bridge's next socket
    }
    const wasQueued = job.state === "queued";
    const sent = this.jobs.markSent(job.id, target.a.deviceId, target.a.socketId, now);
    if (wasQueued) this.tellJobs([sent]);
  }
}

interface Target {
  ws: WebSocket;
  a: SocketAttachment;
}

const statusMessage = (status: BridgeStatusRecord, online: boolean): ServerMessage => ({
  v: SYNC_PROTOCOL_VERSION, type: "bridge.status", bridgeId: status.bridgeId, online, devices: status.devices, at: status.at,
});

function trySend(ws: WebSocket, message: ServerMessage): void {
  try {
    send(ws, message);
  } catch {
    // The socket is closing: its close event tidies up.
  }
}
