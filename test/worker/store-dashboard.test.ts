import { describe, expect, it } from "vitest";
import { api, createStore } from "./helpers";
import { push, pushShop, voidRecord } from "./sync-push-fixtures";
import { connectDevice } from "./sync-ws-fixtures";

/** The store dashboard's sync state and connected devices: what the store's devices really did, read live. */
describe("store dashboard: sync and connected devices", () => {
  it("shows the store's last push, its error queue, online, and the tills and bridges on its hub's sockets", async () => {
    const s = await pushShop();
    const dashboard = async () => {
      const res = await api("GET", "/api/v1/stores/dashboard", { token: s.t.adminToken });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      return res.json.data;
    };
    const quiet = await dashboard();
    expect(quiet.sync).toEqual({ lastPullAt: null, lastPushAt: null, lastContactAt: expect.any(String), online: true, pendingErrors: 0, pendingFlags: 0 });
    expect(quiet.connectedDevices).toEqual({ tills: [], bridges: [], others: [] });

    // The till pushes a void of a sale the edge never saw: refused, so it waits in the error queue.
    const pushed = await push(s.till.credential, [voidRecord({ saleId: crypto.randomUUID(), userId: s.cashier.id, at: Date.now() - 60_000 })]);
    expect(pushed.json.data.results.map((r: any) => r.status)).toEqual(["rejected"]);
    const bridge = await api("POST", `/api/v1/stores/${s.t.storeId}/devices`, { token: s.t.adminToken, body: { kind: "bridge", name: "Back room" } });
    const bridgeCredential = (await api("POST", "/api/v1/devices/pair", { body: { code: bridge.json.data.pairing.code } })).json.data.credential;
    const tillSocket = await connectDevice(s.till.credential);
    const bridgeSocket = await connectDevice(bridgeCredential);

    const busy = await dashboard();
    expect(busy.sync).toMatchObject({ online: true, pendingErrors: 1, pendingFlags: 0, lastPullAt: null });
    expect(Date.parse(busy.sync.lastPushAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(busy.connectedDevices.tills).toEqual([expect.objectContaining({ deviceId: s.till.deviceId, kind: "register", registerId: s.till.registerId, userId: null })]);
    expect(busy.connectedDevices.bridges).toEqual([expect.objectContaining({ deviceId: bridge.json.data.id, kind: "bridge" })]);
    expect(busy.connectedDevices.others).toEqual([]);

    // Another store of the tenant has none of it.
    const other = await createStore(s.t, "S002");
    const theirs = (await api("GET", `/api/v1/stores/dashboard?store_id=${other.id}`, { token: s.t.adminToken })).json.data;
    expect(theirs.sync).toMatchObject({ online: false, pendingErrors: 0, lastPushAt: null });
    expect(theirs.connectedDevices).toEqual({ tills: [], bridges: [], others: [] });

    // The till hangs up: it leaves the dashboard's list once the hub has seen the close.
    tillSocket.close();
    for (let i = 0; i < 50 && (await dashboard()).connectedDevices.tills.length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    const after = await dashboard();
    expect(after.connectedDevices.tills).toEqual([]);
    expect(after.connectedDevices.bridges).toHaveLength(1);
    bridgeSocket.close();
  });
});
