import { sql, type SQL } from "drizzle-orm";
import type { PushItem } from "../../schema/contracts/sync-push";
import { cashEvents, registerSessions, stores } from "../../schema/db";
import type { Permission } from "../../schema/permissions";
import { commit, expectThat, guard, isGuardFailure, isUniqueViolation, isWriteGuardFailure, type Statement } from "../db/batch";
import { DomainError, conflict, forbidden, businessRule, validationFailed, type FieldError } from "./errors";
import type { HubCaller } from "../store/hub-protocol";
import type { RegisterState } from "../store/hub-state";
import { cashEventDto } from "./cash-events";
import { mismatch, record, requestHash, type IdempotencyKey } from "./idempotency";
import { recordAudit, recordChange } from "./journal";
import { openStatements, refusals, sessionClosed, type HubContext, type SessionRow } from "./register-sessions";
import type { Catalogue, CatalogueItem, RateRow } from "./sale-pricing";
import { planSale, voidStatements, type SaleRow } from "./sales";
import { closeReadStatements, planClose } from "./session-close";
import { levelFeedStatement, stockStatements } from "./stock";
import { recordKey, type PushWorld } from "./sync-push-reads";
import { toIso } from "./versioning";

/**
 * Applying one pushed record: its checks against the push's view of the store (PushWorld), then its own D1 batch,
 * so that a record refused never takes another with it. Each batch keeps the record's retry key (idempotency.ts)
 * with its answer: the same record again is a duplicate and writes nothing; the same id with other content is 422
 * IDEMPOTENCY_MISMATCH. A refusal is thrown as a DomainError and becomes the item's `rejected` answer.
 *
 * Offline records keep their own time: a sale its soldAt, an open, close, cash event or void its `at`. A record
 * may land in a session that is already closed on the edge (the till closed it offline and the close arrived
 * first) as long as it was made before the close: the session is then marked for its Z report to be made again
 * (sync-push-z.ts). Made after the close, it is refused: the edge cannot tell which session it belongs to.
 */

/** Tills and the edge do not share a clock: a record may be this much before its session's open or after its close. */
export const CLOCK_SLACK_MS = 5 * 60 * 1000;

export interface PushOrigin {
  /** The device that made the records (the pusher, or the one a retried error came from). */
  deviceId: string | null;
  /** A till's register: its records must be of its register's sessions. Null for a store device. */
  registerId: string | null;
}

/** The hub's copy of its registers (hub-state.ts), as a push uses it. */
export interface RegisterCopies {
  get(h: HubContext, registerId: string): Promise<RegisterState>;
  rebuild(h: HubContext, registerId: string): Promise<RegisterState>;
  put(state: RegisterState, now: number): void;
  forget(registerId: string): void;
}

export interface PushContext {
  h: HubContext;
  origin: PushOrigin;
  world: PushWorld;
  store: typeof stores.$inferSelect;
  copies: RegisterCopies;
  /** Closed sessions that took a record: their Z reports are checked after the push. */
  lateSessions: Set<string>;
}

export interface Outcome {
  status: "applied" | "duplicate";
  flags: string[];
}

const CLOSE_ATTEMPTS = 3;

/** Apply one record; a refusal is thrown (DomainError). */
export async function applyRecord(ctx: PushContext, item: PushItem): Promise<Outcome> {
  const key: IdempotencyKey = { key: recordKey(item), requestHash: await requestHash(item) };
  const first = ctx.world.keys.get(key.key);
  if (first !== undefined) {
    if (first !== key.requestHash && !(item.type === "sale" && sameSale(ctx, ctx.world.sales.get(item.id), item))) throw mismatch();
    noteLate(ctx, item);
    return { status: "duplicate", flags: [] };
  }
  const flags = await APPLY[item.type](ctx, item as never, key);
  ctx.world.keys.set(key.key, key.requestHash);
  return { status: "applied", flags };
}

/** A sale posted at the till (POST /sales) and then pushed as well: the same sale when its receipt and figures agree. */
function sameSale(ctx: PushContext, sale: SaleRow | undefined, item: Extract<PushItem, { type: "sale" }>) {
  return !!sale && sale.storeId === ctx.store.id && sale.receiptNumber === item.receiptNumber && sale.grandTotal === item.grandTotal
    && sale.sessionId === item.sessionId && sale.cashierId === item.cashierId;
}

/** A duplicate of a record of a closed session: its Z report is checked again (a push may have stopped before it was). */
function noteLate(ctx: PushContext, item: PushItem) {
  const sessionId = item.type === "void" ? ctx.world.sales.get(item.saleId)?.sessionId : item.type === "sale" || item.type === "cash_event" ? item.sessionId : undefined;
  if (sessionId && ctx.world.sessions.get(sessionId)?.status === "closed") ctx.lateSessions.add(sessionId);
}

type Applier<T extends PushItem["type"]> = (ctx: PushContext, item: Extract<PushItem, { type: T }>, key: IdempotencyKey) => Promise<string[]>;

const APPLY: { [T in PushItem["type"]]: Applier<T> } = {
  sale: applySale,
  void: applyVoid,
  cash_event: applyCashEvent,
  session_open: applyOpen,
  session_close: applyClose,
  adjustment: applyAdjustment,
};

// ---------------------------------------------------------------------------------------------------------------
// Shared checks

/**
 * The person a record names: a live user of the tenant holding `permission` in the store as of now. A user
 * deactivated since is accepted (what they did at the till happened) and flagged for a person to look at.
 */
function person(ctx: PushContext, userId: string, permission: Permission, field: string, flag = "USER_INACTIVE") {
  const user = ctx.world.users.get(userId);
  if (!user) throw businessRule("UNKNOWN_USER", `The record names a user who is not one of this tenant's`, [{ path: field, message: "is not a user of this tenant" }]);
  if (!user.permissions.has(permission)) {
    throw forbidden(`The user named in ${field} does not hold ${permission} in store ${ctx.store.code}`, "MISSING_PERMISSION_IN_STORE");
  }
  return { permissions: user.permissions as ReadonlySet<string>, flags: user.isActive ? [] : [flag] };
}

/** The session a record names, if it takes a record made at `at` (its own time): see the module's comment. */
function sessionFor(ctx: PushContext, sessionId: string, at: number, field = "sessionId"): SessionRow {
  const session = ctx.world.sessions.get(sessionId);
  if (!session || session.storeId !== ctx.store.id) {
    throw businessRule("UNKNOWN_SESSION", "The record names a register session this store does not have (was its open pushed?)", [{ path: field, message: "is not a register session of this store" }]);
  }
  if (ctx.origin.registerId && session.registerId !== ctx.origin.registerId) {
    throw businessRule("REGISTER_MISMATCH", `Session ${session.id} is of register ${session.registerCode}, not this till's`, [{ path: field, message: "is another register's session" }]);
  }
  if (at + CLOCK_SLACK_MS < session.openedAt) {
    throw businessRule("BEFORE_SESSION_OPEN", `The record (${toIso(at)}) is older than its session, opened ${toIso(session.openedAt)}`, [{ path: field, message: "was not open yet at the record's time" }]);
  }
  if (session.status === "closed" && session.closedAt! + CLOCK_SLACK_MS < at) {
    throw conflict("SESSION_CLOSED", `Register session ${session.id} closed at ${toIso(session.closedAt!)}, before this record (${toIso(at)})`);
  }
  return session;
}

/** In the record's batch: the session still takes a record made at `at` (open, or closed after it). */
const takesRecord = (ctx: PushContext, sessionId: string, at: number): SQL =>
  sql`EXISTS (SELECT 1 FROM ${registerSessions} WHERE ${registerSessions.id} = ${sessionId} AND ${registerSessions.tenantId} = ${ctx.h.scope.tenantId}
    AND (${registerSessions.status} = 'open' OR ${registerSessions.closedAt} + ${CLOCK_SLACK_MS} >= ${at}))`;

const late = (ctx: PushContext, session: SessionRow) => {
  if (session.status === "closed") ctx.lateSessions.add(session.id);
};

/** Commit a record's batch; `explain` turns a constraint or guard failure into the refusal it means. */
async function write(ctx: PushContext, statements: Statement[], explain: (error: unknown) => DomainError | undefined) {
  try {
    await commit(ctx.h.scope.db, statements);
  } catch (error) {
    if (error instanceof DomainError) throw error;
    const refusal = explain(error);
    if (refusal) throw refusal;
    throw error;
  }
}

const idTaken = (what: string) => conflict("ID_TAKEN", `The ${what}'s id is already used by another record`);

const callerAs = (ctx: PushContext, userId: string): HubCaller => ({ ...ctx.h.caller, userId, deviceId: ctx.origin.deviceId });

// ---------------------------------------------------------------------------------------------------------------
// Sales and voids

/**
 * A sale keeps the price it was sold at and the tax rates the till charged (from its last pull): the edge does not
 * reprice it, it recomputes the sale with the money engine from the till's own unit prices, discounts and rates,
 * and refuses figures that do not add up (SALE_MISMATCH). A rate that is not the edge's current one is flagged.
 */
async function applySale(ctx: PushContext, item: Extract<PushItem, { type: "sale" }>, key: IdempotencyKey): Promise<string[]> {
  const { world, store, h } = ctx;
  const soldAt = Date.parse(item.soldAt);
  const session = sessionFor(ctx, item.sessionId, soldAt);
  const register = { id: session.registerId, code: session.registerCode };
  const cashier = person(ctx, item.cashierId, "pos.sell", "cashierId", "CASHIER_INACTIVE");
  if (world.sales.has(item.id)) throw idTaken("sale");
  if (world.receipts.has(item.receiptNumber)) throw conflict("RECEIPT_NUMBER_TAKEN", `Store ${store.code} already has a sale with receipt number ${item.receiptNumber}`);
  const fields: FieldError[] = [];
  const flags = [...cashier.flags];
  if (item.storeId && item.storeId !== store.id) fields.push({ path: "storeId", message: "must be the pushing store" });
  if (item.terminalId && item.terminalId !== register.code) fields.push({ path: "terminalId", message: `must be the session's register (${register.code})` });
  const cat = saleCatalogue(ctx, item, fields, flags);
  const plan = planSale(h.scope, {
    saleId: item.id, hash: key.requestHash, body: item, cat, store, register, sessionId: session.id, deviceId: ctx.origin.deviceId,
    cashierId: item.cashierId, permissions: cashier.permissions, fields, tenderRows: world.tenders,
    repFound: !!item.salesRepId && world.salesReps.has(item.salesRepId), customerFound: !!item.customerId && world.customers.has(item.customerId),
    returns: {
      original: item.originalSaleId ? world.sales.get(item.originalSaleId) : undefined,
      lines: (item.originalSaleId && world.lines.get(item.originalSaleId)) || [],
      returned: world.returned,
      allowUnreferenced: world.allowUnreferencedReturns,
    },
    keys: [key], sessionGuard: guard(h.scope.db, "session_open", takesRecord(ctx, session.id, soldAt)), now: h.now, soldAt,
  });
  await write(ctx, plan.statements, (error) => {
    if (isWriteGuardFailure(error, "session_open")) return conflict("SESSION_CLOSED", `Register session ${session.id} closed before the sale was made`);
    if (isWriteGuardFailure(error, "return_limit")) return conflict("RETURN_EXCEEDS_SOLD", "A line cannot be returned beyond what was sold (another return took it back)");
    if (isUniqueViolation(error, "sales.store_id")) return conflict("RECEIPT_NUMBER_TAKEN", `Store ${store.code} already has a sale with receipt number ${item.receiptNumber}`);
    if (isUniqueViolation(error, "idempotency_records")) return conflict("ID_TAKEN", "This sale was written meanwhile by another request: push it again");
    if (isUniqueViolation(error, "sales.id") || isUniqueViolation(error, "sale_lines.id") || isUniqueViolation(error, "sale_payments.id")) return idTaken("sale, a line or a payment");
    return undefined;
  });
  world.sales.set(item.id, plan.sale);
  world.lines.set(item.id, plan.lines);
  world.receipts.add(item.receiptNumber);
  for (const line of plan.lines) if (line.originalLineId) world.returned.set(line.originalLineId, (world.returned.get(line.originalLineId) ?? 0) + line.quantity);
  if (item.originalSaleId) world.withReturns.add(item.originalSaleId);
  late(ctx, session);
  return flags;
}

/** The catalogue a pushed sale is checked with: the products as the edge has them, the tax rates as the till charged. */
function saleCatalogue(ctx: PushContext, item: Extract<PushItem, { type: "sale" }>, fields: FieldError[], flags: string[]): Catalogue {
  const base = ctx.world.catalogue;
  const items = new Map<string, CatalogueItem>();
  item.items.forEach((line, i) => {
    const known = base.items.get(line.productId);
    if (!known) return; // planSale names it
    if (!line.taxes) {
      if (!items.has(line.productId)) items.set(line.productId, known);
      return;
    }
    const rates: RateRow[] = [];
    line.taxes.forEach((t, k) => {
      const rate = ctx.world.taxRates.get(t.taxRateId);
      if (!rate) return fields.push({ path: `items.${i}.taxes.${k}.taxRateId`, message: "is not a tax rate of this tenant" });
      const millionths = t.rateMillionths ?? (t.rate != null ? t.rate * 100 : rate.rateMillionths);
      if (millionths !== rate.rateMillionths && !flags.includes("TAX_RATE_CHANGED")) flags.push("TAX_RATE_CHANGED");
      rates.push({ productId: line.productId, taxRateId: rate.id, name: t.taxRateName ?? rate.name, rateMillionths: millionths, isCompound: t.isCompound ?? rate.isCompound, sortOrder: t.sortOrder ?? k });
    });
    rates.sort((a, b) => a.sortOrder - b.sortOrder);
    const earlier = items.get(line.productId);
    if (earlier && earlier !== known && JSON.stringify(earlier.rates) !== JSON.stringify(rates)) {
      fields.push({ path: `items.${i}.taxes`, message: "differs from an earlier line of the same product" });
    }
    items.set(line.productId, { ...known, rates });
  });
  return { store: base.store, tenant: base.tenant, items };
}

/** A void made offline: allowed if it was made while its session was open (before the close, when that came first). */
async function applyVoid(ctx: PushContext, item: Extract<PushItem, { type: "void" }>, key: IdempotencyKey): Promise<string[]> {
  const { world, store, h } = ctx;
  const at = Date.parse(item.at);
  const sale = world.sales.get(item.saleId);
  if (!sale || sale.storeId !== store.id) throw businessRule("UNKNOWN_SALE", "The void names a sale this store does not have (was it pushed?)", [{ path: "saleId", message: "is not a sale of this store" }]);
  const session = sessionFor(ctx, sale.sessionId, at, "saleId");
  if (sale.status === "voided") throw conflict("ALREADY_VOIDED", `Sale ${sale.id} is already voided`);
  if (world.withReturns.has(sale.id)) throw conflict("SALE_HAS_RETURNS", "Items of this sale were returned: void the returns first");
  const user = person(ctx, item.userId, "pos.void", "userId");
  const { voided, statements } = voidStatements(h.scope, sale, world.lines.get(sale.id) ?? [], { userId: item.userId, reason: item.reason, voidedAt: at, now: h.now });
  await write(ctx, [
    guard(h.scope.db, "session_open", takesRecord(ctx, session.id, at)),
    ...record(h.scope, key, 200, { saleId: sale.id, voidedAt: toIso(at) }, h.now),
    ...statements,
  ], (error) => {
    if (isWriteGuardFailure(error, "session_open")) return conflict("SESSION_CLOSED", "The sale's session closed before the void was made: make a return instead");
    if (isGuardFailure(error)) return conflict("ALREADY_VOIDED", "The sale was voided or changed meanwhile");
    return undefined;
  });
  world.sales.set(sale.id, voided);
  late(ctx, session);
  return user.flags;
}

// ---------------------------------------------------------------------------------------------------------------
// Register sessions and the cash drawer

async function applyCashEvent(ctx: PushContext, item: Extract<PushItem, { type: "cash_event" }>, key: IdempotencyKey): Promise<string[]> {
  const { h, store } = ctx;
  const at = Date.parse(item.at);
  const session = sessionFor(ctx, item.sessionId, at);
  const user = person(ctx, item.userId, "registers.open", "userId");
  const row = {
    id: item.id, tenantId: h.scope.tenantId, storeId: store.id, sessionId: session.id, kind: item.kind, amount: item.amount, reason: item.reason ?? null,
    userId: item.userId, deviceId: ctx.origin.deviceId, at,
  };
  const { tenantId: _t, ...columns } = row;
  await write(ctx, [
    expectThat(h.scope.db, takesRecord(ctx, session.id, at)),
    h.scope.insert(cashEvents, columns),
    recordChange(h.scope, { entity: "cash_event", entityId: row.id, op: "upsert", version: 1, storeId: store.id }, h.now),
    ...record(h.scope, key, 201, cashEventDto(row), h.now),
  ], (error) => {
    if (isGuardFailure(error)) return conflict("SESSION_CLOSED", `Register session ${session.id} closed before the cash event was made`);
    if (isUniqueViolation(error, "cash_events.id")) return idTaken("cash event");
    return undefined;
  });
  late(ctx, session);
  return user.flags;
}

/** A session opened offline: the id the till gave it, and its own time; one open session per register still holds. */
async function applyOpen(ctx: PushContext, item: Extract<PushItem, { type: "session_open" }>, key: IdempotencyKey): Promise<string[]> {
  const { h, world, origin } = ctx;
  const registerId = item.registerId ?? origin.registerId;
  if (!registerId) throw validationFailed([{ path: "registerId", message: "is required from a device that is not a till" }]);
  const register = world.registers.get(registerId);
  if (!register) throw businessRule("UNKNOWN_REGISTER", "The open names a register this store does not have", [{ path: "registerId", message: "is not a register of this store" }]);
  if (origin.registerId && register.id !== origin.registerId) throw businessRule("REGISTER_MISMATCH", "A till opens only its own register", [{ path: "registerId", message: "is not this till's register" }]);
  if (!register.isActive) throw refusals.registerInactive(register.code);
  const user = person(ctx, item.userId, "registers.open", "userId");
  if (world.sessions.has(item.id)) throw idTaken("session");
  const at = Date.parse(item.at);
  const caller = callerAs(ctx, item.userId);
  const { statements } = openStatements({ ...h, caller }, {
    caller, register: { id: register.id, code: register.code, name: register.name }, openingFloat: item.openingFloat, idempotency: key, sessionId: item.id, openedAt: at,
  });
  await write(ctx, statements, (error) => {
    if (isUniqueViolation(error, "register_sessions.register_id")) return refusals.alreadyOpen(register.code);
    if (isUniqueViolation(error, "register_sessions.id")) return idTaken("session");
    if (isGuardFailure(error)) return refusals.registerInactive(register.code);
    return undefined;
  });
  ctx.copies.forget(register.id);
  world.sessions.set(item.id, {
    id: item.id, tenantId: h.scope.tenantId, storeId: ctx.store.id, registerId: register.id, status: "open", openingFloat: item.openingFloat,
    openedBy: item.userId, openedAt: at, openedDeviceId: origin.deviceId, closedBy: null, closedAt: null, counted: null, expected: null, zNumber: null,
    version: 1, createdAt: h.now, updatedAt: h.now, deletedAt: null, registerCode: register.code, registerName: register.name,
  });
  return user.flags;
}

/**
 * A close made offline: the counts the till took, at its own time, and the Z report from the session's rows on the
 * edge (the hub numbers it, as for a close made online). Records of the session that arrive later amend it.
 */
async function applyClose(ctx: PushContext, item: Extract<PushItem, { type: "session_close" }>, key: IdempotencyKey): Promise<string[]> {
  const { h, world } = ctx;
  const at = Date.parse(item.at);
  const session = world.sessions.get(item.sessionId);
  if (session?.status === "closed") throw sessionClosed(session);
  const open = sessionFor(ctx, item.sessionId, at);
  const user = person(ctx, item.userId, "registers.close", "userId");
  const caller = callerAs(ctx, item.userId);
  const command = { caller, sessionId: open.id, registerId: open.registerId, counted: item.counted, idempotency: key };
  for (let attempt = 0; attempt < CLOSE_ATTEMPTS; attempt++) {
    const state = await ctx.copies.get(h, open.registerId);
    const results = (await h.scope.db.batch(closeReadStatements(h.scope, open.id) as [Statement, ...Statement[]])) as unknown as unknown[][];
    const plan = planClose({ ...h, caller, now: at }, results, state, command);
    try {
      await commit(h.scope.db, plan.statements);
    } catch (error) {
      if (error instanceof DomainError) throw error;
      if (isGuardFailure(error)) continue;
      if (isUniqueViolation(error, "z_reports.z_number") || isUniqueViolation(error, "z_reports.session_id")) {
        await ctx.copies.rebuild(h, open.registerId);
        continue;
      }
      throw error;
    }
    ctx.copies.put(plan.next, h.now);
    world.sessions.set(open.id, { ...open, status: "closed", closedAt: at, closedBy: item.userId, zNumber: plan.result.zReport.zNumber });
    return user.flags;
  }
  throw conflict("SESSION_BUSY", "The session kept changing while it was being closed; push the close again");
}

// ---------------------------------------------------------------------------------------------------------------
// Stock

/** Adjustments made offline: changes only (a count would erase the sales that landed after it), booked as they come. */
async function applyAdjustment(ctx: PushContext, item: Extract<PushItem, { type: "adjustment" }>, key: IdempotencyKey): Promise<string[]> {
  const { h, store, world } = ctx;
  const user = person(ctx, item.userId, "inventory.adjust", "userId");
  const fields: FieldError[] = [];
  item.lines.forEach((line, i) => {
    const known = world.catalogue.items.get(line.productId);
    if (!known) fields.push({ path: `lines.${i}.productId`, message: "is not a product of this tenant" });
    else if (!known.product.trackStock) fields.push({ path: `lines.${i}.productId`, message: "does not track stock (trackStock is false)" });
  });
  if (fields.length) throw businessRule("UNKNOWN_REFERENCE", "Some lines name products that do not exist or do not track stock", fields);
  const productIds = [...new Set(item.lines.map((l) => l.productId))];
  await write(ctx, [
    ...record(h.scope, key, 201, { id: item.id, storeId: store.id, reason: item.reason, lines: item.lines }, h.now),
    ...stockStatements(h.scope, { storeId: store.id, kind: "adjustment", referenceId: item.id, reason: item.reason, userId: item.userId, at: h.now, changes: item.lines }),
    levelFeedStatement(h.scope, store.id, productIds, h.now),
    recordAudit(h.scope.db, {
      tenantId: h.scope.tenantId, actorType: "user", actorId: item.userId, action: "inventory.adjust", entity: "inventory_adjustment", entityId: item.id,
      detail: { storeId: store.id, reason: item.reason, note: item.note ?? null, lines: item.lines.length, offline: true, at: item.at, deviceId: ctx.origin.deviceId },
    }, h.request),
  ], () => undefined);
  return user.flags;
}
