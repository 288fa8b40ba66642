import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ALL_PERMISSIONS } from "../../schema/permissions";
import { client } from "./catalogue-fixtures";
import { createTenant, feedOf, userWith } from "./helpers";

describe("the gift card permissions migration", () => {
  it("gives every giftcards.* permission to roles that held every permission before them, with a new version and a feed row; others are left alone", async () => {
    const t = await createTenant();
    const role = (id: string) => env.DB.prepare("SELECT permissions, version FROM roles WHERE id = ?").bind(id).first<{ permissions: string; version: number }>();
    const older = ALL_PERMISSIONS.filter((p) => !p.startsWith("giftcards."));
    // As a tenant made before gift cards: its Administrator role without them, its Cashier role as it was.
    await env.DB.prepare("UPDATE roles SET permissions = ? WHERE id = ?").bind(JSON.stringify(older), t.adminRoleId).run();
    const cashierBefore = await role(t.roles.Cashier!);
    const adminBefore = await role(t.adminRoleId);
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.endsWith("_giftcards_permissions.sql"))!;
    const run = () => env.DB.batch(migration.queries.map((q) => env.DB.prepare(q)));
    await run();
    const admin = await role(t.adminRoleId);
    expect(JSON.parse(admin!.permissions)).toEqual([...ALL_PERMISSIONS].sort());
    expect(admin!.version).toBe(adminBefore!.version + 1);
    expect((await feedOf(t.adminRoleId)).at(-1)).toMatchObject({ entity: "role", op: "upsert", version: admin!.version, store_id: null });
    expect(await role(t.roles.Cashier!)).toEqual(cashierBefore);
    // Its administrators hold every permission again: a write the last-administrator guard watches goes through.
    const other = await userWith(t, ["products.view"]);
    expect((await client(t.adminToken).put(`/users/${other.id}`, { isActive: false })).status).toBe(200);
    await run();
    expect(await role(t.adminRoleId)).toEqual(admin);
  });
});
