import type { SyncCaller } from "../auth/sync-caller";
import type { Context } from "hono";
import type { Db } from "../db/client";
import type { CurrentDevice } from "../domain/devices";
import type { TenantScope } from "../db/tenant-scope";
import type { Actor, RequestInfo } from "../domain/context";
import type { Env } from "../env";
import type { D1Meter } from "./d1-meter";

export interface AppVariables {
  requestId: string;
  meter: D1Meter;
  db: Db;
  request: RequestInfo;
  /** Set by the user-auth middleware. */
  actor: Actor;
  scope: TenantScope;
  /** Set by the device-auth middleware: the enrolled device calling. */
  device: CurrentDevice;
  /** Set by the sync-auth middleware: the device (or till session) syncing a store. */
  sync: SyncCaller;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}

export type AppContext = Context<AppEnv>;
