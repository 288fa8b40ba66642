import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/**
 * The store's hub: one Durable Object per store, the authority for the store's register sessions (and, later,
 * its live sockets and the bridge's job queue). Reached by RPC from the Worker through `storeHub()`.
 */
export class StoreHub extends DurableObject<Env> {
  /** Answers the hub's identity: a liveness probe for tests and tools. */
  async ping(): Promise<{ ok: true }> {
    return { ok: true };
  }
}

/** The hub of a store: one per (tenant, store). */
export const storeHub = (env: Env, tenantId: string, storeId: string) => env.STORE_HUB.get(env.STORE_HUB.idFromName(`${tenantId}:${storeId}`));
