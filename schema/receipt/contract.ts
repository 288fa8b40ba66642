/**
 * The receipt's wire shapes (zod), for POST /api/v1/sales/print and its OpenAPI document: the model (model.ts)
 * and the layout (layout.ts) as JSON. The interfaces there are the source; the checks at the end keep these in
 * step with them (the type-check fails when one changes without the other).
 */
import { z } from "zod";
import type { ReceiptLayout } from "./layout";
import type { ReceiptModel } from "./model";

const Amount = z.object({ minor: z.int(), text: z.string() });
const MoneyAmount = Amount.extend({ money: z.string().describe("With the currency: 1 234,50 kr") });
const Time = z.object({ iso: z.string(), text: z.string().describe("On the store's clock, in its locale") });

export const ReceiptModelSchema = z.object({
  format: z.literal("edge-pos.receipt/1"),
  saleId: z.string(),
  kind: z.enum(["sale", "return"]),
  status: z.enum(["completed", "voided"]),
  language: z.enum(["sv", "en"]),
  locale: z.string(),
  currency: z.string(),
  fractionDigits: z.int(),
  timeZone: z.string(),
  store: z.object({ name: z.string(), lines: z.array(z.string()) }),
  receiptNumber: z.string(),
  register: z.object({ code: z.string(), name: z.string().nullable() }),
  cashier: z.string().nullable(),
  soldAt: Time,
  copy: z.boolean(),
  return: z.object({ originalSaleId: z.string().nullable(), originalReceiptNumber: z.string().nullable(), unreferenced: z.boolean() }).nullable(),
  void: z.object({ reason: z.string().nullable(), at: Time.nullable() }).nullable(),
  items: z.array(z.object({
    lineId: z.string(),
    lineNo: z.int(),
    productId: z.string(),
    name: z.string(),
    quantity: z.object({ thousandths: z.int(), text: z.string(), unit: z.string().nullable() }),
    unitPrice: Amount,
    cataloguePrice: Amount.nullable().describe("The catalogue's price when the line was sold at another (an override)"),
    amount: Amount.describe("Quantity × unit price, before the discount"),
    discount: Amount.nullable().describe("What the discount adds to the line: negative on a sale"),
    total: Amount,
  })),
  taxes: z.array(z.object({
    taxRateId: z.string(),
    name: z.string(),
    rateMillionths: z.int(),
    rate: z.string(),
    label: z.string(),
    isCompound: z.boolean(),
    taxable: Amount,
    tax: Amount,
  })),
  totals: z.object({
    pricesIncludeTax: z.boolean(),
    subtotal: Amount,
    discount: Amount.nullable(),
    tax: Amount,
    total: MoneyAmount,
    cashRounding: Amount.nullable(),
    totalDue: MoneyAmount,
    paid: Amount,
  }),
  tenders: z.array(z.object({
    code: z.string(), name: z.string(), isCash: z.boolean(), amount: Amount, reference: z.string().nullable(),
    giftCard: z.object({ code: z.string(), balance: Amount }).optional().describe("a gift card payment: the card's masked code and what was left on it"),
  })),
  change: Amount.nullable(),
  qr: z.string().describe("pos:sale/<sale id>"),
  footer: z.array(z.string()),
});

export const ReceiptLayoutSchema = z.object({
  width: z.union([z.literal(42), z.literal(32)]),
  lines: z.array(z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("text"), text: z.string().describe("At most `width` code points, aligned with spaces"), style: z.enum(["normal", "bold", "title"]) }),
    z.object({ kind: z.literal("separator") }),
    z.object({ kind: z.literal("qr"), data: z.string() }),
    z.object({ kind: z.literal("cut") }),
  ])),
});

export const PrintReceiptBody = z.object({
  saleId: z.uuid({ error: "must be a UUID" }).toLowerCase(),
  /** The printer's columns: 42 (80 mm paper) or 32 (58 mm). */
  width: z.union([z.literal(42), z.literal(32)], { error: "must be 42 or 32 (the printer's columns)" }).default(42),
  /** A reprint: the receipt is marked as a copy (KOPIA), as Swedish rules require of every receipt after the first. */
  copy: z.boolean().default(false),
});

export const PrintedReceipt = z.object({
  receipt: ReceiptModelSchema,
  layout: ReceiptLayoutSchema,
  /** The layout as plain text: one line per printed line, each ended by \n (no QR code, no cut). */
  text: z.string(),
});

// The schemas and the interfaces describe the same JSON, both ways round.
type Writable<T> = T extends readonly (infer U)[] ? Writable<U>[] : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameModel: Same<z.infer<typeof ReceiptModelSchema>, Writable<ReceiptModel>> = true;
const sameLayout: Same<z.infer<typeof ReceiptLayoutSchema>, Writable<ReceiptLayout>> = true;
void sameModel;
void sameLayout;
