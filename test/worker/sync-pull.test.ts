import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SYNC_ENTITY_TYPES } from "../../schema/contracts/sync-pull";
import { verifySecret } from "../../worker/auth/credentials";
import { client } from "./catalogue-fixtures";
import { api, createStore, createTenant, d1Count, enrolTill, feedOf, operatorToken, staffWithPin, tillPinLogin } from "./helpers";
import { ids, pull, pullAll, type Replica } from "./sync-pull-fixtures";

const expectError = (res: { status: number; json: any }, status: number, code: string) => {
  expect(res.status, JSON.stringify(res.json)).toBe(status);
  expect(res.json).toMatchObject({ success: false, code });
};

const verifies = (pin: string, v: { iterations: number; salt: string; hash: string }) => verifySecret(pin, `pbkdf2_sha256$${v.iterations}$${v.salt}$${v.hash}`);

describe("GET /api/v1/sync/pull", () => {
  it("gives a new till the tenant, its store, its register, the store's users with PIN verifiers and the tenders, in two round trips", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const res = await pull({ credential: till.credential });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(d1Count(res)).toBe(2);
    const { replica } = await pullAll({ credential: till.credential });
    expect(ids(replica, "tenant")).toEqual([t.tenantId]);
    expect(ids(replica, "store")).toEqual([t.storeId]);
    expect(ids(replica, "register")).toEqual([till.registerId]);
    expect(ids(replica, "user")).toEqual([t.adminId]);
    expect([...replica.get("tender")!.values()].map((x) => x.code).sort()).toEqual(["CARD", "CASH"]);
    expect(replica.get("store")!.get(t.storeId)).toMatchObject({ code: "S001", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true, cashRoundingUnit: 100 });
    expect(replica.get("tenant")!.get(t.tenantId)).toMatchObject({ currency: "SEK", taxRounding: "line", pinLength: 4 });

    const admin = replica.get("user")!.get(t.adminId);
    expect(admin).toMatchObject({ username: "admin", roles: [{ id: t.adminRoleId, name: "Administrator" }] });
    expect(admin.permissions).toContain("users.create");
    // The verifier checks the PIN offline; a wrong PIN fails. Nothing of the server's lookup or password goes out.
    expect(await verifies(t.adminPin, admin.pinVerifier)).toBe(true);
    expect(await verifies(t.adminPin === "0000" ? "1111" : "0000", admin.pinVerifier)).toBe(false);
    const stored = await env.DB.prepare("SELECT pin_lookup, password_hash FROM users WHERE id = ?").bind(t.adminId).first<{ pin_lookup: string; password_hash: string }>();
    const text = JSON.stringify(res.json);
    expect(text).not.toContain(stored!.pin_lookup);
    expect(text).not.toContain(stored!.password_hash.split("$")[3]);
  });

  it("records the pull on the device: last_pull_at, and last_pull_seq for a pull of every type", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const { seq } = await pullAll({ credential: till.credential });
    const row = await env.DB.prepare("SELECT last_pull_at, last_pull_seq FROM devices WHERE id = ?").bind(till.deviceId).first<{ last_pull_at: number; last_pull_seq: number }>();
    expect(row!.last_pull_seq).toBe(seq);
    expect(row!.last_pull_at).toBeGreaterThan(Date.now() - 60_000);
  });

  it("compacts: an entity changed many times in a page comes once, in its newest state, at its newest seq", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const { cursor } = await pullAll({ credential: till.credential });
    const admin = client(t.adminToken);
    const dept = (await admin.post("/departments", { name: "Fika" })).json.data;
    for (let v = 1; v <= 5; v++) expect((await admin.put(`/departments/${dept.id}`, { name: `Fika ${v}`, version: v })).status).toBe(200);
    const other = (await admin.post("/departments", { name: "Bröd" })).json.data;
    const page = (await pull({ credential: till.credential }, { since: cursor })).json.data;
    expect(page.changes.map((c: any) => [c.entity, c.id, c.op, c.version])).toEqual([
      ["department", dept.id, "upsert", 6],
      ["department", other.id, "upsert", 1],
    ]);
    expect(page.changes[0].data).toMatchObject({ name: "Fika 5", version: 6 });
    const feed = await env.DB.prepare("SELECT max(seq) AS seq FROM change_feed WHERE entity_id = ?").bind(dept.id).first<{ seq: number }>();
    expect(page.changes[0].seq).toBe(feed!.seq);
    expect(page.hasMore).toBe(false);
    // Nothing new: an empty page that keeps its place.
    const again = (await pull({ credential: till.credential }, { since: page.cursor })).json.data;
    expect(again).toMatchObject({ changes: [], seq: page.seq, hasMore: false });
  });

  it("pages by limit; writes made between pages are neither skipped nor lost", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const admin = client(t.adminToken);
    const made: { id: string; version: number }[] = [];
    for (let i = 0; i < 25; i++) made.push((await admin.post("/departments", { name: `D${i}` })).json.data);
    let n = 0;
    const result = await pullAll({ credential: till.credential }, {
      limit: 7,
      between: async () => {
        if (n === 8) return;
        // Change one already pulled, one not pulled yet, delete one, make a new one (each from its own eight).
        const early = made[n]!;
        const late = made[16 + n]!;
        expect((await admin.put(`/departments/${early.id}`, { name: `early ${n}` })).status).toBe(200);
        expect((await admin.put(`/departments/${late.id}`, { name: `late ${n}` })).status).toBe(200);
        expect((await admin.del(`/departments/${made[8 + n]!.id}`)).status).toBe(200);
        made.push((await admin.post("/departments", { name: `new ${n}` })).json.data);
        n++;
      },
    });
    expect(result.pages).toBeGreaterThan(4);
    await expectDepartmentsAsStored(result.replica, t.tenantId);
  });

  it("limit is 1 to 1000 (500 when left out); entity_type names known types", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const auth = { credential: till.credential };
    expectError(await pull(auth, { limit: 0 }), 400, "VALIDATION_ERROR");
    expectError(await pull(auth, { limit: 1001 }), 400, "VALIDATION_ERROR");
    expect((await pull(auth, { limit: 1000 })).status).toBe(200);
    const bogus = await pull(auth, { entity_type: "product,sale" });
    expectError(bogus, 400, "VALIDATION_ERROR");
    expect(JSON.stringify(bogus.json.fields)).toContain("sale");
    const one = await pull(auth, { limit: 1 });
    expect(one.json.data).toMatchObject({ hasMore: true });
    expect(one.json.data.changes).toHaveLength(1);
  });

  it("entity_type pulls only those types, and a cursor stays with the filter it was made with", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const admin = client(t.adminToken);
    await admin.post("/departments", { name: "Fika" });
    const tenderOnly = await pullAll({ credential: till.credential }, { entity_type: "tender" });
    expect([...tenderOnly.replica.keys()]).toEqual(["tender"]);
    const both = await pullAll({ credential: till.credential }, { entity_type: "tender,department" });
    expect([...both.replica.keys()].sort()).toEqual(["department", "tender"]);
    // The same set in another order and with spaces is the same filter.
    expect((await pull({ credential: till.credential }, { since: both.cursor, entity_type: " department , tender" })).status).toBe(200);
    expectError(await pull({ credential: till.credential }, { since: tenderOnly.cursor, entity_type: "department" }), 400, "CURSOR_FILTER_MISMATCH");
    expectError(await pull({ credential: till.credential }, { since: tenderOnly.cursor }), 400, "CURSOR_FILTER_MISMATCH");
    const all = await pullAll({ credential: till.credential });
    expectError(await pull({ credential: till.credential }, { since: all.cursor, entity_type: "tender" }), 400, "CURSOR_FILTER_MISMATCH");
  });

  it("refuses forged, altered, truncated, other tenants' and other stores' cursors (400 INVALID_CURSOR); an empty since starts over", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const auth = { credential: till.credential };
    const first = (await pull(auth, { limit: 2 })).json.data;
    const [payload, mac] = first.cursor.split(".");
    const decoded = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    expect(decoded).toMatchObject({ v: 1, t: t.tenantId, s: t.storeId, q: first.seq });
    const reencode = (o: unknown) => btoa(JSON.stringify(o)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const forged = [
      `${reencode({ ...decoded, q: 0 })}.${mac}`,
      `${reencode({ ...decoded, t: crypto.randomUUID() })}.${mac}`,
      first.cursor.slice(0, -3),
      first.cursor.slice(0, 20),
      payload,
      `${payload}.${mac}.x`,
      "not a cursor",
      `${payload}.${"A".repeat(mac.length)}`,
    ];
    for (const since of forged) expectError(await pull(auth, { since }), 400, "INVALID_CURSOR");

    const other = await createTenant();
    const theirs = (await pull({ credential: (await enrolTill(other)).credential })).json.data.cursor;
    expectError(await pull(auth, { since: theirs }), 400, "INVALID_CURSOR");
    const s2 = await createStore(t, "S002");
    const s2Cursor = (await pull({ credential: (await enrolTill(t, { storeId: s2.id })).credential })).json.data.cursor;
    expectError(await pull(auth, { since: s2Cursor }), 400, "INVALID_CURSOR");

    const fromStart = await pull(auth, { since: "" });
    expect(fromStart.status).toBe(200);
    expect(fromStart.json.data.changes.length).toBeGreaterThan(2);
    expect((await pull(auth, { since: first.cursor })).json.data.changes[0].seq).toBeGreaterThan(first.seq);
  });

  it("is for the store's syncing devices and tills' sessions: revoked at once 401, back office 403, a bridge 403", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const cashier = await staffWithPin(t, ["pos.sell"]);
    const session = (await tillPinLogin(till.credential, cashier.pin)).json.data;
    const asUser = await pull({ token: session.accessToken });
    expect(asUser.status, JSON.stringify(asUser.json)).toBe(200);
    expect(d1Count(asUser)).toBe(1);
    expect(asUser.json.data.changes.length).toBeGreaterThan(3);

    expectError(await pull({ token: t.adminToken }), 403, "SYNC_NEEDS_DEVICE");
    expectError(await api("GET", "/api/v1/sync/pull"), 401, "UNAUTHENTICATED");
    const bridge = await api("POST", `/api/v1/stores/${t.storeId}/devices`, { token: t.adminToken, body: { kind: "bridge", name: "Bridge" } });
    const bridgeCredential = (await api("POST", "/api/v1/devices/pair", { body: { code: bridge.json.data.pairing.code } })).json.data.credential;
    expectError(await pull({ credential: bridgeCredential }), 403, "DEVICE_KIND_CANNOT_SYNC");
    // Nobody signs in at the bridge (so no session of it can sync either), with a right PIN or a wrong one alike.
    expectError(await tillPinLogin(bridgeCredential, cashier.pin), 403, "DEVICE_KIND_CANNOT_SIGN_IN");
    expectError(await tillPinLogin(bridgeCredential, cashier.pin === "9999" ? "8888" : "9999"), 403, "DEVICE_KIND_CANNOT_SIGN_IN");
    const bridgeRow = await env.DB.prepare("SELECT last_pull_at FROM devices WHERE id = ?").bind(bridge.json.data.id).first<{ last_pull_at: number | null }>();
    expect(bridgeRow!.last_pull_at).toBeNull();
    const server = await api("POST", `/api/v1/stores/${t.storeId}/devices`, { token: t.adminToken, body: { kind: "store", name: "Store server" } });
    const serverCredential = (await api("POST", "/api/v1/devices/pair", { body: { code: server.json.data.pairing.code } })).json.data.credential;
    expect((await pull({ credential: serverCredential })).status).toBe(200);

    expect((await api("POST", `/api/v1/devices/${till.deviceId}/revoke`, { token: t.adminToken })).status).toBe(200);
    expectError(await pull({ credential: till.credential }), 401, "INVALID_DEVICE");
    // The till's session's token is still unexpired, but the pull's batch checks its session (and device) is live.
    expectError(await pull({ token: session.accessToken }), 401, "SESSION_ENDED");
  });
});

describe("store scoping", () => {
  it("another store's prices, registers, users and store never reach this store's till", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const till = await enrolTill(t);
    const theirTill = await enrolTill(t, { storeId: s2.id });
    const admin = client(t.adminToken);
    const product = (await admin.post("/products", { sku: "KAFFE", name: "Kaffe", sellPrice: 2500 })).json.data;
    const ours = (await admin.post("/store-prices", { storeId: t.storeId, productId: product.id, price: 2000 })).json.data;
    const theirs = (await admin.post("/store-prices", { storeId: s2.id, productId: product.id, price: 3000 })).json.data;
    const theirCashier = await staffWithPin(t, ["pos.sell"], [s2.id]);
    const both = await staffWithPin(t, ["pos.sell"], [t.storeId, s2.id]);
    expect((await admin.put(`/stores/${s2.id}`, { name: "Renamed" })).status).toBe(200);

    const res = await pull({ credential: till.credential }, { limit: 1000 });
    const text = JSON.stringify(res.json);
    for (const id of [theirs.id, theirTill.registerId, s2.id]) expect(text).not.toContain(id);
    // A user of the other store only: at most a tombstone (an id and a version), never their name or verifier.
    expect(text).not.toContain(theirCashier.username);
    expect(res.json.data.changes.filter((c: any) => c.id === theirCashier.id).map((c: any) => c.op)).toEqual(["delete"]);
    const { replica } = await pullAll({ credential: till.credential });
    expect(ids(replica, "store_price")).toEqual([ours.id]);
    expect(ids(replica, "register")).toEqual([till.registerId]);
    expect(ids(replica, "user")).toEqual([t.adminId, both.id].sort());
    expect(ids(replica, "store")).toEqual([t.storeId]);

    const theirs2 = await pullAll({ credential: theirTill.credential });
    expect(ids(theirs2.replica, "store_price")).toEqual([theirs.id]);
    // The store's creator has their roles there too.
    expect(ids(theirs2.replica, "user")).toEqual([theirCashier.id, both.id, t.adminId].sort());
    expect(theirs2.replica.get("store")!.get(s2.id)).toMatchObject({ name: "Renamed" });
    expect(ids(theirs2.replica, "product")).toEqual([product.id]);
  });

  it("a special reaches the stores it names (none: every store); leaving a store's list is a tombstone there", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const till = await enrolTill(t);
    const admin = client(t.adminToken);
    const bullar = (await admin.post("/departments", { name: "Bullar" })).json.data;
    const body = { name: "Bullar", kind: "percent", value: 2000, productIds: [], departmentId: bullar.id, startsAt: "2026-01-01T00:00", endsAt: "2027-01-01T00:00", isActive: true };
    const everywhere = (await admin.post("/specials", { ...body, storeIds: [] })).json.data;
    const here = (await admin.post("/specials", { ...body, storeIds: [t.storeId, s2.id] })).json.data;
    const there = (await admin.post("/specials", { ...body, storeIds: [s2.id] })).json.data;
    const first = await pullAll({ credential: till.credential });
    expect(ids(first.replica, "special")).toEqual([everywhere.id, here.id].sort());
    expect((await admin.put(`/specials/${here.id}`, { storeIds: [s2.id] })).status).toBe(200);
    expect((await admin.put(`/specials/${there.id}`, { storeIds: [] })).status).toBe(200);
    const next = await pullAll({ credential: till.credential }, { since: first.cursor, replica: first.replica });
    expect(ids(next.replica, "special")).toEqual([everywhere.id, there.id].sort());
  });
});

describe("every write a till needs reaches the feed", () => {
  async function setup() {
    const t = await createTenant();
    const till = await enrolTill(t);
    const first = await pullAll({ credential: till.credential });
    let cursor = first.cursor;
    const replica = first.replica;
    const sync = async () => {
      const next = await pullAll({ credential: till.credential }, { since: cursor, replica });
      cursor = next.cursor;
      return next;
    };
    return { t, till, replica, sync, admin: client(t.adminToken) };
  }

  it("users: new roles here, a role taken away, deactivation, a PIN reset, a role's permissions, deletion", async () => {
    const { t, replica, sync, admin } = await setup();
    const s2 = await createStore(t, "S002");
    const cashier = await staffWithPin(t, ["pos.sell"], [s2.id]);
    await sync();
    expect(replica.get("user")!.has(cashier.id)).toBe(false);

    // Given a role here: arrives, with a new PIN (a new store issues one) that its verifier checks.
    const given = await admin.put(`/users/${cashier.id}`, { storeRoles: [{ storeId: s2.id, roleId: cashier.roleId }, { storeId: t.storeId, roleId: cashier.roleId }] });
    expect(given.status, JSON.stringify(given.json)).toBe(200);
    await sync();
    expect(replica.get("user")!.get(cashier.id)).toMatchObject({ permissions: ["pos.sell"], roles: [{ id: cashier.roleId }] });
    expect(await verifies(given.json.data.pin, replica.get("user")!.get(cashier.id).pinVerifier)).toBe(true);

    // A PIN reset: the old PIN no longer verifies offline, the new one does.
    const reset = await admin.post(`/users/${cashier.id}/reset-pin`, {});
    expect(reset.status, JSON.stringify(reset.json)).toBe(200);
    await sync();
    const verifier = replica.get("user")!.get(cashier.id).pinVerifier;
    expect(await verifies(reset.json.data.pin, verifier)).toBe(true);
    if (reset.json.data.pin !== given.json.data.pin) expect(await verifies(given.json.data.pin, verifier)).toBe(false);

    // The role's permissions change: the user's permissions here change, though the user row did not.
    expect((await admin.put(`/roles/${cashier.roleId}/permissions`, { permissions: ["pos.sell", "pos.void"] })).status).toBe(200);
    await sync();
    expect(replica.get("user")!.get(cashier.id).permissions).toEqual(["pos.sell", "pos.void"]);

    // Their role here taken away: a tombstone; given back, back.
    expect((await admin.put(`/users/${cashier.id}`, { storeRoles: [{ storeId: s2.id, roleId: cashier.roleId }] })).status).toBe(200);
    await sync();
    expect(replica.get("user")!.has(cashier.id)).toBe(false);
    expect((await admin.put(`/users/${cashier.id}`, { storeRoles: [{ storeId: t.storeId, roleId: cashier.roleId }] })).status).toBe(200);
    await sync();
    expect(replica.get("user")!.has(cashier.id)).toBe(true);

    // Deactivated: a tombstone; active again, back; deleted: a tombstone.
    expect((await admin.put(`/users/${cashier.id}`, { isActive: false })).status).toBe(200);
    await sync();
    expect(replica.get("user")!.has(cashier.id)).toBe(false);
    expect((await admin.put(`/users/${cashier.id}`, { isActive: true })).status).toBe(200);
    await sync();
    expect(replica.get("user")!.get(cashier.id)).toMatchObject({ isActive: true });
    expect((await admin.del(`/users/${cashier.id}`)).status).toBe(200);
    await sync();
    expect(replica.get("user")!.has(cashier.id)).toBe(false);
  });

  it("a user's own PIN change at the till", async () => {
    const { t, replica, sync } = await setup();
    const cashier = await staffWithPin(t, ["pos.sell"]);
    await sync();
    expect(await verifies(cashier.pin, replica.get("user")!.get(cashier.id).pinVerifier)).toBe(true);
    const changed = await api("POST", "/api/v1/auth/change-credential", { token: cashier.token, body: { currentPassword: cashier.password, newPin: true } });
    expect(changed.status).toBe(200);
    await sync();
    expect(await verifies(changed.json.data.pin, replica.get("user")!.get(cashier.id).pinVerifier)).toBe(true);
  });

  it("store prices: set, changed, removed, and those of a deleted product", async () => {
    const { t, replica, sync, admin } = await setup();
    const a = (await admin.post("/products", { sku: "A", name: "A", sellPrice: 1000 })).json.data;
    const b = (await admin.post("/products", { sku: "B", name: "B", sellPrice: 1000 })).json.data;
    const pa = (await admin.post("/store-prices", { storeId: t.storeId, productId: a.id, price: 900 })).json.data;
    const pb = (await admin.post("/store-prices", { storeId: t.storeId, productId: b.id, price: 800 })).json.data;
    await sync();
    expect(replica.get("store_price")!.get(pa.id)).toMatchObject({ price: 900 });
    expect((await admin.post("/store-prices", { storeId: t.storeId, productId: a.id, price: 950 })).status).toBe(200);
    await sync();
    expect(replica.get("store_price")!.get(pa.id)).toMatchObject({ price: 950, version: 2 });
    expect((await admin.del(`/store-prices/${pa.id}`)).status).toBe(200);
    expect((await admin.del(`/products/${b.id}`)).status).toBe(200);
    await sync();
    expect(ids(replica, "store_price")).toEqual([]);
    expect(ids(replica, "product")).toEqual([a.id]);
    // Each store price's feed rows name its store (set, changed, removed, cascaded), so only its tills are told.
    expect((await feedOf(pa.id)).map((f) => [f.op, f.store_id])).toEqual([["upsert", t.storeId], ["upsert", t.storeId], ["delete", t.storeId]]);
    expect((await feedOf(pb.id)).map((f) => [f.op, f.store_id])).toEqual([["upsert", t.storeId], ["delete", t.storeId]]);
  });

  it("store prices from an applied worksheet", async () => {
    const { t, replica, sync, admin } = await setup();
    const a = (await admin.post("/products", { sku: "A", name: "A", sellPrice: 1000 })).json.data;
    const sheet = (await admin.post("/worksheets", { kind: "price_change", name: "Prices", storeIds: [t.storeId], items: [{ productId: a.id, sellPrice: 777 }] })).json.data;
    for (const step of ["submit", "approve", "apply"]) expect((await admin.patch(`/worksheets/${sheet.id}/${step}`, {})).status).toBe(200);
    await sync();
    const [price] = [...replica.get("store_price")!.values()];
    expect(price).toMatchObject({ productId: a.id, price: 777 });
    const again = (await admin.post("/worksheets", { kind: "price_change", name: "Again", storeIds: [t.storeId], items: [{ productId: a.id, sellPrice: 666 }] })).json.data;
    for (const step of ["submit", "approve", "apply"]) expect((await admin.patch(`/worksheets/${again.id}/${step}`, {})).status).toBe(200);
    await sync();
    expect(replica.get("store_price")!.get(price.id)).toMatchObject({ price: 666, version: 2 });
    expect((await feedOf(price.id)).map((f) => f.store_id)).toEqual([t.storeId, t.storeId]);
  });

  it("tax groups: their rates replaced, and a rate's own change reaches every group holding it", async () => {
    const { replica, sync, admin } = await setup();
    const vat25 = (await admin.post("/taxes", { name: "Moms 25", rate: 2500 })).json.data;
    const vat12 = (await admin.post("/taxes", { name: "Moms 12", rate: 1200 })).json.data;
    const g1 = (await admin.post("/taxes/groups", { name: "G1", taxRateIds: [vat25.id] })).json.data;
    const g2 = (await admin.post("/taxes/groups", { name: "G2", taxRateIds: [vat25.id, vat12.id] })).json.data;
    const g3 = (await admin.post("/taxes/groups", { name: "G3", taxRateIds: [vat12.id] })).json.data;
    await sync();
    expect(replica.get("tax_group")!.get(g2.id).rates.map((r: any) => r.rate)).toEqual([2500, 1200]);
    expect((await admin.put(`/taxes/groups/${g1.id}`, { taxRateIds: [vat12.id, vat25.id] })).status).toBe(200);
    await sync();
    expect(replica.get("tax_group")!.get(g1.id).rates.map((r: any) => r.id)).toEqual([vat12.id, vat25.id]);
    const before = { ...replica.get("tax_group")!.get(g3.id) };
    expect((await admin.put(`/taxes/${vat25.id}`, { rate: 2400 })).status).toBe(200);
    const page = await sync();
    expect(page.changes).toBe(3); // the rate and its two groups
    expect(replica.get("tax_rate")!.get(vat25.id)).toMatchObject({ rate: 2400 });
    expect(replica.get("tax_group")!.get(g1.id).rates.map((r: any) => r.rate)).toEqual([1200, 2400]);
    expect(replica.get("tax_group")!.get(g2.id).rates.map((r: any) => r.rate)).toEqual([2400, 1200]);
    expect(replica.get("tax_group")!.get(g3.id)).toEqual(before);
  });

  it("the tenant's and the store's settings, registers", async () => {
    const { t, till, replica, sync, admin } = await setup();
    expect((await api("PATCH", `/api/v1/tenants/${t.tenantId}`, { token: operatorToken, body: { taxRounding: "document", pinLength: 6 } })).status).toBe(200);
    expect((await admin.put(`/stores/${t.storeId}`, { cashRoundingUnit: 50, timeZone: "Europe/Helsinki" })).status).toBe(200);
    expect((await admin.put(`/stores/${t.storeId}/registers/${till.registerId}`, { name: "Front" })).status).toBe(200);
    await sync();
    expect(replica.get("tenant")!.get(t.tenantId)).toMatchObject({ taxRounding: "document", pinLength: 6 });
    expect(replica.get("store")!.get(t.storeId)).toMatchObject({ cashRoundingUnit: 50, timeZone: "Europe/Helsinki" });
    expect(replica.get("register")!.get(till.registerId)).toMatchObject({ name: "Front" });
    expect((await feedOf(till.registerId)).map((f) => f.store_id)).toEqual([t.storeId, t.storeId]);
  });
});

/** The replica's departments are exactly the tenant's live ones, field by field. */
async function expectDepartmentsAsStored(replica: Replica, tenantId: string) {
  const { results } = await env.DB.prepare("SELECT id, name, code, is_active, version, updated_at FROM departments WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY id").bind(tenantId).all<any>();
  const pulled = [...(replica.get("department")?.values() ?? [])].sort((a, b) => a.id.localeCompare(b.id));
  expect(pulled.map((d) => [d.id, d.name, d.code, d.isActive, d.version, Date.parse(d.updatedAt)])).toEqual(
    results.map((r) => [r.id, r.name, r.code, r.is_active === 1, r.version, r.updated_at]),
  );
}

describe("the contract", () => {
  it("the OpenAPI document describes every entity type's shape and the query", async () => {
    const doc = (await api("GET", "/api/v1/openapi.json")).json;
    const op = doc.paths["/api/v1/sync/pull"].get;
    expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual(["entity_type", "limit", "since"]);
    const text = JSON.stringify(op.responses["200"]);
    for (const type of SYNC_ENTITY_TYPES) expect(text).toContain(`"const":"${type}"`);
    expect(text).toContain("pinVerifier");
    expect(Object.keys(op.responses).sort()).toEqual(["200", "400", "401", "403"]);
  });
});
