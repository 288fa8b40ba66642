import { IdParams } from "../../../schema/contracts/common";
import { CreateTenantBody, CreateTenantResult, Tenant, UpdateTenantBody } from "../../../schema/contracts/tenants";
import { createTenant, getTenant, updateTenant } from "../../domain/tenants";
import { issueCredentialReset } from "../../domain/credentials";
import { CredentialReset, IssueCredentialResetBody } from "../../../schema/contracts/auth";
import { route } from "../../http/route";

const tag = "Platform";

/** Platform operator routes: guarded by OPERATOR_SECRET, not by a user token. */
export const tenantRoutes = [
  route({
    method: "post", path: "/tenants", tag, auth: "operator",
    summary: "Onboard a tenant with its first store and administrator",
    description: "Creates the tenant, its first store, the default roles (Administrator, Manager, Cashier) and an administrator holding the Administrator role in that store.",
    body: CreateTenantBody, response: CreateTenantResult, status: 201,
    errors: { 409: "TENANT_SLUG_TAKEN: another tenant has the slug" },
    handler: (c, { body }) => createTenant(c.get("db"), c.env, c.get("request"), body),
  }),
  route({
    method: "get", path: "/tenants/:id", tag, auth: "operator",
    summary: "Get a tenant", params: IdParams, response: Tenant,
    handler: (c, { params }) => getTenant(c.get("db"), params.id),
  }),
  route({
    method: "patch", path: "/tenants/:id", tag, auth: "operator",
    summary: "Update a tenant's name, tax rounding or allowed browser origins",
    description: "Fields left out stay as they are. The change goes to the tenant's change feed. If another update of the tenant commits between this one's read and write, this one is 409 VERSION_CONFLICT with the tenant as it now is, and nothing of it is written.",
    params: IdParams, body: UpdateTenantBody, response: Tenant,
    errors: { 409: "VERSION_CONFLICT: another update of the tenant committed first" },
    handler: (c, { params, body }) => updateTenant(c.get("db"), c.get("request"), params.id, body),
  }),
  route({
    method: "post", path: "/tenants/:id/credential-resets", tag, auth: "operator", status: 201,
    summary: "Issue a one-time password reset for one of a tenant's administrators",
    description: "For a tenant that lost its administrators' passwords. The user must hold every permission in an active store (422 NOT_AN_ADMINISTRATOR otherwise). The code is answered once, works once, for an hour, at POST /api/v1/auth/credential-reset. Audited.",
    params: IdParams, body: IssueCredentialResetBody, response: CredentialReset,
    errors: { 422: "NOT_AN_ADMINISTRATOR: the user does not hold every permission in an active store" },
    handler: (c, { params, body }) => issueCredentialReset(c.get("db"), c.get("request"), params.id, body),
  }),
];
