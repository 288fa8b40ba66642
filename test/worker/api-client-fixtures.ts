import { env } from "cloudflare:test";
import { api, fetchWorker, randomIp, type TestTenant } from "./helpers";

/** The origin the tests call the Worker at, and so the issuer of the tokens it answers. */
export const ORIGIN = "http://pos.test";

export interface CreatedClient {
  id: string;
  clientId: string;
  clientSecret: string;
  permissions: string[];
  version: number;
}

/** Create an API client as the tenant's admin (or `token`); throws unless 201. */
export async function createClient(t: TestTenant, permissions: string[], options: { token?: string; name?: string } = {}): Promise<CreatedClient> {
  const res = await api("POST", "/api/v1/api-clients", { token: options.token ?? t.adminToken, body: { name: options.name ?? `ERP ${crypto.randomUUID().slice(0, 6)}`, permissions } });
  if (res.status !== 201) throw new Error(`api client: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.data;
}

/** RFC 6749 §2.3.1: each of client_id and secret form-urlencoded, then `id:secret` in base64. */
export const basic = (clientId: string, secret: string) => `Basic ${btoa(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`)}`;

export interface TokenResponse {
  status: number;
  headers: Headers;
  json: any;
}

/** POST /oauth/token with a form body (`body` as is, or the parameters form-encoded). */
export async function tokenRequest(params: Record<string, string> | string, options: { authorization?: string; ip?: string; contentType?: string; origin?: string } = {}): Promise<TokenResponse> {
  const headers: Record<string, string> = {
    "Content-Type": options.contentType ?? "application/x-www-form-urlencoded",
    "CF-Connecting-IP": options.ip ?? randomIp(),
  };
  if (options.authorization) headers.Authorization = options.authorization;
  const body = typeof params === "string" ? params : new URLSearchParams(params).toString();
  const res = await fetchWorker(new Request(`${options.origin ?? ORIGIN}/oauth/token`, { method: "POST", headers, body }));
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}

/** A client-credentials token by HTTP Basic; throws unless 200. */
export async function clientToken(client: { clientId: string; clientSecret: string }, scope?: string): Promise<string> {
  const res = await tokenRequest({ grant_type: "client_credentials", ...(scope ? { scope } : {}) }, { authorization: basic(client.clientId, client.clientSecret) });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.access_token;
}

/** The row of an API client as stored. */
export const storedClient = (id: string) =>
  env.DB.prepare("SELECT client_id, secret_hash, secret_version, permissions, revoked_at FROM api_clients WHERE id = ?").bind(id)
    .first<{ client_id: string; secret_hash: string; secret_version: number; permissions: string; revoked_at: number | null }>();
