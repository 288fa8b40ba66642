/**
 * The bridge's socket to its store's hub (GET /api/v1/sync/ws on the Worker), kept open for as long as the bridge
 * runs:
 *
 *   - authenticated by the device credential in X-Device-Credential (never in the URL, never logged), offering the
 *     sync subprotocol; the first message is `hello` announcing the `jobs` feature, so the hub sends jobs;
 *   - each `job` is handed to `onJob`, which resolves once the job is journaled; only then is `job.ack` sent, and
 *     only on the socket the job came on (a redelivery on the next socket is acknowledged there);
 *   - a ping every 30 s (the hub answers without waking up); no answer within the pong timeout ends the socket;
 *   - a socket the hub does not welcome within the welcome timeout is ended too;
 *   - reconnects after any drop with exponential backoff and full jitter (a random delay between 0 and the capped
 *     step), the step growing until a connection has stayed up a while;
 *   - stops for good on 4010 (revoked) or a refused credential (401), with an error log saying to enrol again.
 */
import { EventEmitter } from "node:events";
import WebSocket from "ws";
import { type Job, JobMessage, MAX_JOB_MESSAGE_CHARS, type TillCredential, TillsMessage } from "../schema/sync/bridge-messages";
import { SYNC_CLOSE, SYNC_PING, SYNC_SUBPROTOCOL } from "../schema/sync/messages";
import { type Logger, silentLogger } from "./log";

/** The largest frame taken from the hub: a job message of MAX_JOB_MESSAGE_CHARS UTF-16 units is at most 3 bytes each in UTF-8. */
const MAX_HUB_FRAME_BYTES = 3 * MAX_JOB_MESSAGE_CHARS;

export type HubState = "connecting" | "connected" | "disconnected" | "revoked" | "stopped";

export interface HubClientEvents {
  state: [state: HubState];
  /** A job was acknowledged on the socket (after onJob resolved). */
  acked: [jobId: string];
}

export interface HubBackoff {
  /** The first step (ms). */
  initialMs?: number;
  /** The largest step (ms). */
  maxMs?: number;
  /** A number in [0, 1); Math.random unless a test fixes it. */
  random?: () => number;
  /** A connection that lasted this long resets the step (ms). */
  stableMs?: number;
}

export interface HubClientOptions {
  /** The Worker's base URL (https://…); the socket is its /api/v1/sync/ws. */
  url: URL;
  credential: string;
  /** hello's agent: app name and version. */
  agent: string;
  /** Resolves once the job is journaled (the ack follows); rejects when it could not be (no ack: the hub redelivers). */
  onJob: (job: Job) => Promise<void>;
  /** The hub welcomed the socket: send the status and any outcomes it has not had. */
  onConnected?: () => void;
  /** The hub's list of the store's tills (after the welcome, and when a till is enrolled or revoked). */
  onTills?: (tills: TillCredential[], at: number) => void;
  log?: Logger;
  pingIntervalMs?: number;
  /** No message within this long after a ping ends the socket (ms). */
  pongTimeoutMs?: number;
  /** A connect (TCP, TLS and the upgrade) that takes longer fails (ms). */
  connectTimeoutMs?: number;
  /** An open socket the hub has not welcomed within this long is ended and opened again (ms). */
  welcomeTimeoutMs?: number;
  backoff?: HubBackoff;
}

/** Full jitter: a random delay between 0 and min(max, initial × 2^attempt). */
export function fullJitterDelay(attempt: number, initialMs: number, maxMs: number, random: () => number): number {
  return Math.round(random() * Math.min(maxMs, initialMs * 2 ** attempt));
}

export function socketUrl(base: URL): URL {
  const url = new URL("/api/v1/sync/ws", base);
  url.protocol = base.protocol === "https:" ? "wss:" : "ws:";
  return url;
}

/** What a bridge sends: JobAck, JobStatus, BridgeStatus, Scan of schema/sync/bridge-messages.ts. */
export type BridgeMessage = { v: 1; type: "job.ack" | "job.status" | "bridge.status" | "scan" } & Record<string, unknown>;

export class HubClient extends EventEmitter<HubClientEvents> {
  private socket: WebSocket | undefined;
  private current: HubState = "disconnected";
  private attempt = 0;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private pongTimer: NodeJS.Timeout | undefined;
  private welcomeTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(private readonly options: HubClientOptions) {
    super();
    this.log = (options.log ?? silentLogger).child({ component: "hub" });
  }

  get state(): HubState {
    return this.current;
  }

  /** Connected and welcomed: messages sent now reach the hub (unless the link drops). */
  get connected(): boolean {
    return this.current === "connected";
  }

  start(): void {
    this.stopped = false;
    if (!this.socket && !this.retryTimer) this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.clearHeartbeat();
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000, "bridge stopping");
    if (this.current !== "revoked") this.setState("stopped");
  }

  /**
   * Send a message if the hub has welcomed this socket. Resolves true once the socket took it (written to the
   * connection), false when not connected or the write failed.
   */
  send(message: BridgeMessage): Promise<boolean> {
    const socket = this.socket;
    if (!socket || this.current !== "connected" || socket.readyState !== WebSocket.OPEN) return Promise.resolve(false);
    return new Promise((resolve) => socket.send(JSON.stringify(message), (error) => resolve(!error)));
  }

  private setState(state: HubState): void {
    if (this.current === state) return;
    this.current = state;
    this.emit("state", state);
  }

  private connect(): void {
    this.retryTimer = undefined;
    if (this.stopped) return;
    this.setState("connecting");
    const url = socketUrl(this.options.url);
    const socket = new WebSocket(url, [SYNC_SUBPROTOCOL], {
      headers: { "X-Device-Credential": this.options.credential },
      handshakeTimeout: this.options.connectTimeoutMs ?? 15_000,
      maxPayload: MAX_HUB_FRAME_BYTES,
    });
    this.socket = socket;
    let openedAt = 0;
    let refused: { status: number; code?: string } | undefined;

    socket.on("open", () => {
      openedAt = Date.now();
      this.log.debug("socket open", { url: url.href });
      socket.send(JSON.stringify({ v: 1, type: "hello", lastSeq: null, agent: this.options.agent, features: ["jobs", "tills"] }));
      this.heartbeat(socket);
      // A hub that answers pings but never welcomes would leave the bridge connected to nothing.
      this.welcomeTimer = setTimeout(() => {
        this.log.warn("the hub did not answer hello: reconnecting");
        socket.terminate();
      }, this.options.welcomeTimeoutMs ?? 15_000);
    });
    socket.on("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        if (body.length < 4096) body += chunk;
      });
      response.on("end", () => {
        let code: string | undefined;
        try {
          code = (JSON.parse(body) as { code?: string }).code;
        } catch {
          // not the Worker's JSON error (a proxy's page): the status says enough
        }
        refused = { status: response.statusCode ?? 0, ...(code ? { code } : {}) };
        socket.terminate();
      });
    });
    socket.on("message", (data, isBinary) => {
      this.alive(socket);
      if (isBinary) {
        this.log.warn("the hub sent a binary frame; ignored");
        return;
      }
      this.receive(socket, data.toString());
    });
    let lastError: Error | undefined;
    socket.on("error", (error) => {
      lastError = error;
      this.log.debug("socket error", { error });
    });
    socket.on("close", (code, reasonBuffer) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.clearHeartbeat();
      const reason = reasonBuffer.toString();
      const lasted = openedAt ? Date.now() - openedAt : 0;
      if (this.stopped) return;
      if (code === SYNC_CLOSE.REVOKED || refused?.status === 401) {
        this.log.error("the hub refused this bridge's credential: it was revoked (or its store deactivated). Enrol the bridge again (npm run bridge -- pair) and restart it", {
          closeCode: code, status: refused?.status, code: refused?.code, reason,
        });
        this.stopped = true;
        this.setState("revoked");
        return;
      }
      if (refused) this.log.warn("the hub refused the socket", { status: refused.status, code: refused.code });
      else if (code >= 4000 && code < 4010) this.log.error("the hub closed the socket over a protocol error: this bridge and the hub disagree", { closeCode: code, reason });
      else if (openedAt) this.log.info("socket closed", { closeCode: code, reason, lastedMs: lasted });
      // Unreachable: said on the first failure and every tenth after it, not once a minute for an hour.
      else if (this.attempt % 10 === 0) this.log.warn("cannot reach the hub; retrying", { error: lastError, attempts: this.attempt + 1 });
      if (lasted >= (this.options.backoff?.stableMs ?? 30_000)) this.attempt = 0;
      this.setState("disconnected");
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    const b = this.options.backoff ?? {};
    const delay = fullJitterDelay(this.attempt, b.initialMs ?? 1_000, b.maxMs ?? 60_000, b.random ?? Math.random);
    this.attempt++;
    this.log.debug("reconnecting", { inMs: delay, attempt: this.attempt });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private receive(socket: WebSocket, text: string): void {
    let message: { v?: unknown; type?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      this.log.warn("the hub sent a message that is not JSON; ignored");
      return;
    }
    switch (message.type) {
      case "welcome":
        clearTimeout(this.welcomeTimer);
        this.log.info("connected to the hub", { presence: (message as { presence?: unknown }).presence });
        this.setState("connected");
        this.options.onConnected?.();
        return;
      case "job":
        this.job(socket, message);
        return;
      case "tills": {
        const parsed = TillsMessage.safeParse(message);
        if (parsed.success) this.options.onTills?.(parsed.data.tills, parsed.data.at);
        else this.log.error("the hub sent a list of tills this bridge cannot read; the last one stands", { issue: parsed.error.issues[0]?.message });
        return;
      }
      case "pong":
      case "changed":
      case "behind":
        return; // the bridge pulls nothing
      case "error":
        this.log.warn("the hub reports an error", { code: (message as { code?: unknown }).code, message: (message as { message?: unknown }).message });
        return;
      default:
        // A type added for tills, or a newer hub's: nothing the bridge acts on, and no reason to drop the link.
        this.log.debug("ignored a hub message", { type: message.type });
    }
  }

  private job(socket: WebSocket, message: unknown): void {
    const parsed = JobMessage.safeParse(message);
    if (!parsed.success) {
      const id = (message as { job?: { id?: unknown } }).job?.id;
      const issue = parsed.error.issues[0];
      this.log.error("the hub sent a job this bridge cannot read", { jobId: id, issue: issue && `${issue.path.join(".")}: ${issue.message}` });
      if (typeof id === "string" && id.length > 0 && id.length <= 64) {
        void this.send({ v: 1, type: "job.status", jobId: id, state: "failed", reason: "invalid_job", at: Date.now() });
      }
      return;
    }
    const { job } = parsed.data;
    this.options.onJob(job).then(
      () => {
        if (this.socket !== socket || socket.readyState !== WebSocket.OPEN) return; // redelivered on the next socket
        socket.send(JSON.stringify({ v: 1, type: "job.ack", jobId: job.id }), (error) => {
          if (!error) this.emit("acked", job.id);
        });
      },
      (error: unknown) => this.log.error("could not journal a job: not acknowledged, the hub will send it again", { jobId: job.id, error }),
    );
  }

  private heartbeat(socket: WebSocket): void {
    this.clearHeartbeat();
    this.pingTimer = setInterval(() => {
      if (socket.readyState !== WebSocket.OPEN) return;
      socket.send(SYNC_PING);
      // The first unanswered ping's deadline stands: later pings do not move it.
      this.pongTimer ??= setTimeout(() => {
        this.log.warn("no answer from the hub to a ping: reconnecting");
        socket.terminate();
      }, this.options.pongTimeoutMs ?? 10_000);
    }, this.options.pingIntervalMs ?? 30_000);
  }

  /** Any message proves the link is up. */
  private alive(socket: WebSocket): void {
    if (this.socket !== socket) return;
    clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
  }

  private clearHeartbeat(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    clearTimeout(this.welcomeTimer);
    this.pongTimer = undefined;
  }
}
