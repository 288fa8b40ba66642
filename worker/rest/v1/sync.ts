import { IdParams } from "../../../schema/contracts/common";
import {
  MAX_PUSH_ITEMS, PushBody, PushResult, ResolveSyncErrorBody, RetryAllBody, RetryAllResult, RetryResult, SyncDashboard, SyncError, SyncErrorQuery, SyncStatus,
} from "../../../schema/contracts/sync-push";
import { listSyncErrors, resolveSyncError, retryAllSyncErrors, retrySyncError, syncDashboard, syncStatus } from "../../domain/sync-errors";
import { pushRecords } from "../../domain/sync-push";
import { route } from "../../http/route";
import { serviceContext } from "./context";
import { hubAccess } from "./registers";

const tag = "Sync";

const pushDescription =
  `Up to ${MAX_PUSH_ITEMS} records the store made offline, each with the id the till made for it: sales (a return is a sale with negative lines naming what ` +
  "it returns), voids, register session opens and closes (with the counts), cash events, stock adjustments (changes). Each answers applied, duplicate (the same " +
  "id with the same content: nothing written) or rejected (a code and message; the record waits in the sync error queue with its payload); a rejected record " +
  "never blocks the others, and the same id with other content is rejected IDEMPOTENCY_MISMATCH. Records apply in the order sent, except that one waits for " +
  "the record of the batch it depends on (its session's open, the sale it returns or voids; a close waits for its session's other records). A sale keeps its " +
  "soldAt and the price and tax rates the till charged: the money engine recomputes it from them and refuses figures that do not add up. A record of a session " +
  "that was closed (offline, before the record arrived) lands if it was made before the close, and the session's Z report gets a new revision (amendedZReports).";

/** The spec's Sync rows: the store's push and its own status (sync auth), the error queue and the dashboard (back office). */
export const syncRoutes = [
  route({
    method: "post", path: "/sync/push", tag, auth: "sync",
    summary: "Push records made offline (sales, returns, voids, register sessions, cash events, adjustments)",
    description: pushDescription, body: PushBody, response: PushResult,
    errors: { 401: "DEVICE_REVOKED / SESSION_ENDED: the device or session stopped while the push ran (records before it are applied)", 403: "SYNC_NEEDS_DEVICE; DEVICE_KIND_CANNOT_SYNC" },
    handler: (c, { body }) => pushRecords(c.get("sync"), hubAccess(c), c.get("request"), body.items),
  }),
  route({
    method: "get", path: "/sync/status", tag, auth: "sync",
    summary: "The syncing device's own view: last pull and push, its store's pending sync errors, its own newest ones",
    response: SyncStatus,
    handler: (c) => syncStatus(c.get("scope"), c.get("sync"), c.get("request")),
  }),
  route({
    method: "get", path: "/sync/dashboard", tag, auth: "user", permission: "sync.view",
    summary: "Every store's sync state: last pull, last push, pending errors, online (in contact within 15 minutes)",
    description: "The stores where you hold sync.view, each with its syncing devices.",
    response: SyncDashboard,
    handler: (c) => syncDashboard(serviceContext(c), c.get("request").now),
  }),
  route({
    method: "get", path: "/sync/errors", tag, auth: "user", permission: "sync.view",
    summary: "The sync error queue: records the stores pushed that were refused (or applied and flagged)",
    description: "Newest first; of the stores where you hold sync.view (store_id: one of them).",
    query: SyncErrorQuery, response: SyncError, paged: true,
    errors: { 403: "MISSING_PERMISSION_IN_STORE: you lack sync.view in store_id's store" },
    handler: (c, { query }) => listSyncErrors(serviceContext(c), query),
  }),
  route({
    method: "post", path: "/sync/retry-all", tag, auth: "user", permission: "sync.manage",
    summary: "Retry the pending refused records (of one store, or of every store where you hold sync.manage)",
    description: `The oldest ${MAX_PUSH_ITEMS} per call; remaining says how many are left.`,
    body: RetryAllBody, response: RetryAllResult,
    errors: { 403: "MISSING_PERMISSION_IN_STORE: you lack sync.manage in storeId's store" },
    handler: (c, { body }) => retryAllSyncErrors(serviceContext(c), hubAccess(c), body.storeId),
  }),
  route({
    method: "post", path: "/sync/retry/:id", tag, auth: "user", permission: "sync.manage",
    summary: "Re-apply a refused record's stored payload (applied: the entry is resolved)",
    params: IdParams, response: RetryResult,
    errors: { 403: "MISSING_PERMISSION_IN_STORE", 409: "ALREADY_RESOLVED; NOT_RETRYABLE: a flagged entry was applied already" },
    handler: (c, { params }) => retrySyncError(serviceContext(c), hubAccess(c), params.id),
  }),
  route({
    method: "post", path: "/sync/resolve/:id", tag, auth: "user", permission: "sync.manage",
    summary: "Mark a sync error resolved, with a note saying how",
    params: IdParams, body: ResolveSyncErrorBody, response: SyncError,
    errors: { 403: "MISSING_PERMISSION_IN_STORE", 409: "ALREADY_RESOLVED" },
    handler: (c, { params, body }) => resolveSyncError(serviceContext(c), params.id, body.note),
  }),
];
