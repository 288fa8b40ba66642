import { and, asc, desc, eq, isNotNull, isNull, ne, sql, type SQL } from "drizzle-orm";
import type { z } from "zod";
import type { CountEntriesBody, StartStockCountBody, StockCount, StockCountLineQuery, StockCountQuery } from "../../schema/contracts/stock-ops";
import { changeFeed, departments, inventoryLevels, products, stockCountLines, stockCounts, stockMovements } from "../../schema/db";
import { expectChanges, expectOneChange, expectThat, isGuardFailure, rawStatement, type Statement } from "../db/batch";
import { jsonField, jsonRows } from "../db/json-rows";
import { readPage } from "../db/paging";
import type { TenantScope } from "../db/tenant-scope";
import type { Page } from "../db/paging";
import { conflict, notFound, businessRule, type FieldError } from "./errors";
import type { ServiceContext } from "./context";
import { recordAudit, recordChange } from "./journal";
import { inJson } from "./references";
import { callerAccess, requireIn, requireStatus, requireStore, storesQuery, valueOf } from "./stock-docs";
import { checkVersion, commitWrite, toIso, toIsoOrNull } from "./versioning";

/**
 * Stock counts of a store: every tracked product, or one department's. Starting a count snapshots each
 * product's level as its expected quantity. People on several devices then enter counted quantities, line by line
 * (the last write of a line wins; a write naming a stale version of the line is 409). Review shows each line's
 * difference and its value at the product's cost price. Posting writes, in one batch, one movement per counted
 * line (kind and reason `count`) of counted − expected, and adds it to the level.
 *
 * Sales during the count: the difference is taken against the level at the count's start, and added to the level
 * as it is when posted, so what was sold (or received) while the count ran stays booked: the level after posting
 * is counted + the movements since the count started (what Lightspeed and Shopify do). This assumes each product
 * is counted as it stood at the start; a product sold after it was counted is still right, one sold before it was
 * counted (and after the start) is counted short by that sale. Lines not counted are left as they are. One open
 * count per store.
 */

type Row = typeof stockCounts.$inferSelect;
type Status = Row["status"];
const C = stockCounts;
const CL = stockCountLines;

/** A line's difference value in SQL, rounded half away from zero as `valueOf`. */
const differenceValue = (difference: SQL, cost: SQL) =>
  sql`CASE WHEN (${difference}) * (${cost}) >= 0 THEN ((${difference}) * (${cost}) + 500) / 1000 ELSE -((-(${difference}) * (${cost}) + 500) / 1000) END`;

/** The count's summary columns, qualified by hand (drizzle leaves a one-table select's columns unqualified). */
const summary = {
  lineCount: sql<number>`(SELECT count(*) FROM ${CL} x WHERE x.count_id = "stock_counts"."id")`,
  countedLines: sql<number>`(SELECT count(*) FROM ${CL} x WHERE x.count_id = "stock_counts"."id" AND x.counted_quantity IS NOT NULL)`,
  differenceValue: sql<number>`(SELECT coalesce(sum(${differenceValue(sql`x.counted_quantity - x.expected_quantity`, sql`p.cost_price`)}), 0)
    FROM ${CL} x JOIN ${products} p ON p.id = x.product_id WHERE x.count_id = "stock_counts"."id" AND x.counted_quantity IS NOT NULL)`,
};
type SummaryRow = { row: Row; lineCount: number; countedLines: number; differenceValue: number };

const dto = ({ row, lineCount, countedLines, differenceValue: value }: SummaryRow): StockCount => ({
  id: row.id,
  storeId: row.storeId,
  departmentId: row.departmentId,
  status: row.status,
  notes: row.notes,
  startedBy: row.startedBy,
  postedBy: row.postedBy,
  postedAt: toIsoOrNull(row.postedAt),
  cancelledBy: row.cancelledBy,
  cancelledAt: toIsoOrNull(row.cancelledAt),
  lineCount,
  countedLines,
  differenceValue: value,
  version: row.version,
  createdAt: toIso(row.createdAt),
  updatedAt: toIso(row.updatedAt),
});

const countQuery = (scope: TenantScope, id: string) => scope.db.select({ row: C, ...summary }).from(C).where(scope.where(C, eq(C.id, id), isNull(C.deletedAt)));

async function load(ctx: ServiceContext, id: string) {
  const [rows, access] = await ctx.scope.db.batch([countQuery(ctx.scope, id), callerAccess(ctx)]);
  const found = rows[0] as SummaryRow | undefined;
  if (!found) throw notFound("Stock count");
  return { ...found, access, current: () => dto(found) };
}

export async function getStockCount(ctx: ServiceContext, id: string): Promise<StockCount> {
  const [found] = await countQuery(ctx.scope, id);
  if (!found) throw notFound("Stock count");
  return dto(found as SummaryRow);
}

export function listStockCounts(ctx: ServiceContext, q: z.output<typeof StockCountQuery>): Promise<Page<StockCount>> {
  const { scope } = ctx;
  const where = scope.where(C, isNull(C.deletedAt), q.status ? eq(C.status, q.status) : undefined, q.store_id ? eq(C.storeId, q.store_id) : undefined);
  const rows = scope.db.select({ row: C, ...summary }).from(C).where(where).orderBy(desc(C.createdAt), asc(C.id));
  return readPage(scope.db, C, where, rows, q, (r) => dto(r as SummaryRow));
}

type LineRow = { line: typeof CL.$inferSelect; sku: string; name: string; costPrice: number };

const lineDto = ({ line, sku, name, costPrice }: LineRow) => {
  const difference = line.countedQuantity === null ? null : line.countedQuantity - line.expectedQuantity;
  return {
    id: line.id,
    productId: line.productId,
    sku,
    name,
    expectedQuantity: line.expectedQuantity,
    countedQuantity: line.countedQuantity,
    difference,
    unitCost: costPrice,
    differenceValue: difference === null ? null : valueOf(difference, costPrice),
    countedBy: line.countedBy,
    countedAt: toIsoOrNull(line.countedAt),
    version: line.version,
  };
};

const linesSelect = (scope: TenantScope) =>
  scope.db.select({ line: CL, sku: products.sku, name: products.name, costPrice: products.costPrice }).from(CL).innerJoin(products, eq(products.id, CL.productId));

/** The review: lines by product name, with their differences and their value at cost; one round trip. */
export async function listStockCountLines(ctx: ServiceContext, id: string, q: z.output<typeof StockCountLineQuery>) {
  const { scope } = ctx;
  const where = scope.where(
    CL,
    eq(CL.countId, id),
    q.counted === undefined ? undefined : q.counted ? isNotNull(CL.countedQuantity) : isNull(CL.countedQuantity),
    q.differences === undefined ? undefined : q.differences ? and(isNotNull(CL.countedQuantity), ne(CL.countedQuantity, CL.expectedQuantity)) : sql`(${CL.countedQuantity} IS NULL OR ${CL.countedQuantity} = ${CL.expectedQuantity})`,
  );
  const counted = scope.db.select({ n: sql<number>`count(*)` }).from(CL).where(where);
  const rows = linesSelect(scope).where(where).orderBy(asc(products.name), asc(products.sku), asc(CL.id)).limit(q.pageSize).offset((q.page - 1) * q.pageSize);
  const [found, totals, page] = await scope.db.batch([countQuery(scope, id), counted, rows]);
  if (!found[0]) throw notFound("Stock count");
  return { items: (page as LineRow[]).map(lineDto), total: totals[0]?.n ?? 0, page: q.page, pageSize: q.pageSize };
}

const journal = (ctx: ServiceContext, row: Row, action: string, detail?: Record<string, unknown>): Statement[] => [
  recordChange(ctx.scope, { entity: "stock_count", entityId: row.id, op: "upsert", version: row.version, storeId: row.storeId }, ctx.request.now),
  recordAudit(ctx.scope.db, { tenantId: ctx.scope.tenantId, actorType: "user", actorId: ctx.actor.userId, action: `stock_count.${action}`, entity: "stock_count", entityId: row.id, detail }, ctx.request),
];

/** A random UUID (v4) made in SQL, for rows an INSERT … SELECT makes. */
const SQL_UUID = sql.raw(`lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
  substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`);

const countInProgress = (storeCode: string) => ({
  column: "stock_counts.store_id",
  error: () => conflict("COUNT_IN_PROGRESS", `Store ${storeCode} has an open stock count; post or cancel it first`),
});

export async function startStockCount(ctx: ServiceContext, body: z.output<typeof StartStockCountBody>): Promise<StockCount> {
  const { scope, actor, request } = ctx;
  const storeId = body.storeId ?? actor.storeId;
  const departmentId = body.departmentId ?? null;
  const [storeRows, departmentRows, access] = await scope.db.batch([
    storesQuery(scope, [storeId]),
    scope.db.select({ id: departments.id }).from(departments).where(scope.where(departments, eq(departments.id, departmentId ?? ""), isNull(departments.deletedAt))),
    callerAccess(ctx),
  ]);
  const store = requireStore(storeRows, storeId, "storeId");
  if (departmentId && !departmentRows[0]) throw businessRule("UNKNOWN_REFERENCE", "The department does not exist", [{ path: "departmentId", message: "is not a department of this tenant" }]);
  requireIn(access, storeId, "inventory.adjust", store.code);

  const now = request.now;
  const row: Row = {
    id: crypto.randomUUID(), tenantId: scope.tenantId, storeId, departmentId, status: "open", notes: body.notes, startedBy: actor.userId,
    postedBy: null, postedAt: null, cancelledBy: null, cancelledAt: null, version: 1, createdAt: now, updatedAt: now, deletedAt: null,
  };
  // Every tracked live product (of the department), expected at its level now.
  const snapshot = rawStatement(scope.db, sql`INSERT INTO ${CL} (id, tenant_id, count_id, product_id, expected_quantity, counted_quantity, counted_by, counted_at, version)
    SELECT ${SQL_UUID}, ${scope.tenantId}, ${row.id}, p.id, coalesce(l.quantity, 0), NULL, NULL, NULL, 1
    FROM ${products} p LEFT JOIN ${inventoryLevels} l ON l.store_id = ${storeId} AND l.product_id = p.id
    WHERE p.tenant_id = ${scope.tenantId} AND p.deleted_at IS NULL AND p.track_stock = 1 ${departmentId ? sql`AND p.department_id = ${departmentId}` : sql``}`);
  const written = await commitWrite(scope.db, [scope.insert(C, row), snapshot, ...journal(ctx, row, "start", { departmentId }), countQuery(scope, row.id)], {
    unique: [countInProgress(store.code)],
  });
  return dto((written.at(-1) as SummaryRow[])[0]!);
}

/** 409 naming the lines whose version is not the one the client sent, with them as they are. */
function staleLines(current: LineRow[]): never {
  throw conflict("VERSION_CONFLICT", "Some lines were counted by someone else since you read them; reload them and count again", current.map(lineDto));
}

export async function enterCounts(ctx: ServiceContext, id: string, body: z.output<typeof CountEntriesBody>) {
  const { scope, request } = ctx;
  const productIds = body.lines.map((l) => l.productId);
  const theseLines = () => linesSelect(scope).where(scope.where(CL, eq(CL.countId, id), inJson(CL.productId, productIds)));
  const [rows, access, lines] = await scope.db.batch([countQuery(scope, id), callerAccess(ctx), theseLines()]);
  const found = rows[0] as SummaryRow | undefined;
  if (!found) throw notFound("Stock count");
  requireStatus("stock count", found.row.status, ["open"], "counted", () => dto(found));
  requireIn(access, found.row.storeId, "inventory.adjust");
  const byProduct = new Map((lines as LineRow[]).map((l) => [l.line.productId, l]));
  const missing: FieldError[] = body.lines.flatMap((l, i) => (byProduct.has(l.productId) ? [] : [{ path: `lines.${i}.productId`, message: "is not a product of this count" }]));
  if (missing.length) throw businessRule("NOT_IN_COUNT", "Some lines name products this count does not cover", missing);
  const stale = body.lines.filter((l) => l.version !== undefined && l.version !== byProduct.get(l.productId)!.line.version);
  if (stale.length) staleLines(stale.map((l) => byProduct.get(l.productId)!));

  const now = request.now;
  const entries = body.lines.map((l) => ({ productId: l.productId, counted: l.countedQuantity, version: l.version ?? null }));
  const statements: Statement[] = [
    expectThat(scope.db, sql`EXISTS (SELECT 1 FROM ${C} WHERE ${C.id} = ${id} AND ${C.status} = 'open' AND ${C.deletedAt} IS NULL)`),
    rawStatement(scope.db, sql`UPDATE ${CL} SET counted_quantity = ${jsonField("counted")}, counted_by = ${ctx.actor.userId}, counted_at = ${now}, version = ${CL.version} + 1
      FROM ${jsonRows(entries)}
      WHERE ${CL.countId} = ${id} AND ${CL.productId} = ${jsonField("productId")} AND (${jsonField("version")} IS NULL OR ${CL.version} = ${jsonField("version")})`),
    expectChanges(scope.db, entries.length),
    scope.db.insert(changeFeed).select(
      scope.db
        .select({
          seq: sql<number>`NULL`.as("seq"), tenantId: CL.tenantId, storeId: sql`${found.row.storeId}`.as("store_id"), entity: sql<string>`'stock_count_line'`.as("entity"),
          entityId: CL.id, op: sql<string>`'upsert'`.as("op"), version: CL.version, at: sql<number>`${now}`.as("at"),
        })
        .from(CL)
        .where(scope.where(CL, eq(CL.countId, id), inJson(CL.productId, productIds))),
    ) as unknown as Statement,
    theseLines(),
  ];
  try {
    const written = await commitWrite(scope.db, statements);
    const after = new Map((written.at(-1) as LineRow[]).map((l) => [l.line.productId, l]));
    return productIds.map((p) => lineDto(after.get(p)!));
  } catch (error) {
    if (!isGuardFailure(error)) throw error;
    const now = await scope.db.batch([countQuery(scope, id), theseLines()]);
    const count = now[0][0] as SummaryRow | undefined;
    if (!count || count.row.status !== "open") throw conflict("INVALID_STATE", `The stock count was ${count?.row.status ?? "deleted"} meanwhile; nothing was written`, count && dto(count));
    staleLines(now[1] as LineRow[]);
  }
}

function advance(ctx: ServiceContext, current: Row, changes: Partial<Row>) {
  const next: Row = { ...current, ...changes, version: current.version + 1, updatedAt: ctx.request.now };
  const { id: _i, tenantId: _t, createdAt: _c, ...set } = next;
  const statements: Statement[] = [
    ctx.scope.update(C, set, eq(C.id, current.id), eq(C.version, current.version), eq(C.status, current.status)),
    expectOneChange(ctx.scope.db),
  ];
  return { next, statements };
}

const stale = (ctx: ServiceContext, id: string, was: Status) => async (): Promise<never> => {
  const now = await getStockCount(ctx, id);
  if (now.status !== was) throw conflict("INVALID_STATE", `The stock count was ${now.status} by another request meanwhile`, now);
  throw conflict("VERSION_CONFLICT", `The stock count changed meanwhile; it is now at version ${now.version}`, now);
};

/**
 * Posting, set-based from the count's lines as the batch finds them (so a count entered a moment before is in):
 * a movement per counted line, the levels changed by the differences, the levels' feed rows.
 */
function postStatements(scope: TenantScope, row: Row, userId: string, now: number): Statement[] {
  const counted = sql`FROM ${CL} c JOIN ${products} p ON p.id = c.product_id AND p.tenant_id = ${scope.tenantId} AND p.track_stock = 1
    WHERE c.count_id = ${row.id} AND c.counted_quantity IS NOT NULL`;
  return [
    rawStatement(scope.db, sql`INSERT INTO ${stockMovements} (id, tenant_id, store_id, product_id, kind, quantity, reason, reference_id, user_id, at, unit_cost, average_cost)
      SELECT ${SQL_UUID}, ${scope.tenantId}, ${row.storeId}, c.product_id, 'count', c.counted_quantity - c.expected_quantity, 'count', ${row.id}, ${userId}, ${now}, p.cost_price, p.cost_price
      ${counted}`),
    rawStatement(scope.db, sql`INSERT INTO ${inventoryLevels} (tenant_id, store_id, product_id, quantity, reorder_point, updated_at)
      SELECT ${scope.tenantId}, ${row.storeId}, c.product_id, c.counted_quantity - c.expected_quantity, NULL, ${now} ${counted}
      ON CONFLICT (store_id, product_id) DO UPDATE SET quantity = quantity + excluded.quantity, updated_at = max(excluded.updated_at, updated_at + 1)`),
    levelFeed(scope, row, now),
  ];
}

function levelFeed(scope: TenantScope, row: Row, now: number): Statement {
  return rawStatement(scope.db, sql`INSERT INTO ${changeFeed} (tenant_id, store_id, entity, entity_id, op, version, at)
    SELECT ${scope.tenantId}, l.store_id, 'inventory_level', l.store_id || ':' || l.product_id, 'upsert', l.updated_at, ${now}
    FROM ${CL} c JOIN ${inventoryLevels} l ON l.store_id = ${row.storeId} AND l.product_id = c.product_id AND l.tenant_id = ${scope.tenantId}
    WHERE c.count_id = ${row.id} AND c.counted_quantity IS NOT NULL ORDER BY c.product_id`);
}

export async function postStockCount(ctx: ServiceContext, id: string, expectedVersion: number | undefined): Promise<StockCount> {
  const { scope } = ctx;
  const found = await load(ctx, id);
  checkVersion("Stock count", found.row.version, expectedVersion, found.current);
  requireStatus("stock count", found.row.status, ["open"], "posted", found.current);
  requireIn(found.access, found.row.storeId, "inventory.adjust");
  const { next, statements } = advance(ctx, found.row, { status: "posted", postedBy: ctx.actor.userId, postedAt: ctx.request.now });
  const written = await commitWrite(scope.db, [...statements, ...postStatements(scope, next, ctx.actor.userId, ctx.request.now), ...journal(ctx, next, "post"), countQuery(scope, id)], {
    onStale: stale(ctx, id, found.row.status),
  });
  return dto((written.at(-1) as SummaryRow[])[0]!);
}

export async function cancelStockCount(ctx: ServiceContext, id: string, expectedVersion: number | undefined): Promise<StockCount> {
  const found = await load(ctx, id);
  checkVersion("Stock count", found.row.version, expectedVersion, found.current);
  requireStatus("stock count", found.row.status, ["open"], "cancelled", found.current);
  requireIn(found.access, found.row.storeId, "inventory.adjust");
  const { next, statements } = advance(ctx, found.row, { status: "cancelled", cancelledBy: ctx.actor.userId, cancelledAt: ctx.request.now });
  await commitWrite(ctx.scope.db, [...statements, ...journal(ctx, next, "cancel")], { onStale: stale(ctx, id, found.row.status) });
  return dto({ ...found, row: next });
}
