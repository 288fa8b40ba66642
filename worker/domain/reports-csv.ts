/**
 * A report as CSV (RFC 4180: comma-separated, CRLF line ends, fields with a comma, quote or line break quoted):
 * a header row, then one row per report row, the same figures as the JSON. Money stays integer minor units and
 * quantities thousandths, exactly as in the JSON. A list inside a row (the sales summary's tenders, by code)
 * becomes columns `tenders.CASH.amount` and so on; totals are not repeated (they are the sums of the rows).
 */

type Scalar = string | number | boolean | null;

const isObjectList = (v: unknown): v is Record<string, unknown>[] => Array.isArray(v) && v.every((x) => typeof x === "object" && x !== null && !Array.isArray(x));

/** One row's cells by column name, lists of coded objects spread into columns. */
function flatten(row: Record<string, unknown>): Map<string, Scalar> {
  const cells = new Map<string, Scalar>();
  for (const [key, value] of Object.entries(row)) {
    if (isObjectList(value)) {
      value.forEach((item, i) => {
        const label = String(item.code ?? item.id ?? i);
        for (const [k, v] of Object.entries(item)) if (k !== "code") cells.set(`${key}.${label}.${k}`, v as Scalar);
      });
    } else if (value === null || typeof value !== "object") {
      cells.set(key, value as Scalar);
    } else {
      cells.set(key, JSON.stringify(value));
    }
  }
  return cells;
}

const field = (v: Scalar | undefined): string => {
  if (v === null || v === undefined) return "";
  const text = String(v);
  // A cell that a spreadsheet would read as a formula is quoted with a leading apostrophe (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(text) && typeof v === "string" ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** The rows as CSV text: the header is every column any row has, in first-seen order. */
export function toCsv(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const flat = rows.map(flatten);
  const header = [...(columns ?? [])];
  for (const cells of flat) for (const k of cells.keys()) if (!header.includes(k)) header.push(k);
  const lines = [header.map((h) => field(h)).join(","), ...flat.map((cells) => header.map((h) => field(cells.get(h))).join(","))];
  return `${lines.join("\r\n")}\r\n`;
}
