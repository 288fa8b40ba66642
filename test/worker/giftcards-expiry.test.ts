import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../worker/index";
import { as, capture, newCard, stored, transact, type Caller } from "./giftcards-fixtures";
import { auditOf, createTenant, userWith, type TestTenant } from "./helpers";

/** The Worker's cron trigger, run for real at `at` (the instant the cron was due). */
async function runCron(at: number) {
  const ctx = createExecutionContext();
  const handler: ExportedHandlerScheduledHandler<typeof env> = worker.scheduled;
  await handler(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("gift cards: authorisations left uncaptured expire after the tenant's hold", () => {
  let t: TestTenant;
  let admin: Caller;
  beforeAll(async () => {
    t = await createTenant();
    admin = as(t.adminToken);
  });

  it("keeps the hold as a tenant setting: 7 days unless an administrator changes it", async () => {
    expect((await admin.get("/gift-cards/settings")).json.data).toEqual({ authorisationHoldMinutes: 7 * 24 * 60 });
    const viewer = await userWith(t, ["giftcards.view", "giftcards.use"]);
    expect((await as(viewer.token).put("/gift-cards/settings", { authorisationHoldMinutes: 60 })).status).toBe(403);
    expect((await admin.put("/gift-cards/settings", { authorisationHoldMinutes: 1 })).json.fields).toEqual([{ path: "authorisationHoldMinutes", message: "must be at least 5 minutes" }]);
    const changed = await admin.put("/gift-cards/settings", { authorisationHoldMinutes: 30 });
    expect(changed.json.data).toEqual({ authorisationHoldMinutes: 30 });
    expect((await as(viewer.token).get("/gift-cards/settings")).json.data).toEqual({ authorisationHoldMinutes: 30 });
    expect((await auditOf(t.tenantId)).map((a) => a.action)).toContain("gift_card.settings");
  });

  it("cancels an authorisation as EXPIRED when the cron runs past its time, releasing the hold; one not yet due stays", async () => {
    const card = await newCard(admin, 10000);
    const due = (await transact(admin, card.id, { kind: "USE", amount: -4000, authorise: true })).json.data.transaction;
    expect(Date.parse(due.expiresAt) - Date.parse(due.createdAt)).toBe(30 * 60_000);
    await admin.put("/gift-cards/settings", { authorisationHoldMinutes: 120 });
    const later = (await transact(admin, card.id, { kind: "USE", amount: -1000, authorise: true })).json.data.transaction;
    // Authorisations keep the hold they were made with.
    expect(Date.parse(later.expiresAt) - Date.parse(later.createdAt)).toBe(120 * 60_000);
    expect((await stored(card.id)).reserved).toBe(5000);

    await runCron(Date.now());
    await runCron(Date.parse(due.expiresAt) - 1);
    expect((await stored(card.id)).ledger.filter((r) => r.state === "AUTHORISED")).toHaveLength(2);

    await runCron(Date.parse(due.expiresAt));
    const s = await stored(card.id);
    expect(s).toMatchObject({ balance: 10000, reserved: 1000 });
    expect(s.ledger.find((r) => r.id === due.id)).toMatchObject({ state: "EXPIRED", settled_at: Date.parse(due.expiresAt), balance_after: null });
    expect(s.ledger.find((r) => r.id === later.id)).toMatchObject({ state: "AUTHORISED" });
    const answered = (await admin.get(`/gift-cards/${card.id}/transactions`)).json.data.find((x: { id: string }) => x.id === due.id);
    expect(answered).toMatchObject({ state: "EXPIRED", settledAt: due.expiresAt });

    // Expired is settled: it cannot be captured or cancelled any more, and the released money can be spent.
    expect((await capture(admin, card.id, due.id)).json).toMatchObject({ code: "TRANSACTION_NOT_AUTHORISED" });
    expect((await transact(admin, card.id, { kind: "USE", amount: -9000 })).status).toBe(201);
    // A second run finds nothing more of it to do.
    await runCron(Date.parse(due.expiresAt) + 60_000);
    expect((await stored(card.id)).reserved).toBe(1000);

    await runCron(Date.parse(later.expiresAt));
    expect(await stored(card.id)).toMatchObject({ balance: 1000, reserved: 0 });
  });

  it("refuses to capture an authorisation past its time even before the cron has run", async () => {
    const card = await newCard(admin, 5000);
    const tx = (await transact(admin, card.id, { kind: "USE", amount: -5000, authorise: true })).json.data.transaction;
    // Time passes: the hold ran out a second ago, and the cron has not come round yet.
    await env.DB.prepare("UPDATE gift_card_transactions SET expires_at = ? WHERE id = ?").bind(Date.now() - 1000, tx.id).run();
    const late = await capture(admin, card.id, tx.id);
    expect(late.status).toBe(409);
    expect(late.json.code).toBe("AUTHORISATION_EXPIRED");
    expect(await stored(card.id)).toMatchObject({ balance: 5000, reserved: 5000 });
    await runCron(Date.now());
    expect(await stored(card.id)).toMatchObject({ balance: 5000, reserved: 0 });
  });

  it("expires many authorisations of many cards in one run, each card's holds released exactly", async () => {
    const other = await createTenant();
    const cards = [await newCard(admin, 100_000), await newCard(admin, 100_000), await newCard(as(other.adminToken), 100_000)];
    const caller = (i: number) => (i === 2 ? as(other.adminToken) : admin);
    const holds = await Promise.all(cards.flatMap((card, i) => Array.from({ length: 5 }, (_, k) => transact(caller(i), card.id, { kind: "USE", amount: -(1000 + k), authorise: true }))));
    expect(holds.every((h) => h.status === 201)).toBe(true);
    // A captured one is no longer due, whatever its time.
    await capture(admin, cards[0]!.id, holds[0]!.json.data.transaction.id);
    const latest = Math.max(...holds.map((h) => Date.parse(h.json.data.transaction.expiresAt)));
    await runCron(latest);
    for (const card of cards) {
      const s = await stored(card.id);
      expect(s.reserved).toBe(0);
      expect(s.ledger.filter((r) => r.state === "AUTHORISED")).toHaveLength(0);
    }
    expect((await stored(cards[0]!.id)).ledger.filter((r) => r.state === "EXPIRED")).toHaveLength(4);
    expect((await stored(cards[2]!.id)).ledger.filter((r) => r.state === "EXPIRED")).toHaveLength(5);
    expect((await stored(cards[0]!.id)).balance).toBe(100_000 - 1000);
  });
});
