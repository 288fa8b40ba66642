import { beforeAll, describe, expect, it } from "vitest";
import { clientToken, createClient, tokenRequest, basic, type CreatedClient } from "./api-client-fixtures";
import { gql } from "./graphql-helpers";
import { api, createTenant, type TestTenant } from "./helpers";

const GROUPS = `query Groups($id: ID) { productGroup(id: $id) { items { id name } } }`;

/** /graphql with an API client's token from POST /oauth/token (client credentials). */
describe("GraphQL with a client-credentials token", () => {
  let t: TestTenant;
  let client: CreatedClient;
  let bakery: string;
  beforeAll(async () => {
    t = await createTenant();
    client = await createClient(t, ["products.view", "customers.view"]);
    bakery = (await api("POST", "/api/v1/departments", { token: t.adminToken, body: { name: "Bakery" } })).json.data.id;
  });

  it("answers the client's tenant's data, with no D1 round trip spent on the caller", async () => {
    const res = await gql(await clientToken(client), GROUPS, { id: bakery });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data.productGroup.items).toEqual([{ id: bakery, name: "Bakery" }]);
    expect(res.d1).toBe(1);
  });

  it("sees nothing of another tenant", async () => {
    const other = await createTenant();
    const theirs = (await api("POST", "/api/v1/departments", { token: other.adminToken, body: { name: "Theirs" } })).json.data.id;
    const res = await gql(await clientToken(client), GROUPS, { id: theirs });
    expect(res.data.productGroup.items).toEqual([]);
  });

  it("holds only the permissions its token was granted: a scope without products.view is NOT_AUTHORIZED", async () => {
    const res = await gql(await clientToken(client, "customers.view"), GROUPS, { id: bakery });
    expect(res.errors![0]!.extensions.code).toBe("NOT_AUTHORIZED");
    expect(res.errors![0]!.message).toContain("products.view");
  });

  it("after revocation: no new token; one already issued reads to its end (its writes are what stop at once)", async () => {
    const doomed = await createClient(t, ["products.view"]);
    const token = await clientToken(doomed);
    expect((await api("POST", `/api/v1/api-clients/${doomed.id}/revoke`, { token: t.adminToken })).status).toBe(200);
    const refused = await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(doomed.clientId, doomed.clientSecret) });
    expect(refused.json.error).toBe("invalid_client");
    expect((await gql(token, GROUPS, { id: bakery })).data.productGroup.items).toHaveLength(1);
  });

  it("is NOT_AUTHENTICATED with a tampered client token (its issuer changed)", async () => {
    const token = await clientToken(client);
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(atob(payload!.replace(/-/g, "+").replace(/_/g, "/")));
    const forged = btoa(JSON.stringify({ ...claims, iss: "https://elsewhere.test" })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const res = await gql(`${header}.${forged}.${signature}`, GROUPS);
    expect(res.status).toBe(401);
    expect(res.errors![0]!.extensions.code).toBe("NOT_AUTHENTICATED");
  });
});
