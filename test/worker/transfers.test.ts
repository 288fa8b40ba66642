import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { Transfer } from "../../schema/contracts/stock-ops";
import { client, paths } from "./catalogue-fixtures";
import { api, auditOf, createStore, createTenant, d1Count, feedOf, journalCounts, userWith, type TestTenant } from "./helpers";

/** Transfers between two stores through HTTP: every step, its stock movements and levels, refusals and races. */

let t: TestTenant;
let as: ReturnType<typeof client>;
let s2: { id: string; code: string };
beforeAll(async () => {
  t = await createTenant();
  as = client(t.adminToken);
  s2 = await createStore(t, "S002");
});

const tag = () => crypto.randomUUID().slice(0, 8);
async function product(fields: Record<string, unknown> = {}) {
  const res = await as.post("/products", { sku: `TR-${tag()}`, name: `Product ${tag()}`, sellPrice: 1000, costPrice: 400, ...fields });
  if (res.status !== 201) throw new Error(JSON.stringify(res.json));
  return res.json.data as { id: string; sku: string; name: string };
}
/** A product with `quantity` (thousandths) on hand in S001. */
async function stocked(quantity = 10_000, fields: Record<string, unknown> = {}) {
  const p = await product(fields);
  const res = await as.post("/inventory/adjustments", { reason: "received", lines: [{ productId: p.id, quantity }] });
  expect(res.status).toBe(201);
  return p;
}
const level = async (storeId: string, productId: string) =>
  (await env.DB.prepare("SELECT quantity FROM inventory_levels WHERE store_id = ? AND product_id = ?").bind(storeId, productId).first<{ quantity: number }>())?.quantity ?? 0;
/** A transfer's movements: by time, out before in, then by product (rows of one statement come in no set order). */
const movements = async (referenceId: string) =>
  (await env.DB.prepare("SELECT store_id, product_id, kind, quantity, reason, unit_cost, average_cost FROM stock_movements WHERE reference_id = ? ORDER BY at, kind <> 'transfer_out', product_id").bind(referenceId).all()).results;
/** The ledger of a product in a store: the sum of its movements (what the level must equal). */
const ledger = async (storeId: string, productId: string) =>
  (await env.DB.prepare("SELECT coalesce(sum(quantity), 0) AS q FROM stock_movements WHERE store_id = ? AND product_id = ?").bind(storeId, productId).first<{ q: number }>())!.q;

async function draft(lines: { productId: string; quantity: number }[], extra: Record<string, unknown> = {}) {
  const res = await as.post("/transfers", { toStoreId: s2.id, lines, ...extra });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.data as Transfer;
}

describe("a transfer's life", () => {
  it("drafts, edits, sends (stock leaves the source, in transit) and receives with a discrepancy, each step one batch with movements and feed rows", async () => {
    const a = await stocked(10_000);
    const b = await stocked(5_000);
    const created = await draft([{ productId: a.id, quantity: 2_000 }], { notes: "Weekly top-up" });
    expect(Transfer.safeParse(created).success).toBe(true);
    expect(created).toMatchObject({ fromStoreId: t.storeId, toStoreId: s2.id, status: "draft", notes: "Weekly top-up", totalQuantity: 2_000, version: 1, createdBy: t.adminId });
    expect(created.lines).toEqual([expect.objectContaining({ productId: a.id, sku: a.sku, name: a.name, quantity: 2_000, receivedQuantity: null, discrepancy: null })]);
    expect(await movements(created.id)).toEqual([]);

    // edit while draft: every line replaced; a stale version is 409 with the current transfer
    const edited = await as.put(`/transfers/${created.id}`, { version: 1, lines: [{ productId: a.id, quantity: 3_000 }, { productId: b.id, quantity: 1_500 }] });
    expect(edited.status, JSON.stringify(edited.json)).toBe(200);
    expect(edited.json.data).toMatchObject({ version: 2, totalQuantity: 4_500 });
    const stale = await as.put(`/transfers/${created.id}`, { version: 1, notes: "late" });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ code: "VERSION_CONFLICT" });
    expect((await as.get(`/transfers/${created.id}`)).json.data.lines.map((l: { quantity: number }) => l.quantity)).toEqual([3_000, 1_500]);

    const sent = await as.put(`/transfers/${created.id}/send`, {}, { "If-Match": '"2"' });
    expect(sent.status, JSON.stringify(sent.json)).toBe(200);
    expect(d1Count(sent)).toBe(2);
    expect(sent.json.data).toMatchObject({ status: "sent", sentBy: t.adminId, version: 3 });
    expect(await level(t.storeId, a.id)).toBe(7_000);
    expect(await level(t.storeId, b.id)).toBe(3_500);
    expect(await level(s2.id, a.id)).toBe(0);
    const byProduct = <T extends { product_id: string }>(rows: T[]) => [...rows].sort((x, y) => x.product_id.localeCompare(y.product_id));
    expect(await movements(created.id)).toEqual(byProduct([
      { store_id: t.storeId, product_id: a.id, kind: "transfer_out", quantity: -3_000, reason: null, unit_cost: 400, average_cost: 400 },
      { store_id: t.storeId, product_id: b.id, kind: "transfer_out", quantity: -1_500, reason: null, unit_cost: 400, average_cost: 400 },
    ]));
    expect((await feedOf(`${t.storeId}:${a.id}`)).at(-1)).toMatchObject({ entity: "inventory_level", store_id: t.storeId });
    expect((await feedOf(created.id)).map((f) => f.version)).toEqual([1, 2, 3]);

    // sent: no more editing, no second send
    expect((await as.put(`/transfers/${created.id}`, { notes: "x" })).json).toMatchObject({ code: "INVALID_STATE" });
    const again = await as.put(`/transfers/${created.id}/send`, {});
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: "INVALID_STATE", current: { status: "sent" } });

    // receive: a line that differs needs its reason; nothing is written until it has one
    const noReason = await as.put(`/transfers/${created.id}/receive`, { lines: [{ productId: a.id, receivedQuantity: 2_500 }] });
    expect(noReason.status).toBe(422);
    expect(noReason.json).toMatchObject({ code: "REASON_REQUIRED", fields: [{ path: "lines.0.reason" }] });
    const stranger = await product();
    const notOn = await as.put(`/transfers/${created.id}/receive`, { lines: [{ productId: stranger.id, receivedQuantity: 1 }] });
    expect(notOn.json).toMatchObject({ code: "NOT_ON_TRANSFER", fields: [{ path: "lines.0.productId" }] });
    expect(await level(s2.id, a.id)).toBe(0);

    const received = await as.put(`/transfers/${created.id}/receive`, { lines: [{ productId: a.id, receivedQuantity: 2_500, reason: "One box crushed" }] });
    expect(received.status, JSON.stringify(received.json)).toBe(200);
    expect(received.json.data).toMatchObject({ status: "received", receivedBy: t.adminId, version: 4 });
    expect(received.json.data.lines).toMatchObject([
      { productId: a.id, quantity: 3_000, receivedQuantity: 2_500, discrepancy: -500, discrepancyReason: "One box crushed" },
      { productId: b.id, quantity: 1_500, receivedQuantity: 1_500, discrepancy: 0, discrepancyReason: null },
    ]);
    expect(await level(s2.id, a.id)).toBe(2_500);
    expect(await level(s2.id, b.id)).toBe(1_500);
    expect((await movements(created.id)).slice(2)).toEqual(byProduct([
      { store_id: s2.id, product_id: a.id, kind: "transfer_in", quantity: 2_500, reason: null, unit_cost: 400, average_cost: 400 },
      { store_id: s2.id, product_id: b.id, kind: "transfer_in", quantity: 1_500, reason: null, unit_cost: 400, average_cost: 400 },
    ]));
    for (const store of [t.storeId, s2.id]) for (const p of [a, b]) expect(await ledger(store, p.id)).toBe(await level(store, p.id));
    expect((await as.get(`/transfers/${created.id}`)).json.data).toEqual(received.json.data);

    expect((await as.put(`/transfers/${created.id}/receive`, {})).json).toMatchObject({ code: "INVALID_STATE" });
    expect((await as.put(`/transfers/${created.id}/cancel`, {})).json).toMatchObject({ code: "INVALID_STATE" });
    expect((await auditOf(created.id)).map((e) => e.action)).toEqual(["transfer.create", "transfer.update", "transfer.send", "transfer.receive"]);
  });

  it("cancels a draft with no movement, and a sent transfer by booking its stock back into the source", async () => {
    const p = await stocked(4_000);
    const d = await draft([{ productId: p.id, quantity: 1_000 }]);
    const cancelledDraft = await as.put(`/transfers/${d.id}/cancel`, {});
    expect(cancelledDraft.json.data).toMatchObject({ status: "cancelled", cancelledBy: t.adminId });
    expect(await movements(d.id)).toEqual([]);
    expect((await as.put(`/transfers/${d.id}/send`, {})).status).toBe(409);

    const s = await draft([{ productId: p.id, quantity: 1_000 }]);
    await as.put(`/transfers/${s.id}/send`, {});
    expect(await level(t.storeId, p.id)).toBe(3_000);
    const cancelled = await as.put(`/transfers/${s.id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(await level(t.storeId, p.id)).toBe(4_000);
    expect((await movements(s.id)).map((m) => [m.store_id, m.kind, m.quantity, m.reason])).toEqual([
      [t.storeId, "transfer_out", -1_000, null],
      [t.storeId, "transfer_in", 1_000, "transfer_cancelled"],
    ]);
    expect((await as.put(`/transfers/${s.id}/receive`, {})).status).toBe(409);
  });

  it("lists newest first, paged, by status and by store (from or to)", async () => {
    const p = await stocked(1_000);
    const s3 = await createStore(t, `S${tag().slice(0, 4)}`);
    const one = await draft([{ productId: p.id, quantity: 100 }], { toStoreId: s3.id });
    const two = await draft([{ productId: p.id, quantity: 200 }], { fromStoreId: s2.id, toStoreId: s3.id });
    await as.put(`/transfers/${two.id}/send`, {});
    const byStore = await as.get(`/transfers?store_id=${s3.id}`);
    expect(byStore.json).toMatchObject({ total: 2, page: 1, pageSize: 50 });
    expect(byStore.json.data.map((x: Transfer) => [x.id, x.totalQuantity, x.lines])).toEqual([[two.id, 200, undefined], [one.id, 100, undefined]]);
    const sent = await as.get(`/transfers?store_id=${s3.id}&status=sent`);
    expect(sent.json.data.map((x: Transfer) => x.id)).toEqual([two.id]);
    const page2 = await as.get(`/transfers?store_id=${s3.id}&pageSize=1&page=2`);
    expect(page2.json).toMatchObject({ total: 2, page: 2, pageSize: 1, data: [{ id: one.id }] });
    const bad = await as.get("/transfers?status=lost&store_id=x");
    expect(bad.status).toBe(400);
    expect(paths(bad).sort()).toEqual(["query.status", "query.store_id"]);
  });
});

describe("concurrency", () => {
  it("10 concurrent sends: exactly one 200, the others 409, one set of movements", async () => {
    const p = await stocked(10_000);
    const d = await draft([{ productId: p.id, quantity: 1_000 }]);
    const results = await Promise.all(Array.from({ length: 10 }, () => as.put(`/transfers/${d.id}/send`, {})));
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    for (const r of results.filter((x) => x.status === 409)) expect(["INVALID_STATE", "VERSION_CONFLICT"]).toContain(r.json.code);
    expect((await movements(d.id)).length).toBe(1);
    expect(await level(t.storeId, p.id)).toBe(9_000);
  });

  it("10 concurrent receives: exactly one 200, stock booked in once", async () => {
    const p = await stocked(10_000);
    const d = await draft([{ productId: p.id, quantity: 1_000 }]);
    await as.put(`/transfers/${d.id}/send`, {});
    const results = await Promise.all(Array.from({ length: 10 }, () => as.put(`/transfers/${d.id}/receive`, {})));
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    expect(await level(s2.id, p.id)).toBe(1_000);
    expect((await movements(d.id)).map((m) => m.kind)).toEqual(["transfer_out", "transfer_in"]);
  });

  it("a send racing a cancel: one wins, and the stock agrees with whichever did", async () => {
    const p = await stocked(10_000);
    const d = await draft([{ productId: p.id, quantity: 1_000 }]);
    const [send, cancel] = await Promise.all([as.put(`/transfers/${d.id}/send`, {}), as.put(`/transfers/${d.id}/cancel`, {})]);
    const statuses = [send.status, cancel.status];
    const final = (await as.get(`/transfers/${d.id}`)).json.data;
    if (statuses.every((s) => s === 200)) {
      // the send committed first, then the cancel booked the stock back
      expect(final.status).toBe("cancelled");
      expect(await level(t.storeId, p.id)).toBe(10_000);
    } else {
      expect(statuses.sort()).toEqual([200, 409]);
      expect(await level(t.storeId, p.id)).toBe(final.status === "sent" ? 9_000 : 10_000);
    }
    expect(await ledger(t.storeId, p.id)).toBe(await level(t.storeId, p.id));
  });
});

describe("refusals", () => {
  it("403 without the permission, and without it in the store the step concerns", async () => {
    const p = await stocked(5_000);
    const viewer = client((await userWith(t, ["transfers.view"])).token);
    expect((await viewer.post("/transfers", { toStoreId: s2.id, lines: [{ productId: p.id, quantity: 1 }] })).json).toMatchObject({ code: "MISSING_PERMISSION" });
    const d = await draft([{ productId: p.id, quantity: 1_000 }]);
    for (const step of ["send", "receive", "cancel"]) {
      const res = await viewer.put(`/transfers/${d.id}/${step}`, {});
      expect(res.status).toBe(403);
      expect(res.json.code).toBe("MISSING_PERMISSION");
    }
    expect((await viewer.get(`/transfers/${d.id}`)).status).toBe(200);

    // holds every transfer permission, but only in S001
    const clerk = client((await userWith(t, ["transfers.view", "transfers.create", "transfers.send", "transfers.receive"])).token);
    const fromS2 = await draft([{ productId: p.id, quantity: 1_000 }], { fromStoreId: s2.id, toStoreId: t.storeId });
    const send = await clerk.put(`/transfers/${fromS2.id}/send`, {});
    expect(send.status).toBe(403);
    expect(send.json).toMatchObject({ code: "MISSING_PERMISSION_IN_STORE" });
    expect(send.json.error).toContain("transfers.send");
    expect((await clerk.post("/transfers", { fromStoreId: s2.id, toStoreId: t.storeId, lines: [{ productId: p.id, quantity: 1 }] })).json.code).toBe("MISSING_PERMISSION_IN_STORE");
    // S001 → S002: the clerk sends from S001, but cannot receive in S002
    const toS2 = await clerk.post("/transfers", { toStoreId: s2.id, lines: [{ productId: p.id, quantity: 1_000 }] });
    expect(toS2.status).toBe(201);
    expect((await clerk.put(`/transfers/${toS2.json.data.id}/send`, {})).status).toBe(200);
    const receive = await clerk.put(`/transfers/${toS2.json.data.id}/receive`, {});
    expect(receive.status).toBe(403);
    expect(receive.json).toMatchObject({ code: "MISSING_PERMISSION_IN_STORE" });
    expect(await level(s2.id, p.id)).toBe(0);
  });

  it("404 for another tenant's transfer, store or product is not reachable", async () => {
    const other = await createTenant();
    const theirProduct = (await api("POST", "/api/v1/products", { token: other.adminToken, body: { sku: "X-1", name: "Theirs", sellPrice: 1 } })).json.data.id;
    const theirStore = await createStore(other, "S009", {}, other.adminToken);
    const theirs = await api("POST", "/api/v1/transfers", { token: other.adminToken, body: { toStoreId: theirStore.id, lines: [{ productId: theirProduct, quantity: 1 }] } });
    expect(theirs.status).toBe(201);
    for (const [method, path] of [["GET", ""], ["PUT", ""], ["PUT", "/send"], ["PUT", "/receive"], ["PUT", "/cancel"]] as const) {
      const res = await api(method, `/api/v1/transfers/${theirs.json.data.id}${path}`, { token: t.adminToken, body: method === "GET" ? undefined : {} });
      expect(res.status).toBe(404);
    }
    const p = await product();
    const toTheirs = await as.post("/transfers", { toStoreId: theirStore.id, lines: [{ productId: p.id, quantity: 1 }] });
    expect(toTheirs.json).toMatchObject({ code: "UNKNOWN_REFERENCE", fields: [{ path: "toStoreId" }] });
    const theirLine = await as.post("/transfers", { toStoreId: s2.id, lines: [{ productId: theirProduct, quantity: 1 }] });
    expect(theirLine.json).toMatchObject({ code: "UNKNOWN_REFERENCE", fields: [{ path: "lines.0.productId" }] });
    expect((await api("GET", `/api/v1/transfers?store_id=${theirStore.id}`, { token: t.adminToken })).json.total).toBe(0);
  });

  it("bad input is 400 naming the field, business rules 422, and nothing is written", async () => {
    const p = await product();
    const untracked = await product({ trackStock: false });
    const before = await journalCounts(t.tenantId);
    const cases: [unknown, string[]][] = [
      [{ lines: [{ productId: p.id, quantity: 1 }] }, ["toStoreId"]],
      [{ toStoreId: s2.id, lines: [] }, ["lines"]],
      [{ toStoreId: s2.id, lines: [{ productId: p.id, quantity: 0 }] }, ["lines.0.quantity"]],
      [{ toStoreId: s2.id, lines: [{ productId: p.id, quantity: 1.5 }] }, ["lines.0.quantity"]],
      [{ toStoreId: s2.id, lines: [{ productId: p.id, quantity: 1 }, { productId: p.id, quantity: 2 }] }, ["lines.1.productId"]],
      [{ toStoreId: "nope", lines: [{ productId: p.id, quantity: 1 }] }, ["toStoreId"]],
    ];
    for (const [body, fields] of cases) {
      const res = await as.post("/transfers", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(paths(res)).toEqual(fields);
    }
    expect((await as.post("/transfers", { toStoreId: t.storeId, lines: [{ productId: p.id, quantity: 1 }] })).json).toMatchObject({ code: "SAME_STORE", fields: [{ path: "toStoreId" }] });
    expect((await as.post("/transfers", { toStoreId: s2.id, lines: [{ productId: untracked.id, quantity: 1 }] })).json).toMatchObject({ code: "PRODUCT_NOT_TRACKED" });
    const d = await draft([{ productId: p.id, quantity: 1_000 }]);
    const afterDraft = await journalCounts(t.tenantId);
    expect(afterDraft.feed).toBe(before.feed + 1);
    const sent = await as.put(`/transfers/${d.id}/send`, {});
    const negative = await as.put(`/transfers/${d.id}/receive`, { lines: [{ productId: p.id, receivedQuantity: -1, reason: "x" }] });
    expect(negative.status).toBe(400);
    expect(paths(negative)).toEqual(["lines.0.receivedQuantity"]);
    expect(sent.status).toBe(200);
    expect((await as.put(`/transfers/${d.id}/send`, {}, { "If-Match": '"1"' })).json.code).toBe("VERSION_CONFLICT");
  });
});
