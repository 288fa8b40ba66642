import { and, asc, eq, gte, lt, sql } from "drizzle-orm";
import type { Sale } from "../../schema/contracts/sales";
import { salePayments, saleLines, saleLineTaxes, sales } from "../../schema/db";
import type { Statement } from "../db/batch";
import type { PrincipalContext } from "./context";
import { validationFailed } from "./errors";
import { saleDto, type LineRow, type LineTaxRow, type PaymentRow, type SaleRow } from "./sales";

/**
 * Sale history for the integrator faces: sales (returns and voided ones too) with their lines, line taxes and
 * payments, oldest first, in one D1 round trip whatever the page size (the page, and the children of the page's
 * sales, in one batch). As REST's sale list: every store of the tenant.
 */
export interface SaleHistoryQuery {
  id?: string | null;
  customerId?: string | null;
  storeId?: string | null;
  /** Inclusive, epoch ms. */
  from?: number | null;
  /** Exclusive, epoch ms. */
  to?: number | null;
  skip: number;
  first: number;
}

export async function saleHistory(caller: PrincipalContext, q: SaleHistoryQuery): Promise<{ sales: Sale[]; hasMore: boolean }> {
  if (q.from != null && q.to != null && q.to <= q.from) throw validationFailed([{ path: "toDate", message: "must be after fromDate" }]);
  const { scope } = caller;
  const where = scope.where(
    sales,
    q.id ? eq(sales.id, q.id) : undefined,
    q.customerId ? eq(sales.customerId, q.customerId) : undefined,
    q.storeId ? eq(sales.storeId, q.storeId) : undefined,
    q.from != null ? gte(sales.soldAt, q.from) : undefined,
    q.to != null ? lt(sales.soldAt, q.to) : undefined,
  );
  const page = scope.db.select().from(sales).where(where).orderBy(asc(sales.soldAt), asc(sales.id)).limit(q.first + 1).offset(q.skip);
  // The page's sale ids again as a subquery (the page as it is in this batch's snapshot), for the children.
  const pageIds = sql`(SELECT id FROM (${scope.db.select({ id: sales.id }).from(sales).where(where).orderBy(asc(sales.soldAt), asc(sales.id)).limit(q.first).offset(q.skip)}))`;
  const [saleRows, lineRows, taxRows, paymentRows] = (await scope.db.batch([
    page,
    scope.db.select().from(saleLines).where(and(eq(saleLines.tenantId, scope.tenantId), sql`${saleLines.saleId} IN ${pageIds}`)),
    scope.db.select().from(saleLineTaxes).where(and(eq(saleLineTaxes.tenantId, scope.tenantId), sql`${saleLineTaxes.saleId} IN ${pageIds}`)),
    scope.db.select().from(salePayments).where(and(eq(salePayments.tenantId, scope.tenantId), sql`${salePayments.saleId} IN ${pageIds}`)),
  ] as unknown as [Statement, ...Statement[]])) as unknown as [SaleRow[], LineRow[], LineTaxRow[], PaymentRow[]];
  const group = <R extends { saleId: string }>(rows: R[]) => {
    const by = new Map<string, R[]>();
    for (const r of rows) by.set(r.saleId, [...(by.get(r.saleId) ?? []), r]);
    return by;
  };
  const lines = group(lineRows);
  const taxes = group(taxRows);
  const payments = group(paymentRows);
  return {
    sales: saleRows.slice(0, q.first).map((s) => saleDto(s, lines.get(s.id) ?? [], taxes.get(s.id) ?? [], payments.get(s.id) ?? [])),
    hasMore: saleRows.length > q.first,
  };
}
