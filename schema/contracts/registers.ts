import { z } from "zod";
import { Id, Money, PageQuery, Timestamp } from "./common";
import { SingleLineText } from "./text";

/**
 * Register sessions (a till open for selling, from its opening float to its close), the cash drawer log of a
 * session (paid in, paid out, drops, no-sale openings), and the session's X and Z reports. Amounts are integer
 * minor units of the store's currency; quantities thousandths.
 */

export const SESSION_STATUSES = ["open", "closed"] as const;

export const RegisterSession = z.object({
  id: Id,
  storeId: Id,
  registerId: Id,
  registerCode: z.string(),
  registerName: z.string(),
  status: z.enum(SESSION_STATUSES),
  openingFloat: z.int(),
  openedBy: Id,
  openedAt: Timestamp,
  /** The till the session was opened from; null when opened from the back office. */
  openedDeviceId: Id.nullable(),
  closedBy: Id.nullable(),
  closedAt: Timestamp.nullable(),
  /** Minor units counted per tender code at the close; null while open. */
  counted: z.record(z.string(), z.int()).nullable(),
  /** Minor units expected per tender code at the close; null while open. */
  expected: z.record(z.string(), z.int()).nullable(),
  /** The Z report's number (consecutive per register); null while open. */
  zNumber: z.int().nullable(),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type RegisterSession = z.infer<typeof RegisterSession>;

/** A date (YYYY-MM-DD: its UTC midnight) or an instant with its offset, as GET /sales takes them. */
const DateOrInstant = z.union([z.iso.date(), z.iso.datetime({ offset: true })], { error: "must be a date (YYYY-MM-DD) or an ISO 8601 date-time with offset" });

export const RegisterSessionQuery = PageQuery.extend({
  store_id: Id.optional().describe("Sessions of this store (you need registers.view there); default: every store where you hold registers.view"),
  register_id: Id.optional(),
  status: z.enum(SESSION_STATUSES).optional(),
  date_from: DateOrInstant.optional().describe("Sessions opened at or after this instant (a date: its UTC midnight); inclusive"),
  date_to: DateOrInstant.optional().describe("Sessions opened before this instant (a date: its UTC midnight); exclusive"),
});

export const OpenRegisterBody = z.object({
  /** From a till: its own register (left out, or the same). From the back office: required. */
  registerId: Id.optional(),
  /** The cash put in the drawer to start with, minor units. */
  openingFloat: Money,
});

/** A tender's code as a key of `counted`: letters, digits or _, any case (taken in upper case). */
export const TenderCodeKey = z.string().regex(/^[A-Za-z0-9_]{1,32}$/, "must be a tender code: 1 to 32 letters, digits or _");

export const CloseRegisterBody = z.object({
  /** Minor units counted per tender code, e.g. {"CASH": 123400, "CARD": 56000}; a tender left out counts as 0. */
  counted: z.record(TenderCodeKey, Money)
    .superRefine((c, ctx) => {
      const keys = Object.keys(c);
      if (keys.length > 50) ctx.addIssue({ code: "custom", message: "at most 50 tenders" });
      const seen = new Set<string>();
      for (const key of keys) {
        if (seen.has(key.toUpperCase())) ctx.addIssue({ code: "custom", path: [key], message: "names a tender already counted (codes are taken in upper case)" });
        seen.add(key.toUpperCase());
      }
    })
    .transform((c) => Object.fromEntries(Object.entries(c).map(([code, amount]) => [code.toUpperCase(), amount]))),
});

/** As schema/db/checkout.ts has them (the domain checks the two lists agree). */
export const CASH_EVENT_KINDS = ["paid_in", "paid_out", "drop", "no_sale"] as const;
export const CashEventKind = z.enum(CASH_EVENT_KINDS);

export const CreateCashEventBody = z
  .object({
    /** paid_in, paid_out, drop (cash taken out of the drawer to the safe), no_sale (the drawer opened without a sale). */
    kind: CashEventKind,
    /** Minor units, never negative: 0 for a no-sale opening, more than 0 otherwise; the kind says which way it went. */
    amount: Money,
    /** Why: required except for a drop. */
    reason: SingleLineText(200).optional(),
  })
  .superRefine((b, ctx) => {
    if (b.kind === "no_sale" && b.amount !== 0) ctx.addIssue({ code: "custom", path: ["amount"], message: "must be 0 for a no-sale opening" });
    if (b.kind !== "no_sale" && b.amount === 0) ctx.addIssue({ code: "custom", path: ["amount"], message: `must be more than 0 for ${b.kind}` });
    if (b.kind !== "drop" && !b.reason) ctx.addIssue({ code: "custom", path: ["reason"], message: `is required for ${b.kind}` });
  });
export type CreateCashEventBody = z.output<typeof CreateCashEventBody>;

export const CashEvent = z.object({
  id: Id,
  sessionId: Id,
  storeId: Id,
  kind: CashEventKind,
  amount: z.int(),
  reason: z.string().nullable(),
  userId: Id,
  deviceId: Id.nullable(),
  at: Timestamp,
});
export type CashEvent = z.infer<typeof CashEvent>;

const CountAmount = z.object({ count: z.int(), amount: z.int() });

export const ReportTender = z.object({
  code: z.string(),
  name: z.string(),
  isCash: z.boolean(),
  /** Payments taken in this tender (refunds included). */
  count: z.int(),
  /** The payments' sum as tendered (refunds negative). */
  tendered: z.int(),
  /** Change given back from it (the drawer's cash tender only). */
  change: z.int(),
  /** tendered − change: what the tender took. The tenders' amounts add up to the net sales. */
  amount: z.int(),
});
export type ReportTender = z.infer<typeof ReportTender>;

export const ReportTaxRate = z.object({
  taxRateId: z.string(),
  name: z.string(),
  rateMillionths: z.int(),
  /** Basis points when the rate is a whole number of them, else null. */
  rate: z.int().nullable(),
  /** The net of the lines the rate applies to. */
  taxable: z.int(),
  tax: z.int(),
});

export const ReportDepartment = z.object({
  departmentId: Id.nullable(),
  name: z.string(),
  lines: z.int(),
  /** Thousandths. */
  quantity: z.int(),
  net: z.int(),
  tax: z.int(),
  gross: z.int(),
  discount: z.int(),
});

export const CashSummary = z.object({
  /** The drawer's cash tender (the tenant's first cash tender). */
  tender: z.string(),
  openingFloat: z.int(),
  cashTaken: z.int(),
  cashRefunded: z.int(),
  changeGiven: z.int(),
  paidIn: CountAmount,
  paidOut: CountAmount,
  drops: CountAmount,
  noSales: z.int(),
  /** openingFloat + cashTaken − cashRefunded − changeGiven + paidIn − paidOut − drops. */
  expected: z.int(),
});

/**
 * The figures of a session: what an X report shows while it runs and a Z report keeps when it closes. Voided
 * sales count only under `voids` (their money went back); `net` is what completed sales and returns came to.
 */
export const SessionFigures = z.object({
  currency: z.string(),
  sales: CountAmount,
  /** Amount negative. */
  returns: CountAmount,
  voids: CountAmount,
  /** sales + returns, cash rounding included (what customers paid). */
  net: z.int(),
  tax: z.int(),
  /** Lines with a discount, and the discounts' sum (negative on return lines). */
  discounts: CountAmount,
  /** Sales with a cash rounding adjustment, and the adjustments' sum. */
  cashRounding: CountAmount,
  /** Lines sold at another price than the catalogue's: their count, gross, and (unit − catalogue price) × quantity. */
  priceOverrides: z.object({ count: z.int(), gross: z.int(), difference: z.int() }),
  tenders: z.array(ReportTender),
  taxes: z.array(ReportTaxRate),
  /** Lines with no tax: their count and net. */
  untaxed: z.object({ lines: z.int(), net: z.int() }),
  departments: z.array(ReportDepartment),
  cash: CashSummary,
});
export type SessionFigures = z.infer<typeof SessionFigures>;

export const ReportSession = RegisterSession.pick({
  id: true, storeId: true, registerId: true, registerCode: true, registerName: true, status: true, openingFloat: true, openedBy: true, openedAt: true,
  closedBy: true, closedAt: true,
});

export const XReport = SessionFigures.extend({
  kind: z.literal("X"),
  session: ReportSession,
  generatedAt: Timestamp,
});
export type XReport = z.infer<typeof XReport>;

/** Expected, counted and difference (counted − expected) of one tender at the close. */
export const TenderCount = z.object({
  code: z.string(),
  name: z.string(),
  expected: z.int(),
  counted: z.int(),
  difference: z.int(),
});
export type TenderCount = z.infer<typeof TenderCount>;

export const ZReport = SessionFigures.extend({
  kind: z.literal("Z"),
  id: Id,
  /** Consecutive per register: 1, 2, 3, … never reused. */
  zNumber: z.int(),
  session: ReportSession,
  /** The register's grand total before this session (its previous Z report's). */
  previousGrandTotal: z.int(),
  /** previousGrandTotal + this session's net: it never resets. */
  grandTotal: z.int(),
  tenderCounts: z.array(TenderCount),
  generatedAt: Timestamp,
  /** 2, 3, …: made again because records of the session arrived after its close (sync push); absent: the first. */
  revision: z.int().optional(),
  amendments: z.array(z.object({ revision: z.int(), at: Timestamp, previousNet: z.int(), net: z.int(), reason: z.string() })).optional(),
});
export type ZReport = z.infer<typeof ZReport>;

export const CloseResult = z.object({
  session: RegisterSession,
  tenders: z.array(TenderCount),
  zReport: ZReport,
});
export type CloseResult = z.infer<typeof CloseResult>;

export const SessionReportQuery = z.object({ session_id: Id });
