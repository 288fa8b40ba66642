import { z } from "zod";
import { IdParams } from "../../../schema/contracts/common";
import { StorePrice, StorePriceQuery, UpsertStorePriceBody } from "../../../schema/contracts/store-prices";
import { deleteStorePrice, listStorePrices, upsertStorePrice } from "../../domain/store-prices";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "Store prices";

export const storePriceRoutes = [
  route({
    method: "get", path: "/store-prices", tag, auth: "user", permission: "store_prices.view",
    summary: "List store price overrides", query: StorePriceQuery, response: StorePrice, paged: true,
    handler: (c, { query }) => listStorePrices(serviceContext(c), query),
  }),
  route({
    method: "post", path: "/store-prices", tag, auth: "user", permission: "store_prices.manage", versioned: true,
    summary: "Set a store's own price for a product (upsert)",
    description:
      "One override per store and product: an existing one is updated (send its `version`, or If-Match, to guard against a concurrent edit: 409 if stale), " +
      "else one is created (version 1). Answers 200 either way. Store and product must be yours (422 UNKNOWN_REFERENCE).",
    body: UpsertStorePriceBody, response: StorePrice,
    errors: {
      409: "STORE_PRICE_CONFLICT: another request created the store's price for the product at the same time",
      422: "UNKNOWN_REFERENCE: storeId or productId names no store or product of yours",
    },
    handler: (c, { body, expectedVersion }) => upsertStorePrice(serviceContext(c), body, expectedVersion),
  }),
  route({
    method: "delete", path: "/store-prices/:id", tag, auth: "user", permission: "store_prices.manage", versioned: true,
    summary: "Remove a store price override", description: "The product sells at its own price in that store again.",
    params: IdParams, response: z.object({ id: z.uuid(), deleted: z.literal(true) }),
    handler: async (c, { params, expectedVersion }) => {
      await deleteStorePrice(serviceContext(c), params.id, expectedVersion);
      return { id: params.id, deleted: true as const };
    },
  }),
];
