import { env, runInDurableObject } from "cloudflare:test";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import type { HubCaller } from "../../worker/store/hub-protocol";
import { SerialQueue } from "../../worker/store/serial-queue";
import { StoreHub, storeHub } from "../../worker/store/hub";
import { createTenant, enrolTill, type TestTenant } from "./helpers";
import { catalogue, closeById, expectError, insertSales, openAt, openSession, random, randomSale, cashEvent } from "./registers-fixtures";

/** The store's hub itself: its queue, its own copy of the registers, and how it recovers when that copy lags D1. */

const callerOf = (t: TestTenant, storeId = t.storeId): HubCaller => {
  const claims = decodeJwt(t.adminToken);
  return { tenantId: t.tenantId, storeId, userId: claims.sub!, guard: { session: claims.ses as string }, deviceId: null, requestId: crypto.randomUUID(), ip: "10.0.0.1" };
};

const registerOf = async (t: TestTenant) => {
  const till = await enrolTill(t);
  const row = await env.DB.prepare("SELECT id, code, name FROM registers WHERE id = ?").bind(till.registerId).first<{ id: string; code: string; name: string }>();
  return row!;
};

type HubEnv = { env: typeof env };

/** runInDurableObject typed for the hub (its Env is the Worker's, not the test's, which adds the migrations). */
const inHub = <R>(hub: ReturnType<typeof storeHub>, body: (instance: StoreHub, state: DurableObjectState) => R | Promise<R>) =>
  runInDurableObject(hub, (instance, state) => body(instance as unknown as StoreHub, state));

/**
 * Run `body` with the hub's D1 binding wrapped: `prepare` sees each statement's SQL before it is batched, `batch`
 * may act before the batch goes to D1. The hub's own binding is put back afterwards.
 */
async function withD1Hooks<R>(hub: StoreHub, hooks: { prepare?(sql: string): void; batch?(): Promise<void> | void; settled?(): void }, body: () => Promise<R>): Promise<R> {
  const holder = hub as unknown as HubEnv;
  const original = holder.env;
  const db = original.DB;
  const wrapped = new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => (hooks.prepare?.(sql), target.prepare(sql));
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          await hooks.batch?.();
          try {
            return await target.batch(statements);
          } finally {
            hooks.settled?.();
          }
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  holder.env = { ...original, DB: wrapped };
  try {
    return await body();
  } finally {
    holder.env = original;
  }
}

describe("StoreHub", () => {
  it("is one Durable Object per store, reachable by RPC", async () => {
    const a = storeHub(env, "tenant-a", "store-1");
    expect(await a.ping()).toEqual({ ok: true });
    expect(storeHub(env, "tenant-a", "store-1").id.toString()).toBe(a.id.toString());
    expect(storeHub(env, "tenant-a", "store-2").id.toString()).not.toBe(a.id.toString());
    await runInDurableObject(a, (instance) => expect(instance).toBeInstanceOf(StoreHub));
  });

  it("runs queued tasks one at a time, in order, whatever each one awaits or throws", async () => {
    const queue = new SerialQueue();
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const task = (i: number) => queue.run(async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, (7 - i) % 3));
      order.push(i);
      running--;
      if (i === 2) throw new Error("task 2 fails");
      return i;
    });
    const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map(task));
    expect(most).toBe(1);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
  });

  it("serialises the store's commands: opens of one register at once give one session, and D1 sees one command at a time", async () => {
    const t = await createTenant();
    const [one, ...others] = await Promise.all([registerOf(t), registerOf(t), registerOf(t), registerOf(t)]);
    const hub = storeHub(env, t.tenantId, t.storeId);
    await inHub(hub, async (instance) => {
      let inFlight = 0;
      let most = 0;
      const replies = await withD1Hooks(instance, { batch: () => void (most = Math.max(most, ++inFlight)), settled: () => void inFlight-- }, () =>
        Promise.all([
          ...Array.from({ length: 6 }, (_, i) => instance.openSession({ caller: callerOf(t), register: one!, openingFloat: 100 + i })),
          ...others.map((register) => instance.openSession({ caller: callerOf(t), register, openingFloat: 0 })),
        ]),
      );
      expect(most).toBe(1);
      const mine = replies.slice(0, 6);
      expect(mine.filter((r) => r.ok)).toHaveLength(1);
      for (const r of mine.filter((x) => !x.ok)) expect(r).toMatchObject({ ok: false, error: { kind: "conflict", code: "REGISTER_ALREADY_OPEN" } });
      expect(replies.slice(6).every((r) => r.ok)).toBe(true);
      // Every answer says what it cost in D1 round trips.
      expect(replies.every((r) => r.d1.count >= 1)).toBe(true);
    });
    const open = await env.DB.prepare("SELECT count(*) AS n FROM register_sessions WHERE register_id = ? AND status = 'open'").bind(one!.id).first<{ n: number }>();
    expect(open!.n).toBe(1);
  });

  it("keeps each register's open session, last Z number and grand total in its storage, and rebuilds them from D1", async () => {
    const t = await createTenant();
    const register = await registerOf(t);
    const hub = storeHub(env, t.tenantId, t.storeId);
    const first = await openSession(t.adminToken, 1000, { registerId: register.id });
    expect(await hub.registers()).toEqual([{ registerId: register.id, openSessionId: first.id, lastZNumber: 0, grandTotal: 0 }]);
    const cat = await catalogue(t);
    const sales = Array.from({ length: 5 }, () => randomSale(random(5), { id: first.id, registerId: register.id, storeId: t.storeId, cashierId: t.adminId }, cat.products, "card"));
    await insertSales(t.tenantId, sales);
    const net = sales.reduce((s, x) => s + x.totalDue, 0);
    expect((await closeById(t.adminToken, first.id, {})).status).toBe(200);
    expect(await hub.registers()).toEqual([{ registerId: register.id, openSessionId: null, lastZNumber: 1, grandTotal: net }]);

    // The copy is gone (a new hub, storage lost): the next command reads it back from D1.
    await runInDurableObject(hub, (_instance, state) => void state.storage.sql.exec("DELETE FROM register_state"));
    expect(await hub.registers()).toEqual([]);
    const second = await openSession(t.adminToken, 0, { registerId: register.id });
    expect(await hub.registers()).toEqual([{ registerId: register.id, openSessionId: second.id, lastZNumber: 1, grandTotal: net }]);
    const closed = await closeById(t.adminToken, second.id, {});
    expect(closed.json.data.zReport).toMatchObject({ zNumber: 2, previousGrandTotal: net, grandTotal: net });
  });

  it("never answers wrongly from a copy that lags D1 (the hub stopped between its D1 write and its own)", async () => {
    const t = await createTenant();
    const register = await registerOf(t);
    const hub = storeHub(env, t.tenantId, t.storeId);
    const setCopy = (copy: { openSessionId: string | null; lastZNumber: number; grandTotal: number }) =>
      runInDurableObject(hub, (_i, state) => void state.storage.sql.exec(
        "UPDATE register_state SET open_session_id = ?, last_z_number = ?, grand_total = ? WHERE register_id = ?", copy.openSessionId, copy.lastZNumber, copy.grandTotal, register.id));

    const first = await openSession(t.adminToken, 0, { registerId: register.id });
    // The copy forgot the open session: D1's one-open-session index still refuses a second one.
    await setCopy({ openSessionId: null, lastZNumber: 0, grandTotal: 0 });
    expectError(await openAt(t.adminToken, 0, { registerId: register.id }), 409, "REGISTER_ALREADY_OPEN");
    expect((await hub.registers())[0]).toMatchObject({ openSessionId: first.id });
    // The copy lost the session too: a cash event in it is still taken (D1 says it is open).
    await setCopy({ openSessionId: null, lastZNumber: 0, grandTotal: 0 });
    expect((await cashEvent(t.adminToken, first.id, { kind: "drop", amount: 100 })).status).toBe(201);
    expect((await closeById(t.adminToken, first.id, {})).json.data.zReport.zNumber).toBe(1);

    // The copy still thinks the closed session is open: opening again is confirmed against D1 and goes through.
    await setCopy({ openSessionId: first.id, lastZNumber: 0, grandTotal: 0 });
    const second = await openSession(t.adminToken, 0, { registerId: register.id });
    // The copy missed the last close: its Z number is taken in D1, so the hub reads D1 again and takes the next one.
    await setCopy({ openSessionId: second.id, lastZNumber: 0, grandTotal: 0 });
    const closed = await closeById(t.adminToken, second.id, {});
    expect(closed.status).toBe(200);
    expect(closed.json.data.zReport).toMatchObject({ zNumber: 2, previousGrandTotal: 0 });
    const numbers = await env.DB.prepare("SELECT z_number FROM z_reports WHERE register_id = ? ORDER BY z_number").bind(register.id).all();
    expect(numbers.results).toEqual([{ z_number: 1 }, { z_number: 2 }]);
  });

  it("reads again when a sale lands between the close's read and its write, so the Z report has every sale", async () => {
    const t = await createTenant();
    const register = await registerOf(t);
    const cat = await catalogue(t);
    const session = await openSession(t.adminToken, 0, { registerId: register.id });
    const ref = { id: session.id, registerId: register.id, storeId: t.storeId, cashierId: t.adminId };
    const rng = random(3);
    const early = randomSale(rng, ref, cat.products, "card");
    const late = randomSale(rng, ref, cat.products, "card");
    await insertSales(t.tenantId, [early]);
    const hub = storeHub(env, t.tenantId, t.storeId);
    await inHub(hub, async (instance) => {
      let writing = false;
      let landed = false;
      const reply = await withD1Hooks(instance, {
        prepare: (sql) => void (/^update "register_sessions"/i.test(sql) && (writing = true)),
        batch: async () => {
          if (writing && !landed) {
            landed = true;
            await insertSales(t.tenantId, [late]);
          }
          writing = false;
        },
      }, () => instance.closeSession({ caller: callerOf(t), sessionId: session.id, registerId: register.id, counted: {} }));
      expect(landed).toBe(true);
      expect(reply.ok).toBe(true);
      if (!reply.ok) return;
      expect(reply.value.zReport.sales).toEqual({ count: 2, amount: early.totalDue + late.totalDue });
    });
  });

  it("gives up with 409 SESSION_BUSY, writing nothing, when sales keep landing during the close", async () => {
    const t = await createTenant();
    const register = await registerOf(t);
    const cat = await catalogue(t);
    const session = await openSession(t.adminToken, 0, { registerId: register.id });
    const ref = { id: session.id, registerId: register.id, storeId: t.storeId, cashierId: t.adminId };
    const rng = random(4);
    const hub = storeHub(env, t.tenantId, t.storeId);
    let landed = 0;
    await inHub(hub, async (instance) => {
      let writing = false;
      const reply = await withD1Hooks(instance, {
        prepare: (sql) => void (/^update "register_sessions"/i.test(sql) && (writing = true)),
        batch: async () => {
          if (writing) {
            landed++;
            await insertSales(t.tenantId, [randomSale(rng, ref, cat.products, "card")]);
          }
          writing = false;
        },
      }, () => instance.closeSession({ caller: callerOf(t), sessionId: session.id, registerId: register.id, counted: {} }));
      expect(reply).toMatchObject({ ok: false, error: { kind: "conflict", code: "SESSION_BUSY" } });
    });
    expect(landed).toBe(5);
    expect(await env.DB.prepare("SELECT status FROM register_sessions WHERE id = ?").bind(session.id).first()).toEqual({ status: "open" });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM z_reports WHERE session_id = ?").bind(session.id).first()).toEqual({ n: 0 });
    // Once the sales stop, it closes with all of them.
    const closed = await closeById(t.adminToken, session.id, {});
    expect(closed.json.data.zReport.sales.count).toBe(5);
  });

  it("serves only the store it is named for", async () => {
    const t = await createTenant();
    const register = await registerOf(t);
    const hub = storeHub(env, t.tenantId, t.storeId);
    await openSession(t.adminToken, 0, { registerId: register.id });
    await inHub(hub, async (instance) => {
      await expect(instance.openSession({ caller: callerOf(t, crypto.randomUUID()), register, openingFloat: 0 })).rejects.toThrow(/serves store/);
    });
  });
});
