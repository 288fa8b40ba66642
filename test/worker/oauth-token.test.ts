import { decodeJwt, decodeProtectedHeader } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { CLIENT_POLICY, TOKEN_ADDRESS_POLICY } from "../../worker/domain/attempts";
import { basic, clientToken, createClient, ORIGIN, tokenRequest, type CreatedClient, type TokenResponse } from "./api-client-fixtures";
import { api, createTenant, randomIp, type TestTenant } from "./helpers";

const grant = { grant_type: "client_credentials" };

/**
 * RFC 6749 §5.2: `{ error, error_description }`, never cached; a failed client authentication by HTTP Basic (or
 * with none at all) carries the Basic challenge, one by client_secret_post does not.
 */
function expectOAuthError(res: TokenResponse, status: number, error: string, challenge = status === 401) {
  expect(res.status, JSON.stringify(res.json)).toBe(status);
  expect(res.json).toEqual({ error, error_description: expect.any(String) });
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  if (challenge) expect(res.headers.get("WWW-Authenticate")).toMatch(/^Basic realm="edge-pos"/);
  else expect(res.headers.get("WWW-Authenticate")).toBeNull();
}

describe("POST /oauth/token (client credentials, RFC 6749 §4.4)", () => {
  let t: TestTenant;
  let client: CreatedClient;
  beforeAll(async () => {
    t = await createTenant();
    client = await createClient(t, ["products.view", "customers.view", "products.edit"]);
  });

  it("answers a token for HTTP Basic, with the claims of the tenant, the client, its permissions and secret version", async () => {
    const res = await tokenRequest(grant, { authorization: basic(client.clientId, client.clientSecret) });
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("Pragma")).toBe("no-cache");
    expect(res.json).toEqual({ access_token: expect.any(String), token_type: "Bearer", expires_in: 300, scope: "customers.view products.edit products.view" });
    expect(decodeProtectedHeader(res.json.access_token)).toMatchObject({ alg: "ES256", typ: "at+jwt", kid: expect.any(String) });
    const claims = decodeJwt(res.json.access_token);
    expect(claims).toMatchObject({ iss: ORIGIN, aud: "edge-pos-api", sub: client.id, client_id: client.clientId, tid: t.tenantId, scope: "customers.view products.edit products.view", sv: 1 });
    expect(claims.exp! - claims.iat!).toBe(300);
    expect(claims).not.toHaveProperty("ses");
  });

  it("answers a token for client_id and client_secret in the body (client_secret_post)", async () => {
    const res = await tokenRequest({ ...grant, client_id: client.clientId, client_secret: client.clientSecret });
    expect(res.status).toBe(200);
    expect(decodeJwt(res.json.access_token).sub).toBe(client.id);
  });

  it("decodes Basic credentials as RFC 6749 §2.3.1 says: each part form-urlencoded before base64", async () => {
    const everyByte = (s: string) => [...s].map((ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`).join("");
    const res = await tokenRequest(grant, { authorization: `Basic ${btoa(`${everyByte(client.clientId)}:${everyByte(client.clientSecret)}`)}` });
    expect(res.status).toBe(200);
  });

  it("lets scope narrow the token to permissions the client holds, and refuses others as invalid_scope", async () => {
    const narrow = await tokenRequest({ ...grant, scope: "products.view customers.view" }, { authorization: basic(client.clientId, client.clientSecret) });
    expect(narrow.status).toBe(200);
    expect(narrow.json.scope).toBe("customers.view products.view");
    expect(decodeJwt(narrow.json.access_token).scope).toBe("customers.view products.view");

    for (const scope of ["products.view users.edit", "openid", "products.fly"]) {
      const res = await tokenRequest({ ...grant, scope }, { authorization: basic(client.clientId, client.clientSecret) });
      expectOAuthError(res, 400, "invalid_scope");
      expect(res.json.error_description).toContain(scope.split(" ").at(-1));
    }
  });

  it("answers an unknown client_id exactly as a wrong secret (401 invalid_client)", async () => {
    const wrong = await tokenRequest(grant, { authorization: basic(client.clientId, `${client.clientSecret}x`) });
    const unknown = await tokenRequest(grant, { authorization: basic("cli_AAAAAAAAAAAAAAAAAAAAAA", client.clientSecret) });
    expectOAuthError(wrong, 401, "invalid_client");
    expectOAuthError(unknown, 401, "invalid_client");
    expect(unknown.json).toEqual(wrong.json);
    expect(unknown.headers.get("WWW-Authenticate")).toBe(wrong.headers.get("WWW-Authenticate"));
    const post = await tokenRequest({ ...grant, client_id: client.clientId, client_secret: "nope" });
    const postUnknown = await tokenRequest({ ...grant, client_id: "cli_AAAAAAAAAAAAAAAAAAAAAA", client_secret: "nope" });
    expectOAuthError(post, 401, "invalid_client", false);
    expectOAuthError(postUnknown, 401, "invalid_client", false);
    expect(post.json).toEqual(wrong.json);
    expect(postUnknown.json).toEqual(wrong.json);
  });

  it("answers every malformed request as RFC 6749 §5.2 says", async () => {
    const auth = { authorization: basic(client.clientId, client.clientSecret) };
    expectOAuthError(await tokenRequest({}, auth), 400, "invalid_request"); // no grant_type
    expectOAuthError(await tokenRequest({ grant_type: "password", username: "admin", password: "x" }, auth), 400, "unsupported_grant_type");
    expectOAuthError(await tokenRequest({ grant_type: "authorization_code", code: "x" }, auth), 400, "unsupported_grant_type");
    expectOAuthError(await tokenRequest(JSON.stringify(grant), { ...auth, contentType: "application/json" }), 400, "invalid_request");
    expectOAuthError(await tokenRequest("grant_type=client_credentials&grant_type=client_credentials", auth), 400, "invalid_request");
    expectOAuthError(await tokenRequest("grant_type=client_credentials&scope=products.view&scope=customers.view", auth), 400, "invalid_request");
    // Two ways of authenticating at once
    const both = await tokenRequest({ ...grant, client_id: client.clientId, client_secret: client.clientSecret }, auth);
    expectOAuthError(both, 400, "invalid_request");
    expect(both.json.error_description).toMatch(/one way/);
    expectOAuthError(await tokenRequest({ ...grant, client_id: "cli_someoneelse" }, auth), 400, "invalid_request");
    // ...while a body client_id naming the same client as Basic is fine (RFC 6749 §3.2.1)
    expect((await tokenRequest({ ...grant, client_id: client.clientId }, auth)).status).toBe(200);
    // No client authentication, half of it, or a broken Basic header
    expectOAuthError(await tokenRequest(grant), 401, "invalid_client");
    expectOAuthError(await tokenRequest({ ...grant, client_id: client.clientId }), 401, "invalid_client", false);
    expectOAuthError(await tokenRequest(grant, { authorization: "Basic !!!" }), 401, "invalid_client");
    expectOAuthError(await tokenRequest(grant, { authorization: `Basic ${btoa("no-colon")}` }), 401, "invalid_client");
    expectOAuthError(await tokenRequest(grant, { authorization: `Basic ${btoa(`${client.clientId}:%E0%A4%A`)}` }), 401, "invalid_client");
    expectOAuthError(await tokenRequest(grant, { authorization: "Bearer abc" }), 401, "invalid_client");
    // Too big a body, and another method
    expectOAuthError(await tokenRequest(`grant_type=client_credentials&x=${"a".repeat(20_000)}`, auth), 400, "invalid_request");
    const get = await api("GET", "/oauth/token");
    expect(get.status).toBe(405);
    expect(get.json.error).toBe("invalid_request");
    expect(get.headers.get("Allow")).toBe("POST");
  });

  it("never takes a client token where a user's token is needed, nor a user's for a client's", async () => {
    const token = await clientToken(client);
    for (const path of ["/api/v1/auth/me", "/api/v1/products", "/api/v1/api-clients"]) {
      const res = await api("GET", path, { token });
      expect(res.status, path).toBe(401);
      expect(res.json.success).toBe(false);
    }
    // A user's token at the token endpoint is no client authentication either.
    expectOAuthError(await tokenRequest(grant, { authorization: `Bearer ${t.adminToken}` }), 401, "invalid_client");
  });

  it("fails a revoked client's next request with invalid_client", async () => {
    const doomed = await createClient(t, ["products.view"]);
    await clientToken(doomed);
    expect((await api("POST", `/api/v1/api-clients/${doomed.id}/revoke`, { token: t.adminToken })).status).toBe(200);
    const res = await tokenRequest(grant, { authorization: basic(doomed.clientId, doomed.clientSecret) });
    expectOAuthError(res, 401, "invalid_client");
  });

  it("counts a successful request's attempt back: a client asking often is never throttled", async () => {
    const busy = await createClient(t, ["products.view"]);
    const ip = randomIp();
    for (let i = 0; i < CLIENT_POLICY.limit + 5; i++) {
      const res = await tokenRequest(grant, { authorization: basic(busy.clientId, busy.clientSecret), ip });
      expect(res.status, `request ${i + 1}`).toBe(200);
    }
  });
});

describe("POST /oauth/token: throttling failed client authentication", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await createTenant();
  });

  it("throttles a client_id after its failures, from any address, answering the right secret as the wrong one", async () => {
    const victim = await createClient(t, ["products.view"]);
    for (let i = 0; i < CLIENT_POLICY.limit; i++) {
      expect((await tokenRequest(grant, { authorization: basic(victim.clientId, `wrong-${i}`), ip: randomIp() })).status).toBe(401);
    }
    const right = await tokenRequest(grant, { authorization: basic(victim.clientId, victim.clientSecret), ip: randomIp() });
    const wrong = await tokenRequest(grant, { authorization: basic(victim.clientId, "wrong-again"), ip: randomIp() });
    for (const res of [right, wrong]) {
      expectOAuthError(res, 429, "temporarily_unavailable");
      expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    }
    expect(right.json).toEqual(wrong.json);
    // ...and a client_id that exists nowhere is throttled just the same, so throttling tells nothing either.
    const ghost = "cli_BBBBBBBBBBBBBBBBBBBBBB";
    for (let i = 0; i < CLIENT_POLICY.limit; i++) await tokenRequest(grant, { authorization: basic(ghost, `wrong-${i}`), ip: randomIp() });
    const ghostly = await tokenRequest(grant, { authorization: basic(ghost, "wrong"), ip: randomIp() });
    expectOAuthError(ghostly, 429, "temporarily_unavailable");
    expect(ghostly.json).toEqual(wrong.json);
  });

  it("throttles an address after its failures, whichever client_ids it tries", async () => {
    const client = await createClient(t, ["products.view"]);
    const ip = randomIp();
    for (let i = 0; i < TOKEN_ADDRESS_POLICY.limit; i++) {
      expect((await tokenRequest(grant, { authorization: basic(`cli_guess${i}`, "guess"), ip })).status).toBe(401);
    }
    const blocked = await tokenRequest(grant, { authorization: basic(client.clientId, client.clientSecret), ip });
    expectOAuthError(blocked, 429, "temporarily_unavailable");
    expect(blocked.json.error_description).toMatch(/from here/);
    // The client itself is not locked out by a flood from one address: elsewhere it still gets its token.
    expect((await tokenRequest(grant, { authorization: basic(client.clientId, client.clientSecret), ip: randomIp() })).status).toBe(200);
    // Sign-ins from that address are counted apart.
    const login = await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username: "admin", password: t.adminPassword }, ip });
    expect(login.status).toBe(200);
  });
});
