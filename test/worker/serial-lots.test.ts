import { beforeAll, describe, expect, it } from "vitest";
import { client, insertProduct, paths, rowCount } from "./catalogue-fixtures";
import { auditOf, createStore, createTenant, feedOf, journalCounts, staffWithPin, userWith, type TestTenant } from "./helpers";

let t: TestTenant;
let other: TestTenant;
let as: ReturnType<typeof client>;
/** A second store of t's, where the admin holds their roles too (its creator). */
let second: string;
beforeAll(async () => {
  [t, other] = await Promise.all([createTenant(), createTenant()]);
  as = client(t.adminToken);
  second = (await createStore(t, "S002")).id;
});

const number = () => `SN-${crypto.randomUUID().slice(0, 8)}`;
const expectError = (res: { status: number; json: any }, status: number, code: string) => {
  expect(res.status, JSON.stringify(res.json)).toBe(status);
  expect(res.json).toMatchObject({ success: false, code });
};

describe("serial and lot numbers", () => {
  it("records a serial at the caller's store, with a store-scoped change-feed row and an audit entry", async () => {
    const productId = await insertProduct(t.tenantId, {});
    const sn = number();
    const res = await as.post("/item-serial-lots", { productId, kind: "SERIAL", number: ` ${sn} ` });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json.data).toEqual({
      id: expect.any(String), productId, kind: "SERIAL", number: sn, storeId: t.storeId, status: "in_stock", quantity: null, expiryDate: null, notes: null,
      version: 1, createdAt: expect.any(String), updatedAt: expect.any(String),
    });
    const id = res.json.data.id;
    expect(await feedOf(id)).toEqual([{ seq: expect.any(Number), tenant_id: t.tenantId, store_id: t.storeId, entity: "item_serial_lot", entity_id: id, op: "upsert", version: 1 }]);
    expect(await auditOf(id)).toMatchObject([{ actor_id: t.adminId, action: "item_serial_lot.create" }]);
    expect((await as.get(`/item-serial-lots?number=${sn}`)).json.data.map((s: { id: string }) => s.id)).toEqual([id]);
  });

  it("a LOT has a quantity and may have an expiry date; a SERIAL has neither", async () => {
    const productId = await insertProduct(t.tenantId, {});
    const lot = await as.post("/item-serial-lots", { productId, kind: "LOT", number: "L-2026-11", quantity: 24000, expiryDate: "2027-03-31", storeId: second });
    expect(lot.status, JSON.stringify(lot.json)).toBe(201);
    expect(lot.json.data).toMatchObject({ kind: "LOT", quantity: 24000, expiryDate: "2027-03-31", storeId: second });
    const before = await journalCounts(t.tenantId);
    expect(paths(await as.post("/item-serial-lots", { productId, kind: "LOT", number: number() }))).toEqual(["quantity"]);
    expect(paths(await as.post("/item-serial-lots", { productId, kind: "SERIAL", number: number(), quantity: 1000 }))).toEqual(["quantity"]);
    expect(paths(await as.post("/item-serial-lots", { productId, kind: "SERIAL", number: number(), expiryDate: "2027-01-01" }))).toEqual(["expiryDate"]);
    expect(paths(await as.post("/item-serial-lots", { productId, kind: "LOT", number: number(), quantity: 1000, expiryDate: "2027-02-30" }))).toEqual(["expiryDate"]);
    expect(paths(await as.post("/item-serial-lots", { productId, kind: "LOT", number: number(), quantity: 1.5 }))).toEqual(["quantity"]);
    expect(paths(await as.post("/item-serial-lots", { productId, kind: "LOT", number: number(), quantity: -1 }))).toEqual(["quantity"]);
    expect(paths(await as.post("/item-serial-lots", { productId, kind: "BATCH", number: number() }))).toEqual(["kind"]);
    expect(paths(await as.post("/item-serial-lots", { productId, kind: "SERIAL", number: "  " }))).toEqual(["number"]);
    expect(paths(await as.post("/item-serial-lots", { productId, kind: "SERIAL", number: "a\u001bb" }))).toEqual(["number"]);
    expect(paths(await as.post("/item-serial-lots", { productId, kind: "SERIAL", number: number(), status: "lost" }))).toEqual(["status"]);
    // An update is checked on the number it leaves: a LOT's quantity cannot be cleared, a SERIAL gets none.
    expect(paths(await as.put(`/item-serial-lots/${lot.json.data.id}`, { quantity: null }))).toEqual(["quantity"]);
    expect(await journalCounts(t.tenantId)).toEqual(before);
    // Lots expiring before a date.
    const expiring = await as.get(`/item-serial-lots?productId=${productId}&expiresBefore=2027-04-01`);
    expect(expiring.json.data.map((s: { id: string }) => s.id)).toEqual([lot.json.data.id]);
    expect((await as.get(`/item-serial-lots?productId=${productId}&expiresBefore=2027-03-31`)).json.data).toEqual([]);
  });

  it("keeps a number unique per product (409), free for other products and once deleted", async () => {
    const [a, b] = await Promise.all([insertProduct(t.tenantId, {}), insertProduct(t.tenantId, {})]);
    const sn = number();
    const first = (await as.post("/item-serial-lots", { productId: a, kind: "SERIAL", number: sn })).json.data;
    const before = await rowCount("item_serial_lots", t.tenantId);
    expectError(await as.post("/item-serial-lots", { productId: a, kind: "LOT", number: sn, quantity: 1000 }), 409, "SERIAL_LOT_NUMBER_TAKEN");
    expect(await rowCount("item_serial_lots", t.tenantId)).toBe(before);
    expect((await as.post("/item-serial-lots", { productId: b, kind: "SERIAL", number: sn })).status).toBe(201);
    // Another tenant's product of the same number is theirs.
    expect((await client(other.adminToken).post("/item-serial-lots", { productId: await insertProduct(other.tenantId, {}), kind: "SERIAL", number: sn })).status).toBe(201);
    // Renaming another number onto it is refused too.
    const second = (await as.post("/item-serial-lots", { productId: a, kind: "SERIAL", number: number() })).json.data;
    expectError(await as.put(`/item-serial-lots/${second.id}`, { number: sn }), 409, "SERIAL_LOT_NUMBER_TAKEN");
    await as.del(`/item-serial-lots/${first.id}`, undefined, { "If-Match": "1" });
    expect((await feedOf(first.id)).map((f) => [f.op, f.version, f.store_id])).toEqual([["upsert", 1, t.storeId], ["delete", 2, t.storeId]]);
    expect((await as.get(`/item-serial-lots/${first.id}`)).status).toBe(404);
    expect((await as.post("/item-serial-lots", { productId: a, kind: "SERIAL", number: sn })).status).toBe(201);
  });

  it("names only the tenant's live products and stores (422), and an API client's number must name its store", async () => {
    const foreign = await as.post("/item-serial-lots", { productId: await insertProduct(other.tenantId, {}), kind: "SERIAL", number: number() });
    expectError(foreign, 422, "UNKNOWN_REFERENCE");
    expect(paths(foreign)).toEqual(["productId"]);
    const deleted = await as.post("/item-serial-lots", { productId: await insertProduct(t.tenantId, { deleted: true }), kind: "SERIAL", number: number() });
    expect(paths(deleted)).toEqual(["productId"]);
    const otherStore = await as.post("/item-serial-lots", { productId: await insertProduct(t.tenantId, {}), kind: "SERIAL", number: number(), storeId: other.storeId });
    expectError(otherStore, 422, "UNKNOWN_REFERENCE");
    expect(paths(otherStore)).toEqual(["storeId"]);
    const id = (await as.post("/item-serial-lots", { productId: await insertProduct(t.tenantId, {}), kind: "SERIAL", number: number() })).json.data.id;
    const theirs = client(other.adminToken);
    expect((await theirs.get(`/item-serial-lots/${id}`)).status).toBe(404);
    expect((await theirs.put(`/item-serial-lots/${id}`, { notes: "x" })).status).toBe(404);
    expect((await theirs.get("/item-serial-lots")).json.data.map((s: { id: string }) => s.id)).not.toContain(id);
  });

  it("moves through the statuses a unit can take, and changes store only while on a shelf", async () => {
    const productId = await insertProduct(t.tenantId, {});
    const sn = (await as.post("/item-serial-lots", { productId, kind: "SERIAL", number: number() })).json.data;
    const sold = await as.put(`/item-serial-lots/${sn.id}`, { status: "sold", version: 1 });
    expect(sold.json.data).toMatchObject({ status: "sold", version: 2 });
    const back = await as.put(`/item-serial-lots/${sn.id}`, { status: "in_stock" });
    expectError(back, 422, "INVALID_STATUS_TRANSITION");
    expect(paths(back)).toEqual(["status"]);
    expectError(await as.put(`/item-serial-lots/${sn.id}`, { storeId: second }), 422, "SERIAL_LOT_NOT_MOVABLE");
    // Returned at the other store: a status change and a move at once.
    const returned = await as.put(`/item-serial-lots/${sn.id}`, { status: "returned", storeId: second });
    expect(returned.json.data).toMatchObject({ status: "returned", storeId: second, version: 3 });
    expect((await feedOf(sn.id)).at(-1)).toMatchObject({ store_id: second, version: 3 });
    const written = await as.put(`/item-serial-lots/${sn.id}`, { status: "written_off" });
    expect(written.json.data.status).toBe("written_off");
    expectError(await as.put(`/item-serial-lots/${sn.id}`, { status: "sold" }), 422, "INVALID_STATUS_TRANSITION");
    expect((await as.put(`/item-serial-lots/${sn.id}`, { status: "in_stock" })).json.data).toMatchObject({ status: "in_stock", version: 5 });
    const stale = await as.put(`/item-serial-lots/${sn.id}`, { notes: "x" }, { "If-Match": '"4"' });
    expectError(stale, 409, "VERSION_CONFLICT");
    expect(stale.json.current).toMatchObject({ version: 5, status: "in_stock" });
  });
});

describe("permissions", () => {
  it("reading needs inventory.view; writing inventory.adjust in the store the number is at and the one it moves to", async () => {
    const productId = await insertProduct(t.tenantId, {});
    const viewer = client((await userWith(t, ["inventory.view"])).token);
    expect((await viewer.get("/item-serial-lots")).status).toBe(200);
    expectError(await viewer.post("/item-serial-lots", { productId, kind: "SERIAL", number: number() }), 403, "MISSING_PERMISSION");
    expectError(await client((await userWith(t, ["inventory.adjust"])).token).get("/item-serial-lots"), 403, "MISSING_PERMISSION");

    // inventory.adjust in S001 only.
    const clerk = client((await staffWithPin(t, ["inventory.adjust", "inventory.view"])).token);
    const here = await clerk.post("/item-serial-lots", { productId, kind: "SERIAL", number: number() });
    expect(here.status).toBe(201);
    const there = await clerk.post("/item-serial-lots", { productId, kind: "SERIAL", number: number(), storeId: second });
    expectError(there, 403, "MISSING_PERMISSION_IN_STORE");
    expect(there.json.error).toContain("S002");
    expectError(await clerk.put(`/item-serial-lots/${here.json.data.id}`, { storeId: second }), 403, "MISSING_PERMISSION_IN_STORE");
    // A number at S002: the clerk may neither change nor delete it.
    const atSecond = (await as.post("/item-serial-lots", { productId, kind: "SERIAL", number: number(), storeId: second })).json.data;
    expectError(await clerk.put(`/item-serial-lots/${atSecond.id}`, { notes: "mine" }), 403, "MISSING_PERMISSION_IN_STORE");
    expectError(await clerk.del(`/item-serial-lots/${atSecond.id}`), 403, "MISSING_PERMISSION_IN_STORE");
    // With the permission in both stores, the move is allowed.
    const both = client((await staffWithPin(t, ["inventory.adjust"], [t.storeId, second])).token);
    expect((await both.put(`/item-serial-lots/${here.json.data.id}`, { storeId: second })).json.data.storeId).toBe(second);
  });
});
