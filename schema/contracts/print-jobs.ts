import { z } from "zod";
import { Base64Bytes, BridgeDevice, DeviceRef, DrawerPin, PRINT_JOB_KINDS, PRINT_JOB_STATES } from "../sync/bridge-messages";
import { Id, PageQuery, Timestamp } from "./common";

/**
 * The print-jobs API (POST /api/v1/stores/:storeId/print-jobs and its siblings): jobs for the store's bridge,
 * queued at the store's hub and delivered over the bridge's socket (schema/sync/bridge-messages.ts).
 */

/** The bridge's printer (its id in the bridge's config); left out or null: the bridge's default printer. */
const PrinterField = DeviceRef.nullable().optional();

export const CreatePrintJobBody = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("receipt"),
    saleId: Id,
    /** A reprint of a receipt already handed over: marked as a copy (KOPIA). */
    copy: z.boolean().default(false),
    printerId: PrinterField,
  }),
  z.object({
    kind: z.literal("raw"),
    /** ESC/POS bytes as the printer gets them, standard base64, at most 36 KiB. */
    bytesBase64: Base64Bytes,
    printerId: PrinterField,
  }),
  z.object({ kind: z.literal("test"), printerId: PrinterField }),
], { error: "must be receipt, raw or test (a drawer kick is POST /stores/:storeId/drawer-kicks)" });
export type CreatePrintJobBody = z.output<typeof CreatePrintJobBody>;

export const DrawerKickBody = z.object({
  printerId: PrinterField,
  /** The drawer port's pin; left out: the bridge's configured pin for that printer. */
  pin: DrawerPin.optional(),
});
export type DrawerKickBody = z.output<typeof DrawerKickBody>;

export const PrintJobQuery = PageQuery.extend({
  state: z.enum(PRINT_JOB_STATES).optional(),
});
export type PrintJobQuery = z.output<typeof PrintJobQuery>;

export const PrintJobParams = z.object({ storeId: Id, jobId: Id });

export const PrintJob = z.object({
  id: Id,
  storeId: Id,
  /** Delivery order within the store. */
  seq: z.int(),
  kind: z.enum(PRINT_JOB_KINDS),
  /** queued → sent → acked → printed | failed | unknown (see the README's print-jobs section). */
  state: z.enum(PRINT_JOB_STATES),
  /** Why it failed or is unknown (paper_out, no_printer, partial_write, connection_lost, expired, …). */
  reason: z.string().nullable(),
  printerId: z.string().nullable(),
  /** A receipt job's sale. */
  saleId: Id.nullable(),
  /** A receipt printed as a copy (KOPIA): asked so, or a reprint. */
  copy: z.boolean(),
  /** A reprint: the job it prints again. */
  reprintOf: Id.nullable(),
  /** Who asked: the user, and the till (enrolled device) they were signed in at, if any. */
  userId: Id,
  deviceId: Id.nullable(),
  /** The bridge (its device id) the job went to; null until sent. */
  bridgeId: Id.nullable(),
  createdAt: Timestamp,
  sentAt: Timestamp.nullable(),
  ackedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  updatedAt: Timestamp,
});
export type PrintJob = z.infer<typeof PrintJob>;

export const StoreBridges = z.object({
  bridges: z.array(z.object({
    /** The bridge's device id (a device of kind bridge, enrolled in the store). */
    deviceId: Id,
    name: z.string(),
    /** A socket of the bridge is connected to the store's hub now. */
    online: z.boolean(),
    /** Since when (its oldest open socket); null when offline. */
    connectedAt: Timestamp.nullable(),
    /** When the bridge last reported its devices (its clock); null if it never has. */
    reportedAt: Timestamp.nullable(),
    /** Its printers and scanners as last reported. */
    devices: z.array(BridgeDevice),
  })),
});
export type StoreBridges = z.infer<typeof StoreBridges>;
