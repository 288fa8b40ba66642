import type { z } from "zod";
import type { Quote, QuoteBody } from "../../schema/contracts/sales";
import { isNull } from "drizzle-orm";
import { tenders } from "../../schema/db";
import { toBasisPoints } from "../../schema/money";
import type { Statement } from "../db/batch";
import { notFound, businessRule, type FieldError } from "./errors";
import type { ServiceContext } from "./context";
import { catalogueReads, cashRoundingOf, priceSale, saleTotals } from "./sale-pricing";

/**
 * Price a basket from the catalogue (effective prices, specials, tax groups, rounding, cash rounding) and answer
 * the body a till would post: thin clients and web orders sell through it. One round trip; writes nothing.
 */
export async function quoteSale(ctx: ServiceContext, body: z.output<typeof QuoteBody>): Promise<z.output<typeof Quote>> {
  const { scope, actor } = ctx;
  const at = body.at ? Date.parse(body.at) : ctx.request.now;
  const catalogue = catalogueReads(scope, actor.storeId, body.items.map((i) => i.productId), at);
  const results = await scope.db.batch([...catalogue.statements, scope.select(tenders, isNull(tenders.deletedAt))] as unknown as [Statement, ...Statement[]]);
  const cat = catalogue.read(results.slice(0, catalogue.statements.length));
  const tenderRows = results.at(-1) as (typeof tenders.$inferSelect)[];
  if (!cat.store) throw notFound("Store");
  const fields: FieldError[] = [];
  body.items.forEach((item, i) => cat.items.has(item.productId) || fields.push({ path: `items.${i}.productId`, message: "is not a product of this tenant" }));
  const tenderByCode = new Map(tenderRows.filter((t) => t.isActive).map((t) => [t.code, t]));
  body.payments.forEach((p, i) => tenderByCode.has(p.method) || fields.push({ path: `payments.${i}.method`, message: "is not an active tender of this tenant" }));
  if (fields.length) throw businessRule("UNKNOWN_REFERENCE", "The basket names products or tenders that are not this tenant's live ones", fields);

  const lines = body.items.map((i) => ({ productId: i.productId, quantity: i.quantity, unitPrice: i.unitPrice ?? cat.items.get(i.productId)!.price, discount: i.discountAmount }));
  const priced = priceSale(cat, cat.store, lines);
  const totals = saleTotals(priced);
  const isCash = (method: string) => tenderByCode.get(method)?.isCash ?? false;
  const nonCash = body.payments.filter((p) => !isCash(p.method)).reduce((s, p) => s + p.amount, 0);
  const cashRounding = cashRoundingOf(totals.grandTotal, nonCash, body.payments.some((p) => isCash(p.method)), cat.store.cashRoundingUnit);
  return {
    items: lines.map((l, i) => {
      const line = priced.lines[i]!;
      const item = cat.items.get(l.productId)!;
      return {
        productId: l.productId,
        productName: item.product.name,
        quantity: l.quantity,
        unitPrice: l.unitPrice,
        cataloguePrice: item.price,
        taxRate: line.taxes[0] ? toBasisPoints(line.taxes[0].rateMillionths) : null,
        taxAmount: line.tax,
        discountAmount: Math.abs(line.discount),
        lineTotal: line.gross,
        taxes: line.taxes.map((t) => ({ taxRateName: t.name, rate: toBasisPoints(t.rateMillionths), rateMillionths: t.rateMillionths, taxAmount: t.amount, isCompound: t.isCompound, sortOrder: t.sortOrder })),
      };
    }),
    payments: body.payments,
    ...totals,
    cashRounding,
    totalDue: totals.grandTotal + cashRounding,
    cashTotalDue: totals.grandTotal + cashRoundingOf(totals.grandTotal, 0, true, cat.store.cashRoundingUnit),
    currency: cat.store.currency,
    pricesIncludeTax: cat.store.pricesIncludeTax,
  };
}
