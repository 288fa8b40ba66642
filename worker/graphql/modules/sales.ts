import type { Sale } from "../../../schema/contracts/sales";
import { saleHistory } from "../../domain/sale-reads";
import { authorize } from "../authorize";
import { builder } from "../builder";
import { pageArgs, pageOf, pageResult } from "../paging";
import { Customer } from "./customers";
import { Location, storeLoader } from "./stores";
import { productLoader } from "./stock";
import { Product } from "./catalogue";
import { defineLoader } from "../loaders";
import { customersByIds } from "../../domain/tenant-reads";

const MONEY = "Integer minor units of the sale's currency.";

type SaleLine = Sale["lines"][number];
type LineTax = SaleLine["taxes"][number];
type Payment = Sale["payments"][number];
type TaxTotal = Sale["taxes"][number];

const customerLoader = defineLoader((ctx, ids: readonly string[]) => customersByIds(ctx.caller, ctx.reads, ids));

const SaleLineTax = builder.objectRef<LineTax>("SaleLineTax").implement({
  description: "A tax charged on a sale line, as the till charged it.",
  fields: (t) => ({
    taxRateId: t.exposeID("taxRateId", { description: "The tax rate." }),
    name: t.exposeString("name", { description: "The rate's name at the sale." }),
    rate: t.exposeInt("rate", { nullable: true, description: "The rate in basis points; null when finer (see rateMillionths)." }),
    rateMillionths: t.exposeInt("rateMillionths", { description: "The rate in millionths of the price." }),
    isCompound: t.exposeBoolean("isCompound", { description: "Computed on the price plus the taxes before it." }),
    amount: t.exposeInt("amount", { description: `The tax on the line. ${MONEY}` }),
  }),
});

const SaleLine = builder.objectRef<SaleLine>("SaleLine").implement({
  description: "A line of a sale (negative quantities on a return).",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The line's id." }),
    lineNo: t.exposeInt("lineNo", { description: "The line's position on the receipt (from 1)." }),
    productId: t.exposeID("productId", { description: "The product sold." }),
    product: t.field({ type: Product, nullable: true, description: "The product sold, as it is now (needs products.view).", resolve: (l, _a, ctx) => (authorize(ctx, "products.view"), productLoader(ctx).load(l.productId)) }),
    productName: t.exposeString("productName", { description: "The product's name at the sale." }),
    sku: t.exposeString("sku", { description: "The product's SKU at the sale." }),
    groupId: t.exposeID("departmentId", { nullable: true, description: "The product group (department) at the sale." }),
    quantity: t.exposeInt("quantity", { description: "Thousandths of a unit (2000 = 2), negative on a return." }),
    unitPrice: t.exposeInt("unitPrice", { description: `The unit price charged. ${MONEY}` }),
    cataloguePrice: t.exposeInt("cataloguePrice", { description: `The catalogue's effective price when the sale reached the server. ${MONEY}` }),
    priceOverride: t.exposeBoolean("priceOverride", { description: "The till charged another price than the catalogue's." }),
    discount: t.exposeInt("discount", { description: `The line's discount. ${MONEY}` }),
    net: t.exposeInt("net", { description: `The line without tax. ${MONEY}` }),
    tax: t.exposeInt("tax", { description: `The line's tax. ${MONEY}` }),
    gross: t.exposeInt("gross", { description: `The line with tax. ${MONEY}` }),
    originalLineId: t.exposeID("originalLineId", { nullable: true, description: "On a return line: the line of the original sale it returns." }),
    taxes: t.field({ type: [SaleLineTax], description: "The taxes charged on the line, in the order applied.", resolve: (l) => l.taxes }),
  }),
});

const SalePayment = builder.objectRef<Payment>("SalePayment").implement({
  description: "A payment of a sale (negative on a refund).",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The payment's id." }),
    tenderId: t.exposeID("tenderId", { description: "The tender." }),
    method: t.exposeString("method", { description: "The tender's code (CASH, CARD, …)." }),
    isCash: t.exposeBoolean("isCash", { description: "Whether it was cash (cash rounding applies)." }),
    amount: t.exposeInt("amount", { description: `The amount tendered. ${MONEY}` }),
    reference: t.exposeString("reference", { nullable: true, description: "The payment's reference (a card terminal's), if any." }),
  }),
});

const SaleTaxTotal = builder.objectRef<TaxTotal>("SaleTaxTotal").implement({
  description: "A sale's total for one tax rate.",
  fields: (t) => ({
    taxRateId: t.exposeID("taxRateId", { description: "The tax rate." }),
    name: t.exposeString("name", { description: "The rate's name at the sale." }),
    rate: t.exposeInt("rate", { nullable: true, description: "The rate in basis points; null when finer (see rateMillionths)." }),
    rateMillionths: t.exposeInt("rateMillionths", { description: "The rate in millionths of the price." }),
    taxable: t.exposeInt("taxable", { description: `The net amount the rate applied to. ${MONEY}` }),
    amount: t.exposeInt("amount", { description: `The tax at this rate. ${MONEY}` }),
  }),
});

const SaleRecord = builder.objectRef<Sale>("Sale").implement({
  description: "A sale or a return, with its lines, taxes and payments.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The sale's id (the till made it)." }),
    receiptNumber: t.exposeString("receiptNumber", { description: "The receipt number, unique in its store." }),
    kind: t.exposeString("kind", { description: "`sale` or `return`." }),
    status: t.exposeString("status", { description: "`completed` or `voided`." }),
    locationId: t.exposeID("storeId", { description: "The store it was made in." }),
    location: t.field({ type: Location, nullable: true, description: "The store it was made in.", resolve: (s, _a, ctx) => storeLoader(ctx).load(s.storeId) }),
    registerId: t.exposeID("registerId", { description: "The register (till)." }),
    cashierId: t.exposeID("cashierId", { description: "The cashier (a user)." }),
    salesRepId: t.exposeID("salesRepId", { nullable: true, description: "The sales representative, if any." }),
    customerId: t.exposeID("customerId", { nullable: true, description: "The customer, if any." }),
    customer: t.field({
      type: Customer, nullable: true, description: "The customer, if any (needs customers.view).",
      resolve: (s, _a, ctx) => (s.customerId ? (authorize(ctx, "customers.view"), customerLoader(ctx).load(s.customerId)) : null),
    }),
    originalSaleId: t.exposeID("originalSaleId", { nullable: true, description: "On a return: the sale it returns." }),
    currency: t.exposeString("currency", { description: "The ISO 4217 currency of every amount of the sale." }),
    pricesIncludeTax: t.exposeBoolean("pricesIncludeTax", { description: "Whether its prices include tax." }),
    subtotal: t.exposeInt("subtotal", { description: `The lines' total before discounts. ${MONEY}` }),
    discountTotal: t.exposeInt("discountTotal", { description: `The discounts. ${MONEY}` }),
    taxTotal: t.exposeInt("taxTotal", { description: `The tax. ${MONEY}` }),
    grandTotal: t.exposeInt("grandTotal", { description: `The total with tax. ${MONEY}` }),
    cashRounding: t.exposeInt("cashRounding", { description: `Added to the grand total when cash settles it; 0 otherwise. ${MONEY}` }),
    totalDue: t.exposeInt("totalDue", { description: `grandTotal + cashRounding. ${MONEY}` }),
    paidTotal: t.exposeInt("paidTotal", { description: `What was tendered. ${MONEY}` }),
    changeGiven: t.exposeInt("changeGiven", { description: `Change given back (cash only). ${MONEY}` }),
    soldAt: t.field({ type: "DateTime", description: "When the till made the sale (UTC).", resolve: (s) => s.soldAt }),
    voidedAt: t.field({ type: "DateTime", nullable: true, description: "When it was voided, if it was.", resolve: (s) => s.voidedAt }),
    lines: t.field({ type: [SaleLine], description: "Its lines, in receipt order.", resolve: (s) => s.lines }),
    taxes: t.field({ type: [SaleTaxTotal], description: "Its totals per tax rate.", resolve: (s) => s.taxes }),
    payments: t.field({ type: [SalePayment], description: "Its payments, in the order made.", resolve: (s) => s.payments }),
    version: t.exposeInt("version", { description: "The row's version (a void raises it)." }),
  }),
});

const SalePage = pageResult("SalePage", SaleRecord, "A page of sale history.");

builder.queryField("sale", (t) =>
  t.field({
    type: SalePage,
    description:
      "Sale history: sales and returns (voided ones too) with lines, taxes and payments, oldest first, in every store of the tenant. " +
      "Page with `skip` and `first`; `hasMoreResults` says whether more follow. Needs pos.sell (as REST's sale list).",
    args: {
      id: t.arg.id({ required: false, description: "Only the sale of this id." }),
      customerId: t.arg.id({ required: false, description: "Only the sales of this customer." }),
      locationId: t.arg.id({ required: false, description: "Only the sales of this store." }),
      fromDate: t.arg({ type: "DateTime", required: false, description: "Sold at or after this instant (inclusive, UTC)." }),
      toDate: t.arg({ type: "DateTime", required: false, description: "Sold before this instant (exclusive, UTC)." }),
      ...pageArgs,
    },
    resolve: async (_root, args, ctx) => {
      authorize(ctx, "pos.sell");
      const page = await saleHistory(ctx.caller, {
        ...pageOf(args),
        id: args.id ? String(args.id) : null,
        customerId: args.customerId ? String(args.customerId) : null,
        storeId: args.locationId ? String(args.locationId) : null,
        from: args.fromDate ? args.fromDate.getTime() : null,
        to: args.toDate ? args.toDate.getTime() : null,
      });
      return { items: page.sales, hasMoreResults: page.hasMore, until: null };
    },
  }),
);
