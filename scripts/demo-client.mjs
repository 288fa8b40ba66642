/**
 * The demo's API client: client_id `demo-integrator`, secret `demo-secret`, holding the demo admin's permissions.
 * The API only ever makes random client_ids and secrets, so the local demo seed, and only it, writes this one
 * straight into the local D1 database, the secret hashed as worker/domain/api-clients.ts hashes secrets
 * (SHA-256). Running it again puts it back as it was (not revoked, that secret, the admin's permissions now).
 */
import { execFileSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";

/** Only [a-z0-9-] names reach the SQL text, and the hash is hex. */
export function setDemoClient(slug, admin, client) {
  for (const name of [slug, admin, client.clientId]) if (!/^[a-z0-9-]+$/.test(name)) throw new Error("bad demo client name");
  if (!/^[A-Za-z0-9 ]+$/.test(client.name)) throw new Error("bad demo client name");
  const hash = createHash("sha256").update(client.secret).digest("hex");
  const now = Date.now();
  const tenant = `(SELECT id FROM tenants WHERE slug = '${slug}' AND deleted_at IS NULL)`;
  const adminId = `(SELECT id FROM users WHERE tenant_id = ${tenant} AND username = '${admin}')`;
  const permissions = `(SELECT json_group_array(value) FROM (SELECT DISTINCT p.value FROM user_store_roles usr JOIN roles r ON r.id = usr.role_id JOIN json_each(r.permissions) p WHERE usr.user_id = ${adminId} AND r.deleted_at IS NULL ORDER BY p.value))`;
  const sql = `INSERT INTO api_clients (id, tenant_id, name, client_id, secret_hash, secret_version, permissions, created_by, version, created_at, updated_at)
    SELECT '${randomUUID()}', ${tenant}, '${client.name}', '${client.clientId}', '${hash}', 1, ${permissions}, ${adminId}, 1, ${now}, ${now} WHERE ${tenant} IS NOT NULL
    ON CONFLICT (client_id) DO UPDATE SET
      secret_version = secret_version + (secret_hash <> excluded.secret_hash), secret_hash = excluded.secret_hash,
      permissions = excluded.permissions, revoked_at = NULL, revoked_by = NULL, version = version + 1, updated_at = excluded.updated_at;`;
  execFileSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--command", sql], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, CI: "true" },
  });
}
