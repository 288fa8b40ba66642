import { z } from "zod";
import { Id, MultiLineText, PageQuery, SingleLineText, Timestamp, Version } from "./common";

/**
 * Stock moving between places: transfers, purchase orders, stock counts. Quantities are integer thousandths of a
 * unit (2000 = 2 units), money integer minor units; a unit cost is per unit (1000 thousandths).
 */

export const MAX_DOC_LINES = 250;

export const TRANSFER_STATUSES = ["draft", "sent", "received", "cancelled"] as const;
export const PURCHASE_ORDER_STATUSES = ["draft", "submitted", "approved", "sent", "partially_received", "received", "cancelled"] as const;
export const STOCK_COUNT_STATUSES = ["open", "posted", "cancelled"] as const;

const PositiveQuantity = z.int({ error: "must be an integer in thousandths of a unit (2000 = 2)" }).min(1, "must be more than zero").max(1_000_000_000);
const NonNegativeQuantity = z.int({ error: "must be an integer in thousandths of a unit (2000 = 2)" }).min(0).max(1_000_000_000);
const UnitCost = z.int({ error: "must be an integer amount in minor units (öre, cents) per unit" }).min(0).max(1_000_000_000);
const Note = MultiLineText(1000).nullish().transform((n) => (n?.trim() ? n : null));
const DateOnly = z.iso.date({ error: "must be a date, YYYY-MM-DD" });

/** The paths of lines that name a product an earlier line already names. */
function uniqueProducts(lines: readonly { productId: string }[] | undefined, ctx: z.RefinementCtx, field = "lines") {
  const seen = new Set<string>();
  lines?.forEach((line, i) => {
    if (seen.has(line.productId)) ctx.addIssue({ code: "custom", path: [field, i, "productId"], message: "names a product an earlier line names; give each product once" });
    seen.add(line.productId);
  });
}

const BoolFilter = z.enum(["true", "false"]).transform((v) => v === "true");

// ---------------------------------------------------------------- transfers

export const TransferLineBody = z.object({ productId: Id, quantity: PositiveQuantity.describe("Thousandths to send") });

export const CreateTransferBody = z
  .object({
    fromStoreId: Id.optional().describe("The source store; the store you are signed into when left out"),
    toStoreId: Id,
    notes: Note,
    lines: z.array(TransferLineBody).min(1).max(MAX_DOC_LINES),
  })
  .superRefine((b, ctx) => uniqueProducts(b.lines, ctx));

export const UpdateTransferBody = z
  .object({
    toStoreId: Id.optional(),
    notes: Note.optional(),
    lines: z.array(TransferLineBody).min(1).max(MAX_DOC_LINES).optional().describe("Replaces every line"),
    version: Version.optional(),
  })
  .superRefine((b, ctx) => uniqueProducts(b.lines, ctx));

export const TransferActionBody = z.object({ version: Version.optional() });

export const ReceiveTransferBody = z
  .object({
    version: Version.optional(),
    lines: z
      .array(z.object({
        productId: Id,
        receivedQuantity: NonNegativeQuantity.describe("Thousandths that arrived"),
        reason: SingleLineText(200).optional().describe("Why it differs from what was sent: required when it does"),
      }))
      .max(MAX_DOC_LINES)
      .default([])
      .describe("Lines that did not arrive as sent; every other line is received as sent"),
  })
  .superRefine((b, ctx) => uniqueProducts(b.lines, ctx));

export const TransferLine = z.object({
  id: Id,
  productId: Id,
  sku: z.string(),
  name: z.string(),
  quantity: z.int().describe("Sent (or to send), thousandths"),
  receivedQuantity: z.int().nullable(),
  discrepancy: z.int().nullable().describe("receivedQuantity − quantity; null until received"),
  discrepancyReason: z.string().nullable(),
});

export const Transfer = z.object({
  id: Id,
  fromStoreId: Id,
  toStoreId: Id,
  status: z.enum(TRANSFER_STATUSES),
  notes: z.string().nullable(),
  totalQuantity: z.int().describe("The sum of the lines' quantities"),
  createdBy: Id,
  sentBy: Id.nullable(),
  sentAt: Timestamp.nullable(),
  receivedBy: Id.nullable(),
  receivedAt: Timestamp.nullable(),
  cancelledBy: Id.nullable(),
  cancelledAt: Timestamp.nullable(),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lines: z.array(TransferLine).optional().describe("With GET of one transfer and the answers of its writes"),
});
export type Transfer = z.infer<typeof Transfer>;

export const TransferQuery = PageQuery.extend({
  status: z.enum(TRANSFER_STATUSES).optional(),
  store_id: Id.optional().describe("Transfers from or to this store"),
});

// ---------------------------------------------------------------- purchase orders

export const PurchaseOrderLineBody = z.object({
  productId: Id,
  quantity: PositiveQuantity.describe("Thousandths ordered"),
  unitCost: UnitCost.optional().describe("Per unit; the supplier link's cost, else the product's cost price, when left out"),
  supplierSku: SingleLineText(100).nullish().describe("The supplier link's SKU when left out"),
  allowOverReceipt: z.boolean().default(false).describe("Receipts may take the line past its quantity"),
});

export const CreatePurchaseOrderBody = z
  .object({
    supplierId: Id,
    storeId: Id.optional().describe("The store delivered to; the store you are signed into when left out"),
    expectedDeliveryDate: DateOnly.nullish(),
    notes: Note,
    lines: z.array(PurchaseOrderLineBody).max(MAX_DOC_LINES).default([]),
  })
  .superRefine((b, ctx) => uniqueProducts(b.lines, ctx));

export const UpdatePurchaseOrderBody = z.object({
  supplierId: Id.optional().describe("Only while draft"),
  expectedDeliveryDate: DateOnly.nullish(),
  notes: Note.optional(),
  version: Version.optional(),
});

export const UpdatePurchaseOrderLineBody = z.object({
  quantity: PositiveQuantity.optional(),
  unitCost: UnitCost.optional(),
  supplierSku: SingleLineText(100).nullish(),
  allowOverReceipt: z.boolean().optional(),
  version: Version.optional().describe("The purchase order's version"),
});

export const PurchaseOrderActionBody = z.object({ version: Version.optional() });

export const ReceivePurchaseOrderBody = z
  .object({
    version: Version.optional(),
    lines: z.array(z.object({ lineId: Id, quantity: PositiveQuantity.describe("Thousandths received now") })).min(1).max(MAX_DOC_LINES),
    updateCost: z.boolean().default(true).describe("Update each product's cost price to the moving weighted average"),
    note: Note,
  })
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    b.lines.forEach((l, i) => {
      if (seen.has(l.lineId)) ctx.addIssue({ code: "custom", path: ["lines", i, "lineId"], message: "names a line an earlier line names" });
      seen.add(l.lineId);
    });
  });

export const PurchaseOrderLine = z.object({
  id: Id,
  productId: Id,
  sku: z.string(),
  name: z.string(),
  supplierSku: z.string().nullable(),
  quantity: z.int(),
  unitCost: z.int(),
  lineTotal: z.int().describe("quantity × unitCost / 1000, rounded half away from zero"),
  receivedQuantity: z.int(),
  allowOverReceipt: z.boolean(),
});

export const PurchaseOrderReceipt = z.object({
  id: Id,
  receivedBy: Id,
  receivedAt: Timestamp,
  updatedCost: z.boolean(),
  note: z.string().nullable(),
  lines: z.array(z.object({ lineId: Id, productId: Id, quantity: z.int(), unitCost: z.int() })),
});

export const PurchaseOrder = z.object({
  id: Id,
  storeId: Id,
  supplierId: Id,
  status: z.enum(PURCHASE_ORDER_STATUSES),
  expectedDeliveryDate: z.string().nullable(),
  notes: z.string().nullable(),
  total: z.int().describe("The sum of the lines' totals, minor units"),
  createdBy: Id,
  submittedBy: Id.nullable(),
  submittedAt: Timestamp.nullable(),
  approvedBy: Id.nullable(),
  approvedAt: Timestamp.nullable(),
  sentBy: Id.nullable(),
  sentAt: Timestamp.nullable(),
  receivedAt: Timestamp.nullable(),
  cancelledBy: Id.nullable(),
  cancelledAt: Timestamp.nullable(),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lines: z.array(PurchaseOrderLine).optional().describe("With GET of one order and the answers of its writes"),
  receipts: z.array(PurchaseOrderReceipt).optional(),
});
export type PurchaseOrder = z.infer<typeof PurchaseOrder>;

export const PurchaseOrderQuery = PageQuery.extend({
  status: z.enum(PURCHASE_ORDER_STATUSES).optional(),
  supplier_id: Id.optional(),
  store_id: Id.optional(),
});

export const PurchaseOrderItemParams = z.object({ id: Id, itemId: Id });

// ---------------------------------------------------------------- stock counts

export const StartStockCountBody = z.object({
  storeId: Id.optional().describe("The store counted; the store you are signed into when left out"),
  departmentId: Id.nullish().describe("Only this department's products; every tracked product when left out"),
  notes: Note,
});

export const CountEntriesBody = z
  .object({
    lines: z
      .array(z.object({
        productId: Id,
        countedQuantity: NonNegativeQuantity,
        version: Version.optional().describe("The line's version as you read it: a stale one is 409; without it the last write wins"),
      }))
      .min(1)
      .max(MAX_DOC_LINES),
  })
  .superRefine((b, ctx) => uniqueProducts(b.lines, ctx));

export const StockCountActionBody = z.object({ version: Version.optional() });

export const StockCountLine = z.object({
  id: Id,
  productId: Id,
  sku: z.string(),
  name: z.string(),
  expectedQuantity: z.int().describe("The level when the count started"),
  countedQuantity: z.int().nullable(),
  difference: z.int().nullable().describe("countedQuantity − expectedQuantity: what posting changes the level by"),
  unitCost: z.int().describe("The product's cost price now, per unit"),
  differenceValue: z.int().nullable().describe("difference × unitCost / 1000, rounded half away from zero"),
  countedBy: Id.nullable(),
  countedAt: Timestamp.nullable(),
  version: z.int(),
});
export type StockCountLine = z.infer<typeof StockCountLine>;

export const StockCount = z.object({
  id: Id,
  storeId: Id,
  departmentId: Id.nullable(),
  status: z.enum(STOCK_COUNT_STATUSES),
  notes: z.string().nullable(),
  startedBy: Id,
  postedBy: Id.nullable(),
  postedAt: Timestamp.nullable(),
  cancelledBy: Id.nullable(),
  cancelledAt: Timestamp.nullable(),
  lineCount: z.int(),
  countedLines: z.int(),
  differenceValue: z.int().describe("The sum of the counted lines' difference values, minor units"),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type StockCount = z.infer<typeof StockCount>;

export const StockCountQuery = PageQuery.extend({
  status: z.enum(STOCK_COUNT_STATUSES).optional(),
  store_id: Id.optional(),
});

export const StockCountLineQuery = PageQuery.extend({
  counted: BoolFilter.optional().describe("true: counted lines only; false: lines not counted yet"),
  differences: BoolFilter.optional().describe("true: counted lines whose count differs from the expected quantity"),
});
