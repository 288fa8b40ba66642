import { departmentPage, type DepartmentRow } from "../../domain/catalogue-reads";
import { authorize } from "../authorize";
import { builder } from "../builder";
import { pageArgs, pageOf, pageResult } from "../paging";

/** Product groups (this product's departments). */
export const ProductGroup = builder.objectRef<DepartmentRow>("ProductGroup").implement({
  description: "A product group: a department of the catalogue (REST: /api/v1/departments).",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The group's id (a UUID)." }),
    name: t.exposeString("name", { description: "The group's name, unique in the tenant." }),
    code: t.exposeString("code", { nullable: true, description: "The group's short code, if it has one (unique in the tenant)." }),
    isActive: t.exposeBoolean("isActive", { description: "Whether the group is in use; an inactive group keeps its products." }),
    version: t.exposeInt("version", { description: "The row's version, raised by every change (optimistic concurrency)." }),
    updatedAt: t.field({ type: "DateTime", description: "When the group last changed.", resolve: (g) => g.updatedAt }),
  }),
});

const ProductGroupPage = pageResult("ProductGroupPage", ProductGroup, "A page of product groups.");

builder.queryField("productGroup", (t) =>
  t.field({
    type: ProductGroupPage,
    description: "Product groups (departments), by name. Needs products.view.",
    args: {
      id: t.arg.id({ required: false, description: "Only the group of this id." }),
      ...pageArgs,
    },
    resolve: async (_root, args, ctx) => {
      authorize(ctx, "products.view");
      const page = await departmentPage(ctx.caller, { id: args.id ? String(args.id) : null, ...pageOf(args) });
      return { items: page.items, hasMoreResults: page.hasMore, until: null };
    },
  }),
);
