import { and, eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { CloseRegisterBody, CloseResult, TenderCount, ZReport } from "../../schema/contracts/registers";
import { registerSessions, stores, zReports } from "../../schema/db";
import { expectOneChange, type Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import { notFound, businessRule } from "./errors";
import { askHub, type HubAccess } from "../store/hub-client";
import type { HubCaller } from "../store/hub-protocol";
import type { RegisterState } from "../store/hub-state";
import type { ServiceContext } from "./context";
import { accessQuery } from "./grants";
import { record, replay, type IdempotencyKey } from "./idempotency";
import { recordAudit, recordChange } from "./journal";
import {
  currentFrom, currentSessionQuery, hubCaller, idempotencyLookup, keyFor, requirePermissionIn, requireSession, sessionClosed, sessionDto, sessionQuery,
  type HubContext, type SessionRow,
} from "./register-sessions";
import { FIGURE_STATEMENTS, figuresFrom, figureStatements, fingerprintExpression, reportSession, sessionStoreQuery, tenderOrder } from "./session-reports";
import { toIso } from "./versioning";

/**
 * Closing a session: the counted amount per tender is compared with what the session should hold, and the
 * session (closed, counted, expected, who, when) and its Z report are written in one batch. Expected cash is
 * the opening float + cash taken − cash refunded − change given + paid in − paid out − drops; any other tender
 * is expected to hold the sum of its payments. A tender counted but never used, or used but not counted (0), is
 * listed too. The Z report is numbered consecutively per register and carries a grand total that never resets.
 */

export type CloseBody = z.output<typeof CloseRegisterBody>;

const ROUTE = "registers.close";

/** Close the caller's current session (see `currentFrom`: at a till, its register's open session). */
export async function closeCurrentSession(ctx: ServiceContext, hubs: HubAccess, body: CloseBody, clientKey?: string): Promise<CloseResult> {
  const [currentRows, accessRows, keyRows] = await ctx.scope.db.batch([
    currentSessionQuery(ctx),
    accessQuery(ctx.scope, ctx.actor.userId),
    idempotencyLookup(ctx.scope, ROUTE, clientKey),
  ]);
  // A retry of a close that went through finds no current session any more: its key answers first.
  const key = await keyFor(ROUTE, clientKey, { session: "current", deviceId: ctx.actor.deviceId, counted: body.counted });
  const replayed = replay<CloseResult>(keyRows, key);
  if (replayed) return replayed;
  return closeResolved(ctx, hubs, currentFrom(ctx, currentRows), accessRows, body, key);
}

/** Close a named session (registers.close in its store). */
export async function closeSessionById(ctx: ServiceContext, hubs: HubAccess, sessionId: string, body: CloseBody, clientKey?: string): Promise<CloseResult> {
  const [sessionRows, accessRows, keyRows] = await ctx.scope.db.batch([
    sessionQuery(ctx.scope, sessionId),
    accessQuery(ctx.scope, ctx.actor.userId),
    idempotencyLookup(ctx.scope, ROUTE, clientKey),
  ]);
  const session = requireSession(sessionRows, accessRows, "registers.close");
  const key = await keyFor(ROUTE, clientKey, { session: session.id, counted: body.counted });
  const replayed = replay<CloseResult>(keyRows, key);
  if (replayed) return replayed;
  return closeResolved(ctx, hubs, session, accessRows, body, key);
}

async function closeResolved(ctx: ServiceContext, hubs: HubAccess, session: SessionRow, accessRows: unknown[], body: CloseBody, key: IdempotencyKey | undefined) {
  requirePermissionIn(accessRows, session.storeId, "registers.close", "the session's store");
  if (session.status !== "open") throw sessionClosed(session);
  return askHub(hubs, ctx.scope.tenantId, session.storeId, (hub) =>
    hub.closeSession({ caller: hubCaller(ctx, session.storeId), sessionId: session.id, registerId: session.registerId, counted: body.counted, idempotency: key }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The hub's side

export interface CloseCommand {
  caller: HubCaller;
  sessionId: string;
  registerId: string;
  /** Minor units per tender code (upper case). */
  counted: Record<string, number>;
  idempotency?: IdempotencyKey;
}

/** What the close reads, in one round trip: the session, its store, and its figures. */
export const closeReadStatements = (scope: TenantScope, sessionId: string): Statement[] => [
  sessionQuery(scope, sessionId) as unknown as Statement,
  sessionStoreQuery(scope, sessionId) as unknown as Statement,
  ...figureStatements(scope, sessionId),
];

export interface ClosePlan {
  result: CloseResult;
  statements: Statement[];
  next: RegisterState;
}

/**
 * The close's batch, from what `closeReadStatements` read and the hub's copy of the register (its last Z number and
 * grand total). The batch writes only if the session is still open, at the version read, with the same sales and
 * cash events (their fingerprint): otherwise its guard aborts it and the hub reads again. A Z number already taken
 * (the hub's copy lagged behind D1) fails on the unique index, and the hub rebuilds its copy and tries again.
 */
export function planClose(h: HubContext, results: unknown[][], state: RegisterState, command: CloseCommand): ClosePlan {
  const { scope, caller, now } = h;
  const [sessionRows, storeRows, ...figureRows] = results;
  const session = sessionRows![0] as SessionRow | undefined;
  if (!session) throw notFound("Register session");
  if (session.storeId !== caller.storeId || session.registerId !== command.registerId) {
    throw new Error(`session ${session.id} is not of register ${command.registerId} in store ${caller.storeId}`);
  }
  if (session.status !== "open") throw sessionClosed(session);
  const store = storeRows![0] as typeof stores.$inferSelect;
  const { figures, tenders, tendered, fingerprint } = figuresFrom(figureRows.slice(0, FIGURE_STATEMENTS), session, store.currency);

  const known = new Set(tenders.map((t) => t.code));
  const unknown = Object.keys(command.counted).filter((code) => !known.has(code));
  if (unknown.length) {
    throw businessRule("UNKNOWN_TENDER", `No tender of yours has the code ${unknown.join(", ")}`,
      unknown.map((code) => ({ path: `counted.${code}`, message: "is not the code of one of your tenders" })));
  }
  const names = new Map(tenders.map((t) => [t.code, t.name]));
  const codes = [...new Set([figures.cash.tender, ...tendered.keys(), ...Object.keys(command.counted)])].sort(tenderOrder(tenders));
  const tenderCounts: TenderCount[] = codes.map((code) => {
    const expected = code === figures.cash.tender ? figures.cash.expected : tendered.get(code) ?? 0;
    const counted = command.counted[code] ?? 0;
    return { code, name: names.get(code) ?? code, expected, counted, difference: counted - expected };
  });

  const zNumber = state.lastZNumber + 1;
  const grandTotal = state.grandTotal + figures.net;
  const closed: SessionRow = {
    ...session, status: "closed", closedBy: caller.userId, closedAt: now,
    counted: Object.fromEntries(tenderCounts.map((t) => [t.code, t.counted])),
    expected: Object.fromEntries(tenderCounts.map((t) => [t.code, t.expected])),
    zNumber, version: session.version + 1, updatedAt: now,
  };
  const report: ZReport = {
    kind: "Z", id: crypto.randomUUID(), zNumber, session: reportSession(closed), previousGrandTotal: state.grandTotal, grandTotal, tenderCounts,
    generatedAt: toIso(now), ...figures,
  };
  const result: CloseResult = { session: sessionDto(closed), tenders: tenderCounts, zReport: report };
  const r = registerSessions;
  const statements: Statement[] = [
    scope.update(r,
      { status: "closed", closedBy: closed.closedBy, closedAt: now, counted: closed.counted, expected: closed.expected, zNumber, version: closed.version, updatedAt: now },
      and(eq(r.id, session.id), eq(r.status, "open"), eq(r.version, session.version), sql`${fingerprintExpression(scope, session.id)} = ${fingerprint}`)),
    expectOneChange(scope.db),
    scope.insert(zReports, {
      id: report.id, storeId: session.storeId, registerId: session.registerId, sessionId: session.id, zNumber, grandTotal,
      report: report as unknown as Record<string, unknown>, createdAt: now,
    }),
    recordChange(scope, { entity: "register_session", entityId: session.id, op: "upsert", version: closed.version, storeId: session.storeId }, now),
    recordChange(scope, { entity: "z_report", entityId: report.id, op: "upsert", version: 1, storeId: session.storeId }, now),
    recordAudit(scope.db, {
      tenantId: scope.tenantId, actorType: "user", actorId: caller.userId, action: "register_session.close", entity: "register_session", entityId: session.id,
      detail: { registerId: session.registerId, zNumber, differences: Object.fromEntries(tenderCounts.map((t) => [t.code, t.difference])) },
    }, h.request),
    ...record(scope, command.idempotency, 200, result, now),
  ];
  return { result, statements, next: { registerId: session.registerId, openSessionId: null, lastZNumber: zNumber, grandTotal } };
}
