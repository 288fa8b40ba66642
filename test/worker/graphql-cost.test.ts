import { beforeAll, describe, expect, it } from "vitest";
import { api, createStore, createTenant, insertTaxGroup, type TestTenant } from "./helpers";
import { gql } from "./graphql-helpers";

/** A tenant with two stores and 100 products, each in a department with a tax group; some with store prices and stock. */
let t: TestTenant;
let second: { id: string; code: string };
const productIds: string[] = [];
const departments: string[] = [];

beforeAll(async () => {
  t = await createTenant();
  second = await createStore(t, "S002");
  const vat = await insertTaxGroup(t.tenantId, "Moms 25", [{ name: "Moms 25 %", millionths: 250_000 }, { name: "Pant", millionths: 10_000, isCompound: true }]);
  for (const name of ["Bakery", "Dairy", "Drinks"]) {
    departments.push((await api("POST", "/api/v1/departments", { token: t.adminToken, body: { name } })).json.data.id);
  }
  for (let i = 0; i < 100; i++) {
    const res = await api("POST", "/api/v1/products", {
      token: t.adminToken,
      body: { sku: `P${String(i).padStart(3, "0")}`, name: `Product ${String(i).padStart(3, "0")}`, sellPrice: 1000 + i, departmentId: departments[i % 3], taxGroupId: vat },
    });
    if (res.status !== 201) throw new Error(JSON.stringify(res.json));
    productIds.push(res.json.data.id);
  }
  for (const i of [0, 1, 2]) {
    const res = await api("POST", "/api/v1/store-prices", { token: t.adminToken, body: { storeId: second.id, productId: productIds[i], price: 900 + i } });
    if (res.status !== 200) throw new Error(JSON.stringify(res.json));
  }
  const adjusted = await api("POST", "/api/v1/inventory/adjustments", {
    token: t.adminToken,
    body: { reason: "received", lines: productIds.slice(0, 50).map((productId, i) => ({ productId, quantity: (i + 1) * 1000 })) },
  });
  if (adjusted.status !== 201) throw new Error(JSON.stringify(adjusted.json));
}, 120_000);

const PAGE = `query Page($first: Int) {
  product(first: $first) {
    hasMoreResults
    items {
      id sku name sellPrice
      group { id name }
      taxes { name rate rateMillionths isCompound }
      prices { price location { code } }
      stock { quantity location { code } }
    }
  }
}`;

describe("a page of products with their relations", () => {
  it("costs at most 3 D1 round trips for 100 products with group, taxes, prices and stock per location", async () => {
    const res = await gql(t.adminToken, PAGE, { first: 100 });
    expect(res.errors).toBeUndefined();
    const items = res.data.product.items as any[];
    expect(items).toHaveLength(100);
    expect(res.d1).toBeLessThanOrEqual(3);

    const first = items.find((p) => p.id === productIds[0]);
    expect(first.group.name).toBe("Bakery");
    expect(first.taxes).toEqual([
      { name: expect.stringMatching(/^Moms 25 %/), rate: 2500, rateMillionths: 250_000, isCompound: false },
      { name: expect.stringMatching(/^Pant/), rate: 100, rateMillionths: 10_000, isCompound: true },
    ]);
    expect(first.prices).toEqual([{ price: 900, location: { code: "S002" } }]);
    expect(first.stock).toEqual([{ quantity: 1000, location: { code: "S001" } }, { quantity: 0, location: { code: "S002" } }]);
    const fiftieth = items.find((p) => p.id === productIds[49]);
    expect(fiftieth.stock[0]).toEqual({ quantity: 50_000, location: { code: "S001" } });
    const last = items.find((p) => p.id === productIds[99]);
    expect(last).toMatchObject({ group: { name: "Bakery" }, prices: [], stock: [{ quantity: 0, location: { code: "S001" } }, { quantity: 0, location: { code: "S002" } }] });
  });

  it("costs the same for 10 products as for 100", async () => {
    const small = await gql(t.adminToken, PAGE, { first: 10 });
    const large = await gql(t.adminToken, PAGE, { first: 100 });
    expect(small.data.product.items).toHaveLength(10);
    expect(small.data.product.hasMoreResults).toBe(true);
    expect(small.d1).toBe(large.d1);
  });
});

describe("limits, refused before any D1 read", () => {
  it("refuses a query nested too deep", async () => {
    const deep = "{ product { items { stock { item { stock { item { stock { item { stock { quantity } } } } } } } } } }";
    const res = await gql(t.adminToken, deep);
    expect(res.data).toBeUndefined();
    expect(res.errors![0]!.extensions.code).toBe("VALIDATION");
    expect(res.errors![0]!.message).toMatch(/depth/i);
    expect(res.d1).toBe(0);
  });

  it("refuses too many aliases", async () => {
    const aliased = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: productGroup { hasMoreResults }`).join(" ")} }`;
    const res = await gql(t.adminToken, aliased);
    expect(res.errors![0]!.extensions.code).toBe("VALIDATION");
    expect(res.errors![0]!.message).toMatch(/alias/i);
    expect(res.d1).toBe(0);
  });

  it("refuses a document of too many tokens", async () => {
    const long = `{ product { items { ${Array.from({ length: 2500 }, () => "id").join(" ")} } } }`;
    const res = await gql(t.adminToken, long);
    expect(res.errors![0]!.extensions.code).toBe("VALIDATION");
    expect(res.errors![0]!.message).toMatch(/token/i);
    expect(res.d1).toBe(0);
  });

  it("refuses a query that costs too much", async () => {
    const item = "id sku barcode name trackStock isActive deleted version updatedAt";
    const level = `quantity reorderPoint lowStock deleted updatedAt itemId locationId location { id code name currency timeZone pricesIncludeTax cashRoundingUnit isActive version updatedAt }`;
    const wide = `{ ${Array.from({ length: 6 }, (_, i) => `p${i}: product { items { ${item} group { id name code } taxes { id name rate } prices { id price location { id code } } stock { ${level} item { ${item} stock { ${level} } } } } }`).join(" ")} }`;
    const res = await gql(t.adminToken, wide);
    expect(res.errors![0]!.extensions.code).toBe("VALIDATION");
    expect(res.errors![0]!.message).toMatch(/cost/i);
    expect(res.d1).toBe(0);
  });

  it("refuses a body over 1 MiB", async () => {
    const res = await api("POST", "/graphql", { token: t.adminToken, rawBody: JSON.stringify({ query: `{ productGroup { hasMoreResults } }`, pad: "x".repeat(1024 * 1024) }), headers: { "Content-Type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.json.code ?? res.json.errors?.[0]?.extensions?.code).toBeTruthy();
  });
});
