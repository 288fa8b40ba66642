import { describe, expect, it } from "vitest";
import { api, createTenant, enrolTill } from "./helpers";
import { connectDevice } from "./sync-ws-fixtures";

/** Revoking a device closes its open sockets at once; the hub's once-a-minute check is only the backstop. */
describe("revoking a connected device", () => {
  it("closes that device's socket (4010) right after the revoke answers, and only that one", async () => {
    const t = await createTenant();
    const [kept, revoked] = [await enrolTill(t), await enrolTill(t)];
    const keptSocket = await connectDevice(kept.credential);
    const revokedSocket = await connectDevice(revoked.credential);
    expect((await api("POST", `/api/v1/devices/${revoked.deviceId}/revoke`, { token: t.adminToken })).status).toBe(200);
    // Both sockets just connected, so the hub's periodic check is not due for a minute: only the revoke closes it.
    expect(await revokedSocket.waitClosed(3000)).toEqual({ code: 4010, reason: "this device was revoked or its store deactivated" });
    expect(revokedSocket.messages.at(-1)).toMatchObject({ type: "error", code: "REVOKED" });
    expect(keptSocket.closed).toBeUndefined();
    keptSocket.close();
  });
});
