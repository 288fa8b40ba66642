import { describe, expect, it } from "vitest";
import { shop } from "./checkout-fixtures";
import { api, createTenant, enrolTill } from "./helpers";
import { connectWith, enrolBridge, FakeBridge, getJob, newJob, printer, settle, TILL_FEATURES } from "./print-jobs-fixtures";
import { openSocket } from "./sync-ws-fixtures";

/** What the hub relays between the bridge and the tills: scans, the bridge's device status, and who gets what. */

const SYNC_TYPES = new Set(["welcome", "behind", "changed", "pong"]);

describe("bridge relay: scans", () => {
  it("a scan reaches every till that asked for scans, or only the till of its registerId", async () => {
    const t = await createTenant();
    const [one, two, quiet] = await Promise.all([enrolTill(t), enrolTill(t), enrolTill(t)]);
    const { credential, deviceId } = await enrolBridge(t);
    const tillOne = await connectWith(one.credential, ["scan"]);
    const tillTwo = await connectWith(two.credential, TILL_FEATURES);
    const tillQuiet = await connectWith(quiet.credential);
    const bridge = await FakeBridge.connect(credential);

    bridge.scan("7310865004703");
    for (const till of [tillOne, tillTwo]) {
      expect(await till.next("scan")).toEqual({ v: 1, type: "scan", bridgeId: deviceId, scannerId: "scanner-1", text: "7310865004703", registerId: null, at: expect.any(Number) });
    }
    bridge.scan("7350053850019", two.registerId);
    const targeted = await tillTwo.until("the targeted scan", () => tillTwo.messages.find((m) => m.type === "scan" && m.text === "7350053850019"));
    expect(targeted.registerId).toBe(two.registerId);
    await bridge.settle();
    await Promise.all([settle(tillOne), settle(tillQuiet)]);
    expect(tillOne.messages.filter((m) => m.type === "scan").map((m) => m.text)).toEqual(["7310865004703"]);
    expect(tillQuiet.messages.filter((m) => !SYNC_TYPES.has(m.type))).toEqual([]);
    for (const s of [tillOne, tillTwo, tillQuiet]) s.close();
    bridge.close();
  });
});

describe("bridge relay: bridge status", () => {
  it("relays the bridge's status to tills that asked, keeps the latest for GET /stores/:id/bridge, and tells when it goes offline", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const { credential, deviceId } = await enrolBridge(t);
    const idle = await enrolBridge(t);
    const watching = await connectWith(till.credential, ["bridge.status"]);
    const bridge = await FakeBridge.connect(credential);
    const devices = [
      printer("front", { paperNearEnd: true }),
      { id: "back", kind: "printer", name: "Back", connected: false, status: null, problem: "usb:04b8:0e28 is not plugged in" },
      { id: "scanner-1", kind: "scanner", name: "Scanner", connected: true, status: null, problem: null },
    ];
    bridge.report(devices);

    expect(await watching.next("bridge.status")).toEqual({ v: 1, type: "bridge.status", bridgeId: deviceId, online: true, devices, at: expect.any(Number) });
    const view = await api("GET", `/api/v1/stores/${t.storeId}/bridge`, { token: t.adminToken });
    expect(view.status).toBe(200);
    const byId = Object.fromEntries(view.json.data.bridges.map((b: { deviceId: string }) => [b.deviceId, b]));
    expect(byId[deviceId]).toEqual({ deviceId, name: "Back-room bridge", online: true, connectedAt: expect.any(String), reportedAt: expect.any(String), devices });
    expect(byId[idle.deviceId]).toEqual({ deviceId: idle.deviceId, name: "Back-room bridge", online: false, connectedAt: null, reportedAt: null, devices: [] });

    // A till that joins later hears the latest status after its welcome.
    const late = await connectWith(till.credential, ["bridge.status"]);
    expect(await late.next("bridge.status")).toMatchObject({ bridgeId: deviceId, online: true, devices });

    bridge.report([printer("front", { paperOut: true })]);
    expect((await watching.until("paper out", () => watching.messages.find((m) => m.type === "bridge.status" && m.devices[0].status.paperOut))).online).toBe(true);

    bridge.close();
    const offline = await watching.until("offline", () => watching.messages.find((m) => m.type === "bridge.status" && !m.online));
    expect(offline).toMatchObject({ bridgeId: deviceId, online: false, devices: [printer("front", { paperOut: true })] });
    const after = (await api("GET", `/api/v1/stores/${t.storeId}/bridge`, { token: t.adminToken })).json.data.bridges.find((b: { deviceId: string }) => b.deviceId === deviceId);
    expect(after).toMatchObject({ online: false, connectedAt: null, devices: [printer("front", { paperOut: true })] });
    watching.close();
    late.close();
  });
});

describe("bridge relay: features", () => {
  it("a till that announced no features gets none of the bridge's messages; a bridge that did not say jobs gets no jobs", async () => {
    const s = await shop();
    const plain = await connectWith(s.till.credential);
    const { credential } = await enrolBridge(s.t);
    const silent = await FakeBridge.connect(credential, []);
    const job = await newJob(s, { kind: "test" });
    silent.report([printer("front")]);
    silent.scan("123");
    await silent.settle();
    expect(silent.jobs()).toEqual([]);
    expect((await getJob(s, job.id)).json.data.state).toBe("queued");

    const bridge = await FakeBridge.connect(credential);
    await bridge.received(1);
    bridge.ack(job.id);
    bridge.outcome(job.id, "printed");
    await bridge.settle();
    await settle(plain);
    expect(plain.messages.map((m) => m.type).filter((type) => !SYNC_TYPES.has(type))).toEqual([]);
    for (const c of [plain, silent, bridge]) c.close();
  });
});

describe("bridge relay: several bridges", () => {
  it("a job goes to the bridge that reported its printer (waiting while it is offline), else to the first connected", async () => {
    const s = await shop();
    const a = await enrolBridge(s.t);
    const b = await enrolBridge(s.t);
    const first = await FakeBridge.connect(a.credential);
    let second = await FakeBridge.connect(b.credential);
    first.report([printer("front")]);
    second.report([printer("kitchen")]);
    await Promise.all([first.settle(), second.settle()]);

    const kitchen = await newJob(s, { kind: "test", printerId: "kitchen" });
    const front = await newJob(s, { kind: "test", printerId: "front" });
    const anyPrinter = await newJob(s, { kind: "test" });
    const unknownPrinter = await newJob(s, { kind: "test", printerId: "bar" });
    await first.received(3);
    await second.received(1);
    expect(first.jobs().map((j) => j.id)).toEqual([front.id, anyPrinter.id, unknownPrinter.id]);
    expect(second.jobs().map((j) => j.id)).toEqual([kitchen.id]);
    expect((await getJob(s, kitchen.id)).json.data.bridgeId).toBe(b.deviceId);

    // Another bridge's report of a job it was not sent changes nothing.
    first.outcome(kitchen.id, "failed", "no_printer");
    await first.settle();
    expect((await getJob(s, kitchen.id)).json.data.state).toBe("sent");

    second.close();
    await second.socket.waitClosed();
    const waiting = await newJob(s, { kind: "test", printerId: "kitchen" });
    await first.settle();
    expect(first.jobs().map((j) => j.id)).not.toContain(waiting.id);
    expect(waiting.state).toBe("queued");
    second = await FakeBridge.connect(b.credential);
    const jobs = await second.received(2);
    expect(jobs.map((j) => j.id)).toEqual([kitchen.id, waiting.id]);
    first.close();
    second.close();
  });
});

describe("bridge relay: a revoked bridge", () => {
  it("its unfinished jobs become unknown (a person decides), and jobs for its printer go to the store's other bridge", async () => {
    const s = await shop();
    const a = await enrolBridge(s.t);
    const b = await enrolBridge(s.t);
    const first = await FakeBridge.connect(a.credential);
    first.report([printer("front")]);
    await first.settle();
    const second = await FakeBridge.connect(b.credential);
    const held = await newJob(s, { kind: "test", printerId: "front" });
    await first.received(1);
    first.ack(held.id);
    await first.settle();

    expect((await api("POST", `/api/v1/devices/${a.deviceId}/revoke`, { token: s.t.adminToken })).status).toBe(200);
    expect((await first.socket.waitClosed()).code).toBe(4010);
    await expect.poll(async () => (await getJob(s, held.id)).json.data).toMatchObject({ state: "unknown", reason: "bridge_revoked" });
    const next = await newJob(s, { kind: "test", printerId: "front" });
    expect((await second.received(1))[0].id).toBe(next.id);
    second.close();
  });
});

describe("bridge relay: malformed messages", () => {
  const bad: [string, unknown, number, string][] = [
    ["an ack without a job id", { v: 1, type: "job.ack" }, 4000, "job.ack: jobId: Invalid input: expected string, received undefined"],
    ["a job.status that is not an outcome", { v: 1, type: "job.status", jobId: "j", state: "queued", at: 1 }, 4000, "job.status from a bridge reports printed, failed or unknown, not queued"],
    ["a bridge.status with a device of no known kind", { v: 1, type: "bridge.status", devices: [{ ...printer("p"), kind: "fax" }], at: 1 }, 4000, ""],
    ["an empty scan", { v: 1, type: "scan", scannerId: "s", text: "", at: 1 }, 4000, ""],
    ["a job, which only the hub sends", { v: 1, type: "job", job: {} }, 4001, "unknown message type job"],
  ];

  it.each(bad)("%s closes the bridge's socket with its code", async (_name, message, code, reason) => {
    const t = await createTenant();
    const bridge = await FakeBridge.connect((await enrolBridge(t)).credential);
    bridge.socket.send(message);
    const closed = await bridge.socket.waitClosed();
    expect(closed.code).toBe(code);
    if (reason) expect(closed.reason).toBe(reason);
    else expect(closed.reason).toMatch(/^(bridge\.status|scan): /);
  });

  it("a bridge's message before hello closes it (4003); a till's scan closes the till's socket (4004)", async () => {
    const t = await createTenant();
    const opened = await openSocket({ "X-Device-Credential": (await enrolBridge(t)).credential });
    opened.client!.send({ v: 1, type: "scan", scannerId: "s", text: "1", at: 1 });
    expect(await opened.client!.waitClosed()).toEqual({ code: 4003, reason: "scan before hello: say hello first" });

    const till = await connectWith((await enrolTill(t)).credential, TILL_FEATURES);
    till.send({ v: 1, type: "scan", scannerId: "s", text: "1", at: 1 });
    expect(await till.waitClosed()).toEqual({ code: 4004, reason: "scan is sent only by the store's bridge, not by a register device" });
  });
});
