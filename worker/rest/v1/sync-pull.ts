import { SYNC_ENTITY_TYPES, SYNC_PULL_DEFAULT_LIMIT, SYNC_PULL_MAX_LIMIT, SyncPullQuery, SyncPullResult } from "../../../schema/contracts/sync-pull";
import { pullChanges } from "../../domain/sync-pull";
import { route } from "../../http/route";

export const syncPullRoutes = [
  route({
    method: "get", path: "/sync/pull", tag: "Sync", auth: "sync",
    summary: "Pull the store's changes from the edge (change feed after a cursor)",
    description:
      "For a store's enrolled device on its own credential (`X-Device-Credential`: a register, store or sync device; a bridge is 403 DEVICE_KIND_CANNOT_SYNC) " +
      "or a till's user token (a session started at an enrolled device; a back-office token is 403 SYNC_NEEDS_DEVICE). " +
      "Answers the changes after `since` in commit order, each entity once per page in its current state (`op: upsert` with `data`) or as a tombstone " +
      "(`op: delete`), the next `cursor`, the feed position `seq` reached and `hasMore`. Start with no `since`; pull again with `cursor` while `hasMore`. " +
      `Types: ${SYNC_ENTITY_TYPES.join(", ")}. Store prices, registers, the store and its users are the device's store's only; ` +
      "a user arrives with their roles and permissions in this store and a PIN verifier for offline PIN login, and as a tombstone once deactivated, deleted or without a role here. " +
      `\`limit\` counts feed rows (default ${SYNC_PULL_DEFAULT_LIMIT}, at most ${SYNC_PULL_MAX_LIMIT}). One page is at most two D1 round trips.`,
    query: SyncPullQuery, response: SyncPullResult,
    errors: {
      400: "INVALID_CURSOR: `since` is not a cursor this server made for your tenant and store (forged, altered, cut short); CURSOR_FILTER_MISMATCH: the cursor was made with another entity_type",
      401: "INVALID_DEVICE: unknown or revoked device credential; SESSION_ENDED / DEVICE_REVOKED: the session or device ended",
      403: "DEVICE_KIND_CANNOT_SYNC: a bridge (or a session started at one) does not sync; SYNC_NEEDS_DEVICE: a back-office token; STORE_INACTIVE",
    },
    handler: (c, { query }) => {
      const caller = c.get("sync");
      return pullChanges(c.get("db"), c.env.PIN_LOOKUP_KEY, caller, {
        since: query.since || undefined, entityTypes: query.entity_type, limit: query.limit, now: c.get("request").now,
      });
    },
  }),
];
