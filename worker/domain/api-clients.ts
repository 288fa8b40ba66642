import { desc, eq, isNotNull, isNull } from "drizzle-orm";
import type { z } from "zod";
import type { ApiClientListQuery, CreateApiClientBody, UpdateApiClientBody } from "../../schema/contracts/api-clients";
import { apiClients, stores } from "../../schema/db";
import { randomToken, sha256Hex, toBase64Url } from "../auth/credentials";
import { commit, expectOneChange, isGuardFailure, type Statement } from "../db/batch";
import { readPage, type Page } from "../db/paging";
import type { TenantScope } from "../db/tenant-scope";
import type { ServiceContext } from "./context";
import { conflict, DomainError, forbidden, notFound } from "./errors";
import { Access, accessQuery, listPermissions, type AccessRow } from "./grants";
import { recordAudit } from "./journal";
import { changedFields } from "./entity";
import { checkVersion, toIso, toIsoOrNull } from "./versioning";

/**
 * API clients: an administrator (api_clients.manage) creates, lists, edits, rotates and revokes the OAuth
 * client-credentials clients of integrators. A client's permissions hold in every store of its tenant, so
 * nobody gives a client what they do not hold in every store of the tenant, and nobody changes, rotates (which
 * hands out its secret) or revokes a client holding what they lack somewhere: the same rule as for roles and
 * users (grants.ts), read fresh from D1 in the round trip that reads the client.
 *
 * `client_id` is made here, random and unique across tenants (the token endpoint is told no tenant, and letting
 * a caller choose one would let "taken" answer for other tenants). The secret is 32 random bytes, answered once
 * and stored as a SHA-256 hash: like device credentials and refresh tokens, a server-made secret of that
 * strength needs no slow hash, and the token endpoint stays cheap to call.
 */
const CLIENT_ID_PREFIX = "cli_";
const SECRET_PREFIX = "cs_";

type ClientRow = typeof apiClients.$inferSelect;

export const newClientId = () => CLIENT_ID_PREFIX + toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
export const newClientSecret = () => SECRET_PREFIX + randomToken();
export const clientSecretHash = (secret: string) => sha256Hex(secret);

export const apiClientDto = (row: ClientRow) => ({
  id: row.id,
  clientId: row.clientId,
  name: row.name,
  permissions: row.permissions,
  status: row.revokedAt === null ? ("active" as const) : ("revoked" as const),
  secretVersion: row.secretVersion,
  secretRotatedAt: toIsoOrNull(row.secretRotatedAt),
  lastUsedAt: toIsoOrNull(row.lastUsedAt),
  createdBy: row.createdBy,
  revokedAt: toIsoOrNull(row.revokedAt),
  version: row.version,
  createdAt: toIso(row.createdAt),
  updatedAt: toIso(row.updatedAt),
});

const audit = (ctx: ServiceContext, action: string, clientId: string, detail?: Record<string, unknown>) =>
  recordAudit(ctx.scope.db, { tenantId: ctx.scope.tenantId, actorType: "user", actorId: ctx.actor.userId, action: `api_client.${action}`, entity: "api_client", entityId: clientId, detail }, ctx.request);

const liveStores = (scope: TenantScope) => scope.select(stores, isNull(stores.deletedAt)).orderBy(stores.code);
const clientQuery = (scope: TenantScope, id: string) => scope.select(apiClients, eq(apiClients.id, id));

/** What the editor holds in every store of the tenant: the permissions a client of theirs may have. */
class EditorReach {
  private readonly access: Access;
  constructor(accessRows: unknown[], private readonly storeRows: unknown[]) {
    this.access = new Access(accessRows as AccessRow[]);
  }

  /** The first store (by code) where the editor lacks some of `wanted`, and what they lack there. */
  lacking(wanted: readonly string[]): { storeCode: string; permissions: string[] } | undefined {
    for (const store of this.storeRows as (typeof stores.$inferSelect)[]) {
      const lacking = this.access.lacking(store.id, wanted);
      if (lacking.length) return { storeCode: store.code, permissions: lacking };
    }
    return undefined;
  }

  /** 403 CLIENT_GRANT_EXCEEDS_OWN unless the editor holds every one of `wanted` in every store. */
  checkGrant(wanted: readonly string[]) {
    const gap = this.lacking(wanted);
    if (gap) {
      throw forbidden(
        `You cannot give an API client permissions you lack in store ${gap.storeCode} (${listPermissions(gap.permissions)}): a client's permissions hold in every store of the tenant`,
        "CLIENT_GRANT_EXCEEDS_OWN",
      );
    }
  }

  /** 403 CLIENT_OUTRANKS_EDITOR when the client holds what the editor lacks in some store. */
  checkOutranks(client: ClientRow) {
    const gap = this.lacking(client.permissions);
    if (gap) {
      throw forbidden(
        `API client ${client.name} holds permissions you lack in store ${gap.storeCode} (${listPermissions(gap.permissions)}); only someone who holds them can change, rotate or revoke it`,
        "CLIENT_OUTRANKS_EDITOR",
      );
    }
  }
}

/** The client (404 across tenants) and what the editor holds, in one round trip. */
async function readForChange(ctx: ServiceContext, id: string) {
  const { scope, actor } = ctx;
  const [clientRows, accessRows, storeRows] = await scope.db.batch([clientQuery(scope, id), accessQuery(scope, actor.userId), liveStores(scope)]);
  const client = (clientRows as ClientRow[])[0];
  if (!client) throw notFound("API client");
  return { client, reach: new EditorReach(accessRows, storeRows) };
}

const revoked = (client: ClientRow) => conflict("CLIENT_REVOKED", `API client ${client.name} is revoked; create a new one`, apiClientDto(client));

/** The client's row as it is now, for a 409 after another write won the race. */
async function stale(ctx: ServiceContext, id: string): Promise<never> {
  const [now] = (await clientQuery(ctx.scope, id)) as ClientRow[];
  if (!now) throw notFound("API client");
  if (now.revokedAt !== null) throw revoked(now);
  throw conflict("VERSION_CONFLICT", `API client ${now.name} changed meanwhile; it is now at version ${now.version}`, apiClientDto(now));
}

/** A compare-and-set of the client's row at the version read; 409 with the current row if another write won. */
async function writeClient(ctx: ServiceContext, current: ClientRow, set: Partial<ClientRow>, extra: Statement[]) {
  try {
    await commit(ctx.scope.db, [
      ctx.scope.update(apiClients, { ...set, version: current.version + 1, updatedAt: ctx.request.now }, eq(apiClients.id, current.id), eq(apiClients.version, current.version), isNull(apiClients.revokedAt)),
      expectOneChange(ctx.scope.db),
      ...extra,
    ]);
  } catch (error) {
    if (isGuardFailure(error)) await stale(ctx, current.id);
    throw error;
  }
  return { ...current, ...set, version: current.version + 1, updatedAt: ctx.request.now };
}

/** Create a client; the answer carries its secret, the only time it is ever shown. */
export async function createApiClient(ctx: ServiceContext, body: z.output<typeof CreateApiClientBody>) {
  const { scope, actor, request } = ctx;
  const [accessRows, storeRows] = await scope.db.batch([accessQuery(scope, actor.userId), liveStores(scope)]);
  const permissions = [...new Set(body.permissions)].sort();
  new EditorReach(accessRows, storeRows).checkGrant(permissions);
  const secret = newClientSecret();
  const row: ClientRow = {
    id: crypto.randomUUID(),
    tenantId: scope.tenantId,
    name: body.name,
    clientId: newClientId(),
    secretHash: await clientSecretHash(secret),
    secretVersion: 1,
    secretRotatedAt: null,
    permissions,
    createdBy: actor.userId,
    revokedAt: null,
    revokedBy: null,
    lastUsedAt: null,
    version: 1,
    createdAt: request.now,
    updatedAt: request.now,
  };
  await commit(scope.db, [scope.insert(apiClients, row), audit(ctx, "create", row.id, { clientId: row.clientId, permissions })]);
  return { ...apiClientDto(row), clientSecret: secret };
}

/** The tenant's clients, newest first, revoked ones too unless `status` says otherwise. */
export function listApiClients(ctx: ServiceContext, query: z.output<typeof ApiClientListQuery>): Promise<Page<ReturnType<typeof apiClientDto>>> {
  const { scope } = ctx;
  const status = query.status === "active" ? isNull(apiClients.revokedAt) : query.status === "revoked" ? isNotNull(apiClients.revokedAt) : undefined;
  const where = scope.where(apiClients, status);
  const rows = scope.db.select().from(apiClients).where(where).orderBy(desc(apiClients.createdAt), apiClients.id);
  return readPage(scope.db, apiClients, where, rows, query, (r) => apiClientDto(r as ClientRow));
}

export async function getApiClient(ctx: ServiceContext, id: string) {
  const [row] = (await clientQuery(ctx.scope, id)) as ClientRow[];
  if (!row) throw notFound("API client");
  return apiClientDto(row);
}

/**
 * Rename a client or change its permissions (the editor must hold the old and the new ones in every store). Taking
 * a permission away stops, at once, the writes of tokens that carry it (the client write guard); a token keeps
 * what it was issued with for reading until it expires, like a user's.
 */
export async function updateApiClient(ctx: ServiceContext, id: string, body: z.output<typeof UpdateApiClientBody>, expectedVersion: number | undefined) {
  const { client, reach } = await readForChange(ctx, id);
  if (client.revokedAt !== null) throw revoked(client);
  checkVersion("API client", client.version, expectedVersion, () => apiClientDto(client));
  reach.checkOutranks(client);
  const permissions = body.permissions ? [...new Set(body.permissions)].sort() : undefined;
  if (permissions) reach.checkGrant(permissions);
  const changes = Object.fromEntries(Object.entries({ name: body.name, permissions }).filter(([, v]) => v !== undefined));
  const fields = changedFields(client, changes);
  if (fields.length === 0) return apiClientDto(client);
  const next = await writeClient(ctx, client, changes, [audit(ctx, "update", client.id, { fields, ...(permissions ? { permissions } : {}) })]);
  return apiClientDto(next);
}

/**
 * A new secret, answered once: the old one fails from now on, and tokens issued with it stop writing at once
 * (they carry the secret's version, which every write checks).
 */
export async function rotateApiClientSecret(ctx: ServiceContext, id: string) {
  const { client, reach } = await readForChange(ctx, id);
  if (client.revokedAt !== null) throw revoked(client);
  reach.checkOutranks(client);
  const secret = newClientSecret();
  const next = await writeClient(
    ctx,
    client,
    { secretHash: await clientSecretHash(secret), secretVersion: client.secretVersion + 1, secretRotatedAt: ctx.request.now },
    [audit(ctx, "rotate", client.id, { secretVersion: client.secretVersion + 1 })],
  );
  return { ...apiClientDto(next), clientSecret: secret };
}

/**
 * Revoke a client for good: its next token request fails (invalid_client) and its tokens stop writing at once.
 * Revoking a revoked client changes nothing.
 */
export async function revokeApiClient(ctx: ServiceContext, id: string) {
  const { client, reach } = await readForChange(ctx, id);
  if (client.revokedAt !== null) return apiClientDto(client);
  reach.checkOutranks(client);
  try {
    const next = await writeClient(ctx, client, { revokedAt: ctx.request.now, revokedBy: ctx.actor.userId }, [audit(ctx, "revoke", client.id)]);
    return apiClientDto(next);
  } catch (error) {
    // Revoked meanwhile by someone else: what they wanted is what we wanted.
    if (error instanceof DomainError && error.code === "CLIENT_REVOKED") return error.details.current as ReturnType<typeof apiClientDto>;
    throw error;
  }
}
