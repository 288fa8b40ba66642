import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { client } from "./catalogue-fixtures";
import { createTenant, type TestTenant } from "./helpers";

let t: TestTenant;
let as: ReturnType<typeof client>;
beforeAll(async () => {
  t = await createTenant();
  as = client(t.adminToken);
});

const created = async (path: string, body: Record<string, unknown>) => {
  const res = await as.post(path, body);
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.data as { id: string };
};
const found = async (path: string, search: string) => {
  const res = await as.get(`${path}${path.includes("?") ? "&" : "?"}search=${encodeURIComponent(search)}`);
  expect(res.status, `${path} ${search}`).toBe(200);
  return (res.json.data as { id: string }[]).map((r) => r.id);
};

/** Every list that takes `search`. */
const LISTS = ["/products", "/departments", "/taxes", "/taxes/groups", "/suppliers", "/customers", "/sales-reps", "/tenders", "/stores", "/users", "/roles", "/specials"];

describe("search", () => {
  // A row in every list, so that a search has something to be evaluated on
  beforeAll(async () => {
    const department = await created("/departments", { name: "Något" });
    await created("/products", { sku: "EMPTY-1", name: "Något", sellPrice: 100 });
    await created("/taxes", { name: "Något", rate: 100 });
    await created("/taxes/groups", { name: "Något" });
    await created("/suppliers", { name: "Något" });
    await created("/customers", { firstName: "Något" });
    await created("/sales-reps", { code: "NGT", name: "Något" });
    await created("/specials", { name: "Något", kind: "percent", value: 1000, departmentId: department.id, startsAt: "2030-01-01T00:00", endsAt: "2030-01-02T00:00" });
  });

  it.each(LISTS)("an empty or blank search on %s is no filter", async (path) => {
    const all = await as.get(path);
    expect(all.status).toBe(200);
    for (const search of ["", "   "]) {
      const res = await as.get(`${path}?search=${encodeURIComponent(search)}`);
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      expect(res.json.total).toBe(all.json.total);
    }
  });

  it.each(LISTS)("a search as long as the schema allows works on %s, in any script", async (path) => {
    for (const search of ["x".repeat(100), "ä".repeat(100), "€".repeat(100)]) {
      const res = await as.get(`${path}?search=${encodeURIComponent(search)}`);
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      expect(res.json.total).toBe(0);
    }
  });

  it("takes % and _ as the characters they are", async () => {
    const sale = await created("/products", { sku: "PCT-1", name: "Rabatt 50% idag", sellPrice: 100 });
    const plain = await created("/products", { sku: "PCT-2", name: "Rabatt 500 idag", sellPrice: 100 });
    expect(await found("/products", "50%")).toEqual([sale.id]);
    const under = await created("/products", { sku: "UND_1", name: "Understreck", sellPrice: 100 });
    expect(await found("/products", "d_1")).toEqual([under.id]);
    expect(await found("/products", "500")).toEqual([plain.id]);
  });

  it("is case-insensitive in every script, for the name, SKU and barcode of a product", async () => {
    const juice = await created("/products", { sku: "juice-1", barcode: "7310000000017", name: "Äppeljuice", sellPrice: 2500 });
    const coffee = await created("/products", { sku: "GR-1", name: "Καφές ελληνικός", sellPrice: 3000 });
    const kofe = await created("/products", { sku: "RU-1", name: "Кофе чёрный", sellPrice: 3000 });
    const road = await created("/products", { sku: "GR-2", name: "ΟΔΟΣ", sellPrice: 100 });
    const street = await created("/products", { sku: "DE-1", name: "Straße", sellPrice: 100 });
    for (const q of ["äppel", "ÄPPEL", "ÄppelJUICE", "A\u0308ppel", "JUICE-1", "0000000017"]) expect(await found("/products", q), q).toEqual([juice.id]);
    for (const q of ["καφές", "ΚΑΦΈΣ", "ΕΛΛΗΝΙΚΌΣ"]) expect(await found("/products", q), q).toEqual([coffee.id]);
    for (const q of ["кофе", "КОФЕ ЧЁРНЫЙ"]) expect(await found("/products", q), q).toEqual([kofe.id]);
    for (const q of ["οδος", "Οδός".normalize("NFD").replace(/\u0301/g, "")]) expect(await found("/products", q), q).toEqual([road.id]);
    expect(await found("/products", "STRASSE")).toEqual([street.id]);
  });

  it("finds a product by its new name after an update, and no longer by the old one", async () => {
    const p = await created("/products", { sku: "REN-1", name: "Gammalt Namn", sellPrice: 100 });
    expect((await as.put(`/products/${p.id}`, { name: "Färskt Bröd" })).status).toBe(200);
    expect(await found("/products", "FÄRSKT")).toEqual([p.id]);
    expect(await found("/products", "gammalt")).toEqual([]);
  });

  it("finds a product after a change of case only, in any script", async () => {
    const p = await created("/products", { sku: "CASE-1", name: "ÄPPLE SỮA", sellPrice: 100 });
    expect((await as.put(`/products/${p.id}`, { name: "Äpple Sữa" })).status).toBe(200);
    expect((await as.put(`/products/${p.id}`, { name: "ÄPPLE SỮA" })).status).toBe(200);
    expect(await found("/products", "äpple sữa")).toEqual([p.id]);
  });

  it("does not match across two fields", async () => {
    await created("/products", { sku: "ABC", name: "Def", sellPrice: 100 });
    expect(await found("/products", "cdef")).toEqual([]);
  });

  it("is case-insensitive in every script on every catalogue list", async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ["/departments", { name: "Ölbryggeri", code: "OL" }, "ÖLBRYGG"],
      ["/taxes", { name: "Ζ ΦΠΑ", rate: 2400 }, "ζ φπα"],
      ["/taxes/groups", { name: "Ставка НДС" }, "ставка ндс"],
      ["/suppliers", { name: "Leverantör", contactName: "Örjan Åkesson" }, "ÖRJAN"],
      ["/customers", { firstName: "Åsa", lastName: "Öberg" }, "ÅSA ÖB"],
      ["/customers", { companyName: "Ärligt AB" }, "ärligt"],
      ["/sales-reps", { code: "R-O", name: "Ölund" }, "öLUND"],
      ["/tenders", { code: "PRESENT", name: "Presentkort Ö", kind: "gift_card" }, "PRESENTKORT ö"],
      ["/stores", { code: "S-OST", name: "Östermalm", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true }, "östermalm"],
    ];
    for (const [path, body, q] of cases) {
      const row = await created(path, body);
      expect(await found(path, q), `${path} ${q}`).toEqual([row.id]);
    }
  });

  it("finds a supplier, customer or tender by its other fields too", async () => {
    const supplier = await created("/suppliers", { name: "Grossist", code: "GRS-9" });
    expect(await found("/suppliers", "grs-9")).toEqual([supplier.id]);
    const customer = await created("/customers", { firstName: "Eva", email: "Eva.Ek@Example.com", phone: "+46 70 123", customerNumber: "K-77" });
    for (const q of ["eva.ek@example", "+46 70", "k-77"]) expect(await found("/customers", q), q).toEqual([customer.id]);
  });

  it("finds what tenant onboarding made: the first store and the default tenders", async () => {
    expect(await found("/stores", "MAIN STORE")).toEqual([t.storeId]);
    expect(await found("/stores", "s001")).toEqual([t.storeId]);
    expect((await found("/tenders", "cash")).length).toBe(1);
  });

  it("finds rows written before the search column existed, once the backfill migration has run", async () => {
    const now = Date.now();
    const customerId = crypto.randomUUID();
    const departmentId = crypto.randomUUID();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO customers (id, tenant_id, first_name, last_name, created_at, updated_at) VALUES (?, ?, 'Σοφία', 'ЖУКОВА', ?, ?)").bind(customerId, t.tenantId, now, now),
      env.DB.prepare("INSERT INTO departments (id, tenant_id, name, code, created_at, updated_at) VALUES (?, ?, 'FRÅN FÖRR', 'OLD-1', ?, ?)").bind(departmentId, t.tenantId, now, now),
    ]);
    expect(await found("/departments", "från")).toEqual([]);
    const backfill = env.TEST_MIGRATIONS.find((m) => m.name.endsWith("_search_text_backfill.sql"))!;
    const statements = backfill.queries.filter((q) => !/^CREATE TRIGGER/.test(q.trim()));
    await env.DB.batch(statements.map((q) => env.DB.prepare(q)));
    for (const q of ["ΣΟΦΊΑ", "σοφία жук", "жукова"]) expect(await found("/customers", q), q).toEqual([customerId]);
    for (const q of ["från förr", "FRÅN", "old-1"]) expect(await found("/departments", q), q).toEqual([departmentId]);
  });

  it("finds users and roles written before their search column existed, once their backfill has run", async () => {
    const now = Date.now();
    const userId = crypto.randomUUID();
    const roleId = crypto.randomUUID();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO users (id, tenant_id, username, display_name, password_hash, created_at, updated_at) VALUES (?, ?, ?, 'ÅKE ÖST', 'x', ?, ?)").bind(userId, t.tenantId, uniqueName(), now, now),
      env.DB.prepare("INSERT INTO roles (id, tenant_id, name, permissions, created_at, updated_at) VALUES (?, ?, 'ГЛАВНЫЙ', '[]', ?, ?)").bind(roleId, t.tenantId, now, now),
    ]);
    expect(await found("/users", "åke")).toEqual([]);
    const backfill = env.TEST_MIGRATIONS.find((m) => m.name.endsWith("_search_text_people.sql"))!;
    await env.DB.batch(backfill.queries.filter((q) => !/^ALTER TABLE/.test(q.trim())).map((q) => env.DB.prepare(q)));
    expect(await found("/users", "åke öst")).toEqual([userId]);
    expect(await found("/roles", "главный")).toEqual([roleId]);
  });

  it("finds a product written straight to the database, without search_text, and renamed there", async () => {
    const now = Date.now();
    const id = crypto.randomUUID();
    await env.DB.prepare("INSERT INTO products (id, tenant_id, sku, name, sell_price, created_at, updated_at) VALUES (?, ?, 'RAW-1', 'ÄPPELMUST Från Förr', 100, ?, ?)").bind(id, t.tenantId, now, now).run();
    for (const q of ["äppelmust", "FRÅN FÖRR", "raw-1"]) expect(await found("/products", q), q).toEqual([id]);
    await env.DB.prepare("UPDATE products SET name = 'Ψωμί' WHERE id = ?").bind(id).run();
    expect(await found("/products", "ΨΩΜΊ")).toEqual([id]);
    expect(await found("/products", "äppelmust")).toEqual([]);
  });

  it("finds products that a worksheet created or renamed (a writer that leaves search_text to the database)", async () => {
    const applied = async (body: Record<string, unknown>) => {
      const id = (await created("/worksheets", body)).id;
      for (const step of ["submit", "approve", "apply"]) expect((await as.patch(`/worksheets/${id}/${step}`)).status, step).toBe(200);
    };
    const p = await created("/products", { sku: "WS-REN", name: "Gammal Ört", sellPrice: 100 });
    await applied({ kind: "product_update", name: "Byt namn", items: [{ productId: p.id, changes: { name: "Ärtsoppa Äkta" } }] });
    expect(await found("/products", "ÄRTSOPPA")).toEqual([p.id]);
    expect(await found("/products", "gammal ört")).toEqual([]);
    await applied({ kind: "new_product", name: "Ny", items: [{ product: { sku: "WS-NY-1", name: "Ölkorv", sellPrice: 100 } }] });
    expect((await found("/products", "ÖLKORV")).length).toBe(1);
    expect((await found("/products", "ws-ny-1")).length).toBe(1);
  });

  it("folds a worksheet's products in JS like every other write, also in scripts the SQL backstop does not know", async () => {
    const applied = async (body: Record<string, unknown>) => {
      const id = (await created("/worksheets", body)).id;
      for (const step of ["submit", "approve", "apply"]) expect((await as.patch(`/worksheets/${id}/${step}`)).status, step).toBe(200);
    };
    // Deseret has upper and lower case, and is outside the backfill's (and the triggers') replacement table.
    await applied({ kind: "new_product", name: "Ny", items: [{ product: { sku: "WS-DS-1", name: "\u{10400}\u{10428}pple", sellPrice: 100 } }] });
    expect((await found("/products", "\u{10428}\u{10428}PPLE")).length).toBe(1);
    const p = await created("/products", { sku: "WS-DS-2", name: "Plain", sellPrice: 100 });
    await applied({ kind: "product_update", name: "Byt", items: [{ productId: p.id, changes: { name: "\u{10401}\u{10429}" } }] });
    expect(await found("/products", "\u{10429}\u{10401}")).toEqual([p.id]);
  });

  it("finds staff, roles and specials in every script too", async () => {
    const role = await created("/roles", { name: "Kassörska Östermalm", permissions: ["pos.sell"] });
    const user = await created("/users", { username: uniqueName(), displayName: "Åsa Öberg", issuePin: false, password: "a long enough password", storeRoles: [{ storeId: t.storeId, roleId: role.id }] });
    const department = await created("/departments", { name: "Soppor" });
    const special = await created("/specials", { name: "Ärtsoppa & Pannkakor", kind: "percent", value: 500, departmentId: department.id, startsAt: "2030-02-01T00:00", endsAt: "2030-02-02T00:00" });
    expect(await found("/users", "åsa ö")).toEqual([user.id]);
    expect(await found("/users", "ÅSA")).toEqual([user.id]);
    expect(await found("/roles", "kassörska östermalm")).toEqual([role.id]);
    expect(await found("/specials", "ÄRTSOPPA")).toEqual([special.id]);
    // a rename is found by its new name only
    expect((await as.put(`/users/${user.id}`, { displayName: "Ösa Ämne" })).status).toBe(200);
    expect(await found("/users", "åsa")).toEqual([]);
    expect(await found("/users", "ÖSA")).toEqual([user.id]);
    expect((await as.put(`/roles/${role.id}`, { name: "Chef Södermalm" })).status).toBe(200);
    expect(await found("/roles", "SÖDER")).toEqual([role.id]);
  });
});

const uniqueName = () => `u${crypto.randomUUID().slice(0, 8)}`;
