#!/usr/bin/env node
/**
 * `npm run bench`: runs the Worker under `wrangler dev` against a throwaway local D1, onboards a tenant, and
 * prints latency percentiles and D1 round trips per endpoint, the sync fan-out, the store bridge's (print request
 * to the printer's last byte, scan to till), then the GraphQL face's figures (bundle size, startup, a fresh start,
 * a 100-product page) and the reports'. Figures to read, not pass/fail.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TEST_SECRETS } from "../fixtures/secrets.mjs";
import { benchSyncPull } from "./sync-pull.mjs";

const PORT = process.env.BENCH_PORT ?? "8799";
const BASE = `http://127.0.0.1:${PORT}`;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const dir = mkdtempSync(path.join(tmpdir(), "pos-bench-"));
const varsFile = path.join(dir, ".dev.vars");
writeFileSync(varsFile, Object.entries(TEST_SECRETS).map(([k, v]) => `${k}='${v}'`).join("\n"));

execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], { stdio: "ignore", env: { ...process.env, CI: "true" } });
const devArgs = ["wrangler", "dev", "--port", PORT, "--ip", "127.0.0.1", "--persist-to", dir, "--env-file", varsFile];
const server = spawn("npx", devArgs, { stdio: "ignore", detached: true });
const stop = () => {
  // wrangler runs workerd as a grandchild: end the whole process group.
  try {
    process.kill(-server.pid, "SIGTERM");
  } catch {}
  rmSync(dir, { recursive: true, force: true });
};
process.on("exit", stop);

async function call(method, p, { token, body, headers } = {}) {
  const started = performance.now();
  const res = await fetch(BASE + p, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  const ms = performance.now() - started;
  const timing = res.headers.get("Server-Timing") ?? "";
  const [, count, dur] = timing.match(/count=(\d+);dur=([\d.]+)/) ?? [];
  return { status: res.status, json, ms, d1Count: Number(count), d1Ms: Number(dur) };
}

for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${BASE}/health`)).ok) break;
  } catch {}
  if (i > 180) throw new Error("wrangler dev did not start");
  await new Promise((r) => setTimeout(r, 500));
}

const created = await call("POST", "/api/v1/tenants", {
  token: TEST_SECRETS.OPERATOR_SECRET,
  body: {
    slug: "bench", name: "Bench", currency: "SEK",
    store: { code: "S001", name: "Bench", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true },
    admin: { username: "admin", displayName: "Admin", password: "bench admin password" },
  },
});
if (created.status !== 201) throw new Error(JSON.stringify(created.json));
const adminLogin = { tenant: "bench", username: "admin", password: "bench admin password" };
const login = await call("POST", "/api/v1/auth/login", { body: adminLogin });
const token = login.json.data.accessToken;
const storeId = created.json.data.store.id;
const cashierRole = (await call("GET", "/api/v1/roles", { token })).json.data.find((r) => r.name === "Cashier").id;
for (let i = 0; i < 200; i++) {
  await call("POST", "/api/v1/users", { token, body: { username: `user${i}`, displayName: `User ${i}`, password: "benchmark password", storeRoles: [{ storeId, roleId: cashierRole }] } });
}

const register = await call("POST", `/api/v1/stores/${storeId}/registers`, { token, body: { code: "T01", name: "Till" } });
const till = (await call("POST", "/api/v1/devices/pair", { body: { code: register.json.data.pairing.code } })).json.data.credential;
const atTill = { "X-Device-Credential": till };

async function measure(name, rounds, fn) {
  const samples = [];
  let last;
  for (let i = 0; i < rounds; i++) {
    last = await fn(i);
    if (last.status >= 300) throw new Error(`${name}: ${last.status} ${JSON.stringify(last.json)}`);
    samples.push(last);
  }
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const pct = (p) => ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))].toFixed(1);
  const d1 = samples.reduce((a, s) => a + s.d1Ms, 0) / samples.length;
  console.log(`${name.padEnd(36)} n=${String(rounds).padStart(4)}  p50 ${pct(50).padStart(6)} ms  p95 ${pct(95).padStart(6)} ms  d1 round trips ${last.d1Count}  d1 ${d1.toFixed(2)} ms avg`);
}

console.log(`Edge POS API benchmark (wrangler dev, local D1, ${ROUNDS} rounds, 200 users)\n`);
await measure("GET /health", ROUNDS, () => call("GET", "/health"));
await measure("GET /api/v1/auth/me", ROUNDS, () => call("GET", "/api/v1/auth/me", { token }));
await measure("GET /api/v1/users?pageSize=50", ROUNDS, () => call("GET", "/api/v1/users?pageSize=50", { token }));
await measure("GET /api/v1/users?pageSize=200", ROUNDS, () => call("GET", "/api/v1/users?pageSize=200", { token }));
await measure("GET /api/v1/users?search=user1", ROUNDS, () => call("GET", "/api/v1/users?search=user1", { token }));
await measure("PUT /api/v1/stores/:id (versioned)", ROUNDS, (i) => call("PUT", `/api/v1/stores/${storeId}`, { token, body: { name: `Bench ${i}` } }));
await measure("POST /api/v1/departments (guarded)", ROUNDS, (i) => call("POST", "/api/v1/departments", { token, body: { name: `Dept ${i}` } }));
await measure("POST /api/v1/auth/login (PBKDF2)", Math.min(ROUNDS, 50), () => call("POST", "/api/v1/auth/login", { body: adminLogin }));
await measure("POST /api/v1/auth/pin-login (till)", Math.min(ROUNDS, 50), () => call("POST", "/api/v1/auth/pin-login", { body: { pin: created.json.data.admin.pin }, headers: atTill }));
await measure("POST /api/v1/auth/refresh", Math.min(ROUNDS, 50), async () => {
  const l = await call("POST", "/api/v1/auth/login", { body: adminLogin });
  return call("POST", "/api/v1/auth/refresh", { body: { refreshToken: l.json.data.refreshToken } });
});

// --- Checkout: a till sells. Two products with VAT, the admin at the till by PIN, the register open.
const vat = (await call("POST", "/api/v1/taxes", { token, body: { name: "Moms 25 %", rate: 2500 } })).json.data;
const group = (await call("POST", "/api/v1/taxes/groups", { token, body: { name: "Moms 25", taxRateIds: [vat.id] } })).json.data;
const item = async (n) => (await call("POST", "/api/v1/products", { token, body: { sku: `BENCH-${n}`, name: `Bench item ${n}`, sellPrice: 1990 + n, taxGroupId: group.id } })).json.data.id;
const productIds = [];
for (let i = 0; i < 10; i++) productIds.push(await item(i));
const cashier = (await call("POST", "/api/v1/auth/pin-login", { body: { pin: created.json.data.admin.pin }, headers: atTill })).json.data.accessToken;
const opened = await call("POST", "/api/v1/registers/open", { token: cashier, body: { openingFloat: 50000 } });
if (opened.status !== 201) throw new Error(`open register: ${JSON.stringify(opened.json)}`);

const basket = (lines) => ({ items: Array.from({ length: lines }, (_, i) => ({ productId: productIds[i % productIds.length], quantity: 1000 + (i % 3) * 1000 })), payments: [{ method: "CARD", amount: 0 }] });
async function saleTemplate(lines) {
  const probe = (await call("POST", "/api/v1/sales/quote", { token: cashier, body: basket(lines) })).json.data;
  const priced = (await call("POST", "/api/v1/sales/quote", { token: cashier, body: { ...basket(lines), payments: [{ method: "CARD", amount: probe.grandTotal }] } })).json.data;
  const { cashTotalDue: _c, totalDue: _d, currency: _cur, pricesIncludeTax: _p, ...body } = priced;
  return { ...body, items: body.items.map(({ cataloguePrice: _cp, ...i }) => i) };
}
let receipt = 0;
const sellFrom = (template) => call("POST", "/api/v1/sales", { token: cashier, body: { ...template, id: crypto.randomUUID(), receiptNumber: `B-${++receipt}` } });
const oneLine = await saleTemplate(1);
const hundredLines = await saleTemplate(100);
await measure("POST /api/v1/sales/quote (1 line)", ROUNDS, () => call("POST", "/api/v1/sales/quote", { token: cashier, body: basket(1) }));
await measure("POST /api/v1/sales/quote (100 lines)", Math.min(ROUNDS, 50), () => call("POST", "/api/v1/sales/quote", { token: cashier, body: basket(100) }));
await measure("POST /api/v1/sales (1 line)", ROUNDS, () => sellFrom(oneLine));
await measure("POST /api/v1/sales (100 lines)", Math.min(ROUNDS, 50), () => sellFrom(hundredLines));

/** The CPU time (ms) the wrangler dev process group's workerd has used: the Worker and the local D1. */
function workerdCpuMs() {
  // wrangler dev was started detached, so its pid is its process group's id.
  const pids = execFileSync("pgrep", ["-g", String(server.pid), "workerd"]).toString().trim().split("\n").filter(Boolean);
  const ticks = pids.reduce((sum, pid) => {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return sum + Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
  }, 0);
  return (ticks * 1000) / 100;
}

async function load(name, connections, total, template, send = () => sellFrom(template), okStatus = 201) {
  let sent = 0;
  const latencies = [];
  const cpuBefore = workerdCpuMs();
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, async () => {
    while (sent < total) {
      sent++;
      const res = await send();
      if (res.status !== okStatus) throw new Error(`${name}: ${res.status} ${JSON.stringify(res.json)}`);
      latencies.push(res.ms);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const cpu = workerdCpuMs() - cpuBefore;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1);
  console.log(`${name.padEnd(36)} ${connections} connections, ${total} requests: ${(total / seconds).toFixed(0)}/s  p50 ${pct(50)} ms  p99 ${pct(99)} ms  workerd CPU ${(cpu / total).toFixed(2)} ms each`);
}
console.log("");
await load("POST /api/v1/sales (1 line) load", 16, Math.max(ROUNDS * 2, 200), oneLine);
await load("POST /api/v1/sales (10 lines) load", 16, Math.max(ROUNDS, 100), await saleTemplate(10));
await load("POST /api/v1/sales/quote (10 lines) load", 16, Math.max(ROUNDS * 2, 200), null, () => call("POST", "/api/v1/sales/quote", { token: cashier, body: basket(10) }), 200);
await benchSyncPull(call);
console.log("");
await (await import("./sync-fanout.mjs")).benchFanout({ base: BASE, token, till, rounds: Math.min(ROUNDS, 100) });
// The bridge bench is TypeScript (it runs the bridge's own code and the test fakes): tsx runs it in a child.
execFileSync(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "bridge.ts")], {
  stdio: "inherit",
  env: { ...process.env, BRIDGE_BENCH_BASE: BASE, BRIDGE_BENCH_JOBS: String(ROUNDS) },
});
// The GraphQL bench ends with a fresh start of wrangler dev: the reports go on with the new one.
const restarted = await (await import("./graphql.mjs")).benchGraphql({ base: BASE, call, measure, load, server, devArgs });
await (await import("./reports.mjs")).benchReports({ base: BASE, call, measure, dir, tenantId: created.json.data.tenant.id, storeId, login: adminLogin, server: restarted, devArgs });
process.exit(0);
