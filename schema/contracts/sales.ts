import { z } from "zod";
import { BasisPoints, Id, Money, Quantity, Timestamp } from "./common";
import { PresentedGiftCard } from "./giftcards";
import { Name, SingleLineText } from "./text";

/**
 * Sales in the spec's shape (002, Create Sale Body): totals in minor units, quantities in thousandths, rates in
 * basis points. A till sends what it computed; the edge recomputes it with the money engine and refuses (422)
 * what does not agree. A return is a sale with negative quantities that names the sale it returns.
 */

export const MAX_SALE_LINES = 250;
export const MAX_SALE_PAYMENTS = 20;

/** A signed amount in minor units (returns and refunds are negative). */
export const SignedMoney = z.int({ error: "must be an integer amount in minor units (öre, cents)" }).min(-1_000_000_000_000).max(1_000_000_000_000);

export const ReceiptNumber = SingleLineText(40).min(1, "must not be empty");

export const SaleLineTaxBody = z.object({
  taxRateName: SingleLineText(200).optional(),
  /** Basis points, as the spec has it (informational: the edge knows the product's rates). */
  rate: BasisPoints.nullish(),
  taxAmount: SignedMoney,
  isCompound: z.boolean().optional(),
  sortOrder: z.int().optional(),
});

export const SaleItemBody = z.object({
  /** The line's id, made by the till; one is made when left out. */
  id: Id.optional(),
  productId: Id,
  productName: Name(200).optional(),
  quantity: Quantity,
  /** Per unit, never negative: the price the till sold at (it may differ from the catalogue's: an override). */
  unitPrice: Money,
  /** Basis points of the line's (first) rate, as the spec has it; informational. */
  taxRate: BasisPoints.nullish(),
  /** The line's tax, all rates together (negative on a return line). */
  taxAmount: SignedMoney,
  /** A magnitude: it lowers the line in its own direction. */
  discountAmount: Money.default(0),
  /** The line's gross (net + tax), signed like the quantity. */
  lineTotal: SignedMoney,
  /** The line's tax per rate, if the till sends it: each is checked. */
  taxes: z.array(SaleLineTaxBody).max(10).optional(),
  /** On a return: the line of the original sale it returns. */
  originalLineId: Id.optional(),
});

export const SalePaymentBody = z.object({
  id: Id.optional(),
  /** The tender's code (CASH, CARD, SWISH, ...). */
  method: z.string().trim().min(1).max(32).transform((c) => c.toUpperCase()),
  /** Minor units tendered; negative on a refund. For cash, what the customer handed over (change is worked out). */
  amount: SignedMoney,
  /** A card or Swish payment's reference. A gift card payment's is the card's masked code. */
  reference: SingleLineText(200).nullish(),
  /**
   * The gift card a payment of a tender of kind gift_card is made with (or, on a return, refunded onto): its code,
   * and its PIN when it has one. The card's USE (refunding, its ADD) is written with the sale.
   */
  giftCard: PresentedGiftCard.optional(),
});

/** At most this many gift card payments in one sale. */
export const MAX_GIFT_CARD_PAYMENTS = 4;

export const CreateSaleBody = z.object({
  /** The sale's id, made by the till (it is the idempotency key of the sale); one is made when left out. */
  id: Id.optional(),
  receiptNumber: ReceiptNumber,
  /** The signed-in cashier; when sent it must be the token's user. */
  cashierId: Id.optional(),
  /** The register's code; when sent it must be the till's register. */
  terminalId: z.string().trim().min(1).max(32).optional(),
  /** When sent it must be the store the till belongs to. */
  storeId: Id.optional(),
  salesRepId: Id.nullish(),
  customerId: Id.nullish(),
  /** When the till made the sale (it may have been offline); now when left out. */
  soldAt: z.iso.datetime({ offset: true }).optional(),
  /** A return names the sale it returns; its lines name the lines (originalLineId) and have negative quantities. */
  originalSaleId: Id.optional(),
  /** A return without the original receipt (needs pos.void and the tenant's setting). */
  unreferenced: z.boolean().default(false),
  subtotal: SignedMoney,
  taxTotal: SignedMoney,
  discountTotal: SignedMoney,
  grandTotal: SignedMoney,
  /** The cash rounding adjustment (e.g. −20 öre to whole kronor); the edge works it out when left out. */
  cashRounding: SignedMoney.optional(),
  items: z.array(SaleItemBody).min(1, "a sale needs at least one item").max(MAX_SALE_LINES),
  payments: z.array(SalePaymentBody).max(MAX_SALE_PAYMENTS)
    .refine((ps) => ps.filter((p) => p.giftCard).length <= MAX_GIFT_CARD_PAYMENTS, `at most ${MAX_GIFT_CARD_PAYMENTS} payments may be gift cards`),
});
export type CreateSaleBody = z.output<typeof CreateSaleBody>;

export const SaleLineTax = z.object({
  taxRateId: Id,
  name: z.string(),
  /** Basis points when whole, else null (see rateMillionths). */
  rate: z.int().nullable(),
  rateMillionths: z.int(),
  isCompound: z.boolean(),
  sortOrder: z.int(),
  amount: z.int(),
});

export const SaleLine = z.object({
  id: Id,
  lineNo: z.int(),
  productId: Id,
  productName: z.string(),
  sku: z.string(),
  departmentId: Id.nullable(),
  quantity: z.int(),
  unitPrice: z.int(),
  /** The catalogue's effective price when the sale reached the edge. */
  cataloguePrice: z.int(),
  /** The till sold at another price than the catalogue's. */
  priceOverride: z.boolean(),
  discount: z.int(),
  net: z.int(),
  tax: z.int(),
  gross: z.int(),
  originalLineId: Id.nullable(),
  taxes: z.array(SaleLineTax),
});

export const SalePayment = z.object({
  id: Id,
  tenderId: Id,
  method: z.string(),
  isCash: z.boolean(),
  amount: z.int(),
  reference: z.string().nullable(),
});

export const SaleTaxTotal = SaleLineTax.omit({ sortOrder: true }).extend({ taxable: z.int() });

export const Sale = z.object({
  id: Id,
  storeId: Id,
  registerId: Id,
  sessionId: Id,
  receiptNumber: z.string(),
  kind: z.enum(["sale", "return"]),
  status: z.enum(["completed", "voided"]),
  originalSaleId: Id.nullable(),
  unreferenced: z.boolean(),
  cashierId: Id,
  salesRepId: Id.nullable(),
  customerId: Id.nullable(),
  currency: z.string(),
  pricesIncludeTax: z.boolean(),
  taxRounding: z.enum(["line", "document"]),
  subtotal: z.int(),
  discountTotal: z.int(),
  taxTotal: z.int(),
  grandTotal: z.int(),
  /** Added to the grand total when cash settles the sale (whole kronor, 5 rappen); 0 otherwise. */
  cashRounding: z.int(),
  /** grandTotal + cashRounding. */
  totalDue: z.int(),
  paidTotal: z.int(),
  changeGiven: z.int(),
  soldAt: Timestamp,
  voidedAt: Timestamp.nullable(),
  voidedBy: Id.nullable(),
  voidReason: z.string().nullable(),
  lines: z.array(SaleLine),
  payments: z.array(SalePayment),
  taxes: z.array(SaleTaxTotal),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Sale = z.infer<typeof Sale>;

export const SaleListQuery = z.object({
  /** An instant (ISO 8601) or a date (its UTC midnight); inclusive. */
  date_from: z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
  /** Exclusive. */
  date_to: z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
  store_id: Id.optional(),
  status: z.enum(["completed", "voided"]).optional(),
  kind: z.enum(["sale", "return"]).optional(),
  session_id: Id.optional(),
});

export const VoidSaleBody = z.object({
  version: z.int().min(1).optional(),
  reason: SingleLineText(500).min(1, "must not be empty"),
});

/** The sale as a list shows it: without lines, payments and tax totals. */
export const SaleSummary = Sale.omit({ lines: true, payments: true, taxes: true });

export const QuoteBody = z.object({
  items: z.array(z.object({
    productId: Id,
    quantity: Quantity,
    /** An override of the catalogue's price; the catalogue's effective price when left out. */
    unitPrice: Money.optional(),
    discountAmount: Money.default(0),
  })).min(1, "a quote needs at least one item").max(MAX_SALE_LINES),
  /** How the customer will pay: cash rounding applies to the part cash settles. */
  payments: z.array(z.object({ method: z.string().trim().min(1).max(32).transform((c) => c.toUpperCase()), amount: SignedMoney })).max(MAX_SALE_PAYMENTS).default([]),
  /** The instant to price at (specials); now when left out. */
  at: z.iso.datetime({ offset: true }).optional(),
});

/** A priced basket: the body a till would post (less its receipt number and ids), with what is due. */
export const Quote = z.object({
  items: z.array(z.object({
    productId: Id,
    productName: z.string(),
    quantity: z.int(),
    unitPrice: z.int(),
    /** The catalogue's effective price (where unitPrice overrides it). */
    cataloguePrice: z.int(),
    taxRate: z.int().nullable(),
    taxAmount: z.int(),
    discountAmount: z.int(),
    lineTotal: z.int(),
    taxes: z.array(z.object({ taxRateName: z.string(), rate: z.int().nullable(), rateMillionths: z.int(), taxAmount: z.int(), isCompound: z.boolean(), sortOrder: z.int() })),
  })),
  payments: z.array(z.object({ method: z.string(), amount: z.int() })),
  subtotal: z.int(),
  taxTotal: z.int(),
  discountTotal: z.int(),
  grandTotal: z.int(),
  cashRounding: z.int(),
  /** grandTotal + cashRounding: what the payments must cover. */
  totalDue: z.int(),
  /** What is due when cash settles all of it (the store's cash rounding applied). */
  cashTotalDue: z.int(),
  currency: z.string(),
  pricesIncludeTax: z.boolean(),
});
