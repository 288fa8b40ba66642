import { beforeAll, describe, expect, it } from "vitest";
import { as, cancel, capture, freshCode, ledgerBalance, newCard, stored, transact, type Caller } from "./giftcards-fixtures";
import { auditOf, createTenant, type TestTenant } from "./helpers";

describe("gift cards: cards, codes and the ledger", () => {
  let t: TestTenant;
  let admin: Caller;
  let customerId: string;
  beforeAll(async () => {
    t = await createTenant();
    admin = as(t.adminToken);
    customerId = (await admin.post("/customers", { firstName: "Greta" })).json.data.id;
  });

  it("creates a card with codes of each kind and an initial load, never answering a PIN", async () => {
    const physical = freshCode("PHY");
    const personal = freshCode("PER");
    const external = freshCode("EXT");
    const res = await admin.post("/gift-cards", {
      customerId,
      expiresOn: "2099-12-31",
      codes: [
        { kind: "PHYSICAL", code: physical.toLowerCase(), pin: "802468135790" },
        { kind: "PERSONAL", code: personal, customerId },
        { kind: "EXTERNAL", code: external, source: "webshop" },
      ],
      initialAmount: 50000,
      reference: "Sold at the counter",
    });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    const card = res.json.data;
    expect(card).toMatchObject({ currency: "SEK", balance: 50000, reserved: 0, available: 50000, status: "active", customerId, expiresOn: "2099-12-31" });
    expect(card.codes.map((c: { kind: string; code: string; hasPin: boolean }) => [c.kind, c.code, c.hasPin]).sort()).toEqual(
      [["EXTERNAL", external, false], ["PERSONAL", personal, false], ["PHYSICAL", physical, true]],
    );
    expect(card.codes.find((c: { kind: string }) => c.kind === "PHYSICAL").maskedCode).toBe(`****${physical.slice(-4)}`);
    // (A twelve-digit PIN: no id or time in the answer could hold it by chance.)
    expect(JSON.stringify(res.json)).not.toContain("802468135790");
    expect(JSON.stringify(res.json)).not.toMatch(/"pin(Hash)?"/);
    const again = await admin.get(`/gift-cards/${card.id}`);
    expect(again.json.data).toEqual(card);

    const ledger = (await admin.get(`/gift-cards/${card.id}/transactions`)).json;
    expect(ledger.total).toBe(1);
    expect(ledger.data[0]).toMatchObject({ kind: "ADD", state: "COMPLETED", amount: 50000, balanceAfter: 50000, reference: "Sold at the counter", actorType: "user", actorId: t.adminId, storeId: t.storeId });
    expect((await auditOf(card.id)).map((a) => a.action)).toEqual(["gift_card.create"]);
  });

  it("stores a PIN as a PBKDF2 hash, never as itself", async () => {
    const { env } = await import("cloudflare:test");
    const code = freshCode();
    await admin.post("/gift-cards", { codes: [{ kind: "PHYSICAL", code, pin: "987654321012" }] });
    const row = await env.DB.prepare("SELECT pin_hash FROM gift_card_codes WHERE code = ? AND tenant_id = ?").bind(code, t.tenantId).first<{ pin_hash: string }>();
    expect(row!.pin_hash).toMatch(/^pbkdf2_sha256\$100000\$/);
    expect(row!.pin_hash).not.toContain("987654321012");
  });

  it("refuses codes that do not hold together, and a code another card has", async () => {
    const taken = (await newCard(admin, 0)).codes[0]!.code;
    const dup = await admin.post("/gift-cards", { codes: [{ kind: "EXTERNAL", code: taken }] });
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe("GIFT_CARD_CODE_TAKEN");
    const bad = await admin.post("/gift-cards", {
      codes: [{ kind: "PERSONAL", code: freshCode() }, { kind: "EXTERNAL", code: freshCode(), pin: "1234" }, { kind: "PHYSICAL", code: "ab" }],
    });
    expect(bad.status).toBe(400);
    expect(bad.json.fields.map((f: { path: string }) => f.path).sort()).toEqual(["codes.0.customerId", "codes.1.pin", "codes.2.code"]);
    const twice = freshCode();
    expect((await admin.post("/gift-cards", { codes: [{ kind: "PHYSICAL", code: twice }, { kind: "EXTERNAL", code: twice }] })).status).toBe(400);
    const stranger = await admin.post("/gift-cards", { customerId: crypto.randomUUID() });
    expect(stranger.status).toBe(422);
    expect(stranger.json.fields).toEqual([{ path: "customerId", message: "is not a customer of this tenant" }]);
  });

  it("adds and uses money, and refuses a use beyond what is available without writing anything", async () => {
    const card = await newCard(admin, 10000);
    const add = await transact(admin, card.id, { kind: "ADD", amount: 2500, reference: "Top-up" });
    expect(add.status).toBe(201);
    expect(add.json.data.card).toMatchObject({ balance: 12500, available: 12500 });
    expect(add.json.data.transaction).toMatchObject({ kind: "ADD", state: "COMPLETED", amount: 2500, balanceAfter: 12500, authorisedAmount: null });
    const use = await transact(admin, card.id, { kind: "USE", amount: -12000 });
    expect(use.json.data.card.balance).toBe(500);
    expect(use.json.data.transaction).toMatchObject({ kind: "USE", amount: -12000, balanceAfter: 500 });

    const over = await transact(admin, card.id, { kind: "USE", amount: -501 });
    expect(over.status).toBe(422);
    expect(over.json.code).toBe("INSUFFICIENT_FUNDS");
    expect(over.json.error).toContain("500 available");
    const negativeAdjust = await transact(admin, card.id, { kind: "ADJUST", amount: -600 });
    expect(negativeAdjust.json.code).toBe("INSUFFICIENT_FUNDS");
    const s = await stored(card.id);
    expect(s.balance).toBe(500);
    expect(s.ledger).toHaveLength(3);
    expect(ledgerBalance(s.ledger)).toBe(s.balance);
  });

  it("takes each kind only with the right sign", async () => {
    const card = await newCard(admin, 1000);
    const paths = async (body: Record<string, unknown>) => (await transact(admin, card.id, body)).json.fields?.map((f: { path: string }) => f.path);
    expect(await paths({ kind: "USE", amount: 100 })).toEqual(["amount"]);
    expect(await paths({ kind: "ADD", amount: -100 })).toEqual(["amount"]);
    expect(await paths({ kind: "IMPORT", amount: -100 })).toEqual(["amount"]);
    expect(await paths({ kind: "ADJUST", amount: 0 })).toEqual(["amount"]);
    expect(await paths({ kind: "GIFT", amount: 100 })).toEqual(["kind"]);
    for (const [kind, amount] of [["ADJUST", -100], ["EXTERNAL", 300], ["EXTERNAL", -200], ["IMPORT", 50]] as const) {
      expect((await transact(admin, card.id, { kind, amount })).status).toBe(201);
    }
    expect((await stored(card.id)).balance).toBe(1050);
    expect((await auditOf(card.id)).map((a) => a.action)).toEqual(["gift_card.create", "gift_card.adjust", "gift_card.external", "gift_card.external", "gift_card.import"]);
  });

  it("authorises a use (holding the money at once), then captures part of it and releases the rest", async () => {
    const card = await newCard(admin, 20000);
    const auth = await transact(admin, card.id, { kind: "USE", amount: -15000, authorise: true, reference: "order 42" });
    expect(auth.status).toBe(201);
    const tx = auth.json.data.transaction;
    expect(tx).toMatchObject({ state: "AUTHORISED", amount: -15000, authorisedAmount: -15000, balanceAfter: null });
    expect(Date.parse(tx.expiresAt) - Date.parse(tx.createdAt)).toBe(7 * 24 * 3600_000);
    expect(auth.json.data.card).toMatchObject({ balance: 20000, reserved: 15000, available: 5000 });
    // The hold is real: only 5000 can be spent meanwhile.
    expect((await transact(admin, card.id, { kind: "USE", amount: -5001 })).json.code).toBe("INSUFFICIENT_FUNDS");

    expect((await capture(admin, card.id, tx.id, { amount: 15001 })).json.code).toBe("CAPTURE_EXCEEDS_AUTHORISED");
    const captured = await capture(admin, card.id, tx.id, { amount: 12000 });
    expect(captured.status).toBe(200);
    expect(captured.json.data.transaction).toMatchObject({ state: "CAPTURED", amount: -12000, authorisedAmount: -15000, balanceAfter: 8000 });
    expect(captured.json.data.card).toMatchObject({ balance: 8000, reserved: 0, available: 8000 });
    const again = await capture(admin, card.id, tx.id);
    expect(again.status).toBe(409);
    expect(again.json.code).toBe("TRANSACTION_NOT_AUTHORISED");
    expect((await cancel(admin, card.id, tx.id)).status).toBe(409);
    const s = await stored(card.id);
    expect(s).toMatchObject({ balance: 8000, reserved: 0 });
    expect(ledgerBalance(s.ledger)).toBe(8000);
  });

  it("captures all of an authorisation when no amount is named, and an authorised ADD loads only when captured", async () => {
    const card = await newCard(admin, 1000);
    const use = (await transact(admin, card.id, { kind: "USE", amount: -400, authorise: true })).json.data.transaction;
    expect((await capture(admin, card.id, use.id)).json.data.card).toMatchObject({ balance: 600, reserved: 0 });
    const add = await transact(admin, card.id, { kind: "ADD", amount: 5000, authorise: true });
    expect(add.json.data.card).toMatchObject({ balance: 600, reserved: 0, available: 600 });
    const loaded = await capture(admin, card.id, add.json.data.transaction.id);
    expect(loaded.json.data.card.balance).toBe(5600);
    expect(loaded.json.data.transaction).toMatchObject({ state: "CAPTURED", amount: 5000, balanceAfter: 5600 });
  });

  it("cancels an authorisation, releasing its hold", async () => {
    const card = await newCard(admin, 3000);
    const tx = (await transact(admin, card.id, { kind: "USE", amount: -3000, authorise: true })).json.data.transaction;
    expect((await stored(card.id)).reserved).toBe(3000);
    const cancelled = await cancel(admin, card.id, tx.id);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.data.transaction).toMatchObject({ state: "CANCELLED", amount: -3000 });
    expect(cancelled.json.data.card).toMatchObject({ balance: 3000, reserved: 0, available: 3000 });
    expect((await cancel(admin, card.id, tx.id)).json.code).toBe("TRANSACTION_NOT_AUTHORISED");
    expect((await capture(admin, card.id, tx.id)).json.code).toBe("TRANSACTION_NOT_AUTHORISED");
    // Another card's transaction is not found under this card.
    const other = await newCard(admin, 100);
    expect((await capture(admin, other.id, tx.id)).status).toBe(404);
  });

  it("answers a retried transaction with what it wrote, once, and refuses its id or key for another request", async () => {
    const card = await newCard(admin, 10000);
    const id = crypto.randomUUID();
    const body = { id, kind: "USE", amount: -2500 };
    const first = await transact(admin, card.id, body);
    const second = await transact(admin, card.id, body);
    expect(second.status).toBe(201);
    expect(second.json.data.transaction).toEqual(first.json.data.transaction);
    expect((await transact(admin, card.id, { ...body, amount: -2000 })).json.code).toBe("IDEMPOTENCY_MISMATCH");
    const key = { "Idempotency-Key": crypto.randomUUID() };
    const keyed = await transact(admin, card.id, { kind: "ADD", amount: 100 }, key);
    expect((await transact(admin, card.id, { kind: "ADD", amount: 100 }, key)).json.data.transaction.id).toBe(keyed.json.data.transaction.id);
    expect((await transact(admin, card.id, { kind: "ADD", amount: 200 }, key)).json.code).toBe("IDEMPOTENCY_MISMATCH");
    const s = await stored(card.id);
    expect(s.ledger.map((r) => r.amount)).toEqual([10000, -2500, 100]);
    expect(s.balance).toBe(7600);

    const cardId = crypto.randomUUID();
    const make = { id: cardId, codes: [{ kind: "PHYSICAL", code: freshCode(), pin: "1111" }], initialAmount: 500 };
    expect((await admin.post("/gift-cards", make)).status).toBe(201);
    const remade = await admin.post("/gift-cards", make);
    expect(remade.status).toBe(201);
    expect(remade.json.data.balance).toBe(500);
    expect((await stored(cardId)).ledger).toHaveLength(1);
  });

  it("blocks a card: no use or load, corrections still; unblocked it works again", async () => {
    const card = await newCard(admin, 5000);
    const hold = (await transact(admin, card.id, { kind: "USE", amount: -1000, authorise: true })).json.data.transaction;
    // Every transaction moves the card's version: the one read before the hold is stale now.
    expect((await admin.put(`/gift-cards/${card.id}`, { status: "blocked", version: card.version })).json.code).toBe("VERSION_CONFLICT");
    const blocked = await admin.put(`/gift-cards/${card.id}`, { status: "blocked", version: card.version + 1 });
    expect(blocked.status, JSON.stringify(blocked.json)).toBe(200);
    expect(blocked.json.data.status).toBe("blocked");
    expect((await transact(admin, card.id, { kind: "USE", amount: -100 })).json.code).toBe("GIFT_CARD_BLOCKED");
    expect((await transact(admin, card.id, { kind: "ADD", amount: 100 })).json.code).toBe("GIFT_CARD_BLOCKED");
    expect((await capture(admin, card.id, hold.id)).json.code).toBe("GIFT_CARD_BLOCKED");
    expect((await transact(admin, card.id, { kind: "ADJUST", amount: -500 })).status).toBe(201);
    expect((await cancel(admin, card.id, hold.id)).status).toBe(200);
    await admin.put(`/gift-cards/${card.id}`, { status: "active" });
    expect((await transact(admin, card.id, { kind: "USE", amount: -4500 })).json.data.card.balance).toBe(0);
  });

  it("takes no use or load past the card's last day", async () => {
    const card = await newCard(admin, 5000, { expiresOn: "2020-01-31" });
    expect((await transact(admin, card.id, { kind: "USE", amount: -100 })).json.code).toBe("GIFT_CARD_EXPIRED");
    const extended = await admin.put(`/gift-cards/${card.id}`, { expiresOn: null });
    expect(extended.json.data.expiresOn).toBeNull();
    expect((await transact(admin, card.id, { kind: "USE", amount: -100 })).status).toBe(201);
  });

  it("edits codes: a removed code is freed, a code gets a new PIN, a stale version is 409", async () => {
    const code = freshCode();
    const card = (await admin.post("/gift-cards", { codes: [{ kind: "PHYSICAL", code, pin: "1234" }] })).json.data;
    const stale = await admin.put(`/gift-cards/${card.id}`, { status: "blocked", version: card.version + 1 });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe("VERSION_CONFLICT");
    expect((await admin.post("/gift-cards/lookup", { code, pin: "1234" })).status).toBe(200);
    const repinned = await admin.put(`/gift-cards/${card.id}`, { removeCodeIds: [card.codes[0].id], addCodes: [{ kind: "PHYSICAL", code, pin: "5678" }] });
    expect(repinned.status, JSON.stringify(repinned.json)).toBe(200);
    expect(repinned.json.data.codes).toHaveLength(1);
    expect(repinned.json.data.codes[0].id).not.toBe(card.codes[0].id);
    expect((await admin.post("/gift-cards/lookup", { code, pin: "1234" })).status).toBe(404);
    expect((await admin.post("/gift-cards/lookup", { code, pin: "5678" })).json.data.id).toBe(card.id);
    const other = await newCard(admin, 0);
    expect((await admin.put(`/gift-cards/${other.id}`, { removeCodeIds: [repinned.json.data.codes[0].id] })).json.code).toBe("UNKNOWN_REFERENCE");
    expect((await admin.put(`/gift-cards/${other.id}`, { addCodes: [{ kind: "EXTERNAL", code }] })).json.code).toBe("GIFT_CARD_CODE_TAKEN");
  });

  it("lists cards a page at a time, newest first, with filters", async () => {
    const fresh = await createTenant();
    const caller = as(fresh.adminToken);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await newCard(caller, 100 * (i + 1))).id);
    await caller.put(`/gift-cards/${ids[0]}`, { status: "blocked" });
    const page1 = await caller.get("/gift-cards?pageSize=2");
    expect(page1.json).toMatchObject({ total: 5, page: 1, pageSize: 2 });
    const page3 = await caller.get("/gift-cards?pageSize=2&page=3");
    const all = [...page1.json.data, ...(await caller.get("/gift-cards?pageSize=2&page=2")).json.data, ...page3.json.data];
    expect(new Set(all.map((c: { id: string }) => c.id))).toEqual(new Set(ids));
    expect(all.every((c: { codes: unknown[] }) => c.codes.length === 1)).toBe(true);
    const blocked = await caller.get("/gift-cards?status=blocked");
    expect(blocked.json.data.map((c: { id: string }) => c.id)).toEqual([ids[0]]);
  });
});
