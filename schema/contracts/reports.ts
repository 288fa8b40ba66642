import { z } from "zod";
import { SOCKET_CLIENT_KINDS } from "../sync/messages";
import { Id, Timestamp } from "./common";
import { SyncStoreState } from "./sync-push";

/**
 * The back-office reports (spec 002, Reports) and the sales analytics (spec 001, SaleController). Every figure
 * is an integer: money in minor units, quantities in thousandths, rates and shares in basis points (or
 * thousandths where named). Dates are business dates, YYYY-MM-DD in each store's own time zone, both ends
 * included. Reports are read from the daily report rows, never by scanning sales.
 */

const isDate = (text: string) => {
  const t = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === text;
};

export const LocalDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date YYYY-MM-DD").refine(isDate, "is not a calendar date");

const filterFields = {
  /** First business date (YYYY-MM-DD, the store's local date), included. */
  date_from: LocalDate.optional(),
  /** Last business date, included. */
  date_to: LocalDate.optional(),
  /** One store (you need the report's permission there); all the stores where you hold it when left out. */
  store_id: Id.optional(),
};

const inOrder = (q: { date_from?: string; date_to?: string }, ctx: z.RefinementCtx) => {
  if (q.date_from && q.date_to && q.date_from > q.date_to) ctx.addIssue({ code: "custom", path: ["date_to"], message: "must not be before date_from" });
};

export const ReportQuery = z.object(filterFields).superRefine(inOrder);
export type ReportQuery = z.output<typeof ReportQuery>;

export const PERIODS = ["hour", "day", "week", "month"] as const;
export const PeriodReportQuery = z.object({
  ...filterFields,
  /** hour: by hour of the day (0-23) over the dates; day: by business date; week: ISO week (2026-W48); month: 2026-11. */
  period: z.enum(PERIODS).default("day"),
}).superRefine(inOrder);
export type PeriodReportQuery = z.output<typeof PeriodReportQuery>;

const int = z.int();
const share = int.nullable().describe("basis points (10000 = 100 %); null when the base is 0");

export const ReportFilters = z.object({ dateFrom: z.string().nullable(), dateTo: z.string().nullable(), storeIds: z.array(Id) });

/** Counts and sums of the sales, returns and voids of the rows it describes. */
export const SaleFigures = z.object({
  salesCount: int, salesTotal: int, returnsCount: int, returnsTotal: int, voidsCount: int, voidsTotal: int,
  /** Σ line net (ex tax), tax and gross (net + tax) of completed sales and returns. */
  net: int, tax: int, gross: int,
  /** Σ line discounts (a return's are negative). */
  discount: int,
  quantity: int, lines: int,
});

const report = <R extends z.ZodType, T extends z.ZodType>(row: R, totals: T) => z.object({ filters: ReportFilters, rows: z.array(row), totals });

export const TenderFigures = z.object({ code: z.string(), isCash: z.boolean(), count: int, tendered: int, change: int, amount: int });
const SummaryFigures = SaleFigures.extend({
  cashRounding: int, changeGiven: int,
  /** What the customers paid, net of returns: salesTotal + returnsTotal (grand totals with cash rounding). */
  totalDue: int,
  cost: int, averageSale: int, tenders: z.array(TenderFigures),
});
export const SalesSummary = report(
  SummaryFigures.extend({ storeId: Id, storeCode: z.string(), storeName: z.string(), currency: z.string() }),
  SummaryFigures,
);

export const TaxReport = report(
  z.object({ storeId: Id, storeCode: z.string(), taxRateId: z.string(), name: z.string(), rate: int.nullable(), rateMillionths: int, taxable: int, tax: int, lines: int }),
  z.object({ tax: int }),
);

export const InventoryValue = report(
  z.object({
    storeId: Id, storeCode: z.string(), productId: Id, sku: z.string(), name: z.string(), departmentId: Id.nullable(),
    quantity: int, costPrice: int, costValue: int, sellPrice: int, retailValue: int,
  }),
  z.object({ quantity: int, costValue: int, retailValue: int }),
);

const ProductFigures = z.object({ quantity: int, soldQuantity: int, returnedQuantity: int, net: int, tax: int, gross: int, discount: int, cost: int, margin: int, lines: int });
export const ProductPerformance = report(
  ProductFigures.extend({ productId: Id, sku: z.string().nullable(), name: z.string().nullable(), departmentId: Id.nullable(), departmentName: z.string().nullable() }),
  ProductFigures,
);

const PeriodFigures = SaleFigures.extend({ cashRounding: int, totalDue: int });
export const SalesByPeriod = report(PeriodFigures.extend({ period: z.string() }), PeriodFigures).extend({ period: z.enum(PERIODS) });

const RepFigures = SaleFigures.extend({ commission: int });
export const SalesByRep = report(
  RepFigures.extend({ salesRepId: Id.nullable(), code: z.string().nullable(), name: z.string(), commissionRate: int }),
  RepFigures,
);

const MarginFigures = z.object({ quantity: int, net: int, cost: int, margin: int, marginRate: share });
export const ProfitMargin = report(MarginFigures.extend({ departmentId: Id.nullable(), name: z.string() }), MarginFigures);

const CashierFigures = SaleFigures.extend({ averageSale: int });
export const CashierPerformance = report(
  CashierFigures.extend({ cashierId: Id, username: z.string().nullable(), displayName: z.string().nullable() }),
  CashierFigures,
);

const DepartmentFigures = z.object({ quantity: int, net: int, tax: int, gross: int, discount: int, lines: int });
export const DepartmentSales = report(DepartmentFigures.extend({ departmentId: Id.nullable(), name: z.string() }), DepartmentFigures);

const TurnoverFigures = z.object({ quantitySold: int, costOfGoodsSold: int, stockQuantity: int, stockValue: int });
export const InventoryTurnover = report(
  TurnoverFigures.extend({
    productId: Id, sku: z.string(), name: z.string(),
    /** costOfGoodsSold / stockValue in thousandths (2500 = turned 2.5 times); null without stock value. */
    turnover: int.nullable(),
  }),
  TurnoverFigures.extend({ turnover: int.nullable() }),
);

const DiscountFigures = z.object({ discountedLines: int, lines: int, discount: int, gross: int, discountRate: share });
export const DiscountAnalysis = report(
  DiscountFigures.extend({ productId: Id, sku: z.string().nullable(), name: z.string().nullable(), departmentId: Id.nullable() }),
  DiscountFigures,
);

// ---------------------------------------------------------------------------------------------------------------
// Analytics (spec 001, SaleController)

/** An outlet: a store, or the "All" pseudo-outlet (id "all") that combines every store you may see. */
export const OutletId = z.union([z.literal("all"), Id]);
export const Outlet = z.object({ id: z.string(), code: z.string().nullable(), name: z.string(), currency: z.string().nullable(), timeZone: z.string().nullable() });

const Year = z.coerce.number().int().min(2000).max(2100);
const Month = z.coerce.number().int().min(1).max(12);
export const MonthQuery = z.object({ month: Month, year: Year.optional() });
export const OutletMonthQuery = z.object({ outletId: OutletId.default("all"), year: Year, month: Month });
export const OutletDayQuery = z.object({ outletId: OutletId.default("all"), dt: LocalDate });
export const OutletHourQuery = z.object({ outletId: OutletId.default("all"), year: Year, month: Month, day: z.coerce.number().int().min(1).max(31) });

const OutletFigures = z.object({ salesCount: int, returnsCount: int, voidsCount: int, totalDue: int, net: int, tax: int, gross: int, quantity: int });
export const OutletSale = OutletFigures.extend({ outletId: z.string(), outletName: z.string(), dateFrom: z.string(), dateTo: z.string() });
export const OutletSales = z.object({ outlets: z.array(OutletSale), total: OutletFigures });

export const CategorySale = z.object({ departmentId: Id.nullable(), name: z.string(), quantity: int, net: int, tax: int, gross: int, lines: int });
export const CategorySales = z.object({ outletId: z.string(), dateFrom: z.string(), dateTo: z.string(), categories: z.array(CategorySale), total: CategorySale.omit({ departmentId: true, name: true }) });

export const HourSale = OutletFigures.extend({ hour: int });
export const HourlySales = z.object({ outletId: z.string(), date: z.string(), hours: z.array(HourSale) });

// ---------------------------------------------------------------------------------------------------------------
// The store dashboard

const ConnectedDevice = z.object({
  deviceId: Id,
  kind: z.enum(SOCKET_CLIENT_KINDS),
  registerId: Id.nullable(),
  /** The person signed in at the till, when its socket was opened with their token. */
  userId: Id.nullable(),
  connectedAt: Timestamp,
});

export const DashboardQuery = z.object({ store_id: Id.optional() });
export const StoreDashboard = z.object({
  store: z.object({ id: Id, code: z.string(), name: z.string(), currency: z.string(), timeZone: z.string() }),
  /** The store's local date now. */
  businessDate: z.string(),
  today: OutletFigures.extend({ returnsTotal: int, salesTotal: int, discount: int, averageSale: int, hours: z.array(HourSale) }),
  openRegisters: z.array(z.object({ sessionId: Id, registerId: Id, registerCode: z.string(), registerName: z.string(), openedBy: Id, openedAt: z.string(), openingFloat: int })),
  lowStock: z.object({
    count: int,
    /** The first 50, lowest stock first. */
    items: z.array(z.object({ productId: Id, sku: z.string(), name: z.string(), quantity: int, reorderPoint: int.nullable() })),
  }),
  /** The store's sync state, as GET /sync/dashboard shows it (without the device list): offline after 15 minutes. */
  sync: SyncStoreState.omit({ storeId: true, storeCode: true, storeName: true, devices: true }),
  /** The devices connected to the store's hub right now (its live sockets), tills and bridges apart. */
  connectedDevices: z.object({
    tills: z.array(ConnectedDevice),
    bridges: z.array(ConnectedDevice),
    others: z.array(ConnectedDevice),
  }),
});
