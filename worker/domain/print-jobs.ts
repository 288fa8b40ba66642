import { eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { CreatePrintJobBody, DrawerKickBody, PrintJob, PrintJobQuery, StoreBridges } from "../../schema/contracts/print-jobs";
import { devices, sales } from "../../schema/db";
import type { JobPayload } from "../../schema/sync/bridge-messages";
import { rawStatement, type Statement } from "../db/batch";
import type { Page } from "../db/paging";
import type { TenantScope } from "../db/tenant-scope";
import { askHub, type HubAccess } from "../store/hub-client";
import type { JobRecord } from "../store/hub-jobs";
import type { ServiceContext } from "./context";
import { forbidden, notFound, unauthenticated } from "./errors";
import { accessQuery, Access, type AccessRow } from "./grants";
import { idempotencyKey, type IdempotencyKey } from "./idempotency";
import { saleReceipt } from "./receipts";
import { requireInStore, storeQuery } from "./store-permissions";
import { toIso, toIsoOrNull } from "./versioning";

/**
 * Print jobs for the store's bridge: a sale's receipt, raw ESC/POS bytes, a test page, a drawer kick, and a
 * reprint of a finished job. The Worker checks who may (below), builds what the bridge needs (a receipt job
 * carries the receipt model, made now from the stored sale, as POST /sales/print makes it) and asks the store's
 * hub, whose queue (worker/store/hub-jobs.ts) holds, delivers and tracks the jobs; they never touch D1.
 *
 * Permissions, checked fresh in the job's store (a token carries those of its own store only): what a till user
 * holds, pos.sell, for everything; a raw job (and a reprint of one) also needs stores.edit there, since raw bytes
 * can do anything the printer can (open the drawer, print anything that looks like a receipt): it is for the
 * store's administrators and their tools, not the till. Creating a job also checks that the caller's session is
 * still live (in the same read), as every write does.
 */

const ROUTES = { create: "print_jobs", drawer: "drawer_kicks", reprint: "print_jobs.reprint" } as const;

/** The strongest permission a job needs beyond pos.sell: raw bytes. */
export const RAW_JOB_PERMISSION = "stores.edit" as const;

/** Who asks the hub for a job: the Worker verified them. */
export interface JobCaller {
  tenantId: string;
  storeId: string;
  userId: string;
  deviceId: string | null;
}

export interface CreateJobCommand {
  caller: JobCaller;
  printerId: string | null;
  payload: JobPayload;
  idempotency?: IdempotencyKey;
}

export interface ReprintCommand {
  caller: JobCaller;
  jobId: string;
  /** The caller holds RAW_JOB_PERMISSION in the store (a raw job's reprint needs it). */
  mayRaw: boolean;
  idempotency?: IdempotencyKey;
}

/** What the hub knows of one bridge: connected now, and its latest reported devices. */
export interface HubBridge {
  bridgeId: string;
  online: boolean;
  connectedAt: number | null;
  status: { devices: StoreBridges["bridges"][number]["devices"]; at: number } | null;
}

export const printJobDto = (storeId: string, j: JobRecord): PrintJob => ({
  id: j.id,
  storeId,
  seq: j.seq,
  kind: j.kind,
  state: j.state,
  reason: j.reason,
  printerId: j.printerId,
  saleId: j.payload.kind === "receipt" ? j.payload.saleId : null,
  copy: j.payload.kind === "receipt" ? j.payload.copy : false,
  reprintOf: j.reprintOf,
  userId: j.userId,
  deviceId: j.deviceId,
  bridgeId: j.bridgeId,
  createdAt: toIso(j.createdAt),
  sentAt: toIsoOrNull(j.sentAt),
  ackedAt: toIsoOrNull(j.ackedAt),
  finishedAt: toIsoOrNull(j.finishedAt),
  updatedAt: toIso(j.updatedAt),
});

/** 1 while the session is live: not ended, its user active, its store active, its device (if any) not revoked. */
const liveSessionQuery = (scope: TenantScope, sessionId: string) =>
  rawStatement<{ live: number }>(scope.db, sql`SELECT count(*) AS live FROM sessions s
    JOIN users u ON u.id = s.user_id
    JOIN stores st ON st.id = s.store_id
    LEFT JOIN devices d ON d.id = s.device_id
    WHERE s.id = ${sessionId} AND s.tenant_id = ${scope.tenantId} AND s.revoked_at IS NULL
      AND u.is_active = 1 AND u.deleted_at IS NULL AND st.is_active = 1 AND st.deleted_at IS NULL
      AND (s.device_id IS NULL OR (d.revoked_at IS NULL AND d.deleted_at IS NULL))`);

const saleStoreQuery = (scope: TenantScope, saleId: string) =>
  scope.db.select({ storeId: sales.storeId }).from(sales).where(scope.where(sales, eq(sales.id, saleId)));

const jobCaller = (ctx: ServiceContext, storeId: string): JobCaller => ({
  tenantId: ctx.scope.tenantId, storeId, userId: ctx.actor.userId, deviceId: ctx.actor.deviceId,
});

/**
 * The reads of a new job in one round trip: the store (404 unless the tenant's), the caller's permissions in it
 * (403 without pos.sell there), the session (401 when it has ended) and, for a receipt, the sale's store.
 */
async function readForJob(ctx: ServiceContext, storeId: string, saleId?: string) {
  const { scope, actor } = ctx;
  const [storeRows, accessRows, liveRows, saleRows] = (await scope.db.batch([
    storeQuery(scope, storeId),
    accessQuery(scope, actor.userId),
    liveSessionQuery(scope, actor.sessionId),
    saleStoreQuery(scope, saleId ?? ""),
  ] as unknown as [Statement, ...Statement[]])) as unknown as [unknown[], AccessRow[], { live: number }[], { storeId: string }[]];
  if (!Number(liveRows[0]?.live)) {
    throw unauthenticated("SESSION_ENDED", "This session has ended (signed out, user deactivated, credential changed or device revoked); sign in again");
  }
  const store = requireInStore(storeRows, accessRows, "pos.sell");
  return { store, access: new Access(accessRows), saleStoreId: saleRows[0]?.storeId };
}

const keyFor = (route: string, clientKey: string | undefined, request: unknown) => idempotencyKey(route, clientKey, request);

/** POST /stores/:storeId/print-jobs: a receipt, raw bytes or a test page, queued for the store's bridge. */
export async function createPrintJob(ctx: ServiceContext, hubs: HubAccess, storeId: string, body: CreatePrintJobBody, clientKey?: string): Promise<PrintJob> {
  const key = await keyFor(ROUTES.create, clientKey, { storeId, ...body });
  const { store, access, saleStoreId } = await readForJob(ctx, storeId, body.kind === "receipt" ? body.saleId : undefined);
  let payload: JobPayload;
  switch (body.kind) {
    case "receipt": {
      // Another store's sale (or another tenant's, or none) is not this store's to print.
      if (saleStoreId !== store.id) throw notFound("Sale");
      const printed = await saleReceipt(ctx, body.saleId, 42, body.copy);
      payload = { kind: "receipt", saleId: body.saleId, copy: body.copy, model: printed.receipt as Extract<JobPayload, { kind: "receipt" }>["model"] };
      break;
    }
    case "raw":
      if (!access.has(store.id, RAW_JOB_PERMISSION)) {
        throw forbidden(`A raw job needs the permission ${RAW_JOB_PERMISSION} in store ${store.code} (raw bytes can make the printer do anything)`, "MISSING_PERMISSION_IN_STORE");
      }
      payload = { kind: "raw", bytesBase64: body.bytesBase64 };
      break;
    case "test":
      payload = { kind: "test" };
      break;
  }
  return askHub(hubs, ctx.scope.tenantId, store.id, (hub) =>
    hub.createPrintJob({ caller: jobCaller(ctx, store.id), printerId: body.printerId ?? null, payload, idempotency: key }),
  );
}

/** POST /stores/:storeId/drawer-kicks: open the cash drawer on a printer's drawer port, once (never retried). */
export async function kickDrawer(ctx: ServiceContext, hubs: HubAccess, storeId: string, body: DrawerKickBody, clientKey?: string): Promise<PrintJob> {
  const key = await keyFor(ROUTES.drawer, clientKey, { storeId, ...body });
  const { store } = await readForJob(ctx, storeId);
  const payload: JobPayload = body.pin === undefined ? { kind: "drawer" } : { kind: "drawer", pin: body.pin };
  return askHub(hubs, ctx.scope.tenantId, store.id, (hub) =>
    hub.createPrintJob({ caller: jobCaller(ctx, store.id), printerId: body.printerId ?? null, payload, idempotency: key }),
  );
}

/** POST /stores/:storeId/print-jobs/:jobId/reprint: a finished job again, as a new job (a receipt marked as a copy). */
export async function reprintJob(ctx: ServiceContext, hubs: HubAccess, storeId: string, jobId: string, clientKey?: string): Promise<PrintJob> {
  const key = await keyFor(ROUTES.reprint, clientKey, { storeId, jobId });
  const { store, access } = await readForJob(ctx, storeId);
  return askHub(hubs, ctx.scope.tenantId, store.id, (hub) =>
    hub.reprintJob({ caller: jobCaller(ctx, store.id), jobId, mayRaw: access.has(store.id, RAW_JOB_PERMISSION), idempotency: key }),
  );
}

/** The store (404 unless the tenant's) once the caller holds pos.sell there (403): one round trip. */
async function readableStore(ctx: ServiceContext, storeId: string, extra?: Statement) {
  const { scope, actor } = ctx;
  const [storeRows, accessRows, extraRows] = (await scope.db.batch([
    storeQuery(scope, storeId),
    accessQuery(scope, actor.userId),
    ...(extra ? [extra] : []),
  ] as unknown as [Statement, ...Statement[]])) as unknown as [unknown[], AccessRow[], unknown[] | undefined];
  return { store: requireInStore(storeRows, accessRows, "pos.sell"), extraRows: extraRows ?? [] };
}

/** GET /stores/:storeId/print-jobs: the store's jobs, newest first (the hub keeps a bounded history). */
export async function listPrintJobs(ctx: ServiceContext, hubs: HubAccess, storeId: string, query: PrintJobQuery): Promise<Page<PrintJob>> {
  const { store } = await readableStore(ctx, storeId);
  return askHub(hubs, ctx.scope.tenantId, store.id, (hub) => hub.printJobs(jobCaller(ctx, store.id), query));
}

export async function getPrintJob(ctx: ServiceContext, hubs: HubAccess, storeId: string, jobId: string): Promise<PrintJob> {
  const { store } = await readableStore(ctx, storeId);
  return askHub(hubs, ctx.scope.tenantId, store.id, (hub) => hub.printJob(jobCaller(ctx, store.id), jobId));
}

/**
 * GET /stores/:storeId/bridge: every paired, unrevoked bridge of the store, whether it is connected to the hub
 * now, and its printers and scanners as it last reported them.
 */
export async function storeBridges(ctx: ServiceContext, hubs: HubAccess, storeId: string): Promise<StoreBridges> {
  const { scope } = ctx;
  const bridgeDevices = scope.db.select({ id: devices.id, name: devices.name }).from(devices)
    .where(scope.where(devices, eq(devices.storeId, storeId), eq(devices.kind, "bridge"), isNotNull(devices.credentialHash), isNull(devices.revokedAt), isNull(devices.deletedAt)));
  const { store, extraRows } = await readableStore(ctx, storeId, bridgeDevices as unknown as Statement);
  const known = await askHub(hubs, scope.tenantId, store.id, (hub) => hub.bridges(jobCaller(ctx, store.id)));
  const byId = new Map(known.map((b) => [b.bridgeId, b]));
  return {
    bridges: (extraRows as { id: string; name: string }[]).map((d) => {
      const hub = byId.get(d.id);
      return {
        deviceId: d.id,
        name: d.name,
        online: hub?.online ?? false,
        connectedAt: toIsoOrNull(hub?.connectedAt),
        reportedAt: toIsoOrNull(hub?.status?.at),
        devices: hub?.status?.devices ?? [],
      };
    }),
  };
}
