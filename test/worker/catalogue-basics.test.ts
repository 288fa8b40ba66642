import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createTenant, userWith, type TestTenant } from "./helpers";

let t: TestTenant;
beforeAll(async () => {
  t = await createTenant();
});
const post = (path: string, body: unknown) => api("POST", `/api/v1${path}`, { token: t.adminToken, body });
const put = (path: string, body: unknown) => api("PUT", `/api/v1${path}`, { token: t.adminToken, body });
const del = (path: string) => api("DELETE", `/api/v1${path}`, { token: t.adminToken });
const get = (path: string) => api("GET", `/api/v1${path}`, { token: t.adminToken });
const feedOps = async (id: string) =>
  (await env.DB.prepare("SELECT entity, op, version FROM change_feed WHERE entity_id = ? ORDER BY seq").bind(id).all()).results;

describe("tax rates and groups", () => {
  it("take basis points or millionths and answer both", async () => {
    const vat = await post("/taxes", { name: "Moms 25", rate: 2500 });
    expect(vat.status).toBe(201);
    expect(vat.json.data).toMatchObject({ rate: 2500, rateMillionths: 250_000, isCompound: false });
    const qst = await post("/taxes", { name: "QST", rateMillionths: 99_750 });
    expect(qst.json.data).toMatchObject({ rate: null, rateMillionths: 99_750 });
    const both = await post("/taxes", { name: "Both", rate: 100, rateMillionths: 10_000 });
    expect(both.status).toBe(400);
    const over = await post("/taxes", { name: "Over", rate: 10_001 });
    expect(over.json.fields[0].path).toBe("rate");
    const changed = await put(`/taxes/${vat.json.data.id}`, { version: 1, rateMillionths: 240_000 });
    expect(changed.json.data).toMatchObject({ rate: 2400, version: 2 });
  });

  it("keeps a group's rates in order and refuses other tenants' rates", async () => {
    const gst = (await post("/taxes", { name: "GST", rate: 500 })).json.data;
    const qst = (await post("/taxes", { name: "QST old", rate: 950, isCompound: true })).json.data;
    const group = await post("/taxes/groups", { name: "Québec 2012", taxRateIds: [gst.id, qst.id] });
    expect(group.status).toBe(201);
    expect(group.json.data.rates).toMatchObject([
      { id: gst.id, rate: 500, isCompound: false, sortOrder: 0 },
      { id: qst.id, rate: 950, isCompound: true, sortOrder: 1 },
    ]);
    const reordered = await put(`/taxes/groups/${group.json.data.id}`, { version: 1, taxRateIds: [qst.id, gst.id] });
    expect(reordered.json.data.rates.map((r: { id: string }) => r.id)).toEqual([qst.id, gst.id]);
    const list = await get("/taxes/groups?search=Québec");
    expect(list.json.data[0].rates).toHaveLength(2);
    expect(list.headers.get("Server-Timing")).toMatch(/^d1;count=1;/);

    const other = await createTenant();
    const theirs = (await api("POST", "/api/v1/taxes", { token: other.adminToken, body: { name: "Theirs", rate: 100 } })).json.data;
    const foreign = await post("/taxes/groups", { name: "Mixed", taxRateIds: [gst.id, theirs.id] });
    expect(foreign.status).toBe(422);
    expect(foreign.json.fields).toEqual([{ path: "taxRateIds.1", message: "is not a tax rate of this tenant" }]);
  });

  it("refuse to delete a rate a group holds, or a group a product uses", async () => {
    const rate = (await post("/taxes", { name: "Moms 6", rate: 600 })).json.data;
    const group = (await post("/taxes/groups", { name: "Books", taxRateIds: [rate.id] })).json.data;
    const product = (await post("/products", { sku: "BOOK-1", name: "Bok", sellPrice: 19900, taxGroupId: group.id })).json.data;
    expect((await del(`/taxes/${rate.id}`)).json.code).toBe("TAX_RATE_IN_USE");
    expect((await del(`/taxes/groups/${group.id}`)).json.code).toBe("TAX_GROUP_IN_USE");
    await del(`/products/${product.id}`);
    expect((await del(`/taxes/groups/${group.id}`)).status).toBe(200);
    expect((await del(`/taxes/${rate.id}`)).status).toBe(200);
    expect(await feedOps(rate.id)).toEqual([{ entity: "tax_rate", op: "upsert", version: 1 }, { entity: "tax_rate", op: "delete", version: 2 }]);
  });
});

describe("departments", () => {
  it("are unique by name, and cannot go while products use them", async () => {
    const d = await post("/departments", { name: "Bageri", code: "BAK" });
    expect(d.status).toBe(201);
    expect((await post("/departments", { name: "Bageri" })).json.code).toBe("DEPARTMENT_NAME_TAKEN");
    expect((await post("/departments", { name: "Other", code: "BAK" })).json.code).toBe("DEPARTMENT_CODE_TAKEN");
    const p = (await post("/products", { sku: "BAK-1", name: "Kanelbulle", sellPrice: 2500, departmentId: d.json.data.id })).json.data;
    const busy = await del(`/departments/${d.json.data.id}`);
    expect(busy.status).toBe(409);
    expect(busy.json.code).toBe("DEPARTMENT_IN_USE");
    await put(`/products/${p.id}`, { departmentId: null });
    expect((await del(`/departments/${d.json.data.id}`)).status).toBe(200);
    expect((await post("/departments", { name: "Bageri" })).status).toBe(201);
  });
});

describe("tenders", () => {
  it("start as CASH and CARD for a new tenant", async () => {
    const list = await get("/tenders");
    expect(list.json.data.map((x: { code: string }) => x.code)).toEqual(["CASH", "CARD"]);
    expect(list.json.data[0]).toMatchObject({ kind: "cash", isCash: true, opensDrawer: true, allowsChange: true });
  });

  it("upper-case and deduplicate codes, with cash defaults by kind", async () => {
    const swish = await post("/tenders", { code: "swish", name: "Swish", kind: "mobile", sortOrder: 2 });
    expect(swish.json.data).toMatchObject({ code: "SWISH", isCash: false, opensDrawer: false, allowsChange: false });
    expect((await post("/tenders", { code: "Swish", name: "Again", kind: "mobile" })).json.code).toBe("TENDER_CODE_TAKEN");
    expect((await post("/tenders", { code: "GIFT", name: "Gift", kind: "coupon" })).status).toBe(400);
    const eur = await post("/tenders", { code: "EUR_CASH", name: "Euro cash", kind: "cash", allowsChange: false });
    expect(eur.json.data).toMatchObject({ isCash: true, opensDrawer: true, allowsChange: false });
  });
});

describe("customers, suppliers and sales reps", () => {
  it("customers: search by name, email, phone or number; a name is required", async () => {
    await post("/customers", { firstName: "Astrid", lastName: "Lindgren", email: "astrid@example.se", phone: "+46701234567", customerNumber: "C-100" });
    await post("/customers", { companyName: "Volvo AB", email: "inkop@volvo.example" });
    const by = async (q: string) => (await get(`/customers?search=${encodeURIComponent(q)}`)).json.data.map((c: { email: string }) => c.email);
    expect(await by("Astrid Lind")).toEqual(["astrid@example.se"]);
    expect(await by("0123")).toEqual(["astrid@example.se"]);
    expect(await by("C-100")).toEqual(["astrid@example.se"]);
    expect(await by("volvo")).toEqual(["inkop@volvo.example"]);
    const nameless = await post("/customers", { email: "x@example.se" });
    expect(nameless.status).toBe(400);
    expect((await post("/customers", { firstName: "Dup", customerNumber: "C-100" })).json.code).toBe("CUSTOMER_NUMBER_TAKEN");
  });

  it("customers may be deleted with customers.edit", async () => {
    const editor = await userWith(t, ["customers.edit", "customers.create", "customers.view"]);
    const c = (await api("POST", "/api/v1/customers", { token: editor.token, body: { firstName: "Temp" } })).json.data;
    expect((await api("DELETE", `/api/v1/customers/${c.id}`, { token: editor.token })).status).toBe(200);
    expect((await get(`/customers/${c.id}`)).status).toBe(404);
  });

  it("suppliers: create, update with versions, delete", async () => {
    const s = (await post("/suppliers", { name: "Gevalia", code: "GEV", contactName: "Eva", email: "order@gevalia.example" })).json.data;
    expect(s).toMatchObject({ name: "Gevalia", code: "GEV", phone: null, isActive: true });
    expect((await put(`/suppliers/${s.id}`, { version: 1, phone: "08-123" })).json.data).toMatchObject({ phone: "08-123", version: 2 });
    expect((await put(`/suppliers/${s.id}`, { version: 1, phone: "x" })).status).toBe(409);
    expect((await post("/suppliers", { name: "Other", code: "GEV" })).json.code).toBe("SUPPLIER_CODE_TAKEN");
  });

  it("sales reps: commission in basis points, linked user must exist, toggle active", async () => {
    const rep = await post("/sales-reps", { code: "R1", name: "Rut", commissionRate: 250, userId: t.adminId });
    expect(rep.json.data).toMatchObject({ commissionRate: 250, userId: t.adminId, isActive: true });
    const toggled = await api("PATCH", `/api/v1/sales-reps/${rep.json.data.id}/toggle-active`, { token: t.adminToken, headers: { "If-Match": "1" } });
    expect(toggled.json.data).toMatchObject({ isActive: false, version: 2 });
    const ghost = await post("/sales-reps", { code: "R2", name: "Ghost", userId: crypto.randomUUID() });
    expect(ghost.status).toBe(422);
    expect(ghost.json.fields[0].path).toBe("userId");
    expect((await post("/sales-reps", { code: "R3", name: "Greedy", commissionRate: 20_000 })).status).toBe(400);
  });
});
