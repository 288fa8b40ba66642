import { asc, eq, isNull, sql } from "drizzle-orm";
import { changeFeed, products, storePrices, worksheetItems, worksheets } from "../../schema/db";
import { expectChanges, expectOneChange, expectThat, type Statement } from "../db/batch";
import { insertFromJson, jsonField, jsonRows } from "../db/json-rows";
import type { TenantScope } from "../db/tenant-scope";
import { conflict, notFound } from "./errors";
import type { ServiceContext } from "./context";
import { recordAudit, recordChange } from "./journal";
import { productSearchText } from "./products";
import { inJson } from "./references";
import { commitWrite } from "./versioning";
import { idTaken, namesOf, worksheetReferenceCheck } from "./worksheet-references";
import { bodyItems, dto, requireStatus, type ItemRow, type WorksheetRow } from "./worksheets";

/**
 * Applying an approved worksheet: every change, the worksheet's own status and the change feed in one batch
 * of a bounded number of set-based statements (each kind of write is one statement over a JSON list of rows),
 * so a worksheet of the maximum size stays far under D1's 100 bound parameters per statement and 1000
 * statements per invocation.
 *
 * The batch starts with the worksheet's own compare-and-set, so of concurrent applies only one gets past it.
 * Every product the worksheet names must still be at the version read (those it writes by the version guard
 * of their update, the others, named only for their store prices, by a count), and every store price it
 * updates too: anything edited since the read aborts the whole batch (409) and nothing is written.
 */

type ProductRow = typeof products.$inferSelect;
type StorePriceRow = typeof storePrices.$inferSelect;

const PRODUCT_FIELDS = ["sku", "barcode", "name", "description", "departmentId", "taxGroupId", "costPrice", "sellPrice", "trackStock", "isActive"] as const;
type ProductFields = Pick<ProductRow, (typeof PRODUCT_FIELDS)[number]>;
const pickProductFields = (fields: Record<string, unknown>): Partial<ProductFields> =>
  Object.fromEntries(PRODUCT_FIELDS.filter((f) => fields[f] !== undefined).map((f) => [f, fields[f]]));


interface Versioned {
  id: string;
  version: number;
}

/** What applying writes, row by row; `version` is the version read, which each write is guarded by. */
interface ApplyPlan {
  /** The product as it will be, for every product the worksheet changes. */
  productWrites: (Versioned & ProductFields & { searchText: string })[];
  /** Products named only for their store prices: not written, but still required to be as read. */
  productsAsRead: Versioned[];
  storePriceUpdates: (Versioned & { storeId: string; price: number })[];
  storePriceInserts: { id: string; storeId: string; productId: string; price: number }[];
  newProducts: ({ id: string; searchText: string } & ProductFields)[];
}

function planApply(sheet: WorksheetRow, items: ItemRow[], productById: Map<string, ProductRow>, storePrices: StorePriceRow[]): ApplyPlan {
  const plan: ApplyPlan = { productWrites: [], productsAsRead: [], storePriceUpdates: [], storePriceInserts: [], newProducts: [] };
  const storePriceOf = new Map(storePrices.map((sp) => [`${sp.storeId}/${sp.productId}`, sp]));
  const write = (product: ProductRow, set: Partial<ProductFields>) => {
    const next = { ...(Object.fromEntries(PRODUCT_FIELDS.map((f) => [f, product[f]])) as ProductFields), ...set };
    plan.productWrites.push({ id: product.id, version: product.version, ...next, searchText: productSearchText(next) });
  };

  for (const item of items) {
    const changes = item.changes as Record<string, unknown>;
    const product = item.productId ? productById.get(item.productId)! : undefined;
    switch (sheet.kind) {
      case "price_change": {
        const sellPrice = changes.sellPrice as number;
        const costPrice = changes.costPrice as number | undefined;
        if (sheet.storeIds.length === 0) {
          write(product!, { sellPrice, ...(costPrice !== undefined ? { costPrice } : {}) });
          break;
        }
        if (costPrice !== undefined) write(product!, { costPrice });
        else plan.productsAsRead.push({ id: product!.id, version: product!.version });
        for (const storeId of sheet.storeIds) {
          const existing = storePriceOf.get(`${storeId}/${product!.id}`);
          if (existing) plan.storePriceUpdates.push({ id: existing.id, version: existing.version, storeId, price: sellPrice });
          else plan.storePriceInserts.push({ id: crypto.randomUUID(), storeId, productId: product!.id, price: sellPrice });
        }
        break;
      }
      case "product_update":
        write(product!, pickProductFields(changes.changes as Record<string, unknown>));
        break;
      case "tax_change":
        write(product!, { taxGroupId: (changes.taxGroupId as string | null) ?? null });
        break;
      case "deactivate":
        write(product!, { isActive: false });
        break;
      case "new_product": {
        const fields = changes.product as Record<string, unknown>;
        const product: ProductFields = {
          barcode: null, description: null, departmentId: null, taxGroupId: null, costPrice: 0, trackStock: true, isActive: true,
          ...(pickProductFields(fields) as Pick<ProductFields, "sku" | "name" | "sellPrice">),
        };
        plan.newProducts.push({ id: (fields.id as string | undefined) ?? crypto.randomUUID(), ...product, searchText: productSearchText(product) });
        break;
      }
    }
  }
  return plan;
}

/** The change-feed rows of a set of written rows, in one statement. */
const feedRows = (scope: TenantScope, entity: string, rows: { id: string; version: number; storeId?: string | null }[], now: number) =>
  insertFromJson(scope, changeFeed, rows.map((r) => ({ entity, entityId: r.id, op: "upsert" as const, version: r.version, storeId: r.storeId ?? null, at: now })));

const asRead = <T extends typeof products | typeof storePrices>(scope: TenantScope, table: T) =>
  scope.where(table, eq(table.id, jsonField("id")), eq(table.version, jsonField("version")), isNull(table.deletedAt));

function writeStatements(scope: TenantScope, plan: ApplyPlan, now: number): Statement[] {
  const { db } = scope;
  const statements: Statement[] = [];
  const { productWrites, productsAsRead, storePriceUpdates, storePriceInserts, newProducts } = plan;
  if (productWrites.length) {
    const set = Object.fromEntries([...PRODUCT_FIELDS, "searchText"].map((f) => [f, jsonField(f)]));
    statements.push(
      db.update(products).set({ ...set, version: sql`${products.version} + 1`, updatedAt: now }).from(jsonRows(productWrites)).where(asRead(scope, products)),
      expectChanges(db, productWrites.length),
      feedRows(scope, "product", productWrites.map((p) => ({ id: p.id, version: p.version + 1 })), now),
    );
  }
  if (productsAsRead.length) {
    statements.push(expectThat(db, sql`(SELECT count(*) FROM ${products}, ${jsonRows(productsAsRead)} WHERE ${asRead(scope, products)}) = ${productsAsRead.length}`));
  }
  if (storePriceUpdates.length) {
    statements.push(
      db.update(storePrices).set({ price: jsonField("price"), version: sql`${storePrices.version} + 1`, updatedAt: now }).from(jsonRows(storePriceUpdates)).where(asRead(scope, storePrices)),
      expectChanges(db, storePriceUpdates.length),
      feedRows(scope, "store_price", storePriceUpdates.map((sp) => ({ id: sp.id, version: sp.version + 1, storeId: sp.storeId })), now),
    );
  }
  if (storePriceInserts.length) {
    statements.push(
      insertFromJson(scope, storePrices, storePriceInserts.map((sp) => ({ ...sp, version: 1, createdAt: now, updatedAt: now }))),
      feedRows(scope, "store_price", storePriceInserts.map((sp) => ({ id: sp.id, version: 1, storeId: sp.storeId })), now),
    );
  }
  if (newProducts.length) {
    statements.push(
      insertFromJson(scope, products, newProducts.map((p) => ({ ...p, version: 1, createdAt: now, updatedAt: now }))),
      feedRows(scope, "product", newProducts.map((p) => ({ id: p.id, version: 1 })), now),
    );
  }
  return statements;
}

/**
 * Apply an approved worksheet in three round trips: read it, read (and check again) what it names, write.
 * A product or store price edited meanwhile: 409 WORKSHEET_CONFLICT; one deleted or a reference gone: 422
 * WORKSHEET_OUT_OF_DATE; a new product's id, SKU or barcode taken: 409 ID_TAKEN, SKU_TAKEN, BARCODE_TAKEN.
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

  const check = worksheetReferenceCheck(scope, namesOf(sheet.kind, bodyItems(items), sheet.storeIds));
  const productIds = items.flatMap((i) => (i.productId ? [i.productId] : []));
  const readsStorePrices = sheet.kind === "price_change" && sheet.storeIds.length > 0 && productIds.length > 0;
  const storePriceQuery = scope.select(storePrices, inJson(storePrices.productId, productIds), inJson(storePrices.storeId, sheet.storeIds), isNull(storePrices.deletedAt));
  const queries = [...(check.queries as Statement[]), ...(readsStorePrices ? [storePriceQuery] : [])];
  const results = queries.length ? await scope.db.batch(queries as [Statement, ...Statement[]]) : [];
  const { productById } = check.verify(results, "apply");
  const plan = planApply(sheet, items, productById, readsStorePrices ? (results.at(-1) as StorePriceRow[]) : []);

  const now = request.now;
  const applied: WorksheetRow = { ...sheet, status: "applied", appliedBy: actor.userId, appliedAt: now, version: sheet.version + 1, updatedAt: now };
  const statements: Statement[] = [
    // First: of concurrent applies, only one gets past this, and the others stop before writing anything.
    scope.update(worksheets, { status: applied.status, appliedBy: applied.appliedBy, appliedAt: now, version: applied.version, updatedAt: now }, eq(worksheets.id, id), eq(worksheets.version, sheet.version), eq(worksheets.status, "approved")),
    expectOneChange(scope.db),
    ...writeStatements(scope, plan, now),
    recordChange(scope, { entity: "worksheet", entityId: id, op: "upsert", version: applied.version }, now),
    recordAudit(scope.db, { tenantId: scope.tenantId, actorType: "user", actorId: actor.userId, action: "worksheet.apply", entity: "worksheet", entityId: id, detail: { kind: sheet.kind, items: items.length, storeIds: sheet.storeIds } }, request),
  ];
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
      { column: "products.id", error: () => idTaken() },
      { column: "products.sku", error: () => conflict("SKU_TAKEN", `A product of this worksheet has a SKU another product already has; ${nothingApplied}`) },
      { column: "products.barcode", error: () => conflict("BARCODE_TAKEN", `A product of this worksheet has a barcode another product already has; ${nothingApplied}`) },
      { column: "store_prices.store_id", error: () => conflict("WORKSHEET_CONFLICT", `A store price of this worksheet was created while applying; ${nothingApplied}`) },
    ],
  });
  return dto(applied, items);
}
