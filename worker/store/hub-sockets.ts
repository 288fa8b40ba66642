import { z } from "zod";
import {
  parseClientMessage, serverMessage, short, SOCKET_CLIENT_KINDS, SYNC_CLOSE, SYNC_PING, SYNC_PONG, SYNC_PROTOCOL_VERSION,
  SYNC_SUBPROTOCOL, type ClientMessage, type ParseFailure, type PresenceEntry, type PresenceSummary, type ServerMessage, type SyncCloseCode,
} from "../../schema/sync/messages";

/**
 * The store hub's live sockets (GET /api/v1/sync/ws), on the Hibernation API: the runtime holds the sockets while
 * the hub sleeps, so the hub keeps nothing about them in memory. Who a socket is lives in its attachment
 * (serializeAttachment), its kind and device in its tags, and every method reads ctx.getWebSockets() afresh; a
 * hub woken from hibernation (a new instance) serves the same sockets as the one that accepted them.
 *
 * In memory there are only hints that a new instance may lose: the newest seq known for the store (read again
 * from D1 when older than a minute) and when the sockets' devices were last checked.
 */

/** Who a socket is, as the Worker verified it (only the Worker reaches the hub). */
export const SocketIdentity = z.object({
  tenantId: z.string(),
  storeId: z.string(),
  deviceId: z.string(),
  kind: z.enum(SOCKET_CLIENT_KINDS),
  registerId: z.string().nullable(),
  userId: z.string().nullable(),
  sessionId: z.string().nullable(),
});
export type SocketIdentity = z.infer<typeof SocketIdentity>;

/** The header the Worker passes the identity in when it hands an upgrade to the hub. */
export const SOCKET_IDENTITY_HEADER = "X-Hub-Socket-Identity";

export interface SocketAttachment extends SocketIdentity {
  /** This socket's own id (a device may hold several sockets): what a job sent on it remembers. */
  socketId: string;
  connectedAt: number;
  /** When the client said hello (null until then), and the seq it said it had. */
  helloAt: number | null;
  lastSeq: number | null;
  /** The bridge protocol's messages the client said it understands (hello's `features`). */
  features: string[];
}

/** A bridge message from a bridge that said hello. */
export type BridgeClientMessage = Exclude<ClientMessage, { type: "hello" | "ping" }>;

/**
 * What the hub does beyond the sync messages (the bridge relay, hub-relay.ts): told of every socket that said
 * hello (after its welcome), of every bridge message, and of every socket that closed. A message it refuses
 * answers the close code and reason.
 */
export interface SocketListener {
  helloed(ws: WebSocket, attachment: SocketAttachment): void;
  message(ws: WebSocket, attachment: SocketAttachment, message: BridgeClientMessage): ParseFailure | undefined;
  closed(attachment: SocketAttachment): void;
}

/** Tags a socket is accepted with: its kind (register, bridge, store, sync) and its device. */
const deviceTag = (deviceId: string) => `device:${deviceId}`;
/** The kinds told of changes: every client that pulls (a bridge does not). */
const PULLING_KINDS = ["register", "store", "sync"] as const;

/** A hub's newest seq is read again from D1 when older than this; the devices are checked at most this often. */
const SEQ_FRESH_MS = 60_000;
const CHECK_EVERY_MS = 60_000;

const NEWEST_SEQ_SQL = `SELECT seq FROM change_feed WHERE tenant_id = ?1 AND (store_id IS NULL OR store_id = ?2) ORDER BY seq DESC LIMIT 1`;

/** Of the sockets' devices and sessions, those still allowed: the device paired and not revoked, its store active. */
const LIVE_DEVICES_SQL = `SELECT d.id FROM devices d JOIN stores st ON st.id = d.store_id
  WHERE d.id IN (SELECT value FROM json_each(?1)) AND d.credential_hash IS NOT NULL AND d.revoked_at IS NULL
    AND d.deleted_at IS NULL AND st.is_active = 1 AND st.deleted_at IS NULL`;
const LIVE_SESSIONS_SQL = `SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id
  WHERE s.id IN (SELECT value FROM json_each(?1)) AND s.revoked_at IS NULL AND u.is_active = 1 AND u.deleted_at IS NULL`;
const TOUCH_SQL = `UPDATE devices SET last_seen_at = ?2 WHERE id IN (SELECT value FROM json_each(?1)) AND revoked_at IS NULL`;

export class HubSockets {
  private newest: { seq: number; readAt: number } | undefined;
  private checkedAt = 0;
  private pending: number | undefined;

  constructor(private readonly ctx: DurableObjectState, private readonly db: () => D1Database, private readonly listener: SocketListener) {
    // Answered by the runtime without waking the hub: a heartbeat costs nothing.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(SYNC_PING, SYNC_PONG));
  }

  /** Accept an upgrade the Worker has authenticated (its identity in SOCKET_IDENTITY_HEADER). */
  accept(request: Request): Response {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    const identity = SocketIdentity.safeParse(parseJson(request.headers.get(SOCKET_IDENTITY_HEADER)));
    if (!identity.success) return new Response("no socket identity", { status: 400 });
    const { 0: client, 1: server } = new WebSocketPair();
    const now = Date.now();
    this.ctx.acceptWebSocket(server, [identity.data.kind, deviceTag(identity.data.deviceId)]);
    server.serializeAttachment({ ...identity.data, socketId: crypto.randomUUID(), connectedAt: now, helloAt: null, lastSeq: null, features: [] } satisfies SocketAttachment);
    this.ctx.waitUntil(this.touch([identity.data.deviceId], now));
    const headers = new Headers();
    if (request.headers.get("Sec-WebSocket-Protocol")?.split(",").some((p) => p.trim() === SYNC_SUBPROTOCOL)) {
      headers.set("Sec-WebSocket-Protocol", SYNC_SUBPROTOCOL);
    }
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /** A client's message: validated; anything wrong closes that socket only, with its code. */
  async message(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const attachment = attachmentOf(ws);
    if (!attachment) return this.refuse(ws, SYNC_CLOSE.MALFORMED, "socket without identity");
    const parsed = parseClientMessage(data, attachment.kind);
    if (!parsed.ok) return this.refuse(ws, parsed.failure.code, parsed.failure.reason);
    try {
      await this.handle(ws, attachment, parsed.message);
    } catch (error) {
      // The hub's own trouble (D1 unreachable): this socket is asked to come back, the hub carries on.
      console.error("hub: socket message failed", error);
      this.refuse(ws, INTERNAL_ERROR, "the hub could not answer; reconnect");
    }
  }

  private async handle(ws: WebSocket, attachment: SocketAttachment, message: ClientMessage): Promise<void> {
    switch (message.type) {
      case "ping":
        return send(ws, { v: SYNC_PROTOCOL_VERSION, type: "pong" });
      case "hello": {
        if (attachment.helloAt !== null) return this.refuse(ws, SYNC_CLOSE.OUT_OF_ORDER, "hello was already said on this socket");
        const said: SocketAttachment = { ...attachment, helloAt: Date.now(), lastSeq: message.lastSeq };
        ws.serializeAttachment(said);
        const seq = await this.newestSeq(attachment);
        send(ws, { v: SYNC_PROTOCOL_VERSION, type: "welcome", seq, presence: this.summary() });
        if (attachment.kind !== "bridge" && (message.lastSeq ?? 0) < seq) send(ws, { v: SYNC_PROTOCOL_VERSION, type: "behind", seq });
        // Its features count from here, after the welcome, and in the same step as the listener's: a job queued
        // while the welcome was read reaches a bridge only after what it was sent before and never acked.
        const next: SocketAttachment = { ...said, features: [...new Set(message.features ?? [])] };
        ws.serializeAttachment(next);
        this.listener.helloed(ws, next);
        return;
      }
      default: {
        if (attachment.helloAt === null) return this.refuse(ws, SYNC_CLOSE.OUT_OF_ORDER, `${message.type} before hello: say hello first`);
        const failure = this.listener.message(ws, attachment, message);
        if (failure) this.refuse(ws, failure.code, failure.reason);
        return;
      }
    }
  }

  /** The client closed (or the connection dropped): note when its device was last seen. */
  async closed(ws: WebSocket, code: number): Promise<void> {
    const attachment = attachmentOf(ws);
    try {
      // Complete the closing handshake (a no-op where the runtime already answered the close).
      ws.close(code >= 3000 && code < 5000 ? code : 1000, "closed");
    } catch {}
    if (!attachment) return;
    try {
      this.listener.closed(attachment);
    } catch (error) {
      console.error("hub: socket close not handled", error);
    }
    await this.touch([attachment.deviceId], Date.now());
  }

  /**
   * A change concerning the store committed up to `seq`: tell every pulling client. First, at most once a minute,
   * the sockets' devices and sessions are checked (a revoked one is closed, 4010, not told) and their devices'
   * last_seen_at set. Answers how many sockets were told.
   */
  async notify(seq: number): Promise<number> {
    this.newest = { seq: Math.max(seq, this.newest?.seq ?? 0), readAt: this.newest?.readAt ?? 0 };
    try {
      await this.checkIfDue();
    } catch (error) {
      console.warn("hub: devices not checked", error);
    }
    const text = serverMessage({ v: SYNC_PROTOCOL_VERSION, type: "changed", seq });
    let told = 0;
    for (const kind of PULLING_KINDS) {
      for (const ws of this.ctx.getWebSockets(kind)) {
        try {
          ws.send(text);
          told++;
        } catch {
          // The socket is closing: its close event tidies up.
        }
      }
    }
    return told;
  }

  /**
   * The hub's own write committed change-feed rows up to `seq`: its sockets are told once the batch is done
   * (one notification per batch, however many rows it wrote).
   */
  committed(seq: number): void {
    const first = this.pending === undefined;
    this.pending = Math.max(seq, this.pending ?? 0);
    if (!first) return;
    queueMicrotask(() => {
      const newest = this.pending!;
      this.pending = undefined;
      this.ctx.waitUntil(this.notify(newest).catch((error) => console.warn("hub: own change not told", error)));
    });
  }

  /** Who is connected now, oldest first. */
  presence(): PresenceEntry[] {
    return this.open()
      .map(({ deviceId, kind, registerId, userId, connectedAt }) => ({ deviceId, kind, registerId, userId, connectedAt }))
      .sort((a, b) => a.connectedAt - b.connectedAt);
  }

  private summary(): PresenceSummary {
    const kinds = this.open().map((a) => a.kind);
    const tills = kinds.filter((k) => k === "register").length;
    const bridges = kinds.filter((k) => k === "bridge").length;
    return { tills, bridges, others: kinds.length - tills - bridges };
  }

  /** Close the sockets of a device (revoked, or re-paired). */
  closeDevice(deviceId: string, code: SyncCloseCode, reason: string): number {
    const sockets = this.ctx.getWebSockets(deviceTag(deviceId));
    for (const ws of sockets) this.refuse(ws, code, reason);
    return sockets.length;
  }

  private open(): SocketAttachment[] {
    return this.ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN).map(attachmentOf).filter((a): a is SocketAttachment => a !== null);
  }

  private async newestSeq(identity: SocketIdentity): Promise<number> {
    const now = Date.now();
    if (this.newest && now - this.newest.readAt < SEQ_FRESH_MS) return this.newest.seq;
    const row = await this.db().prepare(NEWEST_SEQ_SQL).bind(identity.tenantId, identity.storeId).first<{ seq: number }>();
    const seq = Math.max(row?.seq ?? 0, this.newest?.seq ?? 0);
    this.newest = { seq, readAt: now };
    return seq;
  }

  private async checkIfDue(): Promise<void> {
    if (Date.now() - this.checkedAt >= CHECK_EVERY_MS) await this.check();
  }

  /**
   * Check the sockets' devices and sessions against D1 now (one round trip): a revoked device's or an ended
   * session's socket is closed (4010); the others' devices are marked seen.
   */
  async check(): Promise<void> {
    const now = Date.now();
    const sockets = this.ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN);
    if (sockets.length === 0) return;
    this.checkedAt = now;
    const attached = sockets.map((ws) => [ws, attachmentOf(ws)] as const);
    const deviceIds = [...new Set(attached.flatMap(([, a]) => (a ? [a.deviceId] : [])))];
    const sessionIds = [...new Set(attached.flatMap(([, a]) => (a?.sessionId ? [a.sessionId] : [])))];
    const db = this.db();
    const [devices, sessions] = await db.batch<{ id: string }>([
      db.prepare(LIVE_DEVICES_SQL).bind(JSON.stringify(deviceIds)),
      db.prepare(LIVE_SESSIONS_SQL).bind(JSON.stringify(sessionIds)),
      db.prepare(TOUCH_SQL).bind(JSON.stringify(deviceIds), now),
    ]);
    const liveDevices = new Set(devices!.results.map((r) => r.id));
    const liveSessions = new Set(sessions!.results.map((r) => r.id));
    for (const [ws, a] of attached) {
      if (!a) continue;
      if (!liveDevices.has(a.deviceId)) this.refuse(ws, SYNC_CLOSE.REVOKED, "this device was revoked or its store deactivated");
      else if (a.sessionId && !liveSessions.has(a.sessionId)) this.refuse(ws, SYNC_CLOSE.REVOKED, "this session has ended; sign in again");
    }
  }

  /** Set devices' last_seen_at (on connect and close, and with the periodic check). */
  private async touch(deviceIds: string[], at: number): Promise<void> {
    try {
      await this.db().prepare(TOUCH_SQL).bind(JSON.stringify(deviceIds), at).run();
    } catch (error) {
      console.warn("hub: last_seen_at not written", error);
    }
  }

  /** Say why, then close the socket with the code. Never throws: one bad socket never hurts the hub. */
  private refuse(ws: WebSocket, code: SyncCloseCode | typeof INTERNAL_ERROR, reason: string): void {
    const why = short(reason);
    try {
      send(ws, { v: SYNC_PROTOCOL_VERSION, type: "error", code: codeName(code), message: why });
      ws.close(code, why);
    } catch {}
  }
}

/** RFC 6455's "internal error": the hub failed, not the client. */
const INTERNAL_ERROR = 1011;

const CODE_NAMES = new Map<number, string>(Object.entries(SYNC_CLOSE).map(([name, code]) => [code, name]));
const codeName = (code: number) => CODE_NAMES.get(code) ?? "INTERNAL_ERROR";

function parseJson(text: string | null): unknown {
  try {
    return text === null ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

export function attachmentOf(ws: WebSocket): SocketAttachment | null {
  try {
    const attachment = (ws.deserializeAttachment() as SocketAttachment | null) ?? null;
    // A socket accepted before the bridge protocol has no socket id or features: it takes none of its messages.
    return attachment && { ...attachment, socketId: attachment.socketId ?? `legacy:${attachment.deviceId}:${attachment.connectedAt}`, features: attachment.features ?? [] };
  } catch {
    return null;
  }
}

/** The hub's open sockets that said hello, with who they are. */
export function helloedSockets(ctx: DurableObjectState, tag?: string): { ws: WebSocket; a: SocketAttachment }[] {
  return ctx.getWebSockets(tag).flatMap((ws) => {
    if (ws.readyState !== WebSocket.OPEN) return [];
    const a = attachmentOf(ws);
    return a && a.helloAt !== null ? [{ ws, a }] : [];
  });
}

export function send(ws: WebSocket, message: ServerMessage): void {
  ws.send(serverMessage(message));
}
