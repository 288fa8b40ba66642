import { api, createStore, createTenant, enrolTill, insertTaxGroup, staffWithPin, tillPinLogin, type TestTenant } from "./helpers";

/**
 * A shop ready to sell: a tenant (SEK, prices include VAT, cash rounded to whole kronor unless told otherwise),
 * VAT groups 25 % and 12 %, a few products, an enrolled till, a cashier signed in at it by PIN and an open
 * register session.
 */
export interface Shop {
  t: TestTenant;
  till: { credential: string; deviceId: string; registerId: string };
  cashier: { id: string; token: string; pin: string; username: string; password: string };
  sessionId: string;
  products: Record<"coffee" | "bun" | "juice" | "untracked", { id: string; price: number; rateMillionths: number }>;
  tenders: Record<string, string>;
}

/** Open the register through its store's hub, from the back office as the tenant's administrator. */
export async function openSession(t: TestTenant, registerId: string, _userId?: string, openingFloat = 50000) {
  const res = await api("POST", "/api/v1/registers/open", { token: t.adminToken, body: { registerId, openingFloat } });
  if (res.status !== 201) throw new Error(`open register: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.data.id as string;
}

/** Close a session through the hub, counting nothing (the difference is not what these tests are about). */
export async function closeSession(t: TestTenant, sessionId: string) {
  const res = await api("PUT", `/api/v1/registers/${sessionId}/close`, { token: t.adminToken, body: { counted: {} } });
  if (res.status !== 200) throw new Error(`close register: ${res.status} ${JSON.stringify(res.json)}`);
}

export async function shop(options: { pricesIncludeTax?: boolean; cashRoundingUnit?: number; permissions?: string[] } = {}): Promise<Shop> {
  const t = await createTenant({ pricesIncludeTax: options.pricesIncludeTax ?? true });
  if (options.cashRoundingUnit !== undefined) {
    await api("PUT", `/api/v1/stores/${t.storeId}`, { token: t.adminToken, body: { cashRoundingUnit: options.cashRoundingUnit } });
  }
  const vat25 = await insertTaxGroup(t.tenantId, "Moms 25", [{ name: "Moms 25 %", millionths: 250_000 }]);
  const vat12 = await insertTaxGroup(t.tenantId, "Moms 12", [{ name: "Moms 12 %", millionths: 120_000 }]);
  const product = async (name: string, sellPrice: number, taxGroupId: string, trackStock = true) => {
    const res = await api("POST", "/api/v1/products", { token: t.adminToken, body: { sku: `P-${crypto.randomUUID().slice(0, 8)}`, name, sellPrice, taxGroupId, trackStock, costPrice: Math.floor(sellPrice / 2) } });
    if (res.status !== 201) throw new Error(`product: ${JSON.stringify(res.json)}`);
    return res.json.data.id as string;
  };
  const products = {
    coffee: { id: await product("Kaffe bryggt", 3490, vat25), price: 3490, rateMillionths: 250_000 },
    bun: { id: await product("Kanelbulle", 2500, vat12), price: 2500, rateMillionths: 120_000 },
    juice: { id: await product("Äppeljuice", 2990, vat12), price: 2990, rateMillionths: 120_000 },
    untracked: { id: await product("Presentkort", 10000, vat25, false), price: 10000, rateMillionths: 250_000 },
  };
  const till = await enrolTill(t);
  const cashier = await staffWithPin(t, options.permissions ?? ["pos.sell", "products.view", "inventory.view"]);
  const signedIn = await tillPinLogin(till.credential, cashier.pin);
  if (signedIn.status !== 200) throw new Error(`till login: ${JSON.stringify(signedIn.json)}`);
  const sessionId = await openSession(t, till.registerId, cashier.id);
  const tenderList = await api("GET", "/api/v1/tenders?pageSize=200", { token: t.adminToken });
  const tenders = Object.fromEntries(tenderList.json.data.map((x: { code: string; id: string }) => [x.code, x.id]));
  return { t, till, cashier: { ...cashier, token: signedIn.json.data.accessToken }, sessionId, products, tenders };
}

/** VAT backed out of a VAT-inclusive gross, rounded half up: the classic receipt figure, computed here on its own. */
export const inclusiveVat = (gross: number, rateMillionths: number) => {
  const num = BigInt(gross) * BigInt(rateMillionths);
  const den = 1_000_000n + BigInt(rateMillionths);
  const q = num / den;
  return Number(2n * (num % den) >= den ? q + 1n : q);
};

/** Whole kronor, half up. */
export const toKronor = (amount: number) => Math.round(amount / 100) * 100;

export const sell = (shop: Shop, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  api("POST", "/api/v1/sales", { token: shop.cashier.token, body, headers });

export const quote = (shop: Shop, body: Record<string, unknown>) => api("POST", "/api/v1/sales/quote", { token: shop.cashier.token, body });

/** A sale body from a quote of the basket: what a till would post. */
export async function saleFromQuote(shop: Shop, items: { productId: string; quantity: number; unitPrice?: number; discountAmount?: number }[], payments: { method: string; amount: number | "due" | "cash-due" }[] = [{ method: "CASH", amount: "cash-due" }]) {
  const probe = await quote(shop, { items, payments: payments.map((p) => ({ method: p.method, amount: typeof p.amount === "number" ? p.amount : 0 })) });
  if (probe.status !== 200) throw new Error(`quote: ${JSON.stringify(probe.json)}`);
  const q = probe.json.data;
  const resolved = payments.map((p) => ({ method: p.method, amount: p.amount === "due" ? q.grandTotal : p.amount === "cash-due" ? q.cashTotalDue : p.amount }));
  const priced = (await quote(shop, { items, payments: resolved })).json.data;
  const { cashTotalDue: _c, totalDue: _d, currency: _cur, pricesIncludeTax: _p, ...body } = priced;
  return {
    ...body,
    id: crypto.randomUUID(),
    receiptNumber: `R-${crypto.randomUUID().slice(0, 8)}`,
    items: body.items.map(({ cataloguePrice: _cp, ...i }: Record<string, unknown>) => i),
    payments: resolved,
  } as Record<string, any>;
}

export { createStore };

/** One completed sale in the tenant, made by its administrator at a new till: the sale's id. */
export async function oneSale(t: TestTenant): Promise<string> {
  const till = await enrolTill(t);
  const token = (await tillPinLogin(till.credential, t.adminPin)).json.data.accessToken as string;
  await openSession(t, till.registerId, t.adminId);
  const product = (await api("POST", "/api/v1/products", { token: t.adminToken, body: { sku: `S-${crypto.randomUUID().slice(0, 8)}`, name: "Item", sellPrice: 1000 } })).json.data;
  const priced = (await api("POST", "/api/v1/sales/quote", { token, body: { items: [{ productId: product.id, quantity: 1000 }], payments: [{ method: "CARD", amount: 1000 }] } })).json.data;
  const { cashTotalDue: _c, totalDue: _d, currency: _cur, pricesIncludeTax: _p, ...body } = priced;
  const sale = await api("POST", "/api/v1/sales", { token, body: { ...body, receiptNumber: `R-${crypto.randomUUID().slice(0, 8)}`, items: body.items.map(({ cataloguePrice: _cp, ...i }: Record<string, unknown>) => i) } });
  if (sale.status !== 201) throw new Error(`sale: ${JSON.stringify(sale.json)}`);
  return sale.json.data.id as string;
}
