import { productList, productsByIds, type ProductRow } from "../../domain/catalogue-reads";
import { ITEM_FEED_KINDS, levelList, levelsByProductIds, type LevelRow } from "../../domain/stock-reads";
import { authorize } from "../authorize";
import { builder } from "../builder";
import { defineLoader } from "../loaders";
import { listOf, pageResult, syncArgs } from "../paging";
import { Product } from "./catalogue";
import { Location, storeLoader } from "./stores";

const THOUSANDTHS = "Integer thousandths of a unit (2000 = 2 units).";

const levelsLoader = defineLoader((ctx, productIds: readonly string[]) => levelsByProductIds(ctx.caller, ctx.reads, productIds));
export const productLoader = defineLoader((ctx, ids: readonly string[]) => productsByIds(ctx.caller, ctx.reads, ids));

export const ItemWarehouse = builder.objectRef<LevelRow>("ItemWarehouse").implement({
  description: "An item's stock at one location (a tracked product's inventory level in a store).",
  fields: (t) => ({
    itemId: t.exposeID("productId", { description: "The item (product)." }),
    locationId: t.exposeID("storeId", { description: "The location (store)." }),
    item: t.field({ type: Product, nullable: true, description: "The item (product).", resolve: (l, _a, ctx) => productLoader(ctx).load(l.productId) }),
    location: t.field({ type: Location, nullable: true, description: "The location (store).", resolve: (l, _a, ctx) => storeLoader(ctx).load(l.storeId) }),
    quantity: t.exposeInt("quantity", { description: `On hand (may be negative: a till never refuses a sale). ${THOUSANDTHS}` }),
    reorderPoint: t.exposeInt("reorderPoint", { nullable: true, description: `At or below this it is low on stock; null: never. ${THOUSANDTHS}` }),
    lowStock: t.boolean({ description: "At or below the reorder point, or below zero.", resolve: (l) => l.quantity < 0 || (l.reorderPoint !== null && l.quantity <= l.reorderPoint) }),
    deleted: t.exposeBoolean("deleted", { description: "The item no longer tracks stock, or it or the location was deleted (only since-paging answers such rows)." }),
    updatedAt: t.field({ type: "DateTime", nullable: true, description: "When the level last moved; null if it never has.", resolve: (l) => l.updatedAt }),
  }),
});

const stockOf = (p: ProductRow, ctx: Parameters<typeof levelsLoader>[0]) => {
  authorize(ctx, "inventory.view");
  return levelsLoader(ctx).load(p.id);
};

builder.objectField(Product, "stock", (t) =>
  t.field({ type: [ItemWarehouse], description: "Its stock per location, by store code (none if it does not track stock). Needs inventory.view.", resolve: (p, _a, ctx) => stockOf(p, ctx) }),
);

/** An item is a product that keeps stock, with its stock per location. */
const Item = builder.objectRef<ProductRow>("Item").implement({
  description: "A stock-keeping item: a product that tracks stock, with its stock per location.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The item's id (the product's)." }),
    sku: t.exposeString("sku", { description: "The stock-keeping unit code." }),
    barcode: t.exposeString("barcode", { nullable: true, description: "The barcode, if it has one." }),
    name: t.exposeString("name", { description: "The item's name." }),
    deleted: t.boolean({ description: "Whether the product was deleted or no longer tracks stock (only since-paging answers such items).", resolve: (p) => p.deletedAt !== null || !p.trackStock }),
    product: t.field({ type: Product, description: "The product, with its catalogue fields. Needs products.view.", resolve: (p, _a, ctx) => (authorize(ctx, "products.view"), p) }),
    stock: t.field({ type: [ItemWarehouse], description: "Its stock per location, by store code.", resolve: (p, _a, ctx) => stockOf(p, ctx) }),
    version: t.exposeInt("version", { description: "The product's version." }),
    updatedAt: t.field({ type: "DateTime", description: "When the product last changed (a level's move is its own updatedAt).", resolve: (p) => p.updatedAt }),
  }),
});

const ItemPage = pageResult("ItemPage", Item, "A page of items.");
const ItemWarehousePage = pageResult("ItemWarehousePage", ItemWarehouse, "A page of item stock at locations.");

builder.queryField("item", (t) =>
  t.field({
    type: ItemPage,
    description: "Items (products that track stock) with their stock per location, by name. Sync-style: `since` and `until` (the product's changes and its stock's moves). Needs inventory.view.",
    args: {
      id: t.arg.id({ required: false, description: "Only the item of this id." }),
      sku: t.arg.string({ required: false, description: "Only the item of this SKU." }),
      barcode: t.arg.string({ required: false, description: "Only the item of this barcode." }),
      ...syncArgs,
    },
    resolve: async (_root, args, ctx) => {
      authorize(ctx, "inventory.view");
      const q = { ...listOf(args), id: args.id ? String(args.id) : null, sku: args.sku, barcode: args.barcode };
      const page = await productList(ctx.caller, ctx, { ...q, tracked: q.since === null }, "item", ITEM_FEED_KINDS);
      return { items: page.rows, hasMoreResults: page.hasMore, until: page.until };
    },
  }),
);

builder.queryField("itemWarehouse", (t) =>
  t.field({
    type: ItemWarehousePage,
    description:
      "Items' stock at locations: every location's level of every item (0 where it never moved), by item name then location code. " +
      "Sync-style: with `since`, the levels that moved after it. Needs inventory.view.",
    args: {
      itemId: t.arg.id({ required: false, description: "Only this item's levels." }),
      locationId: t.arg.id({ required: false, description: "Only this location's levels." }),
      ...syncArgs,
    },
    resolve: async (_root, args, ctx) => {
      authorize(ctx, "inventory.view");
      const page = await levelList(ctx.caller, ctx, { ...listOf(args), itemId: args.itemId ? String(args.itemId) : null, locationId: args.locationId ? String(args.locationId) : null });
      return { items: page.rows, hasMoreResults: page.hasMore, until: page.until };
    },
  }),
);
