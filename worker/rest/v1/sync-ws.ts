import { BEARER_SUBPROTOCOL_PREFIX, DEVICE_SUBPROTOCOL_PREFIX, SYNC_SUBPROTOCOL } from "../../../schema/sync/messages";
import { invalid } from "../../domain/errors";
import { route } from "../../http/route";
import { storeHub } from "../../store/hub-client";
import { SOCKET_IDENTITY_HEADER, type SocketIdentity } from "../../store/hub-sockets";

const tag = "Sync";

/** The store hub's live socket: the Worker authenticates, the hub accepts (hibernating) and serves it. */
export const syncSocketRoutes = [
  route({
    method: "get", path: "/sync/ws", tag, auth: "socket",
    summary: "Open the store hub's live socket (WebSocket upgrade): told of every change to pull, and who is connected",
    description:
      `Send Upgrade: websocket. Authenticated by a device credential of the store (any kind, the bridge included) or a till's user token, ` +
      `as X-Device-Credential / Authorization headers or, from a browser, as subprotocols: offer ${SYNC_SUBPROTOCOL} and ` +
      `${DEVICE_SUBPROTOCOL_PREFIX}<credential> or ${BEARER_SUBPROTOCOL_PREFIX}<token>; the hub selects ${SYNC_SUBPROTOCOL}. ` +
      "Answers 101; the messages and close codes are in schema/sync/messages.ts and the README (Sync: live socket).",
    errors: {
      400: "UPGRADE_REQUIRED: not a WebSocket upgrade; UNSUPPORTED_SUBPROTOCOL: subprotocols offered without edge-pos.sync.v1",
      401: "INVALID_DEVICE: revoked or unknown credential; SESSION_ENDED: the till's session has ended",
      403: "SYNC_NEEDS_DEVICE: a user token from a session not started at an enrolled device",
    },
    handler: async (c) => {
      if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
        throw invalid("UPGRADE_REQUIRED", "This is a WebSocket endpoint: send Upgrade: websocket");
      }
      const sync = c.get("sync");
      const identity: SocketIdentity = {
        tenantId: sync.tenantId, storeId: sync.storeId, deviceId: sync.deviceId, kind: sync.deviceKind,
        registerId: sync.registerId, userId: sync.userId, sessionId: sync.sessionId,
      };
      const headers = new Headers({ Upgrade: "websocket", [SOCKET_IDENTITY_HEADER]: JSON.stringify(identity) });
      const offered = c.req.header("Sec-WebSocket-Protocol");
      if (offered) headers.set("Sec-WebSocket-Protocol", SYNC_SUBPROTOCOL);
      return storeHub(c.env, sync.tenantId, sync.storeId).fetch("https://hub/socket", { headers });
    },
  }),
];
