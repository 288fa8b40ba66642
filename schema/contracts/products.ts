import { z } from "zod";
import { Id, Money, MultiLineText, Name, Search, SingleLineText, Timestamp, Version } from "./common";

export const Sku = z.string().trim().min(1).max(64).regex(/^[\w.\-/]+$/, "may hold letters, digits and . _ - / only");
/** EAN-8/13, UPC-A/E, Code 128 and in-house codes: 4 to 48 letters or digits. */
export const Barcode = z.string().trim().regex(/^[0-9A-Za-z\-.]{4,48}$/, "must be 4 to 48 letters or digits");

const productFields = {
  sku: Sku,
  barcode: Barcode.nullish(),
  name: Name(200),
  description: MultiLineText(2000).nullish(),
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
  search: Search,
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

/** A supplier of a product: what the supplier calls it and charges for it. */
export const ProductSupplier = z.object({
  id: Id,
  productId: Id,
  supplierId: Id,
  supplierName: z.string(),
  supplierCode: z.string().nullable(),
  supplierSku: z.string().nullable(),
  /** What this supplier charges, minor units. */
  costPrice: z.int().nullable(),
  /** At most one supplier of a product is its primary one. */
  isPrimary: z.boolean(),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type ProductSupplier = z.infer<typeof ProductSupplier>;

const SupplierSku = SingleLineText(64).min(1, "must not be empty");

export const ProductParams = z.object({ productId: Id });
export const ProductSupplierParams = z.object({ productId: Id, supplierId: Id });

export const LinkSupplierBody = z.object({
  supplierId: Id,
  supplierSku: SupplierSku.nullish(),
  costPrice: Money.nullish(),
  isPrimary: z.boolean().default(false),
});

export const UpdateProductSupplierBody = z.object({
  version: Version.optional(),
  supplierSku: SupplierSku.nullish(),
  costPrice: Money.nullish(),
  isPrimary: z.boolean().optional(),
});

export const ProductPriceQuery = z.object({
  /** The store to price in; the store you are signed into when left out. */
  storeId: Id.optional(),
  /** The instant to price at (ISO 8601 with an offset), for specials; now when left out. */
  at: z.iso.datetime({ offset: true }).optional(),
});

const AppliedSpecial = z.object({ id: Id, name: z.string(), kind: z.enum(["price", "percent"]), value: z.int() });

/** The effective price of one product in one store, with the tax of one unit at that price. */
export const ProductPrice = z.object({
  productId: Id,
  storeId: Id,
  /** The product's sell price. */
  basePrice: z.int(),
  /** The store's override, if it has one. */
  storePrice: z.int().nullable(),
  /** The special that set the price, if one did. */
  special: AppliedSpecial.nullable(),
  /** What the product sells for in the store at that instant (minor units). */
  price: z.int(),
  source: z.enum(["base", "store", "special"]),
  /** The store's setting: `price` contains its tax (EU VAT) or has it added on top (US sales tax). */
  pricesIncludeTax: z.boolean(),
  currency: z.string(),
  /** The instant priced and the store's wall-clock time then. */
  at: Timestamp,
  localTime: z.string(),
  taxes: z.array(ProductTaxRate),
  /** One unit at `price`, through the money engine (line rounding): net + tax = gross. */
  unit: z.object({
    net: z.int(),
    tax: z.int(),
    gross: z.int(),
    taxes: z.array(z.object({ id: Id, name: z.string(), rate: z.int().nullable(), rateMillionths: z.int(), isCompound: z.boolean(), amount: z.int() })),
  }),
});
export type ProductPrice = z.infer<typeof ProductPrice>;
