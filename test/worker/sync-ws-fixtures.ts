import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";

/** A client's end of the hub's socket: every message it received, in order, and how it closed. */
export class SocketClient {
  readonly messages: any[] = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket, readonly protocol: string | null) {
    ws.accept();
    ws.addEventListener("message", (event) => {
      this.messages.push(typeof event.data === "string" ? JSON.parse(event.data) : event.data);
      this.wake();
    });
    ws.addEventListener("close", (event) => {
      this.closed = { code: event.code, reason: event.reason };
      this.wake();
    });
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  send(message: unknown) {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** Wait until `done` holds (checked on every message and on close), or fail after `ms`. */
  async until<T>(what: string, done: () => T | undefined | false, ms = 5000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = done();
      if (value) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages)} closed=${JSON.stringify(this.closed)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  /** The first message of `type` received at or after index `from`. */
  next(type: string, from = 0, ms?: number) {
    return this.until(`a ${type} message`, () => this.messages.slice(from).find((m) => m.type === type), ms);
  }

  /** A `changed` message telling at least `seq`. */
  changedTo(seq: number, ms?: number) {
    return this.until(`changed to seq ${seq}`, () => this.messages.find((m) => m.type === "changed" && m.seq >= seq), ms);
  }

  waitClosed(ms?: number) {
    return this.until("the socket to close", () => this.closed, ms);
  }

  /** Say hello and wait for the welcome. */
  async hello(lastSeq: number | null) {
    const from = this.messages.length;
    this.send({ v: 1, type: "hello", lastSeq });
    return this.next("welcome", from);
  }

  close() {
    try {
      this.ws.close(1000, "done");
    } catch {}
  }
}

/** Ask for the socket: the 101 answer's client end, or the refusal's status and body. */
export async function openSocket(headers: Record<string, string>): Promise<{ status: number; client?: SocketClient; json?: any }> {
  const response = await exports.default.fetch(new Request("http://pos.test/api/v1/sync/ws", { headers: { Upgrade: "websocket", ...headers } }));
  if (response.status !== 101 || !response.webSocket) {
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  }
  return { status: 101, client: new SocketClient(response.webSocket, response.headers.get("Sec-WebSocket-Protocol")) };
}

/** Open a socket as a device (its credential in X-Device-Credential) and say hello; throws unless 101. */
export async function connectDevice(credential: string, lastSeq: number | null = null) {
  const opened = await openSocket({ "X-Device-Credential": credential });
  if (!opened.client) throw new Error(`socket: ${opened.status} ${JSON.stringify(opened.json)}`);
  const welcome = await opened.client.hello(lastSeq);
  return Object.assign(opened.client, { welcome });
}

/** The newest change-feed seq of an entity. */
export async function seqOf(entity: string, entityId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT max(seq) AS seq FROM change_feed WHERE entity = ? AND entity_id = ?").bind(entity, entityId).first<{ seq: number | null }>();
  if (!row?.seq) throw new Error(`no change-feed row for ${entity} ${entityId}`);
  return row.seq;
}
