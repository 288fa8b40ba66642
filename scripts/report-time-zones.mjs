#!/usr/bin/env node
/**
 * Prints the SQL that fills report_tz_offsets for the sales_aggregates_backfill migration: for every IANA time
 * zone this runtime knows, the UTC offset in force from each instant on (its changes between 2024 and 2029, to the
 * minute; the first offset also stands for everything before, the last for everything after). SQLite has no time
 * zone data, so the backfill of existing sales' business dates reads the offsets from this table.
 *
 *   node scripts/report-time-zones.mjs > /tmp/tz.sql
 */
const FROM = Date.UTC(2024, 0, 1);
const TO = Date.UTC(2029, 0, 1);
const DAY = 86_400_000;
const MINUTE = 60_000;
const formats = new Map();

function offset(at, timeZone) {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
    formats.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(at)).map((x) => [x.type, x.value]));
  const t = new Date(0);
  t.setUTCFullYear(Number(p.year), Number(p.month) - 1, Number(p.day));
  return t.setUTCHours(Number(p.hour), Number(p.minute), 0, 0) - Math.floor(at / MINUTE) * MINUTE;
}

const rows = [];
for (const zone of Intl.supportedValuesOf("timeZone").concat("UTC")) {
  let current = offset(FROM, zone);
  rows.push([zone, -8_640_000_000_000_000, current]);
  for (let day = FROM; day < TO; day += DAY) {
    const next = offset(day + DAY, zone);
    if (next === current) continue;
    // the change lies within this day: find its minute
    let lo = day;
    let hi = day + DAY;
    while (hi - lo > MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
      if (offset(mid, zone) === current) lo = mid;
      else hi = mid;
    }
    rows.push([zone, hi, next]);
    current = next;
  }
}
const quote = (s) => `'${s.replace(/'/g, "''")}'`;
const out = [];
for (let i = 0; i < rows.length; i += 300) {
  out.push(`INSERT OR IGNORE INTO report_tz_offsets (time_zone, from_ms, offset_ms) VALUES\n${rows.slice(i, i + 300).map(([z, f, o]) => `(${quote(z)}, ${f}, ${o})`).join(",\n")};`);
}
process.stdout.write(out.join("\n--> statement-breakpoint\n") + "\n");
