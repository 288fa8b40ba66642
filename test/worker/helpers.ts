import { createExecutionContext, env } from "cloudflare:test";
import worker from "../../worker/index";
import { TEST_SECRETS } from "../fixtures/secrets.mjs";

export interface ApiOptions {
  token?: string;
  body?: unknown;
  /** A raw body sent as is (for malformed-input tests). */
  rawBody?: string;
  headers?: Record<string, string>;
  ip?: string;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  json: T;
}

/** A random client address, so one test file's failed logins never throttle another's. */
export const randomIp = () => `10.${rand(255)}.${rand(255)}.${rand(254) + 1}`;
const rand = (n: number) => Math.floor(Math.random() * n);
const defaultIp = randomIp();

/**
 * A request to the Worker's own fetch handler, with the test's bindings and an execution context of its own.
 * Not `exports.default.fetch` (or SELF): in @cloudflare/vitest-pool-workers 0.15.1 each call through the
 * entrypoint wrapper nests one more Proxy around the wrapper's prototype (createProxyPrototypeClass), so every
 * request costs more than the one before; after a few thousand requests a test spends seconds per request and
 * ends in "Maximum call stack size exceeded". Tests of what sits in front of the Worker (the static-asset router)
 * still go through `exports.default`.
 */
export const fetchWorker = (request: Request) => worker.fetch(request, env, createExecutionContext());

export async function api<T = any>(method: string, path: string, options: ApiOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { "CF-Connecting-IP": options.ip ?? defaultIp, ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] ??= "application/json";
  }
  const response = await fetchWorker(new Request(`http://pos.test${path}`, { method, headers, body }));
  const text = await response.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: response.status, headers: response.headers, json };
}

export const uniqueSlug = (prefix = "t") => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

export interface TestTenant {
  slug: string;
  tenantId: string;
  storeId: string;
  storeCode: string;
  adminId: string;
  adminRoleId: string;
  /** The administrator's password (back office) and generated PIN (tills). */
  adminPassword: string;
  adminPin: string;
  adminToken: string;
  adminRefresh: string;
  roles: Record<string, string>;
}

export const ADMIN_PASSWORD = "correct horse battery";

/** Onboard a fresh tenant (store S001, admin with ADMIN_PASSWORD and a generated PIN) and sign the admin in. */
export async function createTenant(options: { slug?: string; pricesIncludeTax?: boolean; corsOrigins?: string[] } = {}): Promise<TestTenant> {
  const slug = options.slug ?? uniqueSlug();
  const created = await api("POST", "/api/v1/tenants", {
    token: TEST_SECRETS.OPERATOR_SECRET,
    body: {
      slug,
      name: `Tenant ${slug}`,
      currency: "SEK",
      corsOrigins: options.corsOrigins ?? [],
      store: { code: "S001", name: "Main Store", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: options.pricesIncludeTax ?? true, cashRoundingUnit: 100 },
      admin: { username: "admin", displayName: "Administrator", password: ADMIN_PASSWORD },
    },
  });
  if (created.status !== 201) throw new Error(`tenant onboarding failed: ${created.status} ${JSON.stringify(created.json)}`);
  const login = await api("POST", "/api/v1/auth/login", { body: { tenant: slug, username: "admin", password: ADMIN_PASSWORD } });
  if (login.status !== 200) throw new Error(`admin login failed: ${login.status} ${JSON.stringify(login.json)}`);
  const roleList = await api("GET", "/api/v1/roles", { token: login.json.data.accessToken });
  return {
    slug,
    tenantId: created.json.data.tenant.id,
    storeId: created.json.data.store.id,
    storeCode: "S001",
    adminId: created.json.data.admin.id,
    adminRoleId: created.json.data.adminRole.id,
    adminPassword: ADMIN_PASSWORD,
    adminPin: created.json.data.admin.pin,
    adminToken: login.json.data.accessToken,
    adminRefresh: login.json.data.refreshToken,
    roles: Object.fromEntries(roleList.json.data.map((r: { name: string; id: string }) => [r.name, r.id])),
  };
}

/** Create a role with exactly these permissions and a user (password only, no PIN) holding it in the tenant's store; sign them in. */
export async function userWith(t: TestTenant, permissions: string[], options: { username?: string } = {}) {
  const role = await api("POST", "/api/v1/roles", { token: t.adminToken, body: { name: `role-${crypto.randomUUID().slice(0, 8)}`, permissions } });
  if (role.status !== 201) throw new Error(`role: ${JSON.stringify(role.json)}`);
  const username = options.username ?? `u${crypto.randomUUID().slice(0, 8)}`;
  const password = "a long enough password";
  const user = await api("POST", "/api/v1/users", {
    token: t.adminToken,
    body: { username, displayName: username, password, issuePin: false, storeRoles: [{ storeId: t.storeId, roleId: role.json.data.id }] },
  });
  if (user.status !== 201) throw new Error(`user: ${JSON.stringify(user.json)}`);
  const login = await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username, password } });
  if (login.status !== 200) throw new Error(`login: ${JSON.stringify(login.json)}`);
  return { id: user.json.data.id as string, username, password, roleId: role.json.data.id as string, token: login.json.data.accessToken as string, refreshToken: login.json.data.refreshToken as string };
}

export const operatorToken = TEST_SECRETS.OPERATOR_SECRET;

/** Insert catalogue rows straight into D1 (for tests of routes that reference them). */
export async function insertDepartment(tenantId: string, name: string) {
  const { env } = await import("cloudflare:test");
  const id = crypto.randomUUID();
  const now = Date.now();
  await env.DB.prepare("INSERT INTO departments (id, tenant_id, name, is_active, version, created_at, updated_at) VALUES (?, ?, ?, 1, 1, ?, ?)").bind(id, tenantId, name, now, now).run();
  return id;
}

/** A tax group of the given rates (millionths), in order; returns the group id. */
export async function insertTaxGroup(tenantId: string, name: string, rates: { name: string; millionths: number; isCompound?: boolean }[]) {
  const { env } = await import("cloudflare:test");
  const now = Date.now();
  const groupId = crypto.randomUUID();
  const statements = [env.DB.prepare("INSERT INTO tax_groups (id, tenant_id, name, version, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)").bind(groupId, tenantId, name, now, now)];
  rates.forEach((r, i) => {
    const rateId = crypto.randomUUID();
    statements.push(
      env.DB.prepare("INSERT INTO tax_rates (id, tenant_id, name, rate_millionths, is_compound, is_active, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, 1, ?, ?)").bind(rateId, tenantId, `${r.name} ${groupId.slice(0, 4)}`, r.millionths, r.isCompound ? 1 : 0, now, now),
      env.DB.prepare("INSERT INTO tax_group_rates (tenant_id, tax_group_id, tax_rate_id, sort_order) VALUES (?, ?, ?, ?)").bind(tenantId, groupId, rateId, i),
    );
  });
  await env.DB.batch(statements);
  return groupId;
}

/** Change-feed rows of one entity, oldest first. */
export async function feedOf(entityId: string) {
  const { env } = await import("cloudflare:test");
  const { results } = await env.DB.prepare("SELECT seq, tenant_id, store_id, entity, entity_id, op, version FROM change_feed WHERE entity_id = ? ORDER BY seq").bind(entityId).all();
  return results as { seq: number; tenant_id: string; store_id: string | null; entity: string; entity_id: string; op: string; version: number }[];
}

/** Audit rows of one entity, oldest first (detail parsed). */
export async function auditOf(entityId: string) {
  const { env } = await import("cloudflare:test");
  const { results } = await env.DB.prepare("SELECT tenant_id, actor_type, actor_id, action, entity, detail FROM audit_log WHERE entity_id = ? ORDER BY at, rowid").bind(entityId).all();
  return (results as { tenant_id: string | null; actor_type: string; actor_id: string | null; action: string; entity: string; detail: string | null }[])
    .map((r) => ({ ...r, detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>) }));
}

/** How many change-feed and audit rows a tenant has: a refused write must leave both as they were. */
export async function journalCounts(tenantId: string) {
  const { env } = await import("cloudflare:test");
  const row = await env.DB.prepare("SELECT (SELECT count(*) FROM change_feed WHERE tenant_id = ?1) AS feed, (SELECT count(*) FROM audit_log WHERE tenant_id = ?1) AS audit")
    .bind(tenantId).first<{ feed: number; audit: number }>();
  return row!;
}

/** Create a store in the tenant as its admin (SEK, Europe/Stockholm unless overridden); throws unless 201. */
export async function createStore(t: TestTenant, code: string, extra: Record<string, unknown> = {}, token = t.adminToken) {
  const res = await api("POST", "/api/v1/stores", { token, body: { code, name: `Store ${code}`, currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true, ...extra } });
  if (res.status !== 201) throw new Error(`store: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.data as { id: string; code: string; name: string; version: number };
}

/** The D1 round trips a response reports in Server-Timing. */
export const d1Count = (res: ApiResponse) => Number(res.headers.get("Server-Timing")?.match(/\bd1;count=(\d+)/)?.[1] ?? NaN);

/** Create a register in the store and pair its till, as the admin: the till's device credential. */
export async function enrolTill(t: TestTenant, options: { storeId?: string; token?: string; code?: string } = {}) {
  const storeId = options.storeId ?? t.storeId;
  const created = await api("POST", `/api/v1/stores/${storeId}/registers`, {
    token: options.token ?? t.adminToken,
    body: { code: options.code ?? `T${crypto.randomUUID().slice(0, 6)}`, name: "Till" },
  });
  if (created.status !== 201) throw new Error(`register: ${created.status} ${JSON.stringify(created.json)}`);
  const paired = await api("POST", "/api/v1/devices/pair", { body: { code: created.json.data.pairing.code } });
  if (paired.status !== 200) throw new Error(`pair: ${paired.status} ${JSON.stringify(paired.json)}`);
  return { credential: paired.json.data.credential as string, deviceId: paired.json.data.device.id as string, registerId: created.json.data.id as string };
}

/** PIN-only sign-in at an enrolled till. */
export const tillPinLogin = (credential: string, pin: string, options: ApiOptions = {}) =>
  api("POST", "/api/v1/auth/pin-login", { ...options, body: { pin }, headers: { "X-Device-Credential": credential, ...options.headers } });

/**
 * A user holding a new role with these permissions in the given stores (the tenant's store by default), with a
 * password and a server-generated PIN (asked for through change-credential), and a fresh session.
 */
export async function staffWithPin(t: TestTenant, permissions: string[], storeIds: string[] = [t.storeId]) {
  const role = await api("POST", "/api/v1/roles", { token: t.adminToken, body: { name: `role-${crypto.randomUUID().slice(0, 8)}`, permissions } });
  if (role.status !== 201) throw new Error(`role: ${JSON.stringify(role.json)}`);
  const username = `u${crypto.randomUUID().slice(0, 8)}`;
  const password = "a long enough password";
  const user = await api("POST", "/api/v1/users", {
    token: t.adminToken,
    body: { username, displayName: username, password, storeRoles: storeIds.map((storeId) => ({ storeId, roleId: role.json.data.id })) },
  });
  if (user.status !== 201) throw new Error(`user: ${JSON.stringify(user.json)}`);
  const login = await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username, password, store: storeIds[0] }, ip: randomIp() });
  if (login.status !== 200) throw new Error(`login: ${JSON.stringify(login.json)}`);
  const changed = await api("POST", "/api/v1/auth/change-credential", { token: login.json.data.accessToken, body: { currentPassword: password, newPin: true }, ip: randomIp() });
  if (changed.status !== 200) throw new Error(`pin: ${JSON.stringify(changed.json)}`);
  return {
    id: user.json.data.id as string, username, password, roleId: role.json.data.id as string, pin: changed.json.data.pin as string,
    token: changed.json.data.accessToken as string, refreshToken: changed.json.data.refreshToken as string,
  };
}
