import { z } from "zod";
import { Customer, Department, SalesRep, TaxRate, Tender } from "./catalogue";
import { Id, Timestamp } from "./common";
import { ProductBanner, ProductNotice, ProductSection, ProductSortOption } from "./product-display";
import { Product } from "./products";
import { Special } from "./specials";
import { StorePrice } from "./store-prices";
import { Store } from "./stores";
import { PermissionName } from "./identity";

/**
 * GET /api/v1/sync/pull: the change feed as a till sees it. A page answers the changes after the cursor in
 * commit order (the feed's `seq`), each entity once in its current state (or a tombstone), the next cursor and
 * whether more is waiting. Tills use these schemas to read the answer.
 */

/**
 * What a till keeps offline, by the name the feed gives each entity. Store-scoped types (store_price,
 * register, store, and user as "the store's users") carry only the syncing device's store.
 */
export const SYNC_ENTITY_TYPES = [
  "tenant", "store", "register", "user", "department", "tax_rate", "tax_group", "product", "store_price", "special", "tender", "customer", "sales_rep",
  "product_banner", "product_notice", "product_section", "product_sort_option",
] as const;
export type SyncEntityType = (typeof SYNC_ENTITY_TYPES)[number];

export const SYNC_PULL_DEFAULT_LIMIT = 500;
export const SYNC_PULL_MAX_LIMIT = 1000;

const entityTypeList = z
  .string()
  .transform((s) => [...new Set(s.split(",").map((t) => t.trim()).filter(Boolean))].sort())
  .pipe(z.array(z.enum(SYNC_ENTITY_TYPES, { error: (i) => `unknown entity type ${JSON.stringify(i.input)}; one of ${SYNC_ENTITY_TYPES.join(", ")}` })));

export const SyncPullQuery = z.object({
  since: z.string().max(1000).optional().describe("The `cursor` of the previous page; empty or absent: from the beginning"),
  entity_type: entityTypeList.optional().describe(`Only these types, comma-separated (${SYNC_ENTITY_TYPES.join(", ")}); a cursor remembers the filter it was made with`),
  limit: z.coerce.number().int().min(1).max(SYNC_PULL_MAX_LIMIT).default(SYNC_PULL_DEFAULT_LIMIT)
    .describe(`Change-feed rows per page (default ${SYNC_PULL_DEFAULT_LIMIT}, at most ${SYNC_PULL_MAX_LIMIT}); compaction can make a page hold fewer changes`),
});

/** The tenant's settings a till prices and signs in with. */
export const SyncTenant = z.object({
  id: Id,
  name: z.string(),
  currency: z.string(),
  taxRounding: z.enum(["line", "document"]),
  pinLength: z.int(),
  allowUnreferencedReturns: z.boolean(),
  version: z.int(),
  updatedAt: Timestamp,
});

/** A register of the device's store. */
export const SyncRegister = z.object({
  id: Id, storeId: Id, code: z.string(), name: z.string(), isActive: z.boolean(), version: z.int(), createdAt: Timestamp, updatedAt: Timestamp,
});

/**
 * A PIN verifier for offline PIN login: PBKDF2-SHA256 of the PIN with this salt and iteration count (WebCrypto
 * deriveBits, 256 bits) equals `hash`. It verifies a PIN someone types; the server's own PIN lookup (an HMAC
 * under a server key) is never sent. Keep it where the till keeps its device credential.
 */
export const PinVerifier = z.object({
  algorithm: z.literal("PBKDF2-SHA256"),
  iterations: z.int(),
  /** base64url */
  salt: z.string(),
  /** base64url, 32 bytes */
  hash: z.string(),
});
export type PinVerifier = z.infer<typeof PinVerifier>;

/** A user who holds a role in the device's store, with what they may do there. */
export const SyncUser = z.object({
  id: Id,
  username: z.string(),
  displayName: z.string(),
  isActive: z.boolean(),
  /** Their roles in this store. */
  roles: z.array(z.object({ id: Id, name: z.string() })),
  /** The union of those roles' permissions in this store, sorted. */
  permissions: z.array(PermissionName),
  /** Null when the user has no PIN (password only). */
  pinVerifier: PinVerifier.nullable(),
  version: z.int(),
  updatedAt: Timestamp,
});

/** A tax group with its live rates in the order they apply (compound rates build on the ones before). */
export const SyncTaxGroup = z.object({
  id: Id,
  name: z.string(),
  rates: z.array(z.object({ id: Id, name: z.string(), rate: z.int().nullable(), rateMillionths: z.int(), isCompound: z.boolean(), sortOrder: z.int() })),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

/** Each type's current state, as an upsert carries it in `data`. */
export const SYNC_ENTITY_SCHEMAS = {
  tenant: SyncTenant,
  store: Store,
  register: SyncRegister,
  user: SyncUser,
  department: Department,
  tax_rate: TaxRate,
  tax_group: SyncTaxGroup,
  product: Product,
  store_price: StorePrice,
  special: Special,
  tender: Tender,
  customer: Customer,
  sales_rep: SalesRep,
  product_banner: ProductBanner,
  product_notice: ProductNotice,
  product_section: ProductSection,
  product_sort_option: ProductSortOption,
} as const satisfies Record<SyncEntityType, z.ZodType>;

const change = { id: Id, version: z.int(), seq: z.int().describe("The feed position of the entity's newest change in this page") };

const upserts = SYNC_ENTITY_TYPES.map((entity) =>
  z.object({ entity: z.literal(entity), op: z.literal("upsert"), ...change, data: SYNC_ENTITY_SCHEMAS[entity] }),
);

/**
 * Gone from this till's view: deleted, or (a user) deactivated or without a role in this store any more, or (a
 * special) no longer for this store. The till drops its copy; a tombstone of something it never had is harmless.
 */
export const SyncTombstone = z.object({ entity: z.enum(SYNC_ENTITY_TYPES), op: z.literal("delete"), ...change });

export const SyncChange = z.union([...upserts, SyncTombstone] as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]);
export type SyncChange =
  | { [K in SyncEntityType]: { entity: K; op: "upsert"; id: string; version: number; seq: number; data: z.infer<(typeof SYNC_ENTITY_SCHEMAS)[K]> } }[SyncEntityType]
  | z.infer<typeof SyncTombstone>;

export const SyncPullResult = z.object({
  changes: z.array(SyncChange).describe("In seq order; each entity at most once per page, in its current state"),
  cursor: z.string().describe("Opaque: send it as `since` for the next page (with the same entity_type)"),
  seq: z.int().describe("The change-feed position this page reached (what the store hub's notifications compare with)"),
  hasMore: z.boolean().describe("More changes are waiting: pull again at once with `cursor`"),
});
export type SyncPullResult = Omit<z.infer<typeof SyncPullResult>, "changes"> & { changes: SyncChange[] };
