import { sql, type SQL } from "drizzle-orm";
import { authThrottle } from "../../schema/db";
import type { Statement } from "../db/batch";
import type { Db } from "../db/client";
import { countAttempt, type AttemptPolicy } from "./attempts";
import type { RequestInfo } from "./context";
import { auditWhenCounted } from "./security-audit";

/**
 * Refusals that matter for security (a 403 on a user or role route: someone reaching for more than they hold)
 * go to the audit log, at most REFUSAL_POLICY.limit rows per actor and route in each window, so a flood of them
 * cannot fill it. The count is kept in auth_throttle and taken in the same batch that writes the row, so
 * concurrent refusals cannot each see room for one more. The first refusal after a window that dropped some
 * writes a summary row (`access.refusals_dropped`) with how many it dropped.
 *
 * (security-audit.ts caps failure rows per action and tenant; a refusal is capped per actor, so that one
 * person's flood neither fills the log nor hides another person's refusals.)
 */
export const REFUSAL_POLICY: AttemptPolicy = { limit: 10, windowMs: 15 * 60_000 };
export const REFUSALS_PER_WINDOW = REFUSAL_POLICY.limit;
export const REFUSAL_WINDOW_MS = REFUSAL_POLICY.windowMs;

export const REFUSED = "access.refused";
export const REFUSALS_DROPPED = "access.refusals_dropped";

export interface Refusal {
  tenantId: string;
  actorId: string;
  /** "PUT /api/v1/users/:id": the route, not the path, so that one budget covers every id. */
  route: string;
  code: string;
  message: string;
  /** The route's path parameters (the id of the user or role reached for). */
  params: Record<string, string>;
}

export const refusalKey = (actorId: string, route: string) => `refusal:${actorId}:${route}`;

/** An audit row of the refusing request's actor, written only when the throttle row of `key` meets `when`. */
const auditWhen = (db: Db, request: RequestInfo, refusal: Refusal, action: string, detail: SQL, when: SQL, key: string): Statement =>
  auditWhenCounted(db, request, { tenantId: refusal.tenantId, actorType: "user", actorId: refusal.actorId, action, detail }, key, when);

/** The batch that records a refusal within the budget (and, at a new window, what the last one dropped). */
export function recordRefusal(db: Db, request: RequestInfo, refusal: Refusal): Statement[] {
  const key = refusalKey(refusal.actorId, refusal.route);
  const { limit, windowMs } = REFUSAL_POLICY;
  return [
    // Read the window that has passed before the count starts a new one.
    auditWhen(
      db, request, refusal, REFUSALS_DROPPED,
      sql`json_object('route', ${refusal.route}, 'dropped', ${authThrottle.failures} - ${limit}, 'windowStart', ${authThrottle.windowStart}, 'limit', ${limit})`,
      sql`${authThrottle.windowStart} <= ${request.now - windowMs} AND ${authThrottle.failures} > ${limit}`,
      key,
    ),
    countAttempt(db, key, REFUSAL_POLICY, request.now),
    auditWhen(
      db, request, refusal, REFUSED,
      sql`json_object('route', ${refusal.route}, 'code', ${refusal.code}, 'message', ${refusal.message}, 'params', json(${JSON.stringify(refusal.params)}))`,
      sql`${authThrottle.failures} <= ${limit}`,
      key,
    ),
  ];
}
