import { eq, isNull } from "drizzle-orm";
import type { ProductPrice } from "../../schema/contracts/products";
import { products, storePrices, stores } from "../../schema/db";
import { computeLine, divRoundHalfAwayFromZero, QUANTITY_ONE, toBasisPoints } from "../../schema/money";
import { notFound } from "./errors";
import type { ServiceContext } from "./context";
import { productRatesQuery, taxRateDto } from "./products";
import { specialIsOn, specialsAround, type SpecialRow } from "./specials";
import { localDateTime, type LocalDateTime } from "./store-time";
import { toIso } from "./versioning";

/**
 * The effective price of a product in a store: decided here and nowhere else.
 *
 * 1. The regular price in the store: the store's own price (store_prices) if it has one, else the product's
 *    sell price.
 * 2. The specials on in that store at that instant (switched on, the store listed or none listed, the store's
 *    wall clock inside [startsAt, endsAt)) that cover the product (listed, or its department named). What each
 *    would make the price:
 *      - 'price': its fixed price. It competes with the regular price, the store's price included: a special
 *        at 30.00 does not raise a store price of 25.00.
 *      - 'percent': its basis points off the regular price, i.e. off the store's price where the store has
 *        one (20 % off in a store that sells at 25.00 is 20.00), rounded half away from zero to the minor unit.
 * 3. The best special is the one giving the lowest price (a tie goes to the special created first, then the
 *    lower id). It sets the price only if that is below the regular price; otherwise the regular price stands
 *    and no special is reported. Specials never stack: one special at most applies.
 *
 * As Square and Lightspeed do: a sale price is a price, so the lowest one wins; a percentage is a discount,
 * so it discounts the price the store actually charges.
 */

export type PriceSource = "base" | "store" | "special";

export interface PriceDecision<S> {
  /** The price before specials: the store's price or the base price. */
  regular: number;
  price: number;
  source: PriceSource;
  /** The special that set the price, if one did. */
  special: S | null;
}

type SpecialLike = Pick<SpecialRow, "id" | "kind" | "value" | "productIds" | "departmentId" | "storeIds" | "startsAt" | "endsAt" | "isActive" | "createdAt">;

/** The special covers the product: it lists it, or names its department. */
export const specialCovers = (s: Pick<SpecialRow, "productIds" | "departmentId">, product: { id: string; departmentId: string | null }) =>
  s.productIds.includes(product.id) || (s.departmentId !== null && s.departmentId === product.departmentId);

const BASIS_POINTS_ONE = 10_000n;

/** What the special makes of a regular price (never below zero, never above it for a percentage). */
export function priceUnderSpecial(regular: number, s: Pick<SpecialRow, "kind" | "value">): number {
  if (s.kind === "price") return s.value;
  const off = BigInt(Math.min(Math.max(s.value, 0), 10_000));
  return Number(divRoundHalfAwayFromZero(BigInt(regular) * (BASIS_POINTS_ONE - off), BASIS_POINTS_ONE));
}

export function effectivePrice<S extends SpecialLike>(input: {
  product: { id: string; departmentId: string | null; sellPrice: number };
  storeId: string;
  /** The store's wall-clock time at the instant priced. */
  localTime: LocalDateTime;
  storePrice: number | null;
  specials: readonly S[];
}): PriceDecision<S> {
  const { product, storeId, localTime, storePrice } = input;
  const regular = storePrice ?? product.sellPrice;
  let best: { special: S; price: number } | null = null;
  for (const special of input.specials) {
    if (!specialIsOn(special, storeId, localTime) || !specialCovers(special, product)) continue;
    const price = priceUnderSpecial(regular, special);
    const better =
      !best ||
      price < best.price ||
      (price === best.price && (special.createdAt < best.special.createdAt || (special.createdAt === best.special.createdAt && special.id < best.special.id)));
    if (better) best = { special, price };
  }
  if (best && best.price < regular) return { regular, price: best.price, source: "special", special: best.special };
  return { regular, price: regular, source: storePrice === null ? "base" : "store", special: null };
}

/**
 * A product's price in a store at an instant (now unless given), with the tax of one unit at that price by the
 * store's pricesIncludeTax: everything read in one D1 round trip.
 */
export async function productPrice(ctx: ServiceContext, productId: string, options: { storeId: string; at?: string }): Promise<ProductPrice> {
  const { scope } = ctx;
  const at = options.at ? Date.parse(options.at) : ctx.request.now;
  const [productRows, storeRows, storePriceRows, rates, candidates] = await scope.db.batch([
    scope.select(products, eq(products.id, productId), isNull(products.deletedAt)),
    scope.select(stores, eq(stores.id, options.storeId), isNull(stores.deletedAt)),
    scope.select(storePrices, eq(storePrices.storeId, options.storeId), eq(storePrices.productId, productId), isNull(storePrices.deletedAt)),
    productRatesQuery(scope, productId),
    specialsAround(scope, at, { storeId: options.storeId, productId }),
  ]);
  const product = productRows[0] as typeof products.$inferSelect | undefined;
  if (!product) throw notFound("Product");
  const store = storeRows[0] as typeof stores.$inferSelect | undefined;
  if (!store) throw notFound("Store");
  const storePrice = (storePriceRows[0] as typeof storePrices.$inferSelect | undefined)?.price ?? null;
  const localTime = localDateTime(at, store.timeZone);

  const decision = effectivePrice({ product, storeId: store.id, localTime, storePrice, specials: candidates as SpecialRow[] });
  const unit = computeLine(
    {
      unitPrice: decision.price,
      quantity: QUANTITY_ONE,
      taxes: rates.map((r) => ({ id: r.id, name: r.name, rate: { millionths: r.rateMillionths }, isCompound: r.isCompound, sortOrder: r.sortOrder })),
    },
    store.pricesIncludeTax,
  );
  const special = decision.special;
  return {
    productId: product.id,
    storeId: store.id,
    basePrice: product.sellPrice,
    storePrice,
    special: special ? { id: special.id, name: special.name, kind: special.kind, value: special.value } : null,
    price: decision.price,
    source: decision.source,
    pricesIncludeTax: store.pricesIncludeTax,
    currency: store.currency,
    at: toIso(at),
    localTime,
    taxes: rates.map(taxRateDto),
    unit: {
      net: unit.net,
      tax: unit.tax,
      gross: unit.gross,
      taxes: unit.taxes.map((t) => ({ id: t.id, name: t.name, rate: toBasisPoints(t.rateMillionths), rateMillionths: t.rateMillionths, isCompound: t.isCompound, amount: t.amount })),
    },
  };
}
