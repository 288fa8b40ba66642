import { beforeAll, describe, expect, it } from "vitest";
import { api, createTenant, type TestTenant } from "./helpers";

type Operation = { responses: Record<string, { description: string; content: { "application/json": { schema: any } } }> };

/** The `current` property a 409 answer's schema documents, if any. */
const currentOf = (op: Operation) =>
  op.responses["409"]?.content["application/json"].schema.allOf?.find((s: any) => s.properties?.current)?.properties.current;

describe("OpenAPI document: error answers", () => {
  let doc: { paths: Record<string, Record<string, Operation>> };
  let t: TestTenant;
  beforeAll(async () => {
    doc = (await api("GET", "/api/v1/openapi.json")).json;
    t = await createTenant();
  });
  const operation = (method: string, path: string) => doc.paths[`/api/v1${path}`]![method]!;

  it("names 422 and its code where the route answers it", async () => {
    const res = await api("POST", "/api/v1/products", {
      token: t.adminToken,
      body: { sku: "DOC-422", name: "Doc", sellPrice: 100, departmentId: crypto.randomUUID() },
    });
    expect(res.status).toBe(422);
    expect(res.json.code).toBe("UNKNOWN_REFERENCE");
    const documented = operation("post", "/products").responses["422"];
    expect(documented?.description).toContain("UNKNOWN_REFERENCE");
    expect(documented?.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });

    const sheet = await api("POST", "/api/v1/worksheets", { token: t.adminToken, body: { name: "Empty", kind: "deactivate", items: [] } });
    expect(sheet.status).toBe(201);
    const submit = await api("PATCH", `/api/v1/worksheets/${sheet.json.data.id}/submit`, { token: t.adminToken });
    expect(submit.status).toBe(422);
    expect(operation("patch", "/worksheets/{id}/submit").responses["422"]?.description).toContain(submit.json.code);
  });

  it("documents a stale write's 409 with `current` shaped as the object the API answers", async () => {
    const created = await api("POST", "/api/v1/products", { token: t.adminToken, body: { sku: "DOC-409", name: "Doc", sellPrice: 100 } });
    const id = created.json.data.id;
    expect((await api("PUT", `/api/v1/products/${id}`, { token: t.adminToken, body: { name: "Doc 2", version: 1 } })).status).toBe(200);
    const stale = await api("PUT", `/api/v1/products/${id}`, { token: t.adminToken, body: { name: "Doc 3", version: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe("VERSION_CONFLICT");

    const current = currentOf(operation("put", "/products/{id}"));
    expect(current, "the 409 of PUT /products/{id} documents current").toBeDefined();
    expect(Object.keys(current.properties).sort()).toEqual(Object.keys(stale.json.current).sort());
    for (const field of current.required) expect(stale.json.current).toHaveProperty(field);
    expect(operation("put", "/products/{id}").responses["409"]!.description).toContain("VERSION_CONFLICT");

    const staleDelete = await api("DELETE", `/api/v1/products/${id}`, { token: t.adminToken, headers: { "If-Match": '"1"' } });
    expect(staleDelete.status).toBe(409);
    expect(Object.keys(currentOf(operation("delete", "/products/{id}")).properties).sort()).toEqual(Object.keys(staleDelete.json.current).sort());
  });

  it("documents 409 with `current` on every versioned route, and no 409 where none is answered", () => {
    const versionedPaths = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops as Record<string, Operation & { parameters: { name: string }[] }>)
        .filter(([, op]) => op.parameters.some((p) => p.name === "If-Match"))
        .map(([method, op]) => ({ at: `${method} ${path}`, op })),
    );
    expect(versionedPaths.length).toBeGreaterThan(20);
    for (const { at, op } of versionedPaths) expect(currentOf(op), at).toMatchObject({ description: expect.stringContaining("as it now is") });

    expect(currentOf(operation("patch", "/tenants/{id}")), "tenant update: VERSION_CONFLICT on a race").toBeDefined();
    expect(operation("post", "/products").responses["409"]!.description).toMatch(/SKU_TAKEN.*ID_TAKEN/);
    expect(currentOf(operation("post", "/products"))).toBeUndefined();
    expect(operation("post", "/auth/login").responses["409"]).toBeUndefined();
    expect(operation("post", "/auth/login").responses["429"]?.description).toContain("ACCOUNT_LOCKED");
    expect(operation("get", "/auth/me").responses["429"]).toBeUndefined();
  });
});

describe("OpenAPI document: who may call each route", () => {
  it("names the device credential where a device calls, and either it or a token where a till syncs", async () => {
    const doc = (await api("GET", "/api/v1/openapi.json")).json;
    expect(doc.components.securitySchemes.deviceCredential).toEqual(expect.objectContaining({ type: "apiKey", in: "header", name: "X-Device-Credential" }));
    expect(doc.paths["/api/v1/devices/current"].get.security).toEqual([{ deviceCredential: [] }]);
    for (const [path, method] of [["/api/v1/sync/pull", "get"], ["/api/v1/sync/push", "post"], ["/api/v1/sync/status", "get"], ["/api/v1/sync/ws", "get"]] as const) {
      expect(doc.paths[path][method].security, path).toEqual([{ deviceCredential: [] }, { bearerAuth: [] }]);
    }
    expect(doc.paths["/api/v1/sync/dashboard"].get.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths["/api/v1/auth/login"].post.security).toEqual([]);
  });
});
