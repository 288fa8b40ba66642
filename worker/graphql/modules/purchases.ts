import type { z } from "zod";
import { AddPurchaseBody, type Purchase as PurchaseDto } from "../../../schema/contracts/purchases";
import { DomainError, validationFailed } from "../../domain/errors";
import { addPurchase, purchaseHistory } from "../../domain/purchases";
import { authorize } from "../authorize";
import { builder, useMutations } from "../builder";
import { pageArgs, pageOf, pageResult } from "../paging";

/**
 * purchaseAdd: a purchase made in another system (web shop, ERP) recorded for a customer's purchase history
 * (worker/domain/purchases.ts), checked by the same contract as REST's POST /api/v1/purchases; `purchase` lists
 * that history.
 */

const MONEY = "Integer minor units of the purchase's currency (öre, cents).";

type LineDto = PurchaseDto["lines"][number];
type PaymentDto = PurchaseDto["payments"][number];

const PurchaseLine = builder.objectRef<LineDto>("PurchaseLine").implement({
  description: "A line of a recorded purchase, as the other system sold it.",
  fields: (t) => ({
    lineNo: t.exposeInt("lineNo", { description: "The line's place in the purchase, from 1." }),
    productId: t.exposeID("productId", { nullable: true, description: "The product of yours the line is (given, or found by its SKU); null when none." }),
    sku: t.exposeString("sku", { nullable: true, description: "The SKU the other system gave, if any." }),
    description: t.exposeString("description", { nullable: true, description: "The line's text, if given." }),
    quantity: t.exposeInt("quantity", { description: "Integer thousandths of a unit (2000 = 2 units); negative for a returned item." }),
    unitPrice: t.exposeInt("unitPrice", { description: `The price of one unit. ${MONEY}` }),
    discount: t.exposeInt("discount", { description: `The discount on the line, signed like it. ${MONEY}` }),
    lineTotal: t.exposeInt("lineTotal", { description: `round(unitPrice × quantity / 1000) − discount. ${MONEY}` }),
    taxAmount: t.exposeInt("taxAmount", { description: `The line's tax, signed like it. ${MONEY}` }),
    taxRate: t.exposeInt("taxRate", { nullable: true, description: "The rate the other system charged, in basis points (2500 = 25 %), if given." }),
  }),
});

const PurchasePayment = builder.objectRef<PaymentDto>("PurchasePayment").implement({
  description: "How (part of) a recorded purchase was paid.",
  fields: (t) => ({
    method: t.exposeString("method", { description: "The other system's tender, in upper case: CARD, KLARNA, INVOICE …" }),
    amount: t.exposeInt("amount", { description: `The amount paid; negative for a refund. ${MONEY}` }),
    reference: t.exposeString("reference", { nullable: true, description: "The payment's reference in the other system, if given." }),
  }),
});

export const Purchase = builder.objectRef<PurchaseDto>("Purchase").implement({
  description:
    "A purchase a customer made in another system (a web shop, an ERP), recorded for their purchase history. It is history: it moves no stock " +
    "and is in no till report. One per source and transactionId (REST: /api/v1/purchases).",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The recorded purchase's id (a UUID)." }),
    source: t.exposeString("source", { description: "The system it came from, in lower case (\"webshop\", \"erp\")." }),
    transactionId: t.exposeString("transactionId", { description: "The other system's id of the purchase, unique per source." }),
    customerId: t.exposeID("customerId", { description: "The customer who bought." }),
    locationId: t.exposeID("storeId", { nullable: true, description: "The location (store) it belongs to, if any." }),
    purchasedAt: t.field({ type: "DateTime", description: "When it was bought (UTC).", resolve: (p) => p.purchasedAt }),
    currency: t.exposeString("currency", { description: "ISO 4217 currency of every amount." }),
    pricesIncludeTax: t.exposeBoolean("pricesIncludeTax", { description: "Whether line totals include their tax (VAT); otherwise the tax is added to them." }),
    subtotal: t.exposeInt("subtotal", { description: `The sum of the line totals. ${MONEY}` }),
    taxTotal: t.exposeInt("taxTotal", { description: `The sum of the lines' tax. ${MONEY}` }),
    total: t.exposeInt("total", { description: `What the customer paid: the subtotal, plus the tax when prices exclude it. ${MONEY}` }),
    lines: t.field({ type: [PurchaseLine], description: "The lines, in order.", resolve: (p) => p.lines }),
    payments: t.field({ type: [PurchasePayment], description: "The payments; they add up to the total.", resolve: (p) => p.payments }),
    note: t.exposeString("note", { nullable: true, description: "A note from the other system, if given." }),
    version: t.exposeInt("version", { description: "The record's version (a recorded purchase does not change)." }),
    createdAt: t.field({ type: "DateTime", description: "When it was recorded here.", resolve: (p) => p.createdAt }),
  }),
});

const PurchaseLineInput = builder.inputType("PurchaseLineInput", {
  description: "A line of the purchase. It needs a productId, a sku or a description.",
  fields: (t) => ({
    productId: t.id({ required: false, description: "A product of yours." }),
    sku: t.string({ required: false, description: "The SKU; without productId, the line is linked to your product with this SKU when there is one." }),
    description: t.string({ required: false, description: "The line's text (at most 200 characters)." }),
    quantity: t.int({ required: true, description: "Integer thousandths of a unit (2000 = 2 units), not 0; negative for a returned item." }),
    unitPrice: t.int({ required: true, description: `The price of one unit, 0 or more. ${MONEY}` }),
    discount: t.int({ required: false, description: `Off the line, as a magnitude (it lowers a returned line's refund likewise); 0 if not given. ${MONEY}` }),
    lineTotal: t.int({ required: true, description: `round(unitPrice × quantity / 1000) − discount, signed like the line. ${MONEY}` }),
    taxAmount: t.int({ required: false, description: `The line's tax, signed like the line; 0 if not given. ${MONEY}` }),
    taxRate: t.int({ required: false, description: "The rate the other system charged, in basis points (2500 = 25 %), for the record." }),
  }),
});

const PurchasePaymentInput = builder.inputType("PurchasePaymentInput", {
  description: "A payment of the purchase.",
  fields: (t) => ({
    method: t.string({ required: true, description: "The other system's tender: 1 to 32 letters, digits or _ (CARD, KLARNA, INVOICE …)." }),
    amount: t.int({ required: true, description: `The amount paid; negative for a refund. ${MONEY}` }),
    reference: t.string({ required: false, description: "The payment's reference in the other system." }),
  }),
});

const PurchaseAddInput = builder.inputType("PurchaseAddInput", {
  description: "A purchase made in another system. Its figures must add up, and (source, transactionId) names it: sending the same purchase again answers the one recorded.",
  fields: (t) => ({
    source: t.string({ required: true, description: "The system it comes from: 1 to 32 letters, digits or . _ : - (\"webshop\"; taken in lower case)." }),
    transactionId: t.string({ required: true, description: "The other system's id of the purchase: 1 to 100 visible ASCII characters, unique per source." }),
    customerId: t.id({ required: true, description: "The customer who bought (a customer of yours)." }),
    locationId: t.id({ required: false, description: "The location (store) it belongs to, if any; needs purchases.create there." }),
    purchasedAt: t.field({ type: "DateTime", required: true, description: "When it was bought (not in the future)." }),
    currency: t.string({ required: true, description: "ISO 4217 currency of every amount (SEK, EUR …)." }),
    pricesIncludeTax: t.boolean({ required: true, description: "Whether line totals include their tax (VAT); otherwise the tax is added to them." }),
    lines: t.field({ type: [PurchaseLineInput], required: true, description: "The lines, 1 to 500." }),
    taxTotal: t.int({ required: true, description: `The sum of the lines' taxAmount. ${MONEY}` }),
    total: t.int({ required: true, description: `The sum of the line totals, plus taxTotal when prices exclude tax. ${MONEY}` }),
    payments: t.field({ type: [PurchasePaymentInput], required: true, description: "The payments, 1 to 20; they add up to the total." }),
    note: t.string({ required: false, description: "A note (at most 1000 characters)." }),
  }),
});

/** GraphQL's nulls are absent fields for the contract, whose optional fields take undefined. */
const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));

/** A path of REST's body as the argument's: `input.` before it, and the store is a location here. */
const inputPath = (path: string) => (path ? `input.${path.replace(/^storeId\b/, "locationId")}` : "input");

/** The domain's field errors named as the argument's properties. */
async function namingInput<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof DomainError) || !error.details.fields?.length) throw error;
    const fields = error.details.fields.map((f) => ({ ...f, path: inputPath(f.path) }));
    throw new DomainError(error.kind, error.code, error.message, { ...error.details, fields });
  }
}

/** The input as REST's body, checked by the same contract (VALIDATION otherwise). */
function purchaseBody(input: typeof PurchaseAddInput.$inferInput): z.output<typeof AddPurchaseBody> {
  const { locationId, purchasedAt, lines, payments, ...rest } = input;
  const parsed = AddPurchaseBody.safeParse({
    ...defined(rest),
    ...(locationId != null ? { storeId: String(locationId) } : {}),
    purchasedAt: purchasedAt.toISOString(),
    lines: lines.map(defined),
    payments: payments.map(defined),
  });
  if (parsed.success) return parsed.data;
  // As REST names them; `namingInput` names them as the argument's.
  throw validationFailed(parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message })));
}

const PurchasePage = pageResult("PurchasePage", Purchase, "A page of recorded purchases.");

builder.queryField("purchase", (t) =>
  t.field({
    type: PurchasePage,
    description:
      "Recorded purchases (purchaseAdd) with their lines and payments, oldest first: a customer's purchase history from other systems, as `sale` " +
      "is their history at the tills. Dates in UTC. Needs purchases.view.",
    args: {
      id: t.arg.id({ required: false, description: "Only the purchase of this id." }),
      customerId: t.arg.id({ required: false, description: "Only the purchases of this customer." }),
      locationId: t.arg.id({ required: false, description: "Only the purchases of this location (store)." }),
      source: t.arg.string({ required: false, description: "Only the purchases from this source (any case)." }),
      transactionId: t.arg.string({ required: false, description: "Only the purchase with this transactionId (with source: the one)." }),
      fromDate: t.arg({ type: "DateTime", required: false, description: "Bought at or after this instant (inclusive, UTC)." }),
      toDate: t.arg({ type: "DateTime", required: false, description: "Bought before this instant (exclusive, UTC)." }),
      ...pageArgs,
    },
    resolve: async (_root, args, ctx) => {
      authorize(ctx, "purchases.view");
      const page = await purchaseHistory(ctx.caller, {
        ...pageOf(args),
        id: args.id ? String(args.id) : null,
        customerId: args.customerId ? String(args.customerId) : null,
        storeId: args.locationId ? String(args.locationId) : null,
        source: args.source?.trim().toLowerCase() || null,
        transactionId: args.transactionId ?? null,
        from: args.fromDate ? args.fromDate.getTime() : null,
        to: args.toDate ? args.toDate.getTime() : null,
      });
      return { items: page.purchases, hasMoreResults: page.hasMore, until: null };
    },
  }),
);

useMutations();

builder.mutationField("purchaseAdd", (t) =>
  t.field({
    type: Purchase,
    description:
      "Record a purchase made in another system (web shop, ERP) for a customer's purchase history; it moves no stock. The figures must add up " +
      "(VALIDATION, reason PURCHASE_TOTALS_MISMATCH, naming each). The same purchase sent again (even at the same moment) answers the one recorded and " +
      "writes nothing; another purchase under a used transactionId of the source is CONFLICT (reason PURCHASE_TRANSACTION_EXISTS). Needs purchases.create.",
    args: { input: t.arg({ type: PurchaseAddInput, required: true, description: "The purchase." }) },
    resolve: (_root, { input }, ctx) => {
      authorize(ctx, "purchases.create");
      return namingInput(() => addPurchase(ctx.caller, purchaseBody(input)));
    },
  }),
);
