import { IdParams } from "../../../schema/contracts/common";
import { CreateTenantBody, CreateTenantResult, Tenant, UpdateTenantBody } from "../../../schema/contracts/tenants";
import { createTenant, getTenant, updateTenant } from "../../domain/tenants";
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
];
