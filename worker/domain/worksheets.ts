import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import type { z } from "zod";
import type { PageQuery } from "../../schema/contracts/common";
import type { RejectWorksheetBody, WorksheetBody } from "../../schema/contracts/worksheets";
import { departments, products, storePrices, taxGroups, worksheetItems, worksheets } from "../../schema/db";
import { chunkRows, expectOneChange, type Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import { conflict, notFound, unprocessable, type FieldError } from "../http/errors";
import type { ServiceContext } from "./context";
import { entityService } from "./entity";
import { recordAudit, recordChange } from "./journal";
import { checkVersion, commitWrite, toIso, toIsoOrNull } from "./versioning";
import { namesOf, worksheetReferenceCheck } from "./worksheet-references";

type WorksheetRow = typeof worksheets.$inferSelect;
type ItemRow = typeof worksheetItems.$inferSelect;
type ProductRow = typeof products.$inferSelect;
type Status = WorksheetRow["status"];

/**
 * Worksheets batch catalogue changes for review: draft → submitted → approved or rejected → applied.
 * A rejected worksheet may be edited, which makes it a draft again. Applying changes every product of the
 * worksheet in one batch, or none of them.
 */
const dto = (w: WorksheetRow, items: ItemRow[] = []) => ({
  id: w.id,
  name: w.name,
  kind: w.kind,
  status: w.status,
  notes: w.notes,
  storeIds: w.storeIds,
  items: items.map((i) => ({ ...(i.productId ? { productId: i.productId } : {}), ...i.changes })),
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

function requireStatus(current: WorksheetRow, allowed: Status[], action: string) {
  if (!allowed.includes(current.status)) {
    throw conflict("INVALID_STATE", `The worksheet is ${current.status}; only a ${allowed.join(" or ")} worksheet can be ${action}`, dto(current));
  }
}

/** The items as stored: the product the item changes, and the rest of the item as its changes. */
function itemRows(scope: TenantScope, worksheetId: string, body: WorksheetBody) {
  const rows = body.items.map((item, sortOrder) => {
    const { productId, ...changes } = item as { productId?: string } & Record<string, unknown>;
    return { id: crypto.randomUUID(), worksheetId, productId: productId ?? null, changes, sortOrder };
  });
  return chunkRows(rows, 6).map((chunk) => scope.insert(worksheetItems, chunk));
}

const storeIdsOf = (body: WorksheetBody) => (body.kind === "price_change" ? body.storeIds : []);
const namesOfBody = (body: WorksheetBody) => namesOf(body.kind, body.items as Record<string, unknown>[], storeIdsOf(body));

async function readItems(scope: TenantScope, worksheetId: string) {
  return (await scope.select(worksheetItems, eq(worksheetItems.worksheetId, worksheetId)).orderBy(asc(worksheetItems.sortOrder))) as ItemRow[];
}

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
    itemRows(ctx.scope, id, body),
  );
  return { ...created, items: body.items };
}

const editable = (current: WorksheetRow, body: WorksheetBody) => {
  requireStatus(current, ["draft", "rejected"], "edited");
  if (current.kind !== body.kind) throw unprocessable("KIND_CHANGED", `This is a ${current.kind} worksheet; create a new one for ${body.kind}`, [{ path: "kind", message: "cannot change" }]);
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
    () => [scope.delete(worksheetItems, eq(worksheetItems.worksheetId, id)), ...itemRows(scope, id, body)],
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
    if (items.length === 0) throw unprocessable("EMPTY_WORKSHEET", "A worksheet needs at least one item to be submitted");
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

const PRODUCT_FIELDS = ["sku", "barcode", "name", "description", "departmentId", "taxGroupId", "costPrice", "sellPrice", "trackStock", "isActive"] as const;
type ProductChanges = Partial<Pick<ProductRow, (typeof PRODUCT_FIELDS)[number]>>;
const pickProductFields = (changes: Record<string, unknown>): ProductChanges =>
  Object.fromEntries(PRODUCT_FIELDS.filter((f) => changes[f] !== undefined).map((f) => [f, changes[f]])) as ProductChanges;

/**
 * Apply an approved worksheet: every change, the worksheet's own status and the change feed in one batch.
 * Each product update is guarded by the version read here, so a product edited meanwhile aborts the whole
 * apply (409) rather than overwrite that edit.
 */
export async function applyWorksheet(ctx: ServiceContext, id: string, expectedVersion: number | undefined) {
  const { scope, actor, request } = ctx;
  const [sheetRows, itemList] = await scope.db.batch([
    scope.select(worksheets, eq(worksheets.id, id), isNull(worksheets.deletedAt)),
    scope.select(worksheetItems, eq(worksheetItems.worksheetId, id)).orderBy(asc(worksheetItems.sortOrder)),
  ]);
  const sheet = sheetRows[0] as WorksheetRow | undefined;
  if (!sheet) throw notFound("Worksheet");
  if (expectedVersion !== undefined && expectedVersion !== sheet.version) {
    throw conflict("VERSION_CONFLICT", `Worksheet is at version ${sheet.version}; you sent ${expectedVersion}`, dto(sheet));
  }
  requireStatus(sheet, ["approved"], "applied");
  const items = itemList as ItemRow[];
  const changesOf = (item: ItemRow) => item.changes as Record<string, unknown>;
  const newProducts = items.map((i) => changesOf(i).product as Record<string, unknown> | undefined).filter((p): p is Record<string, unknown> => !!p);
  const productIds = items.flatMap((i) => (i.productId ? [i.productId] : []));
  const departmentIds = new Set<string>();
  const groupIds = new Set<string>();
  for (const fields of [...items.map((i) => (changesOf(i).changes ?? changesOf(i)) as Record<string, unknown>), ...newProducts]) {
    if (typeof fields.departmentId === "string") departmentIds.add(fields.departmentId);
    if (typeof fields.taxGroupId === "string") groupIds.add(fields.taxGroupId);
  }
  const none = ["00000000-0000-0000-0000-000000000000"];
  const [productRows, departmentRows, groupRows, storePriceRows] = await scope.db.batch([
    scope.select(products, inArray(products.id, productIds.length ? productIds : none), isNull(products.deletedAt)),
    scope.select(departments, inArray(departments.id, departmentIds.size ? [...departmentIds] : none), isNull(departments.deletedAt)),
    scope.select(taxGroups, inArray(taxGroups.id, groupIds.size ? [...groupIds] : none), isNull(taxGroups.deletedAt)),
    scope.select(storePrices, inArray(storePrices.productId, productIds.length ? productIds : none), inArray(storePrices.storeId, sheet.storeIds.length ? sheet.storeIds : none), isNull(storePrices.deletedAt)),
  ]);
  const productById = new Map((productRows as ProductRow[]).map((p) => [p.id, p]));
  const knownDepartments = new Set(departmentRows.map((d) => (d as { id: string }).id));
  const knownGroups = new Set(groupRows.map((g) => (g as { id: string }).id));

  const fields: FieldError[] = [];
  items.forEach((item, i) => {
    if (item.productId && !productById.has(item.productId)) fields.push({ path: `items.${i}.productId`, message: "no longer exists" });
    const f = (changesOf(item).changes ?? changesOf(item).product ?? changesOf(item)) as Record<string, unknown>;
    if (typeof f.departmentId === "string" && !knownDepartments.has(f.departmentId)) fields.push({ path: `items.${i}.departmentId`, message: "is not a department of this tenant" });
    if (typeof f.taxGroupId === "string" && !knownGroups.has(f.taxGroupId)) fields.push({ path: `items.${i}.taxGroupId`, message: "is not a tax group of this tenant" });
  });
  if (fields.length) throw unprocessable("WORKSHEET_OUT_OF_DATE", "The catalogue changed since this worksheet was written; fix these items and resubmit", fields);

  const now = request.now;
  const applied: WorksheetRow = { ...sheet, status: "applied", appliedBy: actor.userId, appliedAt: now, version: sheet.version + 1, updatedAt: now };
  const statements: Statement[] = [
    // First: of concurrent applies only one gets past this, and the others stop before any write of theirs
    // can fail on what the winner wrote (a store price it created, say).
    scope.update(worksheets, { status: applied.status, appliedBy: applied.appliedBy, appliedAt: now, version: applied.version, updatedAt: now }, eq(worksheets.id, id), and(eq(worksheets.version, sheet.version), eq(worksheets.status, "approved"))),
    expectOneChange(scope.db),
  ];
  const updateProduct = (product: ProductRow, set: ProductChanges) => {
    statements.push(
      scope.update(products, { ...set, version: product.version + 1, updatedAt: now }, eq(products.id, product.id), eq(products.version, product.version)),
      expectOneChange(scope.db),
      recordChange(scope, { entity: "product", entityId: product.id, op: "upsert", version: product.version + 1 }, now),
    );
  };
  const storePriceOf = new Map((storePriceRows as (typeof storePrices.$inferSelect)[]).map((sp) => [`${sp.storeId}/${sp.productId}`, sp]));

  for (const item of items) {
    const changes = changesOf(item);
    const product = item.productId ? productById.get(item.productId)! : undefined;
    switch (sheet.kind) {
      case "price_change": {
        const price = { sellPrice: changes.sellPrice as number, ...(changes.costPrice !== undefined ? { costPrice: changes.costPrice as number } : {}) };
        if (sheet.storeIds.length === 0) {
          updateProduct(product!, price);
          break;
        }
        if (price.costPrice !== undefined) updateProduct(product!, { costPrice: price.costPrice });
        for (const storeId of sheet.storeIds) {
          const existing = storePriceOf.get(`${storeId}/${product!.id}`);
          if (existing) {
            statements.push(
              scope.update(storePrices, { price: price.sellPrice, version: existing.version + 1, updatedAt: now }, eq(storePrices.id, existing.id), eq(storePrices.version, existing.version)),
              expectOneChange(scope.db),
              recordChange(scope, { entity: "store_price", entityId: existing.id, op: "upsert", version: existing.version + 1, storeId }, now),
            );
          } else {
            const spId = crypto.randomUUID();
            statements.push(
              scope.insert(storePrices, { id: spId, storeId, productId: product!.id, price: price.sellPrice, version: 1, createdAt: now, updatedAt: now }),
              recordChange(scope, { entity: "store_price", entityId: spId, op: "upsert", version: 1, storeId }, now),
            );
          }
        }
        break;
      }
      case "product_update":
        updateProduct(product!, pickProductFields(changes.changes as Record<string, unknown>));
        break;
      case "tax_change":
        updateProduct(product!, { taxGroupId: (changes.taxGroupId as string | null) ?? null });
        break;
      case "deactivate":
        updateProduct(product!, { isActive: false });
        break;
      case "new_product": {
        const fields = changes.product as Record<string, unknown>;
        const productId = (fields.id as string | undefined) ?? crypto.randomUUID();
        statements.push(
          scope.insert(products, {
            ...(pickProductFields(fields) as Required<Pick<ProductRow, "sku" | "name" | "sellPrice">> & ProductChanges),
            id: productId,
            version: 1,
            createdAt: now,
            updatedAt: now,
          }),
          recordChange(scope, { entity: "product", entityId: productId, op: "upsert", version: 1 }, now),
        );
        break;
      }
    }
  }
  statements.push(
    recordChange(scope, { entity: "worksheet", entityId: id, op: "upsert", version: sheet.version + 1 }, now),
    recordAudit(scope.db, { tenantId: scope.tenantId, actorType: "user", actorId: actor.userId, action: "worksheet.apply", entity: "worksheet", entityId: id, detail: { kind: sheet.kind, items: items.length, storeIds: sheet.storeIds } }, request),
  );
  const nothingApplied = "nothing was applied. Review the worksheet and apply again.";
  await commitWrite(scope.db, statements, {
    onStale: async () => {
      const [current] = (await scope.select(worksheets, eq(worksheets.id, id), isNull(worksheets.deletedAt))) as WorksheetRow[];
      if (!current || current.version !== sheet.version) {
        throw conflict("WORKSHEET_CONFLICT", `The worksheet changed while this request applied it (it is now ${current?.status ?? "deleted"}); this request applied nothing`, current ? dto(current) : undefined);
      }
      throw conflict("WORKSHEET_CONFLICT", `A product or store price of this worksheet changed while applying; ${nothingApplied}`);
    },
    unique: [
      { column: "products.id", error: () => conflict("ID_TAKEN", `A new product of this worksheet has an id another product already has; ${nothingApplied}`) },
      { column: "products.sku", error: () => conflict("SKU_TAKEN", `A product of this worksheet has a SKU another product already has; ${nothingApplied}`) },
      { column: "products.barcode", error: () => conflict("BARCODE_TAKEN", `A product of this worksheet has a barcode another product already has; ${nothingApplied}`) },
      { column: "store_prices.store_id", error: () => conflict("WORKSHEET_CONFLICT", `A store price of this worksheet was created while applying; ${nothingApplied}`) },
    ],
  });
  return dto(applied, items);
}
