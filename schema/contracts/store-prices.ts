import { z } from "zod";
import { Id, Money, PageQuery, Timestamp, Version } from "./common";

/** A store's own price for a product, overriding the product's sell price there. */
export const StorePrice = z.object({
  id: Id,
  storeId: Id,
  productId: Id,
  /** Minor units. */
  price: z.int(),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type StorePrice = z.infer<typeof StorePrice>;

/** One row per store and product: an existing override is updated (give its `version` to guard it), else one is made. */
export const UpsertStorePriceBody = z.object({
  storeId: Id,
  productId: Id,
  price: Money,
  version: Version.optional(),
});

export const StorePriceQuery = PageQuery.extend({
  storeId: Id.optional(),
  productId: Id.optional(),
});
