/**
 * Network receipt printers on raw TCP (port 9100, "JetDirect"): job bytes go down the socket as they are, and the
 * printer answers DLE EOT requests on the same socket.
 *
 * A dead printer is noticed three ways: the socket closes or errors (a reset, a refused reconnect); the printer
 * stops taking bytes for `writeTimeoutMs` in the middle of a job or stops answering status requests within
 * `statusTimeoutMs` (a stall: its buffer is full and it no longer reads, or it is gone without a FIN); and TCP
 * keepalive for a connection that is silent in both directions.
 */
import net from "node:net";
import { LinkError, ManagedPrinter, type PrinterLink, type PrinterTimings } from "./managed-printer";
import type { DrawerOpenLevel } from "./status";
import { isStatusByte, statusQuery, type StatusRequest } from "./status";

export interface TcpPrinterOptions extends PrinterTimings {
  host: string;
  port?: number;
  connectTimeoutMs?: number;
  /** TCP keepalive idle time (ms). */
  keepAliveMs?: number;
  drawerOpenLevel?: DrawerOpenLevel;
}

/** Bytes per socket write: each chunk must be taken within writeTimeoutMs, so a long job is not one deadline. */
const CHUNK = 16 * 1024;

export function openTcpPrinter(options: TcpPrinterOptions): ManagedPrinter {
  const port = options.port ?? 9100;
  return new ManagedPrinter(
    { type: "tcp", host: options.host, port },
    () => connectTcp(options.host, port, options.connectTimeoutMs ?? 3_000, options.keepAliveMs ?? 5_000),
    options,
  );
}

export function connectTcp(host: string, port: number, connectTimeoutMs: number, keepAliveMs: number): Promise<PrinterLink> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connecting to ${host}:${port} timed out after ${connectTimeoutMs} ms`));
    }, connectTimeoutMs);
    socket.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot connect to ${host}:${port}: ${e.message}`, { cause: e }));
    });
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      socket.setNoDelay(true);
      socket.setKeepAlive(true, keepAliveMs);
      resolve(new TcpLink(socket));
    });
  });
}

interface Waiter {
  resolve: (byte: number) => void;
  reject: (e: Error) => void;
}

class TcpLink implements PrinterLink {
  readonly canReadStatus = true;
  private dead: string | undefined;
  private closedByUs = false;
  private readonly waiters: Waiter[] = [];
  private readonly lostListeners: ((reason: string) => void)[] = [];
  private readonly deathWatchers = new Set<(reason: string) => void>();

  constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      // A reply is one status byte; anything else (XON/XOFF, Automatic Status Back) is not an answer.
      for (const byte of chunk) if (isStatusByte(byte)) this.waiters.shift()?.resolve(byte);
    });
    socket.on("error", (e) => this.die(`connection error: ${e.message}`));
    socket.on("close", () => this.die("the printer closed the connection"));
  }

  onLost(listener: (reason: string) => void): void {
    this.lostListeners.push(listener);
  }

  async send(bytes: Uint8Array, timeoutMs: number): Promise<void> {
    if (this.dead) throw new LinkError("io", false, `the connection is gone (${this.dead})`);
    for (let offset = 0; offset < bytes.length; offset += CHUNK) {
      await this.writeChunk(bytes.subarray(offset, offset + CHUNK), timeoutMs);
    }
  }

  request(n: StatusRequest, timeoutMs: number): Promise<number> {
    if (this.dead) return Promise.reject(new LinkError("io", false, `the connection is gone (${this.dead})`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (byte) => {
          clearTimeout(timer);
          resolve(byte);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new LinkError("timeout", true, `no answer to DLE EOT ${n} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
      this.socket.write(statusQuery(n));
    });
  }

  async close(): Promise<void> {
    this.closedByUs = true;
    this.die("closed");
  }

  private writeChunk(chunk: Uint8Array, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (error?: LinkError) => {
        clearTimeout(timer);
        this.deathWatchers.delete(onDeath);
        if (error) reject(error);
        else resolve();
      };
      const onDeath = (reason: string) => finish(new LinkError("io", true, `the connection was lost while sending (${reason})`));
      const timer = setTimeout(() => {
        finish(new LinkError("timeout", true, `the printer took no bytes for ${timeoutMs} ms (stalled)`));
        this.die("stalled");
      }, timeoutMs);
      this.deathWatchers.add(onDeath);
      this.socket.write(chunk, (e) => {
        if (e) finish(new LinkError("io", true, `the connection failed while sending (${e.message})`, { cause: e }));
        else finish();
      });
    });
  }

  private die(reason: string): void {
    if (this.dead) return;
    this.dead = reason;
    this.socket.destroy();
    for (const waiter of this.waiters.splice(0)) waiter.reject(new LinkError("io", true, `the connection was lost (${reason})`));
    for (const watcher of [...this.deathWatchers]) watcher(reason);
    if (!this.closedByUs) for (const listener of this.lostListeners) listener(reason);
  }
}
