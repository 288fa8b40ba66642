import { beforeAll, describe, expect, it } from "vitest";
import { api, createTenant, type TestTenant } from "./helpers";

/**
 * The effective price (worker/domain/pricing.ts): store price over base price; the best special on in the store
 * at that instant if it is lower; a fixed special competes with the store's price, a percentage comes off it.
 */

let t: TestTenant;
let sto: string; // S001, Europe/Stockholm, prices include tax (created with the tenant)
let s2: string; // S002, Europe/Stockholm, prices include tax
let nyc: string; // America/New_York, tax added on top
let bakery: string;
let vat12: string;
let vat25: string;
let salesTax: string;
beforeAll(async () => {
  t = await createTenant();
  sto = t.storeId;
  s2 = (await call("POST", "/stores", { code: "S002", name: "Second", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true })).json.data.id;
  nyc = (await call("POST", "/stores", { code: "NYC", name: "New York", currency: "USD", timeZone: "America/New_York", pricesIncludeTax: false })).json.data.id;
  bakery = (await call("POST", "/departments", { name: "Bageri" })).json.data.id;
  const rate = async (name: string, rate: number) => (await call("POST", "/taxes", { name, rate })).json.data.id as string;
  const group = async (name: string, taxRateIds: string[]) => (await call("POST", "/taxes/groups", { name, taxRateIds })).json.data.id as string;
  vat12 = await group("Moms 12 %", [await rate("Moms 12", 1200)]);
  vat25 = await group("Moms 25 %", [await rate("Moms 25", 2500)]);
  salesTax = await group("Sales tax", [await rate("State Tax", 825)]);
});
function call(method: string, path: string, body?: unknown) {
  return api(method, `/api/v1${path}`, { token: t.adminToken, body });
}
let n = 0;
const product = async (fields: Record<string, unknown>) => {
  const res = await call("POST", "/products", { sku: `PR-${++n}`, name: `Product ${n}`, ...fields });
  if (res.status !== 201) throw new Error(JSON.stringify(res.json));
  return res.json.data.id as string;
};
const storePrice = (storeId: string, productId: string, price: number) => call("POST", "/store-prices", { storeId, productId, price });
const special = async (fields: Record<string, unknown>) => {
  const res = await call("POST", "/specials", { name: "Special", startsAt: "2026-06-01T00:00", endsAt: "2026-07-01T00:00", ...fields });
  if (res.status !== 201) throw new Error(JSON.stringify(res.json));
  return res.json.data.id as string;
};
const JUNE = "2026-06-15T10:00:00Z";
const priceOf = async (productId: string, storeId: string, at = JUNE) => {
  const res = await call("GET", `/products/${productId}/price?storeId=${storeId}&at=${encodeURIComponent(at)}`);
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json.data;
};

describe("effective price", () => {
  it("is the base price, then the store's own price, in one round trip", async () => {
    const p = await product({ sellPrice: 10_000, taxGroupId: vat25 });
    await storePrice(s2, p, 9_000);
    const base = await call("GET", `/products/${p}/price?storeId=${sto}`);
    expect(base.headers.get("Server-Timing")).toMatch(/^d1;count=1;/);
    expect(base.json.data).toMatchObject({ productId: p, storeId: sto, basePrice: 10_000, storePrice: null, special: null, price: 10_000, source: "base", currency: "SEK" });
    expect(await priceOf(p, s2)).toMatchObject({ basePrice: 10_000, storePrice: 9_000, price: 9_000, source: "store", special: null });
    // Without storeId: the store you are signed into.
    expect((await call("GET", `/products/${p}/price`)).json.data).toMatchObject({ storeId: sto, price: 10_000 });
  });

  it("takes a lower fixed special over the store's price, but a fixed special never raises it", async () => {
    const p = await product({ sellPrice: 10_000 });
    await storePrice(s2, p, 9_000);
    const fixed = await special({ kind: "price", value: 9_500, productIds: [p] });
    // S001 has no store price: 95.00 beats 100.00.
    expect(await priceOf(p, sto)).toMatchObject({ price: 9_500, source: "special", special: { id: fixed, kind: "price", value: 9_500 } });
    // S002 sells at 90.00: the special's 95.00 loses.
    expect(await priceOf(p, s2)).toMatchObject({ price: 9_000, source: "store", storePrice: 9_000, special: null });
    const lower = await special({ kind: "price", value: 8_500, productIds: [p], storeIds: [s2] });
    expect(await priceOf(p, s2)).toMatchObject({ price: 8_500, source: "special", special: { id: lower } });
    // ...and that S002-only special does nothing in S001.
    expect(await priceOf(p, sto)).toMatchObject({ price: 9_500, special: { id: fixed } });
  });

  it("takes a percentage off the store's price, and the lowest special wins", async () => {
    const p = await product({ sellPrice: 10_000, departmentId: bakery });
    await storePrice(s2, p, 9_000);
    const tenOff = await special({ kind: "percent", value: 1_000, departmentId: bakery });
    expect(await priceOf(p, sto)).toMatchObject({ price: 9_000, source: "special", special: { id: tenOff, kind: "percent", value: 1_000 } });
    expect(await priceOf(p, s2)).toMatchObject({ price: 8_100, storePrice: 9_000, source: "special", special: { id: tenOff } });
    // A fixed 85.00: in S001 it beats 90.00 (10 % off 100.00); in S002 10 % off 90.00 = 81.00 still wins.
    const fixed = await special({ kind: "price", value: 8_500, productIds: [p] });
    expect(await priceOf(p, sto)).toMatchObject({ price: 8_500, special: { id: fixed } });
    expect(await priceOf(p, s2)).toMatchObject({ price: 8_100, special: { id: tenOff } });
  });

  it("rounds a percentage half away from zero to the minor unit", async () => {
    const p = await product({ sellPrice: 1_999 });
    await special({ kind: "percent", value: 5_000, productIds: [p] });
    expect((await priceOf(p, sto)).price).toBe(1_000); // 999.5 → 1000
    const q = await product({ sellPrice: 999 });
    await special({ kind: "percent", value: 1_500, productIds: [q] });
    expect((await priceOf(q, sto)).price).toBe(849); // 849.15 → 849
    const free = await product({ sellPrice: 4_900 });
    await special({ kind: "percent", value: 10_000, productIds: [free] });
    expect(await priceOf(free, sto)).toMatchObject({ price: 0, source: "special" });
  });

  it("applies only specials on at that instant in that store's time zone, and switched on", async () => {
    const p = await product({ sellPrice: 2_000 });
    await special({ kind: "price", value: 1_500, productIds: [p], startsAt: "2026-06-01T09:00", endsAt: "2026-06-01T17:00" });
    await special({ kind: "price", value: 1_000, productIds: [p], isActive: false });
    // 08:00Z is 10:00 in Stockholm and 04:00 in New York.
    expect(await priceOf(p, sto, "2026-06-01T08:00:00Z")).toMatchObject({ price: 1_500, source: "special", localTime: "2026-06-01T10:00", at: "2026-06-01T08:00:00.000Z" });
    expect(await priceOf(p, nyc, "2026-06-01T08:00:00Z")).toMatchObject({ price: 2_000, source: "base", localTime: "2026-06-01T04:00" });
    expect(await priceOf(p, nyc, "2026-06-01T13:00:00Z")).toMatchObject({ price: 1_500, source: "special" });
    expect(await priceOf(p, sto, "2026-06-01T15:00:00Z")).toMatchObject({ price: 2_000, source: "base" });
  });

  it("breaks a product's tax out of an inclusive price and adds it to an exclusive one", async () => {
    const coffee = await product({ sellPrice: 12_500, taxGroupId: vat25 });
    const inclusive = await priceOf(coffee, sto);
    expect(inclusive.pricesIncludeTax).toBe(true);
    expect(inclusive.taxes).toMatchObject([{ rate: 2_500, rateMillionths: 250_000, isCompound: false }]);
    expect(inclusive.unit).toMatchObject({ gross: 12_500, net: 10_000, tax: 2_500, taxes: [{ rate: 2_500, amount: 2_500 }] });

    const spec = await product({ sellPrice: 1_998, taxGroupId: salesTax });
    const exclusive = await priceOf(spec, nyc);
    expect(exclusive).toMatchObject({ pricesIncludeTax: false, currency: "USD", price: 1_998 });
    expect(exclusive.unit).toMatchObject({ net: 1_998, tax: 165, gross: 2_163, taxes: [{ name: "State Tax", rate: 825, amount: 165 }] });

    // The tax is on the effective price: 12 % contained in a 56.00 special.
    const bun = await product({ sellPrice: 6_000, taxGroupId: vat12 });
    await special({ kind: "price", value: 5_600, productIds: [bun] });
    expect((await priceOf(bun, sto)).unit).toMatchObject({ gross: 5_600, tax: 600, net: 5_000 });
    const untaxed = await priceOf(await product({ sellPrice: 700 }), sto);
    expect(untaxed.unit).toEqual({ net: 700, tax: 0, gross: 700, taxes: [] });
  });

  it("answers 404 for another tenant's product or store, 400 for bad input", async () => {
    const p = await product({ sellPrice: 100 });
    const other = await createTenant();
    expect((await call("GET", `/products/${p}/price?storeId=${other.storeId}`)).status).toBe(404);
    const theirs = (await api("POST", "/api/v1/products", { token: other.adminToken, body: { sku: "X", name: "X", sellPrice: 1 } })).json.data.id;
    expect((await call("GET", `/products/${theirs}/price?storeId=${sto}`)).status).toBe(404);
    const bad = await call("GET", `/products/${p}/price?storeId=S001`);
    expect(bad.status).toBe(400);
    expect(bad.json.fields[0].path).toBe("query.storeId");
  });
});
