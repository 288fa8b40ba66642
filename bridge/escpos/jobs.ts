/**
 * The print jobs that are not receipts: a drawer kick, a test page, raw ESC/POS. Each starts with ESC @.
 */
import { labelRow } from "../../schema/receipt/text";
import { drawerCommand, INIT } from "./commands";
import { EscposJob } from "./job";
import type { PrinterProfile } from "./profile";

export interface DrawerKick {
  /** The drawer port's pin the drawer's solenoid is on: 2 (most drawers) or 5 (a second drawer). */
  readonly pin: 2 | 5;
  /** The pulse: on for onMs, then off for offMs; each sent in units of 2 ms, 2 to 510 ms. */
  readonly onMs: number;
  readonly offMs: number;
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** ESC @, ESC p m t1 t2: open the cash drawer on the printer's drawer port. */
export const drawerKick = ({ pin, onMs, offMs }: DrawerKick): Uint8Array => concat(INIT, drawerCommand(pin, onMs, offMs));

/** Raw ESC/POS from a job, passed through as it is after ESC @ (so no state of an earlier job applies to it). */
export function rawJob(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("a raw job's bytes are a Uint8Array");
  return concat(INIT, bytes);
}

/** The characters a shop's receipts need most: a code page that lacks one prints "?" for it. */
export const TEST_CHARACTERS = ["Svenska: åäö ÅÄÖ", "Dansk/norsk: æø ÆØ", "Euro: € 12,50", "Deutsch: ü ß", "Français: é è ç"] as const;

/** A page that shows what the printer is set up as: its profile, a column ruler, the characters, styles, codes. */
export async function testPage(profile: PrinterProfile): Promise<Uint8Array> {
  const job = await EscposJob.start(profile);
  const { columns } = profile;
  const r = job.resolved;
  if (profile.logo) await job.image(profile.logo);
  await job.line("Test page", { bold: true, align: "center", height: 2 });
  const rows: [string, string][] = [
    ["Model", r.model],
    ["Columns", String(columns)],
    ["Code page", `${profile.codePage} (ESC t ${r.codePageNumber})`],
    ["Cut", profile.cut],
  ];
  for (const [label, value] of rows) for (const l of labelRow(label, value, columns)) await job.line(l);
  await job.line("1234567890".repeat(Math.ceil(columns / 10)).slice(0, columns));
  await job.line("-".repeat(columns));
  for (const l of TEST_CHARACTERS) await job.line(l);
  await job.line("-".repeat(columns));
  await job.line("Bold", { bold: true });
  await job.line("Double height", { height: 2 });
  await job.line("Centred", { align: "center" });
  await job.line("Right", { align: "right" });
  if (await job.barcode("TEST-123")) await job.feed(1);
  await job.qr("pos:test-page");
  await job.cut();
  return job.bytes();
}
