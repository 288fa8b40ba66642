/**
 * The receipt model: what a receipt says, made from a stored sale and its context (the store, the register, the
 * cashier), before any layout. It is plain JSON, the same for the Worker (POST /api/v1/sales/print), the tills
 * and the store bridge, which lay it out for their printers (layout.ts).
 *
 * Every amount is carried twice: as the sale's integer minor units (`minor`) and as the text the receipt prints
 * (`text`, formatted in the store's locale with the currency's decimals, format.ts). Every text that came from the
 * sale or its context has been made printable (text.ts): no control character, line break or bidi control.
 *
 * The receipt recomputes nothing: each total is the sale's own (subtotal, discountTotal, taxTotal, grandTotal,
 * cashRounding, totalDue, changeGiven, the per-rate taxes), so what is printed is what was stored. The only
 * derived figure is a line's amount before its discount (its total plus the discount), printed above the
 * discount so that the item column adds up to the sale's subtotal (the lines after their discounts: net where
 * prices exclude tax, gross where they include it):
 *   prices include tax:  subtotal             = total   (the tax is "of which")
 *   prices exclude tax:  subtotal + tax       = total
 *   and                  total + cash rounding = total due
 */
import type { Sale } from "../contracts/sales";
import { receiptFormat, type ReceiptFormat } from "./format";
import { languageOf, RECEIPT_LABELS, type ReceiptLabels, type ReceiptLanguage } from "./labels";
import { printable } from "./text";

export const RECEIPT_FORMAT = "edge-pos.receipt/1";

/** An amount: the sale's integer minor units and the text printed for it ("1 234,50"). */
export interface Amount {
  readonly minor: number;
  readonly text: string;
}

/** An amount also written with its currency ("1 234,50 kr", "$1,234.50"), for the totals a customer reads. */
export interface MoneyAmount extends Amount {
  readonly money: string;
}

export interface ReceiptTime {
  /** The instant, as stored (ISO 8601, UTC). */
  readonly iso: string;
  /** The wall-clock date and time in the store's time zone, in its locale: "2026-03-14 14:05". */
  readonly text: string;
}

export interface ReceiptQuantity {
  /** Thousandths of a unit, signed (negative on a return line). */
  readonly thousandths: number;
  /** "2", "-1", "0,347": whole units without decimals, a measured quantity (one with a unit) with three. */
  readonly text: string;
  /** The unit of a measured quantity ("kg"); null for pieces. */
  readonly unit: string | null;
}

export interface ReceiptItem {
  readonly lineId: string;
  readonly lineNo: number;
  readonly productId: string;
  readonly name: string;
  readonly quantity: ReceiptQuantity;
  /** Per unit, as sold (VAT included when prices include tax). */
  readonly unitPrice: Amount;
  /** The catalogue's price when the line was sold at another one (an override); null otherwise. */
  readonly cataloguePrice: Amount | null;
  /** Quantity × unit price: the line before its discount. */
  readonly amount: Amount;
  /** What the discount adds to the line (negative on a sale line, positive on a return line); null when none. */
  readonly discount: Amount | null;
  /** The line's total: its gross when prices include tax, its net when tax is added on top. */
  readonly total: Amount;
}

export interface ReceiptTaxRow {
  readonly taxRateId: string;
  readonly name: string;
  readonly rateMillionths: number;
  /** The rate as a percentage in the locale: "25 %", "8.25%". */
  readonly rate: string;
  /** The name, with the rate when the name does not already say it: "Moms 25 %", "State Tax 8.25%". */
  readonly label: string;
  readonly isCompound: boolean;
  /** The net of the lines the rate applies to. */
  readonly taxable: Amount;
  readonly tax: Amount;
}

export interface ReceiptTotals {
  readonly pricesIncludeTax: boolean;
  /** The sale's subtotal: its lines after their discounts (net when tax is added on top, gross when included). */
  readonly subtotal: Amount;
  /** The sale's discount total: what discounts took off (positive on a sale, negative on a return); null when none. */
  readonly discount: Amount | null;
  /** The sale's tax total: part of the total when prices include tax, added to it when not. */
  readonly tax: Amount;
  /** The sale's grand total. */
  readonly total: MoneyAmount;
  /** The cash rounding adjustment; null when there is none. */
  readonly cashRounding: Amount | null;
  /** The grand total plus the cash rounding: what the customer pays (or, negative, gets back). */
  readonly totalDue: MoneyAmount;
  /** What the tenders came to (cash as handed over). */
  readonly paid: Amount;
}

export interface ReceiptTender {
  readonly code: string;
  readonly name: string;
  readonly isCash: boolean;
  /** Negative on a refund. */
  readonly amount: Amount;
  /** A card or Swish payment's reference (a gift card's: its masked code). */
  readonly reference: string | null;
  /** A gift card payment: the card's masked code and what was left on it right after. */
  readonly giftCard?: { readonly code: string; readonly balance: Amount };
}

export interface ReceiptReturn {
  readonly originalSaleId: string | null;
  /** The original sale's receipt number, when the context gave it. */
  readonly originalReceiptNumber: string | null;
  /** A return made without the original receipt. */
  readonly unreferenced: boolean;
}

export interface ReceiptVoid {
  readonly reason: string | null;
  readonly at: ReceiptTime | null;
}

export interface ReceiptModel {
  readonly format: typeof RECEIPT_FORMAT;
  readonly saleId: string;
  readonly kind: "sale" | "return";
  readonly status: "completed" | "voided";
  readonly language: ReceiptLanguage;
  readonly locale: string;
  readonly currency: string;
  readonly fractionDigits: number;
  readonly timeZone: string;
  readonly store: {
    readonly name: string;
    /** Under the name, in order: the address lines, the phone, the legal lines (org. number, VAT number, …). */
    readonly lines: readonly string[];
  };
  readonly receiptNumber: string;
  readonly register: { readonly code: string; readonly name: string | null };
  readonly cashier: string | null;
  readonly soldAt: ReceiptTime;
  /** A reprint: marked as a copy. */
  readonly copy: boolean;
  readonly return: ReceiptReturn | null;
  readonly void: ReceiptVoid | null;
  readonly items: readonly ReceiptItem[];
  readonly taxes: readonly ReceiptTaxRow[];
  readonly totals: ReceiptTotals;
  readonly tenders: readonly ReceiptTender[];
  /** Cash given back; null when none. */
  readonly change: Amount | null;
  /** What the receipt's QR code holds: the sale's id as a URI, `pos:sale/<id>`. */
  readonly qr: string;
  /** Closing lines (a greeting, the return policy), centred. */
  readonly footer: readonly string[];
}

/** Everything a receipt says that the sale does not. */
export interface ReceiptContext {
  readonly store: {
    readonly name: string;
    /** May span lines (\n). */
    readonly address?: string | null;
    readonly phone?: string | null;
    /** Printed as "Org.nr …" / "Momsreg.nr …" (Swedish) or "Org. no. …" / "VAT no. …". */
    readonly orgNumber?: string | null;
    readonly vatNumber?: string | null;
    /** Further legal lines, printed as they are ("F-skatt", a registered office, …). */
    readonly legalLines?: readonly string[];
    /** IANA time zone: the receipt shows the sale's time on the store's clock. */
    readonly timeZone: string;
  };
  readonly register: { readonly code: string; readonly name?: string | null };
  readonly cashier?: string | null;
  /** The store's locale for numbers, dates and words; sv-SE by default. */
  readonly locale?: string;
  /** Overrides the language the locale implies. */
  readonly language?: ReceiptLanguage;
  /** A tender's name by code (the tenant's tender names); else a built-in name for CASH, CARD, SWISH, else the code. */
  readonly tenderNames?: Readonly<Record<string, string>>;
  /** On a return: the original sale's receipt number. */
  readonly originalReceiptNumber?: string | null;
  /** Gift card payments by payment id: the card's masked code and its balance right after the payment. */
  readonly giftCards?: Readonly<Record<string, { readonly code: string; readonly balance: number }>>;
  /** The unit of measured products by product id ("kg", "m"): their quantities show three decimals and the unit. */
  readonly units?: Readonly<Record<string, string>>;
  /** The unit shown for a fractional quantity of a product without one in `units`; "kg" by default. */
  readonly fractionalUnit?: string;
  readonly footer?: readonly string[];
  readonly copy?: boolean;
}

const nonEmpty = (text: unknown): string | null => {
  const t = printable(text);
  return t === "" ? null : t;
};

const sign = (n: number) => (n < 0 ? -1 : 1);

/** An amount worked out in bigint back as a number, refusing one that a number cannot hold exactly. */
function exact(n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) throw new RangeError("an amount beyond the safe integer range");
  return Number(n);
}

/** A tax rate's name with its rate, unless the name already says it ("Moms 25 %" stays as it is). */
function taxLabel(name: string, millionths: number, fmt: ReceiptFormat): string {
  const rate = fmt.percent(millionths);
  if (name === "") return rate;
  // Compared without spaces and with either decimal mark; "12,5 %" does not say 2,5 %.
  const bare = (text: string) => text.replace(/\s/g, "").replace(/,/g, ".");
  const escaped = bare(rate).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?:^|[^0-9.])${escaped}`).test(bare(name)) ? name : `${name} ${rate}`;
}

export function buildReceipt(sale: Sale, context: ReceiptContext): ReceiptModel {
  const locale = context.locale ?? "sv-SE";
  const language = context.language ?? languageOf(locale);
  const labels: ReceiptLabels = RECEIPT_LABELS[language];
  const fmt = receiptFormat(sale.currency, locale);
  const amount = (minor: number): Amount => ({ minor, text: fmt.amount(minor) });
  const money = (minor: number): MoneyAmount => ({ minor, text: fmt.amount(minor), money: fmt.money(minor) });
  const timeZone = context.store.timeZone;
  const time = (iso: string): ReceiptTime => ({ iso, text: fmt.dateTime(iso, timeZone) });
  const fractionalUnit = nonEmpty(context.fractionalUnit ?? "kg");

  const s = context.store;
  const labelled = (label: string, value: unknown) => (nonEmpty(value) === null ? [] : [`${label} ${nonEmpty(value)}`]);
  const storeLines = [
    ...(s.address ?? "").split(/\r\n|\r|\n/).map(printable),
    ...labelled(labels.phone, s.phone),
    ...labelled(labels.orgNumber, s.orgNumber),
    ...labelled(labels.vatNumber, s.vatNumber),
    ...(s.legalLines ?? []).map(printable),
  ].filter((l) => l !== "");

  const items = sale.lines.map((line): ReceiptItem => {
    const unitOf = nonEmpty(context.units?.[line.productId]);
    const fractional = line.quantity % 1000 !== 0;
    const unit = unitOf ?? (fractional ? fractionalUnit : null);
    const total = sale.pricesIncludeTax ? line.gross : line.net;
    // The stored discount lowers the line in its own direction; the receipt shows what it adds.
    const discount = -sign(line.quantity) * Math.abs(line.discount);
    const before = exact(BigInt(total) - BigInt(discount));
    const overridden = line.priceOverride || line.unitPrice !== line.cataloguePrice;
    return {
      lineId: line.id,
      lineNo: line.lineNo,
      productId: line.productId,
      name: printable(line.productName),
      quantity: { thousandths: line.quantity, text: fmt.quantity(line.quantity, unit !== null), unit },
      unitPrice: amount(line.unitPrice),
      cataloguePrice: overridden ? amount(line.cataloguePrice) : null,
      amount: amount(before),
      discount: discount === 0 ? null : amount(discount),
      total: amount(total),
    };
  });

  const taxes = sale.taxes.map((t): ReceiptTaxRow => {
    const name = printable(t.name);
    return {
      taxRateId: t.taxRateId,
      name,
      rateMillionths: t.rateMillionths,
      rate: fmt.percent(t.rateMillionths),
      label: taxLabel(name, t.rateMillionths, fmt),
      isCompound: t.isCompound,
      taxable: amount(t.taxable),
      tax: amount(t.amount),
    };
  });

  const tenders = sale.payments.map((p): ReceiptTender => {
    const code = printable(p.method);
    return {
      code,
      name: nonEmpty(context.tenderNames?.[p.method]) ?? labels.tenders[code] ?? code,
      isCash: p.isCash,
      amount: amount(p.amount),
      reference: nonEmpty(p.reference),
      ...(context.giftCards?.[p.id] ? { giftCard: { code: printable(context.giftCards[p.id]!.code), balance: amount(context.giftCards[p.id]!.balance) } } : {}),
    };
  });

  return {
    format: RECEIPT_FORMAT,
    saleId: sale.id,
    kind: sale.kind,
    status: sale.status,
    language,
    locale,
    currency: sale.currency,
    fractionDigits: fmt.fractionDigits,
    timeZone,
    store: { name: printable(s.name), lines: storeLines },
    receiptNumber: printable(sale.receiptNumber),
    register: { code: printable(context.register.code), name: nonEmpty(context.register.name) },
    cashier: nonEmpty(context.cashier),
    soldAt: time(sale.soldAt),
    copy: context.copy === true,
    return:
      sale.kind === "return"
        ? { originalSaleId: sale.originalSaleId, originalReceiptNumber: nonEmpty(context.originalReceiptNumber), unreferenced: sale.unreferenced }
        : null,
    void: sale.status === "voided" ? { reason: nonEmpty(sale.voidReason), at: sale.voidedAt ? time(sale.voidedAt) : null } : null,
    items,
    taxes,
    totals: {
      pricesIncludeTax: sale.pricesIncludeTax,
      subtotal: amount(sale.subtotal),
      discount: sale.discountTotal === 0 ? null : amount(sale.discountTotal),
      tax: amount(sale.taxTotal),
      total: money(sale.grandTotal),
      cashRounding: sale.cashRounding === 0 ? null : amount(sale.cashRounding),
      totalDue: money(sale.totalDue),
      paid: amount(sale.paidTotal),
    },
    tenders,
    change: sale.changeGiven === 0 ? null : amount(sale.changeGiven),
    qr: `pos:sale/${sale.id}`,
    footer: (context.footer ?? []).map(printable).filter((l) => l !== ""),
  };
}
