/**
 * Bench of the GraphQL face (`npm run bench`, called from run.mjs with its helpers): the Worker bundle's size
 * against the 400 KiB gzip budget, its startup, a fresh start of the Worker up to its first /graphql answer, and
 * req/s and p99 of a page of 100 products with their group, taxes, prices and stock per location. Figures to read,
 * not pass/fail.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { TEST_SECRETS } from "../fixtures/secrets.mjs";

const BUDGET_KIB = 400;
const PRODUCTS = 100;
const STARTUP_RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 5);
const ROOT = path.join(import.meta.dirname, "../..");
const kib = (bytes) => (bytes / 1024).toFixed(1);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const npx = (args, options = {}) => execFileSync("npx", args, { cwd: ROOT, env: { ...process.env, CI: "true" }, ...options });

/** The page the bench reads: every product of its tenant, with what an integrator syncing a catalogue needs. */
export const PRODUCT_PAGE_QUERY = `query ProductPage($first: Int) {
  product(first: $first) {
    hasMoreResults
    items {
      id sku name sellPrice
      group { id name }
      taxes { name rate rateMillionths isCompound }
      prices { price location { code } }
      stock { quantity location { code } }
    }
  }
}`;

/** What makes up the GraphQL face in the bundle: its packages and worker/graphql (the rest it shares with REST). */
const GRAPHQL_INPUTS =
  /(node_modules\/(graphql|graphql-yoga|@graphql-tools|@graphql-yoga|@envelop|@whatwg-node|@escape\.tech|@pothos|dataloader|lru-cache|cross-inspect|@repeaterjs)\/|^worker\/graphql\/)/;

/** What `wrangler deploy` would upload as the Worker: every module of the bundle (not its source map); the static assets are uploaded apart. */
function bundle(extraArgs) {
  const out = mkdtempSync(path.join(tmpdir(), "pos-bundle-"));
  try {
    npx(["wrangler", "deploy", "--dry-run", "--outdir", out, "--metafile", path.join(out, "meta.json"), ...extraArgs], { stdio: "ignore" });
    const modules = readdirSync(out).filter((f) => /\.(m?js|wasm)$/.test(f));
    const raw = modules.reduce((sum, f) => sum + statSync(path.join(out, f)).size, 0);
    const gzip = modules.reduce((sum, f) => sum + gzipSync(readFileSync(path.join(out, f))).length, 0);
    const meta = JSON.parse(readFileSync(path.join(out, "meta.json"), "utf8"));
    const inputs = Object.entries(meta.outputs).filter(([file]) => !file.endsWith(".map")).flatMap(([, o]) => Object.entries(o.inputs));
    const graphqlRaw = inputs.filter(([file]) => GRAPHQL_INPUTS.test(file)).reduce((sum, [, i]) => sum + i.bytesInOutput, 0);
    return { raw, gzip, graphqlRaw };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function benchBundle() {
  console.log(`Worker bundle (wrangler deploy --dry-run: the modules it would upload, Yoga and everything; static assets are uploaded apart)`);
  for (const [label, args] of [["as configured (wrangler.toml)", []], ["minified (--minify)", ["--minify"]]]) {
    const { raw, gzip, graphqlRaw } = bundle(args);
    console.log(
      `  ${label.padEnd(30)} ${kib(raw).padStart(7)} KiB raw  ${kib(gzip).padStart(6)} KiB gzip  (budget ${BUDGET_KIB} KiB gzip: ${(100 * gzip / 1024 / BUDGET_KIB).toFixed(0)} %)` +
        `  of it GraphQL (Yoga, graphql-js, Pothos, worker/graphql) ${kib(graphqlRaw)} KiB raw`,
    );
  }
}

/**
 * Startup as Cloudflare counts it (a deploy is refused over 1 s): parsing the script and running its global scope,
 * before any request. `wrangler check startup` profiles exactly that in a local workerd; the span is the profile's
 * length, the CPU part the samples spent in JavaScript or the collector (not idle).
 */
function benchStartupProfile() {
  const out = mkdtempSync(path.join(tmpdir(), "pos-startup-"));
  const spans = [];
  const busy = [];
  try {
    for (let i = 0; i < STARTUP_RUNS; i++) {
      const file = path.join(out, `startup-${i}.cpuprofile`);
      npx(["wrangler", "check", "startup", "--outfile", file], { stdio: "ignore" });
      const profile = JSON.parse(readFileSync(file, "utf8"));
      const idle = new Set(profile.nodes.filter((n) => ["(idle)", "(program)"].includes(n.callFrame.functionName)).map((n) => n.id));
      spans.push((profile.endTime - profile.startTime) / 1000);
      busy.push(profile.samples.reduce((sum, id, k) => sum + (idle.has(id) ? 0 : profile.timeDeltas[k]), 0) / 1000);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  console.log(
    `Worker startup (wrangler check startup, median of ${STARTUP_RUNS}, this machine's CPU, unminified): ` +
      `${median(spans).toFixed(0)} ms from parse to the end of the global scope, ${median(busy).toFixed(0)} ms of it in JavaScript (Cloudflare's limit: 1000 ms)`,
  );
}

/** wrangler dev's own log line once the Worker listens. */
function whenReady(child) {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (chunk) => {
      seen = (seen + chunk).slice(-4096);
      if (/Ready on http/.test(seen)) {
        child.stdout.off("data", onData);
        child.stdout.resume(); // keep draining its request log
        resolve(performance.now());
      }
    };
    child.stdout.on("data", onData);
    child.once("exit", (code) => reject(new Error(`wrangler dev exited (${code}) before it was ready`)));
  });
}

async function until(base, up) {
  for (let i = 0; i < 240; i++) {
    const ok = await fetch(`${base}/health`).then((r) => r.ok, () => false);
    if (ok === up) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not ${up ? "start" : "stop"}`);
}

async function seedCatalogue(call) {
  const must = async (p) => {
    const res = await p;
    if (res.status >= 300) throw new Error(`graphql bench: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json.data;
  };
  const login = { tenant: "bench-graphql", username: "admin", password: "bench admin password" };
  const created = await must(call("POST", "/api/v1/tenants", {
    token: TEST_SECRETS.OPERATOR_SECRET,
    body: {
      slug: login.tenant, name: "Bench GraphQL", currency: "SEK",
      store: { code: "S001", name: "Bench", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true },
      admin: { username: login.username, displayName: "Admin", password: login.password },
    },
  }));
  const token = (await must(call("POST", "/api/v1/auth/login", { body: login }))).accessToken;
  const second = await must(call("POST", "/api/v1/stores", { token, body: { code: "S002", name: "Bench 2", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true } }));
  const stores = [created.store.id, second.id];
  const groups = [];
  for (const [name, rate] of [["Moms 25 %", 2500], ["Moms 12 %", 1200], ["Moms 6 %", 600]]) {
    const tax = await must(call("POST", "/api/v1/taxes", { token, body: { name, rate } }));
    groups.push((await must(call("POST", "/api/v1/taxes/groups", { token, body: { name, taxRateIds: [tax.id] } }))).id);
  }
  const departments = [];
  for (let d = 0; d < 5; d++) departments.push((await must(call("POST", "/api/v1/departments", { token, body: { name: `Group ${d}` } }))).id);
  const products = [];
  for (let i = 0; i < PRODUCTS; i++) {
    const body = { sku: `GQL-${String(i).padStart(3, "0")}`, name: `GraphQL bench product ${i}`, sellPrice: 1000 + i * 10, taxGroupId: groups[i % 3], departmentId: departments[i % 5] };
    products.push((await must(call("POST", "/api/v1/products", { token, body }))).id);
  }
  for (const [s, storeId] of stores.entries()) {
    const lines = products.map((productId, i) => ({ productId, quantity: 1000 * (10 + ((i + s) % 7)) }));
    await must(call("POST", "/api/v1/inventory/adjustments", { token, body: { storeId, reason: "received", lines } }));
  }
  for (const productId of products.slice(0, PRODUCTS / 2)) {
    await must(call("POST", "/api/v1/store-prices", { token, body: { storeId: stores[1], productId, price: 999 } }));
  }
  return { login, token };
}

/** One page of the products over /graphql; a GraphQL error counts as a failed request. */
async function productPage(call, token) {
  const res = await call("POST", "/graphql", { token, body: { query: PRODUCT_PAGE_QUERY, variables: { first: PRODUCTS } } });
  const items = res.json?.data?.product?.items;
  if (res.json?.errors || items?.length !== PRODUCTS) return { ...res, status: res.status === 200 ? 502 : res.status };
  return res;
}

/**
 * Seeds its own tenant, times the product page (sequentially with its D1 round trips, then under load), then stops
 * the bench's wrangler dev and starts it again to time a fresh start. Answers the new wrangler dev process, which
 * the benches after this one use.
 */
export async function benchGraphql({ base, call, measure, load, server, devArgs }) {
  // Timings scale with whatever else the machine runs: say how busy it was.
  console.log(`\nGraphQL (load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} CPUs at the start)\n`);
  benchBundle();
  benchStartupProfile();

  // The measurements above left the client's keep-alive socket idle long enough for the server to close it.
  await until(base, true);
  const { login, token } = await seedCatalogue(call);
  console.log("");
  await measure(`POST /graphql ${PRODUCTS} products`, 50, () => productPage(call, token));
  await load(`POST /graphql ${PRODUCTS} products load`, 16, 400, null, () => productPage(call, token), 200);

  // A fresh start: wrangler dev again on the same local D1. Its "Ready" comes after wrangler has bundled the Worker
  // and workerd has loaded it; the first request (the product page, with a token signed before the restart) then
  // pays what is left of a cold isolate (first use of Yoga and the schema, the JIT, opening D1), the warm ones after
  // it do not.
  const signedIn = (await call("POST", "/api/v1/auth/login", { body: login })).json.data.accessToken;
  process.kill(-server.pid, "SIGTERM");
  await until(base, false);
  const started = performance.now();
  const fresh = spawn("npx", devArgs, { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"], detached: true });
  process.on("exit", () => {
    try {
      process.kill(-fresh.pid, "SIGTERM");
    } catch {}
  });
  const ready = await whenReady(fresh);
  const first = await productPage(call, signedIn);
  if (first.status !== 200) throw new Error(`first /graphql after a fresh start: ${first.status} ${JSON.stringify(first.json)}`);
  const answered = performance.now();
  const warm = [];
  for (let i = 0; i < 20; i++) warm.push((await productPage(call, signedIn)).ms);
  console.log(
    `\nFresh start (wrangler dev, local): ready ${((ready - started) / 1000).toFixed(1)} s after launch (wrangler's bundling and workerd's start), ` +
      `first ${PRODUCTS}-product page answered ${((answered - started) / 1000).toFixed(1)} s after launch;\n` +
      `  that first request took ${first.ms.toFixed(0)} ms, the 20 after it a median of ${median(warm).toFixed(0)} ms each`,
  );
  return fresh;
}
