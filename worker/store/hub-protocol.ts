import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { WriteGuard } from "../db/write-guard";
import { ApiError, type FieldError } from "../http/errors";

/**
 * What the Worker and its store's hub say to each other over RPC. An error crosses as data (an RPC call would
 * keep only an exception's message), and every answer says how many D1 round trips the hub made, so that the
 * request's Server-Timing counts them too.
 */

/** Who asks the hub, as the Worker verified them: the hub trusts this (only the Worker can reach it). */
export interface HubCaller {
  tenantId: string;
  /** The hub's store: every command is for one store's hub. */
  storeId: string;
  userId: string;
  /**
   * Who the hub writes as: the caller's sign-in ({session}), or a device on its own credential ({device}, a sync
   * push). Every D1 write of the hub is guarded by it, as the Worker's own writes are.
   */
  guard: WriteGuard;
  deviceId: string | null;
  requestId: string;
  ip: string;
}

export interface HubError {
  status: number;
  code: string;
  message: string;
  fields?: FieldError[];
  current?: unknown;
}

export interface D1Usage {
  count: number;
  durationMs: number;
}

export type HubReply<T> = { ok: true; value: T; d1: D1Usage } | { ok: false; error: HubError; d1: D1Usage };

export const toHubError = (e: ApiError): HubError => ({
  status: e.status,
  code: e.code,
  message: e.message,
  ...(e.extra.fields ? { fields: e.extra.fields } : {}),
  ...(e.extra.current !== undefined ? { current: e.extra.current } : {}),
});

export const fromHubError = (e: HubError) =>
  new ApiError(e.status as ContentfulStatusCode, e.code, e.message, { fields: e.fields, current: e.current });
