import { z } from "zod";
import { CategorySales, HourlySales, MonthQuery, Outlet, OutletDayQuery, OutletHourQuery, OutletMonthQuery, OutletSales } from "../../../schema/contracts/reports";
import { currentMonthCategories, dayCategories, hourlySales, monthCategories, monthSales, outlets, todaySales } from "../../domain/reports-analytics";
import { route } from "../../http/route";
import { serviceContext } from "./context";
import { csvColumns, csvOr } from "./reports";

const tag = "Analytics";
const permission = "reports.view_global" as const;
const errors = { 403: "MISSING_PERMISSION_IN_STORE: you lack reports.view_global in the outlet you named", 404: "NOT_FOUND: outletId is not a store of your tenant" };
const NOTE = "Money in integer minor units, quantities in thousandths; business dates in each store's time zone. Accept: text/csv answers the list as CSV.";

/** The sales analytics of the admin portal (spec 001, SaleController), from the daily report rows. */
export const analyticsRoutes = [
  route({
    method: "get", path: "/analytics/outlets", tag, auth: "user", permission, csv: true,
    summary: "Outlets you may report on, with the \"All\" pseudo-outlet", response: z.array(Outlet),
    handler: (c) => csvOr(c, outlets(serviceContext(c)), "outlets", (a) => a, csvColumns(Outlet)),
  }),
  route({
    method: "get", path: "/analytics/today", tag, auth: "user", permission, csv: true,
    summary: "Today's sales per outlet (each store's local today)", description: NOTE, response: OutletSales,
    handler: (c) => csvOr(c, todaySales(serviceContext(c)), "today", (a) => a.outlets, csvColumns(OutletSales.shape.outlets.element)),
  }),
  route({
    method: "get", path: "/analytics/month", tag, auth: "user", permission, csv: true,
    summary: "A month's sales by outlet (month to date while it runs)", description: NOTE, query: MonthQuery, response: OutletSales,
    handler: (c, { query }) => csvOr(c, monthSales(serviceContext(c), query), "month", (a) => a.outlets, csvColumns(OutletSales.shape.outlets.element)),
  }),
  route({
    method: "get", path: "/analytics/current-month", tag, auth: "user", permission, csv: true,
    summary: "This month's sales by category over every outlet", description: NOTE, response: CategorySales,
    handler: (c) => csvOr(c, currentMonthCategories(serviceContext(c)), "current-month", (a) => a.categories, csvColumns(CategorySales.shape.categories.element)),
  }),
  route({
    method: "get", path: "/analytics/monthly", tag, auth: "user", permission, csv: true, errors,
    summary: "A month of an outlet (or all) by category", description: NOTE, query: OutletMonthQuery, response: CategorySales,
    handler: (c, { query }) => csvOr(c, monthCategories(serviceContext(c), query), "monthly", (a) => a.categories, csvColumns(CategorySales.shape.categories.element)),
  }),
  route({
    method: "get", path: "/analytics/daily", tag, auth: "user", permission, csv: true, errors,
    summary: "A day of an outlet (or all) by category", description: NOTE, query: OutletDayQuery, response: CategorySales,
    handler: (c, { query }) => csvOr(c, dayCategories(serviceContext(c), query), "daily", (a) => a.categories, csvColumns(CategorySales.shape.categories.element)),
  }),
  route({
    method: "get", path: "/analytics/hourly", tag, auth: "user", permission, csv: true, errors,
    summary: "A day of an outlet (or all) by hour of the store's clock", description: NOTE, query: OutletHourQuery, response: HourlySales,
    handler: (c, { query }) => csvOr(c, hourlySales(serviceContext(c), query), "hourly", (a) => a.hours, csvColumns(HourlySales.shape.hours.element)),
  }),
];
