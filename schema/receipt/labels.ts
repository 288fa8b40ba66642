/**
 * The words a receipt prints, per language. Swedish for Swedish locales, English for every other (a language is
 * added here as a whole set, so no receipt mixes two).
 */

export type ReceiptLanguage = "sv" | "en";

export interface ReceiptLabels {
  readonly receipt: string;
  readonly date: string;
  readonly register: string;
  readonly cashier: string;
  readonly phone: string;
  readonly orgNumber: string;
  readonly vatNumber: string;
  /** After a whole quantity: "2 st x 25,00" (empty: "2 x 25,00"). */
  readonly pieces: string;
  readonly times: string;
  readonly discount: string;
  /** What the sale's discounts came to, under the totals. */
  readonly discountTotal: string;
  /** Before the catalogue's price on a line sold at another price. */
  readonly priceOverride: string;
  readonly subtotal: string;
  readonly total: string;
  /** The tax row of the totals when prices include tax ("of which VAT"), and when they exclude it. */
  readonly taxIncluded: string;
  readonly taxAdded: string;
  readonly cashRounding: string;
  readonly totalDue: string;
  readonly refundDue: string;
  readonly change: string;
  readonly reference: string;
  /** Under a gift card payment: what is left on the card. */
  readonly giftCardBalance: string;
  /** Tax summary headers: the rate, what it was charged on, the tax. */
  readonly taxRate: string;
  readonly taxable: string;
  readonly tax: string;
  readonly returnTitle: string;
  readonly returnOf: string;
  readonly returnWithoutReceipt: string;
  readonly voidTitle: string;
  readonly voidReason: string;
  readonly voidedAt: string;
  readonly copyTitle: string;
  /** A tender's name when the context gives none, by code. */
  readonly tenders: Readonly<Record<string, string>>;
}

const sv: ReceiptLabels = {
  receipt: "Kvitto",
  date: "Datum",
  register: "Kassa",
  cashier: "Kassör",
  phone: "Tel",
  orgNumber: "Org.nr",
  vatNumber: "Momsreg.nr",
  pieces: "st",
  times: "x",
  discount: "Rabatt",
  discountTotal: "Erhållen rabatt",
  priceOverride: "Ändrat pris, ord.",
  subtotal: "Delsumma",
  total: "Totalt",
  taxIncluded: "varav moms",
  taxAdded: "Moms",
  cashRounding: "Öresavrundning",
  totalDue: "Att betala",
  refundDue: "Att återbetala",
  change: "Växel",
  reference: "Ref",
  giftCardBalance: "Saldo kvar",
  taxRate: "Moms",
  taxable: "Underlag",
  tax: "Belopp",
  returnTitle: "RETUR",
  returnOf: "Retur av kvitto",
  returnWithoutReceipt: "Retur utan kvitto",
  voidTitle: "MAKULERAD",
  voidReason: "Orsak",
  voidedAt: "Makulerad",
  copyTitle: "KOPIA",
  tenders: { CASH: "Kontant", CARD: "Kort", SWISH: "Swish" },
};

const en: ReceiptLabels = {
  receipt: "Receipt",
  date: "Date",
  register: "Register",
  cashier: "Cashier",
  phone: "Tel",
  orgNumber: "Org. no.",
  vatNumber: "VAT no.",
  pieces: "",
  times: "x",
  discount: "Discount",
  discountTotal: "Discounts",
  priceOverride: "Price override, was",
  subtotal: "Subtotal",
  total: "Total",
  taxIncluded: "incl. tax",
  taxAdded: "Tax",
  cashRounding: "Rounding",
  totalDue: "Amount due",
  refundDue: "Refund due",
  change: "Change",
  reference: "Ref",
  giftCardBalance: "Balance left",
  taxRate: "Tax",
  taxable: "Taxable",
  tax: "Amount",
  returnTitle: "RETURN",
  returnOf: "Return of receipt",
  returnWithoutReceipt: "Return without receipt",
  voidTitle: "VOID",
  voidReason: "Reason",
  voidedAt: "Voided",
  copyTitle: "COPY",
  tenders: { CASH: "Cash", CARD: "Card" },
};

export const RECEIPT_LABELS: Readonly<Record<ReceiptLanguage, ReceiptLabels>> = { sv, en };

/** The language of a locale's receipts: Swedish for sv, sv-SE, sv-FI; English otherwise. */
export const languageOf = (locale: string): ReceiptLanguage => (/^sv(-|$)/i.test(locale) ? "sv" : "en");
