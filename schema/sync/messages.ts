import { z } from "zod";
import { BRIDGE_CLIENT_TYPES, BridgeStatus, BridgeStatusRelay, JobAck, JobMessage, JobStatus, Scan, ScanRelay, TillsMessage } from "./bridge-messages";

/**
 * The store hub's socket protocol (GET /api/v1/sync/ws): JSON text messages, each `{ v, type, ... }`. Defined once
 * here for the Worker, the tills and the bridge; every message is validated on receipt by whoever receives it.
 *
 * A client says `hello` first (with the change-feed seq it has pulled up to); the hub answers `welcome` (its newest
 * seq for the store and who is connected) and, if the client is behind, `behind`. After every committed change that
 * concerns the store the hub sends `changed`: the client pulls (GET /api/v1/sync/pull) until it reaches that seq.
 * The hub never sends data itself: a lost notification costs only latency, never a change.
 *
 * Version: `v` is the protocol's major version; a message of another version closes the socket (4002). New message
 * types are added to the unions below; a receiver closes the socket on a type it does not know (4001), so a new
 * type is only sent to a client that announced it understands it (hello's `features`), never silently.
 *
 * The store bridge's messages (jobs, their acknowledgements and outcomes, device status, scans) are defined in
 * bridge-messages.ts and join the unions here.
 */
export const SYNC_PROTOCOL_VERSION = 1 as const;

/** The subprotocol a client offers and the hub selects (Sec-WebSocket-Protocol). */
export const SYNC_SUBPROTOCOL = "edge-pos.sync.v1";
/**
 * Browsers cannot set headers on a WebSocket, so a browser till offers its secret as a second subprotocol:
 * `edge-pos.device.<device credential>` or `edge-pos.bearer.<access token>`. The hub never echoes it (it selects
 * SYNC_SUBPROTOCOL). Node clients (the bridge) may send X-Device-Credential or Authorization headers instead.
 */
export const DEVICE_SUBPROTOCOL_PREFIX = "edge-pos.device.";
export const BEARER_SUBPROTOCOL_PREFIX = "edge-pos.bearer.";

/** Largest message a receiver accepts (UTF-16 length of the text); a bigger one closes the socket (4009). */
export const MAX_MESSAGE_CHARS = 64 * 1024;

/**
 * Heartbeat: the hub answers this exact text with SYNC_PONG without waking up (the Hibernation API's automatic
 * response), so clients may ping every 30 s for free. It is the only message that need not follow `hello`.
 */
export const SYNC_PING = `{"v":1,"type":"ping"}`;
export const SYNC_PONG = `{"v":1,"type":"pong"}`;

const version = z.literal(SYNC_PROTOCOL_VERSION);
/** A change-feed seq: commit order across the database (0 = nothing pulled yet). */
const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** What kind of client a socket is (the enrolled device's kind). */
export const SOCKET_CLIENT_KINDS = ["register", "bridge", "store", "sync"] as const;
export type SocketClientKind = (typeof SOCKET_CLIENT_KINDS)[number];

// Client → hub

export const Hello = z.strictObject({
  v: version,
  type: z.literal("hello"),
  /** The `seq` of the client's last pull answer (the feed position it reached); null or 0 when it has never pulled. */
  lastSeq: Seq.nullable(),
  /** Free text for logs and the dashboard (app name and version). */
  agent: z.string().max(100).optional(),
  /**
   * The message types beyond this file's that the client understands (FEATURES of bridge-messages.ts): a bridge
   * says ["jobs", "tills"], a till e.g. ["job.status", "bridge.status", "scan"]. Names the hub does not know are ignored.
   */
  features: z.array(z.string().min(1).max(40)).max(16).optional(),
});

export const Ping = z.strictObject({ v: version, type: z.literal("ping") });

/** Every message a client may send: the sync messages, and the bridge's acknowledgements, outcomes, status and scans. */
export const ClientMessage = z.discriminatedUnion("type", [Hello, Ping, JobAck, JobStatus, BridgeStatus, Scan]);
export type ClientMessage = z.infer<typeof ClientMessage>;

// Hub → client

export const PresenceEntry = z.object({
  deviceId: z.string(),
  kind: z.enum(SOCKET_CLIENT_KINDS),
  registerId: z.string().nullable(),
  /** Set when the socket was opened with a user's token (a till signed in by PIN). */
  userId: z.string().nullable(),
  /** Epoch milliseconds. */
  connectedAt: z.number().int(),
});
export type PresenceEntry = z.infer<typeof PresenceEntry>;

export const PresenceSummary = z.object({
  tills: z.number().int(),
  bridges: z.number().int(),
  others: z.number().int(),
});
export type PresenceSummary = z.infer<typeof PresenceSummary>;

export const Welcome = z.object({
  v: version,
  type: z.literal("welcome"),
  /** The newest change-feed seq the hub knows for this store (catalogue rows and the store's own rows). */
  seq: Seq,
  presence: PresenceSummary,
});

/** A committed change concerns the store: pull until you reach `seq`. */
export const Changed = z.object({ v: version, type: z.literal("changed"), seq: Seq });

/** Answer to a hello whose lastSeq is older than the hub's newest seq: pull now. */
export const Behind = z.object({ v: version, type: z.literal("behind"), seq: Seq });

export const Pong = z.object({ v: version, type: z.literal("pong") });

/** Said just before the hub closes a socket for cause (the close code and reason say the same). */
export const ErrorMessage = z.object({ v: version, type: z.literal("error"), code: z.string(), message: z.string() });

/** Every message the hub may send: the sync messages, jobs and the store's tills to a bridge, and job states, bridge status and scans to tills. */
export const ServerMessage = z.discriminatedUnion("type", [Welcome, Changed, Behind, Pong, ErrorMessage, JobMessage, JobStatus, BridgeStatusRelay, ScanRelay, TillsMessage]);
export type ServerMessage = z.infer<typeof ServerMessage>;

/**
 * Close codes (RFC 6455 leaves 4000–4999 to applications). A client should reconnect (with backoff) after 4010
 * only once its credential is fixed, after 4000–4009 never with the same message, and after 1001/1006 always.
 */
export const SYNC_CLOSE = {
  /** Not JSON, not an object with `v` and `type`, a binary frame, or a known type with wrong fields. */
  MALFORMED: 4000,
  /** A `type` this protocol version does not know (or one only the hub sends, such as `job`). */
  UNKNOWN_TYPE: 4001,
  /** A `v` other than SYNC_PROTOCOL_VERSION. */
  UNSUPPORTED_VERSION: 4002,
  /** A message before `hello`, or a second `hello`. */
  OUT_OF_ORDER: 4003,
  /** A message this kind of client may not send: the bridge's messages from anything but a bridge. */
  NOT_ALLOWED: 4004,
  /** A message longer than MAX_MESSAGE_CHARS. */
  TOO_BIG: 4009,
  /** The socket's device was revoked, its session ended, or its store deactivated. */
  REVOKED: 4010,
} as const;
export type SyncCloseCode = (typeof SYNC_CLOSE)[keyof typeof SYNC_CLOSE];

export interface ParseFailure {
  code: SyncCloseCode;
  /** A short reason for the close frame (at most 123 bytes of UTF-8). */
  reason: string;
}

const KNOWN_CLIENT_TYPES = new Set<string>(ClientMessage.options.map((o) => o.shape.type.value));

const BRIDGE_TYPES = new Set<string>(BRIDGE_CLIENT_TYPES);

/**
 * Read a client's message: the message, or why the socket must close (with which code). `sender` is the kind of
 * client the socket belongs to: the bridge's messages from any other kind are refused (4004), well-formed or not.
 */
export function parseClientMessage(data: string | ArrayBuffer, sender?: SocketClientKind): { ok: true; message: ClientMessage } | { ok: false; failure: ParseFailure } {
  const fail = (code: SyncCloseCode, reason: string) => ({ ok: false as const, failure: { code, reason } });
  if (typeof data !== "string") return fail(SYNC_CLOSE.MALFORMED, "binary frames are not part of the protocol; send JSON text");
  if (data.length > MAX_MESSAGE_CHARS) return fail(SYNC_CLOSE.TOO_BIG, `message longer than ${MAX_MESSAGE_CHARS} characters`);
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return fail(SYNC_CLOSE.MALFORMED, "not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail(SYNC_CLOSE.MALFORMED, "a message is a JSON object");
  const { v, type } = value as { v?: unknown; type?: unknown };
  if (typeof type !== "string") return fail(SYNC_CLOSE.MALFORMED, "a message needs a string `type`");
  if (v !== SYNC_PROTOCOL_VERSION) return fail(SYNC_CLOSE.UNSUPPORTED_VERSION, `unsupported protocol version ${short(JSON.stringify(v) ?? "none")}; this hub speaks v1`);
  if (!KNOWN_CLIENT_TYPES.has(type)) return fail(SYNC_CLOSE.UNKNOWN_TYPE, `unknown message type ${short(type)}`);
  if (sender !== undefined && sender !== "bridge" && BRIDGE_TYPES.has(type)) {
    return fail(SYNC_CLOSE.NOT_ALLOWED, `${type} is sent only by the store's bridge, not by a ${sender} device`);
  }
  const parsed = ClientMessage.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(SYNC_CLOSE.MALFORMED, short(`${type}: ${issue.path.join(".") || "message"}: ${issue.message}`));
  }
  return { ok: true, message: parsed.data };
}

const encoder = new TextEncoder();

/** Keep a close reason within the 123 bytes of UTF-8 a close frame allows. */
export function short(text: string, maxBytes = 120): string {
  if (encoder.encode(text).length <= maxBytes) return text;
  let cut = Array.from(text);
  while (cut.length && encoder.encode(cut.join("") + "…").length > maxBytes) cut = cut.slice(0, -1);
  return cut.join("") + "…";
}

/** Read a hub's message (for tills and the bridge): the message, or undefined when it is not one of this version's. */
export function parseServerMessage(data: string): ServerMessage | undefined {
  try {
    const parsed = ServerMessage.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export const serverMessage = (message: ServerMessage) => JSON.stringify(message);
