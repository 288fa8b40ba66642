import { sql, type SQL } from "drizzle-orm";
import { authThrottle } from "../../schema/db";
import { rawStatement, type Statement } from "../db/batch";
import type { Db } from "../db/client";
import { countAttempt, type AttemptPolicy } from "./attempts";
import type { RequestInfo } from "./context";
import type { AuditEntry } from "./journal";

/**
 * Audit entries of security failures (wrong secrets, bad device credentials, refused grants) are written in
 * full for the first `limit` of a window per key (the action and tenant), and only counted after that, so a
 * flood of failures cannot fill the audit log. The counter (auth_throttle, key `audit:<action>:<tenant>`) holds
 * how many there were in the window.
 */
export const AUDIT_FLOOD_POLICY: AttemptPolicy = { limit: 50, windowMs: 60_000 };

export function limitedAudit(db: Db, entry: AuditEntry, request: RequestInfo, policy = AUDIT_FLOOD_POLICY): Statement[] {
  const key = `audit:${entry.action}:${entry.tenantId ?? "-"}`;
  return [
    countAttempt(db, key, policy, request.now),
    auditWhenCounted(db, request, { ...entry, detail: sql`${entry.detail ? JSON.stringify(entry.detail) : null}` }, key, sql`${authThrottle.failures} <= ${policy.limit}`),
  ];
}

/**
 * An audit row, written only when the counter `key` (auth_throttle) meets `when` as the batch has left it: the
 * way to cap audit rows in the batch that counts them. `detail` is SQL, so it may read the counter itself.
 */
export function auditWhenCounted(db: Db, request: RequestInfo, entry: Omit<AuditEntry, "detail"> & { detail: SQL }, key: string, when: SQL): Statement {
  return rawStatement(db, sql`INSERT INTO audit_log (id, tenant_id, at, actor_type, actor_id, action, entity, entity_id, ip, request_id, detail)
    SELECT ${crypto.randomUUID()}, ${entry.tenantId}, ${request.now}, ${entry.actorType}, ${entry.actorId ?? null}, ${entry.action},
      ${entry.entity ?? null}, ${entry.entityId ?? null}, ${request.ip}, ${request.requestId}, ${entry.detail}
    FROM ${authThrottle} WHERE ${authThrottle.key} = ${key} AND ${when}`);
}
