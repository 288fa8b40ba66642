import { auditLog, changeFeed } from "../../schema/db";
import type { Db } from "../db/client";
import type { TenantScope } from "../db/tenant-scope";
import type { RequestInfo } from "./context";

export interface Change {
  entity: string;
  entityId: string;
  op: "upsert" | "delete";
  version: number;
  storeId?: string | null;
}

/** The change-feed row for a write; every write puts it in the same batch as the write itself. */
export function recordChange(scope: TenantScope, change: Change, now: number) {
  return scope.insert(changeFeed, { ...change, storeId: change.storeId ?? null, at: now });
}

export interface AuditEntry {
  tenantId: string | null;
  actorType: "user" | "operator" | "anonymous" | "client";
  actorId?: string | null;
  action: string;
  entity?: string;
  entityId?: string;
  detail?: Record<string, unknown>;
}

export function recordAudit(db: Db, entry: AuditEntry, request: RequestInfo) {
  return db.insert(auditLog).values({
    id: crypto.randomUUID(),
    at: request.now,
    ip: request.ip,
    requestId: request.requestId,
    ...entry,
  });
}
