/**
 * End to end: the real Worker (wrangler's local server, workerd with local D1 and the store hub) and the real
 * bridge (its command line, as systemd runs it, in a child process: the first test runs the file
 * `npm run bridge:build` makes, the others the source through tsx) against the fake TCP printer. The bridge is
 * enrolled with its own `pair` command; jobs are asked for through the Worker's print-jobs API as a till would.
 *
 * One Worker for the file (startup is the slow part); each test enrols its own shop and bridge.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { layoutReceipt, plainTextLines, type ReceiptModel } from "../../schema/receipt/index";
import { decodeEscpos, textsOf } from "../fakes/escpos-decoder";
import { RECORDED_SCANS } from "../fakes/evdev";
import { FakeTcpPrinter } from "../fakes/tcp-printer";
import { freePort, tempDir } from "./daemon-fixtures";
import { aSale, buildBridge, type LocalWorker, openShop, type RunningBridge, ScannerFifo, type Shop, startBridge, startLocalWorker, TillSocket, waitFor, type WorkerApi } from "./live-shop";

let worker: LocalWorker;
let api: WorkerApi;
let built: ReturnType<typeof buildBridge>;

beforeAll(async () => {
  built = buildBridge();
  worker = await startLocalWorker();
  api = worker.api;
}, 120_000);

afterAll(async () => {
  await worker?.dispose();
  built?.remove();
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function bridgeFor(s: Shop, fake: FakeTcpPrinter, options: { scannerPath?: string; bundle?: string; localApiPort?: number } = {}): Promise<RunningBridge> {
  const bridge = await startBridge(s, { printerPort: fake.port, ...options });
  cleanups.push(bridge.remove, () => bridge.process.kill());
  return bridge;
}

async function tillOf(s: Shop): Promise<TillSocket> {
  const till = await TillSocket.connect(s);
  cleanups.push(() => till.close());
  return till;
}

const job = (s: Shop, id: string) => s.api.must("GET", `/api/v1/stores/${s.storeId}/print-jobs/${id}`, { token: s.cashier });
const jobIn = (bridge: RunningBridge, s: Shop, id: string, state: string) =>
  waitFor(`job ${id} ${state}`, async () => (await job(s, id)).state === state, { bridge: bridge.process });
const bridgeDevice = async (s: Shop, id: string) => {
  const listed = await s.api.must("GET", `/api/v1/stores/${s.storeId}/bridge`, { token: s.admin });
  return listed.bridges.flatMap((b: any) => b.devices).find((d: any) => d.id === id);
};

async function printer(): Promise<FakeTcpPrinter> {
  const fake = await new FakeTcpPrinter().start();
  cleanups.push(() => fake.stop());
  return fake;
}

const rawJob = (s: Shop, text: string) =>
  s.api.must("POST", `/api/v1/stores/${s.storeId}/print-jobs`, { token: s.admin, body: { kind: "raw", bytesBase64: Buffer.from(`${text}\n`).toString("base64") } });

const timesPrinted = (fake: FakeTcpPrinter, text: string) => fake.printed.toString("latin1").split(text).length - 1;

describe("the bridge end to end", () => {
  it("prints a sale's receipt asked for through the hub, and kicks the drawer; the till hears each job's state (the built bridge, as a box runs it)", { timeout: 60_000 }, async () => {
    const s = await openShop(api);
    const fake = await printer();
    const bridge = await bridgeFor(s, fake, { bundle: built.bundle });
    const till = await tillOf(s);
    const sale = await aSale(s);
    const created = await s.api.must("POST", `/api/v1/stores/${s.storeId}/print-jobs`, { token: s.cashier, body: { kind: "receipt", saleId: sale.id } });
    await jobIn(bridge, s, created.id, "printed");
    const heard = await till.until("the receipt job printed", (m) => m.type === "job.status" && m.jobId === created.id && m.state === "printed");
    expect(heard).toMatchObject({ reason: null, at: expect.any(Number) });

    const { receipt } = (await s.api.must("POST", "/api/v1/sales/print", { status: 200, token: s.cashier, body: { saleId: sale.id } })) as { receipt: ReceiptModel };
    const ops = decodeEscpos(fake.printed);
    const layout = plainTextLines(layoutReceipt(receipt, 42));
    expect(textsOf(ops)).toEqual([layout[0]!.trim(), ...layout.slice(1)]);
    expect(textsOf(ops)[0]).toBe("Hörnbutiken");
    expect(ops).toContainEqual({ op: "qr", data: `pos:sale/${sale.id}`, model: expect.any(Number), moduleSize: expect.any(Number), errorCorrection: expect.any(String) });
    expect(ops.at(-1)).toEqual({ op: "cut", partial: true });

    const before = fake.printed.length;
    const kick = await s.api.must("POST", `/api/v1/stores/${s.storeId}/drawer-kicks`, { token: s.cashier, body: { pin: 5 } });
    await jobIn(bridge, s, kick.id, "printed");
    expect(decodeEscpos(fake.printed.subarray(before)).filter((op) => op.op === "drawer")).toEqual([{ op: "drawer", pin: 5, onMs: 100, offMs: 100 }]);
    await till.until("the drawer kick printed", (m) => m.type === "job.status" && m.jobId === kick.id && m.state === "printed");
  });

  it("paper out: jobs wait and the hub and the till see why; a bridge killed after acknowledging resumes from its journal without duplicates", { timeout: 90_000 }, async () => {
    const s = await openShop(api);
    const fake = await printer();
    const bridge = await bridgeFor(s, fake);
    const till = await tillOf(s);
    const first = await rawJob(s, "before the kill");
    await jobIn(bridge, s, first.id, "printed");

    const mark = till.messages.length;
    fake.status = { paperOut: true };
    await waitFor("the paper-out status at the hub", async () => (await bridgeDevice(s, "front"))?.status?.paperOut === true, { bridge: bridge.process });
    const relayed = await till.until("the paper-out status", (m) => m.type === "bridge.status" && m.devices.some((d: any) => d.id === "front" && d.status?.paperOut), { from: mark });
    expect(relayed.bridgeId).toBe(bridge.deviceId);
    const waiting = [await rawJob(s, "waiting one"), await rawJob(s, "waiting two")];
    for (const j of waiting) await jobIn(bridge, s, j.id, "acked");
    expect(timesPrinted(fake, "waiting")).toBe(0);

    await bridge.process.kill();
    fake.status = {};
    bridge.process.start();
    // The hub never sends an acked job again: only the bridge's journal can print these now.
    for (const j of waiting) await jobIn(bridge, s, j.id, "printed");
    expect(timesPrinted(fake, "before the kill")).toBe(1);
    expect(timesPrinted(fake, "waiting one")).toBe(1);
    expect(timesPrinted(fake, "waiting two")).toBe(1);
    expect(fake.printed.toString("latin1").indexOf("waiting one")).toBeLessThan(fake.printed.toString("latin1").indexOf("waiting two"));
    await till.until("paper back", (m) => m.type === "bridge.status" && m.devices.some((d: any) => d.id === "front" && d.connected && !d.status?.paperOut), { from: mark + 1 });
  });

  it("the printer switched off mid-queue and on again: no job lost, none printed twice; one cut off mid-write is unknown until reprinted", { timeout: 90_000 }, async () => {
    const s = await openShop(api);
    const fake = await printer();
    const bridge = await bridgeFor(s, fake);
    const till = await tillOf(s);
    const first = await rawJob(s, "queue 1");
    await jobIn(bridge, s, first.id, "printed");

    await fake.powerOff();
    await waitFor("the printer offline at the hub", async () => (await bridgeDevice(s, "front"))?.connected === false, { bridge: bridge.process });
    await till.until("the printer offline", (m) => m.type === "bridge.status" && m.devices.some((d: any) => d.id === "front" && !d.connected));
    const queued = [];
    for (let i = 2; i <= 5; i++) queued.push(await rawJob(s, `queue ${i}`));
    for (const j of queued) await jobIn(bridge, s, j.id, "acked");
    await fake.powerOn();
    for (const j of queued) await jobIn(bridge, s, j.id, "printed");
    const text = fake.printed.toString("latin1");
    for (let i = 1; i <= 5; i++) expect(timesPrinted(fake, `queue ${i}\n`)).toBe(1);
    for (let i = 1; i < 5; i++) expect(text.indexOf(`queue ${i}\n`)).toBeLessThan(text.indexOf(`queue ${i + 1}\n`));

    // A long job cut off after 2000 of its bytes reached the printer: it may have printed, so it is not sent again.
    const long = "x".repeat(60) + "\n";
    fake.dropAfterBytes(fake.live.at(-1)!.printedLength + 2000);
    const big = await s.api.must("POST", `/api/v1/stores/${s.storeId}/print-jobs`, { token: s.admin, body: { kind: "raw", bytesBase64: Buffer.from(`LONG START\n${long.repeat(100)}end of the long job\n`).toString("base64") } });
    await jobIn(bridge, s, big.id, "unknown");
    const after = await rawJob(s, "after the cut");
    await jobIn(bridge, s, after.id, "printed");
    expect(timesPrinted(fake, "end of the long job")).toBe(0);
    expect(timesPrinted(fake, "LONG START")).toBe(1);
    await till.until("the cut job unknown", (m) => m.type === "job.status" && m.jobId === big.id && m.state === "unknown");

    const again = await s.api.must("POST", `/api/v1/stores/${s.storeId}/print-jobs/${big.id}/reprint`, { token: s.admin });
    await jobIn(bridge, s, again.id, "printed");
    expect(timesPrinted(fake, "end of the long job")).toBe(1);
    expect(timesPrinted(fake, "LONG START")).toBe(2);
  });

  it("a scan at the store's keyboard-wedge scanner reaches the till, decoded by the Swedish layout", { timeout: 60_000 }, async () => {
    const s = await openShop(api);
    const fake = await printer();
    const folder = tempDir("edge-pos-e2e-scanner-");
    cleanups.push(folder.remove);
    const scanner = ScannerFifo.create(folder.dir);
    cleanups.push(() => scanner.close());
    const bridge = await bridgeFor(s, fake, { scannerPath: scanner.path });
    const till = await tillOf(s);
    for (const scan of RECORDED_SCANS.se) await scanner.type(scan.keys);
    for (const scan of RECORDED_SCANS.se) {
      const heard = await till.until(`the scan ${scan.text}`, (m) => m.type === "scan" && m.text === scan.text);
      expect(heard).toMatchObject({ bridgeId: bridge.deviceId, scannerId: "scanner-1", registerId: null });
    }
    expect(till.messages.filter((m) => m.type === "scan").map((m) => m.text)).toEqual(RECORDED_SCANS.se.map((scan) => scan.text));
    await waitFor("the scanner connected at the hub", async () => (await bridgeDevice(s, "scanner-1"))?.connected === true, { bridge: bridge.process });
    expect(await bridgeDevice(s, "scanner-1")).toMatchObject({ kind: "scanner", name: "Handskanner", status: null });
  });

  it("a till prints through the bridge's local API with its own device credential, which the hub listed; revoked, it is refused at once", { timeout: 60_000 }, async () => {
    const s = await openShop(api);
    const fake = await printer();
    const port = await freePort();
    const bridge = await bridgeFor(s, fake, { localApiPort: port });
    const local = (method: string, pathname: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${port}${pathname}`, {
        method,
        headers: { "X-Device-Credential": s.till, ...(body ? { "Content-Type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));
    await waitFor("the till's credential taken by the local API", async () => (await local("GET", "/status")).status === 200, { bridge: bridge.process });
    const taken = await local("POST", "/print-jobs", { kind: "raw", bytesBase64: Buffer.from("printed locally\n").toString("base64"), id: "till-T01-0001" });
    expect(taken.status).toBe(202);
    await waitFor("the local job printed", async () => (await local("GET", `/print-jobs/${taken.json.data.id}`)).json.data.state === "printed", { bridge: bridge.process });
    expect(timesPrinted(fake, "printed locally")).toBe(1);

    const tillDevice = (await s.api.must("GET", "/api/v1/devices/current", { headers: { "X-Device-Credential": s.till } })).device.id as string;
    await s.api.must("POST", `/api/v1/devices/${tillDevice}/revoke`, { status: 200, token: s.admin });
    await waitFor("the revoked till refused by the local API", async () => (await local("GET", "/status")).status === 401, { bridge: bridge.process, ms: 5000 });
    expect((await local("POST", "/drawer-kicks", {})).json.code).toBe("INVALID_DEVICE");
  });
});
