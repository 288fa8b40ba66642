import { z } from "zod";
import { MultiLineText } from "./text";
import { Id, Money, Name, Timestamp, Version } from "./common";
import { CreateProductBody, UpdateProductBody } from "./products";

export const WORKSHEET_KINDS = ["price_change", "product_update", "tax_change", "deactivate", "new_product"] as const;
export const WORKSHEET_STATUSES = ["draft", "submitted", "approved", "rejected", "applied"] as const;

/** Items × stores a worksheet may change in one apply (one D1 batch). */
export const MAX_WORKSHEET_CHANGES = 250;

const PriceChange = z.object({ productId: Id, sellPrice: Money, costPrice: Money.optional() });
const ProductUpdate = z.object({
  productId: Id,
  changes: UpdateProductBody.omit({ version: true }).refine((c) => Object.values(c).some((v) => v !== undefined), "name at least one field to change"),
});
const TaxChange = z.object({ productId: Id, taxGroupId: Id.nullable() });
const Deactivate = z.object({ productId: Id });
const NewProduct = z.object({ product: CreateProductBody });

const common = {
  name: Name(200),
  notes: MultiLineText(2000).nullish(),
};
const unique = (ids: string[]) => new Set(ids).size === ids.length;
const items = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_WORKSHEET_CHANGES);
const distinctProducts = (list: { productId: string }[]) => unique(list.map((i) => i.productId));

/** New products may not share an id, a SKU or a barcode with each other: the later one is named. */
const distinctNewProducts = (list: z.output<typeof NewProduct>[], ctx: z.RefinementCtx) => {
  for (const field of ["id", "sku", "barcode"] as const) {
    const seen = new Set<string>();
    list.forEach(({ product }, i) => {
      const value = product[field];
      if (value == null) return;
      if (seen.has(value)) ctx.addIssue({ code: "custom", path: [i, "product", field], message: `another new product of this worksheet has this ${field}` });
      seen.add(value);
    });
  }
};

/** A worksheet's body: its kind decides the shape of its items. */
export const WorksheetBody = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("price_change"),
    ...common,
    /** Stores whose prices change (as store prices); empty: the base sell price of every store. */
    storeIds: z.array(Id).max(50).default([]),
    items: items(PriceChange).refine(distinctProducts, "lists a product twice"),
  }).refine((b) => b.items.length * Math.max(1, b.storeIds.length) <= MAX_WORKSHEET_CHANGES, {
    message: `items × stores must be at most ${MAX_WORKSHEET_CHANGES}`,
    path: ["items"],
  }),
  z.object({ kind: z.literal("product_update"), ...common, items: items(ProductUpdate).refine(distinctProducts, "lists a product twice") }),
  z.object({ kind: z.literal("tax_change"), ...common, items: items(TaxChange).refine(distinctProducts, "lists a product twice") }),
  z.object({ kind: z.literal("deactivate"), ...common, items: items(Deactivate).refine(distinctProducts, "lists a product twice") }),
  z.object({ kind: z.literal("new_product"), ...common, items: items(NewProduct).superRefine(distinctNewProducts) }),
]);
export type WorksheetBody = z.output<typeof WorksheetBody>;

export const UpdateWorksheetBody = z.intersection(WorksheetBody, z.object({ version: Version.optional() }));

export const RejectWorksheetBody = z.object({ version: Version.optional(), reason: MultiLineText(1000).min(1, "must not be empty") });

export const WorksheetListQuery = z.object({
  status: z.enum(WORKSHEET_STATUSES).optional(),
  kind: z.enum(WORKSHEET_KINDS).optional(),
});

export const Worksheet = z.object({
  id: Id,
  name: z.string(),
  kind: z.enum(WORKSHEET_KINDS),
  status: z.enum(WORKSHEET_STATUSES),
  notes: z.string().nullable(),
  storeIds: z.array(Id),
  items: z.array(z.record(z.string(), z.unknown())),
  createdBy: Id,
  submittedBy: Id.nullable(),
  submittedAt: Timestamp.nullable(),
  reviewedBy: Id.nullable(),
  reviewedAt: Timestamp.nullable(),
  rejectionReason: z.string().nullable(),
  appliedBy: Id.nullable(),
  appliedAt: Timestamp.nullable(),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
