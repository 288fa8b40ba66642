import { and, count, desc, eq, getTableColumns, gte, isNull, lt, sql, type SQL } from "drizzle-orm";
import type { z } from "zod";
import type { OpenRegisterBody, RegisterSession, RegisterSessionQuery } from "../../schema/contracts/registers";
import { devices, registers, registerSessions, zReports } from "../../schema/db";
import type { Permission } from "../../schema/permissions";
import { expectThat, type Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import type { Page } from "../db/paging";
import { conflict, forbidden, notFound, validationFailed } from "./errors";
import { askHub, type HubAccess } from "../store/hub-client";
import type { HubCaller } from "../store/hub-protocol";
import type { RegisterState } from "../store/hub-state";
import type { RequestInfo, ServiceContext } from "./context";
import { Access, accessQuery, type AccessRow } from "./grants";
import { idempotencyKey, idempotencyQuery, record, replay, type IdempotencyKey } from "./idempotency";
import { recordAudit, recordChange } from "./journal";
import { toIso, toIsoOrNull } from "./versioning";

/**
 * Register sessions: a register open for selling, from its opening float to its close. The store's hub (StoreHub)
 * is the authority that opens and closes them, one command at a time per store; it writes each change to D1 before
 * it answers, so everything else (sales, reports, lists) reads sessions from D1. This module holds both sides: what
 * the Worker checks before it asks the hub (who may, which register or session), and the statements the hub writes.
 */

export type SessionRow = typeof registerSessions.$inferSelect & { registerCode: string; registerName: string };

/** What the hub is given about the caller, and what it adds: one clock reading per command, taken in its queue. */
export interface HubContext {
  scope: TenantScope;
  caller: HubCaller;
  now: number;
  request: RequestInfo;
}

export const sessionDto = (r: SessionRow): RegisterSession => ({
  id: r.id,
  storeId: r.storeId,
  registerId: r.registerId,
  registerCode: r.registerCode,
  registerName: r.registerName,
  status: r.status,
  openingFloat: r.openingFloat,
  openedBy: r.openedBy,
  openedAt: toIso(r.openedAt),
  openedDeviceId: r.openedDeviceId,
  closedBy: r.closedBy,
  closedAt: toIsoOrNull(r.closedAt),
  counted: r.counted ?? null,
  expected: r.expected ?? null,
  zNumber: r.zNumber,
  version: r.version,
  createdAt: toIso(r.createdAt),
  updatedAt: toIso(r.updatedAt),
});

const sessionFields = { ...getTableColumns(registerSessions), registerCode: registers.code, registerName: registers.name };

/** Sessions (with their register's code and name) of the scope's tenant that match `conditions`. */
export const sessionsQuery = (scope: TenantScope, ...conditions: (SQL | undefined)[]) =>
  scope.db.select(sessionFields).from(registerSessions).innerJoin(registers, eq(registers.id, registerSessions.registerId))
    .where(scope.where(registerSessions, isNull(registerSessions.deletedAt), ...conditions)).$dynamic();

export const sessionQuery = (scope: TenantScope, sessionId: string) => sessionsQuery(scope, eq(registerSessions.id, sessionId));

/** 404 unless the session is the tenant's; 403 unless the caller holds `permission` in the session's store. */
export function requireSession(sessionRows: unknown[], accessRows: unknown[], permission: Permission): SessionRow {
  const session = sessionRows[0] as SessionRow | undefined;
  if (!session) throw notFound("Register session");
  requirePermissionIn(accessRows, session.storeId, permission, "the session's store");
  return session;
}

export function requirePermissionIn(accessRows: unknown[], storeId: string, permission: Permission, where: string) {
  if (!new Access(accessRows as AccessRow[]).has(storeId, permission)) {
    throw forbidden(`This needs the permission ${permission} in ${where}`, "MISSING_PERMISSION_IN_STORE");
  }
}

export const sessionClosed = (s: { id: string }) =>
  conflict("SESSION_CLOSED", `Register session ${s.id} is closed; nothing more can be done in it`);

const alreadyOpen = (registerCode: string) =>
  conflict("REGISTER_ALREADY_OPEN", `Register ${registerCode} already has an open session; close it before opening another`);

const registerInactive = (registerCode: string) =>
  conflict("REGISTER_INACTIVE", `Register ${registerCode} (or its store) is inactive and cannot be opened`);

/** The caller as the hub is told of them, for a command to the hub of `storeId`. */
export const hubCaller = (ctx: ServiceContext, storeId: string): HubCaller => ({
  tenantId: ctx.scope.tenantId,
  storeId,
  userId: ctx.actor.userId,
  guard: { session: ctx.actor.sessionId },
  deviceId: ctx.actor.deviceId,
  requestId: ctx.request.requestId,
  ip: ctx.request.ip,
});

/** An Idempotency-Key of a route (400 INVALID_IDEMPOTENCY_KEY if malformed), once the request it stands for is known. */
export const keyFor = (route: string, clientKey: string | undefined, request: unknown): Promise<IdempotencyKey | undefined> =>
  idempotencyKey(route, clientKey, request);

/** The record of a key, for a read batch made before the request's hash is known (only its key is needed). */
export const idempotencyLookup = (scope: TenantScope, route: string, clientKey: string | undefined) =>
  idempotencyQuery(scope, clientKey === undefined ? undefined : { key: `${route}:${clientKey}`, requestHash: "" });

/** The till's register: the register of the enrolled device the caller signed in at (none elsewhere). */
const tillRegisterQuery = (scope: TenantScope, deviceId: string | null) =>
  scope.db.select(getTableColumns(registers)).from(devices).innerJoin(registers, eq(registers.id, devices.registerId))
    .where(and(eq(devices.tenantId, scope.tenantId), eq(devices.id, deviceId ?? ""), isNull(registers.deletedAt)));

type RegisterRow = typeof registers.$inferSelect;

// ---------------------------------------------------------------------------------------------------------------
// The Worker's side

export type OpenBody = z.output<typeof OpenRegisterBody>;

/**
 * Open a register: at a till, the till's own register; from the back office, the register named (registerId),
 * for which the caller needs registers.open in that register's store. The hub refuses a register that already
 * has an open session (409 REGISTER_ALREADY_OPEN) or is inactive (409 REGISTER_INACTIVE).
 */
export async function openRegister(ctx: ServiceContext, hubs: HubAccess, body: OpenBody, clientKey?: string): Promise<RegisterSession> {
  const { scope, actor } = ctx;
  const [tillRows, namedRows, accessRows, keyRows] = await scope.db.batch([
    tillRegisterQuery(scope, actor.deviceId),
    scope.select(registers, eq(registers.id, body.registerId ?? ""), isNull(registers.deletedAt)),
    accessQuery(scope, actor.userId),
    idempotencyLookup(scope, "registers.open", clientKey),
  ]);
  const till = tillRows[0] as RegisterRow | undefined;
  if (till && body.registerId !== undefined && body.registerId !== till.id) {
    throw validationFailed([{ path: "registerId", message: "must be this till's own register (or left out): a till opens only its register" }]);
  }
  if (!till && body.registerId === undefined) {
    throw validationFailed([{ path: "registerId", message: "is required when you are not signed in at a till" }]);
  }
  const register = till ?? (namedRows[0] as RegisterRow | undefined);
  if (!register) throw notFound("Register");
  requirePermissionIn(accessRows, register.storeId, "registers.open", "the register's store");
  const key = await keyFor("registers.open", clientKey, { registerId: register.id, openingFloat: body.openingFloat });
  const replayed = replay<RegisterSession>(keyRows, key);
  if (replayed) return replayed;
  if (!register.isActive) throw registerInactive(register.code);
  return askHub(hubs, scope.tenantId, register.storeId, (hub) =>
    hub.openSession({
      caller: hubCaller(ctx, register.storeId),
      register: { id: register.id, code: register.code, name: register.name },
      openingFloat: body.openingFloat,
      idempotency: key,
    }),
  );
}

/** The open session of the till's register (whoever opened it). */
const tillSessionQuery = (scope: TenantScope, deviceId: string) =>
  sessionsQuery(scope, eq(registerSessions.status, "open"),
    sql`${registerSessions.registerId} = (SELECT ${devices.registerId} FROM ${devices} WHERE ${devices.id} = ${deviceId} AND ${devices.tenantId} = ${scope.tenantId})`);

/** The open sessions the user opened in their current store. */
const ownSessionsQuery = (scope: TenantScope, userId: string, storeId: string) =>
  sessionsQuery(scope, eq(registerSessions.status, "open"), eq(registerSessions.openedBy, userId), eq(registerSessions.storeId, storeId))
    .orderBy(desc(registerSessions.openedAt)).limit(2);

/** The statement that finds the caller's current session: see `currentFrom`. */
export const currentSessionQuery = (ctx: ServiceContext) =>
  ctx.actor.deviceId ? tillSessionQuery(ctx.scope, ctx.actor.deviceId) : ownSessionsQuery(ctx.scope, ctx.actor.userId, ctx.actor.storeId);

/**
 * The caller's current session. At a till: the open session of the till's register, whoever opened it (the
 * shift is the register's). Elsewhere: the one session the user opened, still open, in the store they are signed
 * into; several is 409 SEVERAL_OPEN_SESSIONS (name one: PUT /registers/:id/close). None is 404 NO_OPEN_SESSION.
 */
export function currentFrom(ctx: ServiceContext, rows: unknown[]): SessionRow {
  const sessions = rows as SessionRow[];
  if (sessions.length === 0) {
    const where = ctx.actor.deviceId ? "this till's register has no open session" : "you have no open register session in this store";
    throw notFound("register session", "NO_OPEN_SESSION", `No open register session: ${where}`);
  }
  if (sessions.length > 1) {
    throw conflict("SEVERAL_OPEN_SESSIONS", `You have several open register sessions in this store (${sessions.map((s) => s.registerCode).join(", ")}); name the one you mean`);
  }
  return sessions[0]!;
}

export async function currentSession(ctx: ServiceContext): Promise<RegisterSession> {
  const rows = await currentSessionQuery(ctx);
  return sessionDto(currentFrom(ctx, rows));
}

export async function getSession(ctx: ServiceContext, sessionId: string): Promise<RegisterSession> {
  const [sessionRows, accessRows] = await ctx.scope.db.batch([sessionQuery(ctx.scope, sessionId), accessQuery(ctx.scope, ctx.actor.userId)]);
  return sessionDto(requireSession(sessionRows, accessRows, "registers.view"));
}

/** The UTC midnight a date names, or the instant a date-time names (as GET /sales reads them). */
const instant = (value: string) => (/^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value));

/** The stores where the user holds `permission`, as a subquery (live stores and roles). */
export const storesWherePermitted = (scope: TenantScope, userId: string, permission: Permission) => sql`(
  SELECT usr.store_id FROM user_store_roles usr
  JOIN roles r ON r.id = usr.role_id AND r.deleted_at IS NULL
  JOIN stores st ON st.id = usr.store_id AND st.deleted_at IS NULL
  WHERE usr.tenant_id = ${scope.tenantId} AND usr.user_id = ${userId}
    AND EXISTS (SELECT 1 FROM json_each(r.permissions) p WHERE p.value = ${permission}))`;

/**
 * Sessions, newest first: of one store (registers.view needed there) or of every store where the caller holds
 * registers.view. The page, its total and the caller's permissions in one round trip.
 */
export async function listSessions(ctx: ServiceContext, q: z.output<typeof RegisterSessionQuery>): Promise<Page<RegisterSession>> {
  const { scope, actor } = ctx;
  const where = scope.where(
    registerSessions,
    isNull(registerSessions.deletedAt),
    sql`${registerSessions.storeId} IN ${storesWherePermitted(scope, actor.userId, "registers.view")}`,
    q.store_id ? eq(registerSessions.storeId, q.store_id) : undefined,
    q.register_id ? eq(registerSessions.registerId, q.register_id) : undefined,
    q.status ? eq(registerSessions.status, q.status) : undefined,
    q.date_from ? gte(registerSessions.openedAt, instant(q.date_from)) : undefined,
    q.date_to ? lt(registerSessions.openedAt, instant(q.date_to)) : undefined,
  );
  const [totalRows, pageRows, accessRows] = await scope.db.batch([
    scope.db.select({ total: count() }).from(registerSessions).where(where),
    scope.db.select(sessionFields).from(registerSessions).innerJoin(registers, eq(registers.id, registerSessions.registerId)).where(where)
      .orderBy(desc(registerSessions.openedAt), desc(registerSessions.id)).limit(q.pageSize).offset((q.page - 1) * q.pageSize),
    accessQuery(scope, actor.userId),
  ]);
  // The filter already leaves out stores the caller may not see; naming one of them is refused rather than empty.
  if (q.store_id) requirePermissionIn(accessRows, q.store_id, "registers.view", "that store");
  return { items: (pageRows as SessionRow[]).map(sessionDto), total: totalRows[0]?.total ?? 0, page: q.page, pageSize: q.pageSize };
}

// ---------------------------------------------------------------------------------------------------------------
// The hub's side

/** D1's state of a register (its open session, its last Z report), from which the hub rebuilds its copy. */
export const registerStateQueries = (scope: TenantScope, registerId: string) => [
  scope.db.select({ id: registerSessions.id }).from(registerSessions)
    .where(scope.where(registerSessions, eq(registerSessions.registerId, registerId), eq(registerSessions.status, "open"))).limit(1),
  scope.db.select({ zNumber: zReports.zNumber, grandTotal: zReports.grandTotal }).from(zReports)
    .where(scope.where(zReports, eq(zReports.registerId, registerId))).orderBy(desc(zReports.zNumber)).limit(1),
] as const;

export function registerStateFrom(registerId: string, [open, lastZ]: [{ id: string }[], { zNumber: number; grandTotal: number }[]]): RegisterState {
  return { registerId, openSessionId: open[0]?.id ?? null, lastZNumber: lastZ[0]?.zNumber ?? 0, grandTotal: lastZ[0]?.grandTotal ?? 0 };
}

/** The session is open (in the batch's own view of D1). */
export const sessionOpenCondition = (scope: TenantScope, sessionId: string) =>
  sql`EXISTS (SELECT 1 FROM ${registerSessions} WHERE ${registerSessions.id} = ${sessionId} AND ${registerSessions.tenantId} = ${scope.tenantId} AND ${registerSessions.status} = 'open')`;

export interface OpenCommand {
  caller: HubCaller;
  register: { id: string; code: string; name: string };
  openingFloat: number;
  idempotency?: IdempotencyKey;
  /** A session opened offline and pushed: the id the till made for it, and when it opened (the hub's clock otherwise). */
  sessionId?: string;
  openedAt?: number;
}

export const refusals = { alreadyOpen, registerInactive };

/**
 * The open's batch: the register is live and active in an active store (checked in the batch: it may have been
 * deactivated since the Worker read it), the session (the partial unique index refuses a second open session of
 * the register), its change-feed and audit rows, and the idempotency record.
 */
export function openStatements(h: HubContext, command: OpenCommand): { session: RegisterSession; statements: Statement[] } {
  const { scope, caller, now } = h;
  const row: SessionRow = {
    id: command.sessionId ?? crypto.randomUUID(), tenantId: scope.tenantId, storeId: caller.storeId, registerId: command.register.id, status: "open",
    openingFloat: command.openingFloat, openedBy: caller.userId, openedAt: command.openedAt ?? now, openedDeviceId: caller.deviceId,
    closedBy: null, closedAt: null, counted: null, expected: null, zNumber: null,
    version: 1, createdAt: now, updatedAt: now, deletedAt: null,
    registerCode: command.register.code, registerName: command.register.name,
  };
  const session = sessionDto(row);
  const { registerCode: _c, registerName: _n, tenantId: _t, ...columns } = row;
  const registerLive = sql`EXISTS (SELECT 1 FROM registers r JOIN stores st ON st.id = r.store_id
    WHERE r.id = ${command.register.id} AND r.tenant_id = ${scope.tenantId} AND r.store_id = ${caller.storeId}
      AND r.is_active = 1 AND r.deleted_at IS NULL AND st.is_active = 1 AND st.deleted_at IS NULL)`;
  return {
    session,
    statements: [
      expectThat(scope.db, registerLive),
      scope.insert(registerSessions, columns),
      recordChange(scope, { entity: "register_session", entityId: row.id, op: "upsert", version: 1, storeId: caller.storeId }, now),
      recordAudit(scope.db, {
        tenantId: scope.tenantId, actorType: "user", actorId: caller.userId, action: "register_session.open", entity: "register_session", entityId: row.id,
        detail: { registerId: command.register.id, openingFloat: command.openingFloat, deviceId: caller.deviceId },
      }, h.request),
      ...record(scope, command.idempotency, 201, session, now),
    ],
  };
}
