import { beforeAll, describe, expect, it } from "vitest";
import { MAX_RAW_JOB_BYTES } from "../../schema/sync/bridge-messages";
import { openSession, shop } from "./checkout-fixtures";
import { api, createStore, createTenant, enrolTill, staffWithPin, tillPinLogin, userWith, type TestTenant } from "./helpers";
import { aSale, base64, createJob, enrolBridge, FakeBridge, jobsPath, newJob } from "./print-jobs-fixtures";

/** Who may print where: pos.sell in the job's store (stores.edit too for raw bytes), never another tenant's or store's. */

/** A completed sale in a store of the tenant, sold by its administrator at a new till there. */
async function saleIn(t: TestTenant, storeId: string) {
  const till = await enrolTill(t, { storeId });
  const token = (await tillPinLogin(till.credential, t.adminPin)).json.data.accessToken as string;
  await openSession(t, till.registerId);
  const product = (await api("POST", "/api/v1/products", { token: t.adminToken, body: { sku: `S-${crypto.randomUUID().slice(0, 8)}`, name: "Item", sellPrice: 1000 } })).json.data;
  const priced = (await api("POST", "/api/v1/sales/quote", { token, body: { items: [{ productId: product.id, quantity: 1000 }], payments: [{ method: "CARD", amount: 1000 }] } })).json.data;
  const { cashTotalDue: _c, totalDue: _d, currency: _cur, pricesIncludeTax: _p, ...body } = priced;
  const sale = await api("POST", "/api/v1/sales", { token, body: { ...body, receiptNumber: `R-${crypto.randomUUID().slice(0, 8)}`, items: body.items.map(({ cataloguePrice: _cp, ...i }: Record<string, unknown>) => i) } });
  if (sale.status !== 201) throw new Error(`sale: ${JSON.stringify(sale.json)}`);
  return sale.json.data.id as string;
}

describe("print jobs: permissions", () => {
  it("needs pos.sell: in the store you are signed into, and read fresh in another store", async () => {
    const t = await createTenant();
    const other = await createStore(t, "S002");
    const noSell = await userWith(t, ["products.view", "stores.view"]);
    const refused = await api("POST", jobsPath(t.storeId), { token: noSell.token, body: { kind: "test" } });
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe("MISSING_PERMISSION");

    // pos.sell in S001 only: S002's jobs are not theirs to make or read.
    const cashier = await staffWithPin(t, ["pos.sell"]);
    for (const [method, path, body] of [
      ["POST", jobsPath(other.id), { kind: "test" }],
      ["POST", `/api/v1/stores/${other.id}/drawer-kicks`, {}],
      ["GET", jobsPath(other.id), undefined],
      ["GET", `/api/v1/stores/${other.id}/bridge`, undefined],
    ] as const) {
      const res = await api(method, path, { token: cashier.token, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.json.code).toBe("MISSING_PERMISSION_IN_STORE");
    }
    expect((await api("POST", jobsPath(t.storeId), { token: cashier.token, body: { kind: "test" } })).status).toBe(201);
    // The administrator holds it in both.
    expect((await api("POST", jobsPath(other.id), { token: t.adminToken, body: { kind: "test" } })).status).toBe(201);
  });

  it("a raw job needs stores.edit in the store too (and so does its reprint); its bytes reach the bridge as sent", async () => {
    const s = await shop();
    const bytes = base64([0x1b, 0x40, 0x48, 0x69, 0x0a, 0x1d, 0x56, 0x01]);
    const refused = await createJob(s, { kind: "raw", bytesBase64: bytes });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ code: "MISSING_PERMISSION_IN_STORE", error: expect.stringContaining("stores.edit") });

    const bridge = await FakeBridge.connect((await enrolBridge(s.t)).credential);
    const made = await api("POST", jobsPath(s.t.storeId), { token: s.t.adminToken, body: { kind: "raw", bytesBase64: bytes, printerId: "front" } });
    expect(made.status).toBe(201);
    expect(made.json.data).toMatchObject({ kind: "raw", userId: s.t.adminId, deviceId: null });
    const [job] = await bridge.received(1);
    expect(job).toMatchObject({ printerId: "front", requestedBy: null, payload: { kind: "raw", bytesBase64: bytes } });
    bridge.ack(job.id);
    bridge.outcome(job.id, "printed");
    await bridge.settle();
    const reprint = await api("POST", `${jobsPath(s.t.storeId)}/${job.id}/reprint`, { token: s.cashier.token });
    expect(reprint.status).toBe(403);
    expect(reprint.json.code).toBe("MISSING_PERMISSION_IN_STORE");
    expect((await api("POST", `${jobsPath(s.t.storeId)}/${job.id}/reprint`, { token: s.t.adminToken })).status).toBe(201);
    bridge.close();
  });

  it("a session that has ended makes no job, though its token has not expired", async () => {
    const s = await shop();
    const signIn = await tillPinLogin(s.till.credential, s.cashier.pin);
    const { accessToken, refreshToken } = signIn.json.data;
    expect((await api("POST", jobsPath(s.t.storeId), { token: accessToken, body: { kind: "test" } })).status).toBe(201);
    await api("POST", "/api/v1/auth/logout", { body: { refreshToken } });
    const after = await api("POST", jobsPath(s.t.storeId), { token: accessToken, body: { kind: "test" } });
    expect(after.status).toBe(401);
    expect(after.json.code).toBe("SESSION_ENDED");
  });
});

describe("print jobs: tenants and stores", () => {
  it("another tenant's store, a sale of another store or tenant, and a job of another store are not found", async () => {
    const s = await shop();
    const b = await createTenant();
    const saleHere = await aSale(s);
    const bSale = await saleIn(b, b.storeId);
    const other = await createStore(s.t, "S002");
    const otherSale = await saleIn(s.t, other.id);

    const foreignStore = await api("POST", jobsPath(s.t.storeId), { token: b.adminToken, body: { kind: "test" } });
    expect(foreignStore.status).toBe(404);
    expect((await api("GET", jobsPath(s.t.storeId), { token: b.adminToken })).status).toBe(404);
    expect((await api("GET", `/api/v1/stores/${s.t.storeId}/bridge`, { token: b.adminToken })).status).toBe(404);

    for (const saleId of [bSale, otherSale, crypto.randomUUID()]) {
      const res = await api("POST", jobsPath(s.t.storeId), { token: s.t.adminToken, body: { kind: "receipt", saleId } });
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({ code: "NOT_FOUND", error: expect.stringContaining("Sale") });
    }
    // S002's sale prints in S002.
    expect((await api("POST", jobsPath(other.id), { token: s.t.adminToken, body: { kind: "receipt", saleId: otherSale } })).status).toBe(201);

    const job = await newJob(s, { kind: "receipt", saleId: saleHere.id });
    expect((await api("GET", `${jobsPath(other.id)}/${job.id}`, { token: s.t.adminToken })).status).toBe(404);
    expect((await api("POST", `${jobsPath(other.id)}/${job.id}/reprint`, { token: s.t.adminToken })).status).toBe(404);
    expect((await api("GET", `${jobsPath(s.t.storeId)}/${job.id}`, { token: b.adminToken })).status).toBe(404);
    expect((await api("GET", `${jobsPath(s.t.storeId)}/${job.id}`, { token: s.t.adminToken })).status).toBe(200);
  });

  it("a store's jobs reach its own bridge only", async () => {
    const s = await shop();
    const other = await createStore(s.t, "S002");
    const here = await FakeBridge.connect((await enrolBridge(s.t)).credential);
    const there = await FakeBridge.connect((await enrolBridge(s.t, other.id)).credential);
    const job = await newJob(s, { kind: "test" });
    await here.received(1);
    await there.settle();
    expect(here.jobs().map((j) => j.id)).toEqual([job.id]);
    expect(there.jobs()).toEqual([]);
    here.close();
    there.close();
  });
});

describe("print jobs: validation", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["an unknown kind", { kind: "fax" }, "kind"],
    ["a drawer kick here", { kind: "drawer" }, "kind"],
    ["a receipt without a sale", { kind: "receipt" }, "saleId"],
    ["a sale id that is no UUID", { kind: "receipt", saleId: "123" }, "saleId"],
    ["raw bytes that are not base64", { kind: "raw", bytesBase64: "not base64!" }, "bytesBase64"],
    ["base64 cut short", { kind: "raw", bytesBase64: "QUJDR" }, "bytesBase64"],
    ["no bytes", { kind: "raw", bytesBase64: "" }, "bytesBase64"],
    ["too many bytes", { kind: "raw", bytesBase64: "A".repeat(((MAX_RAW_JOB_BYTES + 3) / 3) * 4) }, "bytesBase64"],
    ["a printer id with a control character", { kind: "test", printerId: "front\u0007" }, "printerId"],
    ["a printer id too long", { kind: "test", printerId: "p".repeat(65) }, "printerId"],
  ];

  let t: TestTenant;
  beforeAll(async () => {
    t = await createTenant();
  });

  it.each(cases)("refuses %s (400, naming the field), and queues nothing", async (_name, body, field) => {
    const res = await api("POST", jobsPath(t.storeId), { token: t.adminToken, body });
    expect(res.status).toBe(400);
    expect(res.json.fields?.map((f: { path: string }) => f.path)).toContain(field);
    expect((await api("GET", jobsPath(t.storeId), { token: t.adminToken })).json.total).toBe(0);
  });

  it("refuses a drawer kick on a pin other than 2 or 5", async () => {
    const own = await createTenant();
    const res = await api("POST", `/api/v1/stores/${own.storeId}/drawer-kicks`, { token: own.adminToken, body: { pin: 3 } });
    expect(res.status).toBe(400);
    expect(res.json.fields[0].path).toBe("pin");
    const kicked = await api("POST", `/api/v1/stores/${own.storeId}/drawer-kicks`, { token: own.adminToken, body: { pin: 5, printerId: "front" } });
    expect(kicked.status).toBe(201);
    expect(kicked.json.data).toMatchObject({ kind: "drawer", printerId: "front", state: "queued" });
  });

  it("takes the largest raw job", async () => {
    const t = await createTenant();
    const res = await api("POST", jobsPath(t.storeId), { token: t.adminToken, body: { kind: "raw", bytesBase64: "A".repeat((MAX_RAW_JOB_BYTES / 3) * 4) } });
    expect(res.status).toBe(201);
  });
});
