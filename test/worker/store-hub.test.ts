import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { StoreHub, storeHub } from "../../worker/store/hub";

describe("StoreHub", () => {
  it("is one Durable Object per store, reachable by RPC", async () => {
    const a = storeHub(env, "tenant-a", "store-1");
    expect(await a.ping()).toEqual({ ok: true });
    expect(storeHub(env, "tenant-a", "store-1").id.toString()).toBe(a.id.toString());
    expect(storeHub(env, "tenant-a", "store-2").id.toString()).not.toBe(a.id.toString());
    await runInDurableObject(a, (instance) => expect(instance).toBeInstanceOf(StoreHub));
  });
});
