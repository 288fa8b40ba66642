import { and, eq, isNull, sql, type SQL } from "drizzle-orm";
import type { z } from "zod";
import type { Adjustment, AdjustmentBody, CrossStoreProduct, CrossStoreQuery, InventoryLevel, InventoryQuery, ReorderPointsBody } from "../../schema/contracts/inventory";
import { idempotencyRecords, inventoryLevels, products, stockMovements, stores } from "../../schema/db";
import type { Permission } from "../../schema/permissions";
import { commit, expectThat, isGuardFailure, rawStatement, type Statement } from "../db/batch";
import { jsonField, jsonRows } from "../db/json-rows";
import { matchesSearch } from "../db/search";
import type { TenantScope } from "../db/tenant-scope";
import type { Page } from "../db/paging";
import { conflict, forbidden, notFound, businessRule, type FieldError } from "./errors";
import type { ServiceContext } from "./context";
import { Access, type AccessRow } from "./grants";
import { idempotencyKey, idempotencyQuery, isRace, replay, replayAfterRace, type IdempotencyKey } from "./idempotency";
import { recordAudit } from "./journal";
import { inJson } from "./references";
import { countStatements, levelFeedStatement, reorderPointStatement, stockStatements } from "./stock";
import { permissionsInStoreQuery, storeQuery } from "./store-permissions";
import { toIso } from "./versioning";

/**
 * Inventory: levels per store and tracked product, and the acts that change them by hand (adjustments, counts,
 * reorder points). Every live store has a level of every tracked product: 0 until its first movement, so lists
 * join stores and products and read the level row where there is one.
 *
 * A level as the API answers it is made in SQL, once (`levelJson`), so that the answer an adjustment keeps for
 * its Idempotency-Key is the levels as its own batch left them, with no extra round trip.
 */

const P = products;
const S = stores;
const L = inventoryLevels;
const M = stockMovements;

/** Low on stock: at or below the reorder point, or below zero (sold beyond what was booked in). NULL without a level row. */
const LOW = sql`(${L.quantity} < 0 OR ${L.quantity} <= ${L.reorderPoint})`;

/** Epoch milliseconds as the API's timestamps (toISOString), in integer arithmetic; NULL stays NULL. */
const isoOf = (ms: SQL | typeof L.updatedAt) => sql`strftime('%Y-%m-%dT%H:%M:%S', ${ms} / 1000, 'unixepoch') || printf('.%03dZ', ${ms} % 1000)`;

/** The fields of a store's level, for json_object (stores and inventory_levels in the FROM). */
const storeLevelFields = sql`'storeId', ${S.id}, 'storeCode', ${S.code}, 'storeName', ${S.name},
  'quantity', coalesce(${L.quantity}, 0), 'reorderPoint', ${L.reorderPoint},
  'lowStock', json(CASE WHEN ${LOW} THEN 'true' ELSE 'false' END), 'updatedAt', ${isoOf(L.updatedAt)}`;

/** An InventoryLevel as JSON text (products, stores and inventory_levels in the FROM). */
const levelJson = sql`json_object('productId', ${P.id}, 'sku', ${P.sku}, 'barcode', ${P.barcode}, 'name', ${P.name}, ${storeLevelFields})`;

/** Every live store with every tracked live product, and the level where there is one. */
const LEVELS_FROM = sql`FROM ${S} JOIN ${P} ON ${P.tenantId} = ${S.tenantId} LEFT JOIN ${L} ON ${L.storeId} = ${S.id} AND ${L.productId} = ${P.id}`;
const liveStore = (scope: TenantScope) => and(eq(S.tenantId, scope.tenantId), isNull(S.deletedAt))!;
const trackedProducts = (scope: TenantScope) => and(eq(P.tenantId, scope.tenantId), isNull(P.deletedAt), eq(P.trackStock, true))!;
const BY_PRODUCT = sql`${P.name}, ${P.sku}, ${P.id}`;

const parse = <T>(rows: unknown[], column: string): T[] => (rows as Record<string, string>[]).map((r) => JSON.parse(r[column]!) as T);

const productQuery = (scope: TenantScope, id: string) => scope.db.select({ id: P.id }).from(P).where(scope.where(P, eq(P.id, id), isNull(P.deletedAt)));

/** 404 for a store or product a list names that is not the tenant's (the rows of the queries above, or undefined). */
function requireNamed(storeRows: unknown[] | undefined, productRows: unknown[] | undefined) {
  if (storeRows && !storeRows[0]) throw notFound("Store");
  if (productRows && !productRows[0]) throw notFound("Product");
}

/** Run a list's statements with the existence checks of the store and product it names, in one round trip. */
async function readWithNamed(scope: TenantScope, statements: Statement[], named: { storeId?: string; productId?: string }) {
  const checks = [
    ...(named.storeId ? [storeQuery(scope, named.storeId)] : []),
    ...(named.productId ? [productQuery(scope, named.productId)] : []),
  ] as Statement[];
  const results = (await scope.db.batch([...statements, ...checks] as [Statement, ...Statement[]])) as unknown[][];
  const rest = results.slice(statements.length);
  requireNamed(named.storeId ? rest.shift() : undefined, named.productId ? rest.shift() : undefined);
  return results.slice(0, statements.length);
}

/**
 * Levels per store and tracked product, by product name then store code, with the page's total, in one round
 * trip. A product with no level row in a store is listed there at 0.
 */
export async function listLevels(ctx: ServiceContext, q: z.output<typeof InventoryQuery>): Promise<Page<InventoryLevel>> {
  const { scope } = ctx;
  const where = and(
    liveStore(scope),
    trackedProducts(scope),
    q.store_id ? eq(S.id, q.store_id) : undefined,
    q.product_id ? eq(P.id, q.product_id) : undefined,
    matchesSearch(P.searchText, q.search),
    q.low_stock === undefined ? undefined : q.low_stock ? LOW : sql`NOT coalesce(${LOW}, 0)`,
  )!;
  const [totalRows, levelRows] = await readWithNamed(
    scope,
    [
      rawStatement(scope.db, sql`SELECT count(*) AS total ${LEVELS_FROM} WHERE ${where}`),
      rawStatement(scope.db, sql`SELECT ${levelJson} AS level ${LEVELS_FROM} WHERE ${where}
        ORDER BY ${BY_PRODUCT}, ${S.code} LIMIT ${q.pageSize} OFFSET ${(q.page - 1) * q.pageSize}`),
    ],
    { storeId: q.store_id, productId: q.product_id },
  );
  const total = (totalRows![0] as { total: number } | undefined)?.total ?? 0;
  return { items: parse<InventoryLevel>(levelRows!, "level"), total, page: q.page, pageSize: q.pageSize };
}

/** Tracked products (one, or a search's), each with its level in every live store of the tenant, in one round trip. */
export async function crossStoreLevels(ctx: ServiceContext, q: z.output<typeof CrossStoreQuery>): Promise<Page<CrossStoreProduct>> {
  const { scope } = ctx;
  const where = and(trackedProducts(scope), q.product_id ? eq(P.id, q.product_id) : undefined, matchesSearch(P.searchText, q.search))!;
  const storesOfProduct = sql`SELECT json_group_array(json(level)) FROM (
    SELECT json_object(${storeLevelFields}) AS level FROM ${S} LEFT JOIN ${L} ON ${L.storeId} = ${S.id} AND ${L.productId} = ${P.id}
    WHERE ${liveStore(scope)} ORDER BY ${S.code})`;
  const [totalRows, productRows] = await readWithNamed(
    scope,
    [
      rawStatement(scope.db, sql`SELECT count(*) AS total FROM ${P} WHERE ${where}`),
      rawStatement(scope.db, sql`SELECT json_object('productId', ${P.id}, 'sku', ${P.sku}, 'barcode', ${P.barcode}, 'name', ${P.name}, 'stores', (${storesOfProduct})) AS product
        FROM ${P} WHERE ${where} ORDER BY ${BY_PRODUCT} LIMIT ${q.pageSize} OFFSET ${(q.page - 1) * q.pageSize}`),
    ],
    { productId: q.product_id },
  );
  const items = parse<Omit<CrossStoreProduct, "totalQuantity">>(productRows!, "product").map(({ stores: levels, ...product }) => ({
    ...product,
    totalQuantity: levels.reduce((sum, l) => sum + l.quantity, 0),
    stores: levels,
  }));
  return { items, total: (totalRows![0] as { total: number } | undefined)?.total ?? 0, page: q.page, pageSize: q.pageSize };
}

// Writes

/**
 * The store a write acts on: the token's own (its permissions were checked by the route), or another, which
 * needs the permission there, read fresh in the write's read batch. 422 UNKNOWN_REFERENCE when it is not the
 * tenant's live store; 403 MISSING_PERMISSION_IN_STORE without the permission there.
 */
function storeAccess(ctx: ServiceContext, storeId: string, permission: Permission) {
  const { scope, actor } = ctx;
  if (storeId === actor.storeId) return { queries: [] as Statement[], verify: (_results: unknown[]) => {} };
  return {
    queries: [storeQuery(scope, storeId), permissionsInStoreQuery(scope, actor.userId)] as Statement[],
    verify(results: unknown[]) {
      const [storeRows, accessRows] = results as [(typeof stores.$inferSelect)[], AccessRow[]];
      const store = storeRows[0];
      if (!store) throw businessRule("UNKNOWN_REFERENCE", "The store named does not exist", [{ path: "storeId", message: "is not a store of this tenant" }]);
      if (!new Access(accessRows).has(store.id, permission)) {
        throw forbidden(`This needs the permission ${permission} in store ${store.code}`, "MISSING_PERMISSION_IN_STORE");
      }
    },
  };
}

const stockProductsQuery = (scope: TenantScope, ids: readonly string[]) =>
  scope.db.select({ id: P.id, trackStock: P.trackStock }).from(P).where(scope.where(P, inJson(P.id, ids), isNull(P.deletedAt)));

/**
 * 422 naming each `field.N.productId` that is not a live product of the tenant (UNKNOWN_REFERENCE) or does not
 * track stock (PRODUCT_NOT_TRACKED, when that is all that is wrong).
 */
function requireStockProducts(rows: unknown[], productIds: readonly string[], field: string) {
  const tracked = new Map((rows as { id: string; trackStock: boolean }[]).map((r) => [r.id, r.trackStock]));
  const fields: FieldError[] = [];
  let unknown = false;
  productIds.forEach((id, i) => {
    const path = `${field}.${i}.productId`;
    if (!tracked.has(id)) {
      unknown = true;
      fields.push({ path, message: "is not a product of this tenant" });
    } else if (!tracked.get(id)) {
      fields.push({ path, message: "does not track stock (trackStock is false)" });
    }
  });
  if (!fields.length) return;
  if (unknown) throw businessRule("UNKNOWN_REFERENCE", "Some lines name products that do not exist", fields);
  throw businessRule("PRODUCT_NOT_TRACKED", "Some lines name products that do not track stock; only tracked products have levels", fields);
}

/**
 * A statement that aborts the batch (batch_guard's CHECK) unless the store is still live and every product is
 * still a live product that tracks stock: so a product deleted or untracked between the read and the write
 * cannot leave a line of the answer unwritten.
 */
function stillValid(scope: TenantScope, storeId: string, productIds: readonly string[]): Statement {
  const condition = sql`(SELECT count(*) FROM ${P} WHERE ${trackedProducts(scope)} AND ${inJson(P.id, productIds)}) = ${productIds.length}
    AND EXISTS (SELECT 1 FROM ${S} WHERE ${liveStore(scope)} AND ${S.id} = ${storeId})`;
  return expectThat(scope.db, condition);
}

/** After the guard above failed: the precise 422 of what changed, read again. */
async function explainGuardFailure(ctx: ServiceContext, storeId: string, productIds: readonly string[], field: string): Promise<never> {
  const [storeRows, productRows] = await ctx.scope.db.batch([storeQuery(ctx.scope, storeId), stockProductsQuery(ctx.scope, productIds)]);
  if (!storeRows[0]) throw businessRule("UNKNOWN_REFERENCE", "The store was deleted meanwhile", [{ path: "storeId", message: "is not a store of this tenant" }]);
  requireStockProducts(productRows, productIds, field);
  throw conflict("STOCK_CONFLICT", "The store or a product changed while this request ran; nothing was written. Try again.");
}

/** The levels of these products in the store as the batch left them, in the order given (json_each `j` of rows with productId). */
const LEVELS_OF_ROWS = (scope: TenantScope, storeId: string) =>
  sql`JOIN ${P} ON ${P.id} = ${jsonField("productId")} AND ${P.tenantId} = ${scope.tenantId}
    JOIN ${S} ON ${S.id} = ${storeId}
    LEFT JOIN ${L} ON ${L.storeId} = ${S.id} AND ${L.productId} = ${P.id}`;

/**
 * A stock adjustment: lines of changes or counted quantities for one store, with a reason, in one batch with
 * their movements, levels, change-feed rows and audit entry; answered with the levels right after it. With an
 * Idempotency-Key, a retry answers the first answer and writes nothing.
 */
export async function adjustStock(ctx: ServiceContext, body: z.output<typeof AdjustmentBody>, clientKey: string | undefined): Promise<Adjustment> {
  const { scope, actor, request } = ctx;
  const storeId = body.storeId ?? actor.storeId;
  const key = await idempotencyKey("inventory.adjustments", clientKey, { ...body, storeId });
  const productIds = body.lines.map((l) => l.productId);
  const access = storeAccess(ctx, storeId, "inventory.adjust");
  const results = (await scope.db.batch([idempotencyQuery(scope, key), stockProductsQuery(scope, productIds), ...access.queries] as [Statement, ...Statement[]])) as unknown[][];
  access.verify(results.slice(2));
  const first = replay<Adjustment>(results[0]!, key);
  if (first) return first;
  requireStockProducts(results[1]!, productIds, "lines");

  const id = crypto.randomUUID();
  const now = request.now;
  const move = { storeId, referenceId: id, reason: body.reason, userId: actor.userId, at: now };
  const lines = body.lines.map((l) => ({ productId: l.productId, countedQuantity: l.countedQuantity }));
  const answer = sql`json_object('id', ${id}, 'storeId', ${storeId}, 'reason', ${body.reason}, 'note', ${body.note}, 'userId', ${actor.userId},
    'createdAt', ${toIso(now)}, 'lines', (SELECT json_group_array(json(line)) FROM (
      SELECT json_object('productId', ${P.id}, 'kind', ${M.kind}, 'quantity', ${M.quantity}, 'countedQuantity', ${jsonField("countedQuantity")}, 'level', ${levelJson}) AS line
      FROM ${jsonRows(lines)} ${LEVELS_OF_ROWS(scope, storeId)}
      JOIN ${M} ON ${M.referenceId} = ${id} AND ${M.productId} = ${P.id}
      ORDER BY j.key)))`;

  const statements: Statement[] = [
    stillValid(scope, storeId, productIds),
    ...stockStatements(scope, { ...move, kind: "adjustment", changes: body.lines.flatMap((l) => (l.quantity === undefined ? [] : [{ productId: l.productId, quantity: l.quantity }])) }),
    ...countStatements(scope, { ...move, counts: body.lines.flatMap((l) => (l.countedQuantity === undefined ? [] : [{ productId: l.productId, countedQuantity: l.countedQuantity }])) }),
    levelFeedStatement(scope, storeId, productIds, now),
    recordAudit(scope.db, {
      tenantId: scope.tenantId, actorType: "user", actorId: actor.userId, action: "inventory.adjust", entity: "inventory_adjustment", entityId: id,
      detail: { storeId, reason: body.reason, note: body.note, lines: body.lines.length, counted: body.lines.filter((l) => l.countedQuantity !== undefined).length },
    }, request),
    ...keepAnswer(scope, key, answer, now),
    rawStatement(scope.db, sql`SELECT ${answer} AS answer`),
  ];
  try {
    const written = (await commit(scope.db, statements)) as unknown[][];
    return parse<Adjustment>(written.at(-1)!, "answer")[0]!;
  } catch (error) {
    if (key && isRace(error)) return replayAfterRace<Adjustment>(scope, key);
    if (isGuardFailure(error)) return explainGuardFailure(ctx, storeId, productIds, "lines");
    throw error;
  }
}

/** The idempotency record of an answer made in SQL (idempotency.ts's `record` takes one already made). */
function keepAnswer(scope: TenantScope, key: IdempotencyKey | undefined, answer: SQL, now: number): Statement[] {
  if (!key) return [];
  return [scope.db.insert(idempotencyRecords).select(sql`SELECT ${scope.tenantId}, ${key.key}, ${key.requestHash}, 201, ${answer}, ${now}`) as unknown as Statement];
}

/** Set (or clear, with null) reorder points of products in a store, in one batch; answers their levels after it, in the order given. */
export async function setReorderPoints(ctx: ServiceContext, body: z.output<typeof ReorderPointsBody>): Promise<InventoryLevel[]> {
  const { scope, actor, request } = ctx;
  const storeId = body.storeId ?? actor.storeId;
  const productIds = body.items.map((i) => i.productId);
  const access = storeAccess(ctx, storeId, "inventory.adjust");
  const results = (await scope.db.batch([stockProductsQuery(scope, productIds), ...access.queries] as [Statement, ...Statement[]])) as unknown[][];
  access.verify(results.slice(1));
  requireStockProducts(results[0]!, productIds, "items");

  const now = request.now;
  const statements: Statement[] = [
    stillValid(scope, storeId, productIds),
    reorderPointStatement(scope, storeId, body.items, now),
    levelFeedStatement(scope, storeId, productIds, now),
    recordAudit(scope.db, {
      tenantId: scope.tenantId, actorType: "user", actorId: actor.userId, action: "inventory.reorder_points", entity: "store", entityId: storeId,
      detail: { items: body.items.length },
    }, request),
    rawStatement(scope.db, sql`SELECT ${levelJson} AS level FROM ${jsonRows(body.items)} ${LEVELS_OF_ROWS(scope, storeId)} ORDER BY j.key`),
  ];
  try {
    const written = (await commit(scope.db, statements)) as unknown[][];
    return parse<InventoryLevel>(written.at(-1)!, "level");
  } catch (error) {
    if (isGuardFailure(error)) return explainGuardFailure(ctx, storeId, productIds, "items");
    throw error;
  }
}
