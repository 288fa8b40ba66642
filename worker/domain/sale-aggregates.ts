import { sql, type SQL } from "drizzle-orm";
import { reportSaleDays } from "../../schema/db";
import { rawStatement, type Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import { localDateTime } from "./store-time";

/**
 * The daily report rows (schema/db/aggregates.ts), kept with every sale, return and void in the same batch as
 * the sale itself: no extra round trip, and nothing a report reads can disagree with the sales it comes from.
 *
 * Each statement is an INSERT … SELECT over the sale's rows already written earlier in the batch (its lines,
 * line taxes and payments), grouped by the report's keys, upserted with `x = x + excluded.x`: a handful of bound
 * parameters whatever the number of lines, one statement per table. A void runs the same statements with the
 * completed weight −1 and the void weight 1, so it takes back exactly what its sale added, on the sale's own day
 * and hour (read from report_sale_days), and counts as a void there.
 *
 * The same builders, with weights read from each sale's status, backfill the rows from existing sales
 * (`backfillSql`, the migration's INSERT … SELECT).
 */

/** Which sales a set of statements aggregates, and with what weight their figures count. */
interface SaleSet {
  /** A condition on `s` (sales). */
  sales: SQL;
  /** A condition on `l` (sale_lines), the same set (lets the line sums use the sale index). */
  lines: SQL;
  /** The weight of the completed figures (1 for a sale, −1 for its void). */
  completed: SQL;
  /** The weight of the void figures (0 for a sale, 1 for its void). */
  voided: SQL;
}

/** A signed discount: stored as a magnitude, it lowers a return line (negative) towards zero too. */
const SIGNED_DISCOUNT = sql.raw("CASE WHEN l.quantity < 0 THEN -abs(l.discount) ELSE abs(l.discount) END");
/** A line's cost: the cost price at the sale × quantity (thousandths), rounded half away from zero. */
const LINE_COST = sql.raw("(l.cost_price * l.quantity + CASE WHEN l.cost_price * l.quantity >= 0 THEN 500 ELSE -500 END) / 1000");

const SALE_FIGURE_COLUMNS = "sales_count, sales_total, returns_count, returns_total, voids_count, voids_total, net, tax, gross, discount, quantity, lines";

const addUp = (columns: string) => sql.raw(columns.split(",").map((c) => c.trim()).map((c) => `${c} = ${c} + excluded.${c}`).join(", "));

/** Per-sale sums of its lines (x), for the statements keyed by sale-level dimensions. */
const lineSums = (set: SaleSet) => sql`(SELECT l.sale_id, sum(l.net) AS net, sum(l.tax) AS tax, sum(l.gross) AS gross, sum(${SIGNED_DISCOUNT}) AS discount,
    sum(l.quantity) AS quantity, count(*) AS lines, sum(${LINE_COST}) AS cost
  FROM sale_lines l WHERE ${set.lines} GROUP BY l.sale_id) x`;

/** The sale-level figures of `s` with its line sums `x`, in SALE_FIGURE_COLUMNS order. */
const saleFigures = ({ completed: w, voided: v }: SaleSet) => sql`sum(${w} * (s.kind = 'sale')), sum(${w} * (s.kind = 'sale') * s.total_due),
  sum(${w} * (s.kind = 'return')), sum(${w} * (s.kind = 'return') * s.total_due), sum(${v}), sum(${v} * s.total_due),
  sum(${w} * x.net), sum(${w} * x.tax), sum(${w} * x.gross), sum(${w} * x.discount), sum(${w} * x.quantity), sum(${w} * x.lines)`;

const SALES_OF_DAYS = sql.raw("sales s JOIN report_sale_days k ON k.sale_id = s.id");
const DAY_OF_SALE = sql.raw("JOIN report_sale_days k ON k.sale_id = s.id");

function aggregateSql(set: SaleSet): SQL[] {
  const w = set.completed;
  return [
    sql`INSERT INTO report_hourly (tenant_id, store_id, business_date, hour, ${sql.raw(SALE_FIGURE_COLUMNS)}, cash_rounding, change_given, cost)
      SELECT s.tenant_id, s.store_id, k.business_date, k.hour, ${saleFigures(set)}, sum(${w} * s.cash_rounding), sum(${w} * s.change_given), sum(${w} * x.cost)
      FROM ${SALES_OF_DAYS} JOIN ${lineSums(set)} ON x.sale_id = s.id
      WHERE ${set.sales} GROUP BY s.tenant_id, s.store_id, k.business_date, k.hour
      ON CONFLICT (store_id, business_date, hour) DO UPDATE SET ${addUp(`${SALE_FIGURE_COLUMNS}, cash_rounding, change_given, cost`)}`,
    sql`INSERT INTO report_people (tenant_id, store_id, business_date, cashier_id, sales_rep_id, ${sql.raw(SALE_FIGURE_COLUMNS)})
      SELECT s.tenant_id, s.store_id, k.business_date, s.cashier_id, coalesce(s.sales_rep_id, ''), ${saleFigures(set)}
      FROM ${SALES_OF_DAYS} JOIN ${lineSums(set)} ON x.sale_id = s.id
      WHERE ${set.sales} GROUP BY s.tenant_id, s.store_id, k.business_date, s.cashier_id, coalesce(s.sales_rep_id, '')
      ON CONFLICT (store_id, business_date, cashier_id, sales_rep_id) DO UPDATE SET ${addUp(SALE_FIGURE_COLUMNS)}`,
    sql`INSERT INTO report_products (tenant_id, store_id, business_date, product_id, department_id,
        quantity, sold_quantity, returned_quantity, net, tax, gross, discount, discounted_lines, cost, lines)
      SELECT s.tenant_id, s.store_id, k.business_date, l.product_id, coalesce(l.department_id, ''),
        sum(${w} * l.quantity), sum(${w} * max(l.quantity, 0)), sum(${w} * min(l.quantity, 0)), sum(${w} * l.net), sum(${w} * l.tax), sum(${w} * l.gross),
        sum(${w} * ${SIGNED_DISCOUNT}), sum(${w} * (l.discount <> 0)), sum(${w} * ${LINE_COST}), sum(${w})
      FROM sale_lines l JOIN sales s ON s.id = l.sale_id ${DAY_OF_SALE}
      WHERE ${set.lines} AND ${set.sales} GROUP BY s.tenant_id, s.store_id, k.business_date, l.product_id, coalesce(l.department_id, '')
      ON CONFLICT (store_id, business_date, product_id, department_id) DO UPDATE SET
        ${addUp("quantity, sold_quantity, returned_quantity, net, tax, gross, discount, discounted_lines, cost, lines")}`,
    sql`INSERT INTO report_taxes (tenant_id, store_id, business_date, tax_rate_id, rate_millionths, name, taxable, tax, lines)
      SELECT s.tenant_id, s.store_id, k.business_date, t.tax_rate_id, t.rate_millionths, max(t.name), sum(${w} * l.net), sum(${w} * t.amount), sum(${w})
      FROM sale_line_taxes t JOIN sale_lines l ON l.id = t.line_id JOIN sales s ON s.id = t.sale_id ${DAY_OF_SALE}
      WHERE ${set.lines} AND ${set.sales} GROUP BY s.tenant_id, s.store_id, k.business_date, t.tax_rate_id, t.rate_millionths
      ON CONFLICT (store_id, business_date, tax_rate_id, rate_millionths) DO UPDATE SET name = excluded.name, ${addUp("taxable, tax, lines")}`,
    sql`INSERT INTO report_tenders (tenant_id, store_id, business_date, tender_code, is_cash, count, tendered, change_given)
      SELECT s.tenant_id, s.store_id, k.business_date, p.tender_code, max(p.is_cash), sum(${w}), sum(${w} * p.amount),
        sum(${w} * CASE WHEN p.is_cash = 1 AND p.line_no = (SELECT min(q.line_no) FROM sale_payments q WHERE q.sale_id = p.sale_id AND q.is_cash = 1)
          THEN s.change_given ELSE 0 END)
      FROM sale_payments p JOIN sales s ON s.id = p.sale_id ${DAY_OF_SALE}
      WHERE ${set.sales} GROUP BY s.tenant_id, s.store_id, k.business_date, p.tender_code
      ON CONFLICT (store_id, business_date, tender_code) DO UPDATE SET is_cash = max(is_cash, excluded.is_cash), ${addUp("count, tendered, change_given")}`,
  ];
}

const oneSale = (scope: TenantScope, saleId: string, completed: number, voided: number): SaleSet => ({
  sales: sql`s.id = ${saleId} AND s.tenant_id = ${scope.tenantId}`,
  lines: sql`l.sale_id = ${saleId} AND l.tenant_id = ${scope.tenantId}`,
  completed: sql.raw(String(completed)),
  voided: sql.raw(String(voided)),
});

export interface AggregatedSale {
  id: string;
  storeId: string;
  /** Epoch ms: when the till made the sale. */
  soldAt: number;
}

/** The store's business day (YYYY-MM-DD) and hour (0-23) at an instant. */
export function businessDay(at: number, timeZone: string): { businessDate: string; hour: number } {
  const local = localDateTime(at, timeZone);
  return { businessDate: local.slice(0, 10), hour: Number(local.slice(11, 13)) };
}

/**
 * The statements that add a completed sale (or return) to the report rows, for the sale's batch after its lines,
 * taxes and payments: its business day in the store's time zone, then one upsert per report table.
 */
export function saleAggregateStatements(scope: TenantScope, sale: AggregatedSale, timeZone: string): Statement[] {
  return [
    scope.insert(reportSaleDays, { saleId: sale.id, storeId: sale.storeId, ...businessDay(sale.soldAt, timeZone) }),
    ...aggregateSql(oneSale(scope, sale.id, 1, 0)).map((q) => rawStatement(scope.db, q)),
  ];
}

/** The statements that take a voided sale's figures back out of its day (and count the void), for the void's batch. */
export function voidAggregateStatements(scope: TenantScope, saleId: string): Statement[] {
  return aggregateSql(oneSale(scope, saleId, -1, 1)).map((q) => rawStatement(scope.db, q));
}

/**
 * The report tables rebuilt from every sale stored (report_sale_days first: see the migration), each sale weighted
 * by its status: emptied, then summed again, so it is right whatever they held. Parameter-free SQL, as the
 * migration runs it (test/worker/reports.test.ts keeps the two the same).
 */
export function backfillAggregateSql(): SQL[] {
  const rebuilt = ["report_hourly", "report_people", "report_products", "report_taxes", "report_tenders"].map((table) => sql.raw(`DELETE FROM ${table}`));
  return [...rebuilt, ...aggregateSql({
    sales: sql.raw("s.deleted_at IS NULL"),
    lines: sql.raw("1"),
    completed: sql.raw("(s.status = 'completed')"),
    voided: sql.raw("(s.status = 'voided')"),
  })];
}
