import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { PurchaseOrder } from "../../schema/contracts/stock-ops";
import { client, paths } from "./catalogue-fixtures";
import { api, auditOf, createStore, createTenant, d1Count, feedOf, userWith, type TestTenant } from "./helpers";

/** Purchase orders through HTTP: drafting with the supplier link's defaults, the approval steps, receipts in parts with the moving average cost, refusals and races. */

let t: TestTenant;
let as: ReturnType<typeof client>;
let s2: { id: string; code: string };
let supplierId: string;
beforeAll(async () => {
  t = await createTenant();
  as = client(t.adminToken);
  s2 = await createStore(t, "S002");
  supplierId = (await as.post("/suppliers", { name: "Rosteriet AB" })).json.data.id;
});

const tag = () => crypto.randomUUID().slice(0, 8);
async function product(fields: Record<string, unknown> = {}) {
  const res = await as.post("/products", { sku: `PO-${tag()}`, name: `Product ${tag()}`, sellPrice: 1000, costPrice: 400, ...fields });
  if (res.status !== 201) throw new Error(JSON.stringify(res.json));
  return res.json.data as { id: string; sku: string; name: string };
}
const adjust = async (storeId: string, productId: string, quantity: number) =>
  expect((await as.post("/inventory/adjustments", { storeId, reason: "received", lines: [{ productId, quantity }] })).status).toBe(201);
const level = async (storeId: string, productId: string) =>
  (await env.DB.prepare("SELECT quantity FROM inventory_levels WHERE store_id = ? AND product_id = ?").bind(storeId, productId).first<{ quantity: number }>())?.quantity ?? 0;
const costOf = async (productId: string) => (await as.get(`/products/${productId}`)).json.data.costPrice as number;
const receiptMovements = async (receiptId: string) =>
  (await env.DB.prepare("SELECT store_id, product_id, kind, quantity, unit_cost, average_cost, reference_id FROM stock_movements WHERE reference_id = ? ORDER BY product_id").bind(receiptId).all()).results;

async function draft(lines: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  const res = await as.post("/purchase-orders", { supplierId, lines, ...extra });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.data as PurchaseOrder;
}
/** A draft taken through submit, approve and send. */
async function sent(lines: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  const po = await draft(lines, extra);
  for (const s of ["submit", "approve", "send"]) expect((await as.patch(`/purchase-orders/${po.id}/${s}`, {})).status).toBe(200);
  return (await as.get(`/purchase-orders/${po.id}`)).json.data as PurchaseOrder;
}

describe("drafting", () => {
  it("takes the supplier link's cost and SKU as defaults, the product's cost where the link has none, and the body's where given", async () => {
    const linked = await product();
    const plain = await product({ costPrice: 250 });
    const given = await product();
    expect((await as.post(`/products/${linked.id}/suppliers`, { supplierId, supplierSku: "ROST-1", costPrice: 375 })).status).toBe(201);
    const po = await draft([
      { productId: linked.id, quantity: 12_000 },
      { productId: plain.id, quantity: 1_500 },
      { productId: given.id, quantity: 2_000, unitCost: 999, supplierSku: "X-9", allowOverReceipt: true },
    ], { expectedDeliveryDate: "2026-12-15", notes: "Before Lucia" });
    expect(PurchaseOrder.safeParse(po).success).toBe(true);
    expect(po).toMatchObject({ storeId: t.storeId, supplierId, status: "draft", expectedDeliveryDate: "2026-12-15", notes: "Before Lucia", version: 1, createdBy: t.adminId });
    expect(po.lines).toMatchObject([
      { productId: linked.id, sku: linked.sku, supplierSku: "ROST-1", quantity: 12_000, unitCost: 375, lineTotal: 4_500, receivedQuantity: 0, allowOverReceipt: false },
      { productId: plain.id, supplierSku: null, quantity: 1_500, unitCost: 250, lineTotal: 375 },
      { productId: given.id, supplierSku: "X-9", quantity: 2_000, unitCost: 999, lineTotal: 1_998, allowOverReceipt: true },
    ]);
    expect(po.total).toBe(4_500 + 375 + 1_998);
    expect((await as.get(`/purchase-orders/${po.id}`)).json.data).toEqual({ ...po, receipts: [] });
    const listed = await as.get(`/purchase-orders?supplier_id=${supplierId}&status=draft&pageSize=200`);
    const item = listed.json.data.find((x: PurchaseOrder) => x.id === po.id);
    expect(item).toMatchObject({ total: po.total, status: "draft" });
    expect(item).not.toHaveProperty("lines");
  });

  it("adds, edits and removes lines while draft, each a new version of the order; not after it is submitted", async () => {
    const a = await product();
    const b = await product();
    const po = await draft([{ productId: a.id, quantity: 1_000, unitCost: 100 }]);
    const added = await as.post(`/purchase-orders/${po.id}/items`, { productId: b.id, quantity: 3_000, unitCost: 50 }, { "If-Match": '"1"' });
    expect(added.status, JSON.stringify(added.json)).toBe(201);
    expect(added.json.data).toMatchObject({ version: 2, total: 250 });
    const lineB = added.json.data.lines[1].id;
    expect((await as.post(`/purchase-orders/${po.id}/items`, { productId: b.id, quantity: 1 })).json.code).toBe("PRODUCT_ALREADY_ON_ORDER");
    const edited = await as.put(`/purchase-orders/${po.id}/items/${lineB}`, { quantity: 4_000, version: 2 });
    expect(edited.json.data).toMatchObject({ version: 3, total: 300 });
    expect((await as.put(`/purchase-orders/${po.id}/items/${lineB}`, { quantity: 5_000, version: 2 })).json.code).toBe("VERSION_CONFLICT");
    const removed = await as.del(`/purchase-orders/${po.id}/items/${po.lines![0]!.id}`);
    expect(removed.json.data.lines.map((l: { productId: string }) => l.productId)).toEqual([b.id]);
    expect((await as.put(`/purchase-orders/${po.id}/items/${crypto.randomUUID()}`, { quantity: 1 })).status).toBe(404);
    const header = await as.put(`/purchase-orders/${po.id}`, { expectedDeliveryDate: "2027-01-10", notes: "Call first" });
    expect(header.json.data).toMatchObject({ expectedDeliveryDate: "2027-01-10", notes: "Call first", version: 5 });

    expect((await as.patch(`/purchase-orders/${po.id}/submit`, {})).json.data).toMatchObject({ status: "submitted", submittedBy: t.adminId });
    for (const res of [
      await as.post(`/purchase-orders/${po.id}/items`, { productId: a.id, quantity: 1 }),
      await as.put(`/purchase-orders/${po.id}/items/${lineB}`, { quantity: 1 }),
      await as.del(`/purchase-orders/${po.id}/items/${lineB}`),
      await as.del(`/purchase-orders/${po.id}`),
    ]) {
      expect(res.status).toBe(409);
      expect(res.json.code).toBe("INVALID_STATE");
    }
    // the date can still move; the supplier cannot
    expect((await as.put(`/purchase-orders/${po.id}`, { expectedDeliveryDate: null })).json.data.expectedDeliveryDate).toBeNull();
    const other = (await as.post("/suppliers", { name: `Other ${tag()}` })).json.data.id;
    expect((await as.put(`/purchase-orders/${po.id}`, { supplierId: other })).json.code).toBe("INVALID_STATE");
    expect((await feedOf(po.id)).map((f) => [f.version, f.store_id])).toEqual([1, 2, 3, 4, 5, 6, 7].map((v) => [v, t.storeId]));
  });

  it("deletes a draft (gone from the API), refuses to submit an empty one", async () => {
    const empty = await draft([]);
    const submit = await as.patch(`/purchase-orders/${empty.id}/submit`, {});
    expect(submit.status).toBe(422);
    expect(submit.json).toMatchObject({ code: "EMPTY_ORDER", fields: [{ path: "lines" }] });
    expect((await as.del(`/purchase-orders/${empty.id}`)).json.data).toEqual({ id: empty.id, deleted: true });
    expect((await as.get(`/purchase-orders/${empty.id}`)).status).toBe(404);
    expect((await feedOf(empty.id)).at(-1)).toMatchObject({ op: "delete", version: 2 });
  });
});

describe("approval and receipts", () => {
  it("goes draft → submitted → approved → sent, then receives in two parts with the moving average cost, recorded on the movements", async () => {
    const p = await product({ costPrice: 400 });
    await adjust(t.storeId, p.id, 6_000);
    await adjust(s2.id, p.id, 4_000);
    const po = await draft([{ productId: p.id, quantity: 20_000, unitCost: 700 }]);
    expect((await as.patch(`/purchase-orders/${po.id}/approve`, {})).json.code).toBe("INVALID_STATE");
    expect((await as.patch(`/purchase-orders/${po.id}/receive`, { lines: [{ lineId: po.lines![0]!.id, quantity: 1 }] })).json.code).toBe("INVALID_STATE");
    expect((await as.patch(`/purchase-orders/${po.id}/submit`, {})).json.data.status).toBe("submitted");
    expect((await as.patch(`/purchase-orders/${po.id}/send`, {})).json.code).toBe("INVALID_STATE");
    expect((await as.patch(`/purchase-orders/${po.id}/approve`, {})).json.data).toMatchObject({ status: "approved", approvedBy: t.adminId });
    expect((await as.patch(`/purchase-orders/${po.id}/send`, { version: 3 })).json.data).toMatchObject({ status: "sent", sentBy: t.adminId, version: 4 });
    const lineId = po.lines![0]!.id;

    // 10 units on hand in the tenant (6 + 4) at 400, 10 arrive at 700: 550
    const first = await as.patch(`/purchase-orders/${po.id}/receive`, { lines: [{ lineId, quantity: 10_000 }], note: "First pallet" });
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    expect(d1Count(first)).toBe(2);
    expect(first.json.data).toMatchObject({ status: "partially_received", receivedAt: null, version: 5 });
    expect(first.json.data.lines[0]).toMatchObject({ receivedQuantity: 10_000 });
    const r1 = first.json.data.receipts[0];
    expect(r1).toMatchObject({ receivedBy: t.adminId, updatedCost: true, note: "First pallet", lines: [{ lineId, productId: p.id, quantity: 10_000, unitCost: 700 }] });
    expect(await level(t.storeId, p.id)).toBe(16_000);
    expect(await level(s2.id, p.id)).toBe(4_000);
    expect(await costOf(p.id)).toBe(550);
    expect(await receiptMovements(r1.id)).toEqual([{ store_id: t.storeId, product_id: p.id, kind: "receipt", quantity: 10_000, unit_cost: 700, average_cost: 550, reference_id: r1.id }]);
    expect((await feedOf(p.id)).at(-1)).toMatchObject({ entity: "product", op: "upsert", version: 2 });

    // over-receipt is refused, naming the line and what is left
    const over = await as.patch(`/purchase-orders/${po.id}/receive`, { lines: [{ lineId, quantity: 10_001 }] });
    expect(over.status).toBe(422);
    expect(over.json).toMatchObject({ code: "OVER_RECEIPT", fields: [{ path: "lines.0.quantity", received: 10_001, expected: 10_000 }] });

    // 20 on hand at 550, 10 more at 700: 600; and the order is received
    const second = await as.patch(`/purchase-orders/${po.id}/receive`, { lines: [{ lineId, quantity: 10_000 }] });
    expect(second.json.data).toMatchObject({ status: "received", version: 6 });
    expect(second.json.data.receivedAt).not.toBeNull();
    expect(second.json.data.receipts).toHaveLength(2);
    expect(await costOf(p.id)).toBe(600);
    expect(await level(t.storeId, p.id)).toBe(26_000);
    const r2 = second.json.data.receipts[1];
    expect(await receiptMovements(r2.id)).toMatchObject([{ quantity: 10_000, unit_cost: 700, average_cost: 600 }]);
    expect((await as.patch(`/purchase-orders/${po.id}/receive`, { lines: [{ lineId, quantity: 1 }] })).json.code).toBe("INVALID_STATE");
    expect((await as.patch(`/purchase-orders/${po.id}/cancel`, {})).json.code).toBe("INVALID_STATE");
    expect((await auditOf(po.id)).map((a) => a.action)).toEqual([
      "purchase_order.create", "purchase_order.submit", "purchase_order.approve", "purchase_order.send", "purchase_order.receive", "purchase_order.receive",
    ]);
  });

  it("rounds the average half up, counts stock below zero as none, and leaves the cost alone when told to", async () => {
    const half = await product({ costPrice: 100 });
    await adjust(t.storeId, half.id, 1_000);
    const negative = await product({ costPrice: 100 });
    await adjust(t.storeId, negative.id, -5_000);
    const kept = await product({ costPrice: 100 });
    const po = await sent([{ productId: half.id, quantity: 1_000, unitCost: 101 }, { productId: negative.id, quantity: 2_000, unitCost: 130 }, { productId: kept.id, quantity: 1_000, unitCost: 900 }]);
    const [lHalf, lNeg, lKept] = po.lines!.map((l) => l.id);
    expect((await as.patch(`/purchase-orders/${po.id}/receive`, { lines: [{ lineId: lHalf, quantity: 1_000 }, { lineId: lNeg, quantity: 2_000 }] })).status).toBe(200);
    expect(await costOf(half.id)).toBe(101); // (1 × 100 + 1 × 101) / 2 = 100.5
    expect(await costOf(negative.id)).toBe(130); // -5 on hand counts as 0
    expect(await level(t.storeId, negative.id)).toBe(-3_000);
    const noCost = await as.patch(`/purchase-orders/${po.id}/receive`, { lines: [{ lineId: lKept, quantity: 1_000 }], updateCost: false });
    expect(noCost.json.data).toMatchObject({ status: "received" });
    expect(await costOf(kept.id)).toBe(100);
    expect(await receiptMovements(noCost.json.data.receipts[1].id)).toMatchObject([{ unit_cost: 900, average_cost: 100 }]);
  });

  it("lets a line that allows it be received past its quantity; cancels a partly received order and keeps what arrived", async () => {
    const p = await product();
    const q = await product();
    const po = await sent([{ productId: p.id, quantity: 1_000, allowOverReceipt: true }, { productId: q.id, quantity: 5_000 }]);
    const res = await as.patch(`/purchase-orders/${po.id}/receive`, { lines: [{ lineId: po.lines![0]!.id, quantity: 1_500 }] });
    expect(res.json.data).toMatchObject({ status: "partially_received" });
    expect(res.json.data.lines[0]).toMatchObject({ quantity: 1_000, receivedQuantity: 1_500 });
    const cancelled = await as.patch(`/purchase-orders/${po.id}/cancel`, {});
    expect(cancelled.json.data).toMatchObject({ status: "cancelled", cancelledBy: t.adminId });
    expect(await level(t.storeId, p.id)).toBe(1_500);
    const unknownLine = await as.patch(`/purchase-orders/${po.id}/receive`, { lines: [{ lineId: crypto.randomUUID(), quantity: 1 }] });
    expect(unknownLine.json.code).toBe("INVALID_STATE");
    const other = await sent([{ productId: q.id, quantity: 1_000 }]);
    const notOn = await as.patch(`/purchase-orders/${other.id}/receive`, { lines: [{ lineId: po.lines![1]!.id, quantity: 1 }] });
    expect(notOn.status).toBe(422);
    expect(notOn.json).toMatchObject({ code: "NOT_ON_ORDER", fields: [{ path: "lines.0.lineId" }] });
  });
});

describe("concurrency", () => {
  it("concurrent receipts of the last units: one wins, the others are 422 OVER_RECEIPT, stock is booked once", async () => {
    const p = await product();
    const po = await sent([{ productId: p.id, quantity: 5_000 }]);
    const lineId = po.lines![0]!.id;
    const results = await Promise.all(Array.from({ length: 6 }, () => as.patch(`/purchase-orders/${po.id}/receive`, { lines: [{ lineId, quantity: 5_000 }] })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expect([[422, "OVER_RECEIPT"], [409, "INVALID_STATE"]]).toContainEqual([r.status, r.json.code]);
    expect(await level(t.storeId, p.id)).toBe(5_000);
    const after = (await as.get(`/purchase-orders/${po.id}`)).json.data;
    expect(after).toMatchObject({ status: "received", receipts: [expect.anything()] });
  });

  it("concurrent receipts of different lines both succeed; a receipt naming a stale version is 409", async () => {
    const a = await product();
    const b = await product();
    const po = await sent([{ productId: a.id, quantity: 2_000 }, { productId: b.id, quantity: 3_000 }]);
    const [la, lb] = po.lines!.map((l) => l.id);
    const [ra, rb] = await Promise.all([
      as.patch(`/purchase-orders/${po.id}/receive`, { lines: [{ lineId: la, quantity: 2_000 }] }),
      as.patch(`/purchase-orders/${po.id}/receive`, { lines: [{ lineId: lb, quantity: 3_000 }] }),
    ]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    const after = (await as.get(`/purchase-orders/${po.id}`)).json.data;
    expect(after).toMatchObject({ status: "received", version: po.version + 2 });
    expect([await level(t.storeId, a.id), await level(t.storeId, b.id)]).toEqual([2_000, 3_000]);

    const c = await sent([{ productId: a.id, quantity: 2_000 }]);
    const stale = await as.patch(`/purchase-orders/${c.id}/receive`, { version: c.version - 1, lines: [{ lineId: c.lines![0]!.id, quantity: 1 }] });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ code: "VERSION_CONFLICT", current: { id: c.id, version: c.version } });
  });
});

describe("refusals", () => {
  it("403 without each step's permission, and without it in the order's store", async () => {
    const p = await product();
    const viewer = client((await userWith(t, ["purchase_orders.view"])).token);
    const po = await draft([{ productId: p.id, quantity: 1_000 }]);
    const attempts = [
      ["purchase_orders.create", () => viewer.post("/purchase-orders", { supplierId, lines: [] })],
      ["purchase_orders.edit", () => viewer.put(`/purchase-orders/${po.id}`, { notes: "x" })],
      ["purchase_orders.create", () => viewer.patch(`/purchase-orders/${po.id}/submit`, {})],
      ["purchase_orders.approve", () => viewer.patch(`/purchase-orders/${po.id}/approve`, {})],
      ["purchase_orders.edit", () => viewer.patch(`/purchase-orders/${po.id}/send`, {})],
      ["purchase_orders.receive", () => viewer.patch(`/purchase-orders/${po.id}/receive`, { lines: [{ lineId: po.lines![0]!.id, quantity: 1 }] })],
      ["purchase_orders.edit", () => viewer.patch(`/purchase-orders/${po.id}/cancel`, {})],
      ["purchase_orders.delete", () => viewer.del(`/purchase-orders/${po.id}`)],
      ["purchase_orders.edit", () => viewer.post(`/purchase-orders/${po.id}/items`, { productId: p.id, quantity: 1 })],
    ] as const;
    for (const [permission, call] of attempts) {
      const res = await call();
      expect(res.status).toBe(403);
      expect(res.json.error).toContain(permission);
    }
    expect((await viewer.get(`/purchase-orders/${po.id}`)).status).toBe(200);

    const buyer = client((await userWith(t, ["purchase_orders.view", "purchase_orders.create", "purchase_orders.edit", "purchase_orders.approve", "purchase_orders.receive"])).token);
    const forS2 = await buyer.post("/purchase-orders", { supplierId, storeId: s2.id, lines: [{ productId: p.id, quantity: 1_000 }] });
    expect(forS2.status).toBe(403);
    expect(forS2.json).toMatchObject({ code: "MISSING_PERMISSION_IN_STORE" });
    const theirs = await sent([{ productId: p.id, quantity: 1_000 }], { storeId: s2.id });
    const receive = await buyer.patch(`/purchase-orders/${theirs.id}/receive`, { lines: [{ lineId: theirs.lines![0]!.id, quantity: 1_000 }] });
    expect(receive.status).toBe(403);
    expect(receive.json).toMatchObject({ code: "MISSING_PERMISSION_IN_STORE" });
    expect(await level(s2.id, p.id)).toBe(0);
  });

  it("404 for another tenant's order; their supplier, store and products are unknown references", async () => {
    const other = await createTenant();
    const theirSupplier = (await api("POST", "/api/v1/suppliers", { token: other.adminToken, body: { name: "Theirs" } })).json.data.id;
    const theirProduct = (await api("POST", "/api/v1/products", { token: other.adminToken, body: { sku: "X-1", name: "Theirs", sellPrice: 1 } })).json.data.id;
    const theirs = await api("POST", "/api/v1/purchase-orders", { token: other.adminToken, body: { supplierId: theirSupplier, lines: [{ productId: theirProduct, quantity: 1 }] } });
    expect(theirs.status).toBe(201);
    const id = theirs.json.data.id;
    const lineId = theirs.json.data.lines[0].id;
    for (const res of [
      await as.get(`/purchase-orders/${id}`), await as.put(`/purchase-orders/${id}`, { notes: "x" }), await as.patch(`/purchase-orders/${id}/submit`, {}),
      await as.patch(`/purchase-orders/${id}/receive`, { lines: [{ lineId, quantity: 1 }] }), await as.del(`/purchase-orders/${id}`),
      await as.put(`/purchase-orders/${id}/items/${lineId}`, { quantity: 2 }), await as.del(`/purchase-orders/${id}/items/${lineId}`),
    ]) expect(res.status).toBe(404);
    const p = await product();
    expect((await as.post("/purchase-orders", { supplierId: theirSupplier, lines: [] })).json).toMatchObject({ code: "UNKNOWN_REFERENCE", fields: [{ path: "supplierId" }] });
    expect((await as.post("/purchase-orders", { supplierId, storeId: other.storeId, lines: [] })).json).toMatchObject({ code: "UNKNOWN_REFERENCE", fields: [{ path: "storeId" }] });
    expect((await as.post("/purchase-orders", { supplierId, lines: [{ productId: p.id, quantity: 1 }, { productId: theirProduct, quantity: 1 }] })).json)
      .toMatchObject({ code: "UNKNOWN_REFERENCE", fields: [{ path: "lines.1.productId" }] });
  });

  it("bad input is 400 naming the field", async () => {
    const p = await product();
    const cases: [unknown, string[]][] = [
      [{ lines: [] }, ["supplierId"]],
      [{ supplierId, expectedDeliveryDate: "15/12/2026" }, ["expectedDeliveryDate"]],
      [{ supplierId, lines: [{ productId: p.id, quantity: 0 }] }, ["lines.0.quantity"]],
      [{ supplierId, lines: [{ productId: p.id, quantity: 1, unitCost: -1 }] }, ["lines.0.unitCost"]],
      [{ supplierId, lines: [{ productId: p.id, quantity: 1, unitCost: 1.5 }] }, ["lines.0.unitCost"]],
      [{ supplierId, lines: [{ productId: p.id, quantity: 1 }, { productId: p.id, quantity: 1 }] }, ["lines.1.productId"]],
    ];
    for (const [body, fields] of cases) {
      const res = await as.post("/purchase-orders", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(paths(res)).toEqual(fields);
    }
    const po = await sent([{ productId: p.id, quantity: 1_000 }]);
    const lineId = po.lines![0]!.id;
    const bad = await as.patch(`/purchase-orders/${po.id}/receive`, { lines: [{ lineId, quantity: 1 }, { lineId, quantity: 1 }] });
    expect(paths(bad)).toEqual(["lines.1.lineId"]);
    expect(paths(await as.patch(`/purchase-orders/${po.id}/receive`, { lines: [] }))).toEqual(["lines"]);
    expect(paths(await as.get("/purchase-orders?status=open&supplier_id=1"))).toEqual(["query.status", "query.supplier_id"]);
  });
});
