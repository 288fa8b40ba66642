import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { client, insertProduct, paths, rowCount } from "./catalogue-fixtures";
import { auditOf, createTenant, d1Count, enrolTill, feedOf, insertDepartment, journalCounts, userWith, type TestTenant } from "./helpers";
import { ids, pullAll } from "./sync-pull-fixtures";

let t: TestTenant;
let other: TestTenant;
let as: ReturnType<typeof client>;
beforeAll(async () => {
  [t, other] = await Promise.all([createTenant(), createTenant()]);
  as = client(t.adminToken);
});

const unique = () => crypto.randomUUID().slice(0, 8);
const expectError = (res: { status: number; json: any }, status: number, code: string) => {
  expect(res.status, JSON.stringify(res.json)).toBe(status);
  expect(res.json).toMatchObject({ success: false, code });
};

describe("product banners", () => {
  it("creates a banner in one batch with its change-feed row and audit entry, its window answered in UTC", async () => {
    const productId = await insertProduct(t.tenantId, {});
    const before = await journalCounts(t.tenantId);
    const res = await as.post("/product-banners", {
      title: " Julbord ", text: "Boka\r\nnu", imageUrl: "https://cdn.example.com/jul.png", productId,
      activeFrom: "2026-12-01T08:00:00+01:00", activeUntil: "2026-12-24T00:00:00+01:00", sortOrder: 5,
    });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json.data).toEqual({
      id: expect.any(String), title: "Julbord", text: "Boka\nnu", imageUrl: "https://cdn.example.com/jul.png", productId, departmentId: null,
      activeFrom: "2026-12-01T07:00:00.000Z", activeUntil: "2026-12-23T23:00:00.000Z", sortOrder: 5, isActive: true,
      version: 1, createdAt: expect.any(String), updatedAt: expect.any(String),
    });
    const id = res.json.data.id;
    expect(await feedOf(id)).toEqual([{ seq: expect.any(Number), tenant_id: t.tenantId, store_id: null, entity: "product_banner", entity_id: id, op: "upsert", version: 1 }]);
    expect(await auditOf(id)).toMatchObject([{ tenant_id: t.tenantId, actor_type: "user", actor_id: t.adminId, action: "product_banner.create" }]);
    expect(await journalCounts(t.tenantId)).toEqual({ feed: before.feed + 1, audit: before.audit + 1 });
    expect((await as.get(`/product-banners/${id}`)).json.data).toEqual(res.json.data);
  });

  it("refuses bad input with 400 naming each field, and writes nothing", async () => {
    const before = await journalCounts(t.tenantId);
    expect(paths(await as.post("/product-banners", { text: "no title" }))).toEqual(["title"]);
    expect(paths(await as.post("/product-banners", { title: "   " }))).toEqual(["title"]);
    expect(paths(await as.post("/product-banners", { title: "x", imageUrl: "http://cdn.example.com/a.png" }))).toEqual(["imageUrl"]);
    expect(paths(await as.post("/product-banners", { title: "x", imageUrl: "javascript:alert(1)" }))).toEqual(["imageUrl"]);
    expect(paths(await as.post("/product-banners", { title: "x", text: "bell\u0007" }))).toEqual(["text"]);
    expect(paths(await as.post("/product-banners", { title: "x", activeFrom: "2026-12-01T08:00:00" }))).toEqual(["activeFrom"]);
    expect(paths(await as.post("/product-banners", { title: "x", sortOrder: 1.5 }))).toEqual(["sortOrder"]);
    expect(paths(await as.post("/product-banners", { title: "x", productId: crypto.randomUUID(), departmentId: crypto.randomUUID() }))).toEqual(["departmentId"]);
    const backwards = await as.post("/product-banners", { title: "x", activeFrom: "2026-12-02T00:00:00Z", activeUntil: "2026-12-01T00:00:00Z" });
    expectError(backwards, 400, "VALIDATION_ERROR");
    expect(paths(backwards)).toEqual(["activeUntil"]);
    expect(paths(await as.get("/product-banners?activeAt=tomorrow"))).toEqual(["query.activeAt"]);
    expect(await journalCounts(t.tenantId)).toEqual(before);
  });

  it("links only to a live product or department of the tenant (422 naming the field)", async () => {
    const foreignProduct = await insertProduct(other.tenantId, {});
    const deleted = await insertProduct(t.tenantId, { deleted: true });
    for (const productId of [foreignProduct, deleted]) {
      const res = await as.post("/product-banners", { title: "x", productId });
      expectError(res, 422, "UNKNOWN_REFERENCE");
      expect(paths(res)).toEqual(["productId"]);
    }
    const res = await as.post("/product-banners", { title: "x", departmentId: await insertDepartment(other.tenantId, `D ${unique()}`) });
    expect(paths(res)).toEqual(["departmentId"]);
  });

  it("updates what it names with the version (If-Match or body), checks the rules on the banner it leaves, and refuses a stale version with the current one", async () => {
    const departmentId = await insertDepartment(t.tenantId, `Bröd ${unique()}`);
    const created = (await as.post("/product-banners", { title: "Bröd", departmentId, activeFrom: "2026-01-01T00:00:00Z" })).json.data;
    const renamed = await as.put(`/product-banners/${created.id}`, { title: "Nybakat" }, { "If-Match": '"1"' });
    expect(renamed.status).toBe(200);
    expect(renamed.json.data).toMatchObject({ title: "Nybakat", departmentId, version: 2, activeFrom: "2026-01-01T00:00:00.000Z" });
    // A product link beside the department's: not both.
    const both = await as.put(`/product-banners/${created.id}`, { productId: await insertProduct(t.tenantId, {}) });
    expect(paths(both)).toEqual(["departmentId"]);
    // The window as it would be: until before the from already there.
    expect(paths(await as.put(`/product-banners/${created.id}`, { activeUntil: "2025-12-31T00:00:00Z" }))).toEqual(["activeUntil"]);
    const stale = await as.put(`/product-banners/${created.id}`, { title: "Gammal", version: 1 });
    expectError(stale, 409, "VERSION_CONFLICT");
    expect(stale.json.current).toMatchObject({ id: created.id, title: "Nybakat", version: 2 });
    // Clearing the link and the window.
    const cleared = await as.put(`/product-banners/${created.id}`, { departmentId: null, activeFrom: null, version: 2 });
    expect(cleared.json.data).toMatchObject({ departmentId: null, activeFrom: null, version: 3 });
    expect((await feedOf(created.id)).map((f) => f.version)).toEqual([1, 2, 3]);
  });

  it("lists by sortOrder, and `activeAt` only those showing then", async () => {
    const tag = unique();
    const make = (body: object) => as.post("/product-banners", { title: `${tag} ${JSON.stringify(body)}`, ...body });
    const always = (await make({ sortOrder: 2 })).json.data.id;
    const december = (await make({ sortOrder: 1, activeFrom: "2026-12-01T00:00:00Z", activeUntil: "2027-01-01T00:00:00Z" })).json.data.id;
    const off = (await make({ sortOrder: 0, isActive: false })).json.data.id;
    const all = await as.get(`/product-banners?search=${tag}`);
    expect(all.json.data.map((b: { id: string }) => b.id)).toEqual([off, december, always]);
    expect(d1Count(all)).toBe(1);
    const inDecember = await as.get(`/product-banners?search=${tag}&activeAt=${encodeURIComponent("2026-12-24T12:00:00+01:00")}`);
    expect(inDecember.json.data.map((b: { id: string }) => b.id)).toEqual([december, always]);
    // The window's end is exclusive.
    const atEnd = await as.get(`/product-banners?search=${tag}&activeAt=${encodeURIComponent("2027-01-01T00:00:00Z")}`);
    expect(atEnd.json.data.map((b: { id: string }) => b.id)).toEqual([always]);
  });

  it("soft deletes with a tombstone in the change feed; gone from the API, and never another tenant's", async () => {
    const created = (await as.post("/product-banners", { title: `Bort ${unique()}` })).json.data;
    expect((await client(other.adminToken).get(`/product-banners/${created.id}`)).status).toBe(404);
    expect((await client(other.adminToken).del(`/product-banners/${created.id}`)).status).toBe(404);
    expect((await client(other.adminToken).get("/product-banners")).json.data.map((b: { id: string }) => b.id)).not.toContain(created.id);
    expectError(await as.del(`/product-banners/${created.id}`, undefined, { "If-Match": '"7"' }), 409, "VERSION_CONFLICT");
    const gone = await as.del(`/product-banners/${created.id}`, undefined, { "If-Match": '"1"' });
    expect(gone.json).toEqual({ success: true, data: { id: created.id, deleted: true } });
    expect((await as.get(`/product-banners/${created.id}`)).status).toBe(404);
    expect((await feedOf(created.id)).map((f) => [f.op, f.version])).toEqual([["upsert", 1], ["delete", 2]]);
  });
});

describe("product notices", () => {
  it("creates a notice for products and departments, unique by name per tenant", async () => {
    const productId = await insertProduct(t.tenantId, {});
    const departmentId = await insertDepartment(t.tenantId, `Tobak ${unique()}`);
    const name = `Ålder 18 ${unique()}`;
    const res = await as.post("/product-notices", { name, text: "Kontrollera legitimation", severity: "requires_confirmation", minimumAge: 18, productIds: [productId], departmentIds: [departmentId] });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json.data).toMatchObject({ name, severity: "requires_confirmation", minimumAge: 18, productIds: [productId], departmentIds: [departmentId], isActive: true, version: 1 });
    expect((await feedOf(res.json.data.id))[0]).toMatchObject({ entity: "product_notice", op: "upsert", store_id: null });
    expectError(await as.post("/product-notices", { name, text: "again", severity: "info", productIds: [productId] }), 409, "PRODUCT_NOTICE_NAME_TAKEN");
    // Another tenant may use the name.
    const theirs = await client(other.adminToken).post("/product-notices", { name, text: "x", severity: "info", productIds: [await insertProduct(other.tenantId, {})] });
    expect(theirs.status).toBe(201);
  });

  it("refuses what does not hold together: no products or departments, an age without confirmation, a product twice, an unknown severity or blank text", async () => {
    const productId = await insertProduct(t.tenantId, {});
    expect(paths(await as.post("/product-notices", { name: "n", text: "t", severity: "info" }))).toEqual(["productIds"]);
    expect(paths(await as.post("/product-notices", { name: "n", text: "t", severity: "warning", minimumAge: 18, productIds: [productId] }))).toEqual(["minimumAge"]);
    expect(paths(await as.post("/product-notices", { name: "n", text: "t", severity: "info", productIds: [productId, productId] }))).toEqual(["productIds"]);
    expect(paths(await as.post("/product-notices", { name: "n", text: "t", severity: "loud", productIds: [productId] }))).toEqual(["severity"]);
    expect(paths(await as.post("/product-notices", { name: "n", text: " \n ", severity: "info", productIds: [productId] }))).toEqual(["text"]);
    const unknown = await as.post("/product-notices", { name: "n", text: "t", severity: "info", productIds: [productId, await insertProduct(other.tenantId, {})] });
    expectError(unknown, 422, "UNKNOWN_REFERENCE");
    expect(paths(unknown)).toEqual(["productIds.1"]);
    // An update is checked on the notice it leaves: lowering the severity under an age check, emptying its products.
    const notice = (await as.post("/product-notices", { name: `Ålder ${unique()}`, text: "t", severity: "requires_confirmation", minimumAge: 20, productIds: [productId] })).json.data;
    expect(paths(await as.put(`/product-notices/${notice.id}`, { severity: "info" }))).toEqual(["minimumAge"]);
    expect(paths(await as.put(`/product-notices/${notice.id}`, { productIds: [] }))).toEqual(["productIds"]);
    const fine = await as.put(`/product-notices/${notice.id}`, { severity: "info", minimumAge: null });
    expect(fine.json.data).toMatchObject({ severity: "info", minimumAge: null, version: 2 });
  });

  it("lists the notices that apply to a product: naming it, or its department", async () => {
    const departmentId = await insertDepartment(t.tenantId, `Nötter ${unique()}`);
    const productId = await insertProduct(t.tenantId, { departmentId });
    const loose = await insertProduct(t.tenantId, {});
    const byProduct = (await as.post("/product-notices", { name: `P ${unique()}`, text: "t", severity: "info", productIds: [productId] })).json.data.id;
    const byDepartment = (await as.post("/product-notices", { name: `D ${unique()}`, text: "Innehåller nötter", severity: "warning", departmentIds: [departmentId] })).json.data.id;
    await as.post("/product-notices", { name: `L ${unique()}`, text: "t", severity: "info", productIds: [loose] });
    const res = await as.get(`/product-notices?productId=${productId}`);
    expect(res.json.data.map((n: { id: string }) => n.id).sort()).toEqual([byProduct, byDepartment].sort());
    expect((await as.get(`/product-notices?departmentId=${departmentId}`)).json.data.map((n: { id: string }) => n.id)).toEqual([byDepartment]);
    expect((await as.get(`/product-notices?productId=${productId}&severity=warning`)).json.data.map((n: { id: string }) => n.id)).toEqual([byDepartment]);
  });
});

describe("product sections", () => {
  it("keeps a section's products in the order given; a product may be in several sections", async () => {
    const [a, b, c] = await Promise.all([insertProduct(t.tenantId, {}), insertProduct(t.tenantId, {}), insertProduct(t.tenantId, {})]);
    const hot = await as.post("/product-sections", { name: `Varmt ${unique()}`, productIds: [c, a, b], color: "#ff8800", sortOrder: 1 });
    expect(hot.status, JSON.stringify(hot.json)).toBe(201);
    expect(hot.json.data).toMatchObject({ productIds: [c, a, b], color: "#FF8800", sortOrder: 1, version: 1 });
    const cold = await as.post("/product-sections", { name: `Kallt ${unique()}`, productIds: [a] });
    expect(cold.status).toBe(201);
    const holding = await as.get(`/product-sections?productId=${a}`);
    expect(holding.json.data.map((s: { id: string }) => s.id).sort()).toEqual([hot.json.data.id, cold.json.data.id].sort());
    // A PUT's productIds replaces the list, in its new order.
    const reordered = await as.put(`/product-sections/${hot.json.data.id}`, { productIds: [b, c] }, { "If-Match": "1" });
    expect(reordered.json.data).toMatchObject({ productIds: [b, c], version: 2 });
    expect((await as.get(`/product-sections?productId=${a}`)).json.data.map((s: { id: string }) => s.id)).toEqual([cold.json.data.id]);
  });

  it("refuses a product twice, an unknown product (naming its place), a bad colour and a taken name", async () => {
    const a = await insertProduct(t.tenantId, {});
    expect(paths(await as.post("/product-sections", { name: "x", productIds: [a, a] }))).toEqual(["productIds"]);
    expect(paths(await as.post("/product-sections", { name: "x", color: "orange" }))).toEqual(["color"]);
    const unknown = await as.post("/product-sections", { name: "x", productIds: [a, crypto.randomUUID()] });
    expectError(unknown, 422, "UNKNOWN_REFERENCE");
    expect(paths(unknown)).toEqual(["productIds.1"]);
    const name = `Frukost ${unique()}`;
    await as.post("/product-sections", { name });
    const before = await rowCount("product_sections", t.tenantId);
    expectError(await as.post("/product-sections", { name }), 409, "PRODUCT_SECTION_NAME_TAKEN");
    expect(await rowCount("product_sections", t.tenantId)).toBe(before);
  });
});

describe("product sort options", () => {
  it("one default per tenant: a new default takes the flag, with a new version and a feed row for the one that had it", async () => {
    const t2 = await createTenant();
    const as2 = client(t2.adminToken);
    const byName = (await as2.post("/product-sort-options", { name: "Namn A–Ö", field: "name", direction: "asc", isDefault: true })).json.data;
    expect(byName).toMatchObject({ field: "name", direction: "asc", isDefault: true, isActive: true, version: 1 });
    const best = await as2.post("/product-sort-options", { name: "Mest sålda", field: "popularity", direction: "desc", isDefault: true, sortOrder: 1 });
    expect(best.status, JSON.stringify(best.json)).toBe(201);
    expect((await as2.get(`/product-sort-options/${byName.id}`)).json.data).toMatchObject({ isDefault: false, version: 2 });
    expect((await feedOf(byName.id)).map((f) => f.version)).toEqual([1, 2]);
    // And back by an update.
    const back = await as2.put(`/product-sort-options/${byName.id}`, { isDefault: true, version: 2 });
    expect(back.json.data).toMatchObject({ isDefault: true, version: 3 });
    const list = await as2.get("/product-sort-options");
    expect(list.json.data.map((o: { name: string; isDefault: boolean }) => [o.name, o.isDefault])).toEqual([["Namn A–Ö", true], ["Mest sålda", false]]);
    const defaults = await env.DB.prepare("SELECT count(*) AS n FROM product_sort_options WHERE tenant_id = ? AND is_default = 1 AND deleted_at IS NULL").bind(t2.tenantId).first<{ n: number }>();
    expect(defaults!.n).toBe(1);
  });

  it("several made the default at once: exactly one is", async () => {
    const t2 = await createTenant();
    const as2 = client(t2.adminToken);
    const fields = ["name", "price", "sku", "created", "popularity"];
    const made = await Promise.all(fields.map((field) => as2.post("/product-sort-options", { name: `By ${field}`, field, direction: "asc", isDefault: true })));
    expect(made.map((r) => r.status)).toEqual(fields.map(() => 201));
    const list = (await as2.get("/product-sort-options")).json.data as { isDefault: boolean }[];
    expect(list.filter((o) => o.isDefault)).toHaveLength(1);
  });

  it("refuses an inactive default, a second option of the same field and direction, and deleting the default", async () => {
    const t2 = await createTenant();
    const as2 = client(t2.adminToken);
    expect(paths(await as2.post("/product-sort-options", { name: "x", field: "price", direction: "asc", isDefault: true, isActive: false }))).toEqual(["isActive"]);
    expect(paths(await as2.post("/product-sort-options", { name: "x", field: "colour", direction: "asc" }))).toEqual(["field"]);
    expect(paths(await as2.post("/product-sort-options", { name: "x", field: "price", direction: "up" }))).toEqual(["direction"]);
    const cheap = (await as2.post("/product-sort-options", { name: "Billigast", field: "price", direction: "asc", isDefault: true })).json.data;
    expectError(await as2.post("/product-sort-options", { name: "Lägst pris", field: "price", direction: "asc" }), 409, "SORT_OPTION_EXISTS");
    expectError(await as2.post("/product-sort-options", { name: "Billigast", field: "price", direction: "desc" }), 409, "SORT_OPTION_NAME_TAKEN");
    expect(paths(await as2.put(`/product-sort-options/${cheap.id}`, { isActive: false }))).toEqual(["isActive"]);
    expectError(await as2.del(`/product-sort-options/${cheap.id}`), 409, "SORT_OPTION_IS_DEFAULT");
    // Not the default any more: it may go, with a tombstone.
    await as2.put(`/product-sort-options/${cheap.id}`, { isDefault: false });
    expect((await as2.del(`/product-sort-options/${cheap.id}`)).status).toBe(200);
    expect((await feedOf(cheap.id)).map((f) => f.op)).toEqual(["upsert", "upsert", "delete"]);
  });
});

describe("permissions", () => {
  it("reading needs products.view, writing products.create / edit / delete (checked by the service too)", async () => {
    const viewer = client((await userWith(t, ["products.view"])).token);
    expect((await viewer.get("/product-sections")).status).toBe(200);
    const refused = await viewer.post("/product-sections", { name: "x" });
    expectError(refused, 403, "MISSING_PERMISSION");
    expect(refused.json.error).toContain("products.create");
    const creator = client((await userWith(t, ["products.create"])).token);
    const made = await creator.post("/product-notices", { name: `C ${unique()}`, text: "t", severity: "info", productIds: [await insertProduct(t.tenantId, {})] });
    expect(made.status).toBe(201);
    expectError(await creator.get(`/product-notices/${made.json.data.id}`), 403, "MISSING_PERMISSION");
    expectError(await creator.put(`/product-notices/${made.json.data.id}`, { text: "u" }), 403, "MISSING_PERMISSION");
    expectError(await creator.del(`/product-notices/${made.json.data.id}`), 403, "MISSING_PERMISSION");
  });
});

describe("sync pull", () => {
  it("gives a till the banners, notices, sections and sort options, and a tombstone once one is deleted", async () => {
    const t2 = await createTenant();
    const as2 = client(t2.adminToken);
    const till = await enrolTill(t2);
    const productId = await insertProduct(t2.tenantId, {});
    const banner = (await as2.post("/product-banners", { title: "Sommar", productId })).json.data;
    const notice = (await as2.post("/product-notices", { name: "Nötter", text: "Innehåller nötter", severity: "warning", productIds: [productId] })).json.data;
    const section = (await as2.post("/product-sections", { name: "Glass", productIds: [productId] })).json.data;
    const first = (await as2.post("/product-sort-options", { name: "Namn", field: "name", direction: "asc", isDefault: true })).json.data;
    const { replica, cursor } = await pullAll({ credential: till.credential });
    expect(ids(replica, "product_banner")).toEqual([banner.id]);
    expect(replica.get("product_banner")!.get(banner.id)).toEqual(banner);
    expect(replica.get("product_notice")!.get(notice.id)).toEqual(notice);
    expect(replica.get("product_section")!.get(section.id)).toEqual(section);
    expect(replica.get("product_sort_option")!.get(first.id)).toEqual(first);

    // Changes after the cursor: a deletion, and a new default that takes the flag from the first.
    await as2.del(`/product-banners/${banner.id}`);
    const second = (await as2.post("/product-sort-options", { name: "Pris", field: "price", direction: "asc", isDefault: true })).json.data;
    const next = await pullAll({ credential: till.credential }, { since: cursor, replica });
    expect(next.changes).toBe(3);
    expect(ids(replica, "product_banner")).toEqual([]);
    expect(replica.get("product_sort_option")!.get(first.id)).toMatchObject({ isDefault: false, version: 2 });
    expect(replica.get("product_sort_option")!.get(second.id)).toMatchObject({ isDefault: true });
    // entity_type names them too.
    const only = await pullAll({ credential: till.credential }, { entity_type: "product_section" });
    expect([...only.replica.keys()]).toEqual(["product_section"]);
  });
});
