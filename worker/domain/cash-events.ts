import { asc, count, eq } from "drizzle-orm";
import type { PageQuery } from "../../schema/contracts/common";
import { CASH_EVENT_KINDS as WIRE_KINDS, type CashEvent, type CreateCashEventBody } from "../../schema/contracts/registers";
import { cashEvents, CASH_EVENT_KINDS } from "../../schema/db";
import { expectThat, type Statement } from "../db/batch";
import type { Page } from "../db/paging";
import { askHub, type HubAccess } from "../store/hub-client";
import type { HubCaller } from "../store/hub-protocol";
import type { ServiceContext } from "./context";
import { accessQuery } from "./grants";
import { record, replay, type IdempotencyKey } from "./idempotency";
import { recordChange } from "./journal";
import {
  hubCaller, idempotencyLookup, keyFor, requireSession, sessionClosed, sessionOpenCondition, sessionQuery, type HubContext,
} from "./register-sessions";
import { toIso } from "./versioning";

/**
 * The cash drawer log of a session: cash paid in, paid out, dropped to the safe, and the drawer opened without a
 * sale, each with who, when (the hub's clock), from which till, the amount and why. Only in an open session: the
 * hub records them one at a time with the store's other session changes, so none lands after the session closed.
 *
 * Permissions: recording one needs registers.open in the session's store (whoever may put a float in a drawer may
 * move cash in and out of it during its session; every movement is logged and counted at the close, and a cashier
 * who sells holds it by default); reading the log needs registers.view.
 */

// The wire's list is the table's: a new kind must be added to both.
const sameKinds: readonly (typeof CASH_EVENT_KINDS)[number][] = WIRE_KINDS;
void sameKinds;

type CashEventRow = typeof cashEvents.$inferSelect;

export const cashEventDto = (r: CashEventRow): CashEvent => ({
  id: r.id, sessionId: r.sessionId, storeId: r.storeId, kind: r.kind, amount: r.amount, reason: r.reason, userId: r.userId, deviceId: r.deviceId, at: toIso(r.at),
});

const ROUTE = "registers.cash_events";

export async function createCashEvent(ctx: ServiceContext, hubs: HubAccess, sessionId: string, body: CreateCashEventBody, clientKey?: string): Promise<CashEvent> {
  const { scope } = ctx;
  const [sessionRows, accessRows, keyRows] = await scope.db.batch([
    sessionQuery(scope, sessionId),
    accessQuery(scope, ctx.actor.userId),
    idempotencyLookup(scope, ROUTE, clientKey),
  ]);
  const session = requireSession(sessionRows, accessRows, "registers.open");
  const key = await keyFor(ROUTE, clientKey, { sessionId, ...body });
  const replayed = replay<CashEvent>(keyRows, key);
  if (replayed) return replayed;
  if (session.status !== "open") throw sessionClosed(session);
  return askHub(hubs, scope.tenantId, session.storeId, (hub) =>
    hub.recordCashEvent({
      caller: hubCaller(ctx, session.storeId), sessionId, registerId: session.registerId,
      kind: body.kind, amount: body.amount, reason: body.reason ?? null, idempotency: key,
    }),
  );
}

/** A session's drawer log, oldest first: the page, its total and the caller's permissions in one round trip. */
export async function listCashEvents(ctx: ServiceContext, sessionId: string, page: PageQuery): Promise<Page<CashEvent>> {
  const { scope } = ctx;
  const where = scope.where(cashEvents, eq(cashEvents.sessionId, sessionId));
  const [sessionRows, accessRows, totalRows, rows] = await scope.db.batch([
    sessionQuery(scope, sessionId),
    accessQuery(scope, ctx.actor.userId),
    scope.db.select({ total: count() }).from(cashEvents).where(where),
    scope.db.select().from(cashEvents).where(where).orderBy(asc(cashEvents.at), asc(cashEvents.id)).limit(page.pageSize).offset((page.page - 1) * page.pageSize),
  ]);
  requireSession(sessionRows, accessRows, "registers.view");
  return { items: rows.map(cashEventDto), total: totalRows[0]?.total ?? 0, page: page.page, pageSize: page.pageSize };
}

// ---------------------------------------------------------------------------------------------------------------
// The hub's side

export interface CashEventCommand {
  caller: HubCaller;
  sessionId: string;
  registerId: string;
  kind: CashEvent["kind"];
  amount: number;
  reason: string | null;
  idempotency?: IdempotencyKey;
}

/** The event's batch: the session is still open (guard), the event, its change-feed row, the idempotency record. */
export function cashEventStatements(h: HubContext, command: CashEventCommand): { event: CashEvent; statements: Statement[] } {
  const { scope, caller, now } = h;
  const row: CashEventRow = {
    id: crypto.randomUUID(), tenantId: scope.tenantId, storeId: caller.storeId, sessionId: command.sessionId, kind: command.kind,
    amount: command.amount, reason: command.reason, userId: caller.userId, deviceId: caller.deviceId, at: now,
  };
  const event = cashEventDto(row);
  const { tenantId: _t, ...columns } = row;
  return {
    event,
    statements: [
      expectThat(scope.db, sessionOpenCondition(scope, command.sessionId)),
      scope.insert(cashEvents, columns),
      recordChange(scope, { entity: "cash_event", entityId: row.id, op: "upsert", version: 1, storeId: caller.storeId }, now),
      ...record(scope, command.idempotency, 201, event, now),
    ],
  };
}
