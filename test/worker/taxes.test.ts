import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { client, insertProduct, paths, rowCount } from "./catalogue-fixtures";
import { auditOf, createTenant, d1Count, feedOf, journalCounts, userWith, type TestTenant } from "./helpers";

let t: TestTenant;
let other: TestTenant;
let as: ReturnType<typeof client>;
beforeAll(async () => {
  [t, other] = await Promise.all([createTenant(), createTenant()]);
  as = client(t.adminToken);
});

const rate = async (name: string, body: Record<string, unknown>) => {
  const res = await as.post("/taxes", { name, ...body });
  if (res.status !== 201) throw new Error(`rate: ${JSON.stringify(res.json)}`);
  return res.json.data as { id: string; name: string; rate: number | null; rateMillionths: number; version: number };
};
/** A group's rate rows as stored, in order. */
const storedRates = async (groupId: string) =>
  (await env.DB.prepare("SELECT tenant_id, tax_rate_id, sort_order FROM tax_group_rates WHERE tax_group_id = ? ORDER BY sort_order").bind(groupId).all()).results;
const ids = (rates: { id: string }[]) => rates.map((r) => r.id);

describe("tax rates", () => {
  it("take basis points and answer millionths too, journalled in the same batch", async () => {
    const before = await journalCounts(t.tenantId);
    const res = await as.post("/taxes", { name: "Moms 25", rate: 2500 });
    expect(res.status).toBe(201);
    expect(res.json.data).toEqual({
      id: expect.any(String), name: "Moms 25", rate: 2500, rateMillionths: 250_000, isCompound: false, isActive: true, version: 1,
      createdAt: expect.any(String), updatedAt: expect.any(String),
    });
    expect(d1Count(res)).toBe(1);
    const { id } = res.json.data;
    expect(await feedOf(id)).toMatchObject([{ tenant_id: t.tenantId, entity: "tax_rate", op: "upsert", version: 1 }]);
    expect(await auditOf(id)).toMatchObject([{ action: "tax_rate.create", actor_id: t.adminId }]);
    expect(await journalCounts(t.tenantId)).toEqual({ feed: before.feed + 1, audit: before.audit + 1 });
    const stored = await env.DB.prepare("SELECT rate_millionths FROM tax_rates WHERE id = ?").bind(id).first<{ rate_millionths: number }>();
    expect(stored!.rate_millionths).toBe(250_000);
  });

  it("take millionths for rates finer than a basis point, answering rate null", async () => {
    const qst = await rate("QST", { rateMillionths: 99_750, isCompound: true });
    expect(qst).toMatchObject({ rate: null, rateMillionths: 99_750, isCompound: true });
    expect((await rate("Whole in millionths", { rateMillionths: 120_000 })).rate).toBe(1200);
    expect((await rate("Zero rated", { rate: 0 })).rateMillionths).toBe(0);
    expect((await rate("All of it", { rate: 10_000 })).rateMillionths).toBe(1_000_000);
    expect((await as.get(`/taxes/${qst.id}`)).json.data).toMatchObject({ rate: null, rateMillionths: 99_750 });
  });

  it("refuse a rate over 100 %, a fraction, a negative rate, both forms or neither (400 naming the field)", async () => {
    const before = await rowCount("tax_rates", t.tenantId);
    const cases: [Record<string, unknown>, string][] = [
      [{ rate: 10_001 }, "rate"],
      [{ rate: 8.25 }, "rate"],
      [{ rate: -1 }, "rate"],
      [{ rate: "825" }, "rate"],
      [{ rateMillionths: 1_000_001 }, "rateMillionths"],
      [{ rateMillionths: 99.5 }, "rateMillionths"],
      [{ rate: 100, rateMillionths: 10_000 }, "rate"],
      [{}, "rate"],
    ];
    for (const [body, field] of cases) {
      const res = await as.post("/taxes", { name: "Bad", ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(paths(res), JSON.stringify(body)).toEqual([field]);
    }
    expect(paths(await as.post("/taxes", { rate: 100 }))).toEqual(["name"]);
    expect(await rowCount("tax_rates", t.tenantId)).toBe(before);
  });

  it("update in either form with versions; a stale one is 409 with the current rate", async () => {
    const r = await rate("Moms 12", { rate: 1200 });
    const v2 = await as.put(`/taxes/${r.id}`, { version: 1, rateMillionths: 99_750 });
    expect(v2.json.data).toMatchObject({ rate: null, rateMillionths: 99_750, version: 2 });
    const v3 = await as.put(`/taxes/${r.id}`, { rate: 1200, isCompound: true }, { "If-Match": "2" });
    expect(v3.json.data).toMatchObject({ rate: 1200, rateMillionths: 120_000, isCompound: true, version: 3, name: "Moms 12" });
    const stale = await as.put(`/taxes/${r.id}`, { version: 2, rate: 600 });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ code: "VERSION_CONFLICT", current: { id: r.id, version: 3, rate: 1200 } });
    expect(paths(await as.put(`/taxes/${r.id}`, { rate: 600, rateMillionths: 60_000 }))).toEqual(["rate"]);
    expect(paths(await as.put(`/taxes/${r.id}`, { rate: 20_000 }))).toEqual(["rate"]);
    expect((await as.get(`/taxes/${r.id}`)).json.data.version).toBe(3);
    expect((await feedOf(r.id)).map((f) => f.version)).toEqual([1, 2, 3]);
  });

  it("keep names unique per tenant (409 TAX_RATE_NAME_TAKEN)", async () => {
    await rate("Unique rate", { rate: 100 });
    const dup = await as.post("/taxes", { name: "Unique rate", rate: 200 });
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe("TAX_RATE_NAME_TAKEN");
    const r = await rate("Another rate", { rate: 100 });
    expect((await as.put(`/taxes/${r.id}`, { name: "Unique rate" })).json.code).toBe("TAX_RATE_NAME_TAKEN");
    expect((await client(other.adminToken).post("/taxes", { name: "Unique rate", rate: 100 })).status).toBe(201);
  });

  it("list a page in one round trip, by name, with search and active filters", async () => {
    const tt = await createTenant();
    const c = client(tt.adminToken);
    for (const [name, r, isActive] of [["Moms 25", 2500, true], ["Moms 12", 1200, true], ["Moms 6", 600, false], ["Export", 0, true]] as const) {
      expect((await c.post("/taxes", { name, rate: r, isActive })).status).toBe(201);
    }
    const all = await c.get("/taxes");
    expect(all.json.data.map((r: { name: string }) => r.name)).toEqual(["Export", "Moms 12", "Moms 25", "Moms 6"]);
    expect(all.json.data[1]).toMatchObject({ rate: 1200, rateMillionths: 120_000 });
    expect(all.json.total).toBe(4);
    expect(d1Count(all)).toBe(1);
    const page = await c.get("/taxes?search=moms&pageSize=2&page=2");
    expect(page.json).toMatchObject({ total: 3, page: 2, pageSize: 2 });
    expect(page.json.data.map((r: { name: string }) => r.name)).toEqual(["Moms 6"]);
    expect(d1Count(page)).toBe(1);
    expect((await c.get("/taxes?isActive=false")).json.data.map((r: { name: string }) => r.name)).toEqual(["Moms 6"]);
  });

  it("answer 404 for another tenant's rate", async () => {
    const theirs = (await client(other.adminToken).post("/taxes", { name: "Their rate", rate: 500 })).json.data;
    expect((await as.get(`/taxes/${theirs.id}`)).status).toBe(404);
    expect((await as.put(`/taxes/${theirs.id}`, { rate: 600 })).status).toBe(404);
    expect((await as.del(`/taxes/${theirs.id}`)).status).toBe(404);
    expect((await client(other.adminToken).get(`/taxes/${theirs.id}`)).json.data.rate).toBe(500);
  });

  it("cannot be deleted while a live group holds them (409 TAX_RATE_IN_USE)", async () => {
    const r = await rate("Held", { rate: 600 });
    const g = (await as.post("/taxes/groups", { name: "Holder", taxRateIds: [r.id] })).json.data;
    const busy = await as.del(`/taxes/${r.id}`);
    expect(busy.status).toBe(409);
    expect(busy.json.code).toBe("TAX_RATE_IN_USE");
    // out of the group, it may go
    expect((await as.put(`/taxes/groups/${g.id}`, { version: 1, taxRateIds: [] })).status).toBe(200);
    const gone = await as.del(`/taxes/${r.id}`, undefined, { "If-Match": "1" });
    expect(gone.json.data).toEqual({ id: r.id, deleted: true });
    expect((await as.get(`/taxes/${r.id}`)).status).toBe(404);
    expect((await feedOf(r.id)).map((f) => [f.op, f.version])).toEqual([["upsert", 1], ["delete", 2]]);
  });

  it("may be deleted when the only group holding them is deleted", async () => {
    const r = await rate("Held by a deleted group", { rate: 600 });
    const g = (await as.post("/taxes/groups", { name: "Soon gone", taxRateIds: [r.id] })).json.data;
    expect((await as.del(`/taxes/groups/${g.id}`)).status).toBe(200);
    expect((await as.del(`/taxes/${r.id}`)).status).toBe(200);
  });
});

describe("tax groups", () => {
  it("hold an ordered list of rates, written in the same batch as the group", async () => {
    const gst = await rate("GST", { rate: 500 });
    const qst = await rate("QST 9.975", { rateMillionths: 99_750, isCompound: true });
    const before = await journalCounts(t.tenantId);
    const res = await as.post("/taxes/groups", { name: "Québec", taxRateIds: [gst.id, qst.id] });
    expect(res.status).toBe(201);
    expect(res.json.data).toEqual({
      id: expect.any(String), name: "Québec", version: 1, createdAt: expect.any(String), updatedAt: expect.any(String),
      rates: [
        { id: gst.id, name: "GST", rate: 500, rateMillionths: 50_000, isCompound: false, sortOrder: 0 },
        { id: qst.id, name: "QST 9.975", rate: null, rateMillionths: 99_750, isCompound: true, sortOrder: 1 },
      ],
    });
    // one read of the rates, one write batch: the answer is not read back
    expect(d1Count(res)).toBe(2);
    const { id } = res.json.data;
    expect(await storedRates(id)).toEqual([
      { tenant_id: t.tenantId, tax_rate_id: gst.id, sort_order: 0 },
      { tenant_id: t.tenantId, tax_rate_id: qst.id, sort_order: 1 },
    ]);
    expect(await feedOf(id)).toMatchObject([{ entity: "tax_group", op: "upsert", version: 1 }]);
    expect(await journalCounts(t.tenantId)).toEqual({ feed: before.feed + 1, audit: before.audit + 1 });
    expect((await as.get(`/taxes/groups/${id}`)).json.data).toEqual(res.json.data);
  });

  it("may be created without rates, in one batch", async () => {
    const res = await as.post("/taxes/groups", { name: "Tax free" });
    expect(res.json.data.rates).toEqual([]);
    expect(d1Count(res)).toBe(1);
  });

  it("answer GET /taxes/groups/:id with the rates in the order they apply, not the order of ids", async () => {
    const rs = [await rate("Order C", { rate: 300 }), await rate("Order A", { rate: 100 }), await rate("Order B", { rate: 200 })];
    const wanted = [rs[1]!.id, rs[2]!.id, rs[0]!.id].sort().reverse();
    const g = (await as.post("/taxes/groups", { name: "Ordered", taxRateIds: wanted })).json.data;
    const got = await as.get(`/taxes/groups/${g.id}`);
    expect(ids(got.json.data.rates)).toEqual(wanted);
    expect(got.json.data.rates.map((r: { sortOrder: number }) => r.sortOrder)).toEqual([0, 1, 2]);
    expect(d1Count(got)).toBe(1);
  });

  it("replace the rates and their order on update, in the same batch as the new version", async () => {
    const a = await rate("Swap A", { rate: 100 });
    const b = await rate("Swap B", { rate: 200 });
    const c = await rate("Swap C", { rate: 300 });
    const g = (await as.post("/taxes/groups", { name: "Swapped", taxRateIds: [a.id, b.id] })).json.data;
    const v2 = await as.put(`/taxes/groups/${g.id}`, { version: 1, taxRateIds: [c.id, a.id] });
    expect(v2.status).toBe(200);
    expect(v2.json.data).toMatchObject({ version: 2, name: "Swapped" });
    expect(ids(v2.json.data.rates)).toEqual([c.id, a.id]);
    expect((await storedRates(g.id)).map((r) => r.tax_rate_id)).toEqual([c.id, a.id]);

    // a rename leaves the rates as they are
    const v3 = await as.put(`/taxes/groups/${g.id}`, { name: "Renamed" }, { "If-Match": "2" });
    expect(v3.json.data).toMatchObject({ name: "Renamed", version: 3 });
    expect(ids(v3.json.data.rates)).toEqual([c.id, a.id]);

    // a stale update writes neither the group nor its rates
    const stale = await as.put(`/taxes/groups/${g.id}`, { version: 2, taxRateIds: [b.id] });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe("VERSION_CONFLICT");
    expect(stale.json.current).toMatchObject({ id: g.id, version: 3, name: "Renamed" });
    expect((await storedRates(g.id)).map((r) => r.tax_rate_id)).toEqual([c.id, a.id]);
    expect((await feedOf(g.id)).map((f) => f.version)).toEqual([1, 2, 3]);
  });

  it("refuse unknown, deleted or other tenants' rates (422 UNKNOWN_REFERENCE naming each) and write nothing", async () => {
    const mine = await rate("Mine", { rate: 100 });
    const deleted = await rate("Deleted", { rate: 100 });
    await as.del(`/taxes/${deleted.id}`);
    const theirs = (await client(other.adminToken).post("/taxes", { name: "Theirs", rate: 100 })).json.data;
    const before = { ...(await journalCounts(t.tenantId)), groups: await rowCount("tax_groups", t.tenantId), links: await rowCount("tax_group_rates", t.tenantId) };
    const res = await as.post("/taxes/groups", { name: "Mixed", taxRateIds: [mine.id, theirs.id, crypto.randomUUID(), deleted.id] });
    expect(res.status).toBe(422);
    expect(res.json.code).toBe("UNKNOWN_REFERENCE");
    expect(res.json.fields).toEqual([
      { path: "taxRateIds.1", message: "is not a tax rate of this tenant" },
      { path: "taxRateIds.2", message: "is not a tax rate of this tenant" },
      { path: "taxRateIds.3", message: "is not a tax rate of this tenant" },
    ]);
    const g = (await as.post("/taxes/groups", { name: "Mine only", taxRateIds: [mine.id] })).json.data;
    const upd = await as.put(`/taxes/groups/${g.id}`, { version: 1, taxRateIds: [theirs.id] });
    expect(upd.status).toBe(422);
    expect(paths(upd)).toEqual(["taxRateIds.0"]);
    expect((await as.get(`/taxes/groups/${g.id}`)).json.data).toMatchObject({ version: 1, rates: [{ id: mine.id }] });
    expect({ ...(await journalCounts(t.tenantId)), groups: await rowCount("tax_groups", t.tenantId), links: await rowCount("tax_group_rates", t.tenantId) })
      .toEqual({ feed: before.feed + 1, audit: before.audit + 1, groups: before.groups + 1, links: before.links + 1 });
  });

  it("refuse bad input (400 naming the field)", async () => {
    const r = await rate("Twice", { rate: 100 });
    expect(paths(await as.post("/taxes/groups", { name: "Dup", taxRateIds: [r.id, r.id] }))).toEqual(["taxRateIds"]);
    expect(paths(await as.post("/taxes/groups", { name: "Bad id", taxRateIds: ["nope"] }))).toEqual(["taxRateIds.0"]);
    expect(paths(await as.post("/taxes/groups", { taxRateIds: [] }))).toEqual(["name"]);
    expect(paths(await as.post("/taxes/groups", { name: "Not a list", taxRateIds: r.id }))).toEqual(["taxRateIds"]);
    const eleven = Array.from({ length: 11 }, () => crypto.randomUUID());
    expect((await as.post("/taxes/groups", { name: "Too many", taxRateIds: eleven })).json.fields).toEqual([{ path: "taxRateIds", message: "lists at most 10 rates" }]);
  });

  it("keep names unique (409 TAX_GROUP_NAME_TAKEN), writing none of the refused group's rates", async () => {
    const r = await rate("For dup group", { rate: 100 });
    await as.post("/taxes/groups", { name: "Standard" });
    const links = await rowCount("tax_group_rates", t.tenantId);
    const dup = await as.post("/taxes/groups", { name: "Standard", taxRateIds: [r.id] });
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe("TAX_GROUP_NAME_TAKEN");
    expect(await rowCount("tax_group_rates", t.tenantId)).toBe(links);
  });

  it("list a page with their rates in one round trip, mounted before /taxes/:id", async () => {
    const tt = await createTenant();
    const c = client(tt.adminToken);
    const vat = (await c.post("/taxes", { name: "VAT 25", rate: 2500 })).json.data;
    const food = (await c.post("/taxes", { name: "VAT 12", rate: 1200 })).json.data;
    for (const [name, rates] of [["Standard", [vat.id]], ["Food", [food.id]], ["Mixed", [food.id, vat.id]], ["Zero", []]] as const) {
      expect((await c.post("/taxes/groups", { name, taxRateIds: rates })).status).toBe(201);
    }
    const all = await c.get("/taxes/groups");
    expect(all.status).toBe(200);
    expect(d1Count(all)).toBe(1);
    expect(all.json.total).toBe(4);
    expect(all.json.data.map((g: { name: string; rates: { id: string }[] }) => [g.name, ids(g.rates)])).toEqual([
      ["Food", [food.id]], ["Mixed", [food.id, vat.id]], ["Standard", [vat.id]], ["Zero", []],
    ]);
    const page = await c.get("/taxes/groups?pageSize=1&page=2&search=d");
    expect(page.json).toMatchObject({ total: 3, page: 2, pageSize: 1 });
    expect(page.json.data.map((g: { name: string }) => g.name)).toEqual(["Mixed"]);
    expect(d1Count(page)).toBe(1);
  });

  it("answer 404 for another tenant's group", async () => {
    const theirs = (await client(other.adminToken).post("/taxes/groups", { name: "Their group" })).json.data;
    expect((await as.get(`/taxes/groups/${theirs.id}`)).status).toBe(404);
    expect((await as.put(`/taxes/groups/${theirs.id}`, { name: "Mine" })).status).toBe(404);
    expect((await as.del(`/taxes/groups/${theirs.id}`)).status).toBe(404);
    expect((await client(other.adminToken).get(`/taxes/groups/${theirs.id}`)).status).toBe(200);
  });

  it("cannot be deleted while live products use them (409 TAX_GROUP_IN_USE)", async () => {
    const g = (await as.post("/taxes/groups", { name: "Used" })).json.data;
    const productId = await insertProduct(t.tenantId, { taxGroupId: g.id });
    const busy = await as.del(`/taxes/groups/${g.id}`);
    expect(busy.status).toBe(409);
    expect(busy.json.code).toBe("TAX_GROUP_IN_USE");
    await env.DB.prepare("UPDATE products SET deleted_at = ? WHERE id = ?").bind(Date.now(), productId).run();
    const stale = await as.del(`/taxes/groups/${g.id}`, undefined, { "If-Match": "7" });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe("VERSION_CONFLICT");
    expect((await as.del(`/taxes/groups/${g.id}`, undefined, { "If-Match": "1" })).status).toBe(200);
    expect((await as.get(`/taxes/groups/${g.id}`)).status).toBe(404);
    expect((await feedOf(g.id)).map((f) => [f.op, f.version])).toEqual([["upsert", 1], ["delete", 2]]);
  });

  it("take taxes.view to read and taxes.manage to write", async () => {
    const viewer = client((await userWith(t, ["taxes.view"])).token);
    const manager = client((await userWith(t, ["taxes.manage"])).token);
    const r = await manager.post("/taxes", { name: "Managed", rate: 100 });
    expect(r.status).toBe(201);
    const g = await manager.post("/taxes/groups", { name: "Managed", taxRateIds: [r.json.data.id] });
    expect(g.status).toBe(201);
    expect((await viewer.get("/taxes")).status).toBe(200);
    expect((await viewer.get(`/taxes/groups/${g.json.data.id}`)).status).toBe(200);
    expect((await viewer.put(`/taxes/groups/${g.json.data.id}`, { name: "No" })).status).toBe(403);
    expect((await manager.get("/taxes/groups")).status).toBe(403);
  });
});
