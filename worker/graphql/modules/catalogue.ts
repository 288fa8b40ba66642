import {
  departmentList, departmentsByIds, productList, storePricesByProductIds, taxRatesByGroupIds,
  type DepartmentRow, type ProductRow, type StorePriceRow, type TaxRateOfGroup,
} from "../../domain/catalogue-reads";
import { toBasisPoints } from "../../../schema/money";
import { authorize } from "../authorize";
import { builder } from "../builder";
import { defineLoader } from "../loaders";
import { listOf, pageResult, syncArgs } from "../paging";
import { Location, storeLoader } from "./stores";

const MONEY = "Integer minor units of the store's or tenant's currency (öre, cents).";

export const departmentLoader = defineLoader((ctx, ids: readonly string[]) => departmentsByIds(ctx.caller, ctx.reads, ids));
const taxRatesLoader = defineLoader((ctx, groupIds: readonly string[]) => taxRatesByGroupIds(ctx.caller, ctx.reads, groupIds));
const storePricesLoader = defineLoader((ctx, productIds: readonly string[]) => storePricesByProductIds(ctx.caller, ctx.reads, productIds));

export const ProductGroup = builder.objectRef<DepartmentRow>("ProductGroup").implement({
  description: "A product group: a department of the catalogue (REST: /api/v1/departments).",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The group's id (a UUID)." }),
    name: t.exposeString("name", { description: "The group's name, unique in the tenant." }),
    code: t.exposeString("code", { nullable: true, description: "The group's short code, if it has one (unique in the tenant)." }),
    isActive: t.exposeBoolean("isActive", { description: "Whether the group is in use; an inactive group keeps its products." }),
    deleted: t.boolean({ description: "Whether the group was deleted (only since-paging answers deleted groups).", resolve: (g) => g.deletedAt !== null }),
    version: t.exposeInt("version", { description: "The row's version, raised by every change (optimistic concurrency)." }),
    updatedAt: t.field({ type: "DateTime", description: "When the group last changed.", resolve: (g) => g.updatedAt }),
  }),
});

const TaxRate = builder.objectRef<TaxRateOfGroup>("TaxRate").implement({
  description: "A tax rate a product's tax group applies.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The rate's id (a UUID)." }),
    name: t.exposeString("name", { description: "The rate's name (e.g. \"Moms 25 %\")." }),
    rate: t.int({ nullable: true, description: "The rate in basis points (2500 = 25 %); null when it is finer than a basis point (see rateMillionths).", resolve: (r) => toBasisPoints(r.rateMillionths) }),
    rateMillionths: t.exposeInt("rateMillionths", { description: "The rate in millionths of the price (250000 = 25 %, 99750 = 9.975 %)." }),
    isCompound: t.exposeBoolean("isCompound", { description: "Computed on the price plus the non-compound taxes before it in the group." }),
    sortOrder: t.exposeInt("sortOrder", { description: "The order the group applies its rates in." }),
  }),
});

const StorePrice = builder.objectRef<StorePriceRow>("StorePrice").implement({
  description: "A store's own price for a product, which overrides the product's sell price there.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The store price's id (a UUID)." }),
    locationId: t.exposeID("storeId", { description: "The store it applies in." }),
    location: t.field({ type: Location, nullable: true, description: "The store it applies in.", resolve: (p, _a, ctx) => storeLoader(ctx).load(p.storeId) }),
    price: t.exposeInt("price", { description: `The price there. ${MONEY}` }),
    version: t.exposeInt("version", { description: "The row's version, raised by every change." }),
    updatedAt: t.field({ type: "DateTime", description: "When the price last changed.", resolve: (p) => p.updatedAt }),
  }),
});

export const Product = builder.objectRef<ProductRow>("Product").implement({
  description: "A product of the catalogue (REST: /api/v1/products).",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The product's id (a UUID)." }),
    sku: t.exposeString("sku", { description: "The stock-keeping unit code, unique in the tenant." }),
    barcode: t.exposeString("barcode", { nullable: true, description: "The barcode (EAN/UPC), unique in the tenant, if it has one." }),
    name: t.exposeString("name", { description: "The product's name." }),
    description: t.exposeString("description", { nullable: true, description: "A longer description, if given." }),
    sellPrice: t.exposeInt("sellPrice", { description: `The base sell price (a store price overrides it in its store). ${MONEY}` }),
    costPrice: t.exposeInt("costPrice", { description: `The cost price (moving average of what stock cost). ${MONEY}` }),
    trackStock: t.exposeBoolean("trackStock", { description: "Whether stock is kept of it (an item with levels per location)." }),
    isActive: t.exposeBoolean("isActive", { description: "Whether it is on sale." }),
    deleted: t.boolean({ description: "Whether the product was deleted (only since-paging answers deleted products).", resolve: (p) => p.deletedAt !== null }),
    groupId: t.exposeID("departmentId", { nullable: true, description: "Its product group (department), if any." }),
    group: t.field({
      type: ProductGroup,
      nullable: true,
      description: "Its product group (department), if any.",
      resolve: (p, _a, ctx) => (p.departmentId ? departmentLoader(ctx).load(p.departmentId) : null),
    }),
    taxes: t.field({
      type: [TaxRate],
      description: "The tax rates of its tax group, in the order they apply (none without a group).",
      resolve: (p, _a, ctx) => (p.taxGroupId ? taxRatesLoader(ctx).load(p.taxGroupId) : []),
    }),
    prices: t.field({
      type: [StorePrice],
      description: "The stores' own prices for it, by store. Needs store_prices.view.",
      resolve: (p, _a, ctx) => {
        authorize(ctx, "store_prices.view");
        return storePricesLoader(ctx).load(p.id);
      },
    }),
    version: t.exposeInt("version", { description: "The row's version, raised by every change." }),
    updatedAt: t.field({ type: "DateTime", description: "When the product last changed.", resolve: (p) => p.updatedAt }),
  }),
});

const ProductGroupPage = pageResult("ProductGroupPage", ProductGroup, "A page of product groups.");
const ProductPage = pageResult("ProductPage", Product, "A page of products.");

builder.queryField("productGroup", (t) =>
  t.field({
    type: ProductGroupPage,
    description: "Product groups (departments), by name. Sync-style: `since` and `until`. Needs products.view.",
    args: {
      id: t.arg.id({ required: false, description: "Only the group of this id." }),
      ...syncArgs,
    },
    resolve: async (_root, args, ctx) => {
      authorize(ctx, "products.view");
      const page = await departmentList(ctx.caller, ctx, { ...listOf(args), id: args.id ? String(args.id) : null });
      return { items: page.rows, hasMoreResults: page.hasMore, until: page.until };
    },
  }),
);

builder.queryField("product", (t) =>
  t.field({
    type: ProductPage,
    description: "Products, by name. Sync-style: `since` and `until` (a product's own changes). Needs products.view.",
    args: {
      id: t.arg.id({ required: false, description: "Only the product of this id." }),
      sku: t.arg.string({ required: false, description: "Only the product of this SKU." }),
      barcode: t.arg.string({ required: false, description: "Only the product of this barcode." }),
      groupId: t.arg.id({ required: false, description: "Only products of this product group (department)." }),
      ...syncArgs,
    },
    resolve: async (_root, args, ctx) => {
      authorize(ctx, "products.view");
      const page = await productList(ctx.caller, ctx, {
        ...listOf(args), id: args.id ? String(args.id) : null, sku: args.sku, barcode: args.barcode, groupId: args.groupId ? String(args.groupId) : null,
      });
      return { items: page.rows, hasMoreResults: page.hasMore, until: page.until };
    },
  }),
);
