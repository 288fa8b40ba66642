import { z } from "zod";
import { Id, MultiLineText, Name, Search, Timestamp, Version } from "./common";

/**
 * What a till shows around the catalogue: banners, product notices, the sections of its product layout and
 * the ways it sorts product lists. Each is a synced entity (version, soft delete, change feed); a PUT changes
 * the fields it names, and the rules tying fields together (`…Problems`) are checked on the row it would leave.
 */

export const NOTICE_SEVERITIES = ["info", "warning", "requires_confirmation"] as const;
export const SORT_FIELDS = ["name", "price", "sku", "created", "popularity"] as const;
export const SORT_DIRECTIONS = ["asc", "desc"] as const;

const synced = { id: Id, version: z.int(), createdAt: Timestamp, updatedAt: Timestamp };
const ActiveFilter = z.enum(["true", "false"]).transform((v) => v === "true").optional();
/** Where an entry comes in its list: lower first, then by name. */
const SortOrder = z.int({ error: "must be an integer (lower comes first)" }).min(0).max(100_000);
/** An instant with its offset ("2026-12-01T08:00:00+01:00"); answered in UTC. */
const Instant = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with offset, e.g. 2026-12-01T08:00:00+01:00" });
/** Ids as a set: none twice. (Refinements, not .max(): see catalogue.ts.) */
const IdSet = (noun: string, max: number) =>
  z.array(Id).refine((ids) => ids.length <= max, `lists at most ${max} ${noun}s`).refine((ids) => new Set(ids).size === ids.length, `lists a ${noun} twice`);
/** Printable text that may break lines, not blank. */
const Text = (max: number) => MultiLineText(max).refine((s) => s.trim().length > 0, "must not be empty");
const update = <T extends z.ZodRawShape>(shape: T) => z.object(shape).partial().extend({ version: Version.optional() });

export type Problem<K extends string> = [K, string];
const addProblems = <K extends string>(problems: Problem<K>[], ctx: z.RefinementCtx) => {
  for (const [path, message] of problems) ctx.addIssue({ code: "custom", path: [path], message });
};

// Banners

/** An https URL with a host name and no credentials in it: what a till may load an image from. */
function isHttpsUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "https:" && z.regexes.domain.test(url.hostname) && !url.username && !url.password;
  } catch {
    return false;
  }
}

export const HttpsUrl = z.string().trim().max(2048).refine(isHttpsUrl, "must be an https:// URL with a host name (no user or password in it)");

export const ProductBanner = z.object({
  ...synced,
  title: z.string(),
  text: z.string().nullable(),
  imageUrl: z.string().nullable().describe("https only"),
  productId: Id.nullable().describe("A tap opens this product; at most one of productId and departmentId"),
  departmentId: Id.nullable().describe("A tap opens this department (product group)"),
  activeFrom: Timestamp.nullable().describe("Shown from this instant (UTC); null: from now on"),
  activeUntil: Timestamp.nullable().describe("Shown until this instant (UTC), exclusive; null: until switched off"),
  sortOrder: z.int(),
  isActive: z.boolean(),
});
export type ProductBanner = z.infer<typeof ProductBanner>;

const bannerFields = {
  title: Name(200),
  text: MultiLineText(1000).nullable(),
  imageUrl: HttpsUrl.nullable(),
  productId: Id.nullable(),
  departmentId: Id.nullable(),
  activeFrom: Instant.nullable(),
  activeUntil: Instant.nullable(),
  sortOrder: SortOrder,
  isActive: z.boolean(),
};

export interface BannerShape {
  productId: string | null;
  departmentId: string | null;
  /** Epoch ms. */
  activeFrom: number | null;
  activeUntil: number | null;
}

export function bannerProblems(b: BannerShape): Problem<keyof BannerShape>[] {
  const problems: Problem<keyof BannerShape>[] = [];
  if (b.productId && b.departmentId) problems.push(["departmentId", "a banner links to a product or a department, not both"]);
  if (b.activeFrom !== null && b.activeUntil !== null && !(b.activeFrom < b.activeUntil)) problems.push(["activeUntil", "must be after activeFrom"]);
  return problems;
}

const ms = (iso: string | null | undefined) => (iso == null ? null : Date.parse(iso));

export const CreateProductBannerBody = z
  .object({
    id: Id.optional(),
    ...bannerFields,
    text: bannerFields.text.default(null),
    imageUrl: bannerFields.imageUrl.default(null),
    productId: bannerFields.productId.default(null),
    departmentId: bannerFields.departmentId.default(null),
    activeFrom: bannerFields.activeFrom.default(null),
    activeUntil: bannerFields.activeUntil.default(null),
    sortOrder: SortOrder.default(0),
    isActive: z.boolean().default(true),
  })
  .superRefine((b, ctx) => addProblems(bannerProblems({ ...b, activeFrom: ms(b.activeFrom), activeUntil: ms(b.activeUntil) }), ctx));
export const UpdateProductBannerBody = update(bannerFields);

export const ProductBannerQuery = z.object({
  search: Search.describe("Matches the title and text"),
  isActive: ActiveFilter,
  activeAt: Instant.optional().describe("Only banners showing at this instant: switched on, inside their window"),
  productId: Id.optional(),
  departmentId: Id.optional(),
});

// Notices

export const ProductNotice = z.object({
  ...synced,
  name: z.string().describe("The back office's name for it, unique per tenant"),
  text: z.string().describe("What the till shows"),
  severity: z.enum(NOTICE_SEVERITIES).describe("requires_confirmation: the cashier confirms before the line is added"),
  minimumAge: z.int().nullable().describe("The age to check (with requires_confirmation only)"),
  productIds: z.array(Id),
  departmentIds: z.array(Id).describe("Every product of these departments"),
  isActive: z.boolean(),
});
export type ProductNotice = z.infer<typeof ProductNotice>;

const noticeFields = {
  name: Name(100),
  text: Text(1000),
  severity: z.enum(NOTICE_SEVERITIES),
  minimumAge: z.int({ error: "must be a whole number of years" }).min(1).max(150).nullable(),
  productIds: IdSet("product", 1000),
  departmentIds: IdSet("department", 200),
  isActive: z.boolean(),
};

export interface NoticeShape {
  severity: (typeof NOTICE_SEVERITIES)[number];
  minimumAge: number | null;
  productIds: string[];
  departmentIds: string[];
}

export function noticeProblems(n: NoticeShape): Problem<keyof NoticeShape>[] {
  const problems: Problem<keyof NoticeShape>[] = [];
  if (n.productIds.length === 0 && n.departmentIds.length === 0) problems.push(["productIds", "a notice applies to products or departments; name at least one"]);
  if (n.minimumAge !== null && n.severity !== "requires_confirmation") problems.push(["minimumAge", "an age check needs severity requires_confirmation"]);
  return problems;
}

export const CreateProductNoticeBody = z
  .object({
    id: Id.optional(),
    ...noticeFields,
    minimumAge: noticeFields.minimumAge.default(null),
    productIds: noticeFields.productIds.default([]),
    departmentIds: noticeFields.departmentIds.default([]),
    isActive: z.boolean().default(true),
  })
  .superRefine((n, ctx) => addProblems(noticeProblems(n), ctx));
export const UpdateProductNoticeBody = update(noticeFields);

export const ProductNoticeQuery = z.object({
  search: Search.describe("Matches the name and text"),
  isActive: ActiveFilter,
  severity: z.enum(NOTICE_SEVERITIES).optional(),
  productId: Id.optional().describe("Notices that apply to this product: listing it, or its department"),
  departmentId: Id.optional().describe("Notices listing this department"),
});

// Sections

const Color = z.string().regex(/^#[0-9A-Fa-f]{6}$/, "must be a colour as #RRGGBB").transform((c) => c.toUpperCase());

export const ProductSection = z.object({
  ...synced,
  name: z.string(),
  productIds: z.array(Id).describe("In the order the till shows them"),
  color: z.string().nullable().describe("#RRGGBB; null: the till's own"),
  sortOrder: z.int(),
  isActive: z.boolean(),
});
export type ProductSection = z.infer<typeof ProductSection>;

const sectionFields = {
  name: Name(100),
  productIds: IdSet("product", 500),
  color: Color.nullable(),
  sortOrder: SortOrder,
  isActive: z.boolean(),
};

export const CreateProductSectionBody = z.object({
  id: Id.optional(),
  ...sectionFields,
  productIds: sectionFields.productIds.default([]),
  color: sectionFields.color.default(null),
  sortOrder: SortOrder.default(0),
  isActive: z.boolean().default(true),
});
export const UpdateProductSectionBody = update(sectionFields);

export const ProductSectionQuery = z.object({
  search: Search.describe("Matches the name"),
  isActive: ActiveFilter,
  productId: Id.optional().describe("Sections holding this product"),
});

// Sort options

export const ProductSortOption = z.object({
  ...synced,
  name: z.string(),
  field: z.enum(SORT_FIELDS),
  direction: z.enum(SORT_DIRECTIONS),
  isDefault: z.boolean().describe("The tenant's default sort (at most one)"),
  sortOrder: z.int(),
  isActive: z.boolean(),
});
export type ProductSortOption = z.infer<typeof ProductSortOption>;

const sortOptionFields = {
  name: Name(100),
  field: z.enum(SORT_FIELDS),
  direction: z.enum(SORT_DIRECTIONS),
  isDefault: z.boolean(),
  sortOrder: SortOrder,
  isActive: z.boolean(),
};

export interface SortOptionShape {
  isDefault: boolean;
  isActive: boolean;
}

export function sortOptionProblems(s: SortOptionShape): Problem<keyof SortOptionShape>[] {
  return s.isDefault && !s.isActive ? [["isActive", "the default sort option must be active"]] : [];
}

export const CreateProductSortOptionBody = z
  .object({ id: Id.optional(), ...sortOptionFields, isDefault: z.boolean().default(false), sortOrder: SortOrder.default(0), isActive: z.boolean().default(true) })
  .superRefine((s, ctx) => addProblems(sortOptionProblems(s), ctx));
export const UpdateProductSortOptionBody = update(sortOptionFields);

export const ProductSortOptionQuery = z.object({ isActive: ActiveFilter });
