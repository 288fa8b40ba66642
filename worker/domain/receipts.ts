import { eq, inArray, sql } from "drizzle-orm";
import { giftCardTransactions, registers, salePayments, sales, stores, tenders, users } from "../../schema/db";
import { buildReceipt, layoutReceipt, plainText, type ReceiptLayout, type ReceiptModel, type ReceiptWidth } from "../../schema/receipt";
import { notFound } from "./errors";
import type { ServiceContext } from "./context";
import { saleDto, saleReads, type LineRow, type LineTaxRow, type PaymentRow, type SaleRow } from "./sales";

/**
 * A stored sale's receipt: the receipt model (schema/receipt) made from the sale and what it says of its store,
 * register, cashier, tenders and (for a return) original receipt, laid out for the printer's columns. One D1
 * round trip: the sale's own rows and its context, each found from the sale's id.
 */

/** Stores have no locale of their own yet: receipts are Swedish, in sv-SE's numbers and dates. */
const RECEIPT_LOCALE = "sv-SE";


export interface PrintedReceipt {
  receipt: ReceiptModel;
  layout: ReceiptLayout;
  text: string;
}

export async function saleReceipt(ctx: ServiceContext, saleId: string, width: ReceiptWidth, copy = false): Promise<PrintedReceipt> {
  const { scope } = ctx;
  const ofSale = (column: "store_id" | "register_id" | "cashier_id" | "original_sale_id") =>
    sql`(SELECT ${sql.raw(column)} FROM ${sales} WHERE ${sales.id} = ${saleId} AND ${sales.tenantId} = ${scope.tenantId})`;
  const [saleRows, lineRows, taxRows, paymentRows, storeRows, registerRows, cashierRows, tenderRows, originalRows, giftCardRows] = await scope.db.batch([
    ...saleReads(scope, saleId),
    scope.db.select({ name: stores.name, address: stores.address, phone: stores.phone, timeZone: stores.timeZone }).from(stores).where(scope.where(stores, eq(stores.id, ofSale("store_id")))),
    scope.db.select({ code: registers.code, name: registers.name }).from(registers).where(scope.where(registers, eq(registers.id, ofSale("register_id")))),
    scope.db.select({ displayName: users.displayName }).from(users).where(scope.where(users, eq(users.id, ofSale("cashier_id")))),
    // The tenders the sale was paid with, by the names they have now (deleted ones too: the sale still names them).
    scope.db.select({ id: tenders.id, name: tenders.name }).from(tenders).where(scope.where(tenders, inArray(tenders.id, scope.db.select({ id: salePayments.tenderId }).from(salePayments).where(scope.where(salePayments, eq(salePayments.saleId, saleId)))))),
    scope.db.select({ receiptNumber: sales.receiptNumber }).from(sales).where(scope.where(sales, eq(sales.id, ofSale("original_sale_id")))),
    // What the gift cards the sale was paid with (or refunded onto) had left right after.
    scope.db.select({ paymentId: giftCardTransactions.paymentId, balanceAfter: giftCardTransactions.balanceAfter }).from(giftCardTransactions)
      .where(scope.where(giftCardTransactions, eq(giftCardTransactions.saleId, saleId), inArray(giftCardTransactions.kind, ["USE", "ADD"]))),
  ]);
  const row = saleRows[0] as SaleRow | undefined;
  const store = storeRows[0];
  if (!row || !store) throw notFound("Sale");
  const payments = paymentRows as PaymentRow[];
  const sale = saleDto(row, lineRows as LineRow[], taxRows as LineTaxRow[], payments);

  const tenderName = new Map(tenderRows.map((t) => [t.id, t.name]));
  const tenderNames = Object.fromEntries(payments.flatMap((p) => (tenderName.has(p.tenderId) ? [[p.tenderCode, tenderName.get(p.tenderId)!]] : [])));
  const register = registerRows[0];
  const receipt = buildReceipt(sale, {
    store,
    register: { code: register?.code ?? "", name: register?.name ?? null },
    cashier: cashierRows[0]?.displayName ?? null,
    locale: RECEIPT_LOCALE,
    tenderNames,
    copy,
    originalReceiptNumber: originalRows[0]?.receiptNumber ?? null,
    giftCards: Object.fromEntries(giftCardRows.flatMap((g) => {
      const payment = payments.find((p) => p.id === g.paymentId);
      return payment && g.balanceAfter !== null ? [[payment.id, { code: payment.reference ?? "", balance: g.balanceAfter }]] : [];
    })),
  });
  const layout = layoutReceipt(receipt, width);
  return { receipt, layout, text: plainText(layout) };
}
