import type { MiddlewareHandler } from "hono";
import { commit } from "../db/batch";
import { createDb } from "../db/client";
import { recordRefusal } from "../domain/refusals";
import type { AppEnv } from "./app";
import { DomainError } from "../domain/errors";

/**
 * Records the route's 403 answers (a missing permission, a grant beyond the caller's own) in the audit log,
 * rate-limited per actor and route (domain/refusals.ts). Mounted after the caller is known and before the
 * permission check, so that check's refusals are recorded too. The row is written outside the caller's
 * session guard: a refusal is recorded whatever the state of the session that asked.
 */
export const auditRefusals = (method: string, path: string): MiddlewareHandler<AppEnv> => {
  const route = `${method.toUpperCase()} ${path}`;
  return async (c, next) => {
    await next();
    const error = c.error;
    if (!(error instanceof DomainError) || error.kind !== "forbidden") return;
    const actor = c.get("actor");
    if (!actor) return;
    try {
      const db = createDb(c.get("meter").wrap(c.env.DB));
      await commit(db, recordRefusal(db, c.get("request"), {
        tenantId: actor.tenantId, actorId: actor.userId, route, code: error.code, message: error.message, params: c.req.param() as Record<string, string>,
      }));
    } catch (failure) {
      // The refusal is answered whatever happens to its record.
      console.error(JSON.stringify({ requestId: c.get("requestId"), error: `refusal audit failed: ${String(failure)}` }));
    }
  };
};
