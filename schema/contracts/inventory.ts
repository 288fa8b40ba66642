import { z } from "zod";
import { Id, MultiLineText, PageQuery, Quantity, Search, Timestamp } from "./common";

/**
 * Stock: levels per store and tracked product, in thousandths (2000 = 2 units), changed only through the movement
 * ledger. A level may be below zero (a till never blocks a sale); a tracked product with no movement in a store
 * yet has 0 there.
 */

export const ADJUSTMENT_REASONS = ["damage", "theft", "count", "received", "other"] as const;
/** Lines of one adjustment, items of one reorder-point change. */
export const MAX_STOCK_LINES = 250;

/** A level or count in thousandths; counts and reorder points are never negative. */
const Thousandths = z.int({ error: "must be an integer in thousandths of a unit (2000 = 2)" }).min(0).max(1_000_000_000);

const storeLevelFields = {
  storeId: Id,
  storeCode: z.string(),
  storeName: z.string(),
  quantity: z.int().describe("Thousandths on hand; below zero when more was sold than was booked in"),
  reorderPoint: z.int().nullable().describe("At or below this quantity (thousandths) the product is low on stock in the store; null: never"),
  lowStock: z.boolean().describe("quantity is at or below reorderPoint, or below zero"),
  updatedAt: Timestamp.nullable().describe("The last change of the level; null when the store has had no movement or reorder point for the product (quantity 0)"),
};

/** A product's level in one store, with what identifies the product. */
export const InventoryLevel = z.object({
  productId: Id,
  sku: z.string(),
  barcode: z.string().nullable(),
  name: z.string(),
  ...storeLevelFields,
});
export type InventoryLevel = z.infer<typeof InventoryLevel>;

const BoolFilter = z.enum(["true", "false"]).transform((v) => v === "true");

export const InventoryQuery = PageQuery.extend({
  store_id: Id.optional().describe("One store's levels; every store's when left out"),
  product_id: Id.optional(),
  low_stock: BoolFilter.optional().describe("true: only levels at or below their reorder point, or below zero; false: only the others"),
  search: Search.describe("Matches the product's name, SKU or barcode"),
});

/** One product's levels in every store of the tenant. */
export const CrossStoreProduct = z.object({
  productId: Id,
  sku: z.string(),
  barcode: z.string().nullable(),
  name: z.string(),
  totalQuantity: z.int().describe("The sum over the stores, thousandths"),
  stores: z.array(z.object(storeLevelFields)).describe("Every store of the tenant, by code"),
});
export type CrossStoreProduct = z.infer<typeof CrossStoreProduct>;

export const CrossStoreQuery = z.object({
  product_id: Id.optional(),
  search: Search.describe("Matches the product's name, SKU or barcode"),
  page: PageQuery.shape.page,
  pageSize: z.coerce.number().int().min(1).max(50).default(20).describe("Products per page (each with every store)"),
});

/** The paths of items that name a product an earlier item already names. */
const duplicateProducts = (items: readonly { productId: string }[], field: string, ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.productId)) ctx.addIssue({ code: "custom", path: [field, i, "productId"], message: "names a product an earlier line names; give each product once" });
    seen.add(item.productId);
  });
};

export const AdjustmentLineBody = z
  .object({
    productId: Id,
    quantity: Quantity.optional().describe("What the level changes by, signed thousandths (-1000: one unit fewer); not with countedQuantity"),
    countedQuantity: Thousandths.optional().describe("What was counted (thousandths): the level becomes exactly this, the movement is the difference; not with quantity"),
  })
  .superRefine((line, ctx) => {
    if ((line.quantity === undefined) === (line.countedQuantity === undefined)) {
      ctx.addIssue({ code: "custom", path: ["quantity"], message: "give either quantity (a change) or countedQuantity (what was counted), one of them" });
    }
  });

export const AdjustmentBody = z
  .object({
    storeId: Id.optional().describe("The store whose stock changes; the store you are signed into when left out (another store needs inventory.adjust there)"),
    reason: z.enum(ADJUSTMENT_REASONS),
    note: MultiLineText(1000).nullish().transform((n) => (n?.trim() ? n : null)),
    lines: z.array(AdjustmentLineBody).min(1).max(MAX_STOCK_LINES),
  })
  .superRefine((body, ctx) => duplicateProducts(body.lines, "lines", ctx));

export const AdjustmentLine = z.object({
  productId: Id,
  kind: z.enum(["adjustment", "count"]).describe("adjustment: a change was given; count: a counted quantity was given"),
  quantity: z.int().describe("What the level changed by (thousandths); for a count, what was counted less the level as it was"),
  countedQuantity: z.int().nullable(),
  level: InventoryLevel.describe("The level right after the adjustment"),
});

export const Adjustment = z.object({
  id: Id.describe("The adjustment: the reference of its stock movements"),
  storeId: Id,
  reason: z.enum(ADJUSTMENT_REASONS),
  note: z.string().nullable(),
  userId: Id,
  createdAt: Timestamp,
  lines: z.array(AdjustmentLine).describe("In the order sent"),
});
export type Adjustment = z.infer<typeof Adjustment>;

export const ReorderPointsBody = z
  .object({
    storeId: Id.optional().describe("The store; the store you are signed into when left out (another store needs inventory.adjust there)"),
    items: z
      .array(z.object({ productId: Id, reorderPoint: Thousandths.nullable().describe("Thousandths; null: the product is never low on stock in the store") }))
      .min(1)
      .max(MAX_STOCK_LINES),
  })
  .superRefine((body, ctx) => duplicateProducts(body.items, "items", ctx));
