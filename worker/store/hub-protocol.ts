import type { WriteGuard } from "../db/write-guard";
import { DomainError, type ErrorKind, type FieldError } from "../domain/errors";

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
  kind: ErrorKind;
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

export const toHubError = (e: DomainError): HubError => ({
  kind: e.kind,
  code: e.code,
  message: e.message,
  ...(e.details.fields ? { fields: e.details.fields } : {}),
  ...(e.details.current !== undefined ? { current: e.details.current } : {}),
});

export const fromHubError = (e: HubError) =>
  new DomainError(e.kind, e.code, e.message, { fields: e.fields, current: e.current });
