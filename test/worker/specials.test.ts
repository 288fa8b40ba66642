import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { rowCount } from "./catalogue-fixtures";
import { api, createTenant, type TestTenant } from "./helpers";

let t: TestTenant;
let ny: string;
let kaffe: string;
let bakery: string;
beforeAll(async () => {
  t = await createTenant();
  ny = (await call("POST", "/stores", { code: "NYC", name: "New York", currency: "USD", timeZone: "America/New_York", pricesIncludeTax: false })).json.data.id;
  bakery = (await call("POST", "/departments", { name: "Bageri" })).json.data.id;
  kaffe = (await call("POST", "/products", { sku: "KAF", name: "Kaffe", sellPrice: 3500 })).json.data.id;
  await call("POST", "/products", { sku: "BUL", name: "Kanelbulle", sellPrice: 3200, departmentId: bakery });
});
function call(method: string, path: string, body?: unknown, headers?: Record<string, string>) {
  return api(method, `/api/v1${path}`, { token: t.adminToken, body, headers });
}
const special = (overrides: Record<string, unknown> = {}) => ({
  name: "Fika", kind: "percent", value: 2000, productIds: [kaffe], startsAt: "2026-06-01T09:00", endsAt: "2026-06-01T17:00", ...overrides,
});
const paths = (res: { json: { fields?: { path: string }[] } }) => res.json.fields?.map((f) => f.path);

describe("specials", () => {
  it("create, read, update with versions and delete, each in the change feed", async () => {
    const created = await call("POST", "/specials", special({ departmentId: bakery, storeIds: [t.storeId] }));
    expect(created.status).toBe(201);
    expect(created.json.data).toMatchObject({
      name: "Fika", kind: "percent", value: 2000, productIds: [kaffe], departmentId: bakery, storeIds: [t.storeId],
      startsAt: "2026-06-01T09:00", endsAt: "2026-06-01T17:00", isActive: true, version: 1,
    });
    const id = created.json.data.id;
    expect((await call("GET", `/specials/${id}`)).json.data.id).toBe(id);
    const updated = await call("PUT", `/specials/${id}`, { version: 1, kind: "price", value: 2900, storeIds: [] });
    expect(updated.json.data).toMatchObject({ kind: "price", value: 2900, storeIds: [], productIds: [kaffe], version: 2 });
    const stale = await call("PUT", `/specials/${id}`, { version: 1, name: "Late" });
    expect(stale.status).toBe(409);
    expect(stale.json.current).toMatchObject({ name: "Fika", version: 2 });
    expect((await call("DELETE", `/specials/${id}`, undefined, { "If-Match": "1" })).status).toBe(409);
    expect((await call("DELETE", `/specials/${id}`, undefined, { "If-Match": "2" })).status).toBe(200);
    expect((await call("GET", `/specials/${id}`)).status).toBe(404);
    const feed = await env.DB.prepare("SELECT entity, op, version FROM change_feed WHERE entity_id = ? ORDER BY seq").bind(id).all();
    expect(feed.results).toEqual([
      { entity: "special", op: "upsert", version: 1 },
      { entity: "special", op: "upsert", version: 2 },
      { entity: "special", op: "delete", version: 3 },
    ]);
  });

  it("answer 400 naming the field for values, targets and windows that do not hold together", async () => {
    expect(paths(await call("POST", "/specials", special({ value: 0 })))).toEqual(["value"]);
    expect(paths(await call("POST", "/specials", special({ value: 10_001 })))).toEqual(["value"]);
    expect(paths(await call("POST", "/specials", special({ kind: "price", value: -100 })))).toEqual(["value"]);
    expect(paths(await call("POST", "/specials", special({ value: 12.5 })))).toEqual(["value"]);
    expect(paths(await call("POST", "/specials", special({ kind: "half" })))).toEqual(["kind"]);
    expect(paths(await call("POST", "/specials", special({ productIds: [] })))).toEqual(["productIds"]);
    expect(paths(await call("POST", "/specials", special({ productIds: [kaffe, kaffe] })))).toEqual(["productIds"]);
    expect(paths(await call("POST", "/specials", special({ endsAt: "2026-06-01T09:00" })))).toEqual(["endsAt"]);
    expect(paths(await call("POST", "/specials", special({ startsAt: "2026-02-30T09:00" })))).toEqual(["startsAt"]);
    expect(paths(await call("POST", "/specials", special({ startsAt: "2026-06-01 09:00" })))).toEqual(["startsAt"]);
    expect(paths(await call("POST", "/specials", special({ endsAt: "2026-06-01T17:00:00Z" })))).toEqual(["endsAt"]);
    const ok = await call("POST", "/specials", special({ kind: "price", value: 0, productIds: [], departmentId: bakery }));
    expect(ok.status).toBe(201);

    // An update is checked on the special it would leave: a price of 2900 is no percentage.
    const pct = (await call("POST", "/specials", special())).json.data;
    const clash = await call("PUT", `/specials/${pct.id}`, { value: 20_000 });
    expect(clash.status).toBe(400);
    expect(paths(clash)).toEqual(["value"]);
    expect(paths(await call("PUT", `/specials/${pct.id}`, { endsAt: "2026-06-01T08:00" }))).toEqual(["endsAt"]);
    expect(paths(await call("PUT", `/specials/${pct.id}`, { productIds: [] }))).toEqual(["productIds"]);
    expect((await call("PUT", `/specials/${pct.id}`, { kind: "price", value: 20_000 })).json.data).toMatchObject({ kind: "price", value: 20_000, version: 2 });
  });

  it("refuse products, departments and stores that are not the tenant's (422 naming each)", async () => {
    const other = await createTenant();
    const theirProduct = (await api("POST", "/api/v1/products", { token: other.adminToken, body: { sku: "X", name: "X", sellPrice: 1 } })).json.data.id;
    const res = await call("POST", "/specials", special({ productIds: [kaffe, theirProduct], departmentId: crypto.randomUUID(), storeIds: [t.storeId, other.storeId] }));
    expect(res.status).toBe(422);
    expect(res.json.code).toBe("UNKNOWN_REFERENCE");
    expect(paths(res)).toEqual(["productIds.1", "departmentId", "storeIds.1"]);
    const mine = (await call("POST", "/specials", special())).json.data;
    expect(paths(await call("PUT", `/specials/${mine.id}`, { storeIds: [other.storeId] }))).toEqual(["storeIds.0"]);
  });

  it("refuse a start or end the store's clock never reads (a DST gap) with 422 naming the field, in every store the special covers", async () => {
    // Stockholm skips 02:00-03:00 on 29 March 2026; New York skips 02:00-03:00 on 8 March 2026.
    const before = await rowCount("specials", t.tenantId);
    const skipped = async (body: Record<string, unknown>, field: string, zone: string) => {
      const res = await call("POST", "/specials", special(body));
      expect(res.status, JSON.stringify(res.json)).toBe(422);
      expect(res.json.code).toBe("LOCAL_TIME_SKIPPED");
      expect(paths(res)).toEqual([field]);
      expect(res.json.fields[0].message).toContain(zone);
    };
    await skipped({ storeIds: [t.storeId], startsAt: "2026-03-29T02:30", endsAt: "2026-03-29T12:00" }, "startsAt", "Europe/Stockholm");
    await skipped({ storeIds: [t.storeId], startsAt: "2026-03-28T12:00", endsAt: "2026-03-29T02:00" }, "endsAt", "Europe/Stockholm");
    await skipped({ storeIds: [ny], startsAt: "2026-03-08T02:59", endsAt: "2026-03-09T00:00" }, "startsAt", "America/New_York");
    // no storeIds: every store, so each store's zone counts
    await skipped({ startsAt: "2026-03-08T02:30", endsAt: "2026-03-09T00:00" }, "startsAt", "America/New_York");
    await skipped({ startsAt: "2026-03-28T00:00", endsAt: "2026-03-29T02:15" }, "endsAt", "Europe/Stockholm");
    expect(await rowCount("specials", t.tenantId)).toBe(before);

    // the same wall-clock time is fine where the clock does read it, and 03:00 is the first minute after the gap
    expect((await call("POST", "/specials", special({ storeIds: [ny], startsAt: "2026-03-29T02:30", endsAt: "2026-03-29T12:00" }))).status).toBe(201);
    expect((await call("POST", "/specials", special({ storeIds: [t.storeId], startsAt: "2026-03-29T03:00", endsAt: "2026-03-29T12:00" }))).status).toBe(201);
    // an ambiguous time (the clock reads 02:30 twice on 25 October) is a wall-clock time like any other
    expect((await call("POST", "/specials", special({ startsAt: "2026-10-25T02:30", endsAt: "2026-10-25T12:00" }))).status).toBe(201);

    // an update is checked on the special it would leave: new times, or stores that bring a new time zone in
    const nyOnly = (await call("POST", "/specials", special({ storeIds: [ny], startsAt: "2026-03-29T02:30", endsAt: "2026-03-29T12:00" }))).json.data;
    const widened = await call("PUT", `/specials/${nyOnly.id}`, { storeIds: [] });
    expect(widened.status).toBe(422);
    expect(widened.json.code).toBe("LOCAL_TIME_SKIPPED");
    expect(paths(widened)).toEqual(["startsAt"]);
    expect(paths(await call("PUT", `/specials/${nyOnly.id}`, { endsAt: "2026-03-30T00:00", startsAt: "2026-03-08T02:00" }))).toEqual(["startsAt"]);
    expect((await call("GET", `/specials/${nyOnly.id}`)).json.data).toMatchObject({ storeIds: [ny], startsAt: "2026-03-29T02:30", version: 1 });
    expect((await call("PUT", `/specials/${nyOnly.id}`, { storeIds: [], startsAt: "2026-03-29T03:00" })).json.data).toMatchObject({ storeIds: [], version: 2 });
  });

  it("list with paging, filters and one round trip", async () => {
    const tt = await createTenant();
    const c = (method: string, path: string, body?: unknown) => api(method, `/api/v1${path}`, { token: tt.adminToken, body });
    const p = (await c("POST", "/products", { sku: "P", name: "P", sellPrice: 100 })).json.data.id;
    const q = (await c("POST", "/products", { sku: "Q", name: "Q", sellPrice: 100 })).json.data.id;
    const mk = (name: string, extra: Record<string, unknown>) => c("POST", "/specials", { name, kind: "percent", value: 500, productIds: [p], startsAt: "2026-01-01T00:00", endsAt: "2026-02-01T00:00", ...extra });
    await mk("Januari", {});
    await mk("Mars", { startsAt: "2026-03-01T00:00", endsAt: "2026-04-01T00:00", storeIds: [tt.storeId] });
    await mk("Maj off", { startsAt: "2026-05-01T00:00", endsAt: "2026-06-01T00:00", productIds: [q], isActive: false });
    const all = await c("GET", "/specials");
    expect(all.headers.get("Server-Timing")).toMatch(/^d1;count=1;/);
    expect(all.json.data.map((s: { name: string }) => s.name)).toEqual(["Januari", "Mars", "Maj off"]);
    expect((await c("GET", "/specials?pageSize=2&page=2")).json).toMatchObject({ total: 3, data: [{ name: "Maj off" }] });
    expect((await c("GET", "/specials?isActive=false")).json.data.map((s: { name: string }) => s.name)).toEqual(["Maj off"]);
    expect((await c("GET", "/specials?search=mar")).json.data.map((s: { name: string }) => s.name)).toEqual(["Mars"]);
    expect((await c("GET", `/specials?productId=${q}`)).json.data.map((s: { name: string }) => s.name)).toEqual(["Maj off"]);
    const otherStore = (await c("POST", "/stores", { code: "S9", name: "S9", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true })).json.data.id;
    expect((await c("GET", `/specials?storeId=${otherStore}`)).json.data.map((s: { name: string }) => s.name)).toEqual(["Januari", "Maj off"]);
  });
});

describe("active specials", () => {
  let tt: TestTenant;
  let stockholm: string;
  let newYork: string;
  let ids: Record<string, string>;
  beforeAll(async () => {
    tt = await createTenant();
    stockholm = tt.storeId;
    const c = (method: string, path: string, body?: unknown) => api(method, `/api/v1${path}`, { token: tt.adminToken, body });
    newYork = (await c("POST", "/stores", { code: "NYC", name: "New York", currency: "USD", timeZone: "America/New_York", pricesIncludeTax: false })).json.data.id;
    const p = (await c("POST", "/products", { sku: "P", name: "P", sellPrice: 100 })).json.data.id;
    const mk = async (name: string, extra: Record<string, unknown>) =>
      (await c("POST", "/specials", { name, kind: "percent", value: 1000, productIds: [p], startsAt: "2026-06-01T09:00", endsAt: "2026-06-01T17:00", ...extra })).json.data.id as string;
    ids = {
      everywhere: await mk("Everywhere 9-17", {}),
      nyOnly: await mk("New York only 9-17", { storeIds: [newYork] }),
      off: await mk("Switched off", { isActive: false }),
      now: await mk("Around now", {
        startsAt: new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 16),
        endsAt: new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 16),
      }),
    };
  });
  const active = async (query: string) => {
    const res = await api("GET", `/api/v1/specials/active?${query}`, { token: tt.adminToken });
    expect(res.status).toBe(200);
    return Object.fromEntries((res.json.data as { id: string; activeStoreIds: string[] }[]).map((s) => [s.id, s.activeStoreIds]));
  };

  it("read each store's own wall clock: on in Stockholm but not yet in New York at the same instant", async () => {
    // 08:00Z on 1 June: 10:00 in Stockholm (CEST), 04:00 in New York (EDT).
    expect(await active("at=2026-06-01T08:00:00Z")).toEqual({ [ids.everywhere!]: [stockholm] });
    // 14:00Z: 16:00 in Stockholm, 10:00 in New York: on in both, and the New York special too.
    expect(await active("at=2026-06-01T14:00:00Z")).toEqual({ [ids.everywhere!]: [newYork, stockholm], [ids.nyOnly!]: [newYork] });
    // 15:00Z is 17:00 in Stockholm: the window's end is exclusive. 14:59Z is still in.
    expect(await active("at=2026-06-01T15:00:00Z")).toEqual({ [ids.everywhere!]: [newYork], [ids.nyOnly!]: [newYork] });
    expect((await active("at=2026-06-01T14:59:59Z"))[ids.everywhere!]).toEqual([newYork, stockholm]);
    // 21:00Z is 17:00 in New York: over everywhere. Offsets in `at` are honoured: 09:00-04:00 is 13:00Z.
    expect(await active("at=2026-06-01T21:00:00Z")).toEqual({});
    expect(await active("at=2026-06-01T09:00:00-04:00")).toEqual({ [ids.everywhere!]: [newYork, stockholm], [ids.nyOnly!]: [newYork] });
  });

  it("filter by store, default to now, and answer in one round trip", async () => {
    expect(await active(`at=2026-06-01T08:00:00Z&storeId=${newYork}`)).toEqual({});
    expect(await active(`at=2026-06-01T08:00:00Z&storeId=${stockholm}`)).toEqual({ [ids.everywhere!]: [stockholm] });
    const now = await api("GET", "/api/v1/specials/active", { token: tt.adminToken });
    expect(now.headers.get("Server-Timing")).toMatch(/^d1;count=1;/);
    expect(now.json.data.map((s: { id: string }) => s.id)).toEqual([ids.now]);
    expect(now.json.data[0]).toMatchObject({ name: "Around now", activeStoreIds: [newYork, stockholm] });
    expect(ids.off).toBeDefined();
  });

  it("answer 404 for another tenant's store and 400 for a bad instant", async () => {
    const other = await createTenant();
    expect((await api("GET", `/api/v1/specials/active?storeId=${other.storeId}`, { token: tt.adminToken })).status).toBe(404);
    const bad = await api("GET", "/api/v1/specials/active?at=yesterday", { token: tt.adminToken });
    expect(bad.status).toBe(400);
    expect(bad.json.fields[0].path).toBe("query.at");
  });
});
