import { env } from "cloudflare:test";
import { cashRounding, computeDocument } from "../../schema/money";
import { api, createTenant, enrolTill, insertTaxGroup, userWith, type TestTenant } from "./helpers";

/**
 * A store whose till works offline, for the push tests: products with their tax rates (as the till has them from
 * its last pull), an enrolled till and a cashier. Sales are made the way a till makes them offline, with the
 * shared money engine (schema/money), never by asking the edge.
 */

export interface PushProduct {
  id: string;
  price: number;
  /** Its one tax rate (null: untaxed). */
  rate: { id: string; millionths: number } | null;
  trackStock: boolean;
}

export interface PushShop {
  t: TestTenant;
  till: { credential: string; deviceId: string; registerId: string };
  cashier: { id: string; token: string };
  products: Record<"coffee" | "bun" | "juice" | "card", PushProduct>;
}

export const CASHIER_PERMISSIONS = ["pos.sell", "pos.void", "registers.open", "registers.close", "registers.view", "inventory.adjust", "reports.x_report", "reports.z_report"];

async function rateOfGroup(groupId: string) {
  const row = await env.DB.prepare("SELECT r.id, r.rate_millionths AS m FROM tax_group_rates g JOIN tax_rates r ON r.id = g.tax_rate_id WHERE g.tax_group_id = ?").bind(groupId).first<{ id: string; m: number }>();
  return { id: row!.id, millionths: row!.m };
}

export async function pushShop(): Promise<PushShop> {
  const t = await createTenant();
  const vat25 = await insertTaxGroup(t.tenantId, "Moms 25", [{ name: "Moms 25 %", millionths: 250_000 }]);
  const vat12 = await insertTaxGroup(t.tenantId, "Moms 12", [{ name: "Moms 12 %", millionths: 120_000 }]);
  const product = async (name: string, price: number, groupId: string, trackStock = true): Promise<PushProduct> => {
    const res = await api("POST", "/api/v1/products", { token: t.adminToken, body: { sku: `P-${crypto.randomUUID().slice(0, 8)}`, name, sellPrice: price, taxGroupId: groupId, trackStock } });
    if (res.status !== 201) throw new Error(`product: ${JSON.stringify(res.json)}`);
    return { id: res.json.data.id, price, rate: await rateOfGroup(groupId), trackStock };
  };
  const products = {
    coffee: await product("Kaffe bryggt", 3490, vat25),
    bun: await product("Kanelbulle", 2500, vat12),
    juice: await product("Äppeljuice", 2990, vat12),
    card: await product("Presentkort", 10000, vat25, false),
  };
  const till = await enrolTill(t);
  const cashier = await userWith(t, CASHIER_PERMISSIONS);
  return { t, till, cashier: { id: cashier.id, token: cashier.token }, products };
}

export const push = (credential: string, items: unknown[]) =>
  api("POST", "/api/v1/sync/push", { body: { items }, headers: { "X-Device-Credential": credential } });

export interface TillLine {
  product: PushProduct;
  /** Thousandths; negative on a return line. */
  quantity: number;
  unitPrice?: number;
  discount?: number;
  originalLineId?: string;
}

export interface TillSaleOptions {
  sessionId: string;
  cashierId: string;
  soldAt: number;
  receiptNumber: string;
  lines: TillLine[];
  /** CASH: the customer hands over `tendered` (or exactly what is due); CARD: the total. */
  method?: "CASH" | "CARD";
  tendered?: number;
  originalSaleId?: string;
  /** Send each line's tax rates as the till charged them (default: yes). */
  withRates?: boolean;
}

/** A sale (or a return) as an offline till makes it: figures from the money engine, ids of its own. */
export function tillSale(o: TillSaleOptions) {
  const doc = computeDocument({
    pricesIncludeTax: true,
    rounding: "line",
    lines: o.lines.map((l) => ({
      unitPrice: l.unitPrice ?? l.product.price, quantity: l.quantity, discount: l.discount ?? 0,
      taxes: l.product.rate ? [{ id: l.product.rate.id, name: "Moms", rate: { millionths: l.product.rate.millionths }, isCompound: false, sortOrder: 0 }] : [],
    })),
  });
  const grandTotal = doc.totals.gross;
  const method = o.method ?? "CASH";
  const rounding = method === "CASH" ? cashRounding(grandTotal, 100).adjustment : 0;
  const totalDue = grandTotal + rounding;
  const isReturn = o.lines.some((l) => l.quantity < 0);
  const amount = method === "CASH" && !isReturn ? (o.tendered ?? totalDue) : totalDue;
  const items = o.lines.map((l, i) => {
    const line = doc.lines[i]!;
    return {
      id: crypto.randomUUID(), productId: l.product.id, quantity: l.quantity, unitPrice: l.unitPrice ?? l.product.price, discountAmount: Math.abs(line.discount),
      taxAmount: line.tax, lineTotal: line.gross, ...(l.originalLineId ? { originalLineId: l.originalLineId } : {}),
      ...(o.withRates === false ? {} : { taxes: line.taxes.map((t) => ({ taxRateId: t.id, rateMillionths: t.rateMillionths, taxAmount: t.amount, sortOrder: 0 })) }),
    };
  });
  return {
    type: "sale" as const,
    id: crypto.randomUUID(),
    sessionId: o.sessionId,
    cashierId: o.cashierId,
    soldAt: new Date(o.soldAt).toISOString(),
    receiptNumber: o.receiptNumber,
    ...(o.originalSaleId ? { originalSaleId: o.originalSaleId } : {}),
    subtotal: doc.lines.reduce((s, l) => s + (l.extended - l.discount), 0),
    discountTotal: doc.totals.discount,
    taxTotal: doc.totals.tax,
    grandTotal,
    cashRounding: rounding,
    items,
    payments: [{ id: crypto.randomUUID(), method, amount }],
    /** Not sent: what the test knows of it. */
    expected: { totalDue, tax: doc.totals.tax, change: amount - totalDue, lines: doc.lines },
  };
}

/** The item as the till sends it (without what only the test keeps). */
export const wire = <T extends { expected?: unknown }>(sale: T) => {
  const { expected: _e, ...item } = sale;
  return item;
};

export const openRecord = (o: { id?: string; userId: string; at: number; openingFloat?: number; registerId?: string }) => ({
  type: "session_open" as const, id: o.id ?? crypto.randomUUID(), userId: o.userId, at: new Date(o.at).toISOString(), openingFloat: o.openingFloat ?? 50000,
  ...(o.registerId ? { registerId: o.registerId } : {}),
});

export const closeRecord = (o: { sessionId: string; userId: string; at: number; counted: Record<string, number> }) => ({
  type: "session_close" as const, id: crypto.randomUUID(), sessionId: o.sessionId, userId: o.userId, at: new Date(o.at).toISOString(), counted: o.counted,
});

export const cashRecord = (o: { sessionId: string; userId: string; at: number; kind: "paid_in" | "paid_out" | "drop" | "no_sale"; amount: number; reason?: string }) => ({
  type: "cash_event" as const, id: crypto.randomUUID(), sessionId: o.sessionId, userId: o.userId, at: new Date(o.at).toISOString(), kind: o.kind, amount: o.amount,
  ...(o.reason ? { reason: o.reason } : o.kind === "drop" ? {} : { reason: "Till" }),
});

export const voidRecord = (o: { saleId: string; userId: string; at: number; reason?: string }) => ({
  type: "void" as const, id: crypto.randomUUID(), saleId: o.saleId, userId: o.userId, at: new Date(o.at).toISOString(), reason: o.reason ?? "Wrong item",
});

export async function levelOf(storeId: string, productId: string) {
  const row = await env.DB.prepare("SELECT quantity FROM inventory_levels WHERE store_id = ? AND product_id = ?").bind(storeId, productId).first<{ quantity: number }>();
  return row?.quantity ?? 0;
}
