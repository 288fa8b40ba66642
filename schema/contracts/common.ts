import { z } from "zod";

import { SingleLineText } from "./text";

export { MultiLineText, Name, SingleLineText } from "./text";

/**
 * A UUID, taken in lower case: ids are compared as text in D1, so an upper-case copy of an id must find its row
 * and must not make a second one. (`toLowerCase` is an overwrite: the JSON Schema stays a plain uuid string.)
 */
export const Id = z.uuid({ error: "must be a UUID" }).toLowerCase();

/** Client-supplied optimistic-concurrency version (also accepted as an `If-Match` header). */
export const Version = z.int().min(1);

export const IdParams = z.object({ id: Id });

/** A list's `search` (what it matches is the list's to say): empty or blank is no filter, as if left out. */
export const Search = SingleLineText(100).optional();

export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});
export type PageQuery = z.infer<typeof PageQuery>;

const currencies = new Set(Intl.supportedValuesOf("currency"));
export const CurrencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as SEK")
  .refine((c) => currencies.has(c), "is not an ISO 4217 currency");

export const TimeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, "must be an IANA time zone such as Europe/Stockholm");

export const Pin = z.string().regex(/^\d{4,8}$/, "must be 4 to 8 digits");
export const Password = z.string().min(8, "must be at least 8 characters").max(128);
export const Username = z
  .string()
  .regex(/^[A-Za-z0-9._@-]{2,64}$/, "must be 2 to 64 letters, digits or . _ @ -")
  .transform((u) => u.toLowerCase());

export const Timestamp = z.iso.datetime();

/** The envelope every REST answer uses. */
export const envelope = <T extends z.ZodType>(data: T) =>
  z.object({ success: z.literal(true), data });
export const pagedEnvelope = <T extends z.ZodType>(item: T) =>
  z.object({
    success: z.literal(true),
    data: z.array(item),
    total: z.int(),
    page: z.int(),
    pageSize: z.int(),
  });

export const ErrorEnvelope = z.object({
  success: z.literal(false),
  error: z.string(),
  code: z.string(),
  fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  requestId: z.string().optional(),
});

/** Money: integer minor units (öre, cents). Prices are never negative; 10^12 minor units is far past any price. */
export const Money = z.int({ error: "must be an integer amount in minor units (öre, cents)" }).min(0).max(1_000_000_000_000);
/** A quantity in thousandths of a unit (2000 = 2 units); negative on a return line, never zero. */
export const Quantity = z.int({ error: "must be an integer in thousandths of a unit (2000 = 2)" }).min(-1_000_000_000).max(1_000_000_000)
  .refine((q) => q !== 0, "must not be zero");
/** Basis points: 825 = 8.25 %; at most 100 %. */
export const BasisPoints = z.int({ error: "must be an integer in basis points (825 = 8.25 %)" }).min(0).max(10_000);
/** A rate in millionths, for rates finer than a basis point: 9.975 % = 99750; at most 100 %. */
export const RateMillionths = z.int({ error: "must be an integer in millionths (9.975 % = 99750)" }).min(0).max(1_000_000);
