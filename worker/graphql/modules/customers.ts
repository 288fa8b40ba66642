import { customerList, type CustomerRow } from "../../domain/tenant-reads";
import { authorize } from "../authorize";
import { builder } from "../builder";
import { listOf, pageResult, syncArgs } from "../paging";

export const Customer = builder.objectRef<CustomerRow>("Customer").implement({
  description: "A customer (REST: /api/v1/customers).",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The customer's id (a UUID)." }),
    customerNumber: t.exposeString("customerNumber", { nullable: true, description: "The customer's number, unique in the tenant, if given." }),
    firstName: t.exposeString("firstName", { nullable: true, description: "First name." }),
    lastName: t.exposeString("lastName", { nullable: true, description: "Last name." }),
    companyName: t.exposeString("companyName", { nullable: true, description: "Company name, for a business customer." }),
    email: t.exposeString("email", { nullable: true, description: "Email address." }),
    phone: t.exposeString("phone", { nullable: true, description: "Phone number." }),
    address: t.exposeString("address", { nullable: true, description: "Postal address." }),
    notes: t.exposeString("notes", { nullable: true, description: "Free-text notes." }),
    isActive: t.exposeBoolean("isActive", { description: "Whether the customer is active." }),
    deleted: t.boolean({ description: "Whether the customer was deleted (only since-paging answers deleted customers).", resolve: (c) => c.deletedAt !== null }),
    version: t.exposeInt("version", { description: "The row's version, raised by every change." }),
    updatedAt: t.field({ type: "DateTime", description: "When the customer last changed.", resolve: (c) => c.updatedAt }),
  }),
});

const CustomerPage = pageResult("CustomerPage", Customer, "A page of customers.");

builder.queryField("customer", (t) =>
  t.field({
    type: CustomerPage,
    description: "Customers, by last name (or company) and first name. Sync-style: `since` and `until`. Needs customers.view.",
    args: {
      id: t.arg.id({ required: false, description: "Only the customer of this id." }),
      customerNumber: t.arg.string({ required: false, description: "Only the customer of this number." }),
      email: t.arg.string({ required: false, description: "Only customers with exactly this email address." }),
      ...syncArgs,
    },
    resolve: async (_root, args, ctx) => {
      authorize(ctx, "customers.view");
      const page = await customerList(ctx.caller, ctx, { ...listOf(args), id: args.id ? String(args.id) : null, customerNumber: args.customerNumber, email: args.email });
      return { items: page.rows, hasMoreResults: page.hasMore, until: page.until };
    },
  }),
);
