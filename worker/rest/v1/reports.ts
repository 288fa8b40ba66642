import { SessionReportQuery, XReport, ZReport } from "../../../schema/contracts/registers";
import { xReport, zReport } from "../../domain/session-reports";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "Reports";

/** Reports (the spec's 002). X and Z reports are a register session's; the others come with the reporting work. */
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
];
