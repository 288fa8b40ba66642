import { z } from "zod";
import { IdParams } from "../../../schema/contracts/common";
import { ActiveSpecial, ActiveSpecialsQuery, CreateSpecialBody, Special, SpecialQuery, UpdateSpecialBody } from "../../../schema/contracts/specials";
import { activeSpecials, createSpecial, deleteSpecial, getSpecial, listSpecials, updateSpecial } from "../../domain/specials";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "Specials";

const WINDOW = "startsAt and endsAt are local wall-clock times (YYYY-MM-DDTHH:mm) read in each store's own time zone; the window is [startsAt, endsAt). A time the clocks skip when daylight saving time starts (02:30 on 29 March 2026 in Europe/Stockholm) never happens there, so it is refused with 422 LOCAL_TIME_SKIPPED naming the field, checked in every store the special covers (every store when storeIds is empty). A time the clocks read twice when daylight saving time ends is accepted: the special is on whenever the store's clock reads a time inside the window, both times round.";

export const specialRoutes = [
  route({
    method: "get", path: "/specials/active", tag, auth: "user", permission: "specials.view",
    summary: "List the specials on now",
    description: `Specials switched on whose window contains each store's wall-clock time at the instant \`at\` (now when left out), with the stores where each is on. ${WINDOW}`,
    query: ActiveSpecialsQuery, response: z.array(ActiveSpecial), errors: { 404: "NOT_FOUND: storeId names no store of yours" },
    handler: (c, { query }) => activeSpecials(serviceContext(c), query),
  }),
  route({
    method: "get", path: "/specials", tag, auth: "user", permission: "specials.view",
    summary: "List specials", description: "`storeId` keeps specials that include the store (none listed = every store); `productId` those that list the product.",
    query: SpecialQuery, response: Special, paged: true,
    handler: (c, { query }) => listSpecials(serviceContext(c), query),
  }),
  route({
    method: "get", path: "/specials/:id", tag, auth: "user", permission: "specials.view",
    summary: "Get a special", params: IdParams, response: Special,
    handler: (c, { params }) => getSpecial(serviceContext(c), params.id),
  }),
  route({
    method: "post", path: "/specials", tag, auth: "user", permission: "specials.manage",
    summary: "Create a special",
    description: `kind 'price': value is the special's price in minor units; kind 'percent': value is basis points off (1..10000). At least one of productIds or departmentId. storeIds empty = every store. ${WINDOW}`,
    body: CreateSpecialBody, response: Special, status: 201,
    errors: { 409: "ID_TAKEN: the id you sent is already used", 422: "UNKNOWN_REFERENCE: productIds, departmentId or storeIds names rows that are not yours" },
    handler: (c, { body }) => createSpecial(serviceContext(c), body),
  }),
  route({
    method: "put", path: "/specials/:id", tag, auth: "user", permission: "specials.manage", versioned: true,
    summary: "Update a special", description: "Fields left out stay as they are; the special as it would then be is checked as on create.",
    params: IdParams, body: UpdateSpecialBody, response: Special,
    errors: { 422: "UNKNOWN_REFERENCE: productIds, departmentId or storeIds names rows that are not yours" },
    handler: (c, { params, body, expectedVersion }) => updateSpecial(serviceContext(c), params.id, body, expectedVersion),
  }),
  route({
    method: "delete", path: "/specials/:id", tag, auth: "user", permission: "specials.manage", versioned: true,
    summary: "Delete a special", description: "Soft delete: gone from the API; tills learn of it from the change feed.",
    params: IdParams, response: z.object({ id: z.uuid(), deleted: z.literal(true) }),
    handler: async (c, { params, expectedVersion }) => {
      await deleteSpecial(serviceContext(c), params.id, expectedVersion);
      return { id: params.id, deleted: true as const };
    },
  }),
];
