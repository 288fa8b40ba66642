import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../worker/app";
import { api, createTenant, operatorToken, type TestTenant } from "./helpers";

describe("HTTP conventions", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await createTenant({ corsOrigins: ["https://till.example.com"] });
  });

  it("answers GET /health", async () => {
    const res = await api("GET", "/health");
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: "ok" });
    expect(res.headers.get("Server-Timing")).toMatch(/^d1;count=1;dur=\d+(\.\d+)?$/);
  });

  it("puts a request id and Server-Timing on every response, errors included", async () => {
    for (const res of [await api("GET", "/nowhere"), await api("GET", "/api/v1/users"), await api("GET", "/api/v1/auth/me", { token: t.adminToken })]) {
      expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get("Server-Timing")).toMatch(/^d1;count=\d+;dur=/);
    }
    const echoed = await api("GET", "/health", { headers: { "X-Request-Id": "till-42-abcdef" } });
    expect(echoed.headers.get("X-Request-Id")).toBe("till-42-abcdef");
    const unsafe = await api("GET", "/health", { headers: { "X-Request-Id": "<script>" } });
    expect(unsafe.headers.get("X-Request-Id")).not.toBe("<script>");
  });

  it("counts D1 round trips: no token means no query, a batch counts once", async () => {
    expect((await api("GET", "/api/v1/users")).headers.get("Server-Timing")).toMatch(/^d1;count=0;/);
    // me reads user, tenant, store and permissions in one batch
    expect((await api("GET", "/api/v1/auth/me", { token: t.adminToken })).headers.get("Server-Timing")).toMatch(/^d1;count=1;/);
  });

  it("answers unknown routes with a 404 envelope", async () => {
    const res = await api("GET", "/api/v1/no-such-thing");
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ success: false, code: "ROUTE_NOT_FOUND", error: expect.stringContaining("/api/v1/no-such-thing") });
  });

  describe("a method the path does not support", () => {
    const allowOf = (res: { headers: Headers }) => res.headers.get("Allow")?.split(/,\s*/).sort();

    it("is 405 with Allow listing the methods the path supports, in the envelope", async () => {
      const res = await api("POST", `/api/v1/stores/${t.storeId}`, { token: t.adminToken, body: { name: "X" } });
      expect(res.status).toBe(405);
      expect(res.json).toMatchObject({ success: false, code: "METHOD_NOT_ALLOWED", error: expect.stringContaining("POST") });
      expect(allowOf(res)).toEqual(["GET", "HEAD", "OPTIONS", "PUT"]);
      expect(res.headers.get("X-Request-Id")).toBeTruthy();
      const list = await api("DELETE", "/api/v1/products", { token: t.adminToken });
      expect(list.status).toBe(405);
      expect(allowOf(list)).toEqual(["GET", "HEAD", "OPTIONS", "POST"]);
    });

    it("lists every method some route of the path answers, across patterns that match it", async () => {
      // /users/store-employees is GET only, but PUT and DELETE /users/:id match the same path
      const res = await api("PATCH", "/api/v1/users/store-employees", { token: t.adminToken });
      expect(res.status).toBe(405);
      expect(allowOf(res)).toEqual(["DELETE", "GET", "HEAD", "OPTIONS", "PUT"]);
    });

    it("is 405 before authentication, and an unknown path is still 404", async () => {
      const res = await api("PATCH", "/api/v1/users");
      expect(res.status).toBe(405);
      expect(allowOf(res)).toEqual(["GET", "HEAD", "OPTIONS", "POST"]);
      const unknown = await api("PATCH", "/api/v1/no-such-thing");
      expect(unknown.status).toBe(404);
      expect(unknown.json.code).toBe("ROUTE_NOT_FOUND");
    });

    it("leaves the supported methods, HEAD and the CORS preflight alone", async () => {
      expect((await api("GET", `/api/v1/stores/${t.storeId}`, { token: t.adminToken })).status).toBe(200);
      const head = await exports.default.fetch(new Request(`http://pos.test/api/v1/stores/${t.storeId}`, { method: "HEAD", headers: { Authorization: `Bearer ${t.adminToken}` } }));
      expect(head.status).toBe(200);
      const preflight = await exports.default.fetch(
        new Request(`http://pos.test/api/v1/stores/${t.storeId}`, {
          method: "OPTIONS",
          headers: { Origin: "https://till.example.com", "Access-Control-Request-Method": "PUT" },
        }),
      );
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("Access-Control-Allow-Methods")).toMatch(/PUT/);
    });
  });

  describe("bad input is a 400 envelope, never a 500", () => {
    const cases: [string, () => Promise<{ status: number; json: any }>, string, string?][] = [
      ["malformed JSON", () => api("POST", "/api/v1/auth/login", { rawBody: "{\"tenant\": \"x\",", headers: { "Content-Type": "application/json" } }), "MALFORMED_JSON"],
      ["an empty JSON body", () => api("POST", "/api/v1/auth/login", { rawBody: "", headers: { "Content-Type": "application/json" } }), "MALFORMED_JSON"],
      ["a body that is not JSON", () => api("POST", "/api/v1/auth/login", { rawBody: "tenant=x", headers: { "Content-Type": "application/x-www-form-urlencoded" } }), "UNSUPPORTED_CONTENT_TYPE"],
      ["a JSON array instead of an object", () => api("POST", "/api/v1/auth/login", { body: [1, 2] }), "VALIDATION_ERROR"],
      ["wrong types", () => api("POST", "/api/v1/auth/login", { body: { tenant: 42, username: ["admin"], pin: 1234 } }), "VALIDATION_ERROR", "tenant"],
      ["a missing field", () => api("POST", "/api/v1/auth/pin-login", { body: { tenant: "demo" } }), "VALIDATION_ERROR", "pin"],
      ["an unknown enum value", () => api("POST", "/api/v1/tenants", { token: operatorToken, body: { slug: "x-y", name: "X", currency: "SEK", taxRounding: "sometimes", store: {}, admin: {} } }), "VALIDATION_ERROR", "taxRounding"],
      ["a number where an integer is needed", () => api("POST", "/api/v1/tenants", { token: operatorToken, body: { slug: "x-y", name: "X", currency: "SEK", store: { code: "S1", name: "S", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true, cashRoundingUnit: 2.5 }, admin: { username: "a", displayName: "A", password: "a long enough password" } } }), "VALIDATION_ERROR", "store.cashRoundingUnit"],
    ];
    it.each(cases)("%s", async (_name, call, code, field) => {
      const res = await call();
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ success: false, code });
      expect(typeof res.json.error).toBe("string");
      if (field) expect(res.json.fields.map((f: { path: string }) => f.path)).toContain(field);
    });

    it("an oversized body", async () => {
      const res = await api("POST", "/api/v1/auth/login", { rawBody: JSON.stringify({ tenant: "x".repeat(MAX_BODY_BYTES) }), headers: { "Content-Type": "application/json" } });
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ success: false, code: "BODY_TOO_LARGE" });
    });

    it("bad query parameters and path ids", async () => {
      const page = await api("GET", "/api/v1/users?page=0&pageSize=1000", { token: t.adminToken });
      expect(page.status).toBe(400);
      expect(page.json.fields.map((f: { path: string }) => f.path).sort()).toEqual(["query.page", "query.pageSize"]);
      const id = await api("GET", "/api/v1/users/not-a-uuid", { token: t.adminToken });
      expect(id.status).toBe(400);
      expect(id.json.fields[0].path).toBe("params.id");
      const filter = await api("GET", "/api/v1/users?isActive=maybe", { token: t.adminToken });
      expect(filter.status).toBe(400);
    });

    it("a bad If-Match header", async () => {
      const res = await api("PUT", `/api/v1/stores/${t.storeId}`, { token: t.adminToken, body: { name: "X" }, headers: { "If-Match": "yesterday" } });
      expect(res.status).toBe(400);
      expect(res.json.code).toBe("INVALID_IF_MATCH");
    });
  });

  describe("CORS", () => {
    it("allows an origin a tenant registered, with the headers a till needs", async () => {
      const res = await exports.default.fetch(
        new Request("http://pos.test/api/v1/auth/login", {
          method: "OPTIONS",
          headers: { Origin: "https://till.example.com", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,authorization" },
        }),
      );
      expect(res.status).toBe(204);
      expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://till.example.com");
      expect(res.headers.get("Access-Control-Allow-Headers")).toMatch(/Authorization/i);
      const get = await api("GET", "/health", { headers: { Origin: "https://till.example.com" } });
      expect(get.headers.get("Access-Control-Allow-Origin")).toBe("https://till.example.com");
      expect(get.headers.get("Access-Control-Expose-Headers")).toMatch(/Server-Timing/);
    });

    it("refuses an origin no tenant registered", async () => {
      const res = await api("GET", "/health", { headers: { Origin: "https://evil.example.net" } });
      expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
    });

    it("follows a tenant's change of origins", async () => {
      const added = await api("PATCH", `/api/v1/tenants/${t.tenantId}`, { token: operatorToken, body: { corsOrigins: ["https://backoffice.example.com/"] } });
      expect(added.status).toBe(200);
      expect(added.json.data.corsOrigins).toEqual(["https://backoffice.example.com"]);
      const res = await api("GET", "/health", { headers: { Origin: "https://backoffice.example.com" } });
      expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://backoffice.example.com");
      const old = await api("GET", "/health", { headers: { Origin: "https://till.example.com" } });
      expect(old.headers.get("Access-Control-Allow-Origin")).toBeNull();
    });
  });

  describe("API documentation", () => {
    it("serves an OpenAPI 3.1 document generated from the routes and their schemas", async () => {
      const res = await api("GET", "/api/v1/openapi.json");
      expect(res.status).toBe(200);
      const doc = res.json;
      expect(doc.openapi).toBe("3.1.0");
      const createUser = doc.paths["/api/v1/users"].post;
      expect(createUser["x-permission"]).toBe("users.create");
      expect(createUser.security).toEqual([{ bearerAuth: [] }]);
      const body = createUser.requestBody.content["application/json"].schema;
      expect(body.required).toEqual(expect.arrayContaining(["username", "displayName"]));
      expect(body.properties.username.pattern).toBeDefined();
      expect(doc.paths["/api/v1/users/{id}"].put.parameters.map((p: { name: string }) => p.name)).toEqual(["id", "If-Match"]);
      const list = doc.paths["/api/v1/users"].get;
      expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(["page", "pageSize", "search"]));
      expect(list.responses["200"].content["application/json"].schema.required).toEqual(["success", "data", "total", "page", "pageSize"]);
      expect(doc.paths["/api/v1/auth/login"].post.security).toEqual([]);
    });
  });
});
