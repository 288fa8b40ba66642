import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { client, paths, rowCount } from "./catalogue-fixtures";
import { auditOf, createTenant, d1Count, feedOf, journalCounts, userWith, type TestTenant } from "./helpers";

let t: TestTenant;
let other: TestTenant;
let as: ReturnType<typeof client>;
beforeAll(async () => {
  [t, other] = await Promise.all([createTenant(), createTenant()]);
  as = client(t.adminToken);
});

const codes = (res: { json: { data: { code: string }[] } }) => res.json.data.map((x) => x.code);

describe("tenders", () => {
  it("start as CASH and CARD for a new tenant, each in the change feed", async () => {
    const tt = await createTenant();
    const list = await client(tt.adminToken).get("/tenders");
    expect(list.json.total).toBe(2);
    expect(list.json.data).toEqual([
      { id: expect.any(String), code: "CASH", name: "Cash", kind: "cash", isCash: true, opensDrawer: true, allowsChange: true, sortOrder: 0, isActive: true, version: 1, createdAt: expect.any(String), updatedAt: expect.any(String) },
      { id: expect.any(String), code: "CARD", name: "Card", kind: "card", isCash: false, opensDrawer: false, allowsChange: false, sortOrder: 1, isActive: true, version: 1, createdAt: expect.any(String), updatedAt: expect.any(String) },
    ]);
    for (const tender of list.json.data) {
      expect(await feedOf(tender.id)).toMatchObject([{ tenant_id: tt.tenantId, entity: "tender", op: "upsert", version: 1 }]);
    }
    expect(await rowCount("tenders", tt.tenantId)).toBe(2);
  });

  it("create with the code upper-cased, journalled in the batch", async () => {
    const before = await journalCounts(t.tenantId);
    const res = await as.post("/tenders", { code: " swish ", name: "Swish", kind: "mobile", sortOrder: 2 });
    expect(res.status).toBe(201);
    expect(res.json.data).toMatchObject({ code: "SWISH", name: "Swish", kind: "mobile", isCash: false, opensDrawer: false, allowsChange: false, sortOrder: 2, version: 1 });
    expect(d1Count(res)).toBe(1);
    const stored = await env.DB.prepare("SELECT code FROM tenders WHERE id = ?").bind(res.json.data.id).first<{ code: string }>();
    expect(stored!.code).toBe("SWISH");
    expect(await feedOf(res.json.data.id)).toMatchObject([{ entity: "tender", op: "upsert", version: 1 }]);
    expect(await auditOf(res.json.data.id)).toMatchObject([{ action: "tender.create", actor_id: t.adminId }]);
    expect(await journalCounts(t.tenantId)).toEqual({ feed: before.feed + 1, audit: before.audit + 1 });
    expect((await as.get(`/tenders/${res.json.data.id}`)).json.data).toEqual(res.json.data);
  });

  it("give cash tenders isCash, a drawer and change by default; the body may say otherwise", async () => {
    const eur = await as.post("/tenders", { code: "EUR", name: "Euro cash", kind: "cash" });
    expect(eur.json.data).toMatchObject({ isCash: true, opensDrawer: true, allowsChange: true });
    const noChange = await as.post("/tenders", { code: "EUR_EXACT", name: "Euro, exact", kind: "cash", allowsChange: false });
    expect(noChange.json.data).toMatchObject({ isCash: true, opensDrawer: true, allowsChange: false });
    const noRounding = await as.post("/tenders", { code: "CASH_CARD", name: "Cash card", kind: "cash", isCash: false });
    expect(noRounding.json.data).toMatchObject({ isCash: false, opensDrawer: true, allowsChange: true });
    const cheque = await as.post("/tenders", { code: "CHEQUE", name: "Cheque", kind: "other", opensDrawer: true });
    expect(cheque.json.data).toMatchObject({ isCash: false, opensDrawer: true, allowsChange: false });
  });

  it("refuse bad input with 400 naming the field", async () => {
    const before = await rowCount("tenders", t.tenantId);
    expect(paths(await as.post("/tenders", { code: "GIFT", name: "Gift", kind: "coupon" }))).toEqual(["kind"]);
    expect(paths(await as.post("/tenders", { code: "GIFT", name: "Gift" }))).toEqual(["kind"]);
    expect(paths(await as.post("/tenders", { code: "GIFT-CARD", name: "Gift", kind: "gift_card" }))).toEqual(["code"]);
    expect(paths(await as.post("/tenders", { code: "", name: "Gift", kind: "gift_card" }))).toEqual(["code"]);
    expect(paths(await as.post("/tenders", { code: "G".repeat(33), name: "Gift", kind: "gift_card" }))).toEqual(["code"]);
    expect(paths(await as.post("/tenders", { code: "GIFT", kind: "gift_card" }))).toEqual(["name"]);
    expect(paths(await as.post("/tenders", { code: "GIFT", name: "Gift", kind: "gift_card", sortOrder: -1 }))).toEqual(["sortOrder"]);
    expect(paths(await as.get("/tenders?kind=coupon"))).toEqual(["query.kind"]);
    expect(await rowCount("tenders", t.tenantId)).toBe(before);
  });

  it("keep codes unique per tenant whatever their case (409 TENDER_CODE_TAKEN)", async () => {
    await as.post("/tenders", { code: "VOUCHER", name: "Voucher", kind: "voucher" });
    const dup = await as.post("/tenders", { code: "Voucher", name: "Again", kind: "voucher" });
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe("TENDER_CODE_TAKEN");
    expect((await as.post("/tenders", { code: "cash", name: "Cash again", kind: "cash" })).json.code).toBe("TENDER_CODE_TAKEN");
    const gift = (await as.post("/tenders", { code: "GIFT", name: "Gift", kind: "gift_card" })).json.data;
    const rename = await as.put(`/tenders/${gift.id}`, { version: 1, code: "voucher" });
    expect(rename.status).toBe(409);
    expect(rename.json.code).toBe("TENDER_CODE_TAKEN");
    expect((await as.get(`/tenders/${gift.id}`)).json.data).toMatchObject({ code: "GIFT", version: 1 });
    expect((await client(other.adminToken).post("/tenders", { code: "VOUCHER", name: "Voucher", kind: "voucher" })).status).toBe(201);
  });

  it("update with versions; a new kind brings its isCash unless the body names one", async () => {
    const x = (await as.post("/tenders", { code: "KIND", name: "Kind", kind: "other" })).json.data;
    const v2 = await as.put(`/tenders/${x.id}`, { version: 1, kind: "cash" });
    expect(v2.json.data).toMatchObject({ kind: "cash", isCash: true, opensDrawer: false, version: 2 });
    const v3 = await as.put(`/tenders/${x.id}`, { kind: "card", opensDrawer: true }, { "If-Match": "2" });
    expect(v3.json.data).toMatchObject({ kind: "card", isCash: false, opensDrawer: true, version: 3 });
    const v4 = await as.put(`/tenders/${x.id}`, { version: 3, kind: "cash", isCash: false, code: "kind2" });
    expect(v4.json.data).toMatchObject({ kind: "cash", isCash: false, code: "KIND2", version: 4 });
    const v5 = await as.put(`/tenders/${x.id}`, { version: 4, name: "Renamed" });
    expect(v5.json.data).toMatchObject({ name: "Renamed", kind: "cash", isCash: false, version: 5 });

    const before = await journalCounts(t.tenantId);
    const stale = await as.put(`/tenders/${x.id}`, { version: 4, name: "Lost" });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ code: "VERSION_CONFLICT", current: { id: x.id, version: 5, name: "Renamed" } });
    expect(await journalCounts(t.tenantId)).toEqual(before);
    expect((await feedOf(x.id)).map((f) => f.version)).toEqual([1, 2, 3, 4, 5]);
  });

  it("list in till order (sortOrder, then code) in one round trip, with search, kind and active filters", async () => {
    const tt = await createTenant();
    const c = client(tt.adminToken);
    for (const body of [
      { code: "SWISH", name: "Swish", kind: "mobile", sortOrder: 2 },
      { code: "GIFT", name: "Presentkort", kind: "gift_card", sortOrder: 3 },
      { code: "AMEX", name: "American Express", kind: "card", sortOrder: 1, isActive: false },
    ]) {
      expect((await c.post("/tenders", body)).status).toBe(201);
    }
    const all = await c.get("/tenders");
    expect(codes(all)).toEqual(["CASH", "AMEX", "CARD", "SWISH", "GIFT"]);
    expect(d1Count(all)).toBe(1);
    expect(codes(await c.get("/tenders?kind=card"))).toEqual(["AMEX", "CARD"]);
    expect(codes(await c.get("/tenders?isActive=false"))).toEqual(["AMEX"]);
    expect(codes(await c.get("/tenders?search=present"))).toEqual(["GIFT"]);
    expect(codes(await c.get("/tenders?search=sw"))).toEqual(["SWISH"]);
    const page = await c.get("/tenders?isActive=true&pageSize=2&page=2");
    expect(page.json).toMatchObject({ total: 4, page: 2, pageSize: 2 });
    expect(codes(page)).toEqual(["SWISH", "GIFT"]);
    expect(d1Count(page)).toBe(1);
  });

  it("answer 404 for another tenant's tender", async () => {
    const theirs = (await client(other.adminToken).get("/tenders")).json.data[0];
    expect((await as.get(`/tenders/${theirs.id}`)).status).toBe(404);
    expect((await as.put(`/tenders/${theirs.id}`, { name: "Mine" })).status).toBe(404);
    expect((await as.del(`/tenders/${theirs.id}`)).status).toBe(404);
    expect((await client(other.adminToken).get(`/tenders/${theirs.id}`)).json.data).toMatchObject({ code: "CASH", version: 1 });
  });

  it("delete (soft) with tenders.manage and a version check; the code is free again", async () => {
    const manager = client((await userWith(t, ["tenders.manage"])).token);
    const viewer = client((await userWith(t, ["tenders.view"])).token);
    const x = await manager.post("/tenders", { code: "TMP", name: "Temporary", kind: "other" });
    expect(x.status).toBe(201);
    expect((await viewer.get(`/tenders/${x.json.data.id}`)).status).toBe(200);
    expect((await viewer.del(`/tenders/${x.json.data.id}`)).status).toBe(403);
    expect((await manager.get("/tenders")).status).toBe(403);
    expect((await manager.del(`/tenders/${x.json.data.id}`, undefined, { "If-Match": "2" })).json.code).toBe("VERSION_CONFLICT");
    const res = await manager.del(`/tenders/${x.json.data.id}`, undefined, { "If-Match": "1" });
    expect(res.json.data).toEqual({ id: x.json.data.id, deleted: true });
    expect((await viewer.get(`/tenders/${x.json.data.id}`)).status).toBe(404);
    expect(codes(await viewer.get("/tenders?search=TMP"))).toEqual([]);
    expect((await feedOf(x.json.data.id)).map((f) => [f.op, f.version])).toEqual([["upsert", 1], ["delete", 2]]);
    expect((await manager.post("/tenders", { code: "tmp", name: "Again", kind: "other" })).status).toBe(201);
  });
});
