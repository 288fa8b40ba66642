import { beforeAll, describe, expect, it } from "vitest";
import { as, capture, ledgerBalance, newCard, statuses, stored, transact, type Caller } from "./giftcards-fixtures";
import { createTenant, type TestTenant } from "./helpers";

/** Real concurrent requests: each is its own Worker invocation, their D1 batches interleave as D1 runs them. */
describe("gift cards under concurrency: the balance never goes below zero", () => {
  let t: TestTenant;
  let admin: Caller;
  beforeAll(async () => {
    t = await createTenant();
    admin = as(t.adminToken);
  });

  it("two uses of the last 100 kr at once: exactly one is taken", async () => {
    const card = await newCard(admin, 10000);
    const both = await Promise.all([transact(admin, card.id, { kind: "USE", amount: -10000 }), transact(admin, card.id, { kind: "USE", amount: -10000 })]);
    expect(statuses(both)).toEqual([201, 422]);
    expect(both.find((r) => r.status === 422)!.json.code).toBe("INSUFFICIENT_FUNDS");
    const s = await stored(card.id);
    expect(s).toMatchObject({ balance: 0, reserved: 0 });
    expect(s.ledger.filter((r) => r.kind === "USE")).toHaveLength(1);
  });

  it("two captures of one authorisation at once: one captures, the other is refused, the money moves once", async () => {
    const card = await newCard(admin, 10000);
    const tx = (await transact(admin, card.id, { kind: "USE", amount: -10000, authorise: true })).json.data.transaction;
    const both = await Promise.all([capture(admin, card.id, tx.id), capture(admin, card.id, tx.id)]);
    expect(statuses(both)).toEqual([200, 409]);
    expect(both.find((r) => r.status === 409)!.json.code).toBe("TRANSACTION_NOT_AUTHORISED");
    const s = await stored(card.id);
    expect(s).toMatchObject({ balance: 0, reserved: 0 });
    expect(s.ledger.map((r) => [r.state, r.amount])).toEqual([["COMPLETED", 10000], ["CAPTURED", -10000]]);
  });

  it("a capture and a cancel of one authorisation at once: exactly one of them settles it", async () => {
    const card = await newCard(admin, 10000);
    const tx = (await transact(admin, card.id, { kind: "USE", amount: -10000, authorise: true })).json.data.transaction;
    const both = await Promise.all([capture(admin, card.id, tx.id), admin.post(`/gift-cards/${card.id}/transactions/${tx.id}/cancel`)]);
    expect(statuses(both)).toEqual([200, 409]);
    const s = await stored(card.id);
    expect(s.reserved).toBe(0);
    expect(s.balance).toBe(both[0]!.status === 200 ? 0 : 10000);
  });

  it("the same capture retried at once with one Idempotency-Key: both answer the one capture", async () => {
    const card = await newCard(admin, 10000);
    const tx = (await transact(admin, card.id, { kind: "USE", amount: -6000, authorise: true })).json.data.transaction;
    const key = { "Idempotency-Key": crypto.randomUUID() };
    const both = await Promise.all([capture(admin, card.id, tx.id, {}, key), capture(admin, card.id, tx.id, {}, key)]);
    expect(statuses(both)).toEqual([200, 200]);
    expect(both[0]!.json.data.transaction).toEqual(both[1]!.json.data.transaction);
    expect((await stored(card.id)).balance).toBe(4000);
  });

  it("twelve authorisations of 100 kr at once on a card of 300 kr: exactly three hold", async () => {
    const card = await newCard(admin, 30000);
    const all = await Promise.all(Array.from({ length: 12 }, () => transact(admin, card.id, { kind: "USE", amount: -10000, authorise: true })));
    expect(all.filter((r) => r.status === 201)).toHaveLength(3);
    expect(all.filter((r) => r.status === 422).every((r) => r.json.code === "INSUFFICIENT_FUNDS")).toBe(true);
    const s = await stored(card.id);
    expect(s).toMatchObject({ balance: 30000, reserved: 30000 });
    expect(s.ledger.filter((r) => r.state === "AUTHORISED")).toHaveLength(3);
  });

  it("a mixed storm of uses, loads and holds leaves the balance what the ledger says, never below zero", async () => {
    const card = await newCard(admin, 5000);
    const requests = Array.from({ length: 24 }, (_, i) =>
      i % 3 === 0 ? transact(admin, card.id, { kind: "ADD", amount: 1000 })
      : i % 3 === 1 ? transact(admin, card.id, { kind: "USE", amount: -2000 })
      : transact(admin, card.id, { kind: "USE", amount: -1500, authorise: true }));
    const answers = await Promise.all(requests);
    expect(answers.every((r) => r.status === 201 || (r.status === 422 && r.json.code === "INSUFFICIENT_FUNDS"))).toBe(true);
    const s = await stored(card.id);
    expect(s.balance).toBe(ledgerBalance(s.ledger));
    expect(s.reserved).toBe(s.ledger.filter((r) => r.state === "AUTHORISED").reduce((sum, r) => sum - r.amount, 0));
    expect(s.balance - s.reserved).toBeGreaterThanOrEqual(0);
    // Every ADD got in (loads are never refused for funds).
    expect(s.ledger.filter((r) => r.kind === "ADD")).toHaveLength(9);
    // Each balance-after is the balance the card had right after that row committed: replaying the ledger in
    // commit order gives every one of them, and none is below what the holds made so far kept back.
    let running = 0;
    for (const row of s.ledger.filter((r) => r.state === "COMPLETED")) {
      running += row.amount;
      expect(row.balance_after).toBe(running);
    }
    expect(running).toBe(s.balance);
  });
});
