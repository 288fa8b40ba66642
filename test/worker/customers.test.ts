import { beforeAll, describe, expect, it } from "vitest";
import { client, paths, rowCount } from "./catalogue-fixtures";
import { auditOf, createTenant, d1Count, feedOf, journalCounts, userWith, type TestTenant } from "./helpers";

let t: TestTenant;
let other: TestTenant;
let as: ReturnType<typeof client>;
beforeAll(async () => {
  [t, other] = await Promise.all([createTenant(), createTenant()]);
  as = client(t.adminToken);
});

describe("customers", () => {
  it("create with every field or with only a name (the rest null), journalled in the batch", async () => {
    const before = await journalCounts(t.tenantId);
    const res = await as.post("/customers", {
      customerNumber: "C-1", firstName: "Astrid", lastName: "Lindgren", companyName: null, email: "astrid@example.se",
      phone: "+46701234567", address: "Vimmerby", notes: "Prefers receipts by email",
    });
    expect(res.status).toBe(201);
    expect(res.json.data).toEqual({
      id: expect.any(String), customerNumber: "C-1", firstName: "Astrid", lastName: "Lindgren", companyName: null, email: "astrid@example.se",
      phone: "+46701234567", address: "Vimmerby", notes: "Prefers receipts by email", isActive: true, version: 1,
      createdAt: expect.any(String), updatedAt: expect.any(String),
    });
    expect(d1Count(res)).toBe(1);
    expect(await feedOf(res.json.data.id)).toMatchObject([{ tenant_id: t.tenantId, entity: "customer", op: "upsert", version: 1 }]);
    expect(await auditOf(res.json.data.id)).toMatchObject([{ action: "customer.create" }]);
    expect(await journalCounts(t.tenantId)).toEqual({ feed: before.feed + 1, audit: before.audit + 1 });

    const company = await as.post("/customers", { companyName: "Volvo AB" });
    expect(company.json.data).toMatchObject({ companyName: "Volvo AB", firstName: null, lastName: null, customerNumber: null, email: null });
    expect((await as.get(`/customers/${res.json.data.id}`)).json.data).toEqual(res.json.data);
  });

  it("refuse bad input with 400 naming the field", async () => {
    const before = await rowCount("customers", t.tenantId);
    expect(paths(await as.post("/customers", { email: "nameless@example.se" }))).toEqual(["firstName"]);
    expect(paths(await as.post("/customers", { firstName: "", lastName: "" }))).toEqual(["firstName"]);
    expect(paths(await as.post("/customers", { firstName: "A", email: "nope" }))).toEqual(["email"]);
    expect(paths(await as.post("/customers", { firstName: "A", customerNumber: "C 1" }))).toEqual(["customerNumber"]);
    expect(paths(await as.post("/customers", { firstName: "A", phone: "1".repeat(51) }))).toEqual(["phone"]);
    expect(paths(await as.get(`/customers?search=${"x".repeat(101)}`))).toEqual(["query.search"]);
    expect(await rowCount("customers", t.tenantId)).toBe(before);
  });

  it("may not lose every name on update (400), but may swap one name for another", async () => {
    const c = (await as.post("/customers", { firstName: "Pippi" })).json.data;
    const nameless = await as.put(`/customers/${c.id}`, { version: 1, firstName: null });
    expect(nameless.status).toBe(400);
    expect(paths(nameless)).toEqual(["firstName"]);
    expect((await as.get(`/customers/${c.id}`)).json.data).toMatchObject({ firstName: "Pippi", version: 1 });
    const swapped = await as.put(`/customers/${c.id}`, { version: 1, firstName: null, lastName: "Långstrump" });
    expect(swapped.json.data).toMatchObject({ firstName: null, lastName: "Långstrump", version: 2 });
  });

  it("keep customer numbers unique per tenant (409 CUSTOMER_NUMBER_TAKEN)", async () => {
    await as.post("/customers", { firstName: "Emil", customerNumber: "C-200" });
    const dup = await as.post("/customers", { firstName: "Ida", customerNumber: "C-200" });
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe("CUSTOMER_NUMBER_TAKEN");
    const ida = (await as.post("/customers", { firstName: "Ida" })).json.data;
    expect((await as.put(`/customers/${ida.id}`, { customerNumber: "C-200" })).json.code).toBe("CUSTOMER_NUMBER_TAKEN");
    expect((await client(other.adminToken).post("/customers", { firstName: "Emil", customerNumber: "C-200" })).status).toBe(201);
  });

  it("update with versions; a stale one is 409 with the current customer and writes nothing", async () => {
    const c = (await as.post("/customers", { firstName: "Karlsson" })).json.data;
    const v2 = await as.put(`/customers/${c.id}`, { email: "karlsson@taket.example" }, { "If-Match": "1" });
    expect(v2.json.data).toMatchObject({ email: "karlsson@taket.example", firstName: "Karlsson", version: 2 });
    const before = await journalCounts(t.tenantId);
    const stale = await as.put(`/customers/${c.id}`, { version: 1, email: null });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ code: "VERSION_CONFLICT", current: { id: c.id, version: 2, email: "karlsson@taket.example" } });
    expect(await journalCounts(t.tenantId)).toEqual(before);
  });

  it("search by name, company, email, phone and customer number; one round trip a page", async () => {
    const tt = await createTenant();
    const c = client(tt.adminToken);
    for (const body of [
      { firstName: "Astrid", lastName: "Lindgren", email: "astrid@example.se", phone: "+46701234567", customerNumber: "C-100" },
      { companyName: "Volvo AB", email: "inkop@volvo.example", phone: "031-660000" },
      { firstName: "Sven", lastName: "Andersson", email: "sven@example.se", isActive: false },
      { firstName: "Anna", lastName: "Andersson", customerNumber: "C-101" },
    ]) {
      expect((await c.post("/customers", body)).status).toBe(201);
    }
    const who = async (q: string) =>
      (await c.get(`/customers?search=${encodeURIComponent(q)}`)).json.data.map((x: { firstName: string | null; companyName: string | null }) => x.firstName ?? x.companyName);
    expect(await who("Astrid Lind")).toEqual(["Astrid"]);
    expect(await who("lindgren")).toEqual(["Astrid"]);
    expect(await who("volvo")).toEqual(["Volvo AB"]);
    expect(await who("@example.se")).toEqual(["Sven", "Astrid"]);
    expect(await who("0123")).toEqual(["Astrid"]);
    expect(await who("660000")).toEqual(["Volvo AB"]);
    expect(await who("C-10")).toEqual(["Anna", "Astrid"]);
    expect(await who("nobody")).toEqual([]);

    // ordered by last name (or company), then first name
    const all = await c.get("/customers");
    expect(all.json.data.map((x: { firstName: string | null; companyName: string | null }) => x.firstName ?? x.companyName)).toEqual(["Anna", "Sven", "Astrid", "Volvo AB"]);
    expect(d1Count(all)).toBe(1);
    const active = await c.get("/customers?isActive=true&pageSize=2&page=2");
    expect(active.json).toMatchObject({ total: 3, page: 2, pageSize: 2 });
    expect(active.json.data.map((x: { companyName: string | null }) => x.companyName)).toEqual(["Volvo AB"]);
    expect(d1Count(active)).toBe(1);
  });

  it("answer 404 for another tenant's customer", async () => {
    const theirs = (await client(other.adminToken).post("/customers", { firstName: "Theirs" })).json.data;
    expect((await as.get(`/customers/${theirs.id}`)).status).toBe(404);
    expect((await as.put(`/customers/${theirs.id}`, { firstName: "Mine" })).status).toBe(404);
    expect((await as.del(`/customers/${theirs.id}`)).status).toBe(404);
    expect((await as.get("/customers?search=Theirs")).json.data).toEqual([]);
    expect((await client(other.adminToken).get(`/customers/${theirs.id}`)).status).toBe(200);
  });

  it("may be deleted with customers.edit (as the spec says), with a version check", async () => {
    const editor = client((await userWith(t, ["customers.edit"])).token);
    const viewer = client((await userWith(t, ["customers.view", "customers.create"])).token);
    const c = (await viewer.post("/customers", { firstName: "Temp", customerNumber: "C-TEMP" })).json.data;
    expect((await viewer.del(`/customers/${c.id}`)).status).toBe(403);
    expect((await editor.del(`/customers/${c.id}`, undefined, { "If-Match": "3" })).json.code).toBe("VERSION_CONFLICT");
    const res = await editor.del(`/customers/${c.id}`, undefined, { "If-Match": "1" });
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual({ id: c.id, deleted: true });
    expect((await viewer.get(`/customers/${c.id}`)).status).toBe(404);
    expect((await feedOf(c.id)).map((f) => [f.op, f.version])).toEqual([["upsert", 1], ["delete", 2]]);
    expect((await auditOf(c.id)).map((a) => a.action)).toEqual(["customer.create", "customer.delete"]);
    // the number is free again
    expect((await as.post("/customers", { firstName: "New", customerNumber: "C-TEMP" })).status).toBe(201);
  });
});
