/**
 * End to end: the real Worker (wrangler's local server, workerd with local D1 and the store hub) and the real
 * bridge (its command line, as systemd runs it, in a child process) against the fake TCP printer. The bridge is
 * enrolled with its own `pair` command; jobs are asked for through the Worker's print-jobs API as a till would.
 *
 * One Worker for the file (startup is the slow part); each test enrols its own shop and bridge.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { getPlatformProxy, unstable_readConfig, unstable_startWorker } from "wrangler";
import { pair } from "../../bridge/pair";
import { layoutReceipt, plainTextLines, type ReceiptModel } from "../../schema/receipt/index";
import { decodeEscpos, textsOf } from "../fakes/escpos-decoder";
import { FakeTcpPrinter } from "../fakes/tcp-printer";
import { TEST_SECRETS } from "../fixtures/secrets.mjs";
import { tempDir } from "./daemon-fixtures";

/** The part of the D1 binding used here (the Node side has no workers-types). */
interface LocalD1 {
  prepare(sql: string): unknown;
  batch(statements: unknown[]): Promise<unknown>;
}

const root = path.resolve(import.meta.dirname, "../..");
let worker: Awaited<ReturnType<typeof unstable_startWorker>>;
let base: URL;
let persistDir: string;

beforeAll(async () => {
  persistDir = mkdtempSync(path.join(tmpdir(), "edge-pos-e2e-"));
  // The migrations, applied through a platform proxy on the same local state (a tenth of the time of spawning
  // `wrangler d1 migrations apply`): the proxy's path is the state folder itself, the server's is its parent. The
  // proxy gets a config of the database alone (the Worker's would have it warn about the hub it does not run).
  const { name, compatibility_date, d1_databases } = unstable_readConfig({ config: path.join(root, "wrangler.toml") });
  const dbOnly = path.join(persistDir, "wrangler.json");
  writeFileSync(dbOnly, JSON.stringify({ name, compatibility_date, d1_databases }));
  const migrations = await readD1Migrations(path.join(root, "migrations"));
  const proxy = await getPlatformProxy<{ DB: LocalD1 }>({ configPath: dbOnly, persist: { path: path.join(persistDir, "v3") } });
  try {
    for (const m of migrations) await proxy.env.DB.batch(m.queries.map((q) => proxy.env.DB.prepare(q)));
  } finally {
    await proxy.dispose();
  }
  worker = await unstable_startWorker({
    config: path.join(root, "wrangler.toml"),
    bindings: Object.fromEntries(Object.entries(TEST_SECRETS).map(([name, value]) => [name, { type: "secret_text", value }])),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist: persistDir, watch: false, logLevel: "error" },
    sendMetrics: false,
  });
  base = await worker.url;
}, 120_000);

afterAll(async () => {
  await worker?.dispose();
  if (persistDir) rmSync(persistDir, { recursive: true, force: true });
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Answer {
  status: number;
  json: { success: boolean; data?: any; code?: string; error?: string };
}

async function api(method: string, pathname: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const res = await fetch(new URL(pathname, base), {
    method,
    headers: { ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}), ...(options.body ? { "Content-Type": "application/json" } : {}), ...options.headers },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  return { status: res.status, json: (await res.json()) as Answer["json"] };
}

async function must(answer: Promise<Answer>, what: string, status = 200) {
  const res = await answer;
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.data;
}

/** A tenant with a store, a product, an enrolled till with the administrator signed in at it by PIN, an open register. */
async function shop() {
  const slug = `e2e-${crypto.randomUUID().slice(0, 8)}`;
  const created = await must(api("POST", "/api/v1/tenants", {
    token: TEST_SECRETS.OPERATOR_SECRET,
    body: {
      slug, name: `Tenant ${slug}`, currency: "SEK", corsOrigins: [],
      store: { code: "S001", name: "Hörnbutiken", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true, cashRoundingUnit: 100 },
      admin: { username: "admin", displayName: "Åsa Admin", password: "correct horse battery" },
    },
  }), "onboarding", 201);
  const storeId = created.store.id as string;
  const admin = (await must(api("POST", "/api/v1/auth/login", { body: { tenant: slug, username: "admin", password: "correct horse battery" } }), "login")).accessToken as string;
  const rate = await must(api("POST", "/api/v1/taxes", { token: admin, body: { name: "Moms 12 %", rate: 1200 } }), "tax rate", 201);
  const group = await must(api("POST", "/api/v1/taxes/groups", { token: admin, body: { name: "Livsmedel", taxRateIds: [rate.id] } }), "tax group", 201);
  const product = await must(api("POST", "/api/v1/products", { token: admin, body: { sku: "BULLE-1", name: "Kanelbulle", sellPrice: 3200, taxGroupId: group.id, costPrice: 1000 } }), "product", 201);
  const register = await must(api("POST", `/api/v1/stores/${storeId}/registers`, { token: admin, body: { code: "T01", name: "Kassa 1" } }), "register", 201);
  const till = (await must(api("POST", "/api/v1/devices/pair", { body: { code: register.pairing.code } }), "till pairing")).credential as string;
  const cashier = (await must(api("POST", "/api/v1/auth/pin-login", { headers: { "X-Device-Credential": till }, body: { pin: created.admin.pin } }), "PIN login")).accessToken as string;
  await must(api("POST", "/api/v1/registers/open", { token: admin, body: { registerId: register.id, openingFloat: 50000 } }), "opening the register", 201);
  return { storeId, admin, cashier, productId: product.id as string };
}

async function aSale(s: Awaited<ReturnType<typeof shop>>) {
  const items = [{ productId: s.productId, quantity: 2000 }];
  const quoted = await must(api("POST", "/api/v1/sales/quote", { token: s.cashier, body: { items, payments: [{ method: "CASH", amount: 0 }] } }), "quote");
  const payments = [{ method: "CASH", amount: 10000 }];
  const priced = await must(api("POST", "/api/v1/sales/quote", { token: s.cashier, body: { items: quoted.items.map(({ cataloguePrice: _c, ...i }: Record<string, unknown>) => i), payments } }), "quote");
  const { cashTotalDue: _a, totalDue: _b, currency: _c, pricesIncludeTax: _d, ...body } = priced;
  const sale = await must(api("POST", "/api/v1/sales", {
    token: s.cashier,
    body: { ...body, id: crypto.randomUUID(), receiptNumber: `R-${crypto.randomUUID().slice(0, 8)}`, items: body.items.map(({ cataloguePrice: _x, ...i }: Record<string, unknown>) => i), payments },
  }), "sale", 201);
  return sale as { id: string; receiptNumber: string };
}

/** The bridge's command line in a child process, on its config file; its log lines are kept for a failure's message. */
class BridgeProcess {
  private child: ChildProcess | undefined;
  readonly log: string[] = [];
  constructor(private readonly configFile: string) {}

  start(): void {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "bridge/main.ts"), "--config", this.configFile], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d: Buffer) => this.log.push(...d.toString().split("\n").filter(Boolean)));
    child.stderr!.on("data", (d: Buffer) => this.log.push(d.toString()));
    this.child = child;
  }

  /** SIGKILL: no chance to flush or close anything. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }
}

/** Enrol a bridge for the shop with `pair`, write its config, and start it. */
async function bridgeFor(s: Awaited<ReturnType<typeof shop>>, fake: FakeTcpPrinter) {
  const dir = tempDir("edge-pos-e2e-bridge-");
  cleanups.push(dir.remove);
  const device = await must(api("POST", `/api/v1/stores/${s.storeId}/devices`, { token: s.admin, body: { kind: "bridge", name: "Bakrummet" } }), "bridge device", 201);
  const paired = await pair({ hub: base, code: device.pairing.code, out: path.join(dir.dir, "credential.txt") });
  expect(paired.deviceId).toBe(device.id);
  const config = {
    hub: { url: base.origin, credentialFile: "credential.txt" },
    printers: [{ id: "front", name: "Kassaskrivare", transport: { type: "tcp", host: "127.0.0.1", port: fake.port }, profile: { columns: 42, codePage: "cp858", cut: "partial" }, default: true }],
    journal: { dir: "journal" },
    logLevel: "info",
  };
  const configFile = path.join(dir.dir, "bridge.json");
  writeFileSync(configFile, JSON.stringify(config));
  const bridge = new BridgeProcess(configFile);
  cleanups.push(() => bridge.kill());
  bridge.start();
  await waitFor(bridge, "the bridge online with its printer connected", async () => {
    const listed = await must(api("GET", `/api/v1/stores/${s.storeId}/bridge`, { token: s.admin }), "bridge status");
    return listed.bridges.some((b: any) => b.online && b.devices.some((d: any) => d.id === "front" && d.connected));
  });
  return bridge;
}

async function waitFor(bridge: BridgeProcess, what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the bridge's log:\n${bridge.log.slice(-30).join("\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const job = (s: Awaited<ReturnType<typeof shop>>, id: string) => must(api("GET", `/api/v1/stores/${s.storeId}/print-jobs/${id}`, { token: s.cashier }), "job");
const jobIn = (bridge: BridgeProcess, s: Awaited<ReturnType<typeof shop>>, id: string, state: string) =>
  waitFor(bridge, `job ${id} ${state}`, async () => (await job(s, id)).state === state);

async function printer(): Promise<FakeTcpPrinter> {
  const fake = await new FakeTcpPrinter().start();
  cleanups.push(() => fake.stop());
  return fake;
}

const rawJob = (s: Awaited<ReturnType<typeof shop>>, text: string) =>
  must(api("POST", `/api/v1/stores/${s.storeId}/print-jobs`, { token: s.admin, body: { kind: "raw", bytesBase64: Buffer.from(`${text}\n`).toString("base64") } }), "raw job", 201);

const timesPrinted = (fake: FakeTcpPrinter, text: string) => fake.printed.toString("latin1").split(text).length - 1;

describe("the bridge end to end", () => {
  it("prints a sale's receipt asked for through the hub, and kicks the drawer", { timeout: 60_000 }, async () => {
    const s = await shop();
    const fake = await printer();
    const bridge = await bridgeFor(s, fake);
    const sale = await aSale(s);
    const created = await must(api("POST", `/api/v1/stores/${s.storeId}/print-jobs`, { token: s.cashier, body: { kind: "receipt", saleId: sale.id } }), "receipt job", 201);
    await jobIn(bridge, s, created.id, "printed");

    const { receipt } = (await must(api("POST", "/api/v1/sales/print", { token: s.cashier, body: { saleId: sale.id } }), "the receipt model")) as { receipt: ReceiptModel };
    const ops = decodeEscpos(fake.printed);
    const layout = plainTextLines(layoutReceipt(receipt, 42));
    expect(textsOf(ops)).toEqual([layout[0]!.trim(), ...layout.slice(1)]);
    expect(textsOf(ops)[0]).toBe("Hörnbutiken");
    expect(ops).toContainEqual({ op: "qr", data: `pos:sale/${sale.id}`, model: expect.any(Number), moduleSize: expect.any(Number), errorCorrection: expect.any(String) });
    expect(ops.at(-1)).toEqual({ op: "cut", partial: true });

    const before = fake.printed.length;
    const kick = await must(api("POST", `/api/v1/stores/${s.storeId}/drawer-kicks`, { token: s.cashier, body: { pin: 5 } }), "drawer kick", 201);
    await jobIn(bridge, s, kick.id, "printed");
    expect(decodeEscpos(fake.printed.subarray(before)).filter((op) => op.op === "drawer")).toEqual([{ op: "drawer", pin: 5, onMs: 100, offMs: 100 }]);
  });

  it("paper out: jobs wait and the hub sees why; a bridge killed after acknowledging resumes from its journal without duplicates", { timeout: 90_000 }, async () => {
    const s = await shop();
    const fake = await printer();
    const bridge = await bridgeFor(s, fake);
    const first = await rawJob(s, "before the kill");
    await jobIn(bridge, s, first.id, "printed");

    fake.status = { paperOut: true };
    await waitFor(bridge, "the paper-out status at the hub", async () => {
      const listed = await must(api("GET", `/api/v1/stores/${s.storeId}/bridge`, { token: s.admin }), "bridge status");
      return listed.bridges.some((b: any) => b.devices.some((d: any) => d.id === "front" && d.status?.paperOut === true));
    });
    const waiting = [await rawJob(s, "waiting one"), await rawJob(s, "waiting two")];
    for (const j of waiting) await jobIn(bridge, s, j.id, "acked");
    expect(timesPrinted(fake, "waiting")).toBe(0);

    await bridge.kill();
    fake.status = {};
    bridge.start();
    // The hub never sends an acked job again: only the bridge's journal can print these now.
    for (const j of waiting) await jobIn(bridge, s, j.id, "printed");
    expect(timesPrinted(fake, "before the kill")).toBe(1);
    expect(timesPrinted(fake, "waiting one")).toBe(1);
    expect(timesPrinted(fake, "waiting two")).toBe(1);
    expect(fake.printed.toString("latin1").indexOf("waiting one")).toBeLessThan(fake.printed.toString("latin1").indexOf("waiting two"));
  });
});
