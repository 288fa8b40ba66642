import { env } from "cloudflare:test";
import { api, type ApiResponse } from "./helpers";

/** REST calls under /api/v1 as one token; `headers` for If-Match. */
export function client(token: string) {
  const call = (method: string) => (path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse> =>
    api(method, `/api/v1${path}`, { token, body, headers });
  return { get: call("GET"), post: call("POST"), put: call("PUT"), patch: call("PATCH"), del: call("DELETE") };
}

/**
 * A product straight into D1 (so that these tests do not depend on the products API): it uses a department
 * or tax group, live unless `deleted`.
 */
export async function insertProduct(tenantId: string, refs: { departmentId?: string; taxGroupId?: string; deleted?: boolean }) {
  const id = crypto.randomUUID();
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO products (id, tenant_id, sku, name, department_id, tax_group_id, sell_price, version, created_at, updated_at, deleted_at) VALUES (?, ?, ?, 'Fixture', ?, ?, 1000, 1, ?, ?, ?)",
  ).bind(id, tenantId, `SKU-${id.slice(0, 8)}`, refs.departmentId ?? null, refs.taxGroupId ?? null, now, now, refs.deleted ? now : null).run();
  return id;
}

/** How many rows of a table a tenant has, deleted ones included: a refused write must leave it as it was. */
export async function rowCount(table: string, tenantId: string) {
  return (await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`).bind(tenantId).first<{ n: number }>())!.n;
}

/** The error fields' paths of a 400 or 422. */
export const paths = (res: ApiResponse) => ((res.json?.fields ?? []) as { path: string }[]).map((f) => f.path);
