import { z } from "zod";
import { IdParams, PageQuery } from "../../../schema/contracts/common";
import { CreateStoreBody, Store, UpdateStoreBody } from "../../../schema/contracts/stores";
import { DashboardQuery, StoreDashboard } from "../../../schema/contracts/reports";
import { storeDashboard } from "../../domain/store-dashboard";
import { createStore, getStore, listStores, updateStore } from "../../domain/stores";
import { route } from "../../http/route";
import { storeHub } from "../../store/hub-client";
import { serviceContext } from "./context";

const tag = "Stores";

export const storeRoutes = [
  route({
    method: "get", path: "/stores/current", tag, auth: "user",
    summary: "The store you are signed into", response: Store,
    handler: (c) => getStore(serviceContext(c), c.get("actor").storeId),
  }),
  route({
    method: "get", path: "/stores", tag, auth: "user", permission: "stores.view",
    summary: "List stores",
    query: PageQuery.extend({
      search: z.string().max(100).optional(),
      isActive: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
    }),
    response: Store, paged: true,
    handler: (c, { query }) => listStores(serviceContext(c), query),
  }),
  route({
    method: "get", path: "/stores/dashboard", tag, auth: "user", permission: "stores.view",
    summary: "Store dashboard: today's sales, open registers, low stock, sync state and the tills and bridges connected",
    description: "The store you are signed into, or store_id (stores.view needed there). Today is the store's local date. Money in integer minor units, quantities in thousandths.",
    query: DashboardQuery, response: StoreDashboard,
    errors: { 403: "MISSING_PERMISSION_IN_STORE: you lack stores.view in store_id", 404: "NOT_FOUND: store_id is not a store of your tenant" },
    handler: (c, { query }) => storeDashboard(serviceContext(c), query.store_id, (storeId) => storeHub(c.env, c.get("actor").tenantId, storeId).presence()),
  }),
  route({
    method: "get", path: "/stores/:id", tag, auth: "user", permission: "stores.view",
    summary: "Get a store", params: IdParams, response: Store,
    handler: (c, { params }) => getStore(serviceContext(c), params.id),
  }),
  route({
    method: "post", path: "/stores", tag, auth: "user", permission: "stores.create",
    summary: "Create a store",
    description: "You get the same roles (and PIN) in the new store as in the store you are signed into.",
    body: CreateStoreBody, response: Store, status: 201,
    errors: { 409: "STORE_CODE_TAKEN: another store has the code; ID_TAKEN: the id you sent is already used" },
    handler: (c, { body }) => createStore(serviceContext(c), body),
  }),
  route({
    method: "put", path: "/stores/:id", tag, auth: "user", permission: "stores.edit", versioned: true,
    summary: "Update a store", params: IdParams, body: UpdateStoreBody, response: Store,
    errors: {
      409: "STORE_CODE_TAKEN: another store has the code",
      422: "LAST_ADMINISTRATOR: deactivating the store would leave the tenant with no active user holding every permission in an active store",
    },
    handler: (c, { params, body, expectedVersion }) => updateStore(serviceContext(c), params.id, body, expectedVersion),
  }),
];
