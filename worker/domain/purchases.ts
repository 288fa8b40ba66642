import { and, asc, desc, eq, getTableColumns, gte, isNull, lt, sql } from "drizzle-orm";
import type { z } from "zod";
import type { PageQuery } from "../../schema/contracts/common";
import type { AddPurchaseBody, Purchase, PurchaseListQuery, PurchaseSummary } from "../../schema/contracts/purchases";
import { auditLog, changeFeed, customers, externalPurchaseLines, externalPurchases, products } from "../../schema/db";
import { commit, type Statement } from "../db/batch";
import { jsonField, jsonRows } from "../db/json-rows";
import { readPage, type Page } from "../db/paging";
import type { TenantScope } from "../db/tenant-scope";
import type { PrincipalContext } from "./context";
import { auditActor } from "./entity";
import { businessRule, conflict, notFound, validationFailed, type FieldError } from "./errors";
import { requestHash } from "./idempotency";
import { requirePermission, storeAccess } from "./principal-access";
import { checkPurchaseTotals } from "./purchase-totals";
import { inJson } from "./references";
import { toIso } from "./versioning";

/**
 * Purchases a customer made in another system (a web shop, an ERP), recorded for their purchase history
 * (purchases.create; listed with purchases.view, by customer and date). A recorded purchase is history, not a
 * stock movement: the other system sold the goods from its own stock and booked them there, so nothing here
 * touches levels, registers or the till's reports.
 *
 * One record per (tenant, source, transactionId), kept by a unique index. Recording is one D1 batch whose insert
 * does nothing when the key is taken, whose lines, feed row and audit entry are written only if the insert was,
 * and which reads back whatever record holds the key. So a second identical call, even one racing the first,
 * writes nothing and answers the record; a different purchase under a used transactionId is a 409
 * PURCHASE_TRANSACTION_EXISTS naming it (with the record there). "Identical" is the same request as the route
 * understood it (a canonical hash of the validated body).
 */

type PurchaseRow = typeof externalPurchases.$inferSelect;
type LineRow = typeof externalPurchaseLines.$inferSelect;
const P = externalPurchases;
const L = externalPurchaseLines;

/** A purchase may be dated a little ahead of this server's clock (another system's clock), not more. */
const FUTURE_SKEW_MS = 5 * 60_000;
const EARLIEST = Date.parse("2000-01-01T00:00:00Z");

const summaryDto = (r: PurchaseRow): Omit<Purchase, "lines"> => ({
  id: r.id, source: r.source, transactionId: r.transactionId, customerId: r.customerId, storeId: r.storeId, purchasedAt: toIso(r.purchasedAt),
  currency: r.currency, pricesIncludeTax: r.pricesIncludeTax, subtotal: r.subtotal, taxTotal: r.taxTotal, total: r.total, payments: r.payments,
  note: r.note, version: r.version, createdAt: toIso(r.createdAt),
});

export const purchaseDto = (r: PurchaseRow, lines: LineRow[]): Purchase => ({
  ...summaryDto(r),
  lines: [...lines].sort((a, b) => a.lineNo - b.lineNo).map((l) => ({
    lineNo: l.lineNo, productId: l.productId, sku: l.sku, description: l.description, quantity: l.quantity, unitPrice: l.unitPrice,
    discount: l.discount, lineTotal: l.lineTotal, taxAmount: l.taxAmount, taxRate: l.taxRate,
  })),
});

const byKey = (scope: TenantScope, source: string, transactionId: string) => scope.where(P, eq(P.source, source), eq(P.transactionId, transactionId));
const keyedPurchase = (scope: TenantScope, source: string, transactionId: string) => scope.db.select().from(P).where(byKey(scope, source, transactionId));
const keyedLines = (scope: TenantScope, source: string, transactionId: string) =>
  scope.db.select().from(L).where(sql`${L.purchaseId} IN (SELECT ${P.id} FROM ${P} WHERE ${byKey(scope, source, transactionId)})`);

/** The record under the key, if it is this same request; 409 naming the transactionId (with the record, to a reader of purchases) if it is another. */
function sameOrConflict(ctx: PrincipalContext, row: PurchaseRow, lines: LineRow[], hash: string): Purchase {
  const existing = purchaseDto(row, lines);
  if (row.requestHash === hash) return existing;
  throw conflict(
    "PURCHASE_TRANSACTION_EXISTS",
    `Source ${row.source} already has a purchase with transactionId ${row.transactionId}, with other content; a new purchase needs a new transactionId`,
    // What is recorded there is shown to those who may read purchases.
    ctx.principal.permissions.has("purchases.view") ? existing : undefined,
    [{ path: "transactionId", message: `is already recorded for source ${row.source} (purchase ${row.id})` }],
  );
}

interface ProductRef { id: string; sku: string }

/** 422 UNKNOWN_REFERENCE for a customer or a line's productId that is not the tenant's live one; the product each line links to. */
function resolveReferences(body: AddPurchaseBody, customerRows: unknown[], byId: ProductRef[], bySku: ProductRef[]): (string | null)[] {
  const fields: FieldError[] = [];
  if (!customerRows.length) fields.push({ path: "customerId", message: "is not a customer of this tenant" });
  const ids = new Set(byId.map((p) => p.id));
  const skus = new Map(bySku.map((p) => [p.sku, p.id]));
  const linked = body.lines.map((line, i) => {
    if (line.productId) {
      if (!ids.has(line.productId)) fields.push({ path: `lines.${i}.productId`, message: "is not a product of this tenant" });
      return line.productId;
    }
    return line.sku ? (skus.get(line.sku) ?? null) : null;
  });
  if (fields.length) throw businessRule("UNKNOWN_REFERENCE", "The purchase names a customer or products that do not exist", fields);
  return linked;
}

export async function addPurchase(ctx: PrincipalContext, body: AddPurchaseBody): Promise<Purchase> {
  const { scope, principal, request } = ctx;
  requirePermission(principal, "purchases.create");
  const figures = checkPurchaseTotals(body);
  const hash = await requestHash(body);

  const productIds = [...new Set(body.lines.flatMap((l) => (l.productId ? [l.productId] : [])))];
  const skus = [...new Set(body.lines.flatMap((l) => (!l.productId && l.sku ? [l.sku] : [])))];
  const access = body.storeId ? storeAccess(ctx, body.storeId, "purchases.create") : undefined;
  const liveProducts = (where: ReturnType<typeof inJson>) =>
    scope.db.select({ id: products.id, sku: products.sku }).from(products).where(scope.where(products, where, isNull(products.deletedAt)));
  const [existingRows, existingLines, customerRows, byId, bySku, ...accessRows] = (await scope.db.batch([
    keyedPurchase(scope, body.source, body.transactionId),
    keyedLines(scope, body.source, body.transactionId),
    scope.db.select({ id: customers.id }).from(customers).where(scope.where(customers, eq(customers.id, body.customerId), isNull(customers.deletedAt))),
    liveProducts(inJson(products.id, productIds)),
    liveProducts(inJson(products.sku, skus)),
    ...(access?.queries ?? []),
  ] as unknown as [Statement, ...Statement[]])) as unknown[][];
  // Recorded already: the answer is the record (or the conflict), whatever has changed around it since.
  const existing = (existingRows as PurchaseRow[])[0];
  if (existing) return sameOrConflict(ctx, existing, existingLines as LineRow[], hash);

  const purchasedAt = Date.parse(body.purchasedAt);
  if (purchasedAt > request.now + FUTURE_SKEW_MS) throw validationFailed([{ path: "purchasedAt", message: "is in the future" }]);
  if (purchasedAt < EARLIEST) throw validationFailed([{ path: "purchasedAt", message: "must be in 2000 or later" }]);
  access?.verify(accessRows);
  const linked = resolveReferences(body, customerRows!, byId as ProductRef[], bySku as ProductRef[]);

  const id = crypto.randomUUID();
  const actor = auditActor(ctx);
  const row: PurchaseRow = {
    id, tenantId: scope.tenantId, source: body.source, transactionId: body.transactionId, customerId: body.customerId, storeId: body.storeId ?? null,
    purchasedAt, currency: body.currency, pricesIncludeTax: body.pricesIncludeTax, subtotal: figures.subtotal, taxTotal: figures.taxTotal, total: figures.total,
    payments: body.payments.map((p) => ({ method: p.method, amount: p.amount, reference: p.reference ?? null })), note: body.note ?? null,
    requestHash: hash, createdByType: actor.actorType, createdBy: actor.actorId, version: 1, createdAt: request.now,
  };
  const lines = body.lines.map((l, i) => ({
    id: crypto.randomUUID(), lineNo: i + 1, productId: linked[i], sku: l.sku ?? null, description: l.description ?? null, quantity: l.quantity,
    unitPrice: l.unitPrice, discount: figures.discounts[i]!, lineTotal: l.lineTotal, taxAmount: l.taxAmount, taxRate: l.taxRate ?? null,
  }));
  // What follows the insert is written only if the insert was (the row with this id exists).
  const inserted = scope.db.select({ id: P.id }).from(P).where(eq(P.id, id));
  const field = (name: keyof (typeof lines)[number]) => jsonField(name);
  const statements: Statement[] = [
    scope.db.insert(P).values(row).onConflictDoNothing({ target: [P.tenantId, P.source, P.transactionId] }),
    scope.db.insert(L).select(sql`SELECT ${field("id")}, ${scope.tenantId}, ${id}, ${field("lineNo")}, ${field("productId")}, ${field("sku")}, ${field("description")},
      ${field("quantity")}, ${field("unitPrice")}, ${field("discount")}, ${field("lineTotal")}, ${field("taxAmount")}, ${field("taxRate")}
      FROM ${jsonRows(lines)} WHERE EXISTS ${inserted}`) as unknown as Statement,
    scope.db.insert(changeFeed).select(
      scope.db.select({
        seq: sql`NULL`.as("seq"), tenantId: P.tenantId, storeId: P.storeId, entity: sql`'purchase'`.as("entity"), entityId: P.id,
        op: sql`'upsert'`.as("op"), version: P.version, at: sql`${request.now}`.as("at"),
      }).from(P).where(eq(P.id, id)) as never,
    ),
    scope.db.insert(auditLog).select(
      scope.db.select({
        id: sql`${crypto.randomUUID()}`.as("id"), tenantId: P.tenantId, at: sql`${request.now}`.as("at"), actorType: sql`${actor.actorType}`.as("actor_type"),
        actorId: sql`${actor.actorId}`.as("actor_id"), action: sql`'purchase.create'`.as("action"), entity: sql`'purchase'`.as("entity"), entityId: P.id,
        ip: sql`${request.ip}`.as("ip"), requestId: sql`${request.requestId}`.as("request_id"),
        detail: sql`${JSON.stringify({ source: row.source, transactionId: row.transactionId, customerId: row.customerId, total: row.total, lines: lines.length })}`.as("detail"),
      }).from(P).where(eq(P.id, id)) as never,
    ),
    keyedPurchase(scope, body.source, body.transactionId),
    keyedLines(scope, body.source, body.transactionId),
  ];
  const results = (await commit(scope.db, statements)) as unknown[][];
  const [held] = results.at(-2) as PurchaseRow[];
  if (!held) throw new Error("purchase: no record under its key after the write");
  // Another call recorded the key first (a race): its record is the answer, or the conflict.
  return held.id === id ? purchaseDto(held, results.at(-1) as LineRow[]) : sameOrConflict(ctx, held, results.at(-1) as LineRow[], hash);
}

export async function getPurchase(ctx: PrincipalContext, id: string): Promise<Purchase> {
  const { scope } = ctx;
  requirePermission(ctx.principal, "purchases.view");
  const [rows, lines] = await scope.db.batch([
    scope.db.select().from(P).where(scope.where(P, eq(P.id, id))),
    scope.db.select().from(L).where(scope.where(L, eq(L.purchaseId, id))),
  ]);
  const row = (rows as PurchaseRow[])[0];
  if (!row) throw notFound("Purchase");
  return purchaseDto(row, lines as LineRow[]);
}

/** A date alone is its UTC midnight. */
const instant = (text: string) => Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);

/** A customer's (or the tenant's) recorded purchases, newest first, without lines; date_from inclusive, date_to exclusive. */
export function listPurchases(ctx: PrincipalContext, q: z.output<typeof PurchaseListQuery> & PageQuery): Promise<Page<PurchaseSummary>> {
  const { scope } = ctx;
  requirePermission(ctx.principal, "purchases.view");
  const where = scope.where(
    P,
    q.customerId ? eq(P.customerId, q.customerId) : undefined,
    q.storeId ? eq(P.storeId, q.storeId) : undefined,
    q.source ? eq(P.source, q.source) : undefined,
    q.transactionId ? eq(P.transactionId, q.transactionId) : undefined,
    q.date_from ? gte(P.purchasedAt, instant(q.date_from)) : undefined,
    q.date_to ? lt(P.purchasedAt, instant(q.date_to)) : undefined,
  );
  // The outer column spelled out: drizzle writes a column of the selected table unqualified, which inside the
  // subquery would be the line's own id.
  const lineCount = sql<number>`(SELECT count(*) FROM ${L} l WHERE l.purchase_id = "external_purchases"."id")`.as("line_count");
  const rows = scope.db.select({ ...getTableColumns(P), lineCount }).from(P).where(and(where)).orderBy(desc(P.purchasedAt), asc(P.id));
  return readPage(scope.db, P, where, rows, q, (r) => {
    const { lineCount: count, ...purchase } = r as PurchaseRow & { lineCount: number };
    return { ...summaryDto(purchase), lineCount: count };
  });
}

export interface PurchaseHistoryQuery {
  id?: string | null;
  customerId?: string | null;
  storeId?: string | null;
  source?: string | null;
  transactionId?: string | null;
  /** Inclusive, epoch ms. */
  from?: number | null;
  /** Exclusive, epoch ms. */
  to?: number | null;
  skip: number;
  first: number;
}

/**
 * Purchase history for the integrator faces (GraphQL): recorded purchases with their lines, oldest first, as sale
 * history pages (`skip`/`first`, one past the page to tell `hasMore`), in one D1 round trip whatever the page size.
 */
export async function purchaseHistory(ctx: PrincipalContext, q: PurchaseHistoryQuery): Promise<{ purchases: Purchase[]; hasMore: boolean }> {
  requirePermission(ctx.principal, "purchases.view");
  if (q.from != null && q.to != null && q.to <= q.from) throw validationFailed([{ path: "toDate", message: "must be after fromDate" }]);
  const { scope } = ctx;
  const where = scope.where(
    P,
    q.id ? eq(P.id, q.id) : undefined,
    q.customerId ? eq(P.customerId, q.customerId) : undefined,
    q.storeId ? eq(P.storeId, q.storeId) : undefined,
    q.source ? eq(P.source, q.source) : undefined,
    q.transactionId ? eq(P.transactionId, q.transactionId) : undefined,
    q.from != null ? gte(P.purchasedAt, q.from) : undefined,
    q.to != null ? lt(P.purchasedAt, q.to) : undefined,
  );
  const order = [asc(P.purchasedAt), asc(P.id)];
  // The page's ids again as a subquery (the page as this batch's snapshot has it), for the lines.
  const pageIds = sql`(SELECT id FROM (${scope.db.select({ id: P.id }).from(P).where(where).orderBy(...order).limit(q.first).offset(q.skip)}))`;
  const [rows, lines] = (await scope.db.batch([
    scope.db.select().from(P).where(where).orderBy(...order).limit(q.first + 1).offset(q.skip),
    scope.db.select().from(L).where(and(eq(L.tenantId, scope.tenantId), sql`${L.purchaseId} IN ${pageIds}`)),
  ] as unknown as [Statement, Statement])) as unknown as [PurchaseRow[], LineRow[]];
  const byPurchase = new Map<string, LineRow[]>();
  for (const l of lines) byPurchase.set(l.purchaseId, [...(byPurchase.get(l.purchaseId) ?? []), l]);
  return { purchases: rows.slice(0, q.first).map((r) => purchaseDto(r, byPurchase.get(r.id) ?? [])), hasMore: rows.length > q.first };
}
