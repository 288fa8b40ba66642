import { z } from "zod";
import { IdParams, PageQuery } from "../../../schema/contracts/common";
import { CreateUserBody, UpdateUserBody, User, UserListQuery, UserSummary } from "../../../schema/contracts/identity";
import { createUser, getUser, listUsers, storeEmployees, updateUser } from "../../domain/users";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "Users";

export const userRoutes = [
  route({
    method: "get", path: "/users/store-employees", tag, auth: "user",
    summary: "Active users who work in your current store",
    response: z.array(UserSummary),
    handler: (c) => storeEmployees(serviceContext(c)),
  }),
  route({
    method: "get", path: "/users", tag, auth: "user", permission: "users.view",
    summary: "List users", query: PageQuery.extend(UserListQuery.shape), response: User, paged: true,
    handler: (c, { query }) => listUsers(serviceContext(c), query),
  }),
  route({
    method: "get", path: "/users/:id", tag, auth: "user", permission: "users.view",
    summary: "Get a user", params: IdParams, response: User,
    handler: (c, { params }) => getUser(serviceContext(c), params.id),
  }),
  route({
    method: "post", path: "/users", tag, auth: "user", permission: "users.create",
    summary: "Create a user", description: "A PIN must be unique within every store the user is given a role in (409 PIN_IN_USE).",
    body: CreateUserBody, response: User, status: 201,
    errors: {
      409: "USERNAME_TAKEN: another user has the username; PIN_IN_USE: another user of one of the stores has the PIN; ID_TAKEN: the id you sent is already used",
      422: "UNKNOWN_REFERENCE: storeRoles names stores or roles that are not yours",
    },
    handler: (c, { body }) => createUser(serviceContext(c), c.env, body),
  }),
  route({
    method: "put", path: "/users/:id", tag, auth: "user", permission: "users.edit", versioned: true,
    summary: "Update a user",
    description: "Send the version you saw (`If-Match` or `version`); a stale one is 409 with the current user. `storeRoles` replaces the user's roles. A new PIN or password, a deactivation or new store roles end the user's sessions.",
    params: IdParams, body: UpdateUserBody, response: User,
    errors: {
      409: "USERNAME_TAKEN: another user has the username; PIN_IN_USE: another user of one of the stores has the PIN",
      422: "UNKNOWN_REFERENCE: storeRoles names stores or roles that are not yours; NO_CREDENTIAL: the change would leave the user with neither PIN nor password",
    },
    handler: (c, { params, body, expectedVersion }) => updateUser(serviceContext(c), c.env, params.id, body, expectedVersion),
  }),
];
