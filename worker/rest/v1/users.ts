import { z } from "zod";
import { IdParams, PageQuery } from "../../../schema/contracts/common";
import { CreateUserBody, UpdateUserBody, User, UserListQuery, UserSummary, UserWithIssuedPin } from "../../../schema/contracts/identity";
import { createUser, deleteUser, getUser, listUsers, resetUserPin, storeEmployees, updateUser } from "../../domain/users";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "Users";

/** The bounds every write to a user answers to (grants.ts), said once for the route documentation. */
const OUTRANKS = "TARGET_OUTRANKS_EDITOR: the user holds, in some store, a permission you lack there";
const grants = (permission: string) =>
  `NOT_USER_ADMIN_IN_STORE: a role is given or taken in a store where you lack ${permission}; GRANT_EXCEEDS_OWN: a role given or taken holds a permission you lack in its store (yourself included)`;
const LAST_ADMIN = "LAST_ADMINISTRATOR: the tenant would have no active user holding every permission in an active store (checked in the write itself)";

export const userRoutes = [
  route({
    method: "get", path: "/users/store-employees", tag, auth: "user",
    summary: "Active users who work in your current store",
    response: z.array(UserSummary),
    handler: (c) => storeEmployees(serviceContext(c)),
  }),
  route({
    method: "get", path: "/users", tag, auth: "user", permission: "users.view", auditRefusals: true,
    summary: "List users", query: PageQuery.extend(UserListQuery.shape), response: User, paged: true,
    handler: (c, { query }) => listUsers(serviceContext(c), query),
  }),
  route({
    method: "get", path: "/users/:id", tag, auth: "user", permission: "users.view", auditRefusals: true,
    summary: "Get a user", params: IdParams, response: User,
    handler: (c, { params }) => getUser(serviceContext(c), params.id),
  }),
  route({
    method: "post", path: "/users", tag, auth: "user", permission: "users.create", auditRefusals: true,
    summary: "Create a user",
    description: "PINs are never chosen (a body with `pin` is 400): unless `issuePin` is false the server generates one of the tenant's PIN length, unique among the PINs of every store the user is given a role in, and answers it once as `data.pin`; it is never shown again. You can give only roles you fully hold, in stores where you hold users.create.",
    body: CreateUserBody, response: UserWithIssuedPin, status: 201,
    errors: {
      403: grants("users.create"),
      409: "USERNAME_TAKEN: another user has the username; ID_TAKEN: the id you sent is already used; PIN_SPACE_FULL: no free PIN of the tenant's length is left in the user's stores",
      422: "UNKNOWN_REFERENCE: storeRoles names stores or roles that are not yours",
    },
    handler: (c, { body }) => createUser(serviceContext(c), c.env, body),
  }),
  route({
    method: "put", path: "/users/:id", tag, auth: "user", permission: "users.edit", versioned: true, auditRefusals: true,
    summary: "Update a user",
    description: "Send the version you saw (`If-Match` or `version`); a stale one is 409 with the current user. `storeRoles` replaces the user's roles. `pin` may only be null (remove the PIN); a new one comes from POST /users/:id/reset-pin. Being given a role in a store they had no role in issues a user who has a PIN a new one, answered once as `data.pin`. A new password, a removed PIN, a deactivation or new store roles end the user's sessions. You cannot change a user who holds a permission you lack in some store, nor give or take a role you do not fully hold.",
    params: IdParams, body: UpdateUserBody, response: UserWithIssuedPin,
    errors: {
      403: `${OUTRANKS}; ${grants("users.edit")}`,
      409: "USERNAME_TAKEN: another user has the username; PIN_SPACE_FULL: no free PIN of the tenant's length is left in the user's stores",
      422: `UNKNOWN_REFERENCE: storeRoles names stores or roles that are not yours; NO_CREDENTIAL: the change would leave the user with neither PIN nor password; ${LAST_ADMIN}`,
    },
    handler: (c, { params, body, expectedVersion }) => updateUser(serviceContext(c), c.env, params.id, body, expectedVersion),
  }),
  route({
    method: "post", path: "/users/:id/reset-pin", tag, auth: "user", permission: "users.edit", versioned: true, auditRefusals: true,
    summary: "Issue a user a new PIN",
    description: "The server generates a new PIN of the tenant's length, unique in each of the user's stores, and answers it once as `data.pin`. The old PIN stops working, a lock from wrong attempts is lifted, and the user's sessions end.",
    params: IdParams, response: UserWithIssuedPin,
    errors: { 403: OUTRANKS, 409: "PIN_SPACE_FULL: no free PIN of the tenant's length is left in the user's stores" },
    handler: (c, { params, expectedVersion }) => resetUserPin(serviceContext(c), c.env, params.id, expectedVersion),
  }),
  route({
    method: "delete", path: "/users/:id", tag, auth: "user", permission: "users.edit", versioned: true, auditRefusals: true,
    summary: "Delete a user",
    description: "Soft delete: the user is gone from the API and can no longer sign in; their sessions end, their PIN and store roles are removed, their username is free again, and tills learn of it from the change feed.",
    params: IdParams, response: z.object({ id: z.uuid(), deleted: z.literal(true) }),
    errors: { 403: OUTRANKS, 422: LAST_ADMIN },
    handler: async (c, { params, expectedVersion }) => {
      await deleteUser(serviceContext(c), params.id, expectedVersion);
      return { id: params.id, deleted: true as const };
    },
  }),
];
