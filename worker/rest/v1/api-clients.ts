import { IdParams } from "../../../schema/contracts/common";
import { ApiClient, ApiClientListQuery, ApiClientWithSecret, CreateApiClientBody, UpdateApiClientBody } from "../../../schema/contracts/api-clients";
import { createApiClient, getApiClient, listApiClients, revokeApiClient, rotateApiClientSecret, updateApiClient } from "../../domain/api-clients";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "API clients";
const bound = "A client's permissions hold in every store of the tenant, so you may give only permissions you hold in every store.";
const outranks = "CLIENT_OUTRANKS_EDITOR: the client holds permissions you lack in some store";
const grantExceeds = "CLIENT_GRANT_EXCEEDS_OWN: you lack some of these permissions in some store (the message names them)";

/** Integrators' OAuth client credentials (POST /oauth/token), managed by an administrator. */
export const apiClientRoutes = [
  route({
    method: "get", path: "/api-clients", tag, auth: "user", permission: "api_clients.manage",
    summary: "The tenant's API clients, newest first (never their secrets)",
    query: ApiClientListQuery, response: ApiClient, paged: true,
    handler: (c, { query }) => listApiClients(serviceContext(c), query),
  }),
  route({
    method: "post", path: "/api-clients", tag, auth: "user", permission: "api_clients.manage", status: 201,
    summary: "Create an API client; the answer holds its client_id and its secret, shown this once",
    description: `The server makes the client_id (unique across tenants) and a random secret, stored only as a hash. ${bound}`,
    body: CreateApiClientBody, response: ApiClientWithSecret,
    errors: { 403: grantExceeds },
    handler: (c, { body }) => createApiClient(serviceContext(c), body),
  }),
  route({
    method: "get", path: "/api-clients/:id", tag, auth: "user", permission: "api_clients.manage",
    summary: "An API client (never its secret)", params: IdParams, response: ApiClient,
    handler: (c, { params }) => getApiClient(serviceContext(c), params.id),
  }),
  route({
    method: "put", path: "/api-clients/:id", tag, auth: "user", permission: "api_clients.manage", versioned: true,
    summary: "Rename an API client or change its permissions",
    description: `Taking a permission away stops the writes of the client's tokens that carry it at once. ${bound}`,
    params: IdParams, body: UpdateApiClientBody, response: ApiClient,
    errors: { 403: `${grantExceeds}; ${outranks}`, 409: "CLIENT_REVOKED: the client is revoked" },
    handler: (c, { params, body, expectedVersion }) => updateApiClient(serviceContext(c), params.id, body, expectedVersion),
  }),
  route({
    method: "post", path: "/api-clients/:id/rotate", tag, auth: "user", permission: "api_clients.manage",
    summary: "Rotate an API client's secret: a new one, shown this once",
    description: "The old secret fails from now on, and every token issued with it stops writing at once (reads run to the end of the token's five minutes).",
    params: IdParams, response: ApiClientWithSecret,
    errors: { 403: outranks, 409: "CLIENT_REVOKED: the client is revoked; VERSION_CONFLICT: it changed meanwhile" },
    handler: (c, { params }) => rotateApiClientSecret(serviceContext(c), params.id),
  }),
  route({
    method: "post", path: "/api-clients/:id/revoke", tag, auth: "user", permission: "api_clients.manage",
    summary: "Revoke an API client for good",
    description: "Its next token request fails with invalid_client and its tokens stop writing at once. Revoking a revoked client changes nothing.",
    params: IdParams, response: ApiClient,
    errors: { 403: outranks },
    handler: (c, { params }) => revokeApiClient(serviceContext(c), params.id),
  }),
];
