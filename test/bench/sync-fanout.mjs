/**
 * Fan-out bench (part of `npm run bench`, run by run.mjs against its wrangler dev): 50 sockets on one store's
 * hub, then product changes through the REST API, one at a time. For each change: the time from the write's
 * answer (the change has committed by then; the fan-out starts after it) to each socket's `changed` message, and
 * to the last of the 50; and from the write's start to the last of the 50. The commit itself happens between
 * the write's start and its answer, so the two bracket commit-to-notification. Figures to read, not pass/fail.
 *
 * Node 20 has WebSocket only behind --experimental-websocket: without it, this file runs itself in a child
 * process that has it.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const SOCKETS = 50;

export async function benchFanout({ base, token, till, rounds }) {
  if (typeof globalThis.WebSocket !== "function") {
    execFileSync(process.execPath, ["--experimental-websocket", "--no-warnings", fileURLToPath(import.meta.url)], {
      stdio: "inherit",
      env: { ...process.env, FANOUT_ARGS: JSON.stringify({ base, token, till, rounds }) },
    });
    return;
  }
  const url = `${base.replace(/^http/, "ws")}/api/v1/sync/ws`;
  const sockets = await Promise.all(Array.from({ length: SOCKETS }, () => open(url, till)));
  // Let notifications of earlier writes (the bench's sales) drain before measuring.
  await new Promise((r) => setTimeout(r, 1000));
  const samples = [];
  const lasts = [];
  const writes = [];
  const fromStart = [];
  for (let i = 0; i < rounds; i++) {
    const waits = sockets.map((s) => s.nextChanged());
    const started = performance.now();
    const res = await fetch(`${base}/api/v1/products`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ sku: `FAN-${i}-${Date.now()}`, name: `Fan-out ${i}`, sellPrice: 100 }),
    });
    await res.arrayBuffer();
    const answered = performance.now();
    if (res.status !== 201) throw new Error(`product: ${res.status}`);
    writes.push(answered - started);
    const arrivals = await Promise.all(waits);
    const after = arrivals.map((t) => Math.max(0, t - answered));
    samples.push(...after);
    lasts.push(Math.max(...after));
    fromStart.push(Math.max(...arrivals) - started);
  }
  for (const s of sockets) s.ws.close(1000, "bench done");
  const pct = (values, p) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(1);
  };
  console.log(
    `${"sync fan-out, 50 sockets (per socket)".padEnd(36)} n=${String(samples.length).padStart(5)}  p50 ${pct(samples, 50).padStart(6)} ms  p99 ${pct(samples, 99).padStart(6)} ms  after the write's answer`,
  );
  console.log(`${"sync fan-out, 50 sockets (all told)".padEnd(36)} n=${String(lasts.length).padStart(5)}  p50 ${pct(lasts, 50).padStart(6)} ms  p99 ${pct(lasts, 99).padStart(6)} ms  after the write's answer`);
  console.log(`${"  all told, from the write's start".padEnd(36)} n=${String(fromStart.length).padStart(5)}  p50 ${pct(fromStart, 50).padStart(6)} ms  p99 ${pct(fromStart, 99).padStart(6)} ms  (the commit lies between the two)`);
  console.log(`${"  the write itself (POST /products)".padEnd(36)} n=${String(writes.length).padStart(5)}  p50 ${pct(writes, 50).padStart(6)} ms  p99 ${pct(writes, 99).padStart(6)} ms  (no fan-out in it)`);
}

/** A socket as a till opens it, said hello; `nextChanged()` resolves with the arrival time of its next `changed`. */
function open(url, credential) {
  return new Promise((resolve, reject) => {
    // A browser-style connection: the credential as a subprotocol.
    const ws = new WebSocket(url, ["edge-pos.sync.v1", `edge-pos.device.${credential}`]);
    let waiter;
    ws.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "welcome") resolve(socket);
      if (message.type === "changed" && waiter) {
        const w = waiter;
        waiter = undefined;
        w(performance.now());
      }
    });
    ws.addEventListener("open", () => ws.send(JSON.stringify({ v: 1, type: "hello", lastSeq: Number.MAX_SAFE_INTEGER })));
    ws.addEventListener("error", () => reject(new Error("socket error")));
    ws.addEventListener("close", (event) => waiter && reject(new Error(`socket closed ${event.code} ${event.reason}`)));
    const socket = {
      ws,
      nextChanged: () => new Promise((r, j) => {
        const timer = setTimeout(() => j(new Error("no changed message within 10 s")), 10_000);
        waiter = (t) => (clearTimeout(timer), r(t));
      }),
    };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.env.FANOUT_ARGS) {
  await benchFanout(JSON.parse(process.env.FANOUT_ARGS));
}
