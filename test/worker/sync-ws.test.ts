import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SYNC_PING, SYNC_PONG } from "../../schema/sync/messages";
import { StoreHub, storeHub } from "../../worker/store/hub";
import { api, createStore, createTenant, enrolTill, tillPinLogin, type TestTenant } from "./helpers";
import { openSession, tillWithCashier } from "./registers-fixtures";
import { connectDevice, openSocket, seqOf, type SocketClient } from "./sync-ws-fixtures";

/**
 * The store hub's live socket, over real workerd sockets: the Worker authenticates the upgrade, the hub accepts it
 * with the Hibernation API, and every committed change that concerns the store reaches its tills as a seq to pull.
 */

const newProduct = async (t: TestTenant, sku = `P-${crypto.randomUUID().slice(0, 6)}`) => {
  const res = await api("POST", "/api/v1/products", { token: t.adminToken, body: { sku, name: `Product ${sku}`, sellPrice: 1000 } });
  if (res.status !== 201) throw new Error(`product: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.data as { id: string; version: number };
};

const inHub = <R>(t: TestTenant, storeId: string, body: (instance: StoreHub, state: DurableObjectState) => R | Promise<R>) =>
  runInDurableObject(storeHub(env, t.tenantId, storeId), (instance, state) => body(instance as unknown as StoreHub, state));

const closeAll = (sockets: SocketClient[]) => sockets.forEach((s) => s.close());

/** Enrol a device of another kind (bridge, store, sync) and pair it: its credential and id. */
async function enrolDevice(t: TestTenant, kind: "bridge" | "store" | "sync", storeId = t.storeId) {
  const created = await api("POST", `/api/v1/stores/${storeId}/devices`, { token: t.adminToken, body: { kind, name: `A ${kind}` } });
  if (created.status !== 201) throw new Error(`device: ${created.status} ${JSON.stringify(created.json)}`);
  const paired = await api("POST", "/api/v1/devices/pair", { body: { code: created.json.data.pairing.code } });
  return { credential: paired.json.data.credential as string, deviceId: paired.json.data.device.id as string };
}

describe("GET /api/v1/sync/ws: notifications", () => {
  it("tells 3 connected tills of a product change made through the REST API, with its seq", async () => {
    const t = await createTenant();
    const tills = await Promise.all([enrolTill(t), enrolTill(t), enrolTill(t)]);
    const sockets = await Promise.all(tills.map((till) => connectDevice(till.credential)));
    for (const s of sockets) expect(s.welcome).toMatchObject({ v: 1, type: "welcome", presence: { tills: expect.any(Number), bridges: 0 } });

    const product = await newProduct(t);
    const seq = await seqOf("product", product.id);
    const told = await Promise.all(sockets.map((s) => s.changedTo(seq)));
    for (const message of told) expect(message).toEqual({ v: 1, type: "changed", seq });
    closeAll(sockets);
  });

  it("the write answers before the hubs are told: a hub slow to take the notification does not hold it up", async () => {
    const t = await createTenant();
    const socket = await connectDevice((await enrolTill(t)).credential);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await inHub(t, t.storeId, (hub) => {
      const sockets = (hub as unknown as { sockets: { notify(seq: number): Promise<number> } }).sockets;
      const notify = sockets.notify.bind(sockets);
      sockets.notify = async (seq) => (await gate, notify(seq));
    });
    const product = await newProduct(t);
    const seq = await seqOf("product", product.id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(socket.messages.some((m) => m.type === "changed" && m.seq === seq)).toBe(false);
    release();
    expect(await socket.changedTo(seq)).toEqual({ v: 1, type: "changed", seq });
    socket.close();
  });

  it("with pull: a till that says its last pull's seq is not behind; told of a change, its next pull reaches that seq", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const pull = async (since?: string) => {
      const res = await api("GET", `/api/v1/sync/pull${since ? `?since=${encodeURIComponent(since)}` : ""}`, { headers: { "X-Device-Credential": till.credential } });
      expect(res.status).toBe(200);
      return res.json.data as { changes: { entity: string; id: string }[]; cursor: string; seq: number; hasMore: boolean };
    };
    let page = await pull();
    while (page.hasMore) page = await pull(page.cursor);
    const socket = await connectDevice(till.credential, page.seq);
    expect(socket.welcome.seq).toBe(page.seq);
    socket.send({ v: 1, type: "ping" });
    await socket.next("pong");
    expect(socket.messages.map((m) => m.type)).toEqual(["welcome", "pong"]);

    const product = await newProduct(t);
    const { seq } = await socket.next("changed");
    const next = await pull(page.cursor);
    expect(next.seq).toBeGreaterThanOrEqual(seq);
    expect(next.changes).toContainEqual(expect.objectContaining({ entity: "product", id: product.id }));
    socket.close();
  });

  it("tells a till that says an old seq in hello that it is behind, at once; one that is up to date is not", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const first = await newProduct(t);
    const firstSeq = await seqOf("product", first.id);
    const second = await newProduct(t);
    const newest = await seqOf("product", second.id);

    const behind = await connectDevice(till.credential, firstSeq);
    expect(behind.welcome.seq).toBe(newest);
    expect(await behind.next("behind")).toEqual({ v: 1, type: "behind", seq: newest });

    const fresh = await connectDevice(till.credential, null);
    expect(await fresh.next("behind")).toEqual({ v: 1, type: "behind", seq: newest });

    const current = await connectDevice(till.credential, newest);
    expect(current.welcome.seq).toBe(newest);
    // Its only message is the welcome: a ping's pong (answered after anything sent before it) proves nothing else came.
    current.send({ v: 1, type: "ping" });
    await current.next("pong");
    expect(current.messages.map((m) => m.type)).toEqual(["welcome", "pong"]);
    closeAll([behind, fresh, current]);
  });

  it("tells only the store's own tills of a store-scoped change; a tenant-wide change reaches every store", async () => {
    const t = await createTenant();
    const other = await createStore(t, "S002");
    const here = await connectDevice((await enrolTill(t)).credential);
    const there = await connectDevice((await enrolTill(t, { storeId: other.id })).credential);
    const product = await newProduct(t);
    await Promise.all([here.changedTo(await seqOf("product", product.id)), there.changedTo(await seqOf("product", product.id))]);
    const thereSeen = there.messages.length;

    const price = await api("POST", "/api/v1/store-prices", { token: t.adminToken, body: { storeId: t.storeId, productId: product.id, price: 900 } });
    expect(price.status).toBe(200);
    const priceSeq = await seqOf("store_price", price.json.data.id);
    expect(await here.changedTo(priceSeq)).toEqual({ v: 1, type: "changed", seq: priceSeq });

    // The next thing the other store's till hears is the next tenant-wide change, not this store's price.
    const later = await newProduct(t);
    const laterSeq = await seqOf("product", later.id);
    await there.changedTo(laterSeq);
    expect(there.messages.slice(thereSeen)).toEqual([{ v: 1, type: "changed", seq: laterSeq }]);
    closeAll([here, there]);
  });

  it("notices change rows however they are written: an adjustment's INSERT … SELECT of several levels tells its newest seq", async () => {
    const t = await createTenant();
    const [a, b] = [await newProduct(t), await newProduct(t)];
    const socket = await connectDevice((await enrolTill(t)).credential);
    const adjusted = await api("POST", "/api/v1/inventory/adjustments", {
      token: t.adminToken, body: { reason: "damage", lines: [{ productId: a.id, quantity: -1000 }, { productId: b.id, quantity: -2000 }] },
    });
    expect(adjusted.status).toBeLessThan(300);
    const seqs = [await seqOf("inventory_level", `${t.storeId}:${a.id}`), await seqOf("inventory_level", `${t.storeId}:${b.id}`)];
    const newest = Math.max(...seqs);
    expect(await socket.changedTo(newest)).toEqual({ v: 1, type: "changed", seq: newest });
    socket.close();
  });

  it("the hub's own writes (a register session opened through it) tell its sockets directly", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    const socket = await connectDevice(till.credential);
    const session = await openSession(till.token, 50000);
    const seq = await seqOf("register_session", session.id);
    expect(await socket.changedTo(seq)).toEqual({ v: 1, type: "changed", seq });
    socket.close();
  });

  it("does not tell the bridge of changes to pull (it does not pull), but lists it as connected", async () => {
    const t = await createTenant();
    const bridge = await enrolDevice(t, "bridge");
    const bridgeSocket = await connectDevice(bridge.credential);
    const till = await connectDevice((await enrolTill(t)).credential);
    expect(till.welcome.presence).toEqual({ tills: 1, bridges: 1, others: 0 });
    const product = await newProduct(t);
    await till.changedTo(await seqOf("product", product.id));
    bridgeSocket.send({ v: 1, type: "ping" });
    await bridgeSocket.next("pong");
    expect(bridgeSocket.messages.map((m) => m.type)).toEqual(["welcome", "pong"]);
    closeAll([bridgeSocket, till]);
  });
});

describe("GET /api/v1/sync/ws: who connects", () => {
  it("refuses an unauthenticated upgrade (401), a back-office token (403) and a revoked device (401)", async () => {
    const t = await createTenant();
    const none = await openSocket({});
    expect({ status: none.status, code: none.json.code }).toEqual({ status: 401, code: "UNAUTHENTICATED" });
    const wrong = await openSocket({ "X-Device-Credential": "dvc_not-a-credential" });
    expect({ status: wrong.status, code: wrong.json.code }).toEqual({ status: 401, code: "INVALID_DEVICE" });
    const backOffice = await openSocket({ Authorization: `Bearer ${t.adminToken}` });
    expect({ status: backOffice.status, code: backOffice.json.code }).toEqual({ status: 403, code: "SYNC_NEEDS_DEVICE" });

    const till = await enrolTill(t);
    expect((await api("POST", `/api/v1/devices/${till.deviceId}/revoke`, { token: t.adminToken })).status).toBe(200);
    const revoked = await openSocket({ "X-Device-Credential": till.credential });
    expect({ status: revoked.status, code: revoked.json.code }).toEqual({ status: 401, code: "INVALID_DEVICE" });
  });

  it("a plain GET without Upgrade is a 400 UPGRADE_REQUIRED", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const res = await api("GET", "/api/v1/sync/ws", { headers: { "X-Device-Credential": till.credential } });
    expect({ status: res.status, code: res.json.code }).toEqual({ status: 400, code: "UPGRADE_REQUIRED" });
  });

  it("a browser till authenticates by subprotocol (device credential or its user token); the secret is never echoed", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    const byDevice = await openSocket({ "Sec-WebSocket-Protocol": `edge-pos.sync.v1, edge-pos.device.${till.credential}` });
    expect(byDevice.status).toBe(101);
    expect(byDevice.client!.protocol).toBe("edge-pos.sync.v1");
    const byToken = await openSocket({ "Sec-WebSocket-Protocol": `edge-pos.sync.v1, edge-pos.bearer.${till.token}` });
    expect(byToken.status).toBe(101);
    expect(byToken.client!.protocol).toBe("edge-pos.sync.v1");
    await byToken.client!.hello(null);
    const presence = await inHub(t, t.storeId, (hub) => hub.presence());
    expect(presence).toEqual(expect.arrayContaining([
      { deviceId: till.deviceId, kind: "register", registerId: till.registerId, userId: null, connectedAt: expect.any(Number) },
      { deviceId: till.deviceId, kind: "register", registerId: null, userId: till.user.id, connectedAt: expect.any(Number) },
    ]));

    const noProtocol = await openSocket({ "Sec-WebSocket-Protocol": `edge-pos.device.${till.credential}` });
    expect({ status: noProtocol.status, code: noProtocol.json.code }).toEqual({ status: 400, code: "UNSUPPORTED_SUBPROTOCOL" });
    closeAll([byDevice.client!, byToken.client!]);
  });

  it("refuses a till's user token once its session has ended (signed out)", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    const signIn = (await tillPinLogin(till.credential, till.user.pin)).json.data;
    expect((await openSocket({ Authorization: `Bearer ${signIn.accessToken}` })).status).toBe(101);
    expect((await api("POST", "/api/v1/auth/logout", { body: { refreshToken: signIn.refreshToken } })).status).toBe(200);
    const refused = await openSocket({ Authorization: `Bearer ${signIn.accessToken}` });
    expect({ status: refused.status, code: refused.json.code }).toEqual({ status: 401, code: "SESSION_ENDED" });
  });

  it("closes the open socket of a device revoked meanwhile (4010) at the hub's next check, before telling it anything", async () => {
    const t = await createTenant();
    const [kept, revokedTill] = [await enrolTill(t), await enrolTill(t)];
    const keptSocket = await connectDevice(kept.credential);
    const revokedSocket = await connectDevice(revokedTill.credential);
    expect((await api("POST", `/api/v1/devices/${revokedTill.deviceId}/revoke`, { token: t.adminToken })).status).toBe(200);
    // The hub checks its sockets' devices at most once a minute, when it wakes: make the minute pass.
    await inHub(t, t.storeId, (hub) => void ((hub as unknown as { sockets: { checkedAt: number } }).sockets.checkedAt = 0));

    const product = await newProduct(t);
    const seq = await seqOf("product", product.id);
    expect(await revokedSocket.waitClosed()).toEqual({ code: 4010, reason: "this device was revoked or its store deactivated" });
    expect(revokedSocket.messages.at(-1)).toMatchObject({ type: "error", code: "REVOKED" });
    expect(revokedSocket.messages.some((m) => m.type === "changed")).toBe(false);
    expect(await keptSocket.changedTo(seq)).toEqual({ v: 1, type: "changed", seq });
    expect(keptSocket.closed).toBeUndefined();
    keptSocket.close();
  });

  it("presence lists who is connected and since when, and devices.last_seen_at is set on connect", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const sync = await enrolDevice(t, "sync");
    const before = Date.now();
    const tillSocket = await connectDevice(till.credential);
    const syncSocket = await connectDevice(sync.credential);
    const presence = await inHub(t, t.storeId, (hub) => hub.presence());
    expect(presence).toEqual([
      { deviceId: till.deviceId, kind: "register", registerId: till.registerId, userId: null, connectedAt: expect.any(Number) },
      { deviceId: sync.deviceId, kind: "sync", registerId: null, userId: null, connectedAt: expect.any(Number) },
    ]);
    expect(presence[0]!.connectedAt).toBeGreaterThanOrEqual(before);
    expect(syncSocket.welcome.presence).toEqual({ tills: 1, bridges: 0, others: 1 });
    await expect.poll(async () => (await env.DB.prepare("SELECT last_seen_at AS at FROM devices WHERE id = ?").bind(till.deviceId).first<{ at: number | null }>())?.at ?? 0)
      .toBeGreaterThanOrEqual(before);

    tillSocket.close();
    await expect.poll(() => inHub(t, t.storeId, (hub) => hub.presence().then((p) => p.map((e) => e.kind)))).toEqual(["sync"]);
    syncSocket.close();
  });
});

describe("GET /api/v1/sync/ws: messages", () => {
  const bad: [string, string | ArrayBuffer, number, string][] = [
    ["not JSON", "{nope", 4000, "not JSON"],
    ["a binary frame", new Uint8Array([1, 2, 3]).buffer, 4000, "binary frames are not part of the protocol; send JSON text"],
    ["an array", "[1,2]", 4000, "a message is a JSON object"],
    ["a hello with a negative seq", JSON.stringify({ v: 1, type: "hello", lastSeq: -1 }), 4000, "hello: lastSeq: Too small: expected number to be >=0"],
    ["a hello with an unknown field", JSON.stringify({ v: 1, type: "hello", lastSeq: 1, extra: true }), 4000, 'hello: message: Unrecognized key: "extra"'],
    ["an unknown type", JSON.stringify({ v: 1, type: "teleport" }), 4001, "unknown message type teleport"],
    ["a bridge's message from a till", JSON.stringify({ v: 1, type: "job.ack" }), 4004, "job.ack is sent only by the store's bridge, not by a register device"],
    ["a type only the hub sends", JSON.stringify({ v: 1, type: "job" }), 4001, "unknown message type job"],
    ["another protocol version", JSON.stringify({ v: 2, type: "hello", lastSeq: 0 }), 4002, "unsupported protocol version 2; this hub speaks v1"],
    ["a second hello", JSON.stringify({ v: 1, type: "hello", lastSeq: 0 }), 4003, "hello was already said on this socket"],
    ["a message over 64 KiB", JSON.stringify({ v: 1, type: "hello", lastSeq: 0, agent: "x".repeat(70_000) }), 4009, "message longer than 65536 characters"],
  ];

  it.each(bad)("%s closes that socket only, with its code and reason", async (_name, message, code, reason) => {
    const t = await createTenant();
    const [a, b] = await Promise.all([enrolTill(t), enrolTill(t)]);
    const culprit = await connectDevice(a.credential);
    const bystander = await connectDevice(b.credential);
    culprit.ws.send(message);
    expect(await culprit.waitClosed()).toEqual({ code, reason });
    expect(culprit.messages.at(-1)).toMatchObject({ v: 1, type: "error", message: reason });

    // The hub goes on: the other till still answers and is still told of changes.
    bystander.send({ v: 1, type: "ping" });
    await bystander.next("pong");
    const product = await newProduct(t);
    await bystander.changedTo(await seqOf("product", product.id));
    expect(bystander.closed).toBeUndefined();
    bystander.close();
  });

  it("answers the heartbeat without waking the hub (the runtime's automatic response)", async () => {
    const t = await createTenant();
    const socket = await connectDevice((await enrolTill(t)).credential);
    socket.ws.send(SYNC_PING);
    await socket.until("the pong", () => socket.messages.find((m) => m.type === "pong"));
    expect(JSON.stringify(socket.messages.at(-1))).toBe(SYNC_PONG);
    const stamp = await inHub(t, t.storeId, (_hub, state) => state.getWebSockets().map((ws) => state.getWebSocketAutoResponseTimestamp(ws)));
    expect(stamp.some((d) => d instanceof Date)).toBe(true);
    socket.close();
  });
});

describe("GET /api/v1/sync/ws: hibernation", () => {
  /**
   * A hibernating hub is a new instance on the same state: the runtime keeps the sockets, nothing of the old
   * instance's memory survives. This builds that new instance by hand (vitest-pool-workers cannot evict an object
   * while keeping its sockets) and shows it serves the same sockets from ctx.getWebSockets() and their attachments
   * alone: presence, hello and notify. It does not prove the runtime's own eviction (that is workerd's part).
   */
  it("a new hub instance on the same state still knows its sockets, who they are, and tells them", async () => {
    const t = await createTenant();
    const tills = await Promise.all([enrolTill(t), enrolTill(t), enrolTill(t)]);
    const sockets = await Promise.all(tills.map((till) => connectDevice(till.credential)));
    const before = await inHub(t, t.storeId, (hub) => hub.presence());

    const product = await newProduct(t);
    const seq = await seqOf("product", product.id);
    const told = await inHub(t, t.storeId, async (_old, state) => {
      const woken = new StoreHub(state, env);
      expect(await woken.presence()).toEqual(before);
      expect(state.getWebSockets("register")).toHaveLength(3);
      for (const till of tills) expect(state.getWebSockets(`device:${till.deviceId}`)).toHaveLength(1);
      return woken.notify(seq);
    });
    expect(told).toBe(3);
    for (const s of sockets) expect(await s.changedTo(seq)).toEqual({ v: 1, type: "changed", seq });

    // The attachment keeps that hello was said: a second hello is still refused after the wake.
    sockets[0]!.send({ v: 1, type: "hello", lastSeq: seq });
    expect((await sockets[0]!.waitClosed()).code).toBe(4003);
    closeAll(sockets);
  });
});
