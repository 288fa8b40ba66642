import { asc, eq, isNull } from "drizzle-orm";
import type { z } from "zod";
import type { PageQuery } from "../../schema/contracts/common";
import type { RejectWorksheetBody, WorksheetBody } from "../../schema/contracts/worksheets";
import { worksheetItems, worksheets } from "../../schema/db";
import type { Statement } from "../db/batch";
import { insertFromJson } from "../db/json-rows";
import type { TenantScope } from "../db/tenant-scope";
import { conflict, notFound, businessRule } from "./errors";
import type { ServiceContext } from "./context";
import { entityService } from "./entity";
import { checkVersion, toIso, toIsoOrNull } from "./versioning";
import { namesOf, worksheetReferenceCheck } from "./worksheet-references";

export type WorksheetRow = typeof worksheets.$inferSelect;
export type ItemRow = typeof worksheetItems.$inferSelect;
type Status = WorksheetRow["status"];

/**
 * Worksheets batch catalogue changes for review: draft → submitted → approved or rejected → applied.
 * A rejected worksheet may be edited, which makes it a draft again. Applying (worksheet-apply.ts) changes
 * every product of the worksheet in one batch, or none of them.
 */

/** The items as the body gave them (what `dto` answers and the reference check reads). */
export const bodyItems = (items: ItemRow[]) => items.map((i) => ({ ...(i.productId ? { productId: i.productId } : {}), ...i.changes }));

export const dto = (w: WorksheetRow, items: ItemRow[] = []) => ({
  id: w.id,
  name: w.name,
  kind: w.kind,
  status: w.status,
  notes: w.notes,
  storeIds: w.storeIds,
  items: bodyItems(items),
  createdBy: w.createdBy,
  submittedBy: w.submittedBy,
  submittedAt: toIsoOrNull(w.submittedAt),
  reviewedBy: w.reviewedBy,
  reviewedAt: toIsoOrNull(w.reviewedAt),
  rejectionReason: w.rejectionReason,
  appliedBy: w.appliedBy,
  appliedAt: toIsoOrNull(w.appliedAt),
  version: w.version,
  createdAt: toIso(w.createdAt),
  updatedAt: toIso(w.updatedAt),
});

const sheets = entityService({ label: "Worksheet", kind: "worksheet", table: worksheets, toDto: (w: WorksheetRow) => dto(w) });

export function requireStatus(current: WorksheetRow, allowed: Status[], action: string) {
  if (!allowed.includes(current.status)) {
    throw conflict("INVALID_STATE", `The worksheet is ${current.status}; only a ${allowed.join(" or ")} worksheet can be ${action}`, dto(current));
  }
}

/** The items as stored, in one statement whatever their number: the product each changes, the rest as its changes. */
function insertItems(scope: TenantScope, worksheetId: string, body: WorksheetBody): Statement[] {
  const rows = body.items.map((item, sortOrder) => {
    const { productId, ...changes } = item as { productId?: string } & Record<string, unknown>;
    return { id: crypto.randomUUID(), worksheetId, productId: productId ?? null, changes, sortOrder };
  });
  return rows.length ? [insertFromJson(scope, worksheetItems, rows)] : [];
}

async function readItems(scope: TenantScope, worksheetId: string) {
  return (await scope.select(worksheetItems, eq(worksheetItems.worksheetId, worksheetId)).orderBy(asc(worksheetItems.sortOrder))) as ItemRow[];
}

const storeIdsOf = (body: WorksheetBody) => (body.kind === "price_change" ? body.storeIds : []);
const namesOfBody = (body: WorksheetBody) => namesOf(body.kind, body.items as Record<string, unknown>[], storeIdsOf(body));

export function listWorksheets(ctx: ServiceContext, query: PageQuery & { status?: Status; kind?: WorksheetRow["kind"] }) {
  return sheets.list(
    ctx,
    query,
    [query.status ? eq(worksheets.status, query.status) : undefined, query.kind ? eq(worksheets.kind, query.kind) : undefined],
    asc(worksheets.createdAt),
  );
}

export async function getWorksheet(ctx: ServiceContext, id: string) {
  const { scope } = ctx;
  const [rows, items] = await scope.db.batch([
    scope.select(worksheets, eq(worksheets.id, id), isNull(worksheets.deletedAt)),
    scope.select(worksheetItems, eq(worksheetItems.worksheetId, id)).orderBy(asc(worksheetItems.sortOrder)),
  ]);
  if (!rows[0]) await sheets.find(scope, id); // the 404
  return dto(rows[0] as WorksheetRow, items as ItemRow[]);
}

export async function createWorksheet(ctx: ServiceContext, body: WorksheetBody) {
  const check = worksheetReferenceCheck(ctx.scope, namesOfBody(body));
  if (check.queries.length) check.verify(await ctx.scope.db.batch(check.queries as [Statement, ...Statement[]]), "write");
  const id = crypto.randomUUID();
  const created = await sheets.create(
    ctx,
    { id, name: body.name, kind: body.kind, status: "draft", notes: body.notes ?? null, storeIds: storeIdsOf(body), createdBy: ctx.actor.userId, submittedBy: null, submittedAt: null, reviewedBy: null, reviewedAt: null, rejectionReason: null, appliedBy: null, appliedAt: null },
    insertItems(ctx.scope, id, body),
  );
  return { ...created, items: body.items };
}

const editable = (current: WorksheetRow, body: WorksheetBody) => {
  requireStatus(current, ["draft", "rejected"], "edited");
  if (current.kind !== body.kind) throw businessRule("KIND_CHANGED", `This is a ${current.kind} worksheet; create a new one for ${body.kind}`, [{ path: "kind", message: "cannot change" }]);
};

/**
 * Replace a draft's (or a rejected worksheet's) content; a rejected worksheet becomes a draft again. The
 * worksheet and what the new content names are read in one round trip: a state or kind that forbids the edit
 * is answered before the references.
 */
export async function updateWorksheet(ctx: ServiceContext, id: string, body: WorksheetBody, expectedVersion: number | undefined) {
  const { scope } = ctx;
  const check = worksheetReferenceCheck(scope, namesOfBody(body));
  const [sheetRows, ...results] = await scope.db.batch([scope.select(worksheets, eq(worksheets.id, id), isNull(worksheets.deletedAt)), ...(check.queries as Statement[])]);
  const current = (sheetRows as WorksheetRow[])[0];
  if (!current) throw notFound("Worksheet");
  checkVersion("Worksheet", current.version, expectedVersion, () => dto(current));
  editable(current, body);
  check.verify(results, "write");
  await sheets.update(
    ctx,
    id,
    (now) => {
      editable(now, body);
      return { name: body.name, notes: body.notes ?? null, storeIds: storeIdsOf(body), status: "draft", rejectionReason: null, reviewedBy: null, reviewedAt: null };
    },
    expectedVersion,
    () => [scope.delete(worksheetItems, eq(worksheetItems.worksheetId, id)), ...insertItems(scope, id, body)],
  );
  return getWorksheet(ctx, id);
}

export function deleteWorksheet(ctx: ServiceContext, id: string, expectedVersion: number | undefined) {
  return sheets.remove(ctx, id, expectedVersion, [], (current) => requireStatus(current, ["draft", "rejected"], "deleted"));
}

export async function submitWorksheet(ctx: ServiceContext, id: string, expectedVersion: number | undefined) {
  const items = await readItems(ctx.scope, id);
  await sheets.update(ctx, id, (current) => {
    requireStatus(current, ["draft"], "submitted");
    if (items.length === 0) throw businessRule("EMPTY_WORKSHEET", "A worksheet needs at least one item to be submitted");
    return { status: "submitted", submittedBy: ctx.actor.userId, submittedAt: ctx.request.now };
  }, expectedVersion);
  return getWorksheet(ctx, id);
}

export async function approveWorksheet(ctx: ServiceContext, id: string, expectedVersion: number | undefined) {
  await sheets.update(ctx, id, (current) => {
    requireStatus(current, ["submitted"], "approved");
    return { status: "approved", reviewedBy: ctx.actor.userId, reviewedAt: ctx.request.now };
  }, expectedVersion);
  return getWorksheet(ctx, id);
}

export async function rejectWorksheet(ctx: ServiceContext, id: string, body: z.output<typeof RejectWorksheetBody>, expectedVersion: number | undefined) {
  await sheets.update(ctx, id, (current) => {
    requireStatus(current, ["submitted"], "rejected");
    return { status: "rejected", reviewedBy: ctx.actor.userId, reviewedAt: ctx.request.now, rejectionReason: body.reason };
  }, expectedVersion);
  return getWorksheet(ctx, id);
}
