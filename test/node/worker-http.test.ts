/**
 * The Worker over real HTTP connections (wrangler's local server, as `npm run dev` runs it): what only a socket
 * shows, such as keep-alive after an oversized chunked body, and the static-asset router in front of the Worker.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_startWorker } from "wrangler";
import { TEST_SECRETS } from "../fixtures/secrets.mjs";

const root = path.resolve(import.meta.dirname, "../..");
const MiB = 1024 * 1024;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The request went out on a connection an earlier request had used (keep-alive). */
  reusedSocket: boolean;
}

let worker: Awaited<ReturnType<typeof unstable_startWorker>>;
let base: URL;
let persistDir: string;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** One request through the shared keep-alive agent; `chunks` are written one by one with no Content-Length. */
function request(method: string, pathname: string, options: { chunks?: Iterable<Buffer>; headers?: Record<string, string> } = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(new URL(pathname, base), { method, agent, headers: options.headers, timeout: 15_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, text, reusedSocket: req.reusedSocket }));
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${pathname}: no answer within 15 s`)));
    req.on("error", reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

function* chunksOf(total: number, size = 64 * 1024) {
  for (let sent = 0; sent < total; sent += size) yield Buffer.alloc(Math.min(size, total - sent), "a");
}

const json = { "Content-Type": "application/json" };
const login = JSON.stringify({ tenant: "no-such-tenant", username: "nobody", password: "not-a-password" });

beforeAll(async () => {
  persistDir = mkdtempSync(path.join(tmpdir(), "edge-pos-http-"));
  execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir], {
    cwd: root,
    env: { ...process.env, CI: "true" },
    stdio: "ignore",
  });
  worker = await unstable_startWorker({
    config: path.join(root, "wrangler.toml"),
    bindings: Object.fromEntries(Object.entries(TEST_SECRETS).map(([name, value]) => [name, { type: "secret_text", value }])),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist: persistDir, watch: false, logLevel: "error" },
    sendMetrics: false,
  });
  base = await worker.url;
}, 120_000);

afterAll(async () => {
  agent.destroy();
  await worker?.dispose();
  if (persistDir) rmSync(persistDir, { recursive: true, force: true });
});

describe("request bodies without a length (Transfer-Encoding: chunked)", () => {
  it("reads a small chunked body as JSON", async () => {
    const res = await request("POST", "/api/v1/auth/login", { headers: json, chunks: [Buffer.from(login.slice(0, 20)), Buffer.from(login.slice(20))] });
    expect(res.status, res.text).toBe(401);
    expect(JSON.parse(res.text)).toMatchObject({ code: "INVALID_CREDENTIALS" });
  });

  it("refuses a 2 MiB chunked body, and the next request on the same connection is answered", async () => {
    const big = await request("POST", "/api/v1/auth/login", { headers: json, chunks: chunksOf(2 * MiB) });
    expect(big.status).toBe(400);
    expect(JSON.parse(big.text)).toMatchObject({ success: false, code: "BODY_TOO_LARGE" });

    const next = await request("POST", "/api/v1/auth/login", { headers: json, chunks: [Buffer.from(login)] });
    expect(next.reusedSocket, "the second request went out on the first one's connection").toBe(true);
    expect(next.status, next.text).toBe(401);
    expect(JSON.parse(next.text)).toMatchObject({ code: "INVALID_CREDENTIALS" });
  });
});

describe("/docs through the asset router", () => {
  it("redirects /docs to /docs/, answers the page with its CSP, and serves the script it loads", async () => {
    const bare = await request("GET", "/docs");
    expect(bare.status).toBe(307);
    expect(bare.headers.location).toBe("/docs/");
    const page = await request("GET", "/docs/");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    const scripts = [...page.text.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toContain("/docs/vendor/swagger-ui-bundle.js");
    for (const src of scripts) {
      const script = await request("GET", src);
      expect(script.status, src).toBe(200);
      expect(script.headers["content-type"], src).toMatch(/javascript/);
    }
  });
});
