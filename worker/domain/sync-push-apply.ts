import { eq, isNull } from "drizzle-orm";
import { PUSH_ITEM_TYPES, type PushItemResult, type PushResult } from "../../schema/contracts/sync-push";
import { devices, stores } from "../../schema/db";
import type { Statement } from "../db/batch";
import { DomainError, notFound } from "./errors";
import type { HubCaller } from "../store/hub-protocol";
import type { HubContext } from "./register-sessions";
import { recordPushOutcomes, type QueueEntry } from "./sync-errors";
import { applyOrder, parseItems } from "./sync-push-order";
import { pushReads } from "./sync-push-reads";
import { applyRecord, type PushOrigin, type RegisterCopies } from "./sync-push-records";
import { reconcileZReports } from "./sync-push-z";
import { toIso } from "./versioning";

/**
 * A push, as the store's hub runs it (in its queue, so two pushes of one store never interleave: a batch sent again
 * while the first copy still runs finds the first copy's records and answers them as duplicates).
 *
 * D1 round trips: one read for the whole batch (sync-push-reads.ts); one write per record applied (a duplicate or a
 * refusal costs none; an offline close costs a read and a write); one read per closed session that took a record
 * (plus a write when its Z report changed); one last write for the error queue and the device's last_push_at.
 */
export interface PushCommand {
  /** Who pushes (a device on its credential, a till's user, or a person retrying from the error queue). */
  caller: HubCaller;
  origin: PushOrigin;
  items: Record<string, unknown>[];
  /** A push from the store updates its device's last_push_at; a retry from the error queue does not. */
  source: "push" | "retry";
}

export async function applyPush(h: HubContext, copies: RegisterCopies, command: PushCommand): Promise<PushResult> {
  const { scope } = h;
  const parsed = parseItems(command.items);
  const valid = parsed.flatMap((p) => (p.item ? [p.item] : []));
  const reads = pushReads(scope, h.caller.storeId, valid, h.now);
  const results = (await scope.db.batch([
    scope.select(stores, eq(stores.id, h.caller.storeId), isNull(stores.deletedAt)),
    scope.select(devices, eq(devices.id, command.origin.deviceId ?? "")),
    ...reads.statements,
  ] as [Statement, ...Statement[]])) as unknown[][];
  const store = results[0]![0] as typeof stores.$inferSelect | undefined;
  if (!store) throw notFound("Store");
  // A till's records are its register's (a till that syncs on its user's token is known by its device).
  const device = results[1]![0] as typeof devices.$inferSelect | undefined;
  const origin = { deviceId: command.origin.deviceId, registerId: command.origin.registerId ?? (device?.kind === "register" ? device.registerId : null) };
  const world = reads.read(results.slice(2));
  const ctx = { h, origin, world, store, copies, lateSessions: new Set<string>() };

  const answers: PushItemResult[] = new Array(parsed.length);
  const queue: QueueEntry[] = [];
  for (const at of applyOrder(parsed)) {
    const p = parsed[at]!;
    const identity = { index: p.index, ...identify(p.raw) };
    let answer: PushItemResult;
    if (!p.item) {
      answer = { ...identity, status: "rejected", code: "VALIDATION_ERROR", message: "The record does not match its schema; see fields", fields: p.fields };
    } else {
      try {
        const outcome = await applyRecord(ctx, p.item);
        answer = { ...identity, status: outcome.status, ...(outcome.flags.length ? { flags: outcome.flags } : {}) };
      } catch (error) {
        // A revoked device or an ended session stops the whole push; anything else refuses this record only.
        if (!(error instanceof DomainError) || error.kind === "unauthenticated") throw error;
        answer = { ...identity, status: "rejected", code: error.code, message: error.message, ...(error.details.fields ? { fields: error.details.fields } : {}) };
      }
    }
    answers[at] = answer;
    queue.push({ answer, payload: p.raw });
  }

  const amendedZReports = await reconcileZReports(h, copies, ctx.lateSessions);
  const errorIds = await recordPushOutcomes(h, store.id, { ...command, origin }, queue);
  for (const entry of queue) {
    const id = errorIds.get(entry.answer);
    if (id) entry.answer.errorId = id;
  }
  const count = (status: PushItemResult["status"]) => answers.filter((a) => a.status === status).length;
  return { results: answers, applied: count("applied"), duplicate: count("duplicate"), rejected: count("rejected"), amendedZReports, serverTime: toIso(h.now) };
}

/** What a record says it is, as far as it can be trusted before its schema is checked (for the answer and the queue). */
function identify(raw: Record<string, unknown>) {
  const type = (PUSH_ITEM_TYPES as readonly unknown[]).includes(raw.type) ? (raw.type as string) : null;
  const id = typeof raw.id === "string" && raw.id.length <= 100 ? raw.id : null;
  return { type, id };
}
