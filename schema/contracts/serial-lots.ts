import { z } from "zod";
import { Id, MultiLineText, SingleLineText, Timestamp, Version } from "./common";

/**
 * Serial and lot numbers of products: a SERIAL is one unit, a LOT a quantity (thousandths) of one batch,
 * usually with an expiry date. Each is at a store and has a status; the number is unique per product.
 */

export const SERIAL_LOT_KINDS = ["SERIAL", "LOT"] as const;
export const SERIAL_LOT_STATUSES = ["in_stock", "sold", "returned", "written_off"] as const;
export type SerialLotKind = (typeof SERIAL_LOT_KINDS)[number];
export type SerialLotStatus = (typeof SERIAL_LOT_STATUSES)[number];

/**
 * The statuses a number may move to from each status. Sold goods come back as returned (then go back into stock,
 * are sold again or written off); a written-off number that turns up again goes back into stock.
 */
export const SERIAL_LOT_TRANSITIONS: Record<SerialLotStatus, readonly SerialLotStatus[]> = {
  in_stock: ["sold", "written_off"],
  sold: ["returned"],
  returned: ["in_stock", "sold", "written_off"],
  written_off: ["in_stock"],
};

/** Where a number may change store: while it is on a shelf (in stock, or back from a customer). */
export const MOVABLE_STATUSES: readonly SerialLotStatus[] = ["in_stock", "returned"];

/** A serial or lot number as printed on the goods: one printable line, 1 to 64 characters, kept as written. */
export const SerialLotNumber = SingleLineText(64).min(1, "must not be empty");

/** A calendar date YYYY-MM-DD that exists. */
export const CalendarDate = z.iso.date({ error: "must be a date as YYYY-MM-DD" });

/** Thousandths of a unit, 0 or more (2000 = 2 units). */
const LotQuantity = z.int({ error: "must be an integer in thousandths of a unit (2000 = 2)" }).min(0).max(1_000_000_000);

export const ItemSerialLot = z.object({
  id: Id,
  productId: Id,
  kind: z.enum(SERIAL_LOT_KINDS),
  number: z.string(),
  storeId: Id.describe("The store it is at"),
  status: z.enum(SERIAL_LOT_STATUSES),
  quantity: z.int().nullable().describe("LOT: thousandths of a unit; SERIAL: null (one unit)"),
  expiryDate: z.string().nullable().describe("LOT: the last day it may be sold, YYYY-MM-DD; SERIAL: null"),
  notes: z.string().nullable(),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type ItemSerialLot = z.infer<typeof ItemSerialLot>;

export interface SerialLotShape {
  kind: SerialLotKind;
  quantity: number | null;
  expiryDate: string | null;
}

/** The rules of a number's kind, on a create body and on the row an update would leave. */
export function serialLotProblems(s: SerialLotShape): [keyof SerialLotShape, string][] {
  const problems: [keyof SerialLotShape, string][] = [];
  if (s.kind === "LOT" && s.quantity === null) problems.push(["quantity", "a LOT needs a quantity (thousandths of a unit)"]);
  if (s.kind === "SERIAL" && s.quantity !== null) problems.push(["quantity", "a SERIAL is one unit; leave quantity out"]);
  if (s.kind === "SERIAL" && s.expiryDate !== null) problems.push(["expiryDate", "only a LOT has an expiry date"]);
  return problems;
}

const fields = {
  number: SerialLotNumber,
  storeId: Id,
  status: z.enum(SERIAL_LOT_STATUSES),
  quantity: LotQuantity.nullable(),
  expiryDate: CalendarDate.nullable(),
  notes: MultiLineText(1000).nullable(),
};

export const CreateItemSerialLotBody = z
  .object({
    id: Id.optional(),
    productId: Id,
    kind: z.enum(SERIAL_LOT_KINDS),
    ...fields,
    storeId: Id.optional().describe("Where it is; your current store when left out (an API client must name one)"),
    status: fields.status.default("in_stock"),
    quantity: fields.quantity.default(null),
    expiryDate: fields.expiryDate.default(null),
    notes: fields.notes.default(null),
  })
  .superRefine((s, ctx) => {
    for (const [path, message] of serialLotProblems(s)) ctx.addIssue({ code: "custom", path: [path], message });
  });

/** The product and kind of a number never change; a status change must be one SERIAL_LOT_TRANSITIONS allows. */
export const UpdateItemSerialLotBody = z.object(fields).partial().extend({ version: Version.optional() });

export const ItemSerialLotQuery = z.object({
  productId: Id.optional(),
  storeId: Id.optional(),
  kind: z.enum(SERIAL_LOT_KINDS).optional(),
  status: z.enum(SERIAL_LOT_STATUSES).optional(),
  number: SerialLotNumber.optional().describe("Exactly this number (of any product)"),
  search: SingleLineText(64).optional().describe("Numbers containing this text"),
  expiresBefore: CalendarDate.optional().describe("LOTs whose expiry date is before this date"),
});
