/**
 * A store's wall clock. Specials are written as local wall-clock times ("2026-12-01T08:00") meaning that time in
 * each store's own time zone, so "is it on now?" compares the store's local time with them as text: the format
 * is fixed-width, so text order is time order.
 *
 * Daylight saving time: a time in the gap when the clocks go forward (02:30 on 29 March 2026 in Stockholm) is
 * never read by the store's clock, so `instantsOf` finds no instant for it and specials refuse it at write
 * time rather than start "whenever the clock has passed it". A time in the overlap when the clocks go back
 * (02:30 on 25 October 2026) is read twice; a window is a window of wall-clock readings, so it is on whenever
 * the clock reads a time inside it, both times round.
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

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** The wall-clock time as if it were UTC, in epoch ms: the instant it would be at offset zero. */
function asUtc(local: LocalDateTime): number {
  const [date, time] = local.split("T") as [string, string];
  const [y, mo, d] = date.split("-").map(Number) as [number, number, number];
  const [h, mi] = time.split(":").map(Number) as [number, number];
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d); // not Date.UTC, which reads years 0-99 as 1900-1999
  return t.setUTCHours(h, mi, 0, 0);
}

/** The zone's offset from UTC (ms) at the instant `at`, to the minute. */
const offsetAt = (at: number, timeZone: string) => asUtc(localDateTime(at, timeZone)) - Math.floor(at / MINUTE_MS) * MINUTE_MS;

/**
 * The instants (epoch ms, ascending) at which a clock in `timeZone` reads `local`: one as a rule, none in a DST
 * gap (the clock skips it), two in the overlap (the clock reads it twice). A transition happens at most once
 * in a day around the time, so the offsets a day before and after (and at the time) are the only candidates.
 */
export function instantsOf(local: LocalDateTime, timeZone: string): number[] {
  const wall = asUtc(local);
  const offsets = new Set([offsetAt(wall - DAY_MS, timeZone), offsetAt(wall, timeZone), offsetAt(wall + DAY_MS, timeZone)]);
  const instants = [...offsets].map((offset) => wall - offset).filter((at) => localDateTime(at, timeZone) === local);
  return [...new Set(instants)].sort((a, b) => a - b);
}
