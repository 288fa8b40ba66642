import type { PushResult } from "../../schema/contracts/sync-push";
import type { SyncCaller } from "../auth/sync-caller";
import { askHub, type HubAccess } from "../store/hub-client";
import type { HubCaller } from "../store/hub-protocol";
import type { RequestInfo } from "./context";

/**
 * POST /sync/push, the Worker's side: the store's hub applies the batch (sync-push-apply.ts), in its queue, as
 * the syncing caller: a device on its own credential writes guarded by the device (device_live), a till's user
 * token by its session. The records are those of the pushing device (a till's: of its register).
 */
export function pushRecords(sync: SyncCaller, hubs: HubAccess, request: RequestInfo, items: Record<string, unknown>[]): Promise<PushResult> {
  const caller: HubCaller = {
    tenantId: sync.tenantId, storeId: sync.storeId, userId: sync.userId ?? sync.deviceId,
    guard: sync.sessionId ? { session: sync.sessionId } : { device: sync.deviceId },
    deviceId: sync.deviceId, requestId: request.requestId, ip: request.ip,
  };
  return askHub(hubs, sync.tenantId, sync.storeId, (hub) =>
    hub.push({ caller, origin: { deviceId: sync.deviceId, registerId: sync.registerId }, items, source: "push" }));
}
