import { beforeAll, describe, expect, it } from "vitest";
import { client, rowCount } from "./catalogue-fixtures";
import { ADMIN_PASSWORD, api, createTenant, journalCounts, type TestTenant } from "./helpers";

let t: TestTenant;
let as: ReturnType<typeof client>;
beforeAll(async () => {
  t = await createTenant();
  as = client(t.adminToken);
});

const upper = (id: string) => id.toUpperCase();

describe("UUIDs are case-insensitive on the way in", () => {
  it("finds a row by the upper-case spelling of its id in the path", async () => {
    const store = await as.get(`/stores/${upper(t.storeId)}`);
    expect(store.status).toBe(200);
    expect(store.json.data.id).toBe(t.storeId);
    const department = (await as.post("/departments", { name: "Kaffe" })).json.data;
    const updated = await as.put(`/departments/${upper(department.id)}`, { name: "Kaffe & te" }, { "If-Match": '"1"' });
    expect(updated.status).toBe(200);
    expect(updated.json.data).toMatchObject({ id: department.id, name: "Kaffe & te", version: 2 });
  });

  it("stores and answers the ids a body names in lower case, and filters by an upper-case id in the query", async () => {
    const department = (await as.post("/departments", { name: "Bröd" })).json.data;
    const product = await as.post("/products", { sku: "BRD-1", name: "Limpa", sellPrice: 3900, departmentId: upper(department.id) });
    expect(product.status).toBe(201);
    expect(product.json.data.departmentId).toBe(department.id);
    const listed = await as.get(`/products?departmentId=${upper(department.id)}`);
    expect(listed.status).toBe(200);
    expect(listed.json.data.map((p: { id: string }) => p.id)).toEqual([product.json.data.id]);
  });

  it("takes a client-chosen upper-case id as its lower-case spelling", async () => {
    const id = crypto.randomUUID();
    const created = await as.post("/departments", { id: upper(id), name: "Frukt" });
    expect(created.status).toBe(201);
    expect(created.json.data.id).toBe(id);
    expect((await as.get(`/departments/${id}`)).status).toBe(200);
  });

  it("refuses a second row with the upper-case spelling of an existing id: 409 ID_TAKEN, nothing written", async () => {
    const id = crypto.randomUUID();
    expect((await as.post("/departments", { id, name: "Mejeri" })).status).toBe(201);
    const before = { rows: await rowCount("departments", t.tenantId), journal: await journalCounts(t.tenantId) };
    const again = await as.post("/departments", { id: upper(id), name: "Mejeri 2" });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe("ID_TAKEN");
    expect({ rows: await rowCount("departments", t.tenantId), journal: await journalCounts(t.tenantId) }).toEqual(before);

    const productId = crypto.randomUUID();
    expect((await as.post("/products", { id: productId, sku: "ID-1", name: "A", sellPrice: 100 })).status).toBe(201);
    const product = await as.post("/products", { id: upper(productId), sku: "ID-2", name: "B", sellPrice: 100 });
    expect(product.status).toBe(409);
    expect(product.json.code).toBe("ID_TAKEN");
  });

  it("signs in to a store named by the upper-case spelling of its id", async () => {
    const login = await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username: "admin", password: ADMIN_PASSWORD, store: upper(t.storeId) } });
    expect(login.status).toBe(200);
    expect(login.json.data.store.id).toBe(t.storeId);
  });

  it("still documents ids as UUIDs in the OpenAPI document, in requests and answers", async () => {
    const doc = (await api("GET", "/api/v1/openapi.json")).json;
    const get = doc.paths["/api/v1/departments/{id}"].get;
    expect(get.parameters[0]).toMatchObject({ name: "id", in: "path", schema: { type: "string", format: "uuid" } });
    const created = doc.paths["/api/v1/departments"].post;
    expect(created.requestBody.content["application/json"].schema.properties.id).toMatchObject({ type: "string", format: "uuid" });
    expect(created.responses["201"].content["application/json"].schema.properties.data.properties.id).toMatchObject({ type: "string", format: "uuid" });
  });
});
