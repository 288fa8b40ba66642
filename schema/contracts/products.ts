import { z } from "zod";
import { Id, Money, Timestamp, Version } from "./common";

export const Sku = z.string().trim().min(1).max(64).regex(/^[\w.\-/]+$/, "may hold letters, digits and . _ - / only");
/** EAN-8/13, UPC-A/E, Code 128 and in-house codes: 4 to 48 letters or digits. */
export const Barcode = z.string().trim().regex(/^[0-9A-Za-z\-.]{4,48}$/, "must be 4 to 48 letters or digits");

const productFields = {
  sku: Sku,
  barcode: Barcode.nullish(),
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullish(),
  departmentId: Id.nullish(),
  taxGroupId: Id.nullish(),
  costPrice: Money.default(0),
  sellPrice: Money,
  trackStock: z.boolean().default(true),
  isActive: z.boolean().default(true),
};

export const CreateProductBody = z.object({ id: Id.optional(), ...productFields });

export const UpdateProductBody = z.object({
  version: Version.optional(),
  sku: Sku.optional(),
  barcode: Barcode.nullish(),
  name: productFields.name.optional(),
  description: productFields.description,
  departmentId: Id.nullish(),
  taxGroupId: Id.nullish(),
  costPrice: Money.optional(),
  sellPrice: Money.optional(),
  trackStock: z.boolean().optional(),
  isActive: z.boolean().optional(),
});

export const ProductListQuery = z.object({
  search: z.string().trim().min(1).max(100).optional(),
  departmentId: Id.optional(),
  isActive: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
});

export const ProductTaxRate = z.object({
  id: Id,
  name: z.string(),
  /** Basis points when the rate is a whole number of them, else null (see rateMillionths). */
  rate: z.int().nullable(),
  rateMillionths: z.int(),
  isCompound: z.boolean(),
  sortOrder: z.int(),
});

export const Product = z.object({
  id: Id,
  sku: z.string(),
  barcode: z.string().nullable(),
  name: z.string(),
  description: z.string().nullable(),
  departmentId: Id.nullable(),
  taxGroupId: Id.nullable(),
  costPrice: z.int(),
  sellPrice: z.int(),
  trackStock: z.boolean(),
  isActive: z.boolean(),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const ProductWithTaxes = Product.extend({ taxRates: z.array(ProductTaxRate) });
export type Product = z.infer<typeof Product>;
