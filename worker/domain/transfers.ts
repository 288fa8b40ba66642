import { asc, desc, eq, isNull, or, sql } from "drizzle-orm";
import type { z } from "zod";
import type { CreateTransferBody, ReceiveTransferBody, Transfer, TransferQuery, UpdateTransferBody } from "../../schema/contracts/stock-ops";
import { products, transferLines, transfers } from "../../schema/db";
import { expectOneChange, rawStatement, type Statement } from "../db/batch";
import { insertFromJson, jsonField, jsonRows } from "../db/json-rows";
import { readPage } from "../db/paging";
import type { Page } from "../db/paging";
import { conflict, notFound, businessRule, type FieldError } from "./errors";
import type { ServiceContext } from "./context";
import { recordAudit, recordChange } from "./journal";
import { levelFeedStatement, stockStatements, type StockChange } from "./stock";
import { callerAccess, productsQuery, requireIn, requireStatus, requireStore, requireTracked, storesQuery, type ProductRef } from "./stock-docs";
import { checkVersion, commitWrite, toIso, toIsoOrNull } from "./versioning";

/**
 * Transfers of stock between two stores of a tenant: draft → sent → received, or cancelled before it is
 * received. Sending books the lines out of the source (movements `transfer_out`): the stock is in transit.
 * Receiving books what arrived into the destination (`transfer_in`); a line that arrived short or over keeps the
 * difference as its discrepancy, with a reason. Cancelling a sent transfer books the stock back into the source
 * (`transfer_in`, reason `transfer_cancelled`). Each step is one batch: the transfer's compare-and-set on its
 * version and status, its movements and levels, the levels' and the transfer's change-feed rows, the audit entry.
 *
 * Permissions are checked in the store a step concerns: create, edit and cancel in the source
 * (transfers.create), send in the source (transfers.send), receive in the destination (transfers.receive).
 */

type Row = typeof transfers.$inferSelect;
type LineRow = typeof transferLines.$inferSelect;
type LineWithProduct = { line: Omit<LineRow, "tenantId">; sku: string; name: string };
type Status = Row["status"];

const lineDto = ({ line, sku, name }: LineWithProduct) => ({
  id: line.id,
  productId: line.productId,
  sku,
  name,
  quantity: line.quantity,
  receivedQuantity: line.receivedQuantity,
  discrepancy: line.receivedQuantity === null ? null : line.receivedQuantity - line.quantity,
  discrepancyReason: line.discrepancyReason,
});

function dto(row: Row, totalQuantity: number, lines?: LineWithProduct[]): Transfer {
  return {
    id: row.id,
    fromStoreId: row.fromStoreId,
    toStoreId: row.toStoreId,
    status: row.status,
    notes: row.notes,
    totalQuantity,
    createdBy: row.createdBy,
    sentBy: row.sentBy,
    sentAt: toIsoOrNull(row.sentAt),
    receivedBy: row.receivedBy,
    receivedAt: toIsoOrNull(row.receivedAt),
    cancelledBy: row.cancelledBy,
    cancelledAt: toIsoOrNull(row.cancelledAt),
    version: row.version,
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
    ...(lines ? { lines: lines.map(lineDto) } : {}),
  };
}

const withLines = (row: Row, lines: LineWithProduct[]) => dto(row, lines.reduce((s, l) => s + l.line.quantity, 0), lines);

const transferQuery = (ctx: ServiceContext, id: string) => ctx.scope.select(transfers, eq(transfers.id, id), isNull(transfers.deletedAt));
const linesQuery = (ctx: ServiceContext, id: string) =>
  ctx.scope.db
    .select({ line: transferLines, sku: products.sku, name: products.name })
    .from(transferLines)
    .innerJoin(products, eq(products.id, transferLines.productId))
    .where(ctx.scope.where(transferLines, eq(transferLines.transferId, id)))
    .orderBy(asc(transferLines.sortOrder));

/** The transfer, its lines and the caller's store roles, in one round trip; 404 when it is not the tenant's. */
async function load(ctx: ServiceContext, id: string) {
  const [rows, lines, access] = await ctx.scope.db.batch([transferQuery(ctx, id), linesQuery(ctx, id), callerAccess(ctx)]);
  const row = rows[0] as Row | undefined;
  if (!row) throw notFound("Transfer");
  return { row, lines: lines as LineWithProduct[], access };
}

export async function getTransfer(ctx: ServiceContext, id: string): Promise<Transfer> {
  const [rows, lines] = await ctx.scope.db.batch([transferQuery(ctx, id), linesQuery(ctx, id)]);
  const row = rows[0] as Row | undefined;
  if (!row) throw notFound("Transfer");
  return withLines(row, lines as LineWithProduct[]);
}

/** Newest first; `store_id` finds transfers from or to the store. */
export function listTransfers(ctx: ServiceContext, q: z.output<typeof TransferQuery>): Promise<Page<Transfer>> {
  const { scope } = ctx;
  const where = scope.where(
    transfers,
    isNull(transfers.deletedAt),
    q.status ? eq(transfers.status, q.status) : undefined,
    q.store_id ? or(eq(transfers.fromStoreId, q.store_id), eq(transfers.toStoreId, q.store_id)) : undefined,
  );
  // Qualified by hand: drizzle leaves a one-table select's columns unqualified, which the subquery would take as its own.
  const total = sql<number>`(SELECT coalesce(sum(l.quantity), 0) FROM ${transferLines} l WHERE l.transfer_id = "transfers"."id")`;
  const rows = scope.db.select({ row: transfers, total }).from(transfers).where(where).orderBy(desc(transfers.createdAt), asc(transfers.id));
  return readPage(scope.db, transfers, where, rows, q, (r) => dto(r.row, r.total));
}

const lineRows = (transferId: string, lines: { productId: string; quantity: number }[]) =>
  lines.map((l, sortOrder) => ({ id: crypto.randomUUID(), transferId, productId: l.productId, quantity: l.quantity, receivedQuantity: null, discrepancyReason: null, sortOrder }));

const withProducts = (rows: ReturnType<typeof lineRows>, byId: Map<string, ProductRef>): LineWithProduct[] =>
  rows.map((line) => ({ line, sku: byId.get(line.productId)!.sku, name: byId.get(line.productId)!.name }));

const journal = (ctx: ServiceContext, row: Row, action: string, detail?: Record<string, unknown>): Statement[] => [
  recordChange(ctx.scope, { entity: "transfer", entityId: row.id, op: "upsert", version: row.version }, ctx.request.now),
  recordAudit(ctx.scope.db, { tenantId: ctx.scope.tenantId, actorType: "user", actorId: ctx.actor.userId, action: `transfer.${action}`, entity: "transfer", entityId: row.id, detail }, ctx.request),
];

function requireTwoStores(fromStoreId: string, toStoreId: string) {
  if (fromStoreId === toStoreId) throw businessRule("SAME_STORE", "A transfer goes between two different stores", [{ path: "toStoreId", message: "is the source store" }]);
}

export async function createTransfer(ctx: ServiceContext, body: z.output<typeof CreateTransferBody>): Promise<Transfer> {
  const { scope, actor, request } = ctx;
  const fromStoreId = body.fromStoreId ?? actor.storeId;
  requireTwoStores(fromStoreId, body.toStoreId);
  const productIds = body.lines.map((l) => l.productId);
  const [storeRows, productRows, access] = await scope.db.batch([storesQuery(scope, [fromStoreId, body.toStoreId]), productsQuery(scope, productIds), callerAccess(ctx)]);
  const from = requireStore(storeRows, fromStoreId, "fromStoreId");
  requireStore(storeRows, body.toStoreId, "toStoreId");
  requireIn(access, fromStoreId, "transfers.create", from.code);
  const byId = requireTracked(productRows, productIds);

  const now = request.now;
  const row: Row = {
    id: crypto.randomUUID(), tenantId: scope.tenantId, fromStoreId, toStoreId: body.toStoreId, status: "draft", notes: body.notes, createdBy: actor.userId,
    sentBy: null, sentAt: null, receivedBy: null, receivedAt: null, cancelledBy: null, cancelledAt: null, version: 1, createdAt: now, updatedAt: now, deletedAt: null,
  };
  const lines = lineRows(row.id, body.lines);
  await commitWrite(scope.db, [scope.insert(transfers, row), insertFromJson(scope, transferLines, lines), ...journal(ctx, row, "create", { lines: lines.length })]);
  return withLines(row, withProducts(lines, byId));
}

/** The next version of the row, the UPDATE that writes it only over the version read, and its guard. */
function advance(ctx: ServiceContext, current: Row, changes: Partial<Row>) {
  const next: Row = { ...current, ...changes, version: current.version + 1, updatedAt: ctx.request.now };
  const { id: _i, tenantId: _t, createdAt: _c, ...set } = next;
  const statements: Statement[] = [
    ctx.scope.update(transfers, set, eq(transfers.id, current.id), eq(transfers.version, current.version), eq(transfers.status, current.status)),
    expectOneChange(ctx.scope.db),
  ];
  return { next, statements };
}

/** After a lost race: 409 with the transfer as it is now (INVALID_STATE when another request moved it on). */
const stale = (ctx: ServiceContext, id: string, was: Status) => async (): Promise<never> => {
  const now = await getTransfer(ctx, id);
  if (now.status !== was) throw conflict("INVALID_STATE", `The transfer was ${now.status} by another request meanwhile`, now);
  throw conflict("VERSION_CONFLICT", `The transfer changed while you worked on it; it is now at version ${now.version}`, now);
};

export async function updateTransfer(ctx: ServiceContext, id: string, { version: _v, ...body }: z.output<typeof UpdateTransferBody>, expectedVersion: number | undefined): Promise<Transfer> {
  const { scope } = ctx;
  const { row, lines, access } = await load(ctx, id);
  checkVersion("Transfer", row.version, expectedVersion, () => withLines(row, lines));
  requireStatus("transfer", row.status, ["draft"], "edited", () => withLines(row, lines));
  requireIn(access, row.fromStoreId, "transfers.create");
  const toStoreId = body.toStoreId ?? row.toStoreId;
  requireTwoStores(row.fromStoreId, toStoreId);
  const productIds = body.lines?.map((l) => l.productId) ?? [];
  const [storeRows, productRows] = await scope.db.batch([storesQuery(scope, [toStoreId]), productsQuery(scope, productIds)]);
  requireStore(storeRows, toStoreId, "toStoreId");
  const byId = body.lines ? requireTracked(productRows, productIds) : undefined;

  const { next, statements } = advance(ctx, row, { toStoreId, ...(body.notes !== undefined ? { notes: body.notes } : {}) });
  const newLines = body.lines ? lineRows(id, body.lines) : undefined;
  if (newLines) statements.push(scope.delete(transferLines, eq(transferLines.transferId, id)), insertFromJson(scope, transferLines, newLines));
  await commitWrite(scope.db, [...statements, ...journal(ctx, next, "update", { lines: newLines?.length })], { onStale: stale(ctx, id, row.status) });
  return withLines(next, newLines ? withProducts(newLines, byId!) : lines);
}

/** Movements of the lines in a store (all or none of them in the batch), and the levels' feed rows. */
function moveLines(ctx: ServiceContext, storeId: string, kind: "transfer_out" | "transfer_in", transferId: string, changes: StockChange[], reason: string | null = null): Statement[] {
  const moved = stockStatements(ctx.scope, { storeId, kind, referenceId: transferId, reason, userId: ctx.actor.userId, at: ctx.request.now, changes });
  return moved.length ? [...moved, levelFeedStatement(ctx.scope, storeId, changes.map((c) => c.productId), ctx.request.now)] : [];
}

export async function sendTransfer(ctx: ServiceContext, id: string, expectedVersion: number | undefined): Promise<Transfer> {
  const { row, lines, access } = await load(ctx, id);
  checkVersion("Transfer", row.version, expectedVersion, () => withLines(row, lines));
  requireStatus("transfer", row.status, ["draft"], "sent", () => withLines(row, lines));
  requireIn(access, row.fromStoreId, "transfers.send");
  const { next, statements } = advance(ctx, row, { status: "sent", sentBy: ctx.actor.userId, sentAt: ctx.request.now });
  const out = lines.map(({ line }) => ({ productId: line.productId, quantity: -line.quantity }));
  await commitWrite(ctx.scope.db, [...statements, ...moveLines(ctx, row.fromStoreId, "transfer_out", id, out), ...journal(ctx, next, "send")], { onStale: stale(ctx, id, row.status) });
  return withLines(next, lines);
}

export async function receiveTransfer(ctx: ServiceContext, id: string, body: z.output<typeof ReceiveTransferBody>, expectedVersion: number | undefined): Promise<Transfer> {
  const { scope } = ctx;
  const { row, lines, access } = await load(ctx, id);
  checkVersion("Transfer", row.version, expectedVersion, () => withLines(row, lines));
  requireStatus("transfer", row.status, ["sent"], "received", () => withLines(row, lines));
  requireIn(access, row.toStoreId, "transfers.receive");

  const byProduct = new Map(lines.map((l) => [l.line.productId, l.line]));
  const fields: FieldError[] = [];
  body.lines.forEach((l, i) => {
    const line = byProduct.get(l.productId);
    if (!line) fields.push({ path: `lines.${i}.productId`, message: "is not a line of this transfer" });
    else if (l.receivedQuantity !== line.quantity && !l.reason?.trim()) fields.push({ path: `lines.${i}.reason`, message: "is required when the received quantity differs from the quantity sent" });
  });
  if (fields.some((f) => f.path.endsWith("productId"))) throw businessRule("NOT_ON_TRANSFER", "Some lines name products this transfer does not carry", fields);
  if (fields.length) throw businessRule("REASON_REQUIRED", "A line received short or over needs the reason", fields);

  const given = new Map(body.lines.map((l) => [l.productId, l]));
  const received = lines.map(({ line }) => {
    const g = given.get(line.productId);
    const receivedQuantity = g?.receivedQuantity ?? line.quantity;
    return { ...line, receivedQuantity, discrepancyReason: receivedQuantity === line.quantity ? null : g!.reason!.trim() };
  });
  const { next, statements } = advance(ctx, row, { status: "received", receivedBy: ctx.actor.userId, receivedAt: ctx.request.now });
  const setReceived = rawStatement(scope.db, sql`UPDATE ${transferLines} SET received_quantity = ${jsonField("receivedQuantity")}, discrepancy_reason = ${jsonField("discrepancyReason")}
    FROM ${jsonRows(received.map((l) => ({ id: l.id, receivedQuantity: l.receivedQuantity, discrepancyReason: l.discrepancyReason })))}
    WHERE ${transferLines.id} = ${jsonField("id")} AND ${transferLines.tenantId} = ${scope.tenantId}`);
  const into = received.map((l) => ({ productId: l.productId, quantity: l.receivedQuantity }));
  await commitWrite(scope.db, [...statements, setReceived, ...moveLines(ctx, row.toStoreId, "transfer_in", id, into), ...journal(ctx, next, "receive", {
    discrepancies: received.filter((l) => l.discrepancyReason !== null).length,
  })], { onStale: stale(ctx, id, row.status) });
  return withLines(next, lines.map((l, i) => ({ ...l, line: received[i]! })));
}

export async function cancelTransfer(ctx: ServiceContext, id: string, expectedVersion: number | undefined): Promise<Transfer> {
  const { row, lines, access } = await load(ctx, id);
  checkVersion("Transfer", row.version, expectedVersion, () => withLines(row, lines));
  requireStatus("transfer", row.status, ["draft", "sent"], "cancelled", () => withLines(row, lines));
  requireIn(access, row.fromStoreId, "transfers.create");
  const { next, statements } = advance(ctx, row, { status: "cancelled", cancelledBy: ctx.actor.userId, cancelledAt: ctx.request.now });
  // A sent transfer's stock is in transit: it goes back into the source.
  const back = row.status === "sent" ? moveLines(ctx, row.fromStoreId, "transfer_in", id, lines.map(({ line }) => ({ productId: line.productId, quantity: line.quantity })), "transfer_cancelled") : [];
  await commitWrite(ctx.scope.db, [...statements, ...back, ...journal(ctx, next, "cancel", { wasSent: row.status === "sent" })], { onStale: stale(ctx, id, row.status) });
  return withLines(next, lines);
}
