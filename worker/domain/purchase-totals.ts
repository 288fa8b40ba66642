import type { AddPurchaseBody } from "../../schema/contracts/purchases";
import { isMoneyError, lineAmount } from "../../schema/money";
import { invalid, type FieldError } from "./errors";

/**
 * The arithmetic of a recorded purchase, checked before anything is read: each line's total is
 * round(unitPrice × quantity / 1000) − discount (half away from zero, the money engine's `lineAmount`), its tax
 * is signed like it (and, with prices that include tax, no larger than it), taxTotal is the sum of the line
 * taxes, total is the sum of the line totals (plus taxTotal when prices exclude tax), and the payments add up
 * to the total. Every figure that does not agree is named with what came and what it should be.
 */

export interface PurchaseFigures {
  /** Each line's discount signed like the line, as stored. */
  discounts: number[];
  subtotal: number;
  taxTotal: number;
  total: number;
}

const sign = (n: number) => Math.sign(n);

export function checkPurchaseTotals(body: AddPurchaseBody): PurchaseFigures {
  const fields: FieldError[] = [];
  const mismatch = (path: string, received: number, expected: number, message: string) => fields.push({ path, message, received, expected });
  const discounts: number[] = [];
  let subtotal = 0;
  let taxTotal = 0;

  body.lines.forEach((line, i) => {
    const at = `lines.${i}`;
    try {
      const amount = lineAmount(line.unitPrice, line.quantity, line.discount, at);
      discounts.push(amount.discount);
      subtotal += amount.amount;
      if (line.lineTotal !== amount.amount) {
        mismatch(`${at}.lineTotal`, line.lineTotal, amount.amount, `must be round(unitPrice × quantity / 1000) − discount = ${amount.amount}`);
      }
    } catch (error) {
      if (!isMoneyError(error)) throw error;
      discounts.push(0);
      fields.push({ path: error.field, message: error.message.replace(`${error.field}: `, "") });
    }
    taxTotal += line.taxAmount;
    if (line.taxAmount !== 0 && sign(line.taxAmount) !== sign(line.quantity)) {
      fields.push({ path: `${at}.taxAmount`, message: line.quantity > 0 ? "must not be negative on a sold line" : "must not be positive on a returned line" });
    } else if (body.pricesIncludeTax && Math.abs(line.taxAmount) > Math.abs(line.lineTotal)) {
      fields.push({ path: `${at}.taxAmount`, message: "cannot exceed the line total when prices include tax" });
    }
  });

  const total = subtotal + (body.pricesIncludeTax ? 0 : taxTotal);
  if (body.taxTotal !== taxTotal) mismatch("taxTotal", body.taxTotal, taxTotal, `must be the sum of the lines' taxAmount, ${taxTotal}`);
  if (body.total !== total) {
    mismatch("total", body.total, total, body.pricesIncludeTax ? `must be the sum of the line totals, ${total}` : `must be the sum of the line totals plus taxTotal, ${total}`);
  }
  const paid = body.payments.reduce((sum, p) => sum + p.amount, 0);
  if (paid !== body.total) mismatch("payments", paid, body.total, `must add up to the total, ${body.total}`);

  if (fields.length) {
    throw invalid("PURCHASE_TOTALS_MISMATCH", `The purchase's figures do not add up: ${fields.map((f) => f.path).join(", ")}`, fields);
  }
  return { discounts, subtotal, taxTotal, total };
}
