import { z } from "zod";
import { SessionReportQuery, XReport, ZReport } from "../../../schema/contracts/registers";
import {
  CashierPerformance, DepartmentSales, DiscountAnalysis, InventoryTurnover, InventoryValue, PeriodReportQuery, ProductPerformance, ProfitMargin,
  ReportQuery, SalesByPeriod, SalesByRep, SalesSummary, TaxReport,
} from "../../../schema/contracts/reports";
import type { Permission } from "../../../schema/permissions";
import type { ServiceContext } from "../../domain/context";
import {
  cashierPerformance, departmentSales, discountAnalysis, inventoryTurnover, inventoryValue, productPerformance, profitMargin, salesByPeriod, salesByRep,
  salesSummary, taxReport,
} from "../../domain/reports";
import { toCsv } from "../../domain/reports-csv";
import { xReport, zReport } from "../../domain/session-reports";
import type { AppContext } from "../../http/app";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "Reports";

/** The scalar columns of a list's item schema, in the schema's order (lists inside a row are spread by toCsv). */
export function csvColumns(item: z.ZodType): string[] {
  const shape = (item as z.ZodObject).shape as Record<string, z.ZodType>;
  return Object.entries(shape).filter(([, s]) => !(s instanceof z.ZodArray)).map(([k]) => k);
}

/** The answer, or its rows as CSV when the client asks for text/csv (Accept). */
export async function csvOr<T>(c: AppContext, answer: Promise<T>, name: string, rowsOf: (a: T) => Record<string, unknown>[], columns: string[]) {
  const data = await answer;
  if (!/\btext\/csv\b/i.test(c.req.header("Accept") ?? "")) return data;
  return c.body(toCsv(rowsOf(data), columns), 200, { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="${name}.csv"` });
}

const FILTERS = "Filters: date_from and date_to are business dates (YYYY-MM-DD in each store's time zone, both included); store_id one store, else every store where you hold the permission.";
const FIGURES = "Money in integer minor units, quantities in thousandths, shares in basis points. Read from the daily report rows written with each sale; voided sales count only as voids. Accept: text/csv answers the rows as CSV (same integers, a header row).";

/** A report route: GET /reports/<name> with its permission and filters, answering JSON or CSV. */
function reportRoute<Q extends z.ZodType, R extends z.ZodObject>(def: {
  name: string; permission: Permission; summary: string; description: string; query: Q; response: R;
  run: (ctx: ServiceContext, query: z.output<Q>) => Promise<z.output<R>>;
}) {
  const rows = (def.response.shape as { rows: z.ZodArray }).rows;
  const columns = csvColumns(rows.element as z.ZodType);
  return route({
    method: "get", path: `/reports/${def.name}`, tag, auth: "user", permission: def.permission, csv: true,
    summary: def.summary, description: `${def.description} ${FILTERS} ${FIGURES}`,
    query: def.query, response: def.response,
    errors: {
      403: "MISSING_PERMISSION_IN_STORE: you lack the report's permission in the store_id you named",
      404: "NOT_FOUND: store_id is not a store of your tenant",
    },
    handler: (c, { query }) => csvOr(c, def.run(serviceContext(c), query as z.output<Q>), def.name, (a) => (a as { rows: Record<string, unknown>[] }).rows, columns),
  });
}

/** Reports (the spec's 002). X and Z reports are a register session's; the others read the daily report rows. */
export const reportRoutes = [
  route({
    method: "get", path: "/reports/x-report", tag, auth: "user", permission: "reports.x_report",
    summary: "X report: a register session's running totals (no reset)",
    description:
      "Totals by tender, by tax rate (taxable and tax) and by department; counts and amounts of sales, returns, voids, discounts, cash rounding and price overrides; " +
      "the drawer's expected cash. Computed now from the session's sales (voided ones count only as voids). Needs reports.x_report in the session's store too.",
    query: SessionReportQuery, response: XReport,
    errors: {
      403: "MISSING_PERMISSION_IN_STORE: you lack reports.x_report in the session's store",
      404: "NOT_FOUND: no such register session in your tenant",
    },
    handler: (c, { query }) => xReport(serviceContext(c), query.session_id),
  }),
  route({
    method: "get", path: "/reports/z-report", tag, auth: "user", permission: "reports.z_report",
    summary: "Z report: a closed register session's report, as made at its close",
    description:
      "Made once when the session closed and kept unchanged: the X report's figures then, the counted, expected and difference per tender, " +
      "the register's consecutive Z number and its grand total (which never resets). Needs reports.z_report in the session's store too.",
    query: SessionReportQuery, response: ZReport,
    errors: {
      403: "MISSING_PERMISSION_IN_STORE: you lack reports.z_report in the session's store",
      404: "NOT_FOUND: no such register session in your tenant",
      409: "SESSION_OPEN: the session is still open (its X report shows it now)",
    },
    handler: (c, { query }) => zReport(serviceContext(c), query.session_id),
  }),
  reportRoute({
    name: "sales-summary", permission: "reports.view_global", summary: "Sales summary per store", query: ReportQuery, response: SalesSummary, run: salesSummary,
    description: "Per store and in total: sales, returns and voids (counts and totals due), net, tax, gross, discounts, cash rounding, change, cost at the sale, average sale, and tenders (tendered, change, amount).",
  }),
  reportRoute({
    name: "tax", permission: "reports.view_global", summary: "Tax per store and rate", query: ReportQuery, response: TaxReport, run: taxReport,
    description: "Per store and tax rate: the net of the lines the rate applied to (taxable) and its tax.",
  }),
  reportRoute({
    name: "inventory-value", permission: "reports.view_global", summary: "Inventory valuation", query: ReportQuery, response: InventoryValue, run: inventoryValue,
    description: "Stock now per store and tracked product, valued at the product's cost price and at its sell price (the dates do not apply). Cost is the product's cost price until purchase-order receipts keep a moving average.",
  }),
  reportRoute({
    name: "product-performance", permission: "reports.product_performance", summary: "Product performance", query: ReportQuery, response: ProductPerformance, run: productPerformance,
    description: "Per product, best net first: quantity sold and returned, net, tax, gross, discount, cost at the sale and margin.",
  }),
  reportRoute({
    name: "sales-by-period", permission: "reports.view_global", summary: "Sales by hour, day, week or month", query: PeriodReportQuery, response: SalesByPeriod, run: salesByPeriod,
    description: "period=hour: by hour of the store's wall clock (00-23) over the dates; day: by business date; week: ISO week (2026-W48); month: 2026-11.",
  }),
  reportRoute({
    name: "sales-by-rep", permission: "reports.sales_by_rep", summary: "Sales by sales representative", query: ReportQuery, response: SalesByRep, run: salesByRep,
    description: "Per sales rep (and sales without one): sales, returns, voids, net, and commission (the rep's commission rate in basis points of the net, rounded half away from zero).",
  }),
  reportRoute({
    name: "profit-margin", permission: "reports.profit_margin", summary: "Profit margin by department", query: ReportQuery, response: ProfitMargin, run: profitMargin,
    description: "Per department (the product's department at the sale): net, cost at the sale (each line's cost price × quantity), margin and its share of the net.",
  }),
  reportRoute({
    name: "cashier-performance", permission: "reports.cashier_performance", summary: "Cashier performance", query: ReportQuery, response: CashierPerformance, run: cashierPerformance,
    description: "Per cashier: sales, returns, voids, net, discounts, items and average sale.",
  }),
  reportRoute({
    name: "department-sales", permission: "reports.view_global", summary: "Sales by department", query: ReportQuery, response: DepartmentSales, run: departmentSales,
    description: "Per department (the product's department at the sale): quantity, net, tax, gross, discount and lines.",
  }),
  reportRoute({
    name: "inventory-turnover", permission: "reports.view_global", summary: "Inventory turnover", query: ReportQuery, response: InventoryTurnover, run: inventoryTurnover,
    description: "Per product: cost of goods sold in the dates (at the sale's cost) against the stock now at the product's cost price; turnover in thousandths (2500 = 2.5 times).",
  }),
  reportRoute({
    name: "discount-analysis", permission: "reports.discount_analysis", summary: "Discount usage", query: ReportQuery, response: DiscountAnalysis, run: discountAnalysis,
    description: "Per product with discounts: discounted lines, the discount, the gross after it, and the discount's share of the price before it.",
  }),
];
