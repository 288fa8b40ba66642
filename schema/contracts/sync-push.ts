import { z } from "zod";
import { Id, Money, PageQuery, Quantity, RateMillionths, Timestamp } from "./common";
import { ADJUSTMENT_REASONS } from "./inventory";
import { CashEventKind, CloseRegisterBody, CreateCashEventBody } from "./registers";
import { GiftCardCode } from "./giftcards";
import { CreateSaleBody, MAX_SALE_LINES, MAX_SALE_PAYMENTS, SaleItemBody, SaleLineTaxBody, SalePaymentBody } from "./sales";
import { MultiLineText, SingleLineText } from "./text";

/**
 * The sync push (store → edge): records a till made offline, each with the id the till made for it, sent in
 * batches. Every item answers on its own: applied, duplicate (the same id with the same content: nothing
 * written) or rejected (with a code; it waits in the store's sync error queue with its payload).
 */

/**
 * At most this many records per push: a sale is about 19 D1 statements (its rows, stock, change feed, six report
 * rows, guards), a push runs in one call of the store's hub, and D1 allows 1000 queries per invocation; 25 leaves
 * room for the batch's reads and the error queue twice over.
 */
export const MAX_PUSH_ITEMS = 25;

export const PUSH_ITEM_TYPES = ["session_open", "session_close", "cash_event", "sale", "void", "adjustment"] as const;
export type PushItemType = (typeof PUSH_ITEM_TYPES)[number];

const Instant = z.iso.datetime({ offset: true });

/** A line tax as the till charged it: the rate it had (from its last pull), so the edge recomputes with it. */
export const PushLineTax = SaleLineTaxBody.extend({
  taxRateId: Id,
  /** The rate the till applied, in millionths (or `rate` in basis points); the edge's current rate when left out. */
  rateMillionths: RateMillionths.optional(),
});

export const PushSaleItem = z.object({
  ...CreateSaleBody.shape,
  type: z.literal("sale"),
  /** The sale's id, made by the till. */
  id: Id,
  /** The register session the till sold in (opened online, or offline: a session_open record). */
  sessionId: Id,
  /** The cashier who made the sale: a user of the store. */
  cashierId: Id,
  /** When the till made the sale: kept as the sale's time. */
  soldAt: Instant,
  items: z.array(SaleItemBody.extend({ taxes: z.array(PushLineTax).max(10).optional() })).min(1, "a sale needs at least one item").max(MAX_SALE_LINES),
  /**
   * A gift card is paid at an online till (POST /api/v1/sales): a pushed sale naming one is refused
   * (GIFT_CARD_NEEDS_ONLINE), and its PIN is never taken in, so the error queue never holds one.
   */
  payments: z.array(SalePaymentBody.extend({ giftCard: z.object({ code: GiftCardCode }).optional() })).max(MAX_SALE_PAYMENTS),
});

export const PushSessionOpenItem = z.object({
  type: z.literal("session_open"),
  /** The session's id, made by the till; the sales and cash events of the session name it. */
  id: Id,
  /** The register opened: the till's own when left out (a store device must name it). */
  registerId: Id.optional(),
  openingFloat: Money,
  userId: Id,
  at: Instant,
});

export const PushSessionCloseItem = z.object({
  type: z.literal("session_close"),
  /** The close record's own id. */
  id: Id,
  sessionId: Id,
  counted: CloseRegisterBody.shape.counted,
  userId: Id,
  at: Instant,
});

export const PushCashEventItem = z.object({
  type: z.literal("cash_event"),
  id: Id,
  sessionId: Id,
  kind: CashEventKind,
  amount: Money,
  reason: SingleLineText(200).optional(),
  userId: Id,
  at: Instant,
}).superRefine((item, ctx) => {
  const body = CreateCashEventBody.safeParse({ kind: item.kind, amount: item.amount, reason: item.reason });
  for (const issue of body.error?.issues ?? []) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
});

export const PushVoidItem = z.object({
  type: z.literal("void"),
  id: Id,
  saleId: Id,
  reason: SingleLineText(200).min(1),
  userId: Id,
  at: Instant,
});

export const PushAdjustmentItem = z.object({
  type: z.literal("adjustment"),
  id: Id,
  reason: z.enum(ADJUSTMENT_REASONS),
  note: MultiLineText(1000).nullish(),
  /** Changes only: a count made offline would erase the sales that landed after it. */
  lines: z.array(z.object({ productId: Id, quantity: Quantity.refine((q) => q !== 0, "must not be 0") })).min(1).max(250),
  userId: Id,
  at: Instant,
});

export const PushItem = z.discriminatedUnion("type", [
  PushSaleItem, PushSessionOpenItem, PushSessionCloseItem, PushCashEventItem, PushVoidItem, PushAdjustmentItem,
]);
export type PushItem = z.output<typeof PushItem>;
export type PushSaleItem = z.output<typeof PushSaleItem>;

/** Items are checked one by one (a malformed one is rejected, the rest still apply), so the body only bounds them. */
export const PushBody = z.object({
  items: z.array(z.record(z.string(), z.unknown())
    .describe("A record: `type` is session_open, session_close, cash_event, sale, void or adjustment, and the record is checked against that kind's schema (a malformed one is rejected alone)"))
    .min(1, "send at least one record").max(MAX_PUSH_ITEMS, `at most ${MAX_PUSH_ITEMS} records per push`),
});

export const PUSH_STATUSES = ["applied", "duplicate", "rejected"] as const;

export const PushItemResult = z.object({
  /** The item's place in the batch sent. */
  index: z.int(),
  type: z.string().nullable(),
  id: z.string().nullable(),
  status: z.enum(PUSH_STATUSES),
  code: z.string().optional(),
  message: z.string().optional(),
  fields: z.array(z.object({ path: z.string(), message: z.string(), received: z.unknown().optional(), expected: z.unknown().optional() })).optional(),
  /** The sync error queue entry of a rejected item (or of a flag on an applied one). */
  errorId: Id.optional(),
  /** Applied, and worth a person's look (e.g. CASHIER_INACTIVE: the cashier was deactivated since). */
  flags: z.array(z.string()).optional(),
});
export type PushItemResult = z.infer<typeof PushItemResult>;

export const ZAmendment = z.object({ sessionId: Id, zNumber: z.int(), revision: z.int(), net: z.int(), previousNet: z.int() });
export type ZAmendment = z.infer<typeof ZAmendment>;

export const PushResult = z.object({
  results: z.array(PushItemResult),
  applied: z.int(),
  duplicate: z.int(),
  rejected: z.int(),
  /** Z reports amended because records of their (closed) sessions arrived after the close. */
  amendedZReports: z.array(ZAmendment),
  serverTime: Timestamp,
});
export type PushResult = z.infer<typeof PushResult>;

// The error queue

export const SYNC_ERROR_KINDS = ["rejected", "flagged"] as const;
export const SYNC_ERROR_STATUSES = ["pending", "resolved"] as const;

export const SyncError = z.object({
  id: Id,
  storeId: Id,
  deviceId: Id.nullable(),
  registerId: Id.nullable(),
  itemType: z.string(),
  clientId: z.string(),
  /** rejected: the record was not applied; flagged: it was applied, and a person should look at it. */
  kind: z.enum(SYNC_ERROR_KINDS),
  status: z.enum(SYNC_ERROR_STATUSES),
  code: z.string(),
  message: z.string(),
  fields: z.array(z.record(z.string(), z.unknown())).nullable(),
  payload: z.unknown(),
  attempts: z.int(),
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
  resolvedAt: Timestamp.nullable(),
  resolvedBy: Id.nullable(),
  /** applied: a retry (or a later push) applied it; duplicate: it was found applied; manual: a person resolved it. */
  resolution: z.enum(["applied", "duplicate", "manual"]).nullable(),
  note: z.string().nullable(),
  version: z.int(),
});
export type SyncError = z.infer<typeof SyncError>;

export const SyncErrorQuery = PageQuery.extend({
  store_id: Id.optional(),
  status: z.enum(SYNC_ERROR_STATUSES).optional(),
  kind: z.enum(SYNC_ERROR_KINDS).optional(),
});

export const ResolveSyncErrorBody = z.object({ note: SingleLineText(500).min(1, "say how it was resolved") });

export const RetryAllBody = z.object({ storeId: Id.optional() });

export const RetryResult = z.object({ error: SyncError, result: PushItemResult });
export const RetryAllResult = z.object({
  retried: z.int(),
  applied: z.int(),
  duplicate: z.int(),
  rejected: z.int(),
  /** Pending entries left beyond this call's bound: call again. */
  remaining: z.int(),
  results: z.array(RetryResult),
});

export const SYNC_OFFLINE_AFTER_MS = 15 * 60 * 1000;

export const SyncDevice = z.object({
  id: Id,
  kind: z.string(),
  name: z.string(),
  registerId: Id.nullable(),
  lastSeenAt: Timestamp.nullable(),
  lastPullAt: Timestamp.nullable(),
  lastPullSeq: z.int().nullable(),
  lastPushAt: Timestamp.nullable(),
  online: z.boolean(),
});

export const SyncStoreState = z.object({
  storeId: Id,
  storeCode: z.string(),
  storeName: z.string(),
  lastPullAt: Timestamp.nullable(),
  lastPushAt: Timestamp.nullable(),
  lastContactAt: Timestamp.nullable(),
  /** Some device of the store was in contact within the last 15 minutes. */
  online: z.boolean(),
  pendingErrors: z.int(),
  pendingFlags: z.int(),
  devices: z.array(SyncDevice),
});
export type SyncStoreState = z.infer<typeof SyncStoreState>;

export const SyncDashboard = z.object({ generatedAt: Timestamp, stores: z.array(SyncStoreState) });

export const SyncStatus = z.object({
  serverTime: Timestamp,
  storeId: Id,
  device: SyncDevice,
  pendingErrors: z.int(),
  pendingFlags: z.int(),
  /** The device's own pending errors, newest first (at most 20). */
  errors: z.array(SyncError),
});
