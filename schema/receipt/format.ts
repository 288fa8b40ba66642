/**
 * Numbers and times as a receipt shows them, in the store's locale.
 *
 * Amounts are integer minor units and never pass through floating point: the digits come from bigint arithmetic
 * (the integer part is formatted by Intl from a bigint, which is exact; the fraction digits are the remainder's
 * digits), and Intl supplies only the locale's symbols: grouping, decimal separator, currency symbol and where
 * each goes. The currency's number of decimals is Intl's (ISO 4217: SEK 2, JPY 0, KWD 3).
 *
 * What comes out is printable on a CP858 receipt printer: Latin digits whatever the locale's numbering system,
 * an ASCII hyphen-minus for the minus sign (Swedish uses U+2212, which CP858 lacks), and the spaces inside a
 * number as no-break spaces (U+00A0, CP858 0xFF), so that a wrapped line never splits "1 234,50".
 */
import { formatPercent } from "../money/rate";
import { printable } from "./text";

const QUANTITY_DECIMALS = 3;

export interface ReceiptFormat {
  readonly locale: string;
  readonly currency: string;
  /** The currency's decimals: minor units per major unit is 10^fractionDigits. */
  readonly fractionDigits: number;
  /** An amount without the currency: "1 234,50". */
  amount(minor: number | bigint): string;
  /** An amount with the currency as the locale writes it: "1 234,50 kr", "$1,234.50". */
  money(minor: number | bigint): string;
  /** Thousandths of a unit: whole units without decimals ("2"), else three ("0,347"); `decimals` forces three. */
  quantity(thousandths: number | bigint, decimals?: boolean): string;
  /** A rate in millionths as a percentage: "25 %", "8,25 %" (sv-SE), "8.25%" (en-US). */
  percent(millionths: number): string;
  /** An instant (ISO 8601 or epoch ms) as the wall-clock date and time in `timeZone`, to the minute. */
  dateTime(at: string | number, timeZone: string): string;
}

type Part = Intl.NumberFormatPart;

/** Minus signs and number spaces as a receipt printer takes them. */
function printableNumber(parts: readonly Part[]): string {
  return printable(
    parts
      .map((p) => (p.type === "minusSign" ? "-" : p.value))
      .join("")
      .replace(/[\u2212\u2012\u2013\uFE63\uFF0D]/g, "-")
      .replace(/\s/g, "\u00A0"),
  );
}

function toBigInt(value: number | bigint, what: string): bigint {
  if (typeof value === "bigint") return value;
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} must be a safe integer, not ${value}`);
  return BigInt(value);
}

/**
 * Formats |units| (a bigint, exact) with `formatter` and puts the sign and the fraction digits in: the integer
 * part is formatted as is (a negative zero integer part borrows the shape of −1), then the decimal separator and
 * `fraction` go right after the last integer digit.
 */
function compose(formatter: Intl.NumberFormat, negative: boolean, units: bigint, decimal: string, fraction: string): Part[] {
  const borrow = negative && units === 0n;
  const parts = formatter.formatToParts(negative ? -(borrow ? 1n : units) : units) as Part[];
  const lastInteger = parts.map((p) => p.type).lastIndexOf("integer");
  const out = parts.map((p) => (borrow && p.type === "integer" ? { ...p, value: "0" } : p));
  if (fraction === "") return out;
  return [...out.slice(0, lastInteger + 1), { type: "decimal", value: decimal }, { type: "fraction", value: fraction }, ...out.slice(lastInteger + 1)];
}

function decimalSeparator(locale: string): string {
  const parts = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, numberingSystem: "latn" }).formatToParts(1n);
  return parts.find((p) => p.type === "decimal")?.value ?? ".";
}

const cache = new Map<string, ReceiptFormat>();

/** The receipt's formatter for a currency in a locale (cached: Intl formatters are costly to make). */
export function receiptFormat(currency: string, locale = "sv-SE"): ReceiptFormat {
  const key = `${locale}\u0000${currency}`;
  let f = cache.get(key);
  if (!f) {
    f = makeFormat(currency, locale);
    cache.set(key, f);
  }
  return f;
}

function makeFormat(currency: string, locale: string): ReceiptFormat {
  const currencyFull = new Intl.NumberFormat(locale, { style: "currency", currency, numberingSystem: "latn" });
  const fractionDigits = currencyFull.resolvedOptions().maximumFractionDigits ?? 2;
  const whole = { minimumFractionDigits: 0, maximumFractionDigits: 0, numberingSystem: "latn" } as const;
  const currencyWhole = new Intl.NumberFormat(locale, { style: "currency", currency, ...whole });
  const plainWhole = new Intl.NumberFormat(locale, { ...whole, useGrouping: true });
  const currencyDecimal = currencyFull.formatToParts(1n).find((p) => p.type === "decimal")?.value ?? decimalSeparator(locale);
  const numberDecimal = decimalSeparator(locale);
  const scale = 10n ** BigInt(fractionDigits);
  const percentParts = new Intl.NumberFormat(locale, { style: "percent", numberingSystem: "latn" }).formatToParts(0);

  const split = (minor: bigint) => {
    const negative = minor < 0n;
    const magnitude = negative ? -minor : minor;
    const fraction = fractionDigits === 0 ? "" : (magnitude % scale).toString().padStart(fractionDigits, "0");
    return { negative, units: magnitude / scale, fraction };
  };
  const moneyParts = (minor: number | bigint) => {
    const { negative, units, fraction } = split(toBigInt(minor, "an amount"));
    return compose(currencyWhole, negative, units, currencyDecimal, fraction);
  };
  /** The currency symbol and the literal space that joins it to the number are left out. */
  const withoutCurrency = (parts: Part[]) => {
    const at = parts.findIndex((p) => p.type === "currency");
    if (at < 0) return parts;
    const keep = (p: Part, i: number) => i !== at && !(p.type === "literal" && (i === at - 1 || i === at + 1) && p.value.trim() === "");
    return parts.filter(keep);
  };

  return {
    locale,
    currency,
    fractionDigits,
    amount: (minor) => printableNumber(withoutCurrency(moneyParts(minor))),
    money: (minor) => printableNumber(moneyParts(minor)),
    quantity(thousandths, decimals = false) {
      const q = toBigInt(thousandths, "a quantity");
      const negative = q < 0n;
      const magnitude = negative ? -q : q;
      const units = magnitude / 1000n;
      const rest = magnitude % 1000n;
      const fraction = rest === 0n && !decimals ? "" : rest.toString().padStart(QUANTITY_DECIMALS, "0");
      return printableNumber(compose(plainWhole, negative, units, numberDecimal, fraction));
    },
    percent(millionths) {
      const digits = formatPercent(millionths).replace(".", numberDecimal);
      let placed = false;
      const parts = percentParts.flatMap((p): Part[] => {
        if (p.type === "integer") return placed ? [] : ((placed = true), [{ type: "integer", value: digits }]);
        return p.type === "decimal" || p.type === "fraction" || p.type === "group" ? [] : [p];
      });
      return printableNumber(parts);
    },
    dateTime(at, timeZone) {
      const ms = typeof at === "number" ? at : Date.parse(at);
      if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${String(at)}`);
      // Plain spaces: ICU versions differ on U+202F before "PM"; a date is never split by a wrap anyway.
      return printable(dateTimeFormat(locale, timeZone).format(new Date(ms)).replace(/\s/g, " "));
    },
  };
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

function dateTimeFormat(locale: string, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale}\u0000${timeZone}`;
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      timeZone,
      numberingSystem: "latn",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    });
    dateFormats.set(key, f);
  }
  return f;
}
