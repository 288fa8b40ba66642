/**
 * Demo data for local development, loaded through the API itself (never by migrations):
 * tenant `demo`; store S001 "Demo Store" (SEK, VAT-inclusive) and S002 "Second Store";
 * `admin` (password below, PIN 1234) with every permission in both stores; `cashier` PIN 1111 with the default
 * Cashier role (sell, open and close their register, X report) in S001; a till "T01" in S001, enrolled, its device credential kept in .demo-till (git-ignored);
 * an API client `demo-integrator` / `demo-secret` (OAuth client credentials) holding the admin's permissions.
 * Then the demo catalogue (demo-catalogue.mjs). Each step checks what is there first, so running it again
 * changes nothing.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { seedCatalogue } from "./demo-catalogue.mjs";
import { setDemoClient } from "./demo-client.mjs";
import { setDemoPins } from "./demo-pins.mjs";

export const DEMO = {
  tenant: "demo",
  admin: { username: "admin", password: "demo-admin-password", pin: "1234" },
  cashier: { username: "cashier", password: "demo-cashier-password", pin: "1111" },
  till: { code: "T01", name: "Till 1", file: ".demo-till" },
  client: { clientId: "demo-integrator", secret: "demo-secret", name: "Demo integrator" },
};

async function call(base, method, path, { token, body, headers } = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  return { status: res.status, json };
}

function must(res, what) {
  if (res.status >= 300) throw new Error(`${what} failed: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.data;
}

const login = (base, store) =>
  call(base, "POST", "/api/v1/auth/login", { body: { tenant: DEMO.tenant, username: DEMO.admin.username, password: DEMO.admin.password, store } });

/** The demo till's credential: the one kept in .demo-till while it still works, else a new pairing of T01. */
async function demoTill(base, token, storeId, log) {
  if (existsSync(DEMO.till.file)) {
    const kept = readFileSync(DEMO.till.file, "utf8").trim();
    const current = await call(base, "GET", "/api/v1/devices/current", { headers: { "X-Device-Credential": kept } });
    if (current.status === 200) return kept;
  }
  const registers = must(await call(base, "GET", `/api/v1/stores/${storeId}/registers`, { token }), "listing registers");
  const existing = registers.find((r) => r.code === DEMO.till.code);
  const created = existing
    ? must(await call(base, "POST", `/api/v1/stores/${storeId}/registers/${existing.id}/pairing-code`, { token }), "re-pairing the demo till")
    : must(await call(base, "POST", `/api/v1/stores/${storeId}/registers`, { token, body: { code: DEMO.till.code, name: DEMO.till.name } }), "creating the demo till");
  const paired = must(await call(base, "POST", "/api/v1/devices/pair", { body: { code: created.pairing.code } }), "pairing the demo till");
  writeFileSync(DEMO.till.file, paired.credential + "\n", { mode: 0o600 });
  log(`demo: enrolled till ${DEMO.till.code} in S001 (credential in ${DEMO.till.file})`);
  return paired.credential;
}

/** Seed the demo; answers the demo till's device credential. */
export async function seedDemo(base, operatorSecret, pinLookupKey, log = console.log) {
  let signedIn = await login(base, "S001");
  if (signedIn.status === 401) {
    must(
      await call(base, "POST", "/api/v1/tenants", {
        token: operatorSecret,
        body: {
          slug: DEMO.tenant,
          name: "Demo Retail AB",
          currency: "SEK",
          corsOrigins: ["http://localhost:8787", "http://localhost:5173"],
          store: { code: "S001", name: "Demo Store", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true, cashRoundingUnit: 100, address: "Drottninggatan 1, Stockholm" },
          admin: { username: DEMO.admin.username, displayName: "Administrator", password: DEMO.admin.password },
        },
      }),
      "creating tenant demo",
    );
    log("demo: created tenant demo, store S001 and admin");
    signedIn = await login(base, "S001");
  }
  const token = must(signedIn, "admin login").accessToken;

  // S002: created by the admin, who thereby gets the Administrator role there too.
  const stores = must(await call(base, "GET", "/api/v1/stores?search=S002", { token }), "listing stores");
  if (!stores.some((s) => s.code === "S002")) {
    must(
      await call(base, "POST", "/api/v1/stores", {
        token,
        body: { code: "S002", name: "Second Store", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true, cashRoundingUnit: 100 },
      }),
      "creating store S002",
    );
    log("demo: created store S002");
  }

  const roles = must(await call(base, "GET", "/api/v1/roles?pageSize=200", { token }), "listing roles");
  // The default Cashier role: sells, looks up products and customers, opens and closes their register.
  const cashierRole = roles.find((r) => r.name === "Cashier");
  const storeS001 = must(await call(base, "GET", "/api/v1/stores/current", { token }), "current store");
  const users = must(await call(base, "GET", `/api/v1/users?search=${DEMO.cashier.username}`, { token }), "listing users");
  if (!users.some((u) => u.username === DEMO.cashier.username)) {
    must(
      await call(base, "POST", "/api/v1/users", {
        token,
        body: { username: DEMO.cashier.username, displayName: "Cashier", password: DEMO.cashier.password, storeRoles: [{ storeId: storeS001.id, roleId: cashierRole.id }] },
      }),
      "creating cashier",
    );
    log("demo: created user cashier");
  }

  // The demo's PINs are fixed (the API only ever issues random ones): written into the local database.
  setDemoPins(DEMO.tenant, { [DEMO.admin.username]: DEMO.admin.pin, [DEMO.cashier.username]: DEMO.cashier.pin }, pinLookupKey);
  const till = await demoTill(base, token, storeS001.id, log);
  // Likewise the demo's API client: fixed id and secret, written into the local database.
  setDemoClient(DEMO.tenant, DEMO.admin.username, DEMO.client);

  const api = async (method, path, options) => {
    const res = await call(base, method, path, options);
    if (res.status >= 300) throw new Error(`${method} ${path} failed: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json;
  };
  await seedCatalogue(api, token, log);
  return { till };
}
