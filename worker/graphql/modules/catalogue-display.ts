import {
  bannerList, noticeList, sectionList, sortOptionList,
  type ProductBannerRow, type ProductNoticeRow, type ProductSectionRow, type ProductSortOptionRow,
} from "../../domain/display-reads";
import type { ProductRow } from "../../domain/catalogue-reads";
import { authorize } from "../authorize";
import { builder } from "../builder";
import type { GraphQLContext } from "../context";
import { listOf, pageResult, syncArgs } from "../paging";
import { departmentLoader, Product, ProductGroup } from "./catalogue";
import { productLoader } from "./stock";

/**
 * What a till shows around the catalogue (REST: /api/v1/product-banners, -notices, -sections, -sort-options):
 * sync-style lists (`since` and `until`) with a lookup by id, each needing products.view. Resolvers only call
 * worker/domain/display-reads.ts.
 */

const synced = "The row's version, raised by every change (optimistic concurrency).";

/** The products of these ids that are still live, in the order given (a deleted one is left out). */
const liveProducts = async (ctx: GraphQLContext, ids: readonly string[]) =>
  (await productLoader(ctx).loadMany(ids)).filter((p): p is ProductRow => !!p && !(p instanceof Error) && p.deletedAt === null);

export const ProductBanner = builder.objectRef<ProductBannerRow>("ProductBanner").implement({
  description: "A promotional banner the till shows, lowest sortOrder first, while it is active and inside its window.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The banner's id (a UUID)." }),
    title: t.exposeString("title", { description: "The banner's title." }),
    text: t.exposeString("text", { nullable: true, description: "Its text (may break lines with \\n), if any." }),
    imageUrl: t.exposeString("imageUrl", { nullable: true, description: "Its image, an https URL, if any." }),
    productId: t.exposeID("productId", { nullable: true, description: "The product a tap on it opens, if it links to one." }),
    product: t.field({
      type: Product, nullable: true, description: "The product a tap on it opens, if it links to one (null once that product is deleted).",
      resolve: async (b, _a, ctx) => (b.productId ? ((await liveProducts(ctx, [b.productId]))[0] ?? null) : null),
    }),
    groupId: t.exposeID("departmentId", { nullable: true, description: "The product group (department) a tap on it opens, if it links to one." }),
    group: t.field({
      type: ProductGroup, nullable: true, description: "The product group (department) a tap on it opens, if it links to one.",
      resolve: (b, _a, ctx) => (b.departmentId ? departmentLoader(ctx).load(b.departmentId) : null),
    }),
    activeFrom: t.field({ type: "DateTime", nullable: true, description: "Shown from this instant; null: from now on.", resolve: (b) => b.activeFrom }),
    activeUntil: t.field({ type: "DateTime", nullable: true, description: "Shown until this instant (exclusive); null: until switched off.", resolve: (b) => b.activeUntil }),
    sortOrder: t.exposeInt("sortOrder", { description: "Its place among the banners: lower first." }),
    isActive: t.exposeBoolean("isActive", { description: "Whether it is switched on." }),
    deleted: t.boolean({ description: "Whether it was deleted (only since-paging answers deleted banners).", resolve: (b) => b.deletedAt !== null }),
    version: t.exposeInt("version", { description: synced }),
    updatedAt: t.field({ type: "DateTime", description: "When it last changed.", resolve: (b) => b.updatedAt }),
  }),
});

const NoticeSeverity = builder.enumType("ProductNoticeSeverity", {
  description: "How the till shows a product notice.",
  values: {
    INFO: { value: "info", description: "Shown for information." },
    WARNING: { value: "warning", description: "Shown as a warning." },
    REQUIRES_CONFIRMATION: { value: "requires_confirmation", description: "The cashier must confirm (e.g. an age check) before the line is added." },
  } as const,
});

export const ProductNotice = builder.objectRef<ProductNoticeRow>("ProductNotice").implement({
  description: "A notice the till shows when one of its products is sold or looked at (\"Age check: 18+\", \"Contains nuts\").",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The notice's id (a UUID)." }),
    name: t.exposeString("name", { description: "The back office's name for it, unique in the tenant." }),
    text: t.exposeString("text", { description: "What the till shows (may break lines with \\n)." }),
    severity: t.field({ type: NoticeSeverity, description: "How the till shows it.", resolve: (n) => n.severity }),
    minimumAge: t.exposeInt("minimumAge", { nullable: true, description: "The age to check, in years (with REQUIRES_CONFIRMATION only), if any." }),
    productIds: t.exposeIDList("productIds", { description: "The products it applies to." }),
    products: t.field({ type: [Product], description: "The live products it applies to, in its order.", resolve: (n, _a, ctx) => liveProducts(ctx, n.productIds) }),
    groupIds: t.exposeIDList("departmentIds", { description: "The product groups (departments) whose every product it applies to." }),
    isActive: t.exposeBoolean("isActive", { description: "Whether it is switched on." }),
    deleted: t.boolean({ description: "Whether it was deleted (only since-paging answers deleted notices).", resolve: (n) => n.deletedAt !== null }),
    version: t.exposeInt("version", { description: synced }),
    updatedAt: t.field({ type: "DateTime", description: "When it last changed.", resolve: (n) => n.updatedAt }),
  }),
});

export const ProductSection = builder.objectRef<ProductSectionRow>("ProductSection").implement({
  description: "A named section of the till's product layout (\"Hot drinks\"), with its products in the order shown; a product may be in several.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The section's id (a UUID)." }),
    name: t.exposeString("name", { description: "The section's name, unique in the tenant." }),
    productIds: t.exposeIDList("productIds", { description: "Its products, in the order the till shows them." }),
    products: t.field({ type: [Product], description: "Its live products, in the order the till shows them.", resolve: (s, _a, ctx) => liveProducts(ctx, s.productIds) }),
    color: t.exposeString("color", { nullable: true, description: "Its tile colour on the till, #RRGGBB; null: the till's own." }),
    sortOrder: t.exposeInt("sortOrder", { description: "Its place among the sections: lower first." }),
    isActive: t.exposeBoolean("isActive", { description: "Whether it is shown." }),
    deleted: t.boolean({ description: "Whether it was deleted (only since-paging answers deleted sections).", resolve: (s) => s.deletedAt !== null }),
    version: t.exposeInt("version", { description: synced }),
    updatedAt: t.field({ type: "DateTime", description: "When it last changed.", resolve: (s) => s.updatedAt }),
  }),
});

const SortField = builder.enumType("ProductSortField", {
  description: "What a sort option sorts products by.",
  values: {
    NAME: { value: "name", description: "The product's name." },
    PRICE: { value: "price", description: "The product's sell price." },
    SKU: { value: "sku", description: "The product's SKU." },
    CREATED: { value: "created", description: "When the product was created." },
    POPULARITY: { value: "popularity", description: "How much of it sells." },
  } as const,
});

const SortDirection = builder.enumType("SortDirection", {
  description: "Which way a sort goes.",
  values: {
    ASC: { value: "asc", description: "Smallest (or A, or oldest) first." },
    DESC: { value: "desc", description: "Largest (or Z, or newest) first." },
  } as const,
});

export const ProductSortOption = builder.objectRef<ProductSortOptionRow>("ProductSortOption").implement({
  description: "A named way to sort product lists (\"Best sellers\": popularity, descending); at most one per tenant is the default.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The sort option's id (a UUID)." }),
    name: t.exposeString("name", { description: "Its name, unique in the tenant." }),
    field: t.field({ type: SortField, description: "What it sorts by.", resolve: (o) => o.field }),
    direction: t.field({ type: SortDirection, description: "Which way.", resolve: (o) => o.direction }),
    isDefault: t.exposeBoolean("isDefault", { description: "Whether it is the tenant's default sort." }),
    sortOrder: t.exposeInt("sortOrder", { description: "Its place among the sort options: lower first." }),
    isActive: t.exposeBoolean("isActive", { description: "Whether the till offers it." }),
    deleted: t.boolean({ description: "Whether it was deleted (only since-paging answers deleted sort options).", resolve: (o) => o.deletedAt !== null }),
    version: t.exposeInt("version", { description: synced }),
    updatedAt: t.field({ type: "DateTime", description: "When it last changed.", resolve: (o) => o.updatedAt }),
  }),
});

const ProductBannerPage = pageResult("ProductBannerPage", ProductBanner, "A page of product banners.");
const ProductNoticePage = pageResult("ProductNoticePage", ProductNotice, "A page of product notices.");
const ProductSectionPage = pageResult("ProductSectionPage", ProductSection, "A page of product sections.");
const ProductSortOptionPage = pageResult("ProductSortOptionPage", ProductSortOption, "A page of product sort options.");

const idArg = (what: string) => ({ required: false, description: `Only the ${what} of this id.` }) as const;

builder.queryField("productBanner", (t) =>
  t.field({
    type: ProductBannerPage,
    description: "Product banners, lowest sortOrder first. Sync-style: `since` and `until`. Needs products.view.",
    args: {
      id: t.arg.id(idArg("banner")),
      isActive: t.arg.boolean({ required: false, description: "Only the banners switched on (true) or off (false)." }),
      ...syncArgs,
    },
    resolve: async (_root, args, ctx) => {
      authorize(ctx, "products.view");
      const page = await bannerList(ctx.caller, ctx, { ...listOf(args), id: args.id ? String(args.id) : null, isActive: args.isActive });
      return { items: page.rows, hasMoreResults: page.hasMore, until: page.until };
    },
  }),
);

builder.queryField("productNotice", (t) =>
  t.field({
    type: ProductNoticePage,
    description: "Product notices, by name. Sync-style: `since` and `until`. Needs products.view.",
    args: {
      id: t.arg.id(idArg("notice")),
      productId: t.arg.id({ required: false, description: "Only the notices that apply to this product (listing it, or its product group)." }),
      groupId: t.arg.id({ required: false, description: "Only the notices listing this product group (department)." }),
      ...syncArgs,
    },
    resolve: async (_root, args, ctx) => {
      authorize(ctx, "products.view");
      const page = await noticeList(ctx.caller, ctx, {
        ...listOf(args), id: args.id ? String(args.id) : null, productId: args.productId ? String(args.productId) : null, departmentId: args.groupId ? String(args.groupId) : null,
      });
      return { items: page.rows, hasMoreResults: page.hasMore, until: page.until };
    },
  }),
);

builder.queryField("productSection", (t) =>
  t.field({
    type: ProductSectionPage,
    description: "The sections of the till's product layout, lowest sortOrder first. Sync-style: `since` and `until`. Needs products.view.",
    args: {
      id: t.arg.id(idArg("section")),
      productId: t.arg.id({ required: false, description: "Only the sections holding this product." }),
      ...syncArgs,
    },
    resolve: async (_root, args, ctx) => {
      authorize(ctx, "products.view");
      const page = await sectionList(ctx.caller, ctx, { ...listOf(args), id: args.id ? String(args.id) : null, productId: args.productId ? String(args.productId) : null });
      return { items: page.rows, hasMoreResults: page.hasMore, until: page.until };
    },
  }),
);

builder.queryField("productSortOption", (t) =>
  t.field({
    type: ProductSortOptionPage,
    description: "The ways to sort product lists, lowest sortOrder first. Sync-style: `since` and `until`. Needs products.view.",
    args: { id: t.arg.id(idArg("sort option")), ...syncArgs },
    resolve: async (_root, args, ctx) => {
      authorize(ctx, "products.view");
      const page = await sortOptionList(ctx.caller, ctx, { ...listOf(args), id: args.id ? String(args.id) : null });
      return { items: page.rows, hasMoreResults: page.hasMore, until: page.until };
    },
  }),
);
