/**
 * A shop on a running Worker (wrangler's local server), as the end-to-end tests and the bridge benchmark use it:
 * onboarding through the API, a till enrolled and signed in by PIN, a bridge enrolled with its own `pair` command
 * and run from its command line (as systemd runs it) in a child process, a till's socket to the store hub, and a
 * keyboard-wedge scanner on a FIFO (the bridge reads it as it reads /dev/input/by-id/…).
 *
 * Plain Node (no vitest): the benchmark imports it too.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, symlinkSync, writeFileSync, type WriteStream } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { getPlatformProxy, unstable_readConfig, unstable_startWorker } from "wrangler";
import WebSocket from "ws";
import { pair } from "../../bridge/pair";
import { SYNC_SUBPROTOCOL } from "../../schema/sync/messages";
import { keyStream } from "../fakes/evdev";
import { TEST_SECRETS } from "../fixtures/secrets.mjs";
import { tempDir } from "./daemon-fixtures";

const root = path.resolve(import.meta.dirname, "../..");

/** The part of the D1 binding used here (the Node side has no workers-types). */
interface LocalD1 {
  prepare(sql: string): unknown;
  batch(statements: unknown[]): Promise<unknown>;
}

export interface LocalWorker {
  api: WorkerApi;
  dispose(): Promise<void>;
}

/** The Worker on wrangler's local server (workerd, local D1 with the migrations applied, the store hubs), on a free port. */
export async function startLocalWorker(): Promise<LocalWorker> {
  const persistDir = mkdtempSync(path.join(tmpdir(), "edge-pos-live-"));
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
  const worker = await unstable_startWorker({
    config: path.join(root, "wrangler.toml"),
    bindings: Object.fromEntries(Object.entries(TEST_SECRETS).map(([key, value]) => [key, { type: "secret_text", value }])),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist: persistDir, watch: false, logLevel: "error" },
    sendMetrics: false,
  });
  return {
    api: new WorkerApi(await worker.url),
    dispose: async () => {
      await worker.dispose();
      rmSync(persistDir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  json: { success: boolean; data?: any; code?: string; error?: string };
}

/** REST calls to one Worker. */
export class WorkerApi {
  constructor(readonly base: URL) {}

  async call(method: string, pathname: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
    const res = await fetch(new URL(pathname, this.base), {
      method,
      headers: { ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}), ...(options.body ? { "Content-Type": "application/json" } : {}), ...options.headers },
      body: options.body ? JSON.stringify(options.body) : undefined,
    });
    return { status: res.status, json: (await res.json()) as Answer["json"] };
  }

  /** The answer's data; throws with the answer when the status is not `status`. */
  async must(method: string, pathname: string, options: Parameters<WorkerApi["call"]>[2] & { status?: number; what?: string } = {}): Promise<any> {
    const res = await this.call(method, pathname, options);
    const status = options.status ?? (method === "POST" ? 201 : 200);
    if (res.status !== status) throw new Error(`${options.what ?? `${method} ${pathname}`}: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json.data;
  }
}

export interface Shop {
  api: WorkerApi;
  slug: string;
  storeId: string;
  admin: string;
  /** The administrator signed in at the till by PIN. */
  cashier: string;
  /** The till's device credential (its socket to the hub). */
  till: string;
  registerId: string;
  productId: string;
}

/** A tenant with a store, a product, an enrolled till with the administrator signed in at it by PIN, an open register. */
export async function openShop(api: WorkerApi): Promise<Shop> {
  const slug = `shop-${crypto.randomUUID().slice(0, 8)}`;
  const created = await api.must("POST", "/api/v1/tenants", {
    token: TEST_SECRETS.OPERATOR_SECRET,
    what: "onboarding",
    body: {
      slug, name: `Tenant ${slug}`, currency: "SEK", corsOrigins: [],
      store: { code: "S001", name: "Hörnbutiken", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true, cashRoundingUnit: 100 },
      admin: { username: "admin", displayName: "Åsa Admin", password: "correct horse battery" },
    },
  });
  const storeId = created.store.id as string;
  const admin = (await api.must("POST", "/api/v1/auth/login", { status: 200, body: { tenant: slug, username: "admin", password: "correct horse battery" } })).accessToken as string;
  const rate = await api.must("POST", "/api/v1/taxes", { token: admin, body: { name: "Moms 12 %", rate: 1200 } });
  const group = await api.must("POST", "/api/v1/taxes/groups", { token: admin, body: { name: "Livsmedel", taxRateIds: [rate.id] } });
  const product = await api.must("POST", "/api/v1/products", { token: admin, body: { sku: "BULLE-1", name: "Kanelbulle", sellPrice: 3200, taxGroupId: group.id, costPrice: 1000 } });
  const register = await api.must("POST", `/api/v1/stores/${storeId}/registers`, { token: admin, body: { code: "T01", name: "Kassa 1" } });
  const till = (await api.must("POST", "/api/v1/devices/pair", { status: 200, body: { code: register.pairing.code } })).credential as string;
  const cashier = (await api.must("POST", "/api/v1/auth/pin-login", { status: 200, headers: { "X-Device-Credential": till }, body: { pin: created.admin.pin } })).accessToken as string;
  await api.must("POST", "/api/v1/registers/open", { token: admin, body: { registerId: register.id, openingFloat: 50000 } });
  return { api, slug, storeId, admin, cashier, till, registerId: register.id as string, productId: product.id as string };
}

/** A cash sale of two buns, priced by the Worker's own quote. */
export async function aSale(s: Shop): Promise<{ id: string; receiptNumber: string }> {
  const items = [{ productId: s.productId, quantity: 2000 }];
  const quoted = await s.api.must("POST", "/api/v1/sales/quote", { status: 200, token: s.cashier, body: { items, payments: [{ method: "CASH", amount: 0 }] } });
  const payments = [{ method: "CASH", amount: 10000 }];
  const priced = await s.api.must("POST", "/api/v1/sales/quote", { status: 200, token: s.cashier, body: { items: quoted.items.map(({ cataloguePrice: _c, ...i }: Record<string, unknown>) => i), payments } });
  const { cashTotalDue: _a, totalDue: _b, currency: _c, pricesIncludeTax: _d, ...body } = priced;
  return s.api.must("POST", "/api/v1/sales", {
    token: s.cashier,
    what: "sale",
    body: { ...body, id: crypto.randomUUID(), receiptNumber: `R-${crypto.randomUUID().slice(0, 8)}`, items: body.items.map(({ cataloguePrice: _x, ...i }: Record<string, unknown>) => i), payments },
  });
}

/** The bridge's command line in a child process, on its config file; its log lines are kept for a failure's message. */
export class BridgeProcess {
  private child: ChildProcess | undefined;
  readonly log: string[] = [];
  /** `bundle`: the file `npm run bridge:build` made, run as the box runs it; else the source, through tsx. */
  constructor(
    readonly configFile: string,
    private readonly bundle?: string,
  ) {}

  start(): void {
    const entry = this.bundle ? [this.bundle] : ["--import", "tsx", path.join(root, "bridge/main.ts")];
    const child = spawn(process.execPath, [...entry, "--config", this.configFile], { cwd: this.bundle ? path.dirname(this.bundle) : root, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d: Buffer) => this.log.push(...d.toString().split("\n").filter(Boolean)));
    child.stderr!.on("data", (d: Buffer) => this.log.push(d.toString()));
    this.child = child;
  }

  /** SIGKILL: no chance to flush or close anything. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }
}

/**
 * `npm run bridge:build` into a temporary folder; returns the bundle's path. The folder gets a node_modules link to
 * this repository's, standing in for the `npm install --omit=dev` the box does there (the native packages).
 */
export function buildBridge(): { bundle: string; remove: () => void } {
  const { dir, remove } = tempDir("edge-pos-bridge-build-");
  execFileSync(process.execPath, [path.join(root, "scripts/build-bridge.mjs"), "--out", dir], { stdio: "pipe" });
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  return { bundle: path.join(dir, "edge-pos-bridge.mjs"), remove };
}

/** Polls `check` until it holds; the error names what was awaited and ends with the bridge's last log lines. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, options: { ms?: number; bridge?: BridgeProcess; everyMs?: number } = {}): Promise<void> {
  const end = Date.now() + (options.ms ?? 20_000);
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${options.bridge ? `; the bridge's log:\n${options.bridge.log.slice(-30).join("\n")}` : ""}`);
    await new Promise((r) => setTimeout(r, options.everyMs ?? 100));
  }
}

export interface RunningBridge {
  process: BridgeProcess;
  deviceId: string;
  dir: string;
  /** Removes the bridge's folder (kill it first). */
  remove: () => void;
}

/**
 * Enrol a bridge for the shop with `pair`, write its config (one TCP printer "front" on `printerPort`, and a
 * keyboard-wedge scanner "scanner-1" on `scannerPath` when given), start it and wait until the hub sees it online
 * with its printer connected.
 */
export async function startBridge(s: Shop, options: { printerPort: number; scannerPath?: string; logLevel?: string; bundle?: string; localApiPort?: number }): Promise<RunningBridge> {
  const { dir, remove } = tempDir("edge-pos-live-bridge-");
  const device = await s.api.must("POST", `/api/v1/stores/${s.storeId}/devices`, { token: s.admin, body: { kind: "bridge", name: "Bakrummet" } });
  const paired = await pair({ hub: s.api.base, code: device.pairing.code, out: path.join(dir, "credential.txt") });
  if (paired.deviceId !== device.id) throw new Error(`pair enrolled ${paired.deviceId}, not ${device.id}`);
  const config = {
    hub: { url: s.api.base.origin, credentialFile: "credential.txt" },
    printers: [{ id: "front", name: "Kassaskrivare", transport: { type: "tcp", host: "127.0.0.1", port: options.printerPort }, profile: { columns: 42, codePage: "cp858", cut: "partial" }, default: true }],
    scanners: options.scannerPath ? [{ id: "scanner-1", name: "Handskanner", type: "evdev", path: options.scannerPath, layout: "se", grab: "try" }] : [],
    journal: { dir: "journal" },
    ...(options.localApiPort ? { localApi: { host: "127.0.0.1", port: options.localApiPort } } : {}),
    logLevel: options.logLevel ?? "info",
  };
  const configFile = path.join(dir, "bridge.json");
  writeFileSync(configFile, JSON.stringify(config));
  const bridge = new BridgeProcess(configFile, options.bundle);
  bridge.start();
  await waitFor("the bridge online with its printer connected", async () => {
    const listed = await s.api.must("GET", `/api/v1/stores/${s.storeId}/bridge`, { token: s.admin });
    return listed.bridges.some((b: any) => b.online && b.devices.some((d: any) => d.id === "front" && d.connected));
  }, { bridge });
  return { process: bridge, deviceId: device.id as string, dir, remove };
}

/** A till's socket to its store hub, announcing the bridge's features; keeps every message with its arrival time. */
export class TillSocket {
  readonly messages: any[] = [];
  private readonly waiters = new Set<() => void>();
  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const message = JSON.parse(data.toString());
      message.receivedAt = performance.now();
      this.messages.push(message);
      for (const w of this.waiters) w();
    });
  }

  static async connect(s: Shop, features = ["job.status", "bridge.status", "scan"]): Promise<TillSocket> {
    const url = new URL("/api/v1/sync/ws", s.api.base);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url, [SYNC_SUBPROTOCOL], { headers: { "X-Device-Credential": s.till } });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
      socket.once("unexpected-response", (_req, res) => reject(new Error(`till socket refused: ${res.statusCode}`)));
    });
    const till = new TillSocket(socket);
    socket.send(JSON.stringify({ v: 1, type: "hello", lastSeq: null, agent: "live-shop till", features }));
    await till.until("welcome", (m) => m.type === "welcome");
    return till;
  }

  /** The first message (at or after `from` in the list) that matches; waits for it. */
  until(what: string, match: (m: any) => boolean, options: { from?: number; ms?: number } = {}): Promise<any> {
    const from = options.from ?? 0;
    const found = () => this.messages.slice(from).find(match);
    const now = found();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`the till got no ${what}; it got: ${JSON.stringify(this.messages.slice(-10))}`));
      }, options.ms ?? 20_000);
      const check = () => {
        const m = found();
        if (!m) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(m);
      };
      this.waiters.add(check);
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** A keyboard-wedge scanner on a FIFO: what is written is what the bridge reads from the "device node". */
export class ScannerFifo {
  private writer: WriteStream | undefined;
  private constructor(readonly path: string) {}

  static create(dir: string): ScannerFifo {
    const file = path.join(dir, "scanner-event-kbd");
    execFileSync("mkfifo", [file]);
    return new ScannerFifo(file);
  }

  /** Type a scan: keys as test/fakes/evdev.ts names them, e.g. "7 3 1 0 ENTER". Opens the FIFO on first use. */
  async type(keys: string): Promise<void> {
    this.writer ??= createWriteStream(this.path);
    const bytes = keyStream(keys);
    await new Promise<void>((resolve, reject) => this.writer!.write(bytes, (e) => (e ? reject(e) : resolve())));
  }

  close(): void {
    this.writer?.destroy();
  }
}
