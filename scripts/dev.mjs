#!/usr/bin/env node
/**
 * `npm run dev`: local secrets, D1 migrations, `wrangler dev` on http://localhost:8787, then the demo data
 * (loaded through the API once it answers).
 */
import { execFileSync, spawn } from "node:child_process";
import { ensureDevVars } from "./dev-vars.mjs";
import { copyDocsAssets } from "./docs-assets.mjs";
import { DEMO, seedDemo } from "./demo-data.mjs";

const PORT = process.env.PORT ?? "8787";
const BASE = `http://localhost:${PORT}`;
const wrangler = (args, options) => execFileSync("npx", ["wrangler", ...args], { stdio: "inherit", ...options });

const vars = ensureDevVars();
copyDocsAssets();
console.log("Applying D1 migrations to the local database...");
wrangler(["d1", "migrations", "apply", "DB", "--local"], { env: { ...process.env, CI: "true" } });

const server = spawn("npx", ["wrangler", "dev", "--port", PORT, ...process.argv.slice(2)], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));
server.on("exit", (code) => process.exit(code ?? 0));

async function waitForHealth(deadline = Date.now() + 90_000) {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${BASE}/health`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`wrangler dev did not answer on ${BASE} within 90 s`);
}

try {
  await waitForHealth();
  const { till } = await seedDemo(BASE, vars.OPERATOR_SECRET, vars.PIN_LOOKUP_KEY);
  console.log(`
  Edge POS is running on ${BASE}   (API reference: ${BASE}/docs)
  Demo tenant "${DEMO.tenant}":
    admin    password ${DEMO.admin.password}, PIN ${DEMO.admin.pin} (every permission, S001 and S002)
    cashier  PIN ${DEMO.cashier.pin} (Cashier role: sell, open and close the register, S001)
    till ${DEMO.till.code} in S001, device credential (X-Device-Credential, also in ${DEMO.till.file}):
      ${till}
  Back office:  curl -s ${BASE}/api/v1/auth/login -H 'Content-Type: application/json' -d '{"tenant":"demo","username":"admin","password":"${DEMO.admin.password}"}'
  At the till:  curl -s ${BASE}/api/v1/auth/pin-login -H "X-Device-Credential: $(cat ${DEMO.till.file})" -H 'Content-Type: application/json' -d '{"pin":"${DEMO.cashier.pin}"}'
  Integrator:   curl -s ${BASE}/oauth/token -u ${DEMO.client.clientId}:${DEMO.client.secret} -d grant_type=client_credentials   (OAuth client credentials)
`);
} catch (error) {
  console.error(`Loading demo data failed: ${error.message}`);
}
