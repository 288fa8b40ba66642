import { sql } from "drizzle-orm";
import type { z } from "zod";
import type {
  CashierPerformance, DepartmentSales, DiscountAnalysis, InventoryTurnover, InventoryValue, PeriodReportQuery, ProductPerformance, ProfitMargin,
  ReportQuery, SalesByPeriod, SalesByRep, SalesSummary, TaxReport,
} from "../../schema/contracts/reports";
import type { ServiceContext } from "./context";
import { mulDiv, num, ratio, readReport, sumOf, type Row } from "./reports-scope";

/**
 * The spec's reports (002), from the daily report rows (schema/db/aggregates.ts): one D1 round trip each, a few
 * thousand grouped rows for a year of a busy store. Figures are integer sums of what each sale wrote in its own
 * batch; shares and averages are integer divisions rounded half away from zero.
 *
 * Cost of stock (inventory value, turnover) is the product's cost price, which purchase-order receipts keep as a
 * moving average (each stock movement also records it, average_cost, for valuing stock as of a past date). Margins
 * use the cost price stored on each sale line (the product's cost as of the sale).
 */

const SALE_FIGURES = ["salesCount", "salesTotal", "returnsCount", "returnsTotal", "voidsCount", "voidsTotal", "net", "tax", "gross", "discount", "quantity", "lines"] as const;
type SaleFigureKey = (typeof SALE_FIGURES)[number];

/** The SELECT list of the sale figures, summed (report_hourly and report_people share the columns). */
const SALE_SUMS = sql.raw(`sum(sales_count) AS salesCount, sum(sales_total) AS salesTotal, sum(returns_count) AS returnsCount, sum(returns_total) AS returnsTotal,
  sum(voids_count) AS voidsCount, sum(voids_total) AS voidsTotal, sum(net) AS net, sum(tax) AS tax, sum(gross) AS gross, sum(discount) AS discount,
  sum(quantity) AS quantity, sum(lines) AS lines`);

/** Rows of a grouped query with a period of activity: anything sold, returned or voided. */
const ACTIVE = sql.raw("sum(sales_count) <> 0 OR sum(returns_count) <> 0 OR sum(voids_count) <> 0");

const pick = <K extends string>(r: Row, keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, num(r[k])])) as Record<K, number>;
const saleFigures = (r: Row) => pick(r, SALE_FIGURES);
const textOrNull = (v: unknown) => (v === null || v === undefined || v === "" ? null : String(v));
const averageSale = (f: { salesTotal: number; salesCount: number }) => (f.salesCount === 0 ? 0 : mulDiv(f.salesTotal, 1, f.salesCount));

type Answer<T extends z.ZodType> = z.output<T>;

// ---------------------------------------------------------------------------------------------------------------

/** Sales summary per store: sales, returns, voids, net, tax, discounts, cash rounding, cost and tenders. */
export async function salesSummary(ctx: ServiceContext, q: ReportQuery): Promise<Answer<typeof SalesSummary>> {
  const read = await readReport(ctx, "reports.view_global", q, (w) => [
    sql`SELECT store_id, ${SALE_SUMS}, sum(cash_rounding) AS cashRounding, sum(change_given) AS changeGiven, sum(cost) AS cost
      FROM report_hourly r WHERE ${w.days("r")} GROUP BY store_id`,
    sql`SELECT r.store_id, r.tender_code AS code, max(r.is_cash) AS isCash, sum(r.count) AS count, sum(r.tendered) AS tendered, sum(r.change_given) AS change,
        coalesce((SELECT t.sort_order FROM tenders t WHERE t.tenant_id = r.tenant_id AND t.code = r.tender_code AND t.deleted_at IS NULL), 1e9) AS rank
      FROM report_tenders r WHERE ${w.days("r")} GROUP BY r.store_id, r.tender_code
      HAVING sum(r.count) <> 0 OR sum(r.tendered) <> 0
      ORDER BY rank, r.tender_code`,
  ]);
  const [figureRows, tenderRows] = read.results as [Row[], Row[]];
  const tenderOf = (r: Row) => {
    const tendered = num(r.tendered);
    const change = num(r.change);
    return { code: String(r.code), isCash: num(r.isCash) === 1, count: num(r.count), tendered, change, amount: tendered - change };
  };
  const figuresOf = (r: Row | undefined, tenders: ReturnType<typeof tenderOf>[]) => {
    const f = { ...saleFigures(r ?? {}), ...pick(r ?? {}, ["cashRounding", "changeGiven", "cost"] as const) };
    return { ...f, totalDue: f.salesTotal + f.returnsTotal, averageSale: averageSale(f), tenders };
  };
  const rows = read.storeIds.map((id) => {
    const store = read.stores.get(id)!;
    const tenders = tenderRows.filter((t) => t.store_id === id).map(tenderOf);
    return { storeId: id, storeCode: store.code, storeName: store.name, currency: store.currency, ...figuresOf(figureRows.find((r) => r.store_id === id), tenders) };
  });
  const keys = [...SALE_FIGURES, "cashRounding", "changeGiven", "cost", "totalDue"] as const;
  const total = sumOf(rows, keys);
  const tenders = new Map<string, ReturnType<typeof tenderOf>>();
  for (const t of rows.flatMap((r) => r.tenders)) {
    const sum = tenders.get(t.code) ?? { ...t, count: 0, tendered: 0, change: 0, amount: 0 };
    sum.count += t.count;
    sum.tendered += t.tendered;
    sum.change += t.change;
    sum.amount += t.amount;
    tenders.set(t.code, sum);
  }
  return { filters: read.filters, rows, totals: { ...total, averageSale: averageSale(total), tenders: [...tenders.values()] } };
}

/** Tax per store and rate: the net of the lines each rate applied to, and its tax. */
export async function taxReport(ctx: ServiceContext, q: ReportQuery): Promise<Answer<typeof TaxReport>> {
  const read = await readReport(ctx, "reports.view_global", q, (w) => [
    sql`SELECT r.store_id, s.code AS storeCode, r.tax_rate_id, r.rate_millionths, max(r.name) AS name, sum(r.taxable) AS taxable, sum(r.tax) AS tax, sum(r.lines) AS lines
      FROM report_taxes r JOIN stores s ON s.id = r.store_id WHERE ${w.days("r")}
      GROUP BY r.store_id, r.tax_rate_id, r.rate_millionths HAVING sum(r.lines) <> 0
      ORDER BY s.code, r.rate_millionths DESC, name, r.tax_rate_id`,
  ]);
  const rows = read.results[0]!.map((r) => {
    const millionths = num(r.rate_millionths);
    return {
      storeId: String(r.store_id), storeCode: String(r.storeCode), taxRateId: String(r.tax_rate_id), name: String(r.name),
      rate: millionths % 100 === 0 ? millionths / 100 : null, rateMillionths: millionths, taxable: num(r.taxable), tax: num(r.tax), lines: num(r.lines),
    };
  });
  return { filters: read.filters, rows, totals: { tax: rows.reduce((s, r) => s + r.tax, 0) } };
}

/**
 * Inventory value now, per store and tracked product with stock: at the product's cost price and at its sell
 * price (quantity × price, thousandths divided out per row). The dates do not apply: stock is as it is.
 */
export async function inventoryValue(ctx: ServiceContext, q: ReportQuery): Promise<Answer<typeof InventoryValue>> {
  const read = await readReport(ctx, "reports.view_global", q, (w) => [
    sql`SELECT l.store_id, s.code AS storeCode, p.id, p.sku, p.name, p.department_id, l.quantity, p.cost_price, p.sell_price
      FROM inventory_levels l JOIN products p ON p.id = l.product_id JOIN stores s ON s.id = l.store_id
      WHERE ${w.stores("l")} AND p.deleted_at IS NULL AND p.track_stock = 1 AND l.quantity <> 0
      ORDER BY s.code, p.name, p.sku, p.id`,
  ]);
  const rows = read.results[0]!.map((r) => {
    const quantity = num(r.quantity);
    const costPrice = num(r.cost_price);
    const sellPrice = num(r.sell_price);
    return {
      storeId: String(r.store_id), storeCode: String(r.storeCode), productId: String(r.id), sku: String(r.sku), name: String(r.name), departmentId: textOrNull(r.department_id),
      quantity, costPrice, costValue: mulDiv(quantity, costPrice, 1000), sellPrice, retailValue: mulDiv(quantity, sellPrice, 1000),
    };
  });
  return { filters: { ...read.filters, dateFrom: null, dateTo: null }, rows, totals: sumOf(rows, ["quantity", "costValue", "retailValue"] as const) };
}

const PRODUCT_SUMS = sql.raw(`sum(quantity) AS quantity, sum(sold_quantity) AS soldQuantity, sum(returned_quantity) AS returnedQuantity, sum(net) AS net,
  sum(tax) AS tax, sum(gross) AS gross, sum(discount) AS discount, sum(discounted_lines) AS discountedLines, sum(cost) AS cost, sum(lines) AS lines`);
const PRODUCT_FIGURES = ["quantity", "soldQuantity", "returnedQuantity", "net", "tax", "gross", "discount", "cost", "lines"] as const;

/** Per product: quantities sold and returned, net, tax, gross, discount, cost at the sale and margin; best sellers (net) first. */
export async function productPerformance(ctx: ServiceContext, q: ReportQuery): Promise<Answer<typeof ProductPerformance>> {
  const read = await readReport(ctx, "reports.product_performance", q, (w) => [
    sql`SELECT a.*, p.sku, p.name, d.name AS departmentName FROM (
        SELECT product_id, max(department_id) AS department_id, ${PRODUCT_SUMS} FROM report_products r WHERE ${w.days("r")}
        GROUP BY product_id HAVING sum(lines) <> 0) a
      LEFT JOIN products p ON p.id = a.product_id LEFT JOIN departments d ON d.id = a.department_id
      ORDER BY a.net DESC, p.name, a.product_id`,
  ]);
  const rows = read.results[0]!.map((r) => {
    const f = pick(r, PRODUCT_FIGURES);
    return {
      productId: String(r.product_id), sku: textOrNull(r.sku), name: textOrNull(r.name), departmentId: textOrNull(r.department_id), departmentName: textOrNull(r.departmentName),
      ...f, margin: f.net - f.cost,
    };
  });
  return { filters: read.filters, rows, totals: sumOf(rows, [...PRODUCT_FIGURES, "margin"] as const) };
}

/** ISO 8601 week of a date, as 2026-W48 (the week's Thursday names its year). */
export function isoWeek(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  const weekday = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - weekday + 3);
  const year = d.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  firstThursday.setUTCDate(firstThursday.getUTCDate() - ((firstThursday.getUTCDay() + 6) % 7) + 3);
  const week = 1 + Math.round((d.getTime() - firstThursday.getTime()) / (7 * 86_400_000));
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** Sales by hour of the day (0-23, the store's wall clock), business date, ISO week or month. */
export async function salesByPeriod(ctx: ServiceContext, q: PeriodReportQuery): Promise<Answer<typeof SalesByPeriod>> {
  const byHour = q.period === "hour";
  const read = await readReport(ctx, "reports.view_global", q, (w) => [
    sql`SELECT ${sql.raw(byHour ? "hour" : "business_date")} AS period, ${SALE_SUMS}, sum(cash_rounding) AS cashRounding
      FROM report_hourly r WHERE ${w.days("r")} GROUP BY 1 HAVING ${ACTIVE} ORDER BY 1`,
  ]);
  const keys = [...SALE_FIGURES, "cashRounding", "totalDue"] as const;
  const periodOf = (p: string) => (q.period === "week" ? isoWeek(p) : q.period === "month" ? p.slice(0, 7) : p);
  const grouped = new Map<string, Record<(typeof keys)[number], number>>();
  for (const r of read.results[0]!) {
    const period = byHour ? String(num(r.period)).padStart(2, "0") : periodOf(String(r.period));
    const f = { ...saleFigures(r), cashRounding: num(r.cashRounding), totalDue: num(r.salesTotal) + num(r.returnsTotal) };
    const sum = grouped.get(period);
    if (!sum) grouped.set(period, f);
    else for (const k of keys) sum[k] += f[k];
  }
  const rows = [...grouped].map(([period, f]) => ({ period, ...f }));
  return { filters: read.filters, period: q.period, rows, totals: sumOf(rows, keys) };
}

/** Per sales rep (and sales without one): figures and commission (the rep's basis points of the net). */
export async function salesByRep(ctx: ServiceContext, q: ReportQuery): Promise<Answer<typeof SalesByRep>> {
  const read = await readReport(ctx, "reports.sales_by_rep", q, (w) => [
    sql`SELECT a.*, sr.code, sr.name, coalesce(sr.commission_rate, 0) AS commissionRate FROM (
        SELECT sales_rep_id, ${SALE_SUMS} FROM report_people r WHERE ${w.days("r")} GROUP BY sales_rep_id HAVING ${ACTIVE}) a
      LEFT JOIN sales_reps sr ON sr.id = a.sales_rep_id
      ORDER BY a.sales_rep_id = '', a.net DESC, sr.name, a.sales_rep_id`,
  ]);
  const rows = read.results[0]!.map((r) => {
    const f = saleFigures(r);
    const rate = num(r.commissionRate);
    const repId = textOrNull(r.sales_rep_id);
    return { salesRepId: repId, code: textOrNull(r.code), name: repId ? String(r.name ?? "Unknown sales rep") : "No sales rep", commissionRate: rate, ...f, commission: mulDiv(f.net, rate, 10_000) };
  });
  return { filters: read.filters, rows, totals: sumOf(rows, [...SALE_FIGURES, "commission"] as const) };
}

/** Departments of the lines (the product's department at the sale), with the names they have now. */
const departmentName = (id: string | null, name: unknown) => (id === null ? "No department" : name === null || name === undefined ? "Unknown department" : String(name));

/** Per department: net, cost at the sale and margin (and its share of the net). */
export async function profitMargin(ctx: ServiceContext, q: ReportQuery): Promise<Answer<typeof ProfitMargin>> {
  const read = await readReport(ctx, "reports.profit_margin", q, (w) => [
    sql`SELECT a.*, d.name FROM (
        SELECT department_id, sum(quantity) AS quantity, sum(net) AS net, sum(cost) AS cost FROM report_products r WHERE ${w.days("r")}
        GROUP BY department_id HAVING sum(lines) <> 0) a
      LEFT JOIN departments d ON d.id = a.department_id ORDER BY a.department_id = '', d.name, a.department_id`,
  ]);
  const rows = read.results[0]!.map((r) => {
    const id = textOrNull(r.department_id);
    const f = pick(r, ["quantity", "net", "cost"] as const);
    return { departmentId: id, name: departmentName(id, r.name), ...f, margin: f.net - f.cost, marginRate: ratio(f.net - f.cost, f.net, 10_000) };
  });
  const total = sumOf(rows, ["quantity", "net", "cost", "margin"] as const);
  return { filters: read.filters, rows, totals: { ...total, marginRate: ratio(total.margin, total.net, 10_000) } };
}

/** Per cashier: sales, returns, voids, net, discounts, items, average sale. */
export async function cashierPerformance(ctx: ServiceContext, q: ReportQuery): Promise<Answer<typeof CashierPerformance>> {
  const read = await readReport(ctx, "reports.cashier_performance", q, (w) => [
    sql`SELECT a.*, u.username, u.display_name FROM (
        SELECT cashier_id, ${SALE_SUMS} FROM report_people r WHERE ${w.days("r")} GROUP BY cashier_id HAVING ${ACTIVE}) a
      LEFT JOIN users u ON u.id = a.cashier_id ORDER BY a.net DESC, u.display_name, a.cashier_id`,
  ]);
  const rows = read.results[0]!.map((r) => {
    const f = saleFigures(r);
    return { cashierId: String(r.cashier_id), username: textOrNull(r.username), displayName: textOrNull(r.display_name), ...f, averageSale: averageSale(f) };
  });
  const total = sumOf(rows, SALE_FIGURES);
  return { filters: read.filters, rows, totals: { ...total, averageSale: averageSale(total) } };
}

const DEPARTMENT_FIGURES = ["quantity", "net", "tax", "gross", "discount", "lines"] as const;

/** Per department: quantity, net, tax, gross, discount and lines. */
export async function departmentSales(ctx: ServiceContext, q: ReportQuery): Promise<Answer<typeof DepartmentSales>> {
  const read = await readReport(ctx, "reports.view_global", q, (w) => [
    sql`SELECT a.*, d.name FROM (
        SELECT department_id, ${PRODUCT_SUMS} FROM report_products r WHERE ${w.days("r")} GROUP BY department_id HAVING sum(lines) <> 0) a
      LEFT JOIN departments d ON d.id = a.department_id ORDER BY a.department_id = '', d.name, a.department_id`,
  ]);
  const rows = read.results[0]!.map((r) => {
    const id = textOrNull(r.department_id);
    return { departmentId: id, name: departmentName(id, r.name), ...pick(r, DEPARTMENT_FIGURES) };
  });
  return { filters: read.filters, rows, totals: sumOf(rows, DEPARTMENT_FIGURES) };
}

/**
 * Per product: the cost of what was sold in the dates (at the sale's cost), against the stock it has now at the
 * product's cost price; turnover is their ratio in thousandths. Stock is the stores' current level.
 */
export async function inventoryTurnover(ctx: ServiceContext, q: ReportQuery): Promise<Answer<typeof InventoryTurnover>> {
  const read = await readReport(ctx, "reports.view_global", q, (w) => [
    sql`SELECT p.id, p.sku, p.name, p.cost_price, coalesce(s.quantity, 0) AS quantitySold, coalesce(s.cost, 0) AS cogs, coalesce(i.quantity, 0) AS stock
      FROM products p
      LEFT JOIN (SELECT product_id, sum(quantity) AS quantity, sum(cost) AS cost, sum(lines) AS lines FROM report_products r WHERE ${w.days("r")} GROUP BY product_id) s
        ON s.product_id = p.id
      LEFT JOIN (SELECT product_id, sum(quantity) AS quantity FROM inventory_levels l WHERE ${w.stores("l")} GROUP BY product_id) i ON i.product_id = p.id
      WHERE p.tenant_id = ${ctx.scope.tenantId} AND (coalesce(s.lines, 0) <> 0 OR (p.track_stock = 1 AND p.deleted_at IS NULL AND coalesce(i.quantity, 0) <> 0))
      ORDER BY p.name, p.sku, p.id`,
  ]);
  const rows = read.results[0]!.map((r) => {
    const stockQuantity = num(r.stock);
    const stockValue = mulDiv(stockQuantity, num(r.cost_price), 1000);
    const costOfGoodsSold = num(r.cogs);
    return {
      productId: String(r.id), sku: String(r.sku), name: String(r.name), quantitySold: num(r.quantitySold), costOfGoodsSold, stockQuantity, stockValue,
      turnover: stockValue > 0 ? mulDiv(costOfGoodsSold, 1000, stockValue) : null,
    };
  });
  const total = sumOf(rows, ["quantitySold", "costOfGoodsSold", "stockQuantity", "stockValue"] as const);
  return { filters: read.filters, rows, totals: { ...total, turnover: total.stockValue > 0 ? mulDiv(total.costOfGoodsSold, 1000, total.stockValue) : null } };
}

/** Per product with discounts: discounted lines, the discount, and its share of the price before it (gross + discount). */
export async function discountAnalysis(ctx: ServiceContext, q: ReportQuery): Promise<Answer<typeof DiscountAnalysis>> {
  const read = await readReport(ctx, "reports.discount_analysis", q, (w) => [
    sql`SELECT a.*, p.sku, p.name FROM (
        SELECT product_id, max(department_id) AS department_id, ${PRODUCT_SUMS} FROM report_products r WHERE ${w.days("r")}
        GROUP BY product_id HAVING sum(discounted_lines) <> 0 OR sum(discount) <> 0) a
      LEFT JOIN products p ON p.id = a.product_id ORDER BY a.discount DESC, p.name, a.product_id`,
  ]);
  const rows = read.results[0]!.map((r) => {
    const f = pick(r, ["discountedLines", "lines", "discount", "gross"] as const);
    return {
      productId: String(r.product_id), sku: textOrNull(r.sku), name: textOrNull(r.name), departmentId: textOrNull(r.department_id),
      ...f, discountRate: ratio(f.discount, f.gross + f.discount, 10_000),
    };
  });
  const total = sumOf(rows, ["discountedLines", "lines", "discount", "gross"] as const);
  return { filters: read.filters, rows, totals: { ...total, discountRate: ratio(total.discount, total.gross + total.discount, 10_000) } };
}

export type { SaleFigureKey };
