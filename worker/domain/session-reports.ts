import { eq, getTableColumns, isNull, sql } from "drizzle-orm";
import type { ReportTender, SessionFigures, XReport, ZReport } from "../../schema/contracts/registers";
import { registerSessions, stores, zReports } from "../../schema/db";
import { rawStatement, type Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import { conflict, notFound } from "./errors";
import type { ServiceContext } from "./context";
import { accessQuery } from "./grants";
import { requirePermissionIn, requireSession, sessionDto, sessionQuery, type SessionRow } from "./register-sessions";
import { toIso } from "./versioning";

/**
 * A session's figures, from the rows of its sales, payments, lines, line taxes and cash events: what its X report
 * shows while it runs, and what its Z report keeps when it closes. Every figure is a sum of stored integers (SQL
 * sums of integers are exact). Voided sales count only as voids: their money went back.
 *
 * The queries are statements for the caller's batch, in a fixed order, so a report costs one D1 round trip with
 * whatever else the caller reads.
 */

type Row = Record<string, number | string | null>;

const completed = (scope: TenantScope, sessionId: string) =>
  sql`s.tenant_id = ${scope.tenantId} AND s.session_id = ${sessionId} AND s.status = 'completed' AND s.deleted_at IS NULL`;

/** A signed discount: stored as a magnitude, it lowers a return line (negative) towards zero too. */
const signedDiscount = sql.raw("CASE WHEN l.quantity < 0 THEN -abs(l.discount) ELSE abs(l.discount) END");
/** (unit − catalogue price) × quantity, in minor units: thousandths divided out, half away from zero. */
const overrideDifference = sql.raw(
  "((l.unit_price - l.catalogue_price) * l.quantity + CASE WHEN (l.unit_price - l.catalogue_price) * l.quantity >= 0 THEN 500 ELSE -500 END) / 1000",
);
const untaxedLine = sql.raw("NOT EXISTS (SELECT 1 FROM sale_line_taxes t WHERE t.line_id = l.id)");

/**
 * Sales, versions and voids of the session, and its cash events, as one text: it changes whenever a sale is made
 * in the session, voided or otherwise rewritten, or a cash event is added. The close reads it and writes only if it
 * is still the same in its own batch, so no sale slips in between a close's read and its write.
 */
export const fingerprintExpression = (scope: TenantScope, sessionId: string) => sql`(
  (SELECT count(*) || ':' || coalesce(sum(fs.version), 0) || ':' || coalesce(sum(fs.status = 'voided'), 0)
     FROM sales fs WHERE fs.tenant_id = ${scope.tenantId} AND fs.session_id = ${sessionId} AND fs.deleted_at IS NULL)
  || ':' || (SELECT count(*) FROM cash_events fc WHERE fc.tenant_id = ${scope.tenantId} AND fc.session_id = ${sessionId}))`;

/** The figure statements of a session, in the order `figuresFrom` reads their results. */
export function figureStatements(scope: TenantScope, sessionId: string): Statement[] {
  const db = scope.db;
  return [
    rawStatement(db, sql`SELECT s.kind, s.status, count(*) AS n, coalesce(sum(s.total_due), 0) AS total_due, coalesce(sum(s.tax_total), 0) AS tax,
        coalesce(sum(s.cash_rounding), 0) AS rounding, coalesce(sum(s.cash_rounding <> 0), 0) AS rounded, coalesce(sum(s.change_given), 0) AS change
      FROM sales s WHERE s.tenant_id = ${scope.tenantId} AND s.session_id = ${sessionId} AND s.deleted_at IS NULL
      GROUP BY s.kind, s.status`),
    rawStatement(db, sql`SELECT p.tender_code AS code, max(p.is_cash) AS is_cash, count(*) AS n, coalesce(sum(p.amount), 0) AS amount,
        coalesce(sum(CASE WHEN p.amount > 0 THEN p.amount ELSE 0 END), 0) AS taken, coalesce(sum(CASE WHEN p.amount < 0 THEN -p.amount ELSE 0 END), 0) AS refunded
      FROM sale_payments p JOIN sales s ON s.id = p.sale_id
      WHERE p.tenant_id = ${scope.tenantId} AND ${completed(scope, sessionId)} GROUP BY p.tender_code`),
    rawStatement(db, sql`SELECT t.tax_rate_id, t.rate_millionths, max(t.name) AS name, coalesce(sum(l.net), 0) AS taxable, coalesce(sum(t.amount), 0) AS tax
      FROM sale_line_taxes t JOIN sale_lines l ON l.id = t.line_id JOIN sales s ON s.id = t.sale_id
      WHERE t.tenant_id = ${scope.tenantId} AND ${completed(scope, sessionId)}
      GROUP BY t.tax_rate_id, t.rate_millionths ORDER BY t.rate_millionths DESC, name`),
    rawStatement(db, sql`SELECT
        coalesce(sum(${untaxedLine}), 0) AS untaxed_lines, coalesce(sum(CASE WHEN ${untaxedLine} THEN l.net ELSE 0 END), 0) AS untaxed_net,
        coalesce(sum(l.discount <> 0), 0) AS discounted, coalesce(sum(${signedDiscount}), 0) AS discount,
        coalesce(sum(l.price_override = 1), 0) AS overrides, coalesce(sum(CASE WHEN l.price_override = 1 THEN l.gross ELSE 0 END), 0) AS override_gross,
        coalesce(sum(CASE WHEN l.price_override = 1 THEN ${overrideDifference} ELSE 0 END), 0) AS override_difference
      FROM sale_lines l JOIN sales s ON s.id = l.sale_id WHERE l.tenant_id = ${scope.tenantId} AND ${completed(scope, sessionId)}`),
    rawStatement(db, sql`SELECT l.department_id, d.name, count(*) AS lines, coalesce(sum(l.quantity), 0) AS quantity, coalesce(sum(l.net), 0) AS net,
        coalesce(sum(l.tax), 0) AS tax, coalesce(sum(l.gross), 0) AS gross, coalesce(sum(${signedDiscount}), 0) AS discount
      FROM sale_lines l JOIN sales s ON s.id = l.sale_id LEFT JOIN departments d ON d.id = l.department_id AND d.tenant_id = l.tenant_id
      WHERE l.tenant_id = ${scope.tenantId} AND ${completed(scope, sessionId)}
      GROUP BY l.department_id ORDER BY d.name IS NULL, d.name, l.department_id`),
    rawStatement(db, sql`SELECT kind, count(*) AS n, coalesce(sum(amount), 0) AS amount FROM cash_events
      WHERE tenant_id = ${scope.tenantId} AND session_id = ${sessionId} GROUP BY kind`),
    rawStatement(db, sql`SELECT code, name, is_cash, is_active, sort_order FROM tenders
      WHERE tenant_id = ${scope.tenantId} AND deleted_at IS NULL ORDER BY sort_order, code`),
    rawStatement(db, sql`SELECT ${fingerprintExpression(scope, sessionId)} AS fingerprint`),
  ];
}

export const FIGURE_STATEMENTS = 8;

export interface TenderRow {
  code: string;
  name: string;
  isCash: boolean;
  isActive: boolean;
  sortOrder: number;
}

/** The drawer's cash: the tenant's first active cash tender (then any cash tender; CASH if it has none). */
export function drawerTender(tenders: TenderRow[]): string {
  return (tenders.find((t) => t.isCash && t.isActive) ?? tenders.find((t) => t.isCash))?.code ?? "CASH";
}

/** Tender codes in the tenant's order of its tenders (unknown codes last, by code). */
export function tenderOrder(tenders: TenderRow[]) {
  const rank = new Map(tenders.map((t, i) => [t.code, i]));
  return (a: string, b: string) => (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity) || (a < b ? -1 : a > b ? 1 : 0);
}

export interface Figures {
  figures: SessionFigures;
  tenders: TenderRow[];
  /** Σ payments per tender code (refunds negative). */
  tendered: Map<string, number>;
  fingerprint: string;
}

const num = (v: unknown) => Number(v ?? 0);

/** The figures from the results of `figureStatements` (the first FIGURE_STATEMENTS results of a batch). */
export function figuresFrom(results: unknown[][], session: { openingFloat: number }, currency: string): Figures {
  const [saleRows, paymentRows, taxRows, lineRows, departmentRows, cashRows, tenderRows, fingerprintRows] = results as Row[][];
  const tenders: TenderRow[] = tenderRows!.map((t) => ({ code: String(t.code), name: String(t.name), isCash: num(t.is_cash) === 1, isActive: num(t.is_active) === 1, sortOrder: num(t.sort_order) }));
  const cashCode = drawerTender(tenders);

  const group = (kind: string | null, status: string) => {
    const rows = saleRows!.filter((r) => (kind === null || r.kind === kind) && r.status === status);
    const sum = (field: string) => rows.reduce((s, r) => s + num(r[field]), 0);
    return { count: sum("n"), amount: sum("total_due"), tax: sum("tax"), rounding: sum("rounding"), rounded: sum("rounded"), change: sum("change") };
  };
  const sales = group("sale", "completed");
  const returns = group("return", "completed");
  const done = group(null, "completed");
  const voids = group(null, "voided");

  const tendered = new Map(paymentRows!.map((p) => [String(p.code), num(p.amount)]));
  const byCode = new Map(paymentRows!.map((p) => [String(p.code), p]));
  const codes = [...byCode.keys()];
  if (done.change !== 0 && !byCode.has(cashCode)) codes.push(cashCode);
  const names = new Map(tenders.map((t) => [t.code, t]));
  const reportTenders: ReportTender[] = codes.sort(tenderOrder(tenders)).map((code) => {
    const p = byCode.get(code);
    const change = code === cashCode ? done.change : 0;
    const amount = num(p?.amount);
    return { code, name: names.get(code)?.name ?? code, isCash: p ? num(p.is_cash) === 1 : true, count: num(p?.n), tendered: amount, change, amount: amount - change };
  });

  const events = (kind: string) => {
    const r = cashRows!.find((c) => c.kind === kind);
    return { count: num(r?.n), amount: num(r?.amount) };
  };
  const cashPayments = byCode.get(cashCode);
  const cash = {
    tender: cashCode,
    openingFloat: session.openingFloat,
    cashTaken: num(cashPayments?.taken),
    cashRefunded: num(cashPayments?.refunded),
    changeGiven: done.change,
    paidIn: events("paid_in"),
    paidOut: events("paid_out"),
    drops: events("drop"),
    noSales: events("no_sale").count,
    expected: 0,
  };
  cash.expected = cash.openingFloat + cash.cashTaken - cash.cashRefunded - cash.changeGiven + cash.paidIn.amount - cash.paidOut.amount - cash.drops.amount;

  const lines = lineRows![0] ?? {};
  const figures: SessionFigures = {
    currency,
    sales: { count: sales.count, amount: sales.amount },
    returns: { count: returns.count, amount: returns.amount },
    voids: { count: voids.count, amount: voids.amount },
    net: done.amount,
    tax: done.tax,
    discounts: { count: num(lines.discounted), amount: num(lines.discount) },
    cashRounding: { count: done.rounded, amount: done.rounding },
    priceOverrides: { count: num(lines.overrides), gross: num(lines.override_gross), difference: num(lines.override_difference) },
    tenders: reportTenders,
    taxes: taxRows!.map((t) => {
      const millionths = num(t.rate_millionths);
      return { taxRateId: String(t.tax_rate_id), name: String(t.name), rateMillionths: millionths, rate: millionths % 100 === 0 ? millionths / 100 : null, taxable: num(t.taxable), tax: num(t.tax) };
    }),
    untaxed: { lines: num(lines.untaxed_lines), net: num(lines.untaxed_net) },
    departments: departmentRows!.map((d) => ({
      departmentId: (d.department_id as string | null) ?? null, name: d.name === null ? (d.department_id === null ? "No department" : "Unknown department") : String(d.name),
      lines: num(d.lines), quantity: num(d.quantity), net: num(d.net), tax: num(d.tax), gross: num(d.gross), discount: num(d.discount),
    })),
    cash,
  };
  return { figures, tenders, tendered, fingerprint: String(fingerprintRows![0]?.fingerprint ?? "") };
}

export const reportSession = (s: SessionRow) => {
  const { id, storeId, registerId, registerCode, registerName, status, openingFloat, openedBy, openedAt, closedBy, closedAt } = sessionDto(s);
  return { id, storeId, registerId, registerCode, registerName, status, openingFloat, openedBy, openedAt, closedBy, closedAt };
};

/** The session's store (its currency), read by the session's id. */
export const sessionStoreQuery = (scope: TenantScope, sessionId: string) =>
  scope.db.select(getTableColumns(stores)).from(registerSessions).innerJoin(stores, eq(stores.id, registerSessions.storeId))
    .where(scope.where(registerSessions, eq(registerSessions.id, sessionId)));

/** The X report: the session's figures now, with no reset (reports.x_report in the session's store). One round trip. */
export async function xReport(ctx: ServiceContext, sessionId: string): Promise<XReport> {
  const { scope } = ctx;
  const [sessionRows, storeRows, accessRows, ...figureRows] = await scope.db.batch([
    sessionQuery(scope, sessionId),
    sessionStoreQuery(scope, sessionId),
    accessQuery(scope, ctx.actor.userId),
    ...figureStatements(scope, sessionId),
  ] as unknown as [Statement, ...Statement[]]) as unknown as unknown[][];
  const session = requireSession(sessionRows!, accessRows!, "reports.x_report");
  const store = storeRows![0] as typeof stores.$inferSelect;
  const { figures } = figuresFrom(figureRows, session, store.currency);
  return { kind: "X", session: reportSession(session), generatedAt: toIso(ctx.request.now), ...figures };
}

/**
 * The Z report of a closed session, as it was made at the close (stored, never recomputed): reports.z_report in
 * the session's store. 409 SESSION_OPEN while the session runs (its X report is the running figure).
 */
export async function zReport(ctx: ServiceContext, sessionId: string): Promise<ZReport> {
  const { scope } = ctx;
  const [reportRows, sessionRows, accessRows] = await scope.db.batch([
    scope.select(zReports, eq(zReports.sessionId, sessionId)),
    scope.select(registerSessions, eq(registerSessions.id, sessionId), isNull(registerSessions.deletedAt)),
    accessQuery(scope, ctx.actor.userId),
  ]);
  const session = sessionRows[0];
  if (!session) throw notFound("Register session");
  requirePermissionIn(accessRows, session.storeId, "reports.z_report", "the session's store");
  const report = reportRows[0];
  if (!report) {
    if (session.status === "open") throw conflict("SESSION_OPEN", `Register session ${sessionId} is still open: its Z report is made when it closes (its X report shows it now)`);
    throw notFound("Z report");
  }
  return report.report as unknown as ZReport;
}
