import { environmentOf, storeList, type StoreRow, type TenantRow } from "../../domain/tenant-reads";
import { storesByIds } from "../../domain/catalogue-reads";
import { ALL_PERMISSIONS } from "../../../schema/permissions";
import { authorize } from "../authorize";
import { builder } from "../builder";
import { defineLoader } from "../loaders";
import { listOf, pageResult, syncArgs } from "../paging";

/** The version of this API, as `environment` answers it. */
export const API_VERSION = "2026-12";

export const storeLoader = defineLoader((ctx, ids: readonly string[]) => storesByIds(ctx.caller, ctx.reads, ids));

export const Location = builder.objectRef<StoreRow>("Location").implement({
  description: "A location: a store of the tenant (REST: /api/v1/stores).",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The store's id (a UUID)." }),
    code: t.exposeString("code", { description: "The store's code, unique in the tenant (e.g. S001)." }),
    name: t.exposeString("name", { description: "The store's name." }),
    currency: t.exposeString("currency", { description: "The store's ISO 4217 currency: every amount of the store is integer minor units of it." }),
    timeZone: t.exposeString("timeZone", { description: "The store's IANA time zone (its business days, specials' windows)." }),
    pricesIncludeTax: t.exposeBoolean("pricesIncludeTax", { description: "Whether prices include tax (VAT) or tax is added on top (sales tax)." }),
    cashRoundingUnit: t.exposeInt("cashRoundingUnit", { description: "Cash totals are rounded to a multiple of this many minor units (1 = none)." }),
    address: t.exposeString("address", { nullable: true, description: "The store's address, if given." }),
    phone: t.exposeString("phone", { nullable: true, description: "The store's phone number, if given." }),
    isActive: t.exposeBoolean("isActive", { description: "Whether the store is active." }),
    deleted: t.boolean({ description: "Whether the store was deleted (only since-paging answers deleted stores).", resolve: (s) => s.deletedAt !== null }),
    version: t.exposeInt("version", { description: "The row's version, raised by every change." }),
    updatedAt: t.field({ type: "DateTime", description: "When the store last changed.", resolve: (s) => s.updatedAt }),
  }),
});

const LocationPage = pageResult("LocationPage", Location, "A page of locations (stores).");

builder.queryField("location", (t) =>
  t.field({
    type: LocationPage,
    description: "Locations (stores), by code. Sync-style: `since` and `until`. Needs stores.view.",
    args: {
      id: t.arg.id({ required: false, description: "Only the store of this id." }),
      code: t.arg.string({ required: false, description: "Only the store of this code." }),
      ...syncArgs,
    },
    resolve: async (_root, args, ctx) => {
      authorize(ctx, "stores.view");
      const page = await storeList(ctx.caller, ctx, { ...listOf(args), id: args.id ? String(args.id) : null, code: args.code });
      return { items: page.rows, hasMoreResults: page.hasMore, until: page.until };
    },
  }),
);

const Tenant = builder.objectRef<TenantRow>("Tenant").implement({
  description: "The tenant: the business whose data the caller reads.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The tenant's id (a UUID)." }),
    slug: t.exposeString("slug", { description: "The tenant's slug (what users sign in with)." }),
    name: t.exposeString("name", { description: "The tenant's name." }),
    currency: t.exposeString("currency", { description: "The tenant's ISO 4217 currency, where a store does not say otherwise. Money is integer minor units." }),
    taxRounding: t.exposeString("taxRounding", { description: "`line`: tax is rounded per line; `document`: per rate, once per sale." }),
  }),
});

interface CallerShape {
  kind: "user" | "client";
  id: string;
  storeId: string | null;
  permissions: string[];
}

const Caller = builder.objectRef<CallerShape>("Caller").implement({
  description: "Who is asking: a signed-in user or an API client.",
  fields: (t) => ({
    kind: t.exposeString("kind", { description: "`user` (a person's token from REST login) or `client` (an API client's token)." }),
    id: t.exposeID("id", { description: "The user's or API client's id." }),
    storeId: t.exposeID("storeId", { nullable: true, description: "A user's current store (their permissions hold there); null for an API client, whose permissions hold in every store." }),
    permissions: t.exposeStringList("permissions", { description: "The permissions the caller holds (see `GET /api/v1/roles/permissions/all`)." }),
  }),
});

interface EnvironmentShape {
  tenant: TenantRow;
  caller: CallerShape;
  store: StoreRow | null;
  now: number;
}

const Environment = builder.objectRef<EnvironmentShape>("Environment").implement({
  description: "The environment the caller works in.",
  fields: (t) => ({
    tenant: t.field({ type: Tenant, description: "The caller's tenant.", resolve: (e) => e.tenant }),
    caller: t.field({ type: Caller, description: "Who is asking.", resolve: (e) => e.caller }),
    currency: t.string({ description: "The tenant's ISO 4217 currency; all money is integer minor units (öre, cents).", resolve: (e) => e.tenant.currency }),
    currentLocation: t.field({ type: Location, nullable: true, description: "A user's current store; null for an API client.", resolve: (e) => e.store }),
    locations: t.field({
      type: [Location],
      description: "Every live store of the tenant, by code. Needs stores.view.",
      resolve: async (_e, _args, ctx) => {
        authorize(ctx, "stores.view");
        return (await storeList(ctx.caller, ctx, { since: null, first: 1000, skip: 0 })).rows;
      },
    }),
    serverTime: t.field({ type: "DateTime", description: "The server's clock when it answered (UTC).", resolve: (e) => e.now }),
    apiVersion: t.string({ description: "The version of this API.", resolve: () => API_VERSION }),
  }),
});

builder.queryField("environment", (t) =>
  t.field({
    type: Environment,
    description: "The tenant, the caller, the stores, the currency, the server's time and the API version. Needs only a valid token (`locations` needs stores.view).",
    resolve: async (_root, _args, ctx) => {
      const { principal, request } = ctx.caller;
      const { tenant, store } = await environmentOf(ctx.caller);
      const permissions = ALL_PERMISSIONS.filter((p) => principal.permissions.has(p));
      return { tenant, store, now: request.now, caller: { kind: principal.kind, id: principal.actorId, storeId: principal.storeId, permissions } };
    },
  }),
);
