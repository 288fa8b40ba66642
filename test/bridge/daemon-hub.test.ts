/**
 * The bridge's socket to the hub, against a small local WebSocket server playing the hub: authentication, hello,
 * heartbeat, reconnects with backoff, 4010, acknowledgements only after the journal, redelivery, outcomes and
 * device status.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Bridge } from "../../bridge/daemon";
import { Devices } from "../../bridge/devices/index";
import { fullJitterDelay, HubClient, type HubState } from "../../bridge/hub-client";
import { createLogger } from "../../bridge/log";
import type { Job } from "../../schema/sync/bridge-messages";
import { FakeSerialScanner } from "../fakes/serial-scanner";
import { FakeTcpPrinter } from "../fakes/tcp-printer";
import { bridgeConfig, FAST, makeJob, rawText, tempDir, until } from "./daemon-fixtures";
import { FakeHub } from "./fake-hub";

const CREDENTIAL = "dvc_test-credential-0123456789";
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function hub(): Promise<FakeHub> {
  const h = await new FakeHub(CREDENTIAL).start();
  cleanups.push(() => h.stop());
  return h;
}

function client(h: FakeHub, overrides: Partial<ConstructorParameters<typeof HubClient>[0]> = {}) {
  const states: HubState[] = [];
  const jobs: Job[] = [];
  const c = new HubClient({
    url: h.url, credential: CREDENTIAL, agent: "test", backoff: { initialMs: 20, maxMs: 200 }, pingIntervalMs: 1000,
    onJob: async (job) => void jobs.push(job), ...overrides,
  });
  c.on("state", (s) => states.push(s));
  cleanups.push(() => c.stop());
  return { c, states, jobs };
}

describe("full jitter", () => {
  it("is a random part of the capped exponential step", () => {
    expect([0, 1, 2, 3, 10].map((n) => fullJitterDelay(n, 1000, 60_000, () => 0.5))).toEqual([500, 1000, 2000, 4000, 30_000]);
    expect(fullJitterDelay(5, 1000, 60_000, () => 0)).toBe(0);
    expect(fullJitterDelay(20, 1000, 60_000, () => 0.999)).toBeLessThanOrEqual(60_000);
  });
});

describe("the hub client", () => {
  it("connects with its credential in a header (not the URL), says hello with the jobs feature, and pings", async () => {
    const h = await hub();
    const { c, states } = client(h, { pingIntervalMs: 40 });
    c.start();
    const hello = await h.next("hello");
    expect(hello).toEqual({ v: 1, type: "hello", lastSeq: null, agent: "test", features: ["jobs", "tills"] });
    const conn = h.last!;
    expect(conn.request.url).toBe("/api/v1/sync/ws");
    expect(conn.request.headers["sec-websocket-protocol"]).toBe("edge-pos.sync.v1");
    await until(() => c.connected, 2000, "welcome");
    await until(() => conn.pings.length >= 2, 2000, "two pings");
    expect(states).toEqual(["connecting", "connected"]);
  });

  it("sends job.ack only after onJob resolved (the job is journaled), on the socket the job came on", async () => {
    const h = await hub();
    let release!: () => void;
    const journaled = new Promise<void>((r) => (release = r));
    const { c } = client(h, { onJob: () => journaled });
    c.start();
    await until(() => c.connected);
    const job = makeJob(1);
    h.last!.sendJob(job);
    await new Promise((r) => setTimeout(r, 80));
    expect(h.all("job.ack"), "acknowledged before it was journaled").toEqual([]);
    release();
    expect(await h.next("job.ack")).toEqual({ v: 1, type: "job.ack", jobId: job.id });
  });

  it("does not acknowledge a job that could not be journaled", async () => {
    const h = await hub();
    const { c } = client(h, { onJob: () => Promise.reject(new Error("EIO")) });
    c.start();
    await until(() => c.connected);
    h.last!.sendJob(makeJob(1));
    await new Promise((r) => setTimeout(r, 80));
    expect(h.all("job.ack")).toEqual([]);
  });

  it("reconnects after drops with growing delays", async () => {
    const h = await hub();
    const { c } = client(h, { backoff: { initialMs: 100, maxMs: 1000, random: () => 0.5, stableMs: 60_000 } });
    c.start();
    for (let i = 0; i < 4; i++) {
      await until(() => h.connections.length === i + 1 && c.connected, 5000, `connection ${i + 1}`);
      h.dropAll();
    }
    await until(() => h.connections.length === 5, 5000, "connection 5");
    const gaps = h.connections.slice(1).map((conn, i) => conn.openedAt - h.connections[i]!.openedAt);
    // Delays of 50, 100, 200, 400 ms (half of 100·2^n): each gap at least its delay (a busy machine only adds).
    [50, 100, 200, 400].forEach((delay, i) => expect(gaps[i]!).toBeGreaterThanOrEqual(delay - 2));
  });

  it("ends a socket whose hub stops answering pings, and connects again", async () => {
    const h = await hub();
    const { c } = client(h, { pingIntervalMs: 50, pongTimeoutMs: 200, welcomeTimeoutMs: 300 });
    c.start();
    await until(() => c.connected);
    h.silent = true;
    const silent = h.last!;
    await until(() => silent.closed, 3000, "the silent socket to be ended");
    expect(silent.pings.length).toBeGreaterThanOrEqual(1);
    h.silent = false;
    await until(() => h.last !== silent && !h.last!.closed && c.connected, 5000, "a new socket");
  });

  it("ends a socket the hub answers pings on but never welcomes, and connects again", async () => {
    const h = await hub();
    h.silent = true;
    const { c } = client(h, { pingIntervalMs: 1000, welcomeTimeoutMs: 100 });
    c.start();
    await until(() => h.connections.length === 1);
    const unwelcomed = h.last!;
    await until(() => unwelcomed.closed, 3000, "the unwelcomed socket to be ended");
    expect(c.connected).toBe(false);
    h.silent = false;
    await until(() => c.connected, 5000, "a welcomed socket");
    expect(h.last).not.toBe(unwelcomed);
  });

  it("stops for good on 4010 (revoked)", async () => {
    const h = await hub();
    const { c, states } = client(h);
    c.start();
    await until(() => c.connected);
    h.last!.socket.close(4010, "device revoked");
    await until(() => c.state === "revoked", 2000, "revoked");
    await new Promise((r) => setTimeout(r, 150));
    expect(h.connections).toHaveLength(1);
    expect(states.at(-1)).toBe("revoked");
  });

  it("stops when the credential is refused (401), keeps trying on other refusals", async () => {
    const h = await hub();
    h.refuse = { status: 503, code: "UNAVAILABLE" };
    const { c } = client(h, { credential: "dvc_wrong" });
    c.start();
    await until(() => c.state === "revoked", 2000, "the 401 to stop the client");

    const { c: other } = client(h);
    other.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(other.state).not.toBe("revoked");
    h.refuse = undefined;
    await until(() => other.connected, 3000, "a connection once the hub takes sockets again");
  });
});

describe("the bridge and its hub", () => {
  async function bridgeRig() {
    const h = await hub();
    const fake = await new FakeTcpPrinter().start();
    const temp = tempDir();
    cleanups.push(async () => {
      await fake.stop();
      temp.remove();
    });
    const start = async () => {
      const b = await Bridge.start(bridgeConfig({ hubUrl: h.url, credential: CREDENTIAL, journalDir: temp.dir, printerPort: fake.port }), FAST);
      cleanups.push(() => b.stop());
      return b;
    };
    return { h, fake, dir: temp.dir, start };
  }

  it("acknowledges a job when it is on disk, prints it, and reports the outcome", async () => {
    const { h, fake, dir, start } = await bridgeRig();
    await start();
    await until(() => h.last?.of("hello").length === 1);
    const job = makeJob(1);
    let onDiskAtAck: boolean | undefined;
    h.on("message", (_c, m) => {
      if (m.type === "job.ack") onDiskAtAck = readFileSync(path.join(dir, "journal.jsonl"), "utf8").includes(job.id);
    });
    h.last!.sendJob(job);
    expect(await h.next("job.status")).toMatchObject({ type: "job.status", jobId: job.id, state: "printed", reason: null });
    expect(onDiskAtAck, "the job was in the journal file when its ack arrived").toBe(true);
    expect(fake.printed.toString("latin1")).toContain(rawText(job));
  });

  it("a job sent again is acknowledged again and its outcome repeated, never printed twice", async () => {
    const { h, fake, start } = await bridgeRig();
    await start();
    await until(() => h.last?.of("hello").length === 1);
    const job = makeJob(1);
    h.last!.sendJob(job);
    await h.next("job.status");
    h.dropAll();
    await until(() => h.connections.length === 2 && h.last!.of("hello").length === 1, 3000, "the reconnect");
    h.last!.sendJob(job);
    await until(() => h.last!.of("job.status").length === 1, 2000, "the repeated outcome");
    expect(h.last!.of("job.ack")).toEqual([{ v: 1, type: "job.ack", jobId: job.id }]);
    expect(h.last!.of("job.status")[0]).toMatchObject({ jobId: job.id, state: "printed" });
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.printed.toString("latin1").split(rawText(job)).length - 1).toBe(1);
  });

  it("sends the outcomes of jobs that finished while it was disconnected on the next connect", async () => {
    const { h, fake, start } = await bridgeRig();
    const first = await start();
    await until(() => first.hub.connected);
    // A hub job is taken while the paper is out, and prints once it is back, with the hub away.
    fake.status = { paperOut: true };
    const job = makeJob(7);
    h.last!.sendJob(job);
    await h.next("job.ack");
    const port = Number(h.url.port);
    await h.stop();
    await until(() => !first.hub.connected);
    fake.status = {};
    await until(() => first.journal.get(job.id)?.state === "printed", 3000, "the job to print");
    expect(first.journal.unreported().map((e) => e.id)).toEqual([job.id]);
    const back = new FakeHub(CREDENTIAL);
    await back.start(port);
    cleanups.push(() => back.stop());
    expect(await back.next("job.status")).toMatchObject({ jobId: job.id, state: "printed" });
    await until(() => first.journal.unreported().length === 0, 2000, "the outcome marked sent");
  });

  it("reports its devices on connect and at every change: paper out reaches the hub", async () => {
    const { h, fake, start } = await bridgeRig();
    await start();
    const initial = await h.next("bridge.status");
    expect(initial).toMatchObject({ v: 1, devices: [{ id: "front", kind: "printer", name: "Front counter" }] });
    await until(() => h.all("bridge.status").some((m) => (m.devices as { connected: boolean }[])[0]!.connected), 3000, "the printer connected");
    fake.status = { paperOut: true };
    await until(
      () => h.all("bridge.status").some((m) => (m.devices as { status: { paperOut: boolean } | null }[])[0]!.status?.paperOut === true),
      3000,
      "a status with the paper out",
    );
    const paperOut = h.all("bridge.status").find((m) => (m.devices as { status: { paperOut: boolean } | null }[])[0]!.status?.paperOut === true)!;
    expect(paperOut.devices).toEqual([{ id: "front", kind: "printer", name: "Front counter", connected: true, status: { online: false, coverOpen: false, paperNearEnd: true, paperOut: true, drawerOpen: false, error: false }, problem: null }]);
  });

  it("a printer it cannot reach: the hub hears why, the log says it once (not at every retry), and both hear it come back", async () => {
    const { h, fake, dir } = await bridgeRig();
    await fake.powerOff();
    const lines: string[] = [];
    const b = await Bridge.start(bridgeConfig({ hubUrl: h.url, credential: CREDENTIAL, journalDir: dir, printerPort: fake.port }), { ...FAST, log: createLogger("info", (l) => lines.push(l)) });
    cleanups.push(() => b.stop());
    type Device = { connected: boolean; problem?: string | null };
    await until(() => h.all("bridge.status").some((m) => /ECONNREFUSED/.test((m.devices as Device[])[0]!.problem ?? "")), 3000, "the printer's problem at the hub");
    const reported = h.all("bridge.status").map((m) => (m.devices as Device[])[0]!).find((d) => d.problem);
    expect(reported).toMatchObject({ connected: false, problem: `cannot connect to 127.0.0.1:${fake.port}: connect ECONNREFUSED 127.0.0.1:${fake.port}` });
    await new Promise((r) => setTimeout(r, 300)); // FAST backs off at most 80 ms: several more refused attempts
    const unreachable = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "printer not reachable; retrying");
    expect(unreachable).toHaveLength(1);
    expect(unreachable[0]).toMatchObject({ level: "warn", printer: "front", reason: expect.stringContaining("ECONNREFUSED") });
    expect(b.status().printers[0]).toMatchObject({ connected: false, problem: expect.stringContaining("ECONNREFUSED") });

    await fake.powerOn();
    await until(() => (h.all("bridge.status").at(-1)!.devices as Device[])[0]!.connected, 3000, "the printer back at the hub");
    expect((h.all("bridge.status").at(-1)!.devices as Device[])[0]!.problem).toBeNull();
    expect(lines.map((l) => JSON.parse(l).msg)).toContain("printer connected");
  });

  it("keeps the hub's list of tills for the local API: a listed till's credential works, one dropped from the list stops, and the list outlives a restart", async () => {
    const { h, fake, dir } = await bridgeRig();
    const config = bridgeConfig({ hubUrl: h.url, credential: CREDENTIAL, journalDir: dir, printerPort: fake.port, localApiKey: "local-key-0123456789abcdef" });
    const first = await Bridge.start(config, FAST);
    const asTill = (bridge: Bridge, credential: string) =>
      fetch(`http://127.0.0.1:${bridge.localAddress!.port}/status`, { headers: { "X-Device-Credential": credential } }).then((r) => r.status);
    const digest = (text: string) => createHash("sha256").update(text).digest("hex");
    const tills = [{ deviceId: "till-1", registerId: "reg-1", credentialSha256: digest("dvc_till-one") }, { deviceId: "till-2", registerId: "reg-2", credentialSha256: digest("dvc_till-two") }];
    await until(() => h.last?.of("hello").length === 1, 3000, "hello");
    expect(await asTill(first, "dvc_till-one")).toBe(401); // no list yet
    h.last!.send({ v: 1, type: "tills", tills, at: 100 });
    await until(() => existsSync(path.join(dir, "tills.json")), 3000, "the list saved");
    await until(async () => (await asTill(first, "dvc_till-one")) === 200, 3000, "till one let in");
    expect(await asTill(first, "dvc_till-two")).toBe(200);

    h.last!.send({ v: 1, type: "tills", tills: tills.slice(1), at: 200 }); // till one revoked
    h.last!.send({ v: 1, type: "tills", tills, at: 150 }); // an older list arriving late changes nothing
    await until(async () => (await asTill(first, "dvc_till-one")) === 401, 3000, "till one refused");
    expect(await asTill(first, "dvc_till-two")).toBe(200);
    h.last!.send({ v: 1, type: "tills", tills: [{ deviceId: "x", registerId: null, credentialSha256: "not-a-digest" }], at: 300 }); // unreadable: ignored
    await new Promise((r) => setTimeout(r, 100));
    expect(await asTill(first, "dvc_till-two")).toBe(200);
    await first.stop();

    await h.stop(); // the internet goes down; the bridge restarts
    const second = await Bridge.start({ ...config, localApi: { ...config.localApi!, port: 0 } }, FAST);
    cleanups.push(() => second.stop());
    expect(await asTill(second, "dvc_till-two")).toBe(200);
    expect(await asTill(second, "dvc_till-one")).toBe(401);
  });

  it("an interrupted job (killed while printing) is reported unknown on start, not printed", async () => {
    const { h, fake, dir, start } = await bridgeRig();
    const { Journal } = await import("../../bridge/journal");
    const job = makeJob(3);
    const { journal } = await Journal.open(dir);
    await journal.add(job, "hub");
    await journal.setState(job.id, "printing");
    await journal.close();
    await start();
    expect(await h.next("job.status")).toMatchObject({ jobId: job.id, state: "unknown", reason: "interrupted" });
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.printed.length).toBe(0);
  });

  it("sends each scan to the hub with its scanner and till, and drops scans while disconnected", async () => {
    const h = await hub();
    const serial = new FakeSerialScanner();
    const temp = tempDir();
    cleanups.push(temp.remove);
    const config = bridgeConfig({
      hubUrl: h.url, credential: CREDENTIAL, journalDir: temp.dir,
      scanners: [{ id: "scanner-1", name: "Kassa 1 scanner", type: "serial", path: serial.path, baudRate: 9600, terminator: "\r", registerId: "reg-1" }],
    });
    const b = await Bridge.start(config, { ...FAST, devices: new Devices({ openSerialPort: serial.openPort }) });
    cleanups.push(() => b.stop());
    await until(() => b.hub.connected);
    await until(() => h.all("bridge.status").some((m) => (m.devices as { connected: boolean }[])[0]?.connected === true), 3000, "the scanner connected");
    expect(h.all("bridge.status").at(-1)!.devices).toEqual([{ id: "scanner-1", kind: "scanner", name: "Kassa 1 scanner", connected: true, status: null, problem: null }]);
    serial.scan("7350000100011");
    expect(await h.next("scan")).toEqual({ v: 1, type: "scan", scannerId: "scanner-1", text: "7350000100011", registerId: "reg-1", at: expect.any(Number) });

    const port = Number(h.url.port);
    await h.stop();
    await until(() => !b.hub.connected);
    serial.scan("7350000100028");
    await new Promise((r) => setTimeout(r, 50));
    const back = new FakeHub(CREDENTIAL);
    await back.start(port);
    cleanups.push(() => back.stop());
    await back.next("bridge.status");
    serial.scan("7350000100035");
    const scan = await back.next("scan");
    expect(scan.text, "a scan from while the hub was away is not sent late").toBe("7350000100035");
  });
});
