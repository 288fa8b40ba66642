import { z } from "zod";
import { BasisPoints, CurrencyCode, Id, Money, MultiLineText, Quantity, SingleLineText, Timestamp } from "./common";

/**
 * Purchases made in another system (a web shop, an ERP) recorded for a customer's purchase history. One record
 * per (source, transactionId): recording the same purchase again answers the record already there and writes
 * nothing; another purchase under a used transactionId is refused. Money in integer minor units of `currency`,
 * quantities in thousandths. A recorded purchase is history: it moves no stock and is in no till's reports.
 */

/** The system the purchase comes from, taken in lower case: "webshop", "erp", "shopify.eu". */
export const PurchaseSource = z.string().trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,31}$/, "must be 1 to 32 letters, digits or . _ : - (starting with a letter or digit)")
  .transform((s) => s.toLowerCase());

/** The other system's id of the purchase, as it writes it: 1 to 100 visible ASCII characters. */
export const TransactionId = z.string().regex(/^[\x21-\x7e]{1,100}$/, "must be 1 to 100 visible ASCII characters (no spaces)");

/** Minor units, either sign (a returned line, a refund). */
export const SignedMoney = z.int({ error: "must be an integer amount in minor units (öre, cents)" }).min(-1_000_000_000_000).max(1_000_000_000_000);

const TenderMethod = z.string().trim().regex(/^[A-Za-z0-9_]{1,32}$/, "must be 1 to 32 letters, digits or _").transform((c) => c.toUpperCase());

export const PurchaseLineInput = z
  .object({
    productId: Id.optional().describe("A product of yours"),
    sku: SingleLineText(64).min(1).optional().describe("Without productId: the product with this SKU is linked when there is one"),
    description: SingleLineText(200).min(1).optional(),
    quantity: Quantity.describe("Thousandths of a unit (2000 = 2); negative for a returned item"),
    unitPrice: Money,
    discount: Money.default(0).describe("Off the line, as a magnitude (it lowers a returned line's refund likewise)"),
    lineTotal: SignedMoney.describe("round(unitPrice × quantity / 1000) − discount, signed like the line"),
    taxAmount: SignedMoney.default(0).describe("The line's tax, signed like the line"),
    taxRate: BasisPoints.optional().describe("The rate the other system charged, basis points (for the record)"),
  })
  .refine((l) => l.productId || l.sku || l.description, { message: "a line needs a productId, a sku or a description", path: ["description"] });

export const PurchasePayment = z.object({
  method: TenderMethod.describe("The other system's tender: CARD, KLARNA, INVOICE …"),
  amount: SignedMoney,
  reference: SingleLineText(100).min(1).optional(),
});

export const AddPurchaseBody = z.object({
  source: PurchaseSource,
  transactionId: TransactionId,
  customerId: Id,
  storeId: Id.optional().describe("The store the purchase belongs to, if any"),
  purchasedAt: z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with offset" }).describe("When it was bought; kept in UTC"),
  currency: CurrencyCode,
  pricesIncludeTax: z.boolean().describe("Line totals include their tax (VAT); otherwise the tax is added to them"),
  lines: z.array(PurchaseLineInput).min(1, "a purchase has at least one line").refine((l) => l.length <= 500, "at most 500 lines"),
  taxTotal: SignedMoney.describe("Σ taxAmount"),
  total: SignedMoney.describe("Σ lineTotal, plus taxTotal when prices exclude tax"),
  payments: z.array(PurchasePayment).min(1, "a purchase has at least one payment").refine((p) => p.length <= 20, "at most 20 payments")
    .describe("Σ amount = total"),
  note: MultiLineText(1000).optional(),
});
export type AddPurchaseBody = z.output<typeof AddPurchaseBody>;

export const PurchaseLine = z.object({
  lineNo: z.int(),
  productId: Id.nullable(),
  sku: z.string().nullable(),
  description: z.string().nullable(),
  quantity: z.int(),
  unitPrice: z.int(),
  discount: z.int().describe("Signed like the line"),
  lineTotal: z.int(),
  taxAmount: z.int(),
  taxRate: z.int().nullable(),
});

export const Purchase = z.object({
  id: Id,
  source: z.string(),
  transactionId: z.string(),
  customerId: Id,
  storeId: Id.nullable(),
  purchasedAt: Timestamp,
  currency: z.string(),
  pricesIncludeTax: z.boolean(),
  subtotal: z.int().describe("Σ lineTotal"),
  taxTotal: z.int(),
  total: z.int(),
  lines: z.array(PurchaseLine),
  payments: z.array(z.object({ method: z.string(), amount: z.int(), reference: z.string().nullable() })),
  note: z.string().nullable(),
  version: z.int(),
  createdAt: Timestamp,
});
export type Purchase = z.infer<typeof Purchase>;

/** A purchase in a list: without its lines. */
export const PurchaseSummary = Purchase.omit({ lines: true }).extend({ lineCount: z.int() });
export type PurchaseSummary = z.infer<typeof PurchaseSummary>;

const DateOrInstant = z.union([z.iso.date(), z.iso.datetime({ offset: true })], { error: "must be a date (YYYY-MM-DD) or an ISO 8601 date-time with offset" });

export const PurchaseListQuery = z.object({
  customerId: Id.optional(),
  storeId: Id.optional(),
  source: PurchaseSource.optional(),
  transactionId: TransactionId.optional().describe("With source: the one purchase recorded under it"),
  date_from: DateOrInstant.optional().describe("Bought at or after this instant (a date: its UTC midnight); inclusive"),
  date_to: DateOrInstant.optional().describe("Bought before this instant (a date: its UTC midnight); exclusive"),
});
