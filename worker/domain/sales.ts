import { and, asc, desc, eq, gte, isNull, lt, sql, type SQL } from "drizzle-orm";
import type { CreateSaleBody, Sale } from "../../schema/contracts/sales";
import {
  customers, devices, registers, registerSessions, salePayments, saleLines, saleLineTaxes, sales, salesReps, stores, tenants, tenders,
} from "../../schema/db";
import { toBasisPoints, type DocumentResult } from "../../schema/money";
import { commit, expectOneChange, guard, isGuardFailure, isUniqueViolation, isWriteGuardFailure, type Statement } from "../db/batch";
import { insertFromJson } from "../db/json-rows";
import { readPage } from "../db/paging";
import type { TenantScope } from "../db/tenant-scope";
import { conflict, forbidden, notFound, businessRule, type FieldError } from "./errors";
import { principalOf, type ServiceContext } from "./context";
import { maskCode } from "./giftcard-codes";
import { explainRefusedUses, giftPaymentReads, giftPaymentsOf, giftPaymentStatements, returnUncheckedAttempts, voidGiftCardStatements } from "./giftcard-checkout";
import { isFundsFailure } from "./giftcard-ledger";
import { idempotencyQuery, isRace, record, replay, replayAfterRace, requestHash, type IdempotencyKey } from "./idempotency";
import { recordChange } from "./journal";
import { catalogueReads, cashRoundingOf, discrepancy, priceSale, saleTotals, type Catalogue } from "./sale-pricing";
import { saleAggregateStatements, voidAggregateStatements } from "./sale-aggregates";
import { levelFeedStatement, stockStatements } from "./stock";
import { toIso, toIsoOrNull } from "./versioning";

/**
 * Sales. A till sends a complete sale (the spec's body: its lines, taxes, payments and totals); the edge reads
 * everything it needs in one round trip, recomputes the sale with the money engine, refuses (422) what does not
 * agree, and writes the sale, its lines, line taxes, payments, stock and change feed in one batch: two D1 round
 * trips whatever the number of lines. A return is a sale with negative quantities naming the lines it returns.
 *
 * Retries: the sale's id (made by the till) and an Idempotency-Key header both name the request; a retry of the
 * same request answers the first answer again and writes nothing; the same id or key with another request is
 * 422 IDEMPOTENCY_MISMATCH.
 */
export type SaleRow = typeof sales.$inferSelect;
export type LineRow = typeof saleLines.$inferSelect;
export type LineTaxRow = typeof saleLineTaxes.$inferSelect;
export type PaymentRow = typeof salePayments.$inferSelect;
export type TenderRow = typeof tenders.$inferSelect;
type StoreRow = typeof stores.$inferSelect;

const NONE = "00000000-0000-0000-0000-000000000000";
const saleKey = (saleId: string, hash: string): IdempotencyKey => ({ key: `sales:id:${saleId}`, requestHash: hash });

/** The answer for a stored sale. */
export function saleDto(sale: SaleRow, lines: LineRow[], taxes: LineTaxRow[], payments: PaymentRow[]): Sale {
  const taxesOf = new Map<string, LineTaxRow[]>();
  for (const t of taxes) taxesOf.set(t.lineId, [...(taxesOf.get(t.lineId) ?? []), t]);
  const rateTotals = new Map<string, Sale["taxes"][number]>();
  const orderedLines = [...lines].sort((a, b) => a.lineNo - b.lineNo);
  for (const line of orderedLines) {
    for (const t of (taxesOf.get(line.id) ?? []).sort((a, b) => a.sortOrder - b.sortOrder)) {
      const total = rateTotals.get(t.taxRateId) ?? { taxRateId: t.taxRateId, name: t.name, rate: toBasisPoints(t.rateMillionths), rateMillionths: t.rateMillionths, isCompound: t.isCompound, taxable: 0, amount: 0 };
      total.taxable += line.net;
      total.amount += t.amount;
      rateTotals.set(t.taxRateId, total);
    }
  }
  return {
    id: sale.id,
    storeId: sale.storeId,
    registerId: sale.registerId,
    sessionId: sale.sessionId,
    receiptNumber: sale.receiptNumber,
    kind: sale.kind,
    status: sale.status,
    originalSaleId: sale.originalSaleId,
    unreferenced: sale.unreferenced,
    cashierId: sale.cashierId,
    salesRepId: sale.salesRepId,
    customerId: sale.customerId,
    currency: sale.currency,
    pricesIncludeTax: sale.pricesIncludeTax,
    taxRounding: sale.taxRounding,
    subtotal: sale.subtotal,
    discountTotal: sale.discountTotal,
    taxTotal: sale.taxTotal,
    grandTotal: sale.grandTotal,
    cashRounding: sale.cashRounding,
    totalDue: sale.totalDue,
    paidTotal: sale.paidTotal,
    changeGiven: sale.changeGiven,
    soldAt: toIso(sale.soldAt),
    voidedAt: toIsoOrNull(sale.voidedAt),
    voidedBy: sale.voidedBy,
    voidReason: sale.voidReason,
    lines: orderedLines.map((l) => ({
      id: l.id, lineNo: l.lineNo, productId: l.productId, productName: l.productName, sku: l.sku, departmentId: l.departmentId,
      quantity: l.quantity, unitPrice: l.unitPrice, cataloguePrice: l.cataloguePrice, priceOverride: l.priceOverride, discount: l.discount,
      net: l.net, tax: l.tax, gross: l.gross, originalLineId: l.originalLineId,
      taxes: (taxesOf.get(l.id) ?? []).sort((a, b) => a.sortOrder - b.sortOrder).map((t) => ({
        taxRateId: t.taxRateId, name: t.name, rate: toBasisPoints(t.rateMillionths), rateMillionths: t.rateMillionths, isCompound: t.isCompound, sortOrder: t.sortOrder, amount: t.amount,
      })),
    })),
    payments: [...payments].sort((a, b) => a.lineNo - b.lineNo).map((p) => ({ id: p.id, tenderId: p.tenderId, method: p.tenderCode, isCash: p.isCash, amount: p.amount, reference: p.reference })),
    taxes: [...rateTotals.values()],
    version: sale.version,
    createdAt: toIso(sale.createdAt),
    updatedAt: toIso(sale.updatedAt),
  };
}

/** The guard that the sale's register session is open, for the sale's batch (write_guards.register_session_open). */
const sessionOpenGuard = (scope: TenantScope, sessionId: string, registerId: string): Statement =>
  guard(scope.db, "session_open", sql`EXISTS (SELECT 1 FROM ${registerSessions} WHERE ${registerSessions.id} = ${sessionId} AND ${registerSessions.registerId} = ${registerId} AND ${registerSessions.status} = 'open')`);

/**
 * The guard that no line of the original sale is returned beyond what was sold, counting every completed
 * return, this one included (write_guards.return_within_sold): two returns racing cannot both take the last one.
 */
export const returnLimitGuard = (scope: TenantScope, originalSaleId: string): Statement =>
  guard(scope.db, "return_limit", sql`NOT EXISTS (SELECT 1 FROM ${saleLines} l WHERE l.sale_id = ${originalSaleId} AND l.quantity + coalesce((
    SELECT sum(r.quantity) FROM ${saleLines} r JOIN ${sales} s ON s.id = r.sale_id WHERE r.original_line_id = l.id AND s.status = 'completed'), 0) < 0)`);

/** What a sale from a till needs of the till: its device, the device's register and the register's open session. */
function tillReads(scope: TenantScope, deviceId: string | null) {
  const device = deviceId ?? NONE;
  const registerOfDevice = sql`(SELECT ${devices.registerId} FROM ${devices} WHERE ${devices.id} = ${device} AND ${devices.revokedAt} IS NULL)`;
  return [
    scope.select(devices, eq(devices.id, device), isNull(devices.revokedAt)),
    scope.select(registers, eq(registers.id, registerOfDevice), isNull(registers.deletedAt)),
    scope.select(registerSessions, eq(registerSessions.registerId, registerOfDevice), eq(registerSessions.status, "open")),
  ];
}

/** The original sale of a return, its lines and what completed returns already took back of each line. */
function originalReads(scope: TenantScope, originalSaleId: string | undefined) {
  const id = originalSaleId ?? NONE;
  return [
    scope.select(sales, eq(sales.id, id)),
    scope.select(saleLines, eq(saleLines.saleId, id)),
    returnedByLine(scope, eq(sales.originalSaleId, id)),
  ];
}

/** What completed returns of the sales `originals` names have taken back, per original line (negative quantities). */
export function returnedByLine(scope: TenantScope, originals: SQL) {
  return scope.db
    .select({ originalLineId: saleLines.originalLineId, returned: sql<number>`sum(${saleLines.quantity})`.as("returned") })
    .from(saleLines)
    .innerJoin(sales, eq(sales.id, saleLines.saleId))
    .where(and(eq(saleLines.tenantId, scope.tenantId), originals, eq(sales.status, "completed")))
    .groupBy(saleLines.originalLineId);
}

export interface SaleRequest {
  body: CreateSaleBody;
  /** The Idempotency-Key, if the request carried one. */
  idempotency: IdempotencyKey | undefined;
}

/** The request as it is hashed for retries: a gift card's PIN left out, so that no hash of a PIN is ever stored. */
export const hashedSaleRequest = (body: CreateSaleBody) => ({
  ...body, payments: body.payments.map((p) => (p.giftCard ? { ...p, giftCard: { code: p.giftCard.code } } : p)),
});

/**
 * Create a sale (or a return) from a till with an open register session. A gift card payment is checked in the
 * same two round trips (giftcard-checkout.ts): the card found in the read, its USE written with the sale.
 */
export async function createSale(ctx: ServiceContext, request: SaleRequest): Promise<Sale> {
  const { scope, actor } = ctx;
  const { body } = request;
  const now = ctx.request.now;
  const saleId = body.id ?? crypto.randomUUID();
  const hash = await requestHash(hashedSaleRequest(body));
  const principal = principalOf(actor);
  const gifts = giftPaymentsOf(body.payments);
  const giftReads = giftPaymentReads(scope, principal, gifts, now);
  const byId = saleKey(saleId, hash);
  const soldAt = body.soldAt ? Date.parse(body.soldAt) : now;
  const catalogue = catalogueReads(scope, actor.storeId, body.items.map((i) => i.productId), soldAt);

  const results = await scope.db.batch([
    ...catalogue.statements,
    ...tillReads(scope, actor.deviceId),
    scope.select(tenders, isNull(tenders.deletedAt)),
    idempotencyQuery(scope, byId),
    idempotencyQuery(scope, request.idempotency),
    scope.select(sales, eq(sales.storeId, actor.storeId), eq(sales.receiptNumber, body.receiptNumber)),
    ...originalReads(scope, body.originalSaleId),
    scope.db.select({ id: salesReps.id }).from(salesReps).where(scope.where(salesReps, eq(salesReps.id, body.salesRepId ?? NONE), isNull(salesReps.deletedAt))),
    scope.db.select({ id: customers.id }).from(customers).where(scope.where(customers, eq(customers.id, body.customerId ?? NONE), isNull(customers.deletedAt))),
    scope.db.select({ allowUnreferencedReturns: tenants.allowUnreferencedReturns }).from(tenants).where(eq(tenants.id, scope.tenantId)),
    ...giftReads,
  ] as unknown as [Statement, ...Statement[]]);
  const n = catalogue.statements.length;
  const cat = catalogue.read(results.slice(0, n));
  const giftResults = results.slice(results.length - giftReads.length) as unknown[][];
  const [deviceRows, registerRows, sessionRows, tenderRows, byIdRows, byKeyRows, receiptRows, originalRows, originalLineRows, returnedRows, repRows, customerRows, settingRows] =
    results.slice(n, results.length - giftReads.length) as unknown[][];

  // Refused before any gift card PIN was checked (or a retry): the attempts counted for them are given back.
  const beforeGiftCards = async <T>(step: () => T | Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (error) {
      if (gifts.length) await returnUncheckedAttempts(scope, gifts, giftResults);
      throw error;
    }
  };

  /** The till, its session, the cashier and the sale checked against the catalogue: its batch (gift cards aside). */
  const checkAndPlan = () => {
    const device = deviceRows![0] as typeof devices.$inferSelect | undefined;
    const register = registerRows![0] as typeof registers.$inferSelect | undefined;
    const session = sessionRows![0] as typeof registerSessions.$inferSelect | undefined;
    if (!device || device.kind !== "register" || !register) {
      throw forbidden("A sale is made at an enrolled till: sign in at the till (PIN at its register) to sell", "REGISTER_REQUIRED");
    }
    if (!session) throw conflict("REGISTER_NOT_OPEN", `Register ${register.code} has no open session: open it first (POST /api/v1/registers/open)`);
    const store = cat.store;
    if (!store) throw notFound("Store");
    const receiptTaken = receiptRows![0] as SaleRow | undefined;
    if (receiptTaken) throw conflict("RECEIPT_NUMBER_TAKEN", `Store ${store.code} already has a sale with receipt number ${body.receiptNumber}`);

    const fields: FieldError[] = [];
    if (body.cashierId && body.cashierId !== actor.userId) fields.push({ path: "cashierId", message: "must be the signed-in cashier" });
    if (body.storeId && body.storeId !== store.id) fields.push({ path: "storeId", message: "must be the till's store" });
    if (body.terminalId && body.terminalId !== register.code) fields.push({ path: "terminalId", message: `must be the till's register (${register.code})` });
    const plan = planSale(scope, {
      saleId, hash, body, cat, store, register, sessionId: session.id, deviceId: device.id, cashierId: actor.userId, permissions: actor.permissions, fields,
      tenderRows: tenderRows as TenderRow[], repFound: repRows!.length > 0, customerFound: customerRows!.length > 0,
      returns: {
        original: originalRows![0] as SaleRow | undefined,
        lines: originalLineRows as LineRow[],
        returned: new Map((returnedRows as { originalLineId: string; returned: number }[]).map((r) => [r.originalLineId, Number(r.returned)])),
        allowUnreferenced: (settingRows![0] as { allowUnreferencedReturns: boolean } | undefined)?.allowUnreferencedReturns ?? false,
      },
      keys: [byId, request.idempotency], sessionGuard: sessionOpenGuard(scope, session.id, register.id), now, soldAt, giftCardsOnline: true,
    });
    return { ...plan, register, store };
  };

  // A retry of a request already answered: the first answer, nothing written.
  const first = await beforeGiftCards(() => replay<Sale>(byKeyRows!, request.idempotency) ?? replay<Sale>(byIdRows!, byId));
  if (first) {
    if (gifts.length) await returnUncheckedAttempts(scope, gifts, giftResults);
    return first;
  }
  const plan = await beforeGiftCards(() => checkAndPlan());
  const gift = await giftPaymentStatements(scope, principal, gifts, giftResults, {
    id: saleId, receiptNumber: body.receiptNumber, storeId: plan.sale.storeId, currency: plan.sale.currency, paymentIds: plan.answer.payments.map((p) => p.id),
  }, now);
  const register = plan.register;
  const store = plan.store;
  try {
    await commit(scope.db, [...plan.statements, ...gift.statements]);
  } catch (error) {
    // The cards' PINs were right: their attempts are given back, whatever stopped the sale.
    if (gift.refunds.length) await commit(scope.db, gift.refunds);
    if (isWriteGuardFailure(error, "session_open")) throw conflict("REGISTER_NOT_OPEN", `Register ${register.code}'s session closed before the sale was written`);
    if (isWriteGuardFailure(error, "return_limit")) throw conflict("RETURN_EXCEEDS_SOLD", "Another return took these items back meanwhile: a line cannot be returned beyond what was sold");
    if (isRace(error)) return replayAfterRace<Sale>(scope, request.idempotency ? await raceKey(scope, request.idempotency, byId) : byId);
    if (isUniqueViolation(error, "sales.store_id")) throw conflict("RECEIPT_NUMBER_TAKEN", `Store ${store.code} already has a sale with receipt number ${body.receiptNumber}`);
    if (isUniqueViolation(error, "sales.id") || isUniqueViolation(error, "sale_lines.id") || isUniqueViolation(error, "sale_payments.id")) {
      throw conflict("ID_TAKEN", "An id of this sale, its lines or payments is already used");
    }
    // A gift card was blocked, or its money spent, between the read and the write.
    if (gift.uses.length && (isFundsFailure(error) || isGuardFailure(error))) throw await explainRefusedUses(scope, gift.uses, now);
    throw error;
  }
  return plan.answer;
}

/** What a sale is made of once its till, session and cashier are known (a sale at a till, or one pushed by a store). */
export interface SalePlanInput {
  saleId: string;
  /** The hash of the request the sale came in (kept on the sale and with its idempotency records). */
  hash: string;
  body: CreateSaleBody;
  /** The catalogue as the sale is priced: its products, their tax rates and their effective prices. */
  cat: Catalogue;
  store: StoreRow;
  register: { id: string; code: string };
  sessionId: string;
  deviceId: string | null;
  cashierId: string;
  /** The cashier's permissions in the store (a return without a receipt needs pos.void). */
  permissions: ReadonlySet<string>;
  /** Field errors the caller found already (they are answered with the plan's own). */
  fields: FieldError[];
  tenderRows: TenderRow[];
  repFound: boolean;
  customerFound: boolean;
  returns: ReturnContext;
  /** The idempotency records the batch keeps the answer under. */
  keys: (IdempotencyKey | undefined)[];
  /** The batch's guard that the sale's session takes it (open, for a sale at a till). */
  sessionGuard: Statement;
  now: number;
  soldAt: number;
  /**
   * The caller checks and writes the gift cards the payments name (a sale at an online till: giftcard-checkout.ts).
   * Otherwise (a pushed sale) a payment naming a gift card is refused, and one of a gift_card tender without a
   * card is taken as it is (a gift card of another system).
   */
  giftCardsOnline?: boolean;
}

/**
 * Check a sale against the catalogue and the money engine (422 naming what does not agree) and make its batch:
 * the sale, lines, line taxes, payments, stock, change feed and idempotency records. (A till's gift cards are the
 * caller's: createSale adds their statements.)
 */
export function planSale(scope: TenantScope, input: SalePlanInput): { answer: Sale; sale: SaleRow; lines: LineRow[]; statements: Statement[] } {
  const { saleId, hash, body, cat, store, register, now, soldAt, fields } = input;
  const session = { id: input.sessionId };
  const device = { id: input.deviceId };
  const actor = { userId: input.cashierId, permissions: input.permissions };
  if (body.salesRepId && !input.repFound) fields.push({ path: "salesRepId", message: "is not a sales rep of this tenant" });
  if (body.customerId && !input.customerFound) fields.push({ path: "customerId", message: "is not a customer of this tenant" });
  body.items.forEach((item, i) => {
    if (!cat.items.has(item.productId)) fields.push({ path: `items.${i}.productId`, message: "is not a product of this tenant" });
  });
  const tenderByCode = new Map(input.tenderRows.filter((t) => t.isActive).map((t) => [t.code, t]));
  body.payments.forEach((p, i) => {
    if (!tenderByCode.has(p.method)) fields.push({ path: `payments.${i}.method`, message: "is not an active tender of this tenant" });
  });
  if (fields.length) throw businessRule("UNKNOWN_REFERENCE", "The sale names products, tenders or people that are not this tenant's live ones", fields);
  checkGiftCardPayments(body, tenderByCode, input.giftCardsOnline ?? false);

  const isReturn = body.originalSaleId !== undefined || body.unreferenced || body.items.some((i) => i.quantity < 0);
  const original = checkReturn(actor.permissions, body, isReturn, input.returns);

  const priced = priceSale(cat, store, body.items.map((i) => ({ productId: i.productId, quantity: i.quantity, unitPrice: i.unitPrice, discount: i.discountAmount })));
  const money = checkFigures(body, priced, store.cashRoundingUnit, tenderByCode, isReturn);

  const lineRows: LineRow[] = body.items.map((item, i) => {
    const { product, price } = cat.items.get(item.productId)!;
    const line = priced.lines[i]!;
    const cataloguePrice = item.originalLineId ? original.lineById.get(item.originalLineId)!.unitPrice : price;
    return {
      id: item.id ?? crypto.randomUUID(), tenantId: scope.tenantId, saleId, lineNo: i + 1, productId: product.id, productName: product.name, sku: product.sku,
      departmentId: product.departmentId, quantity: item.quantity, unitPrice: item.unitPrice, cataloguePrice, priceOverride: item.unitPrice !== cataloguePrice,
      discount: Math.abs(line.discount), net: line.net, tax: line.tax, gross: line.gross, costPrice: product.costPrice, originalLineId: item.originalLineId ?? null,
    };
  });
  const taxRows: LineTaxRow[] = lineRows.flatMap((l, i) =>
    priced.lines[i]!.taxes.map((t) => ({ tenantId: scope.tenantId, saleId, lineId: l.id, taxRateId: t.id, name: t.name, rateMillionths: t.rateMillionths, isCompound: t.isCompound, sortOrder: t.sortOrder, amount: t.amount })),
  );
  const paymentRows: PaymentRow[] = body.payments.map((p, i) => {
    const tender = tenderByCode.get(p.method)!;
    const reference = p.giftCard ? maskCode(p.giftCard.code) : p.reference ?? null;
    return { id: p.id ?? crypto.randomUUID(), tenantId: scope.tenantId, saleId, lineNo: i + 1, tenderId: tender.id, tenderCode: tender.code, isCash: tender.isCash, amount: p.amount, reference };
  });
  const sale: SaleRow = {
    id: saleId, tenantId: scope.tenantId, storeId: store.id, registerId: register.id, sessionId: session.id, deviceId: device.id,
    receiptNumber: body.receiptNumber, kind: isReturn ? "return" : "sale", originalSaleId: body.originalSaleId ?? null, unreferenced: body.unreferenced,
    status: "completed", cashierId: actor.userId, salesRepId: body.salesRepId ?? null, customerId: body.customerId ?? null,
    currency: store.currency, pricesIncludeTax: store.pricesIncludeTax, taxRounding: cat.tenant?.taxRounding ?? "line",
    ...money, soldAt, voidedAt: null, voidedBy: null, voidReason: null, requestHash: hash,
    version: 1, createdAt: now, updatedAt: now, deletedAt: null,
  };
  const answer = saleDto(sale, lineRows, taxRows, paymentRows);

  const statements: Statement[] = [
    input.sessionGuard,
    // The retry records first: of two requests racing with one id or key, the loser fails here and is answered.
    ...input.keys.flatMap((key) => record(scope, key, 201, answer, now)),
    scope.insert(sales, sale),
    insertFromJson(scope, saleLines, lineRows.map(({ tenantId: _t, ...l }) => l)),
    ...(taxRows.length ? [insertFromJson(scope, saleLineTaxes, taxRows.map(({ tenantId: _t, ...t }) => t))] : []),
    ...(paymentRows.length ? [insertFromJson(scope, salePayments, paymentRows.map(({ tenantId: _t, ...p }) => p))] : []),
    ...saleAggregateStatements(scope, sale, store.timeZone),
    ...stockStatements(scope, { storeId: store.id, kind: isReturn ? "return" : "sale", referenceId: saleId, userId: actor.userId, at: now, changes: lineRows.map((l) => ({ productId: l.productId, quantity: -l.quantity })) }),
    levelFeedStatement(scope, store.id, [...new Set(lineRows.map((l) => l.productId))], now),
    ...(body.originalSaleId ? [returnLimitGuard(scope, body.originalSaleId)] : []),
    recordChange(scope, { entity: "sale", entityId: saleId, op: "upsert", version: 1, storeId: store.id }, now),
  ];
  return { answer, sale, lines: lineRows, statements };
}

/**
 * Gift card payments: a payment names a card exactly when its tender is of kind gift_card (at an online till), for
 * a non-zero amount; a pushed sale cannot name one (the card is checked and spent online only).
 */
function checkGiftCardPayments(body: CreateSaleBody, tenderByCode: Map<string, TenderRow>, online: boolean) {
  const fields: FieldError[] = [];
  body.payments.forEach((p, i) => {
    const isGiftTender = tenderByCode.get(p.method)?.kind === "gift_card";
    if (p.giftCard && !isGiftTender) fields.push({ path: `payments.${i}.giftCard`, message: "names a gift card, but the tender is not of kind gift_card" });
    if (p.giftCard && p.amount === 0) fields.push({ path: `payments.${i}.amount`, message: "must not be zero for a gift card" });
    if (online && isGiftTender && !p.giftCard) fields.push({ path: `payments.${i}.giftCard`, message: "names the gift card paid with (its code, and its PIN when it has one)" });
  });
  if (fields.length) throw businessRule("INVALID_GIFT_CARD_PAYMENT", "A gift card payment of this sale does not hold together", fields);
  if (!online && body.payments.some((p) => p.giftCard)) {
    throw businessRule("GIFT_CARD_NEEDS_ONLINE", "A gift card is paid at an online till (POST /api/v1/sales): its balance and PIN are checked as it is spent");
  }
}

/** After a lost race: the key that the winner holds (the request's own key, else the sale id). */
async function raceKey(scope: TenantScope, key: IdempotencyKey, byId: IdempotencyKey): Promise<IdempotencyKey> {
  const rows = await idempotencyQuery(scope, key);
  return rows[0] ? key : byId;
}

export interface ReturnContext {
  original: SaleRow | undefined;
  lines: LineRow[];
  /** Per original line: what completed returns took back already (negative thousandths). */
  returned: Map<string, number>;
  allowUnreferenced: boolean;
}

/**
 * A return: negative quantities only, naming the sale it returns and, per line, the line; never beyond what was
 * sold minus what earlier returns took back. Without a receipt (unreferenced) it needs pos.void and the tenant's
 * setting. A sale has positive quantities only.
 */
function checkReturn(permissions: ReadonlySet<string>, body: CreateSaleBody, isReturn: boolean, rc: ReturnContext) {
  const lineById = new Map(rc.lines.map((l) => [l.id, l]));
  const fields: FieldError[] = [];
  if (!isReturn) {
    body.items.forEach((item, i) => item.originalLineId && fields.push({ path: `items.${i}.originalLineId`, message: "belongs on a return only" }));
    if (fields.length) throw businessRule("NOT_A_RETURN", "A sale names no original lines", fields);
    return { lineById };
  }
  body.items.forEach((item, i) => item.quantity > 0 && fields.push({ path: `items.${i}.quantity`, message: "must be negative on a return" }));
  if (body.unreferenced) {
    if (body.originalSaleId) fields.push({ path: "originalSaleId", message: "a return without a receipt names no sale" });
    if (fields.length) throw businessRule("INVALID_RETURN", "This return does not hold together", fields);
    if (!rc.allowUnreferenced) throw forbidden("This tenant does not take returns without a receipt (tenant setting allowUnreferencedReturns)", "UNREFERENCED_RETURNS_OFF");
    if (!permissions.has("pos.void")) throw forbidden("A return without a receipt needs the permission pos.void", "MISSING_PERMISSION");
    return { lineById };
  }
  if (!body.originalSaleId) fields.push({ path: "originalSaleId", message: "a return names the sale it returns (or is unreferenced)" });
  else if (!rc.original) fields.push({ path: "originalSaleId", message: "is not a sale of this tenant" });
  else if (rc.original.status !== "completed" || rc.original.kind !== "sale") fields.push({ path: "originalSaleId", message: `is a ${rc.original.status} ${rc.original.kind}: only a completed sale can be returned` });
  const taking = new Map<string, number>();
  body.items.forEach((item, i) => {
    const line = item.originalLineId ? lineById.get(item.originalLineId) : undefined;
    if (!item.originalLineId) return fields.push({ path: `items.${i}.originalLineId`, message: "names the line of the original sale it returns" });
    if (!line) return fields.push({ path: `items.${i}.originalLineId`, message: "is not a line of the original sale" });
    if (line.productId !== item.productId) return fields.push({ path: `items.${i}.productId`, message: "is not the product of the original line" });
    const left = line.quantity + (rc.returned.get(line.id) ?? 0) + (taking.get(line.id) ?? 0);
    taking.set(line.id, (taking.get(line.id) ?? 0) + item.quantity);
    if (-item.quantity > left) fields.push({ path: `items.${i}.quantity`, message: `returns ${-item.quantity}; only ${left} of that line is left to return`, received: item.quantity, expected: -left });
  });
  if (fields.length) throw businessRule("INVALID_RETURN", "This return does not hold together", fields);
  return { lineById };
}

/**
 * The till's figures against the engine's: every line's tax, per-rate taxes and total, the sale's totals, the
 * cash rounding, and the payments covering what is due (change only from cash). 422 SALE_MISMATCH lists each
 * figure that differs, with what came and what it should be. Answers the sale's money columns.
 */
function checkFigures(body: CreateSaleBody, priced: DocumentResult, cashUnit: number, tenderByCode: Map<string, TenderRow>, isReturn: boolean) {
  const fields: FieldError[] = [];
  body.items.forEach((item, i) => {
    const line = priced.lines[i]!;
    if (item.taxAmount !== line.tax) fields.push(discrepancy(`items.${i}.taxAmount`, item.taxAmount, line.tax));
    if (item.lineTotal !== line.gross) fields.push(discrepancy(`items.${i}.lineTotal`, item.lineTotal, line.gross));
    if (item.taxes) {
      if (item.taxes.length !== line.taxes.length) fields.push({ path: `items.${i}.taxes`, message: `lists ${item.taxes.length} rates; the product has ${line.taxes.length}` });
      else {
        const sent = [...item.taxes].map((t, k) => ({ t, k })).sort((a, b) => (a.t.sortOrder ?? a.k) - (b.t.sortOrder ?? b.k));
        sent.forEach(({ t, k }, j) => {
          if (t.taxAmount !== line.taxes[j]!.amount) fields.push(discrepancy(`items.${i}.taxes.${k}.taxAmount`, t.taxAmount, line.taxes[j]!.amount));
        });
      }
    }
  });
  const totals = saleTotals(priced);
  for (const key of ["subtotal", "taxTotal", "discountTotal", "grandTotal"] as const) {
    const sent = key === "discountTotal" ? Math.abs(body[key]) : body[key];
    const expected = key === "discountTotal" ? Math.abs(totals[key]) : totals[key];
    if (sent !== expected) fields.push(discrepancy(key, body[key], key === "discountTotal" && body[key] < 0 ? -expected : expected));
  }
  const isCash = (method: string) => tenderByCode.get(method)?.isCash ?? false;
  const nonCash = body.payments.filter((p) => !isCash(p.method)).reduce((s, p) => s + p.amount, 0);
  const cash = body.payments.filter((p) => isCash(p.method)).reduce((s, p) => s + p.amount, 0);
  const paysCash = body.payments.some((p) => isCash(p.method));
  const rounding = cashRoundingOf(totals.grandTotal, nonCash, paysCash, cashUnit);
  if (body.cashRounding !== undefined && body.cashRounding !== rounding) fields.push(discrepancy("cashRounding", body.cashRounding, rounding));
  if (fields.length) throw businessRule("SALE_MISMATCH", "The sale's figures do not agree with the catalogue and the money engine; see fields", fields);

  const totalDue = totals.grandTotal + rounding;
  const paid = nonCash + cash;
  if (isReturn) {
    if (body.payments.some((p) => p.amount > 0)) throw businessRule("INVALID_REFUND", "A return's payments are refunds: negative amounts", body.payments.flatMap((p, i) => (p.amount > 0 ? [{ path: `payments.${i}.amount`, message: "must be negative on a return" }] : [])));
    if (paid !== totalDue) throw businessRule("REFUND_MISMATCH", `The refunds come to ${paid}; the return is ${totalDue}`, [discrepancy("payments", paid, totalDue)]);
    return { ...totals, cashRounding: rounding, totalDue, paidTotal: paid, changeGiven: 0 };
  }
  if (body.payments.some((p) => p.amount < 0)) throw businessRule("INVALID_PAYMENT", "A sale's payments are positive amounts", []);
  if (paid < totalDue) throw businessRule("UNDERPAID", `The payments come to ${paid}; ${totalDue} is due`, [discrepancy("payments", paid, totalDue)]);
  const change = paid - totalDue;
  if (change > cash) throw businessRule("OVERPAID", `Change (${change}) is given from cash only, and only ${cash} was paid in cash`, [discrepancy("payments", paid, totalDue + cash)]);
  return { ...totals, cashRounding: rounding, totalDue, paidTotal: paid, changeGiven: change };
}

/** The reads of a stored sale (the sale, its lines, line taxes and payments), for the caller's batch. */
export const saleReads = (scope: TenantScope, id: string) =>
  [
    scope.select(sales, eq(sales.id, id)),
    scope.select(saleLines, eq(saleLines.saleId, id)),
    scope.select(saleLineTaxes, eq(saleLineTaxes.saleId, id)),
    scope.select(salePayments, eq(salePayments.saleId, id)),
  ] as const;

/** A sale with its lines, taxes and payments, in one round trip. */
export async function getSale(ctx: ServiceContext, id: string): Promise<Sale> {
  const { scope } = ctx;
  const [saleRows, lineRows, taxRows, paymentRows] = await scope.db.batch([...saleReads(scope, id)]);
  const sale = saleRows[0] as SaleRow | undefined;
  if (!sale) throw notFound("Sale");
  return saleDto(sale, lineRows as LineRow[], taxRows as LineTaxRow[], paymentRows as PaymentRow[]);
}

export interface SaleListQuery {
  page: number;
  pageSize: number;
  dateFrom?: string;
  dateTo?: string;
  storeId?: string;
  status?: SaleRow["status"];
  kind?: SaleRow["kind"];
  sessionId?: string;
}

/** Sales (without lines), newest first; dates are instants (a date alone is its UTC midnight), to exclusive. */
export function listSales(ctx: ServiceContext, q: SaleListQuery) {
  const { scope } = ctx;
  const instant = (text: string) => Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
  const where = scope.where(
    sales,
    q.dateFrom ? gte(sales.soldAt, instant(q.dateFrom)) : undefined,
    q.dateTo ? lt(sales.soldAt, instant(q.dateTo)) : undefined,
    q.storeId ? eq(sales.storeId, q.storeId) : undefined,
    q.status ? eq(sales.status, q.status) : undefined,
    q.kind ? eq(sales.kind, q.kind) : undefined,
    q.sessionId ? eq(sales.sessionId, q.sessionId) : undefined,
  );
  return readPage(scope.db, sales, where, scope.db.select().from(sales).where(where).orderBy(desc(sales.soldAt), asc(sales.id)), q, (r) => {
    const { lines: _l, payments: _p, taxes: _t, ...summary } = saleDto(r as SaleRow, [], [], []);
    return summary;
  });
}

/**
 * Void a sale (or a return): only while its register session is open; its stock comes back (or goes out again
 * for a return); the sale stays, with who voided it, when and why. A sale with completed returns cannot be voided.
 */
export async function voidSale(ctx: ServiceContext, id: string, reason: string, expectedVersion: number | undefined): Promise<Sale> {
  const { scope, actor, request } = ctx;
  const [saleRows, lineRows, taxRows, paymentRows, returnRows, sessionRows] = await scope.db.batch([
    ...saleReads(scope, id),
    scope.db.select({ id: sales.id }).from(sales).where(scope.where(sales, eq(sales.originalSaleId, id), eq(sales.status, "completed"))).limit(1),
    scope.db.select({ status: registerSessions.status }).from(registerSessions).innerJoin(sales, eq(sales.sessionId, registerSessions.id)).where(and(eq(sales.id, id), eq(sales.tenantId, scope.tenantId))),
  ]);
  const sale = saleRows[0] as SaleRow | undefined;
  if (!sale) throw notFound("Sale");
  const current = () => saleDto(sale, lineRows as LineRow[], taxRows as LineTaxRow[], paymentRows as PaymentRow[]);
  if (expectedVersion !== undefined && expectedVersion !== sale.version) throw conflict("VERSION_CONFLICT", `Sale is at version ${sale.version}; you sent ${expectedVersion}`, current());
  if (sale.status === "voided") throw conflict("ALREADY_VOIDED", "This sale is already voided", current());
  if (returnRows.length) throw conflict("SALE_HAS_RETURNS", "Items of this sale were returned: void the returns first", current());
  if (sessionRows[0]?.status !== "open") throw conflict("REGISTER_SESSION_CLOSED", "A sale can be voided only while its register session is open; make a return instead");

  const { voided, statements } = voidStatements(scope, sale, lineRows as LineRow[], { userId: actor.userId, reason, voidedAt: request.now, now: request.now });
  try {
    await commit(scope.db, [sessionOpenGuard(scope, sale.sessionId, sale.registerId), ...statements]);
  } catch (error) {
    if (isWriteGuardFailure(error, "session_open")) throw conflict("REGISTER_SESSION_CLOSED", "The register session closed before the void was written; make a return instead");
    if (isGuardFailure(error)) throw conflict("ALREADY_VOIDED", "Another request voided or changed this sale meanwhile");
    if (isFundsFailure(error)) throw businessRule("GIFT_CARD_REFUND_SPENT", "This return refunded money onto a gift card that has been spent since: the refund cannot be taken back, so the return cannot be voided");
    throw error;
  }
  return saleDto(voided, lineRows as LineRow[], taxRows as LineTaxRow[], paymentRows as PaymentRow[]);
}

/**
 * A void's batch (after the caller's guard of the sale's session): the sale voided if it is still completed at
 * the version read, its stock back, its change-feed row.
 */
export function voidStatements(scope: TenantScope, sale: SaleRow, lineRows: LineRow[], v: { userId: string; reason: string; voidedAt: number; now: number }) {
  const { id } = sale;
  const voided: SaleRow = { ...sale, status: "voided", voidedAt: v.voidedAt, voidedBy: v.userId, voidReason: v.reason, version: sale.version + 1, updatedAt: v.now };
  const statements: Statement[] = [
    scope.update(sales, { status: "voided", voidedAt: v.voidedAt, voidedBy: v.userId, voidReason: v.reason, version: voided.version, updatedAt: v.now }, eq(sales.id, id), eq(sales.status, "completed"), eq(sales.version, sale.version)),
    expectOneChange(scope.db),
    ...voidAggregateStatements(scope, id),
    ...stockStatements(scope, { storeId: sale.storeId, kind: "void", referenceId: id, userId: v.userId, at: v.now, changes: lineRows.map((l) => ({ productId: l.productId, quantity: l.quantity })) }),
    levelFeedStatement(scope, sale.storeId, [...new Set(lineRows.map((l) => l.productId))], v.now),
    ...voidGiftCardStatements(scope, id, sale.receiptNumber, v.userId, v.now),
    recordChange(scope, { entity: "sale", entityId: id, op: "upsert", version: voided.version, storeId: sale.storeId }, v.now),
  ];
  return { voided, statements };
}
