import { expect } from "vitest";
import { SyncChange, type SyncPullResult } from "../../schema/contracts/sync-pull";
import { api, d1Count, type ApiOptions, type ApiResponse } from "./helpers";

/** How a test syncs: a device credential, or a till's user token. */
export type SyncAuth = { credential: string } | { token: string };

const authOf = (auth: SyncAuth): ApiOptions => ("credential" in auth ? { headers: { "X-Device-Credential": auth.credential } } : { token: auth.token });

export function pull(auth: SyncAuth, query: { since?: string; entity_type?: string; limit?: number } = {}): Promise<ApiResponse> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return api("GET", `/api/v1/sync/pull${qs ? `?${qs}` : ""}`, authOf(auth));
}

/** What a till holds: entity type → id → state. */
export type Replica = Map<string, Map<string, any>>;

/** Apply a page to a replica, checking every change against the contract and seq order as it goes. */
export function apply(replica: Replica, page: SyncPullResult) {
  let last = 0;
  const seen = new Set<string>();
  for (const change of page.changes) {
    expect(SyncChange.safeParse(change).success, JSON.stringify(change)).toBe(true);
    expect(change.seq).toBeGreaterThanOrEqual(last);
    expect(change.seq).toBeLessThanOrEqual(page.seq);
    last = change.seq;
    const key = `${change.entity}/${change.id}`;
    expect(seen.has(key), `${key} twice in one page`).toBe(false);
    seen.add(key);
    const byId = replica.get(change.entity) ?? new Map();
    replica.set(change.entity, byId);
    if (change.op === "delete") byId.delete(change.id);
    else byId.set(change.id, change.data);
  }
}

/** Pull page after page until hasMore is false; each page costs at most `maxD1` round trips. */
export async function pullAll(auth: SyncAuth, options: { since?: string; entity_type?: string; limit?: number; replica?: Replica; maxD1?: number; between?: (page: number) => Promise<void> } = {}) {
  const replica = options.replica ?? new Map();
  let since = options.since;
  let pages = 0;
  let changes = 0;
  for (;;) {
    const res = await pull(auth, { since, entity_type: options.entity_type, limit: options.limit });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(d1Count(res)).toBeLessThanOrEqual(options.maxD1 ?? 2);
    apply(replica, res.json.data);
    pages++;
    changes += res.json.data.changes.length;
    since = res.json.data.cursor;
    if (!res.json.data.hasMore) return { replica, cursor: since!, seq: res.json.data.seq as number, pages, changes };
    await options.between?.(pages);
  }
}

export const ids = (replica: Replica, entity: string) => [...(replica.get(entity)?.keys() ?? [])].sort();
