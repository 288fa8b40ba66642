import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { StoreHub, storeHub } from "../../worker/store/hub";
import { shop, type Shop } from "./checkout-fixtures";
import { api } from "./helpers";
import {
  aSale, connectWith, createJob, enrolBridge, FakeBridge, getJob, jobsPath, newJob, statesSeen, TILL_FEATURES, toldState,
} from "./print-jobs-fixtures";

/**
 * Print jobs through the store's hub, over real workerd sockets: the test plays the bridge (a socket opened with a
 * bridge device's credential, answering job.ack and job.status) and a till (a socket that asked for job.status).
 */

/** Run SQL on the store hub's own storage (to age jobs as time would). */
const hubSql = (s: Shop, query: string, ...params: unknown[]) =>
  runInDurableObject(storeHub(env, s.t.tenantId, s.t.storeId), (_hub: StoreHub, state) => {
    state.storage.sql.exec(query, ...(params as SqlStorageValue[]));
  });

describe("print jobs: the life of a job", () => {
  it("a receipt job goes to the bridge, is acked and printed; the till sees each state live and GET the same", async () => {
    const s = await shop();
    const sale = await aSale(s);
    const bridge = await FakeBridge.connect((await enrolBridge(s.t)).credential);
    const till = await connectWith(s.till.credential, TILL_FEATURES);

    const created = await newJob(s, { kind: "receipt", saleId: sale.id });
    expect(created).toMatchObject({ kind: "receipt", saleId: sale.id, copy: false, state: "sent", printerId: null, userId: s.cashier.id, deviceId: s.till.deviceId, reprintOf: null });
    const [job] = await bridge.received(1);
    expect(job).toMatchObject({ id: created.id, seq: created.seq, printerId: null, requestedBy: s.till.deviceId, payload: { kind: "receipt", saleId: sale.id, copy: false } });
    // The receipt model, as POST /sales/print makes it.
    const printed = await api("POST", "/api/v1/sales/print", { token: s.cashier.token, body: { saleId: sale.id } });
    expect(job.payload.model).toEqual(printed.json.data.receipt);
    expect(job.payload.model.receiptNumber).toBe(sale.receiptNumber);
    await toldState(till, created.id, "sent");

    bridge.ack(created.id);
    await toldState(till, created.id, "acked");
    expect((await getJob(s, created.id)).json.data).toMatchObject({ state: "acked", ackedAt: expect.any(String), finishedAt: null, bridgeId: expect.any(String) });

    bridge.outcome(created.id, "printed");
    const told = await toldState(till, created.id, "printed");
    expect(told).toEqual({ v: 1, type: "job.status", jobId: created.id, state: "printed", reason: null, at: expect.any(Number) });
    expect(statesSeen(till, created.id)).toEqual(["queued", "sent", "acked", "printed"]);
    const got = (await getJob(s, created.id)).json.data;
    expect(got).toMatchObject({ id: created.id, state: "printed", reason: null, finishedAt: expect.any(String) });
    expect(bridge.jobs()).toHaveLength(1);
    bridge.close();
    till.close();
  });

  it("jobs made while the bridge is offline wait, queued, and arrive in order when it connects", async () => {
    const s = await shop();
    const sale = await aSale(s);
    const made = [];
    for (const body of [{ kind: "test" }, { kind: "receipt", saleId: sale.id }, { kind: "test", printerId: "front" }]) made.push(await newJob(s, body));
    expect(made.map((j) => j.state)).toEqual(["queued", "queued", "queued"]);
    expect(made.map((j) => j.seq)).toEqual([...made.map((j) => j.seq)].sort((a, b) => a - b));
    const list = await api("GET", jobsPath(s.t.storeId), { token: s.cashier.token });
    expect(list.json.data.map((j: { id: string }) => j.id)).toEqual(made.map((j) => j.id).reverse());
    expect(list.json.total).toBe(3);

    const bridge = await FakeBridge.connect((await enrolBridge(s.t)).credential);
    const jobs = await bridge.received(3);
    expect(jobs.map((j) => j.id)).toEqual(made.map((j) => j.id));
    expect(jobs.map((j) => j.payload.kind)).toEqual(["test", "receipt", "test"]);
    expect(jobs[2].printerId).toBe("front");
    const sent = await api("GET", `${jobsPath(s.t.storeId)}?state=sent`, { token: s.cashier.token });
    expect(sent.json.total).toBe(3);
    bridge.close();
  });

  it("redelivers what was sent and never acked once the bridge reconnects, and never what it acked", async () => {
    const s = await shop();
    const { credential } = await enrolBridge(s.t);
    const first = await FakeBridge.connect(credential);
    const a = await newJob(s, { kind: "test" });
    const b = await newJob(s, { kind: "test" });
    await first.received(2);
    first.ack(a.id);
    await first.settle();
    first.close();
    await first.socket.waitClosed();

    const c = await newJob(s, { kind: "test" });
    expect(c.state).toBe("queued");
    const again = await FakeBridge.connect(credential);
    const jobs = await again.received(2);
    await again.settle();
    expect(again.jobs().map((j) => j.id)).toEqual([b.id, c.id]);
    expect((await getJob(s, a.id)).json.data.state).toBe("acked");
    for (const j of jobs) again.ack(j.id);
    for (const j of [a, b, c]) again.outcome(j.id, "printed");
    await again.settle();
    const finals = await Promise.all([a, b, c].map(async (j) => (await getJob(s, j.id)).json.data.state));
    expect(finals).toEqual(["printed", "printed", "printed"]);
    again.close();
  });

  it("a drawer kick sent but not acked when the socket drops becomes unknown and is never sent again", async () => {
    const s = await shop();
    const { credential } = await enrolBridge(s.t);
    const till = await connectWith(s.till.credential, TILL_FEATURES);
    const bridge = await FakeBridge.connect(credential);
    const kick = await api("POST", `/api/v1/stores/${s.t.storeId}/drawer-kicks`, { token: s.cashier.token, body: { pin: 2 } });
    expect(kick.status).toBe(201);
    expect(kick.json.data).toMatchObject({ kind: "drawer", state: "sent" });
    const [job] = await bridge.received(1);
    expect(job.payload).toEqual({ kind: "drawer", pin: 2 });
    bridge.close();

    const told = await toldState(till, kick.json.data.id, "unknown");
    expect(told.reason).toBe("connection_lost");
    expect((await getJob(s, kick.json.data.id)).json.data).toMatchObject({ state: "unknown", reason: "connection_lost" });

    const back = await FakeBridge.connect(credential);
    const later = await newJob(s, { kind: "test" });
    await back.received(1);
    await back.settle();
    expect(back.jobs().map((j) => j.id)).toEqual([later.id]);
    back.close();
    till.close();
  });

  it("a drawer kick that waited more than 2 minutes for an offline bridge fails (expired) instead of opening the drawer", async () => {
    const s = await shop();
    const { credential } = await enrolBridge(s.t);
    const kick = await api("POST", `/api/v1/stores/${s.t.storeId}/drawer-kicks`, { token: s.cashier.token, body: {} });
    const receipt = await newJob(s, { kind: "test" });
    await hubSql(s, "UPDATE print_jobs SET created_at = created_at - 180000");

    const bridge = await FakeBridge.connect(credential);
    await bridge.received(1);
    await bridge.settle();
    expect(bridge.jobs().map((j) => j.id)).toEqual([receipt.id]);
    expect((await getJob(s, kick.json.data.id)).json.data).toMatchObject({ state: "failed", reason: "expired" });
    bridge.close();
  });

  it("failed and unknown outcomes keep their reason; a finished job stays as it finished", async () => {
    const s = await shop();
    const bridge = await FakeBridge.connect((await enrolBridge(s.t)).credential);
    const a = await newJob(s, { kind: "test" });
    const b = await newJob(s, { kind: "test" });
    await bridge.received(2);
    bridge.ack(a.id);
    bridge.outcome(a.id, "failed", "paper_out");
    bridge.outcome(b.id, "unknown", "partial_write");
    bridge.outcome(a.id, "printed");
    await bridge.settle();
    expect((await getJob(s, a.id)).json.data).toMatchObject({ state: "failed", reason: "paper_out" });
    expect((await getJob(s, b.id)).json.data).toMatchObject({ state: "unknown", reason: "partial_write", ackedAt: expect.any(String) });
    bridge.close();
  });
});

describe("print jobs: reprint", () => {
  it("reprints a printed receipt as a copy naming the old job; refuses one still in flight and a drawer kick", async () => {
    const s = await shop();
    const sale = await aSale(s);
    const bridge = await FakeBridge.connect((await enrolBridge(s.t)).credential);
    const original = await newJob(s, { kind: "receipt", saleId: sale.id });
    await bridge.received(1);
    const reprint = (jobId: string) => api("POST", `${jobsPath(s.t.storeId)}/${jobId}/reprint`, { token: s.cashier.token });

    const early = await reprint(original.id);
    expect(early.status).toBe(409);
    expect(early.json.code).toBe("JOB_NOT_FINISHED");

    bridge.ack(original.id);
    bridge.outcome(original.id, "printed");
    await bridge.settle();
    const again = await reprint(original.id);
    expect(again.status).toBe(201);
    expect(again.json.data).toMatchObject({ kind: "receipt", saleId: sale.id, copy: true, reprintOf: original.id, state: "sent" });
    expect(again.json.data.id).not.toBe(original.id);
    const jobs = await bridge.received(2);
    expect(jobs[1]).toMatchObject({ id: again.json.data.id, payload: { kind: "receipt", copy: true, model: { copy: true, receiptNumber: sale.receiptNumber } } });
    expect(jobs[0].payload.model.copy).toBe(false);

    const kick = await api("POST", `/api/v1/stores/${s.t.storeId}/drawer-kicks`, { token: s.cashier.token, body: {} });
    await bridge.received(3);
    bridge.ack(kick.json.data.id);
    bridge.outcome(kick.json.data.id, "printed");
    await bridge.settle();
    const drawer = await reprint(kick.json.data.id);
    expect(drawer.status).toBe(422);
    expect(drawer.json.code).toBe("NOT_REPRINTABLE");

    expect((await reprint(crypto.randomUUID())).status).toBe(404);
    bridge.close();
  });

  it("reprints an unknown job when a person asks, and never on its own", async () => {
    const s = await shop();
    const bridge = await FakeBridge.connect((await enrolBridge(s.t)).credential);
    const job = await newJob(s, { kind: "test" });
    await bridge.received(1);
    bridge.ack(job.id);
    bridge.outcome(job.id, "unknown", "partial_write");
    await bridge.settle();
    expect(bridge.jobs()).toHaveLength(1);
    const again = await api("POST", `${jobsPath(s.t.storeId)}/${job.id}/reprint`, { token: s.cashier.token });
    expect(again.status).toBe(201);
    expect(again.json.data).toMatchObject({ kind: "test", reprintOf: job.id, copy: false });
    expect((await bridge.received(2))[1].id).toBe(again.json.data.id);
    bridge.close();
  });
});

describe("print jobs: idempotency", () => {
  it("the same Idempotency-Key and body answer the same job and print once; another body with the key is 422", async () => {
    const s = await shop();
    const sale = await aSale(s);
    const bridge = await FakeBridge.connect((await enrolBridge(s.t)).credential);
    const key = { "Idempotency-Key": crypto.randomUUID() };
    const body = { kind: "receipt", saleId: sale.id };
    const [one, two] = await Promise.all([createJob(s, body, key), createJob(s, body, key)]);
    const third = await createJob(s, body, key);
    for (const res of [one, two, third]) expect(res.status).toBe(201);
    expect(new Set([one.json.data.id, two.json.data.id, third.json.data.id]).size).toBe(1);
    await bridge.received(1);
    await bridge.settle();
    expect(bridge.jobs()).toHaveLength(1);

    const other = await createJob(s, { kind: "receipt", saleId: sale.id, copy: true }, key);
    expect(other.status).toBe(422);
    expect(other.json.code).toBe("IDEMPOTENCY_MISMATCH");
    const kick = await api("POST", `/api/v1/stores/${s.t.storeId}/drawer-kicks`, { token: s.cashier.token, body: {}, headers: key });
    expect(kick.status).toBe(201); // keys are per route: the drawer's is its own
    const list = await api("GET", jobsPath(s.t.storeId), { token: s.cashier.token });
    expect(list.json.total).toBe(2);
    expect((await createJob(s, body, { "Idempotency-Key": "has spaces" })).json.code).toBe("INVALID_IDEMPOTENCY_KEY");
    bridge.close();
  });
});

describe("print jobs: history", () => {
  it("forgets jobs older than 7 days when the next job is made", async () => {
    const s = await shop();
    const old = await newJob(s, { kind: "test" });
    await hubSql(s, "UPDATE print_jobs SET created_at = created_at - ?", 8 * 24 * 3_600_000);
    expect((await getJob(s, old.id)).status).toBe(200);
    const fresh = await newJob(s, { kind: "test" });
    expect((await getJob(s, old.id)).status).toBe(404);
    expect((await getJob(s, fresh.id)).json.data.state).toBe("queued");
  });
});
