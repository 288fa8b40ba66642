import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { TenderCount, ZReport } from "../../schema/contracts/registers";
import type { ZAmendment } from "../../schema/contracts/sync-push";
import { registerSessions, stores, zReportRevisions, zReports } from "../../schema/db";
import { commit, expectOneChange, isGuardFailure, type Statement } from "../db/batch";
import type { HubContext, SessionRow } from "./register-sessions";
import { recordAudit, recordChange } from "./journal";
import { sessionQuery } from "./register-sessions";
import { FIGURE_STATEMENTS, figuresFrom, figureStatements, sessionStoreQuery, tenderOrder } from "./session-reports";
import type { RegisterCopies } from "./sync-push-records";
import { toIso } from "./versioning";

/**
 * Z reports of sessions closed before all their records arrived. A till that closes offline prints its Z with every
 * sale it made; the edge, which may receive the close before some of those sales (a later batch, a dropped
 * connection), must end up with the same Z. So when a record lands in a closed session, the session's figures are
 * made again from its rows, and if they differ from its Z report's, the report gets a new revision: same Z number,
 * the counted amounts as they were counted, expected amounts and differences from the full session. The revision it
 * replaces is kept unchanged in z_report_revisions, and the amendment is in the audit log and the change feed:
 * nothing fiscal is rewritten in silence, and the Z number sequence has no gap or extra number.
 *
 * The register's grand total never resets, so a change of the session's net moves it for this Z report and for
 * every later Z report of the register (each gets a revision too), and the hub's copy of the register is rebuilt.
 * One read round trip per session checked, one write when it changed.
 */

type Stored = ZReport & { revision?: number; amendments?: { revision: number; at: string; previousNet: number; net: number; reason: string }[] };

/** The SessionFigures fields of a Z report: what a late record can change. */
const FIGURES = ["currency", "sales", "returns", "voids", "net", "tax", "discounts", "cashRounding", "priceOverrides", "tenders", "taxes", "untaxed", "departments", "cash"] as const;

/** The report's figures, without names (a tender or department renamed since the close is no reason to amend it). */
const figuresOf = (report: Partial<Stored>) => JSON.stringify(FIGURES.map((k) => report[k]), (key, value) => (key === "name" ? undefined : value));

export async function reconcileZReports(h: HubContext, copies: RegisterCopies, sessionIds: Iterable<string>): Promise<ZAmendment[]> {
  const amendments: ZAmendment[] = [];
  for (const sessionId of sessionIds) {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const amended = await reconcileOne(h, sessionId);
        if (amended) {
          amendments.push(amended.amendment);
          copies.forget(amended.registerId);
        }
        break;
      } catch (error) {
        if (!isGuardFailure(error) || attempt === 2) throw error;
      }
    }
  }
  return amendments;
}

async function reconcileOne(h: HubContext, sessionId: string) {
  const { scope } = h;
  const results = (await scope.db.batch([
    sessionQuery(scope, sessionId),
    sessionStoreQuery(scope, sessionId),
    ...figureStatements(scope, sessionId),
    scope.select(zReports, eq(zReports.sessionId, sessionId)),
    scope.select(zReports, sql`${zReports.registerId} = (SELECT ${registerSessions.registerId} FROM ${registerSessions} WHERE ${registerSessions.id} = ${sessionId})`,
      gt(zReports.zNumber, sql`coalesce((SELECT z.z_number FROM z_reports z WHERE z.session_id = ${sessionId}), 1e18)`)).orderBy(asc(zReports.zNumber)),
  ] as unknown as [Statement, ...Statement[]])) as unknown as unknown[][];
  const [sessionRows, storeRows, ...rest] = results;
  const session = sessionRows![0] as SessionRow | undefined;
  const zRow = rest[FIGURE_STATEMENTS]![0] as typeof zReports.$inferSelect | undefined;
  const later = rest[FIGURE_STATEMENTS + 1] as (typeof zReports.$inferSelect)[];
  if (!session || session.status !== "closed" || !zRow) return undefined;
  const store = storeRows![0] as typeof stores.$inferSelect;
  const { figures, tenders, tendered } = figuresFrom(rest.slice(0, FIGURE_STATEMENTS), session, store.currency);
  const stored = zRow.report as unknown as Stored;
  if (figuresOf(figures) === figuresOf(stored)) return undefined;

  const counted = session.counted ?? {};
  const names = new Map(tenders.map((t) => [t.code, t.name]));
  const codes = [...new Set([figures.cash.tender, ...tendered.keys(), ...Object.keys(counted)])].sort(tenderOrder(tenders));
  const tenderCounts: TenderCount[] = codes.map((code) => {
    const expected = code === figures.cash.tender ? figures.cash.expected : tendered.get(code) ?? 0;
    return { code, name: names.get(code) ?? code, expected, counted: counted[code] ?? 0, difference: (counted[code] ?? 0) - expected };
  });
  const delta = figures.net - stored.net;
  const at = toIso(h.now);
  const revise = (report: Stored, changes: Partial<Stored>, reason: string): Stored => {
    const revision = (report.revision ?? 1) + 1;
    return {
      ...report, ...changes, revision,
      amendments: [...(report.amendments ?? []), { revision, at, previousNet: report.net, net: changes.net ?? report.net, reason }],
    };
  };
  const amended = revise(stored, { ...figures, tenderCounts, grandTotal: stored.grandTotal + delta }, "records of the session arrived after its close");
  const shifted = later.map((row) => {
    const report = row.report as unknown as Stored;
    return { row, report: revise(report, { previousGrandTotal: report.previousGrandTotal + delta, grandTotal: report.grandTotal + delta }, `Z ${stored.zNumber} of the register was amended`) };
  });

  const statements: Statement[] = [];
  for (const { row, report, old } of [{ row: zRow, report: amended, old: stored }, ...shifted.map((s) => ({ ...s, old: s.row.report as unknown as Stored }))]) {
    statements.push(
      scope.insert(zReportRevisions, { zReportId: row.id, sessionId: row.sessionId, revision: old.revision ?? 1, report: old as unknown as Record<string, unknown>, supersededAt: h.now }),
      scope.update(zReports, { report: report as unknown as Record<string, unknown>, grandTotal: report.grandTotal },
        eq(zReports.id, row.id), sql`coalesce(json_extract(${zReports.report}, '$.revision'), 1) = ${old.revision ?? 1}`),
      expectOneChange(scope.db),
      recordChange(scope, { entity: "z_report", entityId: row.id, op: "upsert", version: report.revision!, storeId: row.storeId }, h.now),
    );
  }
  statements.push(
    scope.update(registerSessions, { expected: Object.fromEntries(tenderCounts.map((t) => [t.code, t.expected])), version: session.version + 1, updatedAt: h.now },
      and(eq(registerSessions.id, session.id), eq(registerSessions.version, session.version))),
    expectOneChange(scope.db),
    recordChange(scope, { entity: "register_session", entityId: session.id, op: "upsert", version: session.version + 1, storeId: session.storeId }, h.now),
    recordAudit(scope.db, {
      tenantId: scope.tenantId, actorType: "user", actorId: "session" in h.caller.guard ? h.caller.userId : null, action: "z_report.amend", entity: "z_report", entityId: zRow.id,
      detail: { sessionId, zNumber: stored.zNumber, revision: amended.revision, previousNet: stored.net, net: figures.net, laterReports: shifted.length, deviceId: h.caller.deviceId },
    }, h.request),
  );
  await commit(scope.db, statements);
  return {
    registerId: session.registerId,
    amendment: { sessionId, zNumber: stored.zNumber, revision: amended.revision!, net: figures.net, previousNet: stored.net },
  };
}
