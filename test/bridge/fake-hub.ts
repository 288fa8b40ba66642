/**
 * A small stand-in for the store hub's socket (GET /api/v1/sync/ws) for the bridge's tests: checks the device
 * credential header (401 with the Worker's JSON error otherwise), answers hello with welcome and the ping text with
 * pong, records every message per connection, and can send jobs, close with a code, or go silent.
 */
import { EventEmitter, once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import type { Job } from "../../schema/sync/bridge-messages";
import { SYNC_PING, SYNC_PONG } from "../../schema/sync/messages";

export interface HubMessage {
  type: string;
  [key: string]: unknown;
}

export class HubConnection {
  readonly messages: HubMessage[] = [];
  readonly pings: number[] = [];
  closed = false;
  constructor(
    readonly socket: WebSocket,
    readonly request: http.IncomingMessage,
    readonly openedAt: number,
  ) {}
  of(type: string): HubMessage[] {
    return this.messages.filter((m) => m.type === type);
  }
  sendJob(job: Job): void {
    this.socket.send(JSON.stringify({ v: 1, type: "job", job }));
  }
  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }
}

export class FakeHub extends EventEmitter<{ connection: [HubConnection]; message: [HubConnection, HubMessage] }> {
  readonly connections: HubConnection[] = [];
  /** Upgrades refused with this status (and the Worker's error JSON) while set. */
  refuse: { status: number; code: string } | undefined;
  /** Answer neither pings nor hellos (a hub that hangs). */
  silent = false;
  private server!: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true });

  constructor(readonly credential: string) {
    super();
  }

  get url(): URL {
    return new URL(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}`);
  }

  get last(): HubConnection | undefined {
    return this.connections.at(-1);
  }

  /** Every message of a type, over all connections. */
  all(type: string): HubMessage[] {
    return this.connections.flatMap((c) => c.of(type));
  }

  async start(port = 0): Promise<this> {
    this.server = http.createServer((_req, res) => res.writeHead(404).end());
    this.server.on("upgrade", (req, socket, head) => {
      const refuse = (status: number, code: string) => {
        const body = JSON.stringify({ success: false, error: code, code });
        socket.end(`HTTP/1.1 ${status} Refused\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      };
      if (new URL(req.url!, "http://x").pathname !== "/api/v1/sync/ws") return refuse(404, "NOT_FOUND");
      if (req.headers["x-device-credential"] !== this.credential) return refuse(401, "INVALID_DEVICE");
      if (this.refuse) return refuse(this.refuse.status, this.refuse.code);
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
    });
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    return this;
  }

  async nextConnection(): Promise<HubConnection> {
    const [c] = await once(this, "connection");
    return c as HubConnection;
  }

  /** Resolves with the next message of `type` (on any connection). */
  next(type: string): Promise<HubMessage> {
    // One listener for the whole wait: two messages in one TCP chunk are emitted in the same tick.
    return new Promise((resolve) => {
      const listener = (_c: HubConnection, message: HubMessage) => {
        if (message.type !== type) return;
        this.off("message", listener);
        resolve(message);
      };
      this.on("message", listener);
    });
  }

  /** Drop every socket without a close frame (a network failure: 1006 at the bridge). */
  dropAll(): void {
    for (const c of this.connections) if (!c.closed) c.socket.terminate();
  }

  async stop(): Promise<void> {
    this.dropAll();
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(ws: WebSocket, req: http.IncomingMessage): void {
    const c = new HubConnection(ws, req, Date.now());
    this.connections.push(c);
    ws.on("message", (data) => {
      const text = data.toString();
      if (text === SYNC_PING) {
        c.pings.push(Date.now());
        if (!this.silent) ws.send(SYNC_PONG);
        return;
      }
      const message = JSON.parse(text) as HubMessage;
      c.messages.push(message);
      if (message.type === "hello" && !this.silent) ws.send(JSON.stringify({ v: 1, type: "welcome", seq: 0, presence: { tills: 0, bridges: 1, others: 0 } }));
      this.emit("message", c, message);
    });
    ws.on("close", () => (c.closed = true));
    this.emit("connection", c);
  }
}
