import { describe, expect, it } from "vitest";
import { api, createTenant } from "./helpers";

describe("smoke", () => {
  it("onboards a tenant and reads me", async () => {
    const t = await createTenant();
    const me = await api("GET", "/api/v1/auth/me", { token: t.adminToken });
    expect(me.status).toBe(200);
    expect(me.json.data.user.username).toBe("admin");
    expect(me.headers.get("Server-Timing")).toMatch(/^d1;count=1;dur=/);
  });
});
