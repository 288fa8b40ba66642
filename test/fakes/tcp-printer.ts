/**
 * A network receipt printer on a real TCP socket (127.0.0.1, port 0 = any free port): records the bytes of each
 * connection, answers DLE EOT 1–4 with a scripted status, and can misbehave like the real thing: stall (stop
 * reading, as a printer with a full buffer does), drop its connections, drop one in the middle of a job, and be
 * switched off (connections refused) and on again on the same port.
 */
import { EventEmitter, once } from "node:events";
import net from "node:net";
import { DleEotParser, type ScriptedStatus, statusReplies } from "./printer-status";

export class FakeConnection {
  /** The DLE EOT requests (n) in order. */
  readonly requests: number[] = [];
  /** How many job bytes arrived. */
  printedLength = 0;
  ended = false;
  private readonly chunks: Buffer[] = [];
  private readonly parser = new DleEotParser();

  constructor(readonly socket: net.Socket) {}

  /** The job bytes: what was received less the DLE EOT requests. */
  get printed(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Record received bytes; returns the job bytes and the DLE EOT requests among them. */
  receive(chunk: Buffer): { data: Buffer; requests: number[] } {
    const { data, requests } = this.parser.push(chunk);
    const bytes = Buffer.from(data);
    this.chunks.push(bytes);
    this.printedLength += data.length;
    this.requests.push(...requests);
    return { data: bytes, requests };
  }
}

export class FakeTcpPrinter extends EventEmitter {
  status: ScriptedStatus = {};
  readonly connections: FakeConnection[] = [];
  private server: net.Server | undefined;
  private stalled = false;
  /** Drop the connection once its job bytes reach this many (counted per connection). */
  private dropAfter: number | undefined;
  private assignedPort = 0;

  get port(): number {
    return this.assignedPort;
  }

  /** The job bytes of every connection, in order. */
  get printed(): Buffer {
    return Buffer.concat(this.connections.map((c) => c.printed));
  }

  get live(): FakeConnection[] {
    return this.connections.filter((c) => !c.ended);
  }

  async start(): Promise<this> {
    await this.listen(0);
    return this;
  }

  /** Stop reading from every connection, present and future (a full buffer: no bytes taken, no status answered). */
  stall(): void {
    this.stalled = true;
    for (const c of this.live) c.socket.pause();
  }

  resume(): void {
    this.stalled = false;
    for (const c of this.live) c.socket.resume();
  }

  /** Reset every open connection. */
  dropConnections(): void {
    for (const c of this.live) c.socket.resetAndDestroy();
  }

  /** Reset the connection that is receiving a job once this many job bytes have arrived on it (the rest is lost). */
  dropAfterBytes(n: number): void {
    this.dropAfter = n;
  }

  /** Switch off: close every connection and refuse new ones until powerOn(). */
  async powerOff(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.dropConnections();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Switch on again, on the same port. */
  async powerOn(): Promise<void> {
    await this.listen(this.assignedPort);
  }

  async stop(): Promise<void> {
    await this.powerOff();
  }

  /** Resolves when the next connection is accepted. */
  async nextConnection(): Promise<FakeConnection> {
    const [connection] = (await once(this, "connection")) as [FakeConnection];
    return connection;
  }

  /** Resolves once the job bytes of all connections add up to at least n. */
  async waitForPrinted(n: number): Promise<Buffer> {
    while (this.connections.reduce((sum, c) => sum + c.printedLength, 0) < n) await once(this, "data");
    return this.printed;
  }

  private listen(port: number): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        this.assignedPort = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  private accept(socket: net.Socket): void {
    const connection = new FakeConnection(socket);
    this.connections.push(connection);
    if (this.stalled) socket.pause();
    socket.on("data", (whole: Buffer) => {
      // A drop takes effect at its byte, wherever the chunk the socket delivered ends (loopback hands over 64 KiB).
      const cut = this.dropAfter !== undefined && connection.printedLength + whole.length > this.dropAfter;
      const chunk = cut ? whole.subarray(0, Math.max(0, this.dropAfter! - connection.printedLength)) : whole;
      const { data, requests } = connection.receive(chunk);
      const replies = statusReplies(this.status);
      if (requests.length > 0 && !socket.destroyed) socket.write(Buffer.from(requests.map((n) => replies[n - 1]!)));
      this.emit("data", connection, data);
      if (this.dropAfter !== undefined && connection.printedLength >= this.dropAfter) {
        this.dropAfter = undefined;
        socket.resetAndDestroy();
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      connection.ended = true;
      this.emit("closed", connection);
    });
    this.emit("connection", connection);
  }
}
