import { createExecutionContext, env } from "cloudflare:test";
import { Hono } from "hono";
import { beforeAll, describe, expect, it } from "vitest";
import { changeFeed } from "../../schema/db";
import { signAccessToken } from "../../worker/auth/access-token";
import { signClientToken, verifyClientToken } from "../../worker/auth/client-token";
import { authenticateIntegrator } from "../../worker/auth/integrator-caller";
import { commit } from "../../worker/db/batch";
import { withClientGuard } from "../../worker/db/write-guard";
import type { AppEnv } from "../../worker/http/app";
import { onError } from "../../worker/http/on-error";
import { requestContext } from "../../worker/http/request-context";
import { DomainError } from "../../worker/domain/errors";
import { basic, clientToken, createClient, ORIGIN, tokenRequest, type CreatedClient } from "./api-client-fixtures";
import { api, createTenant, type TestTenant } from "./helpers";

/**
 * A probe of the integrator face's caller, as GraphQL resolvers get it: POST writes a change-feed row through the
 * caller's scope (one guarded batch), GET reads and answers the principal.
 */
const probe = new Hono<AppEnv>();
probe.use("*", requestContext);
probe.post("/probe", async (c) => {
  const ctx = await authenticateIntegrator(c);
  const marker = crypto.randomUUID();
  await commit(ctx.scope.db, [ctx.scope.insert(changeFeed, { entity: "probe", entityId: marker, op: "upsert", version: 1, at: ctx.request.now })]);
  return c.json({ marker });
});
probe.get("/probe", async (c) => {
  const ctx = await authenticateIntegrator(c);
  const { principal } = ctx;
  const [row] = await ctx.scope.db.select({ n: changeFeed.seq }).from(changeFeed).limit(1);
  return c.json({ ...principal, permissions: [...principal.permissions].sort(), read: row !== undefined });
});
probe.onError(onError);

const call = async (method: "GET" | "POST", token: string) => {
  const res = await probe.fetch(new Request(`${ORIGIN}/probe`, { method, headers: { Authorization: `Bearer ${token}` } }), env, createExecutionContext());
  return { status: res.status, json: (await res.json()) as any };
};
const written = async (tenantId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM change_feed WHERE tenant_id = ? AND entity = 'probe'").bind(tenantId).first<{ n: number }>())!.n;

describe("the client write guard, through the integrator face's caller", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await createTenant();
  });

  it("makes a client token a client principal of its tenant, in every store, holding the token's permissions", async () => {
    const client = await createClient(t, ["products.view", "customers.view"]);
    const token = await clientToken(client, "products.view");
    const read = await call("GET", token);
    expect(read.status).toBe(200);
    expect(read.json).toEqual({ tenantId: t.tenantId, kind: "client", actorId: client.id, storeId: null, permissions: ["products.view"], read: true });
    const wrote = await call("POST", token);
    expect(wrote.status).toBe(200);
    expect(await written(t.tenantId)).toBeGreaterThan(0);
  });

  it("still takes a user's token as a user principal of their store", async () => {
    const read = await call("GET", t.adminToken);
    expect(read.json).toMatchObject({ tenantId: t.tenantId, kind: "user", actorId: t.adminId, storeId: t.storeId });
  });

  it("stops a revoked client's tokens writing at once, writing nothing; their reads run to the token's end", async () => {
    const client = await createClient(t, ["products.view"]);
    const token = await clientToken(client);
    expect((await call("POST", token)).status).toBe(200);
    const before = await written(t.tenantId);
    expect((await api("POST", `/api/v1/api-clients/${client.id}/revoke`, { token: t.adminToken })).status).toBe(200);
    const refused = await call("POST", token);
    expect(refused.status).toBe(401);
    expect(refused.json).toMatchObject({ success: false, code: "CLIENT_TOKEN_REVOKED" });
    expect(await written(t.tenantId)).toBe(before);
    expect((await call("GET", token)).status).toBe(200);
  });

  it("stops the tokens of a rotated secret writing at once, while the new secret's tokens write", async () => {
    const client = await createClient(t, ["products.view"]);
    const old = await clientToken(client);
    const rotated = await api("POST", `/api/v1/api-clients/${client.id}/rotate`, { token: t.adminToken });
    const refused = await call("POST", old);
    expect(refused.status).toBe(401);
    expect(refused.json.code).toBe("CLIENT_TOKEN_REVOKED");
    const fresh = await clientToken({ clientId: client.clientId, clientSecret: rotated.json.data.clientSecret });
    expect((await call("POST", fresh)).status).toBe(200);
  });

  it("stops a token carrying a permission taken from its client, but not one that never had it", async () => {
    const client = await createClient(t, ["products.view", "customers.view"]);
    const wide = await clientToken(client);
    const narrow = await clientToken(client, "products.view");
    expect((await api("PUT", `/api/v1/api-clients/${client.id}`, { token: t.adminToken, body: { permissions: ["products.view"] } })).status).toBe(200);
    expect((await call("POST", wide)).json.code).toBe("CLIENT_TOKEN_REVOKED");
    expect((await call("POST", narrow)).status).toBe(200);
  });

  it("checks the client inside the very batch: a guarded batch after the revocation commits nothing of itself", async () => {
    const client = await createClient(t, ["products.view"]);
    const db = withClientGuard(env.DB, { id: client.id, secretVersion: 1, permissions: ["products.view"] });
    const insert = (id: string) => db.prepare("INSERT INTO change_feed (tenant_id, entity, entity_id, op, version, at) VALUES (?, 'probe-raw', ?, 'upsert', 1, 0)").bind(t.tenantId, id);
    const count = async (id: string) => (await env.DB.prepare("SELECT count(*) AS n FROM change_feed WHERE entity_id = ?").bind(id).first<{ n: number }>())!.n;
    const [first, second, third] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    await db.batch([insert(first)]);
    expect(await count(first)).toBe(1);
    await api("POST", `/api/v1/api-clients/${client.id}/revoke`, { token: t.adminToken });
    const refused = await db.batch([insert(second), insert(third)]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ kind: "unauthenticated", code: "CLIENT_TOKEN_REVOKED" });
    expect((await count(second)) + (await count(third))).toBe(0);
    // A token of another secret version, or of a client that does not exist, never writes either.
    const client2 = await createClient(t, ["products.view"]);
    for (const guard of [{ id: client2.id, secretVersion: 2, permissions: [] }, { id: crypto.randomUUID(), secretVersion: 1, permissions: [] }]) {
      const other = withClientGuard(env.DB, guard);
      await expect(other.batch([other.prepare("INSERT INTO change_feed (tenant_id, entity, entity_id, op, version, at) VALUES (?, 'probe-raw', ?, 'upsert', 1, 0)").bind(t.tenantId, crypto.randomUUID())]))
        .rejects.toMatchObject({ code: "CLIENT_TOKEN_REVOKED" });
    }
  });
});

describe("client tokens and user tokens are never taken for each other", () => {
  let t: TestTenant;
  let client: CreatedClient;
  beforeAll(async () => {
    t = await createTenant();
    client = await createClient(t, ["products.view"]);
  });

  // The same issuer for both (JWT_ISSUER set to the Worker's URL), so only the claims tell them apart.
  const sameIssuer = { ...env, JWT_ISSUER: ORIGIN };
  const userClaims = () => ({ userId: t.adminId, tenantId: t.tenantId, storeId: t.storeId, permissions: ["products.view" as const], sessionId: crypto.randomUUID(), deviceId: null });
  const clientClaims = () => ({ clientRowId: client.id, clientId: client.clientId, tenantId: t.tenantId, permissions: ["products.view" as const], secretVersion: 1 });

  it("REST refuses a client token even when it has the users' issuer", async () => {
    const token = await signClientToken(sameIssuer, ORIGIN, clientClaims(), Date.now());
    const worker = (await import("../../worker/index")).default;
    const res = await worker.fetch(new Request(`${ORIGIN}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${token}` } }), sameIssuer, createExecutionContext());
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "INVALID_TOKEN" });
  });

  it("the client verifier refuses a user's token, and a token of another issuer", async () => {
    const user = await signAccessToken(sameIssuer, userClaims(), Date.now());
    await expect(verifyClientToken(sameIssuer, ORIGIN, user)).rejects.toMatchObject({ code: "INVALID_TOKEN" });
    const elsewhere = await signClientToken(env, "https://elsewhere.test", clientClaims(), Date.now());
    await expect(verifyClientToken(env, ORIGIN, elsewhere)).rejects.toMatchObject({ code: "INVALID_TOKEN" });
    await expect(verifyClientToken(env, ORIGIN, await signClientToken(env, ORIGIN, clientClaims(), Date.now()))).resolves.toMatchObject({ clientRowId: client.id, secretVersion: 1 });
  });

  it("the integrator face refuses a client token issued for another host, and an expired one", async () => {
    const elsewhere = await signClientToken(env, "https://elsewhere.test", clientClaims(), Date.now());
    expect((await call("GET", elsewhere)).json).toMatchObject({ code: "INVALID_TOKEN" });
    const expired = await signClientToken(env, ORIGIN, clientClaims(), Date.now() - 10 * 60_000);
    expect((await call("GET", expired)).json).toMatchObject({ code: "TOKEN_EXPIRED" });
  });

  it("the token endpoint takes no user token as client authentication", async () => {
    const res = await tokenRequest({ grant_type: "client_credentials" }, { authorization: `Bearer ${t.adminToken}` });
    expect(res.status).toBe(401);
    expect(res.json.error).toBe("invalid_client");
    expect((await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(client.clientId, client.clientSecret) })).status).toBe(200);
  });
});
