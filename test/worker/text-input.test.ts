import { beforeAll, describe, expect, it } from "vitest";
import { client, paths } from "./catalogue-fixtures";
import { api, createTenant, journalCounts, operatorToken, uniqueSlug, type TestTenant } from "./helpers";

let t: TestTenant;
let as: ReturnType<typeof client>;
beforeAll(async () => {
  t = await createTenant();
  as = client(t.adminToken);
});

const raw = (method: string, path: string, json: string) =>
  api(method, `/api/v1${path}`, { token: t.adminToken, rawBody: json, headers: { "Content-Type": "application/json" } });

describe("a NUL or a lone surrogate anywhere in the input is 400 INVALID_TEXT naming where", () => {
  it("in a body string, nested or not, and nothing is written", async () => {
    const before = await journalCounts(t.tenantId);
    const nul = await raw("POST", "/departments", '{"name":"Kaf\\u0000fe"}');
    expect(nul.status).toBe(400);
    expect(nul.json).toMatchObject({ success: false, code: "INVALID_TEXT", fields: [{ path: "name", message: expect.stringContaining("U+0000") }] });
    expect(nul.json.error).toContain("name");
    const lone = await raw("POST", "/taxes/groups", '{"name":"Moms","taxRateIds":[],"x":{"y":["ok","\\udc00"]}}');
    expect(lone.status).toBe(400);
    expect(lone.json).toMatchObject({ code: "INVALID_TEXT", fields: [{ path: "x.y.1", message: expect.stringMatching(/lone surrogate U\+DC00/) }] });
    const high = await raw("POST", "/products", '{"sku":"S-1","name":"A\\ud800","sellPrice":100}');
    expect(high.status).toBe(400);
    expect(high.json.fields).toEqual([{ path: "name", message: expect.stringContaining("U+D800") }]);
    expect(await journalCounts(t.tenantId)).toEqual(before);
  });

  it("accepts a surrogate pair (an emoji) as the character it is", async () => {
    const res = await raw("POST", "/departments", '{"name":"Glass \\ud83c\\udf66"}');
    expect(res.status).toBe(201);
    expect(res.json.data.name).toBe("Glass 🍦");
  });

  it("in a body key", async () => {
    const res = await raw("POST", "/departments", '{"name":"Ok","na\\u0000me":"x"}');
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: "INVALID_TEXT", fields: [{ path: "", message: expect.stringMatching(/key .*U\+0000/) }] });
  });

  it("in the query string and in path parameters", async () => {
    const query = await as.get("/products?search=ab%00cd");
    expect(query.status).toBe(400);
    expect(query.json).toMatchObject({ code: "INVALID_TEXT", fields: [{ path: "query.search" }] });
    const param = await as.get("/products/barcode/1234%005678");
    expect(param.status).toBe(400);
    expect(param.json).toMatchObject({ code: "INVALID_TEXT", fields: [{ path: "params.barcode" }] });
  });

  it("on public routes too (login)", async () => {
    const res = await api("POST", "/api/v1/auth/login", { rawBody: `{"tenant":"${t.slug}","username":"admin","password":"x\\u0000y"}`, headers: { "Content-Type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: "INVALID_TEXT", fields: [{ path: "password" }] });
  });
});

describe("names are one printable line", () => {
  const ESC = "\u001b";
  /** Every name-like field a receipt or a till screen shows, with a body that is fine but for it. */
  const cases: [string, string, (bad: string) => Record<string, unknown>, string][] = [
    ["product name", "/products", (bad) => ({ sku: `S-${crypto.randomUUID().slice(0, 6)}`, name: bad, sellPrice: 100 }), "name"],
    ["department", "/departments", (bad) => ({ name: bad }), "name"],
    ["tax rate", "/taxes", (bad) => ({ name: bad, rate: 2500 }), "name"],
    ["tax group", "/taxes/groups", (bad) => ({ name: bad }), "name"],
    ["supplier", "/suppliers", (bad) => ({ name: bad }), "name"],
    ["supplier contact", "/suppliers", (bad) => ({ name: "Lev", contactName: bad }), "contactName"],
    ["customer first name", "/customers", (bad) => ({ firstName: bad }), "firstName"],
    ["customer last name", "/customers", (bad) => ({ firstName: "A", lastName: bad }), "lastName"],
    ["customer company", "/customers", (bad) => ({ companyName: bad }), "companyName"],
    ["sales rep", "/sales-reps", (bad) => ({ code: "R1", name: bad }), "name"],
    ["tender", "/tenders", (bad) => ({ code: "GIFT", name: bad, kind: "gift_card" }), "name"],
    ["store name", "/stores", (bad) => ({ code: "S9", name: bad, currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true }), "name"],
    ["store phone", "/stores", (bad) => ({ code: "S9", name: "Nio", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true, phone: bad }), "phone"],
    ["user display name", "/users", (bad) => ({ username: "lisa", displayName: bad, password: "long enough pass" }), "displayName"],
    ["role", "/roles", (bad) => ({ name: bad }), "name"],
    ["special", "/specials", (bad) => ({ name: bad, kind: "percent", value: 1000, departmentId: null, productIds: [], startsAt: "2030-01-01T00:00", endsAt: "2030-01-02T00:00" }), "name"],
    ["worksheet", "/worksheets", (bad) => ({ kind: "deactivate", name: bad, items: [] }), "name"],
  ];

  it.each(cases)("%s refuses ESC, naming the field and the character", async (_what, path, body, field) => {
    const res = await as.post(path, body(`Kaffe${ESC}@`));
    expect(res.status).toBe(400);
    expect(res.json.code).toBe("VALIDATION_ERROR");
    const problem = res.json.fields.find((f: { path: string }) => f.path === field);
    expect(problem?.message).toMatch(/control character U\+001B \(ESC\)/);
    expect(res.json.error).toContain(field);
  });

  const refused: [string, string, RegExp][] = [
    ["TAB", "a\tb", /U\+0009/],
    ["LF", "a\nb", /U\+000A/],
    ["CR", "a\rb", /U\+000D/],
    ["DEL", "a\u007fb", /U\+007F/],
    ["a C1 control (NEL)", "a\u0085b", /U\+0085/],
    ["LINE SEPARATOR", "a\u2028b", /line break U\+2028/],
    ["RIGHT-TO-LEFT OVERRIDE", "a\u202eb", /bidirectional control U\+202E/],
    ["a bidi isolate", "a\u2067b", /bidirectional control U\+2067/],
  ];
  it.each(refused)("refuses %s inside a name", async (_what, name, message) => {
    const res = await as.post("/departments", { name });
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(["name"]);
    expect(res.json.fields[0].message).toMatch(message);
  });

  it("refuses them on update as well", async () => {
    const d = (await as.post("/departments", { name: "Rätt" })).json.data;
    const res = await as.put(`/departments/${d.id}`, { name: `Fel${ESC}` });
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(["name"]);
  });

  it("stores names in NFC, so that the two spellings of Å are one name", async () => {
    const composed = await as.post("/departments", { name: "\u00c5pplen" });
    expect(composed.status).toBe(201);
    const decomposed = await as.post("/departments", { name: "A\u030applen" });
    expect(decomposed.status).toBe(409);
    expect(decomposed.json.code).toBe("DEPARTMENT_NAME_TAKEN");
    const p = await as.post("/products", { sku: "NFC-1", name: "Pa\u0308ron", sellPrice: 100 });
    expect(p.json.data.name).toBe("P\u00e4ron");
  });

  it("lets right-to-left names keep their marks (LRM, RLM) and any script", async () => {
    const res = await as.post("/departments", { name: "\u05e7\u05e4\u05d4 \u200f3\u200e Καφές Кофе" });
    expect(res.status).toBe(201);
  });

  it("tenant onboarding: the tenant's name and the first administrator's display name", async () => {
    const body = (name: string, displayName: string) => ({
      slug: uniqueSlug(), name, currency: "SEK",
      store: { code: "S1", name: "Butik", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true },
      admin: { username: "admin", displayName, password: "long enough pass" },
    });
    const res = await api("POST", "/api/v1/tenants", { token: operatorToken, body: body(`Acme${ESC}`, `Boss${ESC}`) });
    expect(res.status).toBe(400);
    expect(paths(res).sort()).toEqual(["admin.displayName", "name"]);
  });
});

describe("descriptions, notes and addresses may break lines with \\n only", () => {
  it("keeps \\n, takes CR LF as \\n, refuses TAB and ESC", async () => {
    const ok = await as.post("/products", { sku: "ML-1", name: "Rader", sellPrice: 100, description: "Rad 1\r\nRad 2\nRad 3" });
    expect(ok.status).toBe(201);
    expect(ok.json.data.description).toBe("Rad 1\nRad 2\nRad 3");
    const tab = await as.post("/products", { sku: "ML-2", name: "Tab", sellPrice: 100, description: "a\tb" });
    expect(tab.status).toBe(400);
    expect(tab.json.fields).toEqual([{ path: "description", message: expect.stringContaining("U+0009 (TAB)") }]);
    const notes = await as.post("/suppliers", { name: "Lev", notes: "x\u001bE" });
    expect(paths(notes)).toEqual(["notes"]);
    const address = await as.post("/customers", { firstName: "A", address: "Gatan 1\n111 22 Stad\u202e" });
    expect(paths(address)).toEqual(["address"]);
    const store = await as.post("/stores", { code: "S8", name: "Åtta", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true, address: "Gatan 1\n111 22 Stad" });
    expect(store.status).toBe(201);
    const role = await as.post("/roles", { name: "Beskriven", description: "ok\u0007" });
    expect(paths(role)).toEqual(["description"]);
  });

  it("documents the refused characters as a pattern in the OpenAPI document", async () => {
    const doc = (await api("GET", "/api/v1/openapi.json")).json;
    const name = doc.paths["/api/v1/departments"].post.requestBody.content["application/json"].schema.properties.name;
    expect(name.pattern).toBeDefined();
    expect(new RegExp(name.pattern).test("Kaffe")).toBe(true);
    expect(new RegExp(name.pattern).test("Kaffe\u001b")).toBe(false);
  });
});
