import { z } from "zod";
import { IdParams, PageQuery } from "../../../schema/contracts/common";
import { CreateRoleBody, PermissionInfo, Role, RolePermissionsBody, UpdateRoleBody } from "../../../schema/contracts/identity";
import { createRole, getRole, listRoles, permissionCatalogue, setRolePermissions, updateRole } from "../../domain/roles";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "Roles";

export const roleRoutes = [
  route({
    method: "get", path: "/roles/permissions/all", tag, auth: "user", permission: "roles.view",
    summary: "Every permission a role can hold", response: z.array(PermissionInfo),
    handler: async () => permissionCatalogue(),
  }),
  route({
    method: "get", path: "/roles", tag, auth: "user", permission: "roles.view",
    summary: "List roles", query: PageQuery.extend({ search: z.string().max(100).optional() }), response: Role, paged: true,
    handler: (c, { query }) => listRoles(serviceContext(c), query),
  }),
  route({
    method: "get", path: "/roles/:id", tag, auth: "user", permission: "roles.view",
    summary: "Get a role", params: IdParams, response: Role,
    handler: (c, { params }) => getRole(serviceContext(c), params.id),
  }),
  route({
    method: "post", path: "/roles", tag, auth: "user", permission: "roles.manage",
    summary: "Create a role", body: CreateRoleBody, response: Role, status: 201,
    errors: { 409: "ROLE_NAME_TAKEN: another role has the name; ID_TAKEN: the id you sent is already used" },
    handler: (c, { body }) => createRole(serviceContext(c), body),
  }),
  route({
    method: "put", path: "/roles/:id", tag, auth: "user", permission: "roles.manage", versioned: true,
    summary: "Rename or describe a role", params: IdParams, body: UpdateRoleBody, response: Role,
    errors: { 409: "ROLE_NAME_TAKEN: another role has the name" },
    handler: (c, { params, body, expectedVersion }) => updateRole(serviceContext(c), params.id, body, expectedVersion),
  }),
  route({
    method: "put", path: "/roles/:id/permissions", tag, auth: "user", permission: "roles.manage", versioned: true,
    summary: "Replace a role's permission set",
    description: "Holders see the change at their next token refresh (access tokens live 15 minutes).",
    params: IdParams, body: RolePermissionsBody, response: Role,
    handler: (c, { params, body, expectedVersion }) => setRolePermissions(serviceContext(c), params.id, body, expectedVersion),
  }),
];
