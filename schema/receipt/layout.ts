/**
 * A receipt model laid out for a printer of 42 or 32 columns (80 mm and 58 mm paper in the printer's font A).
 *
 * The layout is a list of lines, each one of four kinds, so that a renderer can map it to its device:
 *
 *   { kind: "text", text, style }   one line of text, already aligned with spaces (never trailing ones) and
 *                                   at most `width` code points; style "normal", "bold", or "title" (the store's
 *                                   name: bold, and a printer may also print it double height, which keeps the
 *                                   column count; never double width, which halves it)
 *   { kind: "separator" }           a rule across the paper (plain text: `width` hyphens)
 *   { kind: "qr", data }            a QR code holding `data` (the model's `qr`); plain text leaves it out
 *   { kind: "cut" }                 the end of the receipt: feed and cut; plain text leaves it out
 *
 * Texts hold no control characters (C0, C1, DEL, line and paragraph separators) and no format characters
 * (bidi controls, zero-width characters): each text is made printable when the model is made and every laid out
 * line is checked again here. An ESC/POS renderer (the store bridge) sends each text line in the printer's code
 * page (CP858: å ä ö Å Ä Ö €, and U+00A0 as 0xFF) followed by LF, `bold` as ESC E 1 … ESC E 0, a `separator` as
 * hyphens (or a graphic rule), `qr` as GS ( k, and `cut` as a feed and GS V.
 *
 * The order: the store (name and lines), the marks (COPY, VOID, RETURN), the receipt's number, time, register and
 * cashier, the items (each with its quantity, price override and discount), the totals (and the discounts they
 * include), the tenders and change, the tax summary per rate, the void's details, the footer, the QR code, the
 * cut.
 */
import { RECEIPT_LABELS } from "./labels";
import type { ReceiptItem, ReceiptModel, ReceiptTaxRow } from "./model";
import { alignRight, centre, columns, labelRow, row, wrap } from "./text";

export const RECEIPT_WIDTHS = [42, 32] as const;
export type ReceiptWidth = (typeof RECEIPT_WIDTHS)[number];

export type ReceiptTextStyle = "normal" | "bold" | "title";

export type ReceiptLine =
  | { readonly kind: "text"; readonly text: string; readonly style: ReceiptTextStyle }
  | { readonly kind: "separator" }
  | { readonly kind: "qr"; readonly data: string }
  | { readonly kind: "cut" };

export interface ReceiptLayout {
  readonly width: ReceiptWidth;
  readonly lines: readonly ReceiptLine[];
}

const INDENT = 2;
/** A tax summary keeps its table form while its first column has at least this many columns. */
const MIN_TAX_LABEL = 8;

/** The last guard: no control or format character, and never wider than the paper. */
function guard(text: string, width: number): string {
  const clean = text
    .replace(/\p{Cs}/gu, "\uFFFD")
    .replace(/[\p{Cc}\u2028\u2029]/gu, " ")
    .replace(/\p{Cf}/gu, "")
    .normalize("NFC");
  return [...clean].slice(0, width).join("").trimEnd();
}

export function layoutReceipt(model: ReceiptModel, width: ReceiptWidth = 42): ReceiptLayout {
  if (!RECEIPT_WIDTHS.includes(width)) throw new RangeError(`a receipt is laid out for ${RECEIPT_WIDTHS.join(" or ")} columns, not ${width}`);
  const labels = RECEIPT_LABELS[model.language];
  const out: ReceiptLine[] = [];
  const text = (lines: readonly string[], style: ReceiptTextStyle = "normal") => {
    for (const l of lines) out.push({ kind: "text", text: guard(l, width), style });
  };
  const separator = () => out.push({ kind: "separator" });

  // The store.
  text(centre(model.store.name, width), "title");
  for (const l of model.store.lines) text(centre(l, width));

  // What kind of receipt this is, when it is not a plain sale.
  if (model.copy) text(centre(labels.copyTitle, width), "bold");
  if (model.void) text(centre(labels.voidTitle, width), "bold");
  if (model.return) text(centre(labels.returnTitle, width), "bold");
  separator();

  text(labelRow(labels.receipt, model.receiptNumber, width));
  text(labelRow(labels.date, model.soldAt.text, width));
  const register = model.register.name && model.register.name !== model.register.code ? `${model.register.code} ${model.register.name}` : model.register.code;
  text(labelRow(labels.register, register, width));
  if (model.cashier) text(labelRow(labels.cashier, model.cashier, width));
  if (model.return) {
    const r = model.return;
    if (r.unreferenced) text(wrap(labels.returnWithoutReceipt, width));
    else if (r.originalReceiptNumber ?? r.originalSaleId) text(labelRow(labels.returnOf, r.originalReceiptNumber ?? r.originalSaleId ?? "", width));
  }
  separator();

  for (const item of model.items) text(itemLines(item, model, width));
  separator();

  const t = model.totals;
  if (!t.pricesIncludeTax) {
    text(labelRow(labels.subtotal, t.subtotal.text, width));
    text(labelRow(labels.taxAdded, t.tax.text, width));
  }
  text(labelRow(labels.total, t.total.money, width), "bold");
  if (t.pricesIncludeTax) text(labelRow(labels.taxIncluded, t.tax.text, width));
  if (t.cashRounding) {
    text(labelRow(labels.cashRounding, t.cashRounding.text, width));
    text(labelRow(t.totalDue.minor < 0 ? labels.refundDue : labels.totalDue, t.totalDue.money, width), "bold");
  }
  if (t.discount) text(labelRow(labels.discountTotal, t.discount.text, width));

  if (model.tenders.length > 0 || model.change) {
    separator();
    for (const tender of model.tenders) {
      text(row(tender.name, tender.amount.text, width));
      if (tender.reference) text(row(`${labels.reference} ${tender.reference}`, "", width, INDENT));
      if (tender.giftCard) text(row(labels.giftCardBalance, tender.giftCard.balance.text, width, INDENT));
    }
    if (model.change) text(labelRow(labels.change, model.change.text, width));
  }

  if (model.taxes.length > 0) {
    separator();
    text(taxSummary(model.taxes, labels.taxRate, labels.taxable, labels.tax, width));
  }

  if (model.void) {
    separator();
    text(centre(labels.voidTitle, width), "bold");
    if (model.void.reason) text(labelRow(labels.voidReason, model.void.reason, width));
    if (model.void.at) text(labelRow(labels.voidedAt, model.void.at.text, width));
  }

  if (model.footer.length > 0) {
    separator();
    for (const l of model.footer) text(centre(l, width));
  }
  out.push({ kind: "qr", data: model.qr });
  out.push({ kind: "cut" });
  return { width, lines: out };
}

/**
 * An item: its name with the amount on the right; a quantity other than one piece, a measured quantity, goes on
 * a line of its own under the name with the amount ("2 st x 25,00", "0,347 kg x 29,90/kg"), then the price
 * override and the discount.
 */
function itemLines(item: ReceiptItem, model: ReceiptModel, width: number): string[] {
  const labels = RECEIPT_LABELS[model.language];
  const q = item.quantity;
  const single = Math.abs(q.thousandths) === 1000 && q.unit === null;
  const lines: string[] = [];
  if (single) lines.push(...row(item.name, item.amount.text, width));
  else {
    lines.push(...wrap(item.name, width));
    const unit = q.unit ?? labels.pieces;
    const quantity = unit ? `${q.text} ${unit}` : q.text;
    const price = q.unit ? `${item.unitPrice.text}/${q.unit}` : item.unitPrice.text;
    lines.push(...row(`${quantity} ${labels.times} ${price}`, item.amount.text, width, INDENT));
  }
  if (item.cataloguePrice) lines.push(...row(`${labels.priceOverride} ${item.cataloguePrice.text}`, "", width, INDENT));
  if (item.discount) lines.push(...labelRow(labels.discount, item.discount.text, width, INDENT));
  return lines;
}

/**
 * The tax per rate as a table (label, taxable, tax) while its amounts leave the label room; else each rate as a
 * label with its two amounts on lines of their own.
 */
function taxSummary(rows: readonly ReceiptTaxRow[], rateHeader: string, taxableHeader: string, taxHeader: string, width: number): string[] {
  const taxW = Math.max(columns(taxHeader), ...rows.map((r) => columns(r.tax.text)));
  const taxableW = Math.max(columns(taxableHeader), ...rows.map((r) => columns(r.taxable.text)));
  const labelW = width - taxableW - taxW - 3;
  if (labelW < MIN_TAX_LABEL) {
    return rows.flatMap((r) => [...wrap(r.label, width), ...labelRow(taxableHeader, r.taxable.text, width, INDENT), ...labelRow(taxHeader, r.tax.text, width, INDENT)]);
  }
  const cells = (label: string, taxable: string, tax: string) => {
    const labelLines = wrap(label, labelW);
    const last = labelLines.pop()!;
    const right = `${alignRight(taxable, taxableW)[0]}  ${alignRight(tax, taxW)[0]}`;
    return [...labelLines, last + " ".repeat(labelW - columns(last) + 1) + right];
  };
  return [...cells(rateHeader, taxableHeader, taxHeader), ...rows.flatMap((r) => cells(r.label, r.taxable.text, r.tax.text))];
}

/** The layout as plain text lines: separators as hyphens; the QR code and the cut leave no line. */
export function plainTextLines(layout: ReceiptLayout): string[] {
  return layout.lines.flatMap((l) => (l.kind === "text" ? [l.text] : l.kind === "separator" ? ["-".repeat(layout.width)] : []));
}

/** The layout as plain text, one line per printed line, each ended by \n. */
export const plainText = (layout: ReceiptLayout): string => plainTextLines(layout).map((l) => `${l}\n`).join("");
