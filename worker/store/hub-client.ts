import type { D1Meter } from "../http/d1-meter";
import type { StoreHub } from "./hub";
import { fromHubError, type HubReply } from "./hub-protocol";

export interface HubEnv {
  STORE_HUB: DurableObjectNamespace<StoreHub>;
}

/** The hub of a store: one per (tenant, store). */
export const storeHub = (env: HubEnv, tenantId: string, storeId: string) => env.STORE_HUB.get(env.STORE_HUB.idFromName(`${tenantId}:${storeId}`));

export type StoreHubStub = ReturnType<typeof storeHub>;

/** How a request reaches the hubs: the binding, and the request's D1 meter (the hub's round trips count too). */
export interface HubAccess {
  env: HubEnv;
  meter?: D1Meter;
}

/** Ask a store's hub; its refusal is thrown as the DomainError it was. */
export async function askHub<T>(access: HubAccess, tenantId: string, storeId: string, ask: (hub: StoreHubStub) => Promise<HubReply<T>>): Promise<T> {
  const reply = (await ask(storeHub(access.env, tenantId, storeId))) as HubReply<T>;
  if (access.meter) {
    access.meter.count += reply.d1.count;
    access.meter.durationMs += reply.d1.durationMs;
  }
  if (!reply.ok) throw fromHubError(reply.error);
  return reply.value;
}
