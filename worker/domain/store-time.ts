/**
 * A store's wall clock. Specials are written as local wall-clock times ("2026-12-01T08:00") meaning that time in
 * each store's own time zone, so "is it on now?" compares the store's local time with them as text: the format
 * is fixed-width, so text order is time order. DST needs no special case: a store's clock simply reads what it
 * reads (a window starting in the skipped hour starts when the clock jumps past it).
 */

/** "YYYY-MM-DDTHH:mm", minutes precision (seconds cut off: 09:29:59 is still "09:29"). */
export type LocalDateTime = string;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock time in `timeZone` at the instant `at` (epoch ms). */
export function localDateTime(at: number, timeZone: string): LocalDateTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(at))) parts[p.type] = p.value;
  const year = parts.year!.padStart(4, "0");
  return `${year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** Every time zone's offset lies within these bounds of UTC (−12:00 … +14:00), with an hour to spare. */
const EARLIEST_OFFSET_MS = -13 * 3_600_000;
const LATEST_OFFSET_MS = 15 * 3_600_000;

/**
 * The range of wall-clock times that any store anywhere could read at the instant `at`: a window that contains
 * none of it is on in no store, which lets a query narrow specials down before it knows the stores' zones.
 */
export function localTimeBounds(at: number): { earliest: LocalDateTime; latest: LocalDateTime } {
  return { earliest: localDateTime(at + EARLIEST_OFFSET_MS, "UTC"), latest: localDateTime(at + LATEST_OFFSET_MS, "UTC") };
}
