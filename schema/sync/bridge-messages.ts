import { z } from "zod";
import { ReceiptModelSchema } from "../receipt/contract";

/**
 * The store bridge's messages on the hub socket (issue 10), beside the sync messages of messages.ts and with the
 * same envelope `{ v, type, ... }`. Jobs flow hub → bridge; acknowledgements, outcomes, device status and scans
 * flow bridge → hub; the hub relays job states, bridge status and scans to the store's tills.
 *
 * Job life: queued (at the hub) → sent (on the bridge's socket) → acked (the bridge journaled it to disk; from here
 * the bridge owns it and a redelivery is a no-op) → printed | failed(reason) | unknown (bytes may have partly reached
 * the printer: a person decides whether to reprint). A drawer kick is never retried: one that was sent but not
 * acked when the socket dropped becomes unknown, never sent again.
 *
 * Who gets what: a message of this file is sent only to a client that announced it in its hello's `features`
 * (FEATURES below): `jobs` from a bridge (it then receives `job`), `tills` from a bridge (it then receives `tills`),
 * `job.status`, `bridge.status` and `scan` from a till. `job.ack`, `job.status`, `bridge.status` and `scan` may be sent to the hub only by a bridge (a device of
 * kind bridge); from any other client they close the socket (4004).
 */

const version = z.literal(1);
const Id = z.string().min(1).max(64);
/** A name the bridge gives a printer or scanner in its config: 1 to 64 characters, no control characters. */
export const DeviceRef = z.string().min(1).max(64).regex(/^[^\x00-\x1f\x7f]+$/, "must be 1 to 64 characters without control characters");

/** What a client may name in hello's `features`; a hub ignores names it does not know (a newer client). */
export const FEATURES = {
  /** A bridge that takes jobs. */
  jobs: "jobs",
  /** A till told of every state change of its store's print jobs. */
  jobStatus: "job.status",
  /** A till told of the bridges' device status (printers online, paper out, …). */
  bridgeStatus: "bridge.status",
  /** A till told of barcode scans at the store's bridges. */
  scan: "scan",
  /** A bridge told of the store's enrolled tills (`tills`), so its local API can check their credentials offline. */
  tills: "tills",
} as const;
export type Feature = (typeof FEATURES)[keyof typeof FEATURES];

export const PRINT_JOB_KINDS = ["receipt", "raw", "drawer", "test"] as const;
export type PrintJobKind = (typeof PRINT_JOB_KINDS)[number];
export const PRINT_JOB_STATES = ["queued", "sent", "acked", "printed", "failed", "unknown"] as const;
export type PrintJobState = (typeof PRINT_JOB_STATES)[number];
/** The outcomes a bridge reports (job.status from a bridge names one of these); a job in one of them is finished. */
export const FINAL_JOB_STATES = ["printed", "failed", "unknown"] as const satisfies readonly PrintJobState[];
export type FinalJobState = (typeof FINAL_JOB_STATES)[number];
export const isFinalJobState = (state: string): state is FinalJobState => (FINAL_JOB_STATES as readonly string[]).includes(state);

/** The most bytes a raw job carries (36 KiB: 48 KiB of base64). */
export const MAX_RAW_JOB_BYTES = 36 * 1024;
/** Standard base64 (RFC 4648 §4, with its `=` padding), at least one byte. */
export const Base64Bytes = z
  .string()
  .min(4, "must hold at least one byte")
  .max((MAX_RAW_JOB_BYTES / 3) * 4, `must hold at most ${MAX_RAW_JOB_BYTES} bytes`)
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, "must be standard base64 (A–Z a–z 0–9 + /, padded with =)");

export const DRAWER_PINS = [2, 5] as const;
export const DrawerPin = z.union([z.literal(2), z.literal(5)], { error: "must be 2 or 5 (the drawer port's pin)" });

/** What the bridge is asked to do. A receipt carries the receipt model (schema/receipt) the bridge lays out for its printer. */
export const JobPayload = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("receipt"), saleId: Id, copy: z.boolean(), model: ReceiptModelSchema }),
  z.object({ kind: z.literal("raw"), bytesBase64: Base64Bytes }),
  z.object({ kind: z.literal("drawer"), pin: DrawerPin.optional() }),
  z.object({ kind: z.literal("test") }),
]);
export type JobPayload = z.infer<typeof JobPayload>;

export const Job = z.object({
  id: Id,
  /** Delivery order within the store: jobs are delivered and printed in this order. */
  seq: z.number().int().min(1),
  /** The bridge's printer to use (its configured id); null = the bridge's default printer. */
  printerId: DeviceRef.nullable(),
  /** Epoch milliseconds. */
  createdAt: z.number().int(),
  /** The device (till) that asked, to tell it of the outcome. */
  requestedBy: Id.nullable(),
  payload: JobPayload,
});
export type Job = z.infer<typeof Job>;

/**
 * Hub → bridge: do this job (again after a reconnect if it was never acked). A receipt's model can make this
 * longer than the 64 KiB the hub accepts from clients: a bridge accepts hub messages up to MAX_JOB_MESSAGE_CHARS.
 */
export const JobMessage = z.object({ v: version, type: z.literal("job"), job: Job });
export const MAX_JOB_MESSAGE_CHARS = 1024 * 1024;

/** Bridge → hub: the job is journaled on the bridge's disk. */
export const JobAck = z.strictObject({ v: version, type: z.literal("job.ack"), jobId: Id });

/**
 * Bridge → hub (the outcome: a bridge reports only printed, failed or unknown), and hub → tills (every state change
 * of their store's jobs, queued and sent and acked too).
 */
export const JobStatus = z.strictObject({
  v: version,
  type: z.literal("job.status"),
  jobId: Id,
  state: z.enum(PRINT_JOB_STATES),
  /** Why it failed or is unknown: paper_out, cover_open, offline, partial_write, no_printer, … */
  reason: z.string().max(200).nullable().optional(),
  /** Epoch milliseconds. */
  at: z.number().int(),
});

export const PrinterState = z.object({
  online: z.boolean(),
  coverOpen: z.boolean(),
  paperNearEnd: z.boolean(),
  paperOut: z.boolean(),
  drawerOpen: z.boolean(),
  error: z.boolean(),
});
export type PrinterState = z.infer<typeof PrinterState>;

export const BridgeDevice = z.object({
  id: DeviceRef,
  kind: z.enum(["printer", "scanner"]),
  name: z.string().max(100),
  connected: z.boolean(),
  /** Printers only; null while it cannot be read (disconnected). */
  status: PrinterState.nullable(),
  /**
   * While not connected: why, as the bridge last saw it ("cannot connect to 192.168.1.50:9100: connect ECONNREFUSED", "usb:04b8:0e28
   * is not plugged in"), for a person to act on. Null when connected; absent from bridges older than it.
   */
  problem: z.string().max(200).nullable().optional(),
});
export type BridgeDevice = z.infer<typeof BridgeDevice>;

/** Bridge → hub: its devices and their state, on connect and at every change. */
export const BridgeStatus = z.strictObject({
  v: version,
  type: z.literal("bridge.status"),
  devices: z.array(BridgeDevice).max(32),
  at: z.number().int(),
});

/**
 * Hub → tills: a bridge's latest status, naming the bridge (its device id) and whether it is connected now. Sent
 * when a bridge reports, when its last socket closes (online false, its last devices), and after a till's welcome
 * (one per bridge the hub knows).
 */
export const BridgeStatusRelay = z.object({
  v: version,
  type: z.literal("bridge.status"),
  bridgeId: Id,
  online: z.boolean(),
  devices: z.array(BridgeDevice).max(32),
  at: z.number().int(),
});

/** The most tills one `tills` message lists (a store's enrolled registers). */
export const MAX_TILLS = 500;

/** One enrolled till as the bridge checks it: its device, its register, and the SHA-256 (hex) of its device credential. */
export const TillCredential = z.object({
  deviceId: Id,
  registerId: Id.nullable(),
  credentialSha256: z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 digest in lower-case hex"),
});
export type TillCredential = z.infer<typeof TillCredential>;

/**
 * Hub → bridge (that said `tills`): every till of the store whose credential works now, the whole list each time.
 * Sent after the bridge's welcome, when a till is enrolled and when a device of the store is revoked. The bridge's
 * local API takes a till's own credential (X-Device-Credential) by its digest, which works while the hub cannot be
 * reached; the digest is of a 256-bit random credential, so it gives nobody the credential.
 */
export const TillsMessage = z.object({
  v: version,
  type: z.literal("tills"),
  tills: z.array(TillCredential).max(MAX_TILLS),
  at: z.number().int(),
});

/** Bridge → hub: a barcode was scanned; the hub relays it to the store's tills, or to one till when `registerId` is set. */
export const Scan = z.strictObject({
  v: version,
  type: z.literal("scan"),
  scannerId: DeviceRef,
  text: z.string().min(1).max(512),
  registerId: Id.nullable().optional(),
  at: z.number().int(),
});

/** Hub → tills: the scan as the bridge sent it, naming the bridge. */
export const ScanRelay = z.object({
  v: version,
  type: z.literal("scan"),
  bridgeId: Id,
  scannerId: DeviceRef,
  text: z.string().min(1).max(512),
  registerId: Id.nullable().optional(),
  at: z.number().int(),
});

/** The client messages only a bridge may send. */
export const BRIDGE_CLIENT_TYPES = ["job.ack", "job.status", "bridge.status", "scan"] as const;
