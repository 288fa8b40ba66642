import type { MiddlewareHandler } from "hono";
import { DEVICE_CREDENTIAL_HEADER } from "../../schema/contracts/devices";
import { BEARER_SUBPROTOCOL_PREFIX, DEVICE_SUBPROTOCOL_PREFIX, SYNC_SUBPROTOCOL } from "../../schema/sync/messages";
import type { AppEnv } from "../http/app";
import { invalid, unauthenticated } from "../domain/errors";
import { authenticateSyncCaller } from "./sync-caller";

/** Every kind of device may hold the hub's socket: tills and sync clients to hear of changes, the bridge for jobs. */
const SOCKET_KINDS: ReadonlySet<string> = new Set(["register", "bridge", "store", "sync"]);

/** A session started at a device, still live: not ended, its user active, its device not revoked, its store active. */
const LIVE_SESSION_SQL = `SELECT 1 AS live FROM sessions s
  JOIN users u ON u.id = s.user_id
  JOIN stores st ON st.id = s.store_id
  JOIN devices d ON d.id = s.device_id
  WHERE s.id = ?1 AND s.revoked_at IS NULL AND u.is_active = 1 AND u.deleted_at IS NULL
    AND st.is_active = 1 AND st.deleted_at IS NULL AND d.revoked_at IS NULL AND d.deleted_at IS NULL`;

/**
 * Who opens the store hub's socket (GET /api/v1/sync/ws): a device of the store on its credential (any kind,
 * the bridge included), or a till's user token. The secret comes as a header (X-Device-Credential or
 * Authorization: Bearer) or, from a browser, which cannot set headers on a WebSocket, as a subprotocol offered
 * next to SYNC_SUBPROTOCOL: `edge-pos.device.<credential>` or `edge-pos.bearer.<token>` (never in the URL, where
 * it would be logged). A user token's session is checked live here, since a socket outlives the token.
 */
export const requireSocketCaller: MiddlewareHandler<AppEnv> = async (c, next) => {
  const offered = (c.req.header("Sec-WebSocket-Protocol") ?? "").split(",").map((p) => p.trim()).filter(Boolean);
  if (offered.length && !offered.includes(SYNC_SUBPROTOCOL)) {
    throw invalid("UNSUPPORTED_SUBPROTOCOL", `Offer the subprotocol ${SYNC_SUBPROTOCOL} (with your secret as ${DEVICE_SUBPROTOCOL_PREFIX}<credential> or ${BEARER_SUBPROTOCOL_PREFIX}<token>)`);
  }
  const fromProtocol = (prefix: string) => offered.find((p) => p.startsWith(prefix))?.slice(prefix.length) || undefined;
  const credential = c.req.header(DEVICE_CREDENTIAL_HEADER) ?? fromProtocol(DEVICE_SUBPROTOCOL_PREFIX);
  const token = c.req.header("Authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1] ?? fromProtocol(BEARER_SUBPROTOCOL_PREFIX);
  const caller = await authenticateSyncCaller(c, { credential, token }, SOCKET_KINDS);
  if (caller.sessionId) {
    const live = await c.get("db").$client.prepare(LIVE_SESSION_SQL).bind(caller.sessionId).first();
    if (!live) throw unauthenticated("SESSION_ENDED", "This session has ended (signed out, user deactivated or device revoked); sign in again");
  }
  await next();
};
