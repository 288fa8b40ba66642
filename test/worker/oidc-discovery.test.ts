import { createExecutionContext, env } from "cloudflare:test";
import { createRemoteJWKSet, customFetch as joseFetch, decodeJwt, jwtVerify } from "jose";
import * as oidc from "openid-client";
import { beforeAll, describe, expect, it } from "vitest";
import { ALL_PERMISSIONS } from "../../schema/permissions";
import worker from "../../worker/index";
import { createClient, type CreatedClient } from "./api-client-fixtures";
import { api, createTenant, fetchWorker, type TestTenant } from "./helpers";

/** A standard client's fetch, routed to the Worker (the only thing the library is told beyond the issuer). */
const toWorker: oidc.DiscoveryRequestOptions[typeof oidc.customFetch] = async (url, options) =>
  fetchWorker(new Request(url, { method: options.method, headers: options.headers, body: options.body as BodyInit | null, redirect: options.redirect }));

describe("OpenID Connect discovery", () => {
  it("describes the issuer at its origin: token endpoint, JWKS, client credentials, the permissions as scopes", async () => {
    const res = await fetchWorker(new Request("https://pos.example.com/.well-known/openid-configuration"));
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer: "https://pos.example.com",
      token_endpoint: "https://pos.example.com/oauth/token",
      jwks_uri: "https://pos.example.com/.well-known/jwks.json",
      grant_types_supported: ["client_credentials"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      scopes_supported: ALL_PERMISSIONS,
    });
    // The fields OpenID Connect Discovery 1.0 §3 requires of every provider.
    for (const field of ["authorization_endpoint", "response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported"]) {
      expect(doc, field).toHaveProperty(field);
    }
    expect(doc.scopes_supported).toContain("api_clients.manage");
    // ...and RFC 8414's address for the same metadata.
    const oauth = await fetchWorker(new Request("https://pos.example.com/.well-known/oauth-authorization-server"));
    expect(await oauth.json()).toEqual(doc);
    // The authorization endpoint it must name refuses, as OAuth says: nobody signs in there.
    const authorize = await fetchWorker(new Request("https://pos.example.com/oauth/authorize?response_type=code&client_id=x"));
    expect(authorize.status).toBe(400);
    expect(await authorize.json()).toMatchObject({ error: "unsupported_response_type" });
  });

  it("names JWT_ISSUER when it is a URL, whatever host the request came to", async () => {
    const configured = { ...env, JWT_ISSUER: "https://pos.example.com/" };
    const res = await worker.fetch(new Request("http://internal.test/.well-known/openid-configuration"), configured, createExecutionContext());
    expect(await res.json()).toMatchObject({ issuer: "https://pos.example.com", token_endpoint: "https://pos.example.com/oauth/token" });
    const notUrl = await worker.fetch(new Request("http://internal.test/.well-known/openid-configuration"), { ...env, JWT_ISSUER: "edge-pos" }, createExecutionContext());
    expect(await notUrl.json()).toMatchObject({ issuer: "http://internal.test" });
  });
});

describe("a standard OpenID Connect client (openid-client 6)", () => {
  let t: TestTenant;
  let client: CreatedClient;
  beforeAll(async () => {
    t = await createTenant();
    client = await createClient(t, ["products.view", "customers.view"]);
  });

  it("discovers the issuer and gets a token by client_secret_basic", async () => {
    const config = await oidc.discovery(new URL("https://pos.test"), client.clientId, undefined, oidc.ClientSecretBasic(client.clientSecret), { [oidc.customFetch]: toWorker });
    expect(config.serverMetadata().issuer).toBe("https://pos.test");
    const tokens = await oidc.clientCredentialsGrant(config, { scope: "products.view" });
    expect(tokens.token_type).toBe("bearer"); // the library lower-cases it
    expect(tokens.scope).toBe("products.view");
    expect(tokens.expiresIn()).toBeGreaterThan(290);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ iss: "https://pos.test", client_id: client.clientId, tid: t.tenantId, scope: "products.view" });

    // The token verifies against the discovered JWKS.
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!), { [joseFetch]: async (url, options) => fetchWorker(new Request(url, options)) });
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, { issuer: "https://pos.test", typ: "at+jwt" });
    expect(payload.sub).toBe(client.id);
    expect(protectedHeader.alg).toBe("ES256");
  });

  it("gets a token by client_secret_post too (the library's default for a secret), and is told invalid_client for a wrong secret", async () => {
    const config = await oidc.discovery(new URL("https://pos.test"), client.clientId, client.clientSecret, undefined, { [oidc.customFetch]: toWorker });
    const tokens = await oidc.clientCredentialsGrant(config);
    expect(tokens.scope).toBe("customers.view products.view");

    const wrong = await oidc.discovery(new URL("https://pos.test"), client.clientId, undefined, oidc.ClientSecretPost("not-the-secret"), { [oidc.customFetch]: toWorker });
    const refused = await oidc.clientCredentialsGrant(wrong).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(oidc.ResponseBodyError);
    expect(refused).toMatchObject({ error: "invalid_client", status: 401 });
    // By Basic, the 401 carries the Basic challenge, which the library reports as such.
    const wrongBasic = await oidc.discovery(new URL("https://pos.test"), client.clientId, undefined, oidc.ClientSecretBasic("not-the-secret"), { [oidc.customFetch]: toWorker });
    const challenged = await oidc.clientCredentialsGrant(wrongBasic).catch((e: unknown) => e);
    expect(challenged).toBeInstanceOf(oidc.WWWAuthenticateChallengeError);
    expect(challenged).toMatchObject({ status: 401, cause: [{ scheme: "basic" }] });
    const unscoped = await oidc.clientCredentialsGrant(config, { scope: "users.edit" }).catch((e: unknown) => e);
    expect(unscoped).toMatchObject({ error: "invalid_scope", status: 400 });
  });

  it("the token reaches nothing of REST, which takes users' tokens only", async () => {
    const config = await oidc.discovery(new URL("https://pos.test"), client.clientId, client.clientSecret, undefined, { [oidc.customFetch]: toWorker });
    const { access_token } = await oidc.clientCredentialsGrant(config);
    expect((await api("GET", "/api/v1/products", { token: access_token })).status).toBe(401);
  });
});
