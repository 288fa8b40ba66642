import { asc, eq, isNull } from "drizzle-orm";
import type { z } from "zod";
import type { StorePrice, StorePriceQuery, UpsertStorePriceBody } from "../../schema/contracts/store-prices";
import { products, storePrices, stores } from "../../schema/db";
import type { Statement } from "../db/batch";
import { conflict } from "./errors";
import type { ServiceContext } from "./context";
import { entityService } from "./entity";
import { referenceCheck } from "./references";
import { toIso } from "./versioning";

/**
 * Store prices: a store's own price for a product, overriding the product's sell price there (how it combines
 * with specials is pricing.ts's business). One live row per store and product; each change goes to the feed
 * with its store, so only that store's tills are told.
 */

type Row = typeof storePrices.$inferSelect;

const storePriceDto = (r: Row): StorePrice => ({
  id: r.id,
  storeId: r.storeId,
  productId: r.productId,
  price: r.price,
  version: r.version,
  createdAt: toIso(r.createdAt),
  updatedAt: toIso(r.updatedAt),
});

const entity = entityService({
  label: "Store price",
  kind: "store_price",
  table: storePrices,
  toDto: storePriceDto,
  storeOf: (r: Row) => r.storeId,
  unique: () => [
    { column: "store_prices.product_id", error: () => conflict("STORE_PRICE_CONFLICT", "Another request set this store's price for the product at the same time; read it and try again") },
  ],
});

export const listStorePrices = (ctx: ServiceContext, q: z.output<typeof StorePriceQuery>) =>
  entity.list(
    ctx,
    q,
    [q.storeId ? eq(storePrices.storeId, q.storeId) : undefined, q.productId ? eq(storePrices.productId, q.productId) : undefined],
    asc(storePrices.createdAt),
  );

/**
 * Set a store's price for a product: the live override is updated (version + 1; a `version` sent must be its
 * current one) or, if there is none, one is created. Store and product must be this tenant's (422 naming them).
 */
export async function upsertStorePrice(ctx: ServiceContext, body: z.output<typeof UpsertStorePriceBody>, expectedVersion: number | undefined) {
  const { scope } = ctx;
  const refs = referenceCheck(
    scope,
    [
      { field: "storeId", table: stores, ids: body.storeId, noun: "a store" },
      { field: "productId", table: products, ids: body.productId, noun: "a product" },
    ],
    "The store price names a store or product that does not exist",
  );
  const existing = scope.select(storePrices, eq(storePrices.storeId, body.storeId), eq(storePrices.productId, body.productId), isNull(storePrices.deletedAt));
  const results: unknown[] = await scope.db.batch([...refs.queries, existing] as unknown as [Statement, ...Statement[]]);
  refs.verify(results);
  const current = (results[refs.queries.length] as Row[])[0];
  if (current) return entity.update(ctx, current.id, { price: body.price }, expectedVersion);
  return entity.create(ctx, { storeId: body.storeId, productId: body.productId, price: body.price });
}

export const deleteStorePrice = (ctx: ServiceContext, id: string, expectedVersion: number | undefined) => entity.remove(ctx, id, expectedVersion);
