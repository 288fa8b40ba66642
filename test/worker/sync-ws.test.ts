import { describe, expect, it } from "vitest";
import { api, createTenant, enrolTill, type TestTenant } from "./helpers";
import { connectDevice, seqOf } from "./sync-ws-fixtures";

/**
 * The store hub's live socket, over real workerd sockets: the Worker authenticates the upgrade, the hub accepts it
 * with the Hibernation API, and every committed change that concerns the store reaches its tills as a seq to pull.
 */

const newProduct = async (t: TestTenant, sku = `P-${crypto.randomUUID().slice(0, 6)}`) => {
  const res = await api("POST", "/api/v1/products", { token: t.adminToken, body: { sku, name: `Product ${sku}`, sellPrice: 1000 } });
  if (res.status !== 201) throw new Error(`product: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.data as { id: string; version: number };
};

describe("GET /api/v1/sync/ws", () => {
  it("tells 3 connected tills of a product change made through the REST API, with its seq", async () => {
    const t = await createTenant();
    const tills = await Promise.all([enrolTill(t), enrolTill(t), enrolTill(t)]);
    const sockets = await Promise.all(tills.map((till) => connectDevice(till.credential)));
    for (const s of sockets) expect(s.welcome).toMatchObject({ v: 1, type: "welcome", presence: { tills: expect.any(Number), bridges: 0 } });

    const product = await newProduct(t);
    const seq = await seqOf("product", product.id);
    const told = await Promise.all(sockets.map((s) => s.changedTo(seq)));
    for (const message of told) expect(message).toEqual({ v: 1, type: "changed", seq });
    for (const s of sockets) s.close();
  });
});
