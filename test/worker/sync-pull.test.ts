import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { verifySecret } from "../../worker/auth/credentials";
import { createTenant, d1Count, enrolTill } from "./helpers";
import { ids, pull, pullAll } from "./sync-pull-fixtures";

describe("GET /api/v1/sync/pull", () => {
  it("gives a new till the tenant, its store, its register, the store's users with PIN verifiers and the tenders, in two round trips", async () => {
    const t = await createTenant();
    const till = await enrolTill(t);
    const res = await pull({ credential: till.credential });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(d1Count(res)).toBe(2);
    const { replica } = await pullAll({ credential: till.credential });
    expect(ids(replica, "tenant")).toEqual([t.tenantId]);
    expect(ids(replica, "store")).toEqual([t.storeId]);
    expect(ids(replica, "register")).toEqual([till.registerId]);
    expect(ids(replica, "user")).toEqual([t.adminId]);
    expect([...replica.get("tender")!.values()].map((x) => x.code).sort()).toEqual(["CARD", "CASH"]);
    expect(replica.get("store")!.get(t.storeId)).toMatchObject({ code: "S001", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true, cashRoundingUnit: 100 });
    expect(replica.get("tenant")!.get(t.tenantId)).toMatchObject({ currency: "SEK", taxRounding: "line", pinLength: 4 });

    const admin = replica.get("user")!.get(t.adminId);
    expect(admin).toMatchObject({ username: "admin", roles: [{ id: t.adminRoleId, name: "Administrator" }] });
    expect(admin.permissions).toContain("users.create");
    // The verifier checks the PIN offline; a wrong PIN fails. Nothing of the server's lookup or password goes out.
    const v = admin.pinVerifier;
    expect(await verifySecret(t.adminPin, `pbkdf2_sha256$${v.iterations}$${v.salt}$${v.hash}`)).toBe(true);
    expect(await verifySecret(t.adminPin === "0000" ? "1111" : "0000", `pbkdf2_sha256$${v.iterations}$${v.salt}$${v.hash}`)).toBe(false);
    const stored = await env.DB.prepare("SELECT pin_lookup, password_hash FROM users WHERE id = ?").bind(t.adminId).first<{ pin_lookup: string; password_hash: string }>();
    const text = JSON.stringify(res.json);
    expect(text).not.toContain(stored!.pin_lookup);
    expect(text).not.toContain(stored!.password_hash.split("$")[3]);
  });
});
