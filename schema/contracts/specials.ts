import { z } from "zod";
import { Id, Money, Name, PageQuery, Search, Timestamp, Version } from "./common";

/** A wall-clock time "YYYY-MM-DDTHH:mm", read in each store's own time zone. */
export const LocalDateTime = z.string().superRefine((s, ctx) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(s);
  if (!m) return ctx.addIssue({ code: "custom", message: "must be a local date and time as YYYY-MM-DDTHH:mm" });
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi));
  const real = t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && t.getUTCHours() === h && t.getUTCMinutes() === mi;
  if (!real) ctx.addIssue({ code: "custom", message: "is not a real date and time" });
});

export const SPECIAL_KINDS = ["price", "percent"] as const;
export type SpecialKind = (typeof SPECIAL_KINDS)[number];

/** Ids as a set: at most 1000, none twice. */
const IdSet = (noun: string) => z.array(Id).max(1000).refine((ids) => new Set(ids).size === ids.length, `lists a ${noun} twice`);

export const Special = z.object({
  id: Id,
  name: z.string(),
  /** 'price': `value` is the special's price in minor units; 'percent': `value` is basis points off (1..10000). */
  kind: z.enum(SPECIAL_KINDS),
  value: z.int(),
  productIds: z.array(Id),
  departmentId: Id.nullable(),
  /** Empty: every store. */
  storeIds: z.array(Id),
  /** Local wall-clock time in each store's time zone; the window is [startsAt, endsAt). */
  startsAt: z.string(),
  endsAt: z.string(),
  isActive: z.boolean(),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Special = z.infer<typeof Special>;

export const ActiveSpecial = Special.extend({
  /** The stores (of those asked about) where the special is on at that instant. */
  activeStoreIds: z.array(Id),
});

const fields = {
  name: Name(200),
  kind: z.enum(SPECIAL_KINDS),
  value: z.int({ error: "must be an integer: minor units for a price special, basis points for a percent special" }),
  productIds: IdSet("product"),
  departmentId: Id.nullable(),
  storeIds: IdSet("store"),
  startsAt: LocalDateTime,
  endsAt: LocalDateTime,
  isActive: z.boolean(),
};

export interface SpecialShape {
  kind: SpecialKind;
  value: number;
  productIds: string[];
  departmentId: string | null;
  startsAt: string;
  endsAt: string;
}

/**
 * The rules that tie a special's fields together, as [field, message] pairs: checked on a create body and on
 * the row an update would leave (an update may change one field of a pair).
 */
export function specialProblems(s: SpecialShape): [keyof SpecialShape, string][] {
  const problems: [keyof SpecialShape, string][] = [];
  if (s.kind === "percent" && (s.value < 1 || s.value > 10_000)) problems.push(["value", "must be 1 to 10000 basis points off for a percent special"]);
  if (s.kind === "price" && !Money.safeParse(s.value).success) problems.push(["value", "must be a price in minor units, 0 or more, for a price special"]);
  if (s.productIds.length === 0 && !s.departmentId) problems.push(["productIds", "a special needs products or a department"]);
  if (!(s.startsAt < s.endsAt)) problems.push(["endsAt", "must be after startsAt"]);
  return problems;
}

const checked = (s: SpecialShape, ctx: z.RefinementCtx) => {
  for (const [path, message] of specialProblems(s)) ctx.addIssue({ code: "custom", path: [path], message });
};

export const CreateSpecialBody = z
  .object({
    id: Id.optional(),
    ...fields,
    productIds: fields.productIds.default([]),
    departmentId: fields.departmentId.optional().transform((d) => d ?? null),
    storeIds: fields.storeIds.default([]),
    isActive: fields.isActive.default(true),
  })
  .superRefine(checked);

/** Fields left out stay as they are; the rules above are checked on the result. */
export const UpdateSpecialBody = z.object(fields).partial().extend({ version: Version.optional() });

export const SpecialQuery = PageQuery.extend({
  search: Search,
  isActive: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
  storeId: Id.optional(),
  productId: Id.optional(),
});

export const ActiveSpecialsQuery = z.object({
  /** The instant to answer for (ISO 8601 with an offset); now when left out. */
  at: z.iso.datetime({ offset: true }).optional(),
  storeId: Id.optional(),
});
