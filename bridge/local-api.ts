/**
 * The bridge's local HTTP API, for the store's tills when the internet (and so the hub) is down: the same jobs as
 * the Worker's print-jobs API, journaled and run exactly like the hub's (so a receipt printed here survives a
 * crash of the bridge the same way), plus the bridge's status.
 *
 *   POST /print-jobs     { kind: "receipt", model, copy?, printerId?, id? } | { kind: "raw", bytesBase64, … } | { kind: "test", … }
 *   POST /drawer-kicks   { printerId?, pin?, id? }
 *   GET  /print-jobs/:id the job's state
 *   GET  /status         the hub link, the printers (connected, status, what a queue waits for) and scanners
 *
 * A receipt carries its receipt model (schema/receipt's buildReceipt, which tills have): offline, nothing can
 * look the sale up. `id` makes a retried POST safe: the same id answers the job already taken (200), not a second
 * one; the same id with another job is 409.
 *
 * Who may call: a till of the store with its own device credential (X-Device-Credential, as at the Worker), checked
 * against the hub's last list of the store's tills (bridge/tills.ts: digests, kept on disk, so the check needs no
 * hub); or, when the config sets one, whoever presents the local API key (Authorization: Bearer <key>), for a
 * client that is not an enrolled till. Never the bridge's own credential, which would let any till act as the
 * bridge at the hub. The API listens on loopback unless configured otherwise.
 * Answers use the Worker's envelope: { success, data } or { success: false, error, code, fields? }.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { ReceiptModelSchema } from "../schema/receipt/contract";
import { Base64Bytes, DeviceRef, DrawerPin, type JobPayload } from "../schema/sync/bridge-messages";
import type { JournalEntry } from "./journal";
import { type Logger, silentLogger } from "./log";

const MAX_BODY_BYTES = 1024 * 1024;
const Printer = DeviceRef.nullable().optional();
const ClientId = z.string().regex(/^[A-Za-z0-9_-]{1,48}$/, "1 to 48 letters, digits, - or _ (a UUID will do)").optional();

export const LocalPrintJobBody = z.discriminatedUnion(
  "kind",
  [
    z.strictObject({ kind: z.literal("receipt"), model: ReceiptModelSchema, copy: z.boolean().default(false), printerId: Printer, id: ClientId }),
    z.strictObject({ kind: z.literal("raw"), bytesBase64: Base64Bytes, printerId: Printer, id: ClientId }),
    z.strictObject({ kind: z.literal("test"), printerId: Printer, id: ClientId }),
  ],
  { error: "kind must be receipt, raw or test (a drawer kick is POST /drawer-kicks)" },
);

export const LocalDrawerKickBody = z.strictObject({
  printerId: Printer,
  pin: DrawerPin.optional(),
  id: ClientId,
});

export interface LocalJobRequest {
  clientId: string | undefined;
  /** The till's device id, when a till's credential made the call (null: the local API key). */
  requestedBy: string | null;
  printerId: string | null;
  payload: JobPayload;
}

/** What the API needs of the bridge. */
export interface LocalApiBackend {
  /** Journal and queue a job; `isNew` false when the id was taken already (`conflict` when by another job). */
  submitLocal(request: LocalJobRequest): Promise<{ entry: JournalEntry; isNew: boolean; conflict: boolean }>;
  job(id: string): JournalEntry | undefined;
  status(): unknown;
}

export const jobView = (e: JournalEntry) => ({
  id: e.id,
  source: e.source,
  kind: e.kind,
  state: e.state,
  reason: e.reason,
  printerId: e.printerId,
  receivedAt: e.receivedAt,
  updatedAt: e.updatedAt,
});

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: { path: string; message: string }[],
  ) {
    super(message);
  }
}

const digest = (text: string) => createHash("sha256").update(text).digest();

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(400, "BODY_TOO_LARGE", `The body is over ${MAX_BODY_BYTES} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

async function jsonBody(req: http.IncomingMessage): Promise<unknown> {
  const type = req.headers["content-type"]?.split(";")[0]?.trim() ?? "";
  if (!/^application\/([\w.-]+\+)?json$/i.test(type)) {
    throw new HttpError(400, "UNSUPPORTED_CONTENT_TYPE", `The body must be JSON sent as Content-Type: application/json (got ${type || "none"})`);
  }
  const text = await readBody(req);
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "MALFORMED_JSON", "The body is not valid JSON");
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const fields = result.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
    throw new HttpError(400, "VALIDATION_ERROR", `The body is not valid: ${fields.map((f) => `${f.path || "body"}: ${f.message}`).join("; ")}`, fields);
  }
  return result.data;
}

export interface LocalApiOptions {
  /** The local API key, if the config sets one. */
  key?: string;
  /** The store's tills whose device credentials the API takes. */
  tills: { check(credential: string): { deviceId: string } | undefined };
  backend: LocalApiBackend;
  log?: Logger;
}

export class LocalApi {
  readonly server: http.Server;
  private readonly keyDigest: Buffer | undefined;
  private readonly log: Logger;

  constructor(private readonly options: LocalApiOptions) {
    this.keyDigest = options.key === undefined ? undefined : digest(options.key);
    this.log = (options.log ?? silentLogger).child({ component: "local-api" });
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.requestTimeout = 30_000;
    this.server.headersTimeout = 10_000;
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.log.info("local API listening", { host: address.address, port: address.port });
    return address;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Who is calling: a till (its device id) or the key's holder (null); throws 401 otherwise. */
  private authorised(req: http.IncomingMessage): string | null {
    const credential = req.headers["x-device-credential"];
    if (typeof credential === "string" && credential.length > 0) {
      // Unknown, revoked and another store's credentials answer alike.
      const till = credential.length <= 200 ? this.options.tills.check(credential.trim()) : undefined;
      if (!till) throw new HttpError(401, "INVALID_DEVICE", "That device credential is not one of this store's tills (as the hub last listed them)");
      return till.deviceId;
    }
    const header = req.headers.authorization;
    const askFor = this.keyDigest ? "the till's device credential as X-Device-Credential, or the local API key as Authorization: Bearer <key>" : "the till's device credential as X-Device-Credential";
    if (!header) throw new HttpError(401, "CREDENTIAL_REQUIRED", `Send ${askFor}`);
    const match = /^Bearer\s+(.+)$/i.exec(header);
    // Compare digests: equal length whatever was sent, and no early exit on the first differing byte.
    if (!this.keyDigest || !match || !timingSafeEqual(digest(match[1]!.trim()), this.keyDigest)) throw new HttpError(401, "INVALID_LOCAL_KEY", `That is not the bridge's local API key: send ${askFor}`);
    return null;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
      res.end(text);
    };
    const path = new URL(req.url ?? "/", "http://bridge").pathname;
    try {
      const requestedBy = this.authorised(req);
      const { backend } = this.options;
      const route = `${req.method} ${path}`;
      if (route === "POST /print-jobs") {
        const body = parse(LocalPrintJobBody, await jsonBody(req));
        const payload: JobPayload =
          body.kind === "receipt" ? { kind: "receipt", saleId: body.model.saleId, copy: body.copy, model: body.model }
          : body.kind === "raw" ? { kind: "raw", bytesBase64: body.bytesBase64 }
          : { kind: "test" };
        return send(...(await this.submit({ clientId: body.id, requestedBy, printerId: body.printerId ?? null, payload })));
      }
      if (route === "POST /drawer-kicks") {
        const body = parse(LocalDrawerKickBody, await jsonBody(req));
        const payload: JobPayload = body.pin ? { kind: "drawer", pin: body.pin } : { kind: "drawer" };
        return send(...(await this.submit({ clientId: body.id, requestedBy, printerId: body.printerId ?? null, payload })));
      }
      const jobMatch = /^\/print-jobs\/([^/]+)$/.exec(path);
      if (req.method === "GET" && jobMatch) {
        const entry = backend.job(decodeURIComponent(jobMatch[1]!));
        if (!entry) throw new HttpError(404, "NOT_FOUND", "No such job on this bridge");
        return send(200, { success: true, data: jobView(entry) });
      }
      if (route === "GET /status") return send(200, { success: true, data: backend.status() });
      if (["/print-jobs", "/drawer-kicks", "/status"].includes(path) || jobMatch) throw new HttpError(405, "METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${path}`);
      throw new HttpError(404, "NOT_FOUND", `No route ${path}`);
    } catch (e) {
      if (e instanceof HttpError) {
        if (e.status === 401) this.log.warn("local API call refused", { code: e.code, path, remote: req.socket.remoteAddress });
        return send(e.status, { success: false, error: e.message, code: e.code, ...(e.fields ? { fields: e.fields } : {}) });
      }
      this.log.error("local API call failed", { path, error: e });
      return send(503, { success: false, error: "The bridge could not take the job (its journal could not be written); try again", code: "BRIDGE_UNAVAILABLE" });
    }
  }

  private async submit(request: LocalJobRequest): Promise<[number, unknown]> {
    const { entry, isNew, conflict } = await this.options.backend.submitLocal(request);
    if (conflict) throw new HttpError(409, "ID_TAKEN", `The id ${request.clientId} was used for another job`);
    return [isNew ? 202 : 200, { success: true, data: jobView(entry) }];
  }
}
