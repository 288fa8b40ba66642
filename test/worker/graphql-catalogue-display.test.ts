import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { client, insertProduct } from "./catalogue-fixtures";
import { gql } from "./graphql-helpers";
import { createStore, createTenant, insertDepartment, userWith, type TestTenant } from "./helpers";

let t: TestTenant;
let as: ReturnType<typeof client>;
beforeAll(async () => {
  t = await createTenant();
  as = client(t.adminToken);
});

/** Every page after `since` until there are no more, `first` at a time; the items in the order answered. */
async function drain(token: string, query: string, field: string, since: string, first: number, vars: Record<string, unknown> = {}) {
  const items: any[] = [];
  let until = since;
  for (let guard = 0; guard < 20; guard++) {
    const page = await gql(token, query, { ...vars, since: until, first });
    expect(page.errors, JSON.stringify(page.errors)).toBeUndefined();
    items.push(...page.data[field].items);
    until = page.data[field].until;
    if (!page.data[field].hasMoreResults) break;
  }
  return { items, until };
}

describe("query productBanner", () => {
  const BANNERS = `query B($id: ID, $since: String, $first: Int, $isActive: Boolean) {
    productBanner(id: $id, since: $since, first: $first, isActive: $isActive) {
      items { id title text imageUrl productId product { id name } groupId group { id name } activeFrom activeUntil sortOrder isActive deleted version updatedAt }
      hasMoreResults until
    }
  }`;

  it("lists banners in their order with the product or group they link to, and looks one up by id", async () => {
    const t2 = await createTenant();
    const as2 = client(t2.adminToken);
    const productId = await insertProduct(t2.tenantId, {});
    const departmentId = await insertDepartment(t2.tenantId, "Bröd");
    const second = (await as2.post("/product-banners", { title: "Bröd", departmentId, sortOrder: 2 })).json.data;
    const first = (await as2.post("/product-banners", { title: "Kaffe", productId, sortOrder: 1, activeFrom: "2026-12-01T08:00:00+01:00" })).json.data;
    const res = await gql(t2.adminToken, BANNERS, {});
    expect(res.errors).toBeUndefined();
    expect(res.data.productBanner.items.map((b: { id: string }) => b.id)).toEqual([first.id, second.id]);
    expect(res.data.productBanner.items[0]).toMatchObject({
      title: "Kaffe", productId, product: { id: productId, name: "Fixture" }, groupId: null, group: null, activeFrom: "2026-12-01T07:00:00.000Z", activeUntil: null, deleted: false, version: 1,
    });
    expect(res.data.productBanner.items[1]).toMatchObject({ groupId: departmentId, group: { id: departmentId, name: "Bröd" }, product: null });
    expect(res.data.productBanner).toMatchObject({ hasMoreResults: false, until: null });
    const one = await gql(t2.adminToken, BANNERS, { id: second.id });
    expect(one.data.productBanner.items.map((b: { id: string }) => b.id)).toEqual([second.id]);
    await as2.put(`/product-banners/${second.id}`, { isActive: false });
    expect((await gql(t2.adminToken, BANNERS, { isActive: true })).data.productBanner.items.map((b: { id: string }) => b.id)).toEqual([first.id]);
    // Another tenant's banner is not found by id.
    expect((await gql(t.adminToken, BANNERS, { id: second.id })).data.productBanner.items).toEqual([]);
  });

  it("since & until: every change once, with writes and a delete between pages", async () => {
    const t2 = await createTenant();
    const as2 = client(t2.adminToken);
    const made = [];
    for (const title of ["A", "B", "C", "D"]) made.push((await as2.post("/product-banners", { title })).json.data);
    const page1 = await gql(t2.adminToken, BANNERS, { since: "", first: 2 });
    expect(page1.data.productBanner.items.map((b: { title: string }) => b.title)).toEqual(["A", "B"]);
    expect(page1.data.productBanner.hasMoreResults).toBe(true);
    // Between pages: A (seen) changes, C (not yet seen) changes, D is deleted, E is new.
    await as2.put(`/product-banners/${made[0]!.id}`, { title: "A2" }, { "If-Match": "1" });
    await as2.put(`/product-banners/${made[2]!.id}`, { title: "C2" }, { "If-Match": "1" });
    await as2.del(`/product-banners/${made[3]!.id}`, undefined, { "If-Match": "1" });
    await as2.post("/product-banners", { title: "E" });
    const rest = await drain(t2.adminToken, BANNERS, "productBanner", page1.data.productBanner.until, 2);
    expect(rest.items.map((b) => [b.title, b.deleted])).toEqual([["A2", false], ["C2", false], ["D", true], ["E", false]]);
    const after = await gql(t2.adminToken, BANNERS, { since: rest.until });
    expect(after.data.productBanner).toEqual({ items: [], hasMoreResults: false, until: rest.until });
  });
});

describe("query productNotice", () => {
  const NOTICES = `query N($id: ID, $productId: ID, $groupId: ID, $since: String) {
    productNotice(id: $id, productId: $productId, groupId: $groupId, since: $since) {
      items { id name text severity minimumAge productIds products { id } groupIds isActive deleted version }
      hasMoreResults until
    }
  }`;

  it("answers notices with their severity, and those that apply to a product (listing it or its group)", async () => {
    const departmentId = await insertDepartment(t.tenantId, `Tobak ${crypto.randomUUID().slice(0, 6)}`);
    const productId = await insertProduct(t.tenantId, { departmentId });
    const gone = await insertProduct(t.tenantId, { deleted: true });
    const age = (await as.post("/product-notices", { name: `Ålder ${crypto.randomUUID().slice(0, 6)}`, text: "Legitimation", severity: "requires_confirmation", minimumAge: 18, departmentIds: [departmentId] })).json.data;
    const nuts = (await as.post("/product-notices", { name: `Nötter ${crypto.randomUUID().slice(0, 6)}`, text: "Innehåller nötter", severity: "warning", productIds: [productId] })).json.data;
    const res = await gql(t.adminToken, NOTICES, { productId });
    expect(res.errors).toBeUndefined();
    expect(res.data.productNotice.items.map((n: { id: string }) => n.id).sort()).toEqual([age.id, nuts.id].sort());
    const byId = await gql(t.adminToken, NOTICES, { id: age.id });
    expect(byId.data.productNotice.items[0]).toMatchObject({ severity: "REQUIRES_CONFIRMATION", minimumAge: 18, groupIds: [departmentId], productIds: [], products: [] });
    expect((await gql(t.adminToken, NOTICES, { groupId: departmentId })).data.productNotice.items.map((n: { id: string }) => n.id)).toEqual([age.id]);
    // A product it names that was deleted since is in productIds, not in products.
    const listing = (await as.post("/product-notices", { name: `Gammal ${crypto.randomUUID().slice(0, 6)}`, text: "t", severity: "info", productIds: [productId] })).json.data;
    await nameInNotice(listing.id, gone);
    const answered = (await gql(t.adminToken, NOTICES, { id: listing.id })).data.productNotice.items[0];
    expect(answered.productIds).toEqual([productId, gone]);
    expect(answered.products.map((p: { id: string }) => p.id)).toEqual([productId]);
  });

  it("since & until: a deleted notice comes as deleted", async () => {
    const t2 = await createTenant();
    const as2 = client(t2.adminToken);
    const productId = await insertProduct(t2.tenantId, {});
    const made = (await as2.post("/product-notices", { name: "N", text: "t", severity: "info", productIds: [productId] })).json.data;
    const start = await gql(t2.adminToken, NOTICES, { since: "" });
    expect(start.data.productNotice.items.map((n: { id: string }) => n.id)).toEqual([made.id]);
    await as2.del(`/product-notices/${made.id}`);
    const next = await gql(t2.adminToken, NOTICES, { since: start.data.productNotice.until });
    expect(next.data.productNotice.items).toMatchObject([{ id: made.id, deleted: true, version: 2 }]);
  });
});

/** A product deleted after the notice named it: added straight to the notice's list (the API takes live ones only). */
async function nameInNotice(noticeId: string, deletedProductId: string) {
  await env.DB.prepare("UPDATE product_notices SET product_ids = json_insert(product_ids, '$[#]', ?) WHERE id = ?").bind(deletedProductId, noticeId).run();
}

describe("query productSection", () => {
  const SECTIONS = `query S($id: ID, $productId: ID, $since: String, $first: Int) {
    productSection(id: $id, productId: $productId, since: $since, first: $first) { items { id name productIds products { id } color sortOrder deleted } hasMoreResults until }
  }`;

  it("answers sections with their products in order, and those holding a product", async () => {
    const [a, b] = await Promise.all([insertProduct(t.tenantId, {}), insertProduct(t.tenantId, {})]);
    const section = (await as.post("/product-sections", { name: `Varmt ${crypto.randomUUID().slice(0, 6)}`, productIds: [b, a], color: "#00aa00" })).json.data;
    const res = await gql(t.adminToken, SECTIONS, { productId: a });
    expect(res.errors).toBeUndefined();
    expect(res.data.productSection.items).toEqual([{ id: section.id, name: section.name, productIds: [b, a], products: [{ id: b }, { id: a }], color: "#00AA00", sortOrder: 0, deleted: false }]);
  });

  it("since & until pages the sections as they change", async () => {
    const t2 = await createTenant();
    const as2 = client(t2.adminToken);
    const ids = [];
    for (const name of ["S1", "S2", "S3"]) ids.push((await as2.post("/product-sections", { name })).json.data.id);
    const page1 = await gql(t2.adminToken, SECTIONS, { since: "", first: 2 });
    expect(page1.data.productSection.items.map((s: { name: string }) => s.name)).toEqual(["S1", "S2"]);
    await as2.put(`/product-sections/${ids[0]}`, { name: "S1b" });
    const rest = await drain(t2.adminToken, SECTIONS, "productSection", page1.data.productSection.until, 2);
    expect(rest.items.map((s) => s.name)).toEqual(["S3", "S1b"]);
  });
});

describe("query productSortOption", () => {
  const SORTS = `query O($id: ID, $since: String) { productSortOption(id: $id, since: $since) { items { id name field direction isDefault sortOrder isActive deleted version } hasMoreResults until } }`;

  it("answers sort options with their enums; a new default's change brings the old default along with since", async () => {
    const t2 = await createTenant();
    const as2 = client(t2.adminToken);
    const byName = (await as2.post("/product-sort-options", { name: "Namn", field: "name", direction: "asc", isDefault: true })).json.data;
    const start = await gql(t2.adminToken, SORTS, { since: "" });
    expect(start.data.productSortOption.items).toMatchObject([{ id: byName.id, field: "NAME", direction: "ASC", isDefault: true }]);
    const best = (await as2.post("/product-sort-options", { name: "Mest sålda", field: "popularity", direction: "desc", isDefault: true, sortOrder: 1 })).json.data;
    const next = await gql(t2.adminToken, SORTS, { since: start.data.productSortOption.until });
    expect(next.data.productSortOption.items.map((o: any) => [o.id, o.isDefault, o.version]).sort()).toEqual([[byName.id, false, 2], [best.id, true, 1]].sort());
    const one = await gql(t2.adminToken, SORTS, { id: best.id });
    expect(one.data.productSortOption.items).toMatchObject([{ field: "POPULARITY", direction: "DESC" }]);
  });
});

describe("query itemSerialLot", () => {
  const LOTS = `query L($id: ID, $itemId: ID, $locationId: ID, $number: String, $kind: ItemSerialLotKind, $status: ItemSerialLotStatus, $since: String) {
    itemSerialLot(id: $id, itemId: $itemId, locationId: $locationId, number: $number, kind: $kind, status: $status, since: $since) {
      items { id itemId item { id } kind number locationId location { id code } status quantity expiryDate notes deleted version }
      hasMoreResults until
    }
  }`;

  it("answers serial and lot numbers with their item and location, filtered by item, location, number, kind and status", async () => {
    const t2 = await createTenant();
    const as2 = client(t2.adminToken);
    const second = (await createStore(t2, "S002")).id;
    const productId = await insertProduct(t2.tenantId, {});
    const serial = (await as2.post("/item-serial-lots", { productId, kind: "SERIAL", number: "SN-1" })).json.data;
    const lot = (await as2.post("/item-serial-lots", { productId, kind: "LOT", number: "L-1", quantity: 12000, expiryDate: "2027-06-30", storeId: second })).json.data;
    const all = await gql(t2.adminToken, LOTS, { itemId: productId });
    expect(all.errors).toBeUndefined();
    expect(all.data.itemSerialLot.items).toEqual([
      { id: lot.id, itemId: productId, item: { id: productId }, kind: "LOT", number: "L-1", locationId: second, location: { id: second, code: "S002" }, status: "IN_STOCK", quantity: 12000, expiryDate: "2027-06-30", notes: null, deleted: false, version: 1 },
      { id: serial.id, itemId: productId, item: { id: productId }, kind: "SERIAL", number: "SN-1", locationId: t2.storeId, location: { id: t2.storeId, code: "S001" }, status: "IN_STOCK", quantity: null, expiryDate: null, notes: null, deleted: false, version: 1 },
    ]);
    expect((await gql(t2.adminToken, LOTS, { locationId: second })).data.itemSerialLot.items.map((s: { id: string }) => s.id)).toEqual([lot.id]);
    expect((await gql(t2.adminToken, LOTS, { number: "SN-1" })).data.itemSerialLot.items.map((s: { id: string }) => s.id)).toEqual([serial.id]);
    expect((await gql(t2.adminToken, LOTS, { kind: "SERIAL" })).data.itemSerialLot.items.map((s: { id: string }) => s.id)).toEqual([serial.id]);
    await as2.put(`/item-serial-lots/${serial.id}`, { status: "sold" });
    expect((await gql(t2.adminToken, LOTS, { status: "SOLD" })).data.itemSerialLot.items.map((s: { id: string }) => s.id)).toEqual([serial.id]);
    expect((await gql(t2.adminToken, LOTS, { id: lot.id })).data.itemSerialLot.items.map((s: { id: string }) => s.id)).toEqual([lot.id]);
  });

  it("since & until: the moves of a number, and its deletion", async () => {
    const t2 = await createTenant();
    const as2 = client(t2.adminToken);
    const productId = await insertProduct(t2.tenantId, {});
    const sn = (await as2.post("/item-serial-lots", { productId, kind: "SERIAL", number: "SN-9" })).json.data;
    const start = await gql(t2.adminToken, LOTS, { since: "" });
    expect(start.data.itemSerialLot.items.map((s: { id: string }) => s.id)).toEqual([sn.id]);
    await as2.put(`/item-serial-lots/${sn.id}`, { status: "sold" });
    const sold = await gql(t2.adminToken, LOTS, { since: start.data.itemSerialLot.until });
    expect(sold.data.itemSerialLot.items).toMatchObject([{ id: sn.id, status: "SOLD", version: 2, deleted: false }]);
    await as2.del(`/item-serial-lots/${sn.id}`);
    const gone = await gql(t2.adminToken, LOTS, { since: sold.data.itemSerialLot.until });
    expect(gone.data.itemSerialLot.items).toMatchObject([{ id: sn.id, deleted: true, version: 3 }]);
  });
});

describe("permissions", () => {
  it("the catalogue extras need products.view, serial and lot numbers inventory.view (NOT_AUTHORIZED)", async () => {
    const stock = await userWith(t, ["inventory.view"]);
    for (const q of ["{ productBanner { until } }", "{ productNotice { until } }", "{ productSection { until } }", "{ productSortOption { until } }"]) {
      const res = await gql(stock.token, q);
      expect(res.errors![0]!.extensions, q).toMatchObject({ code: "NOT_AUTHORIZED", reason: "MISSING_PERMISSION" });
      expect(res.errors![0]!.message).toContain("products.view");
    }
    expect((await gql(stock.token, "{ itemSerialLot { until } }")).errors).toBeUndefined();
    const catalogue = await userWith(t, ["products.view"]);
    expect((await gql(catalogue.token, "{ productBanner { until } productNotice { until } productSection { until } productSortOption { until } }")).errors).toBeUndefined();
    const refused = await gql(catalogue.token, "{ itemSerialLot { until } }");
    expect(refused.errors![0]!.extensions).toMatchObject({ code: "NOT_AUTHORIZED", reason: "MISSING_PERMISSION" });
    expect(refused.errors![0]!.message).toContain("inventory.view");
  });
});
