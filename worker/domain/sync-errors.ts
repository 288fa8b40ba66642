import { asc, count, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { z } from "zod";
import {
  MAX_PUSH_ITEMS, SYNC_OFFLINE_AFTER_MS, type PushItemResult, type PushResult, type SyncError, type SyncErrorQuery, type SyncStoreState,
} from "../../schema/contracts/sync-push";
import { devices, stores, syncErrors } from "../../schema/db";
import type { SyncCaller } from "../auth/sync-caller";
import { commit, expectOneChange, isGuardFailure, rawStatement, type Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import type { Page } from "../db/paging";
import { conflict, notFound } from "./errors";
import { askHub, type HubAccess } from "../store/hub-client";
import type { HubCaller } from "../store/hub-protocol";
import type { RequestInfo, ServiceContext } from "./context";
import { accessQuery } from "./grants";
import { requestHash } from "./idempotency";
import { recordAudit } from "./journal";
import { requirePermissionIn, storesWherePermitted, type HubContext } from "./register-sessions";
import type { PushCommand } from "./sync-push-apply";
import { toIso, toIsoOrNull } from "./versioning";

/**
 * The sync error queue and the sync dashboard. A record a store pushed that the edge refused waits here with its
 * payload (one entry per store, record and kind: pushing it again counts an attempt), until a push or a retry
 * applies it (resolved: applied, or duplicate when it was found applied) or a person resolves it with a note.
 * Records applied with something to look at (a cashier deactivated since the sale, a tax rate that changed) are
 * entries of kind `flagged`: they are resolved by a person, never retried.
 *
 * Back-office reads and acts are per store: sync.view to see a store's entries, sync.manage to retry or resolve them.
 */

type Row = typeof syncErrors.$inferSelect;

export const syncErrorDto = (r: Row): SyncError => ({
  id: r.id, storeId: r.storeId, deviceId: r.deviceId, registerId: r.registerId, itemType: r.itemType, clientId: r.clientId, kind: r.kind, status: r.status,
  code: r.code, message: r.message, fields: r.fields ?? null, payload: r.payload, attempts: r.attempts,
  firstSeenAt: toIso(r.firstSeenAt), lastSeenAt: toIso(r.lastSeenAt), resolvedAt: toIsoOrNull(r.resolvedAt), resolvedBy: r.resolvedBy,
  resolution: r.resolution, note: r.note, version: r.version,
});

// ---------------------------------------------------------------------------------------------------------------
// The push's bookkeeping (in the hub, after the records)

export interface QueueEntry {
  answer: PushItemResult;
  payload: Record<string, unknown>;
}

/**
 * One batch after a push: an entry for each record refused (or flagged), the pending entries of records now applied
 * resolved, and the pushing device's last_push_at. Answers each refused or flagged record's entry id.
 */
export async function recordPushOutcomes(h: HubContext, storeId: string, command: PushCommand, entries: QueueEntry[]): Promise<Map<PushItemResult, string>> {
  const { scope, now } = h;
  const upserts: Statement[] = [];
  const owners: PushItemResult[] = [];
  const resolved = { applied: [] as string[], duplicate: [] as string[] };
  for (const { answer, payload } of entries) {
    const itemType = answer.type ?? "unknown";
    const clientId = answer.id ?? `invalid:${(await requestHash(payload)).slice(0, 32)}`;
    if (answer.status !== "rejected") resolved[answer.status].push(`${itemType}:${clientId}`);
    const kind = answer.status === "rejected" ? "rejected" : answer.flags?.length ? "flagged" : undefined;
    if (!kind) continue;
    const code = kind === "rejected" ? answer.code ?? "REJECTED" : answer.flags!.join(",");
    const message = kind === "rejected" ? answer.message ?? "" : `Applied, and flagged for a look: ${answer.flags!.join(", ")}`;
    const fields = (answer.fields as Record<string, unknown>[] | undefined) ?? null;
    upserts.push(scope.db.insert(syncErrors).values({
      id: crypto.randomUUID(), tenantId: scope.tenantId, storeId, deviceId: command.origin.deviceId, registerId: command.origin.registerId, itemType, clientId,
      kind, status: "pending", code, message, fields, payload, attempts: 1, firstSeenAt: now, lastSeenAt: now,
    }).onConflictDoUpdate({
      target: [syncErrors.tenantId, syncErrors.storeId, syncErrors.itemType, syncErrors.clientId, syncErrors.kind],
      set: {
        attempts: sql.raw("attempts + 1"), lastSeenAt: now, code, message, fields, payload, status: "pending",
        resolvedAt: null, resolvedBy: null, resolution: null, note: null, version: sql.raw("version + 1"),
      },
    }).returning({ id: syncErrors.id }) as unknown as Statement);
    owners.push(answer);
  }
  const resolver = command.source === "retry" ? command.caller.userId : null;
  const resolving = (resolution: "applied" | "duplicate", keys: string[]): Statement[] => keys.length === 0 ? [] : [
    scope.update(syncErrors, { status: "resolved", resolution, resolvedAt: now, resolvedBy: resolver, version: sql`${syncErrors.version} + 1` as unknown as number },
      eq(syncErrors.storeId, storeId), eq(syncErrors.kind, "rejected"), eq(syncErrors.status, "pending"),
      sql`(${syncErrors.itemType} || ':' || ${syncErrors.clientId}) IN (SELECT value FROM json_each(${JSON.stringify(keys)}))`),
  ];
  const statements: Statement[] = [
    ...upserts,
    ...resolving("applied", resolved.applied),
    ...resolving("duplicate", resolved.duplicate),
    ...(command.source === "push" && command.origin.deviceId
      ? [scope.update(devices, { lastPushAt: now, lastSeenAt: now }, eq(devices.id, command.origin.deviceId))]
      : []),
  ];
  const results = (await commit(scope.db, statements)) as unknown[][];
  return new Map(owners.map((answer, i) => [answer, (results[i]![0] as { id: string }).id]));
}

// ---------------------------------------------------------------------------------------------------------------
// The back office

const P = syncErrors;

export async function listSyncErrors(ctx: ServiceContext, q: z.output<typeof SyncErrorQuery>): Promise<Page<SyncError>> {
  const { scope, actor } = ctx;
  const where = scope.where(P,
    sql`${P.storeId} IN ${storesWherePermitted(scope, actor.userId, "sync.view")}`,
    q.store_id ? eq(P.storeId, q.store_id) : undefined,
    q.status ? eq(P.status, q.status) : undefined,
    q.kind ? eq(P.kind, q.kind) : undefined,
  );
  const [totalRows, rows, accessRows] = await scope.db.batch([
    scope.db.select({ total: count() }).from(P).where(where),
    scope.db.select().from(P).where(where).orderBy(desc(P.lastSeenAt), asc(P.id)).limit(q.pageSize).offset((q.page - 1) * q.pageSize),
    accessQuery(scope, actor.userId),
  ]);
  if (q.store_id) requirePermissionIn(accessRows, q.store_id, "sync.view", "that store");
  return { items: (rows as Row[]).map(syncErrorDto), total: totalRows[0]?.total ?? 0, page: q.page, pageSize: q.pageSize };
}

async function entryFor(ctx: ServiceContext, id: string): Promise<Row> {
  const [rows, accessRows] = await ctx.scope.db.batch([ctx.scope.select(P, eq(P.id, id)), accessQuery(ctx.scope, ctx.actor.userId)]);
  const row = rows[0] as Row | undefined;
  if (!row) throw notFound("Sync error");
  requirePermissionIn(accessRows, row.storeId, "sync.manage", "the entry's store");
  return row;
}

/** A person marks an entry resolved, saying how (the record was re-entered by hand, was a test, ...). */
export async function resolveSyncError(ctx: ServiceContext, id: string, note: string): Promise<SyncError> {
  const { scope, actor, request } = ctx;
  const row = await entryFor(ctx, id);
  if (row.status === "resolved") throw conflict("ALREADY_RESOLVED", "This entry is already resolved", syncErrorDto(row));
  const resolved: Row = { ...row, status: "resolved", resolution: "manual", resolvedAt: request.now, resolvedBy: actor.userId, note, version: row.version + 1 };
  try {
    await commit(scope.db, [
      scope.update(P, { status: "resolved", resolution: "manual", resolvedAt: request.now, resolvedBy: actor.userId, note, version: resolved.version },
        eq(P.id, id), eq(P.version, row.version), eq(P.status, "pending")),
      expectOneChange(scope.db),
      recordAudit(scope.db, {
        tenantId: scope.tenantId, actorType: "user", actorId: actor.userId, action: "sync_error.resolve", entity: "sync_error", entityId: id,
        detail: { storeId: row.storeId, itemType: row.itemType, clientId: row.clientId, code: row.code, note },
      }, request),
    ]);
  } catch (error) {
    if (isGuardFailure(error)) throw conflict("ALREADY_RESOLVED", "This entry was resolved or retried meanwhile");
    throw error;
  }
  return syncErrorDto(resolved);
}

const callerOf = (ctx: ServiceContext, storeId: string): HubCaller => ({
  tenantId: ctx.scope.tenantId, storeId, userId: ctx.actor.userId, guard: { session: ctx.actor.sessionId }, deviceId: ctx.actor.deviceId,
  requestId: ctx.request.requestId, ip: ctx.request.ip,
});

/** Push stored payloads again, as records of the device they came from, through their store's hub. */
async function retryRows(ctx: ServiceContext, hubs: HubAccess, rows: Row[]): Promise<Map<string, PushItemResult>> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = `${row.storeId}|${row.deviceId ?? ""}|${row.registerId ?? ""}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const outcome = new Map<string, PushItemResult>();
  for (const group of groups.values()) {
    const first = group[0]!;
    const command: PushCommand = {
      caller: callerOf(ctx, first.storeId), origin: { deviceId: first.deviceId, registerId: first.registerId },
      items: group.map((r) => r.payload as Record<string, unknown>), source: "retry",
    };
    const result: PushResult = await askHub(hubs, ctx.scope.tenantId, first.storeId, (hub) => hub.push(command));
    group.forEach((row, i) => outcome.set(row.id, result.results[i]!));
  }
  return outcome;
}

const retryable = (row: Row) => {
  if (row.kind === "flagged") throw conflict("NOT_RETRYABLE", "A flagged entry was applied already: resolve it with a note");
  if (row.status === "resolved") throw conflict("ALREADY_RESOLVED", "This entry is already resolved", syncErrorDto(row));
};

/** Re-apply one entry's payload: applied (or found applied) resolves it; refused again, it stays pending with the new reason. */
export async function retrySyncError(ctx: ServiceContext, hubs: HubAccess, id: string): Promise<{ error: SyncError; result: PushItemResult }> {
  const row = await entryFor(ctx, id);
  retryable(row);
  const result = (await retryRows(ctx, hubs, [row])).get(row.id)!;
  const [after] = (await ctx.scope.select(P, eq(P.id, id))) as Row[];
  return { error: syncErrorDto(after!), result };
}

/** Retry the oldest pending refused entries (of one store, or of every store where the caller holds sync.manage). */
export async function retryAllSyncErrors(ctx: ServiceContext, hubs: HubAccess, storeId: string | undefined) {
  const { scope, actor } = ctx;
  const where = scope.where(P, eq(P.kind, "rejected"), eq(P.status, "pending"),
    sql`${P.storeId} IN ${storesWherePermitted(scope, actor.userId, "sync.manage")}`, storeId ? eq(P.storeId, storeId) : undefined);
  const [totalRows, rows, accessRows] = await scope.db.batch([
    scope.db.select({ total: count() }).from(P).where(where),
    scope.db.select().from(P).where(where).orderBy(asc(P.firstSeenAt), asc(P.id)).limit(MAX_PUSH_ITEMS),
    accessQuery(scope, actor.userId),
  ]);
  if (storeId) requirePermissionIn(accessRows, storeId, "sync.manage", "that store");
  const outcome = await retryRows(ctx, hubs, rows as Row[]);
  const after = (rows.length ? await scope.select(P, inArray(P.id, rows.map((r) => r.id))) : []) as Row[];
  const byId = new Map(after.map((r) => [r.id, r]));
  const results = (rows as Row[]).map((r) => ({ error: syncErrorDto(byId.get(r.id) ?? r), result: outcome.get(r.id)! }));
  const tally = (status: PushItemResult["status"]) => results.filter((r) => r.result.status === status).length;
  return {
    retried: rows.length, applied: tally("applied"), duplicate: tally("duplicate"), rejected: tally("rejected"),
    remaining: Math.max(0, (totalRows[0]?.total ?? 0) - rows.length), results,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The dashboard and the device's own view

type DeviceRow = typeof devices.$inferSelect;

const lastContact = (d: Pick<DeviceRow, "lastSeenAt" | "lastPullAt" | "lastPushAt">) => Math.max(d.lastSeenAt ?? 0, d.lastPullAt ?? 0, d.lastPushAt ?? 0) || null;

const deviceDto = (d: DeviceRow, now: number) => {
  const contact = lastContact(d);
  return {
    id: d.id, kind: d.kind, name: d.name, registerId: d.registerId, lastSeenAt: toIsoOrNull(d.lastSeenAt), lastPullAt: toIsoOrNull(d.lastPullAt),
    lastPullSeq: d.lastPullSeq, lastPushAt: toIsoOrNull(d.lastPushAt), online: contact !== null && now - contact < SYNC_OFFLINE_AFTER_MS,
  };
};

/** The devices that sync a store's data (paired, not revoked), of one store or all. */
export const syncingDevices = (scope: TenantScope, storeId?: string) =>
  scope.select(devices, inArray(devices.kind, ["register", "store", "sync"]), isNull(devices.revokedAt), isNull(devices.deletedAt), sql`${devices.credentialHash} IS NOT NULL`, storeId ? eq(devices.storeId, storeId) : undefined);

export const pendingCounts = (scope: TenantScope) =>
  rawStatement(scope.db, sql`SELECT store_id AS storeId, device_id AS deviceId, kind, count(*) AS n FROM ${P}
    WHERE tenant_id = ${scope.tenantId} AND status = 'pending' GROUP BY store_id, device_id, kind`);

type CountRow = { storeId: string; deviceId: string | null; kind: string; n: number };

const latest = (values: (number | null)[]) => values.reduce<number | null>((m, v) => (v !== null && (m === null || v > m) ? v : m), null);

/** A store's sync state from its devices' rows and the tenant's pending counts (both read by the caller's batch). */
export function syncStateOf(store: { id: string; code: string; name: string }, deviceRows: unknown[], countRows: unknown[], now: number): SyncStoreState {
  const own = (deviceRows as DeviceRow[]).filter((d) => d.storeId === store.id);
  const counts = (countRows as CountRow[]).filter((c) => c.storeId === store.id);
  const sum = (kind: string) => counts.filter((c) => c.kind === kind).reduce((s, c) => s + Number(c.n), 0);
  const contact = latest(own.map(lastContact));
  return {
    storeId: store.id, storeCode: store.code, storeName: store.name,
    lastPullAt: toIsoOrNull(latest(own.map((d) => d.lastPullAt))), lastPushAt: toIsoOrNull(latest(own.map((d) => d.lastPushAt))), lastContactAt: toIsoOrNull(contact),
    online: contact !== null && now - contact < SYNC_OFFLINE_AFTER_MS,
    pendingErrors: sum("rejected"), pendingFlags: sum("flagged"),
    devices: own.map((d) => deviceDto(d, now)),
  };
}

/** Every store the caller holds sync.view in: last pull, last push, pending entries, online (contact in 15 minutes). */
export async function syncDashboard(ctx: ServiceContext, now: number): Promise<{ generatedAt: string; stores: SyncStoreState[] }> {
  const { scope, actor } = ctx;
  const [storeRows, deviceRows, countRows] = await scope.db.batch([
    scope.db.select().from(stores).where(scope.where(stores, isNull(stores.deletedAt), sql`${stores.id} IN ${storesWherePermitted(scope, actor.userId, "sync.view")}`)).orderBy(asc(stores.code)),
    syncingDevices(scope),
    pendingCounts(scope),
  ]);
  return { generatedAt: toIso(now), stores: storeRows.map((s) => syncStateOf(s, deviceRows, countRows as unknown[], now)) };
}

/** The syncing device's own view: its sync columns, its store's pending entries, and its own newest ones. */
export async function syncStatus(scope: TenantScope, sync: SyncCaller, request: RequestInfo) {
  const [deviceRows, countRows, errorRows] = await scope.db.batch([
    scope.select(devices, eq(devices.id, sync.deviceId)),
    pendingCounts(scope),
    scope.select(P, eq(P.storeId, sync.storeId), eq(P.deviceId, sync.deviceId), eq(P.status, "pending")).orderBy(desc(P.lastSeenAt)).limit(20),
  ]);
  const device = deviceRows[0] as DeviceRow | undefined;
  if (!device) throw notFound("Device");
  const counts = (countRows as unknown as CountRow[]).filter((c) => c.storeId === sync.storeId);
  const sum = (kind: string) => counts.filter((c) => c.kind === kind).reduce((s, c) => s + Number(c.n), 0);
  return {
    serverTime: toIso(request.now), storeId: sync.storeId, device: deviceDto(device, request.now),
    pendingErrors: sum("rejected"), pendingFlags: sum("flagged"), errors: (errorRows as Row[]).map(syncErrorDto),
  };
}
