import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { withSessionGuard } from "../../worker/db/write-guard";
import { DomainError } from "../../worker/domain/errors";
import { ADMIN_PASSWORD, api, createTenant, randomIp } from "./helpers";
import { decodeJwt } from "jose";

/** The guard every signed-in write runs in its own batch: the D1 wrapper itself, below the routes. */
describe("session guard", () => {
  const marker = () => `guard-${crypto.randomUUID()}`;
  const insertFeed = (db: D1Database, tenantId: string, id: string) =>
    db.prepare("INSERT INTO change_feed (tenant_id, entity, entity_id, op, version, at) VALUES (?, 'test', ?, 'upsert', 1, 0)").bind(tenantId, id);
  const written = async (id: string) => (await env.DB.prepare("SELECT count(*) AS n FROM change_feed WHERE entity_id = ?").bind(id).first<{ n: number }>())!.n;

  async function session() {
    const t = await createTenant();
    const login = await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username: "admin", password: ADMIN_PASSWORD }, ip: randomIp() });
    return { t, sessionId: decodeJwt(login.json.data.accessToken).ses as string, refreshToken: login.json.data.refreshToken as string };
  }

  it("lets a live session's batch write, and aborts a dead one's with 401 SESSION_ENDED, writing nothing", async () => {
    const { t, sessionId, refreshToken } = await session();
    const db = withSessionGuard(env.DB, sessionId);
    const first = marker();
    await db.batch([insertFeed(db, t.tenantId, first)]);
    expect(await written(first)).toBe(1);

    await api("POST", "/api/v1/auth/logout", { body: { refreshToken } });
    const second = marker();
    const refused = await db.batch([insertFeed(db, t.tenantId, second)]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ kind: "unauthenticated", code: "SESSION_ENDED" });
    expect(await written(second)).toBe(0);
    // Reads are not guarded: they may run to the end of the access token's life.
    const [rows] = await db.batch([db.prepare("SELECT count(*) AS n FROM change_feed WHERE entity_id = ?").bind(first)]);
    expect((rows as D1Result<{ n: number }>).results[0]!.n).toBe(1);
  });

  it("guards a WITH statement that writes, and refuses a lone write outside a batch", async () => {
    const { t, sessionId, refreshToken } = await session();
    await api("POST", "/api/v1/auth/logout", { body: { refreshToken } });
    const db = withSessionGuard(env.DB, sessionId);
    const id = marker();
    const cte = db.prepare("WITH x AS (SELECT ? AS t, ? AS e) INSERT INTO change_feed (tenant_id, entity, entity_id, op, version, at) SELECT t, 'test', e, 'upsert', 1, 0 FROM x").bind(t.tenantId, id);
    await expect(db.batch([cte])).rejects.toMatchObject({ code: "SESSION_ENDED" });
    expect(() => insertFeed(db, t.tenantId, id).run()).toThrow(/outside a batch/);
    expect(await written(id)).toBe(0);
  });
});
