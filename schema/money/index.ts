/**
 * The money and tax engine: pure, runtime-neutral TypeScript shared by the Worker, the bridge and tills.
 *
 * Units (design.md, Data rules):
 *   money      integer minor units (cents, öre) of the tenant's currency
 *   quantity   integer thousandths of a unit (2000 = 2 units; negative on a return line)
 *   tax rate   basis points as in the spec (825 = 8.25 %), or `{ millionths }` when a basis point is too coarse
 *              (Québec QST 9.975 % = { millionths: 99750 }); see rate.ts
 *
 * No floating point on any path: inputs must be safe integers, all arithmetic is bigint (exact rationals where a
 * division is involved), and a result beyond the safe integer range throws instead of losing a cent.
 * Rounding is half away from zero everywhere (rounding.ts), so a return is the exact negation of its sale.
 * Bad input throws a MoneyError whose `field` names the input (`lines[1].taxes[0].rate`) and whose `code` says why.
 *
 * Modules, one concern each:
 *   errors.ts         MoneyError
 *   integers.ts       checked number ↔ bigint
 *   rounding.ts       exact fractions, half-away-from-zero rounding
 *   rate.ts           rate representation (basis points, millionths, percent strings)
 *   line.ts           a line's extended amount and discount
 *   tax.ts            tax groups, compound rates on the taxes as charged, the taxes on a net
 *   inclusive.ts      the taxes a tax-inclusive price holds (line rounding)
 *   allocate.ts       largest-remainder allocation of cents
 *   document.ts       computeDocument: line and document rounding, totals per rate
 *   cash-rounding.ts  cashRounding: the explicit cash rounding adjustment
 */
export { MoneyError, isMoneyError, type MoneyErrorCode } from "./errors";
export { divRoundHalfAwayFromZero } from "./rounding";
export {
  RATE_ONE,
  MILLIONTHS_PER_BASIS_POINT,
  basisPoints,
  millionths,
  percent,
  rateMillionths,
  toBasisPoints,
  formatPercent,
  type Millionths,
  type RateInput,
} from "./rate";
export { QUANTITY_ONE, lineAmount, type LineAmount } from "./line";
export { normalizeTaxGroup, type TaxRate, type TaxRateInput } from "./tax";
export { allocateLargestRemainder } from "./allocate";
export {
  computeDocument,
  computeLine,
  type DocumentInput,
  type DocumentResult,
  type DocumentTotals,
  type LineInput,
  type LineResult,
  type LineTax,
  type RateTotal,
  type TaxRoundingMode,
} from "./document";
export { cashRounding, type CashRounding } from "./cash-rounding";
