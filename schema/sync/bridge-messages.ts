import { z } from "zod";

/**
 * The store bridge's messages on the hub socket (issue 10), beside the sync messages of messages.ts and with the
 * same envelope `{ v, type, ... }`. Jobs flow hub → bridge; acknowledgements, outcomes, device status and scans
 * flow bridge → hub; the hub relays job states, bridge status and scans to the store's tills.
 *
 * Job life: queued (at the hub) → sent (on the bridge's socket) → acked (the bridge journaled it to disk; from here
 * the bridge owns it and a redelivery is a no-op) → printed | failed(reason) | unknown (bytes may have partly reached
 * the printer: a person decides whether to reprint). A drawer kick is never retried: one that was sent but not
 * acked when the socket dropped becomes unknown, never sent again.
 */

const version = z.literal(1);
const Id = z.string().min(1).max(64);

export const PRINT_JOB_KINDS = ["receipt", "raw", "drawer", "test"] as const;
export const PRINT_JOB_STATES = ["queued", "sent", "acked", "printed", "failed", "unknown"] as const;
export type PrintJobState = (typeof PRINT_JOB_STATES)[number];

/** What the bridge is asked to do. A receipt carries the receipt model (schema/receipt) the bridge lays out for its printer. */
export const JobPayload = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("receipt"), saleId: Id, copy: z.boolean(), model: z.record(z.string(), z.unknown()) }),
  z.object({ kind: z.literal("raw"), bytesBase64: z.string().max(48 * 1024) }),
  z.object({ kind: z.literal("drawer"), pin: z.union([z.literal(2), z.literal(5)]).optional() }),
  z.object({ kind: z.literal("test") }),
]);
export type JobPayload = z.infer<typeof JobPayload>;

export const Job = z.object({
  id: Id,
  /** Delivery order within the store: jobs are delivered and printed in this order. */
  seq: z.number().int().min(1),
  /** The bridge's printer to use (its configured id); null = the bridge's default printer. */
  printerId: Id.nullable(),
  /** Epoch milliseconds. */
  createdAt: z.number().int(),
  /** The device (till) that asked, to tell it of the outcome. */
  requestedBy: Id.nullable(),
  payload: JobPayload,
});
export type Job = z.infer<typeof Job>;

/** Hub → bridge: do this job (again after a reconnect if it was never acked). */
export const JobMessage = z.object({ v: version, type: z.literal("job"), job: Job });

/** Bridge → hub: the job is journaled on the bridge's disk. */
export const JobAck = z.strictObject({ v: version, type: z.literal("job.ack"), jobId: Id });

/** Bridge → hub (the outcome), and hub → tills (every state change of their store's jobs). */
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
  id: Id,
  kind: z.enum(["printer", "scanner"]),
  name: z.string().max(100),
  connected: z.boolean(),
  /** Printers only; null while it cannot be read (disconnected). */
  status: PrinterState.nullable(),
});

/** Bridge → hub (its devices and their state, on connect and at every change), and hub → tills. */
export const BridgeStatus = z.strictObject({
  v: version,
  type: z.literal("bridge.status"),
  devices: z.array(BridgeDevice).max(32),
  at: z.number().int(),
});

/** Bridge → hub: a barcode was scanned; the hub relays it to the store's tills, or to one till when `registerId` is set. */
export const Scan = z.strictObject({
  v: version,
  type: z.literal("scan"),
  scannerId: Id,
  text: z.string().min(1).max(512),
  registerId: Id.nullable().optional(),
  at: z.number().int(),
});
