import { StoreParams } from "../../../schema/contracts/devices";
import { CreatePrintJobBody, DrawerKickBody, PrintJob, PrintJobParams, PrintJobQuery, StoreBridges } from "../../../schema/contracts/print-jobs";
import { createPrintJob, getPrintJob, kickDrawer, listPrintJobs, reprintJob, storeBridges } from "../../domain/print-jobs";
import type { AppContext } from "../../http/app";
import { route } from "../../http/route";
import { hubAccess } from "./registers";
import { serviceContext } from "./context";

const tag = "Printing";

const idempotencyKeyOf = (c: AppContext) => c.req.header("Idempotency-Key");

const inStore = "Needs pos.sell in the job's store (read fresh: the store you are signed into or another where you hold it).";
const idempotent =
  "Send an Idempotency-Key header so that a retry does not print twice: the same key and body answer the same job (as it is now) and queue nothing; " +
  "the same key with another body is 422 IDEMPOTENCY_MISMATCH.";
const states =
  "A job is queued at the store's hub, sent to the store's bridge when it is connected (jobs wait for a bridge that is offline and go out in order when it returns), " +
  "acked once the bridge has journaled it, then printed, failed (with a reason) or unknown (it may have partly printed: a person decides to reprint). " +
  "Tills that said features [\"job.status\"] on the hub's socket are told of every state change.";

const createErrors = {
  400: "VALIDATION_ERROR: a field is wrong (kind, saleId, bytesBase64 not base64 or over 36 KiB, printerId); INVALID_IDEMPOTENCY_KEY",
  401: "SESSION_ENDED: your session has ended",
  403: "MISSING_PERMISSION_IN_STORE: you lack pos.sell in that store (or stores.edit, for a raw job)",
  404: "NOT_FOUND: no such store, or (a receipt) no such sale in that store",
  422: "IDEMPOTENCY_MISMATCH: the key was used for another request; PRINT_QUEUE_FULL: 1000 jobs already wait for the bridge",
} as const;

/** The store bridge's jobs (printing and the cash drawer), queued and tracked by the store's hub. */
export const printJobRoutes = [
  route({
    method: "post", path: "/stores/:storeId/print-jobs", tag, auth: "user", permission: "pos.sell", status: 201,
    summary: "Print on the store's bridge: a sale's receipt, raw ESC/POS bytes or a test page",
    description:
      "receipt: the sale's receipt model (as POST /sales/print makes it, now), laid out by the bridge for its printer; copy marks it KOPIA. " +
      "raw: bytes sent to the printer as they are (base64, at most 36 KiB); needs stores.edit in the store too. test: the bridge's test page. " +
      `printerId names a printer of the bridge's config; left out, the bridge's default printer. ${states} ${inStore} ${idempotent}`,
    params: StoreParams, body: CreatePrintJobBody, response: PrintJob, errors: createErrors,
    handler: (c, { params, body }) => createPrintJob(serviceContext(c), hubAccess(c), params.storeId, body, idempotencyKeyOf(c)),
  }),
  route({
    method: "post", path: "/stores/:storeId/drawer-kicks", tag, auth: "user", permission: "pos.sell", status: 201,
    summary: "Open the cash drawer on a printer's drawer port (once: never retried)",
    description:
      "A job of kind drawer. It is never sent twice: one sent but not acked when the bridge's connection drops becomes unknown, and one not sent " +
      `within 2 minutes (the bridge offline) fails with reason expired, so no drawer opens long after it was asked for. pin: 2 or 5 (default: the bridge's config). ${inStore} ${idempotent}`,
    params: StoreParams, body: DrawerKickBody, response: PrintJob,
    errors: { ...createErrors, 400: "VALIDATION_ERROR: printerId or pin is wrong; INVALID_IDEMPOTENCY_KEY", 403: "MISSING_PERMISSION_IN_STORE: you lack pos.sell in that store" },
    handler: (c, { params, body }) => kickDrawer(serviceContext(c), hubAccess(c), params.storeId, body, idempotencyKeyOf(c)),
  }),
  route({
    method: "get", path: "/stores/:storeId/print-jobs", tag, auth: "user", permission: "pos.sell",
    summary: "The store's recent print jobs and their states, newest first",
    description: `The hub keeps the jobs of the last 7 days, and of the finished ones the newest 500. state filters. ${inStore}`,
    params: StoreParams, query: PrintJobQuery, response: PrintJob, paged: true,
    errors: { 403: "MISSING_PERMISSION_IN_STORE: you lack pos.sell in that store" },
    handler: (c, { params, query }) => listPrintJobs(serviceContext(c), hubAccess(c), params.storeId, query),
  }),
  route({
    method: "get", path: "/stores/:storeId/print-jobs/:jobId", tag, auth: "user", permission: "pos.sell",
    summary: "A print job and its state", description: `${states} ${inStore}`,
    params: PrintJobParams, response: PrintJob,
    errors: { 403: "MISSING_PERMISSION_IN_STORE: you lack pos.sell in that store", 404: "NOT_FOUND: no such store, or no such job in it (or pruned from the history)" },
    handler: (c, { params }) => getPrintJob(serviceContext(c), hubAccess(c), params.storeId, params.jobId),
  }),
  route({
    method: "post", path: "/stores/:storeId/print-jobs/:jobId/reprint", tag, auth: "user", permission: "pos.sell", status: 201,
    summary: "Print a finished job again (printed, failed or unknown): a new job naming the old one, a receipt marked as a copy",
    description:
      "What a person does for a job that failed or is unknown (the hub never reprints by itself), or for a second copy. A receipt's reprint is marked KOPIA; " +
      `a raw job's needs stores.edit; a drawer kick is never repeated (kick again). ${inStore} ${idempotent}`,
    params: PrintJobParams, response: PrintJob,
    errors: {
      400: "INVALID_IDEMPOTENCY_KEY",
      401: "SESSION_ENDED: your session has ended",
      403: "MISSING_PERMISSION_IN_STORE: you lack pos.sell in that store (or stores.edit, for a raw job)",
      404: "NOT_FOUND: no such store, or no such job in it",
      409: "JOB_NOT_FINISHED: the job is still queued, sent or acked (it may yet print)",
      422: "NOT_REPRINTABLE: a drawer kick; IDEMPOTENCY_MISMATCH; PRINT_QUEUE_FULL",
    },
    handler: (c, { params }) => reprintJob(serviceContext(c), hubAccess(c), params.storeId, params.jobId, idempotencyKeyOf(c)),
  }),
  route({
    method: "get", path: "/stores/:storeId/bridge", tag, auth: "user", permission: "pos.sell",
    summary: "The store's bridges: connected or not, and their printers and scanners as last reported",
    description: `Every paired bridge of the store (revoked ones left out), with its printers' status (online, cover open, paper near end or out, drawer open). ${inStore}`,
    params: StoreParams, response: StoreBridges,
    errors: { 403: "MISSING_PERMISSION_IN_STORE: you lack pos.sell in that store" },
    handler: (c, { params }) => storeBridges(serviceContext(c), hubAccess(c), params.storeId),
  }),
];
