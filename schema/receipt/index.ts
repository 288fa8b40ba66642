/**
 * Receipts: runtime-neutral (no Worker or Node API), shared by the Worker, the tills and the store bridge.
 *
 *   model.ts    buildReceipt(sale, context): what the receipt says (JSON), amounts as minor units and text
 *   layout.ts   layoutReceipt(model, 42 | 32): lines of text plus semantic marks (title, bold, separator, QR,
 *               cut) for a printer's columns; plainText(layout)
 *   format.ts   amounts, quantities, rates and times in the store's locale (exact: no floating point)
 *   text.ts     printable text: control characters removed, wrapping and alignment in code points
 *   labels.ts   the printed words, Swedish and English
 */
export { buildReceipt, RECEIPT_FORMAT, type Amount, type MoneyAmount, type ReceiptContext, type ReceiptItem, type ReceiptModel, type ReceiptTaxRow, type ReceiptTender, type ReceiptTotals } from "./model";
export { layoutReceipt, plainText, plainTextLines, RECEIPT_WIDTHS, type ReceiptLayout, type ReceiptLine, type ReceiptTextStyle, type ReceiptWidth } from "./layout";
export { receiptFormat, type ReceiptFormat } from "./format";
export { columns, printable, wrap } from "./text";
export { languageOf, RECEIPT_LABELS, type ReceiptLabels, type ReceiptLanguage } from "./labels";
