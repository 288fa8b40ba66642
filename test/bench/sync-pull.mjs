/**
 * Bench: a till that has never synced catches up on 10,000 changes (`npm run bench`, called from run.mjs with
 * its HTTP helper). A tenant of its own, so the feed holds exactly what this makes: products created, changed
 * and given store prices through worksheets (250 changes per apply), then pulled from empty, 1000 per page.
 */
import { TEST_SECRETS } from "../fixtures/secrets.mjs";

export async function benchSyncPull(call) {
  const must = async (p) => {
    const res = await p;
    if (res.status >= 300) throw new Error(`sync-pull bench: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json.data;
  };
  const created = await must(call("POST", "/api/v1/tenants", {
    token: TEST_SECRETS.OPERATOR_SECRET,
    body: {
      slug: "bench-sync", name: "Bench sync", currency: "SEK",
      store: { code: "S001", name: "Bench", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true },
      admin: { username: "admin", displayName: "Admin", password: "bench admin password" },
    },
  }));
  const storeId = created.store.id;
  let token = (await must(call("POST", "/api/v1/auth/login", { body: { tenant: "bench-sync", username: "admin", password: "bench admin password" } }))).accessToken;
  const register = await must(call("POST", `/api/v1/stores/${storeId}/registers`, { token, body: { code: "T01", name: "Till" } }));
  const till = (await must(call("POST", "/api/v1/devices/pair", { body: { code: register.pairing.code } }))).credential;

  const started = performance.now();
  const worksheet = async (body) => {
    const sheet = await must(call("POST", "/api/v1/worksheets", { token, body }));
    for (const step of ["submit", "approve", "apply"]) await must(call("PATCH", `/api/v1/worksheets/${sheet.id}/${step}`, { token, body: {} }));
  };
  const productIds = [];
  for (let w = 0; w < 24; w++) {
    const items = Array.from({ length: 250 }, (_, i) => {
      const id = crypto.randomUUID();
      productIds.push(id);
      return { product: { id, sku: `P-${w * 250 + i}`, name: `Vara ${w * 250 + i}`, sellPrice: 1000 + i } };
    });
    await worksheet({ kind: "new_product", name: `Nya ${w}`, items });
  }
  for (let w = 0; w < 8; w++) {
    await worksheet({ kind: "price_change", name: `Priser ${w}`, storeIds: [storeId], items: productIds.slice(w * 250, w * 250 + 250).map((productId) => ({ productId, sellPrice: 900 })) });
  }
  for (let w = 0; w < 8; w++) {
    await worksheet({ kind: "product_update", name: `Ändra ${w}`, items: productIds.slice((w % 4) * 250, (w % 4) * 250 + 250).map((productId) => ({ productId, changes: { name: `Ny ${w}` } })) });
  }
  const madeIn = (performance.now() - started) / 1000;

  const t0 = performance.now();
  let since;
  let pages = 0;
  let roundTrips = 0;
  let changes = 0;
  let reached = 0;
  const pageMs = [];
  for (;;) {
    const qs = new URLSearchParams({ limit: "1000", ...(since ? { since } : {}) });
    const res = await call("GET", `/api/v1/sync/pull?${qs}`, { headers: { "X-Device-Credential": till } });
    if (res.status !== 200) throw new Error(`sync-pull bench: ${res.status} ${JSON.stringify(res.json)}`);
    pages++;
    roundTrips += res.d1Count;
    changes += res.json.data.changes.length;
    pageMs.push(res.ms);
    reached = res.json.data.seq;
    since = res.json.data.cursor;
    if (!res.json.data.hasMore) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  pageMs.sort((a, b) => a - b);
  const feedRows = 24 * 250 + 8 * 250 + 8 * 250;
  console.log(`\nSync pull catch-up from empty (${feedRows}+ changes made in ${madeIn.toFixed(1)} s through worksheets, limit 1000)`);
  console.log(`GET /api/v1/sync/pull (catch-up)       ${pages} pages, ${changes} changes after compaction: ${seconds.toFixed(2)} s, D1 round trips ${roundTrips} (${(roundTrips / pages).toFixed(1)} a page), page p50 ${pageMs[Math.floor(pages / 2)].toFixed(0)} ms, max ${pageMs.at(-1).toFixed(0)} ms, reached seq ${reached}`);
}
