/**
 * The demo's fixed PINs (admin 1234, cashier 1111). No route lets a person choose a PIN — the server generates
 * them — so the local demo seed, and only it, writes these straight into the local D1 database, hashed exactly
 * as worker/auth/credentials.ts hashes them (PBKDF2-SHA256, 100 000 iterations, per-PIN salt; the lookup value is
 * HMAC-SHA256 under PIN_LOOKUP_KEY).
 */
import { execFileSync } from "node:child_process";
import { createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

const b64url = (buf) => buf.toString("base64url");

function pinHash(pin) {
  const salt = randomBytes(16);
  return `pbkdf2_sha256$100000$${b64url(salt)}$${b64url(pbkdf2Sync(pin, salt, 100_000, 32, "sha256"))}`;
}

const pinLookup = (pin, key) => createHmac("sha256", key).update(pin).digest("hex");

/** `pins`: { username: pin } of the tenant `slug`. Only digits, hex and base64url reach the SQL text. */
export function setDemoPins(slug, pins, lookupKey) {
  const statements = Object.entries(pins).flatMap(([username, pin]) => {
    if (!/^\d{4,8}$/.test(pin) || !/^[a-z0-9._@-]+$/.test(username) || !/^[a-z0-9-]+$/.test(slug)) throw new Error("bad demo PIN or name");
    const user = `(SELECT u.id FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = '${slug}' AND u.username = '${username}')`;
    const lookup = pinLookup(pin, lookupKey);
    return [
      `UPDATE users SET pin_hash = '${pinHash(pin)}', pin_lookup = '${lookup}' WHERE id = ${user};`,
      `INSERT OR REPLACE INTO store_pins (tenant_id, store_id, user_id, pin_lookup) SELECT DISTINCT usr.tenant_id, usr.store_id, usr.user_id, '${lookup}' FROM user_store_roles usr WHERE usr.user_id = ${user};`,
    ];
  });
  execFileSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--command", statements.join(" ")], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, CI: "true" },
  });
}
