import { eq } from "drizzle-orm";
import { idempotencyRecords } from "../../schema/db";
import { sha256Hex } from "../auth/credentials";
import { isUniqueViolation, type Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import { invalid, businessRule } from "./errors";

/**
 * Retried writes. A POST may carry an `Idempotency-Key`: its first answer is kept with a hash of its request, in
 * the same batch as the write; a retry with the same key and the same request answers that again and writes
 * nothing; the same key with another request is 422 IDEMPOTENCY_MISMATCH. Keys are the tenant's, per route.
 *
 * The record is read in the write's own read batch (`query`) and written in its own write batch (`record`), so
 * idempotency costs no round trip; two requests racing with one key both find nothing, one commits, and the
 * other's batch fails on the record's primary key: `isRace` tells the caller to read and answer it (`replay`).
 */
export interface IdempotencyKey {
  /** The route's namespace and the client's key, e.g. "sales:7f…". */
  key: string;
  /** SHA-256 of the request as the route understood it. */
  requestHash: string;
}

/** A canonical hash of a request body: object keys sorted, so the same request always hashes alike. */
export async function requestHash(value: unknown): Promise<string> {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v;
  return sha256Hex(JSON.stringify(canonical(value)));
}

export async function idempotencyKey(route: string, clientKey: string | undefined, body: unknown): Promise<IdempotencyKey | undefined> {
  if (clientKey === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,200}$/.test(clientKey)) {
    throw invalid("INVALID_IDEMPOTENCY_KEY", "Idempotency-Key must be 1 to 200 visible ASCII characters (a UUID is a good one)");
  }
  return { key: `${route}:${clientKey}`, requestHash: await requestHash(body) };
}

/** The record of the key, for the caller's read batch (no key: a query that finds nothing). */
export const idempotencyQuery = (scope: TenantScope, key: IdempotencyKey | undefined) =>
  scope.select(idempotencyRecords, eq(idempotencyRecords.key, key?.key ?? ""));

export const mismatch = () =>
  businessRule("IDEMPOTENCY_MISMATCH", "This idempotency key (or id) was used for a different request; use a new key for a new request");

/** The first answer when the key has one for this same request; 422 when the key was used for another. */
export function replay<T>(rows: unknown[], key: IdempotencyKey | undefined): T | undefined {
  const record = rows[0] as typeof idempotencyRecords.$inferSelect | undefined;
  if (!key || !record) return undefined;
  if (record.requestHash !== key.requestHash) throw mismatch();
  return record.response as T;
}

/** The statement that keeps the first answer, for the caller's write batch. */
export function record(scope: TenantScope, key: IdempotencyKey | undefined, status: number, response: unknown, now: number): Statement[] {
  if (!key) return [];
  return [scope.insert(idempotencyRecords, { key: key.key, requestHash: key.requestHash, status, response, createdAt: now })];
}

/** The write lost a race with the same key: read the winner's answer. */
export const isRace = (error: unknown) => isUniqueViolation(error, "idempotency_records");

/** After a lost race: the winner's answer (or 422 when the winner sent another request). */
export async function replayAfterRace<T>(scope: TenantScope, key: IdempotencyKey): Promise<T> {
  const rows = await scope.select(idempotencyRecords, eq(idempotencyRecords.key, key.key));
  const answer = replay<T>(rows, key);
  if (answer === undefined) throw new Error("idempotency record vanished after a conflict");
  return answer;
}
