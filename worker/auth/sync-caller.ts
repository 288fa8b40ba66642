import type { MiddlewareHandler } from "hono";
import { DEVICE_CREDENTIAL_HEADER } from "../../schema/contracts/devices";
import { createDb } from "../db/client";
import { TenantScope } from "../db/tenant-scope";
import { withDeviceGuard, withSessionGuard } from "../db/write-guard";
import { currentDevice } from "../domain/devices";
import type { AppContext, AppEnv } from "../http/app";
import { forbidden, unauthenticated } from "../domain/errors";
import { verifyAccessToken } from "./access-token";

/**
 * Who syncs a store's data (pull, push, the hub's socket): an enrolled device of the store on its own credential,
 * or a user's token from a session started at an enrolled device of that store (a till signed in by PIN). A plain
 * back-office token does not sync: a pull carries the store's PIN verifiers, which reach only enrolled devices.
 */
export interface SyncCaller {
  tenantId: string;
  storeId: string;
  /** The enrolled device: the caller itself, or the device the user's session was started at. */
  deviceId: string;
  deviceKind: "register" | "bridge" | "store" | "sync";
  registerId: string | null;
  /** Set when the caller is a user's session; null for a device on its own credential. */
  userId: string | null;
  sessionId: string | null;
}

/** Kinds of device that sync the store's data on their own credential (a bridge only prints). */
const SYNCING_KINDS: ReadonlySet<string> = new Set(["register", "store", "sync"]);

function bearer(header: string | undefined): string | undefined {
  return header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
}

/** Requires a device credential (X-Device-Credential) or a till's user token; sets `sync`, `db` and `scope`. */
export const requireSyncCaller: MiddlewareHandler<AppEnv> = async (c, next) => {
  await authenticateSyncCaller(c, { credential: c.req.header(DEVICE_CREDENTIAL_HEADER), token: bearer(c.req.header("Authorization")) }, SYNCING_KINDS);
  await next();
};

/**
 * Authenticate a sync caller from its secret, however it was sent (headers here; the socket's route also reads
 * them from Sec-WebSocket-Protocol): a device credential of one of `deviceKinds`, or a till's user token. Sets
 * `sync`, `db` and `scope`.
 */
export async function authenticateSyncCaller(c: AppContext, secrets: { credential?: string; token?: string }, deviceKinds: ReadonlySet<string>): Promise<SyncCaller> {
  const { credential, token } = secrets;
  const meter = c.get("meter");
  let caller: SyncCaller;
  if (credential) {
    const found = await currentDevice(c.get("db"), credential, c.get("request"));
    if (!deviceKinds.has(found.device.kind)) {
      throw forbidden(`A ${found.device.kind} device does not sync the store's data`, "DEVICE_KIND_CANNOT_SYNC");
    }
    const db = createDb(withDeviceGuard(meter.wrap(c.env.DB), found.device.id));
    c.set("db", db);
    c.set("scope", new TenantScope(db, found.tenant.id));
    caller = {
      tenantId: found.tenant.id, storeId: found.store.id, deviceId: found.device.id, deviceKind: found.device.kind,
      registerId: found.register?.id ?? null, userId: null, sessionId: null,
    };
  } else if (token) {
    const claims = await verifyAccessToken(c.env, token);
    if (!claims.deviceId) {
      throw forbidden("Sync with a user token needs a session started at an enrolled device of the store (or the device's own credential)", "SYNC_NEEDS_DEVICE");
    }
    const db = createDb(withSessionGuard(meter.wrap(c.env.DB), claims.sessionId));
    c.set("db", db);
    c.set("actor", { ...claims, permissions: new Set(claims.permissions) });
    c.set("scope", new TenantScope(db, claims.tenantId));
    caller = {
      tenantId: claims.tenantId, storeId: claims.storeId, deviceId: claims.deviceId, deviceKind: "register",
      registerId: null, userId: claims.userId, sessionId: claims.sessionId,
    };
  } else {
    throw unauthenticated("UNAUTHENTICATED", `Send the device credential as ${DEVICE_CREDENTIAL_HEADER}, or a till's access token as \`Authorization: Bearer <token>\``);
  }
  c.set("sync", caller);
  return caller;
}
