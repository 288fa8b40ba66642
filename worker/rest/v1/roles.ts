import { z } from "zod";
import { IdParams, PageQuery } from "../../../schema/contracts/common";
import { CreateRoleBody, PermissionInfo, Role, RolePermissionsBody, UpdateRoleBody } from "../../../schema/contracts/identity";
import { createRole, getRole, listRoles, permissionCatalogue, setRolePermissions, updateRole } from "../../domain/roles";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "Roles";

/** A role applies wherever it is assigned, so changing it is bounded by what the editor holds in each of those stores. */
const BOUNDS =
  "You can change only a role whose permissions you hold, and give it only permissions you hold, in your current store and in every store where the role is assigned.";
const OUTRANKS = "ROLE_OUTRANKS_EDITOR: the role holds a permission you lack in your current store or a store where it is assigned";

export const roleRoutes = [
  route({
    method: "get", path: "/roles/permissions/all", tag, auth: "user", permission: "roles.view", auditRefusals: true,
    summary: "Every permission a role can hold", response: z.array(PermissionInfo),
    handler: async () => permissionCatalogue(),
  }),
  route({
    method: "get", path: "/roles", tag, auth: "user", permission: "roles.view", auditRefusals: true,
    summary: "List roles", query: PageQuery.extend({ search: z.string().max(100).optional() }), response: Role, paged: true,
    handler: (c, { query }) => listRoles(serviceContext(c), query),
  }),
  route({
    method: "get", path: "/roles/:id", tag, auth: "user", permission: "roles.view", auditRefusals: true,
    summary: "Get a role", params: IdParams, response: Role,
    handler: (c, { params }) => getRole(serviceContext(c), params.id),
  }),
  route({
    method: "post", path: "/roles", tag, auth: "user", permission: "roles.manage", auditRefusals: true,
    summary: "Create a role",
    description: "A new role may hold only permissions you hold in your current store.",
    body: CreateRoleBody, response: Role, status: 201,
    errors: {
      403: "ROLE_EXCEEDS_OWN: the role would hold a permission you lack in your current store",
      409: "ROLE_NAME_TAKEN: another role has the name; ID_TAKEN: the id you sent is already used",
    },
    handler: (c, { body }) => createRole(serviceContext(c), body),
  }),
  route({
    method: "put", path: "/roles/:id", tag, auth: "user", permission: "roles.manage", versioned: true, auditRefusals: true,
    summary: "Rename or describe a role", description: BOUNDS, params: IdParams, body: UpdateRoleBody, response: Role,
    errors: { 403: OUTRANKS, 409: "ROLE_NAME_TAKEN: another role has the name" },
    handler: (c, { params, body, expectedVersion }) => updateRole(serviceContext(c), params.id, body, expectedVersion),
  }),
  route({
    method: "put", path: "/roles/:id/permissions", tag, auth: "user", permission: "roles.manage", versioned: true, auditRefusals: true,
    summary: "Replace a role's permission set",
    description: `${BOUNDS} Permissions taken away end the sessions of the role's holders in the stores where they hold it, so the change takes effect at once; added ones show at the holders' next token refresh.`,
    params: IdParams, body: RolePermissionsBody, response: Role,
    errors: {
      403: `${OUTRANKS}; ROLE_EXCEEDS_OWN: the role would hold a permission you lack in one of those stores`,
      422: "LAST_ADMINISTRATOR: the tenant would have no active user holding every permission in an active store (checked in the write itself)",
    },
    handler: (c, { params, body, expectedVersion }) => setRolePermissions(serviceContext(c), params.id, body, expectedVersion),
  }),
];
