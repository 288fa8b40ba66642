import { describe, expect, it } from "vitest";
import { api, createTenant, enrolTill } from "./helpers";
import { connectWith, enrolBridge } from "./print-jobs-fixtures";

/** The hub tells a bridge which tills' credentials its local API may take while the hub cannot be reached. */

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("bridge relay: the store's tills for the local API", () => {
  it("sends a bridge that asked the digests of its store's tills after its welcome, again when a till is enrolled or revoked, and nothing of another tenant", async () => {
    const t = await createTenant();
    const other = await createTenant();
    const one = await enrolTill(t);
    await enrolTill(other);
    const { credential } = await enrolBridge(t);
    const bridge = await connectWith(credential, ["jobs", "tills"]);

    const first = await bridge.next("tills");
    expect(first).toEqual({ v: 1, type: "tills", tills: [{ deviceId: one.deviceId, registerId: one.registerId, credentialSha256: await sha256Hex(one.credential) }], at: expect.any(Number) });

    const two = await enrolTill(t);
    const enrolled = await bridge.until("the list with the new till", () => bridge.messages.find((m) => m.type === "tills" && m.tills.length === 2));
    expect(new Set(enrolled.tills.map((x: { deviceId: string }) => x.deviceId))).toEqual(new Set([one.deviceId, two.deviceId]));
    expect(enrolled.tills.find((x: { deviceId: string }) => x.deviceId === two.deviceId).credentialSha256).toBe(await sha256Hex(two.credential));

    const mark = bridge.messages.length;
    const revoked = await api("POST", `/api/v1/devices/${one.deviceId}/revoke`, { token: t.adminToken });
    expect(revoked.status).toBe(200);
    const after = await bridge.until("the list without the revoked till", () => bridge.messages.slice(mark).find((m) => m.type === "tills"));
    expect(after.tills.map((x: { deviceId: string }) => x.deviceId)).toEqual([two.deviceId]);
    bridge.close();
  });

  it("sends no tills to a bridge that did not ask, nor to a till that asks", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const { credential } = await enrolBridge(t);
    const quiet = await connectWith(credential, ["jobs"]);
    const nosy = await connectWith(till.credential, ["tills", "job.status"]);
    await enrolTill(t);
    // A bridge that asked, connected after both: once it has its list, the others would have had theirs.
    const asking = await connectWith((await enrolBridge(t)).credential, ["tills"]);
    await asking.next("tills");
    await new Promise((r) => setTimeout(r, 50));
    expect(quiet.messages.filter((m) => m.type === "tills")).toEqual([]);
    expect(nosy.messages.filter((m) => m.type === "tills")).toEqual([]);
    for (const s of [quiet, nosy, asking]) s.close();
  });
});
