import { beforeAll, describe, expect, it } from "vitest";
import { as, cancel, capture, freshCode, newCard, stored, transact, type Caller } from "./giftcards-fixtures";
import { api, createTenant, userWith, type TestTenant } from "./helpers";

describe("gift cards: who may do what", () => {
  let t: TestTenant;
  let admin: Caller;
  beforeAll(async () => {
    t = await createTenant();
    admin = as(t.adminToken);
  });

  const KINDS = [["ADD", 500, "giftcards.add"], ["ADJUST", -100, "giftcards.adjust"], ["EXTERNAL", 200, "giftcards.external"], ["IMPORT", 300, "giftcards.import"], ["USE", -400, "giftcards.use"]] as const;

  it("each kind of transaction needs its own permission, completed or authorised, and for its capture and cancel", async () => {
    const card = await newCard(admin, 10000);
    for (const [kind, amount, permission] of KINDS) {
      const others = KINDS.filter(([k]) => k !== kind).map(([, , p]) => p);
      const lacking = as((await userWith(t, ["giftcards.view", ...others])).token);
      for (const authorise of [false, true]) {
        const refused = await transact(lacking, card.id, { kind, amount, authorise });
        expect(refused.status, `${kind} authorise=${authorise}`).toBe(403);
        expect(refused.json).toMatchObject({ code: "MISSING_PERMISSION" });
        expect(refused.json.error).toContain(permission);
      }
      const holder = as((await userWith(t, ["giftcards.view", permission])).token);
      expect((await transact(holder, card.id, { kind, amount })).status).toBe(201);
      const held = (await transact(admin, card.id, { kind, amount, authorise: true })).json.data.transaction;
      expect((await capture(lacking, card.id, held.id)).status).toBe(403);
      expect((await cancel(lacking, card.id, held.id)).status).toBe(403);
      expect((await capture(holder, card.id, held.id)).status).toBe(200);
    }
    // Only what the holders and the admin wrote is there: each refusal wrote nothing.
    expect((await stored(card.id)).ledger).toHaveLength(1 + KINDS.length * 2);
  });

  it("creating, loading at creation and editing need their permissions; the Cashier role may view, use and add", async () => {
    const creator = as((await userWith(t, ["giftcards.create"])).token);
    expect((await creator.post("/gift-cards", { codes: [{ kind: "PHYSICAL", code: freshCode() }] })).status).toBe(201);
    const noAdd = await creator.post("/gift-cards", { initialAmount: 100 });
    expect(noAdd.status).toBe(403);
    expect(noAdd.json.error).toContain("giftcards.add");
    const card = await newCard(admin, 1000);
    expect((await creator.put(`/gift-cards/${card.id}`, { status: "blocked" })).status).toBe(403);
    expect((await creator.get(`/gift-cards/${card.id}`)).status).toBe(403);

    const roles = await api("GET", "/api/v1/roles?search=Cashier", { token: t.adminToken });
    const cashier = roles.json.data.find((r: { name: string }) => r.name === "Cashier");
    expect(cashier.permissions.filter((p: string) => p.startsWith("giftcards."))).toEqual(["giftcards.add", "giftcards.use", "giftcards.view"]);
  });

  it("a wrong PIN, a missing PIN and an unknown code answer alike", async () => {
    const code = freshCode();
    const card = (await admin.post("/gift-cards", { codes: [{ kind: "PHYSICAL", code, pin: "2468" }] })).json.data;
    const clerk = as((await userWith(t, ["giftcards.view"])).token);
    const answers = [
      await clerk.post("/gift-cards/lookup", { code, pin: "1357" }),
      await clerk.post("/gift-cards/lookup", { code }),
      await clerk.post("/gift-cards/lookup", { code: freshCode(), pin: "2468" }),
      await clerk.post("/gift-cards/lookup", { code: freshCode() }),
    ];
    for (const a of answers) {
      expect(a.status).toBe(404);
      const { requestId: _r, ...rest } = a.json;
      expect(rest).toEqual({ success: false, code: "GIFT_CARD_NOT_FOUND", error: "No gift card has this code and PIN" });
    }
    const right = await clerk.post("/gift-cards/lookup", { code: code.toLowerCase(), pin: "2468" });
    expect(right.status).toBe(200);
    expect(right.json.data).toMatchObject({ id: card.id, balance: 0 });
    // A code without a PIN is found by the code alone.
    const open = await newCard(admin, 700);
    expect((await clerk.post("/gift-cards/lookup", { code: open.codes[0]!.code })).json.data).toMatchObject({ id: open.id, balance: 700 });
  });

  it("counts every PIN attempt before checking it: after five wrong ones for a code even the right PIN waits", async () => {
    const code = freshCode();
    await admin.post("/gift-cards", { codes: [{ kind: "PHYSICAL", code, pin: "8642" }] });
    const guessers = await Promise.all([userWith(t, ["giftcards.view"]), userWith(t, ["giftcards.view"])]);
    // Five wrong PINs, sent at once from two callers: all are checked (and fail), none is let through.
    const wrong = await Promise.all(Array.from({ length: 5 }, (_, i) => as(guessers[i % 2]!.token).post("/gift-cards/lookup", { code, pin: `000${i}` })));
    expect(wrong.map((r) => r.status)).toEqual([404, 404, 404, 404, 404]);
    const locked = await as(guessers[0]!.token).post("/gift-cards/lookup", { code, pin: "8642" });
    expect(locked.status).toBe(429);
    expect(locked.json.code).toBe("TOO_MANY_ATTEMPTS");
    expect(Number(locked.headers.get("Retry-After"))).toBeGreaterThan(0);
    // The limit is on the code, whoever asks; another code is still looked up.
    const fresh = as((await userWith(t, ["giftcards.view"])).token);
    expect((await fresh.post("/gift-cards/lookup", { code, pin: "8642" })).status).toBe(429);
    expect((await fresh.post("/gift-cards/lookup", { code: (await newCard(admin, 0)).codes[0]!.code })).status).toBe(200);
  });

  it("limits a caller walking through codes, and a success gives its attempt back", async () => {
    const walker = as((await userWith(t, ["giftcards.view"])).token);
    const known = await newCard(admin, 100);
    // Successes are given back: many lookups of a real card never lock anyone.
    for (let i = 0; i < 35; i++) expect((await walker.post("/gift-cards/lookup", { code: known.codes[0]!.code })).status).toBe(200);
    const misses = await Promise.all(Array.from({ length: 30 }, () => walker.post("/gift-cards/lookup", { code: freshCode() })));
    expect(misses.every((r) => r.status === 404)).toBe(true);
    expect((await walker.post("/gift-cards/lookup", { code: known.codes[0]!.code })).status).toBe(429);
  });

  it("keeps tenants apart: another tenant's card is not found by id or by code, and codes are per tenant", async () => {
    const other = await createTenant();
    const stranger = as(other.adminToken);
    const code = freshCode();
    const mine = (await admin.post("/gift-cards", { codes: [{ kind: "PHYSICAL", code }], initialAmount: 1000 })).json.data;
    expect((await stranger.get(`/gift-cards/${mine.id}`)).status).toBe(404);
    expect((await transact(stranger, mine.id, { kind: "USE", amount: -100 })).status).toBe(404);
    expect((await stranger.get(`/gift-cards/${mine.id}/transactions`)).status).toBe(404);
    expect((await stranger.post("/gift-cards/lookup", { code })).status).toBe(404);
    expect((await stranger.get("/gift-cards")).json.total).toBe(0);
    const theirs = await stranger.post("/gift-cards", { codes: [{ kind: "PHYSICAL", code }] });
    expect(theirs.status).toBe(201);
    expect((await stranger.post("/gift-cards/lookup", { code })).json.data.id).toBe(theirs.json.data.id);
    expect((await admin.post("/gift-cards/lookup", { code })).json.data.id).toBe(mine.id);
    expect((await stored(mine.id)).balance).toBe(1000);
  });
});
