import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import type { z } from "zod";
import type {
  CreatePurchaseOrderBody, PurchaseOrder, PurchaseOrderLineBody, PurchaseOrderQuery, ReceivePurchaseOrderBody, UpdatePurchaseOrderBody, UpdatePurchaseOrderLineBody,
} from "../../schema/contracts/stock-ops";
import { changeFeed, inventoryLevels, productSuppliers, products, purchaseOrderLines, purchaseOrderReceipts, purchaseOrders, suppliers } from "../../schema/db";
import type { Permission } from "../../schema/permissions";
import { expectOneChange, isGuardFailure, rawStatement, type Statement } from "../db/batch";
import { insertFromJson, jsonField, jsonRows } from "../db/json-rows";
import { readPage } from "../db/paging";
import type { TenantScope } from "../db/tenant-scope";
import type { Page } from "../db/paging";
import { conflict, notFound, businessRule, type FieldError } from "./errors";
import type { ServiceContext } from "./context";
import { recordAudit, recordChange } from "./journal";
import { inJson } from "./references";
import { levelFeedStatement, stockStatements } from "./stock";
import { callerAccess, productsQuery, requireIn, requireStatus, requireStore, requireTracked, storesQuery, valueOf, type ProductRef } from "./stock-docs";
import { checkVersion, commitWrite, toIso, toIsoOrNull } from "./versioning";

/**
 * Purchase orders to suppliers, for one store: draft → submitted → approved → sent → partially received →
 * received, or cancelled before it is fully received (what was received stays). Lines (product, quantity, unit
 * cost per unit, the supplier's SKU) are added, edited and removed while draft; the product–supplier link gives
 * the defaults of cost and SKU. A draft may be deleted.
 *
 * A receipt books quantities of some lines into the store (stock movements `receipt`, their `unit_cost` the
 * line's) and, unless told not to, moves each product's cost price to the weighted average of the stock on hand
 * in all the tenant's stores (below zero counts as none) and what arrived, in the same batch; the movement keeps
 * the average after it (`average_cost`). A line cannot be received past its quantity unless it allows it.
 *
 * Every step compare-and-sets the order's version and status in its batch: of two concurrent steps one wins.
 * A receipt without a version that loses such a race is checked again against the order as it now is and
 * retried, so concurrent receipts of different lines both succeed, and of the last units one wins (the other is
 * 422 OVER_RECEIPT). Permissions are checked in the order's store.
 */

type Row = typeof purchaseOrders.$inferSelect;
type Status = Row["status"];
type LineRow = Omit<typeof purchaseOrderLines.$inferSelect, "tenantId">;
type LineWithProduct = { line: LineRow; sku: string; name: string };
type ReceiptRow = typeof purchaseOrderReceipts.$inferSelect;

const OPEN_FOR_RECEIPT: Status[] = ["sent", "partially_received"];
const CANCELLABLE: Status[] = ["draft", "submitted", "approved", "sent", "partially_received"];

const lineDto = ({ line, sku, name }: LineWithProduct) => ({
  id: line.id,
  productId: line.productId,
  sku,
  name,
  supplierSku: line.supplierSku,
  quantity: line.quantity,
  unitCost: line.unitCost,
  lineTotal: valueOf(line.quantity, line.unitCost),
  receivedQuantity: line.receivedQuantity,
  allowOverReceipt: line.allowOverReceipt,
});

const receiptDto = (r: ReceiptRow) => ({
  id: r.id, receivedBy: r.receivedBy, receivedAt: toIso(r.receivedAt), updatedCost: r.updatedCost, note: r.note, lines: r.lines,
});

function dto(row: Row, total: number, lines?: LineWithProduct[], receipts?: ReceiptRow[]): PurchaseOrder {
  return {
    id: row.id,
    storeId: row.storeId,
    supplierId: row.supplierId,
    status: row.status,
    expectedDeliveryDate: row.expectedDeliveryDate,
    notes: row.notes,
    total,
    createdBy: row.createdBy,
    submittedBy: row.submittedBy,
    submittedAt: toIsoOrNull(row.submittedAt),
    approvedBy: row.approvedBy,
    approvedAt: toIsoOrNull(row.approvedAt),
    sentBy: row.sentBy,
    sentAt: toIsoOrNull(row.sentAt),
    receivedAt: toIsoOrNull(row.receivedAt),
    cancelledBy: row.cancelledBy,
    cancelledAt: toIsoOrNull(row.cancelledAt),
    version: row.version,
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
    ...(lines ? { lines: lines.map(lineDto) } : {}),
    ...(receipts ? { receipts: receipts.map(receiptDto) } : {}),
  };
}

const full = (row: Row, lines: LineWithProduct[], receipts: ReceiptRow[]) =>
  dto(row, lines.reduce((s, l) => s + valueOf(l.line.quantity, l.line.unitCost), 0), lines, receipts);

const orderQuery = (scope: TenantScope, id: string) => scope.select(purchaseOrders, eq(purchaseOrders.id, id), isNull(purchaseOrders.deletedAt));
const linesQuery = (scope: TenantScope, id: string) =>
  scope.db
    .select({ line: purchaseOrderLines, sku: products.sku, name: products.name })
    .from(purchaseOrderLines)
    .innerJoin(products, eq(products.id, purchaseOrderLines.productId))
    .where(scope.where(purchaseOrderLines, eq(purchaseOrderLines.purchaseOrderId, id)))
    .orderBy(asc(purchaseOrderLines.sortOrder), asc(purchaseOrderLines.id));
const receiptsQuery = (scope: TenantScope, id: string) =>
  scope.select(purchaseOrderReceipts, eq(purchaseOrderReceipts.purchaseOrderId, id)).orderBy(asc(purchaseOrderReceipts.receivedAt), asc(purchaseOrderReceipts.id));

interface Loaded {
  row: Row;
  lines: LineWithProduct[];
  receipts: ReceiptRow[];
  access: unknown[];
  current: () => PurchaseOrder;
}

/** The order, its lines and receipts and the caller's store roles, in one round trip; 404 when not the tenant's. */
async function load(ctx: ServiceContext, id: string): Promise<Loaded> {
  const { scope } = ctx;
  const [rows, lines, receipts, access] = await scope.db.batch([orderQuery(scope, id), linesQuery(scope, id), receiptsQuery(scope, id), callerAccess(ctx)]);
  const row = rows[0] as Row | undefined;
  if (!row) throw notFound("Purchase order");
  const withProducts = lines as LineWithProduct[];
  return { row, lines: withProducts, receipts: receipts as ReceiptRow[], access, current: () => full(row, withProducts, receipts as ReceiptRow[]) };
}

/** Load, check the client's version, the order's state and the permission in its store. */
async function loadFor(ctx: ServiceContext, id: string, expectedVersion: number | undefined, permission: Permission, allowed: readonly Status[], action: string) {
  const loaded = await load(ctx, id);
  checkVersion("Purchase order", loaded.row.version, expectedVersion, loaded.current);
  requireStatus("purchase order", loaded.row.status, allowed, action, loaded.current);
  requireIn(loaded.access, loaded.row.storeId, permission);
  return loaded;
}

export async function getPurchaseOrder(ctx: ServiceContext, id: string): Promise<PurchaseOrder> {
  const { scope } = ctx;
  const [rows, lines, receipts] = await scope.db.batch([orderQuery(scope, id), linesQuery(scope, id), receiptsQuery(scope, id)]);
  const row = rows[0] as Row | undefined;
  if (!row) throw notFound("Purchase order");
  return full(row, lines as LineWithProduct[], receipts as ReceiptRow[]);
}

/** Newest first, without lines. */
export function listPurchaseOrders(ctx: ServiceContext, q: z.output<typeof PurchaseOrderQuery>): Promise<Page<PurchaseOrder>> {
  const { scope } = ctx;
  const where = scope.where(
    purchaseOrders,
    isNull(purchaseOrders.deletedAt),
    q.status ? eq(purchaseOrders.status, q.status) : undefined,
    q.supplier_id ? eq(purchaseOrders.supplierId, q.supplier_id) : undefined,
    q.store_id ? eq(purchaseOrders.storeId, q.store_id) : undefined,
  );
  // Qualified by hand: drizzle leaves a one-table select's columns unqualified, which the subquery would take as its own.
  const total = sql<number>`(SELECT coalesce(sum((l.quantity * l.unit_cost + 500) / 1000), 0) FROM ${purchaseOrderLines} l WHERE l.purchase_order_id = "purchase_orders"."id")`;
  const rows = scope.db.select({ row: purchaseOrders, total }).from(purchaseOrders).where(where).orderBy(desc(purchaseOrders.createdAt), asc(purchaseOrders.id));
  return readPage(scope.db, purchaseOrders, where, rows, q, (r) => dto(r.row, r.total));
}

const journal = (ctx: ServiceContext, row: Row, action: string, detail?: Record<string, unknown>, op: "upsert" | "delete" = "upsert"): Statement[] => [
  recordChange(ctx.scope, { entity: "purchase_order", entityId: row.id, op, version: row.version, storeId: row.storeId }, ctx.request.now),
  recordAudit(ctx.scope.db, { tenantId: ctx.scope.tenantId, actorType: "user", actorId: ctx.actor.userId, action: `purchase_order.${action}`, entity: "purchase_order", entityId: row.id, detail }, ctx.request),
];

/** The next version of the order, the UPDATE that writes it only over the version and status read, and its guard. */
function advance(ctx: ServiceContext, current: Row, changes: Partial<Row>) {
  const next: Row = { ...current, ...changes, version: current.version + 1, updatedAt: ctx.request.now };
  const { id: _i, tenantId: _t, createdAt: _c, ...set } = next;
  const statements: Statement[] = [
    ctx.scope.update(purchaseOrders, set, eq(purchaseOrders.id, current.id), eq(purchaseOrders.version, current.version), eq(purchaseOrders.status, current.status), isNull(purchaseOrders.deletedAt)),
    expectOneChange(ctx.scope.db),
  ];
  return { next, statements };
}

/** After a lost race: 409 with the order as it is now. */
const stale = (ctx: ServiceContext, id: string, was: Status) => async (): Promise<never> => {
  const now = await getPurchaseOrder(ctx, id);
  if (now.status !== was) throw conflict("INVALID_STATE", `The purchase order was made ${now.status.replace("_", " ")} by another request meanwhile`, now);
  throw conflict("VERSION_CONFLICT", `The purchase order changed while you worked on it; it is now at version ${now.version}`, now);
};

const lineTaken = (productId: string) => ({
  column: "purchase_order_lines.purchase_order_id",
  error: () => conflict("PRODUCT_ALREADY_ON_ORDER", `Product ${productId} already has a line on this purchase order; edit that line`),
});

const linksQuery = (scope: TenantScope, supplierId: string, productIds: readonly string[]) =>
  scope.db
    .select({ productId: productSuppliers.productId, supplierSku: productSuppliers.supplierSku, costPrice: productSuppliers.costPrice })
    .from(productSuppliers)
    .where(scope.where(productSuppliers, eq(productSuppliers.supplierId, supplierId), inJson(productSuppliers.productId, productIds), isNull(productSuppliers.deletedAt)));

const supplierQuery = (scope: TenantScope, id: string) => scope.db.select({ id: suppliers.id }).from(suppliers).where(scope.where(suppliers, eq(suppliers.id, id), isNull(suppliers.deletedAt)));

function requireSupplier(rows: unknown[]) {
  if (!rows[0]) throw businessRule("UNKNOWN_REFERENCE", "The supplier does not exist", [{ path: "supplierId", message: "is not a supplier of this tenant" }]);
}

type LineBody = z.output<typeof PurchaseOrderLineBody>;

/** Lines as stored: the body's, with the link's (else the product's) cost and the link's SKU where it gave none. */
function lineRows(orderId: string, body: LineBody[], links: { productId: string; supplierSku: string | null; costPrice: number | null }[], byId: Map<string, ProductRef>, firstSort = 0): LineRow[] {
  const link = new Map(links.map((l) => [l.productId, l]));
  return body.map((l, i) => ({
    id: crypto.randomUUID(),
    purchaseOrderId: orderId,
    productId: l.productId,
    supplierSku: l.supplierSku !== undefined ? l.supplierSku : link.get(l.productId)?.supplierSku ?? null,
    quantity: l.quantity,
    unitCost: l.unitCost ?? link.get(l.productId)?.costPrice ?? byId.get(l.productId)!.costPrice,
    receivedQuantity: 0,
    allowOverReceipt: l.allowOverReceipt,
    sortOrder: firstSort + i,
  }));
}

const named = (rows: LineRow[], byId: Map<string, ProductRef>): LineWithProduct[] => rows.map((line) => ({ line, sku: byId.get(line.productId)!.sku, name: byId.get(line.productId)!.name }));

export async function createPurchaseOrder(ctx: ServiceContext, body: z.output<typeof CreatePurchaseOrderBody>): Promise<PurchaseOrder> {
  const { scope, actor, request } = ctx;
  const storeId = body.storeId ?? actor.storeId;
  const productIds = body.lines.map((l) => l.productId);
  const [storeRows, supplierRows, productRows, links, access] = await scope.db.batch([
    storesQuery(scope, [storeId]), supplierQuery(scope, body.supplierId), productsQuery(scope, productIds), linksQuery(scope, body.supplierId, productIds), callerAccess(ctx),
  ]);
  const store = requireStore(storeRows, storeId, "storeId");
  requireSupplier(supplierRows);
  requireIn(access, storeId, "purchase_orders.create", store.code);
  const byId = requireTracked(productRows, productIds);

  const now = request.now;
  const row: Row = {
    id: crypto.randomUUID(), tenantId: scope.tenantId, storeId, supplierId: body.supplierId, status: "draft", expectedDeliveryDate: body.expectedDeliveryDate ?? null,
    notes: body.notes, createdBy: actor.userId, submittedBy: null, submittedAt: null, approvedBy: null, approvedAt: null, sentBy: null, sentAt: null,
    receivedAt: null, cancelledBy: null, cancelledAt: null, version: 1, createdAt: now, updatedAt: now, deletedAt: null,
  };
  const lines = lineRows(row.id, body.lines, links, byId);
  await commitWrite(scope.db, [
    scope.insert(purchaseOrders, row),
    ...(lines.length ? [insertFromJson(scope, purchaseOrderLines, lines)] : []),
    ...journal(ctx, row, "create", { lines: lines.length }),
  ]);
  return full(row, named(lines, byId), []);
}

export async function updatePurchaseOrder(ctx: ServiceContext, id: string, { version: _v, ...body }: z.output<typeof UpdatePurchaseOrderBody>, expectedVersion: number | undefined) {
  const { scope } = ctx;
  const o = await loadFor(ctx, id, expectedVersion, "purchase_orders.edit", CANCELLABLE, "edited");
  if (body.supplierId !== undefined && body.supplierId !== o.row.supplierId) {
    requireStatus("purchase order", o.row.status, ["draft"], "given another supplier", o.current);
    requireSupplier(await supplierQuery(scope, body.supplierId));
  }
  const changes: Partial<Row> = {
    ...(body.supplierId !== undefined ? { supplierId: body.supplierId } : {}),
    ...(body.expectedDeliveryDate !== undefined ? { expectedDeliveryDate: body.expectedDeliveryDate } : {}),
    ...(body.notes !== undefined ? { notes: body.notes } : {}),
  };
  const { next, statements } = advance(ctx, o.row, changes);
  await commitWrite(scope.db, [...statements, ...journal(ctx, next, "update", { fields: Object.keys(changes) })], { onStale: stale(ctx, id, o.row.status) });
  return full(next, o.lines, o.receipts);
}

/** A step that only changes the order's state (and who and when), in one batch with its feed row and audit entry. */
async function transition(
  ctx: ServiceContext, id: string, expectedVersion: number | undefined, permission: Permission, from: readonly Status[], action: string, past: string,
  changes: (o: Loaded) => Partial<Row>,
) {
  const o = await loadFor(ctx, id, expectedVersion, permission, from, past);
  const { next, statements } = advance(ctx, o.row, changes(o));
  await commitWrite(ctx.scope.db, [...statements, ...journal(ctx, next, action)], { onStale: stale(ctx, id, o.row.status) });
  return full(next, o.lines, o.receipts);
}

const by = (ctx: ServiceContext) => ({ userId: ctx.actor.userId, at: ctx.request.now });

export const submitPurchaseOrder = (ctx: ServiceContext, id: string, v: number | undefined) =>
  transition(ctx, id, v, "purchase_orders.create", ["draft"], "submit", "submitted", (o) => {
    if (o.lines.length === 0) throw businessRule("EMPTY_ORDER", "A purchase order needs at least one line to be submitted", [{ path: "lines", message: "has no lines" }]);
    return { status: "submitted", submittedBy: by(ctx).userId, submittedAt: by(ctx).at };
  });

export const approvePurchaseOrder = (ctx: ServiceContext, id: string, v: number | undefined) =>
  transition(ctx, id, v, "purchase_orders.approve", ["submitted"], "approve", "approved", () => ({ status: "approved", approvedBy: by(ctx).userId, approvedAt: by(ctx).at }));

export const sendPurchaseOrder = (ctx: ServiceContext, id: string, v: number | undefined) =>
  transition(ctx, id, v, "purchase_orders.edit", ["approved"], "send", "sent", () => ({ status: "sent", sentBy: by(ctx).userId, sentAt: by(ctx).at }));

export const cancelPurchaseOrder = (ctx: ServiceContext, id: string, v: number | undefined) =>
  transition(ctx, id, v, "purchase_orders.edit", CANCELLABLE, "cancel", "cancelled", () => ({ status: "cancelled", cancelledBy: by(ctx).userId, cancelledAt: by(ctx).at }));

/** Soft delete of a draft: gone from the API, kept for history; its feed row says delete. */
export async function deletePurchaseOrder(ctx: ServiceContext, id: string, expectedVersion: number | undefined) {
  const o = await loadFor(ctx, id, expectedVersion, "purchase_orders.delete", ["draft"], "deleted");
  const { next, statements } = advance(ctx, o.row, { deletedAt: ctx.request.now });
  await commitWrite(ctx.scope.db, [...statements, ...journal(ctx, next, "delete", undefined, "delete")], { onStale: stale(ctx, id, o.row.status) });
}

export async function addPurchaseOrderLine(ctx: ServiceContext, id: string, body: LineBody, expectedVersion: number | undefined) {
  const { scope } = ctx;
  const o = await loadFor(ctx, id, expectedVersion, "purchase_orders.edit", ["draft"], "edited");
  if (o.lines.some((l) => l.line.productId === body.productId)) throw lineTaken(body.productId).error();
  const [productRows, links] = await scope.db.batch([productsQuery(scope, [body.productId]), linksQuery(scope, o.row.supplierId, [body.productId])]);
  const byId = requireTracked(productRows, [body.productId], "items");
  const [line] = lineRows(id, [body], links, byId, (o.lines.at(-1)?.line.sortOrder ?? -1) + 1);
  const { next, statements } = advance(ctx, o.row, {});
  await commitWrite(scope.db, [...statements, scope.insert(purchaseOrderLines, line!), ...journal(ctx, next, "line_add", { lineId: line!.id })], {
    onStale: stale(ctx, id, o.row.status), unique: [lineTaken(body.productId)],
  });
  return full(next, [...o.lines, ...named([line!], byId)], o.receipts);
}

function findLine(o: Loaded, itemId: string) {
  const found = o.lines.find((l) => l.line.id === itemId);
  if (!found) throw notFound("Purchase order line");
  return found;
}

export async function updatePurchaseOrderLine(ctx: ServiceContext, id: string, itemId: string, { version: _v, ...body }: z.output<typeof UpdatePurchaseOrderLineBody>, expectedVersion: number | undefined) {
  const o = await loadFor(ctx, id, expectedVersion, "purchase_orders.edit", ["draft"], "edited");
  const found = findLine(o, itemId);
  const changed: LineRow = {
    ...found.line,
    ...(body.quantity !== undefined ? { quantity: body.quantity } : {}),
    ...(body.unitCost !== undefined ? { unitCost: body.unitCost } : {}),
    ...(body.supplierSku !== undefined ? { supplierSku: body.supplierSku } : {}),
    ...(body.allowOverReceipt !== undefined ? { allowOverReceipt: body.allowOverReceipt } : {}),
  };
  const { next, statements } = advance(ctx, o.row, {});
  const { id: _id, purchaseOrderId: _po, ...set } = changed;
  await commitWrite(ctx.scope.db, [...statements, ctx.scope.update(purchaseOrderLines, set, eq(purchaseOrderLines.id, itemId)), ...journal(ctx, next, "line_update", { lineId: itemId })], {
    onStale: stale(ctx, id, o.row.status),
  });
  return full(next, o.lines.map((l) => (l.line.id === itemId ? { ...l, line: changed } : l)), o.receipts);
}

export async function removePurchaseOrderLine(ctx: ServiceContext, id: string, itemId: string, expectedVersion: number | undefined) {
  const o = await loadFor(ctx, id, expectedVersion, "purchase_orders.edit", ["draft"], "edited");
  findLine(o, itemId);
  const { next, statements } = advance(ctx, o.row, {});
  await commitWrite(ctx.scope.db, [...statements, ctx.scope.delete(purchaseOrderLines, eq(purchaseOrderLines.id, itemId)), ...journal(ctx, next, "line_remove", { lineId: itemId })], {
    onStale: stale(ctx, id, o.row.status),
  });
  return full(next, o.lines.filter((l) => l.line.id !== itemId), o.receipts);
}

/**
 * Products' cost prices moved to the weighted average of what the tenant has on hand (all stores, below zero as
 * none) at its cost and what arrives at the receipt's cost, rounded half up; each product's version + 1 with its
 * change-feed row. Before the receipt's movements in the batch, so that they record the new average.
 */
function averageCostStatements(scope: TenantScope, rows: { productId: string; quantity: number; unitCost: number }[], now: number): Statement[] {
  const arriving = sql`(SELECT ${jsonField("quantity")} AS q, ${jsonField("unitCost")} AS c FROM ${jsonRows(rows)} WHERE ${jsonField("productId")} = "products"."id")`;
  const onHand = sql`(SELECT max(0, coalesce(sum(l.quantity), 0)) AS q FROM ${inventoryLevels} l WHERE l.tenant_id = ${scope.tenantId} AND l.product_id = "products"."id")`;
  const ids = rows.map((r) => r.productId);
  const these = and(eq(products.tenantId, scope.tenantId), inJson(products.id, ids), isNull(products.deletedAt), eq(products.trackStock, true));
  return [
    rawStatement(scope.db, sql`UPDATE ${products} SET
      cost_price = (SELECT (2 * (h.q * "products"."cost_price" + r.q * r.c) + (h.q + r.q)) / (2 * (h.q + r.q)) FROM ${arriving} r, ${onHand} h),
      version = version + 1, updated_at = ${now}
      WHERE ${these}`),
    scope.db.insert(changeFeed).select(
      scope.db
        .select({
          seq: sql<number>`NULL`.as("seq"), tenantId: products.tenantId, storeId: sql`NULL`.as("store_id"), entity: sql<string>`'product'`.as("entity"),
          entityId: products.id, op: sql<string>`'upsert'`.as("op"), version: products.version, at: sql<number>`${now}`.as("at"),
        })
        .from(products)
        .where(these),
    ) as unknown as Statement,
  ];
}

const MAX_RECEIPT_ATTEMPTS = 5;

export async function receivePurchaseOrder(ctx: ServiceContext, id: string, body: z.output<typeof ReceivePurchaseOrderBody>, expectedVersion: number | undefined): Promise<PurchaseOrder> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await receiveOnce(ctx, id, body, expectedVersion);
    } catch (error) {
      // Lost a race without naming a version: check the receipt again against the order as it now is.
      if (expectedVersion === undefined && attempt < MAX_RECEIPT_ATTEMPTS && isGuardFailure(error)) continue;
      if (!isGuardFailure(error)) throw error;
      const now = await getPurchaseOrder(ctx, id);
      if (!OPEN_FOR_RECEIPT.includes(now.status)) throw conflict("INVALID_STATE", `The purchase order was made ${now.status.replace("_", " ")} by another request meanwhile`, now);
      throw conflict("VERSION_CONFLICT", `The purchase order changed while you received it; it is now at version ${now.version}`, now);
    }
  }
}

async function receiveOnce(ctx: ServiceContext, id: string, body: z.output<typeof ReceivePurchaseOrderBody>, expectedVersion: number | undefined): Promise<PurchaseOrder> {
  const { scope, request } = ctx;
  const o = await loadFor(ctx, id, expectedVersion, "purchase_orders.receive", OPEN_FOR_RECEIPT, "received");
  const byId = new Map(o.lines.map((l) => [l.line.id, l.line]));
  const unknown: FieldError[] = [];
  const over: FieldError[] = [];
  body.lines.forEach((r, i) => {
    const line = byId.get(r.lineId);
    if (!line) unknown.push({ path: `lines.${i}.lineId`, message: "is not a line of this purchase order" });
    else if (!line.allowOverReceipt && line.receivedQuantity + r.quantity > line.quantity) {
      over.push({ path: `lines.${i}.quantity`, message: `would receive more than was ordered (${line.quantity - line.receivedQuantity} left to receive)`, received: r.quantity, expected: line.quantity - line.receivedQuantity });
    }
  });
  if (unknown.length) throw businessRule("NOT_ON_ORDER", "Some lines are not lines of this purchase order", unknown);
  if (over.length) throw businessRule("OVER_RECEIPT", "Some lines would be received past what was ordered (a line may allow it: allowOverReceipt)", over);

  const now = request.now;
  const arrived = body.lines.map((r) => ({ lineId: r.lineId, productId: byId.get(r.lineId)!.productId, quantity: r.quantity, unitCost: byId.get(r.lineId)!.unitCost }));
  const receivedNow = new Map(arrived.map((a) => [a.lineId, a.quantity]));
  const lines = o.lines.map((l) => ({ ...l, line: { ...l.line, receivedQuantity: l.line.receivedQuantity + (receivedNow.get(l.line.id) ?? 0) } }));
  const complete = lines.every((l) => l.line.receivedQuantity >= l.line.quantity);
  const { next, statements } = advance(ctx, o.row, { status: complete ? "received" : "partially_received", receivedAt: complete ? now : null });
  const receipt: ReceiptRow = { id: crypto.randomUUID(), tenantId: scope.tenantId, purchaseOrderId: id, storeId: o.row.storeId, lines: arrived, updatedCost: body.updateCost, note: body.note, receivedBy: ctx.actor.userId, receivedAt: now };
  const moved = stockStatements(scope, { storeId: o.row.storeId, kind: "receipt", referenceId: receipt.id, userId: ctx.actor.userId, at: now, changes: arrived });
  await commitWrite(scope.db, [
    ...statements,
    rawStatement(scope.db, sql`UPDATE ${purchaseOrderLines} SET received_quantity = received_quantity + ${jsonField("quantity")}
      FROM ${jsonRows(arrived)} WHERE ${purchaseOrderLines.id} = ${jsonField("lineId")} AND ${purchaseOrderLines.tenantId} = ${scope.tenantId}`),
    ...(body.updateCost ? averageCostStatements(scope, arrived, now) : []),
    ...moved,
    ...(moved.length ? [levelFeedStatement(scope, o.row.storeId, arrived.map((a) => a.productId), now)] : []),
    scope.insert(purchaseOrderReceipts, receipt),
    ...journal(ctx, next, "receive", { receiptId: receipt.id, lines: arrived.length, complete }),
  ]);
  return full(next, lines, [...o.receipts, receipt]);
}
