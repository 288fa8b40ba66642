import { and, eq, getTableColumns, isNull, sql } from "drizzle-orm";
import { apiClients, tenants } from "../../schema/db";
import { isPermission, type Permission } from "../../schema/permissions";
import { CLIENT_TOKEN_TTL_SECONDS, signClientToken } from "../auth/client-token";
import { secretsEqual } from "../auth/credentials";
import { commit, type Statement } from "../db/batch";
import type { Db } from "../db/client";
import { clientSecretHash } from "./api-clients";
import {
  CLIENT_POLICY, clientKey, counterOf, countAttempt, countAttemptsFrom, refundAttempt, refuseOverLimit, TOKEN_ADDRESS_POLICY, tokenAddressKey,
} from "./attempts";
import type { RequestInfo } from "./context";
import { invalid, unauthenticated } from "./errors";
import { limitedAudit } from "./security-audit";

/**
 * The client-credentials grant (RFC 6749 §4.4) behind POST /oauth/token: an API client proves its client_id and
 * secret and gets a short access token for its tenant and permissions (all of them, or the ones `scope` names).
 *
 * Every attempt counts before it is verified (attempts.ts), per client address and per client_id, in the batch
 * that reads the client; past either limit the attempt is refused unverified, so a throttled attempt answers the
 * same whether its secret was right or not. An unknown client_id, a revoked client and a wrong secret all answer
 * INVALID_CLIENT, after the same work: the secret is hashed and compared even when there is no client.
 */
export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface ClientGrant {
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  /** The permissions granted, space-separated (RFC 6749 §3.3). */
  scope: string;
}

type ClientRow = typeof apiClients.$inferSelect;

/** No client_id we make is near this long; a longer one is answered without reading anything. */
const MAX_CLIENT_ID_LENGTH = 128;
const NO_SECRET_HASH = "0".repeat(64);

export const invalidClient = () => unauthenticated("INVALID_CLIENT", "Client authentication failed: unknown client, wrong secret or revoked client");

/**
 * The permissions a token gets: the client's, or those of `requested` (space-separated permission names), each of
 * which the client must hold (INVALID_SCOPE otherwise, naming them).
 */
export function grantedScope(held: readonly string[], requested: string | undefined): Permission[] {
  const holds = held.filter(isPermission).sort();
  const asked = (requested ?? "").split(" ").filter(Boolean);
  if (asked.length === 0) return holds;
  const unknown = asked.filter((s) => !holds.includes(s as Permission));
  if (unknown.length) {
    throw invalid("INVALID_SCOPE", `The client does not hold ${unknown.slice(0, 8).join(", ")}${unknown.length > 8 ? ` and ${unknown.length - 8} more` : ""}; scope names permissions the client holds, space-separated`);
  }
  return [...new Set(asked as Permission[])].sort();
}

export async function grantClientCredentials(
  db: Db,
  env: { JWT_PRIVATE_KEY: string },
  request: RequestInfo,
  issuer: string,
  credentials: ClientCredentials,
  requestedScope: string | undefined,
): Promise<ClientGrant> {
  const { clientId, clientSecret } = credentials;
  if (clientId.length > MAX_CLIENT_ID_LENGTH) {
    await clientSecretHash(clientSecret);
    throw invalidClient();
  }
  const ipKey = tokenAddressKey(request.ip);
  const idKey = clientKey(clientId);
  const [ipCounted, idCounted, clientRows] = await db.batch([
    countAttempt(db, ipKey, TOKEN_ADDRESS_POLICY, request.now),
    // Gated on the address's counter, just counted: a flood refused by address does not lock the client out too.
    countAttemptsFrom(db, { key: sql`${idKey}`, from: sql`WHERE (SELECT failures FROM auth_throttle WHERE key = ${ipKey}) <= ${TOKEN_ADDRESS_POLICY.limit}` }, CLIENT_POLICY, request.now),
    db.select(getTableColumns(apiClients)).from(apiClients).innerJoin(tenants, eq(tenants.id, apiClients.tenantId))
      .where(and(eq(apiClients.clientId, clientId), isNull(tenants.deletedAt))),
  ]);
  const ipCounter = ipCounted[0]!;
  const idCounter = counterOf(idCounted, idKey);
  refuseOverLimit(ipCounter, TOKEN_ADDRESS_POLICY, request.now, "TOO_MANY_ATTEMPTS", "Too many failed client authentications from here; wait and try again");
  refuseOverLimit(idCounter, CLIENT_POLICY, request.now, "TOO_MANY_ATTEMPTS", "Too many failed authentications of this client; wait and try again");

  const client = (clientRows as ClientRow[])[0];
  const secretOk = await secretsEqual(await clientSecretHash(clientSecret), client?.secretHash ?? NO_SECRET_HASH);
  if (!client || !secretOk || client.revokedAt !== null) {
    const reason = !client ? "unknown_client" : !secretOk ? "wrong_secret" : "revoked";
    await commit(db, limitedAudit(db, {
      tenantId: client?.tenantId ?? null, actorType: "anonymous", action: "oauth.token_failed",
      entity: client ? "api_client" : undefined, entityId: client?.id, detail: { clientId: clientId.slice(0, MAX_CLIENT_ID_LENGTH), reason },
    }, request));
    throw invalidClient();
  }

  // Authenticated: the attempt is given back, whether or not the scope asked for is granted.
  const refunds: Statement[] = [refundAttempt(db, ipCounter), ...(idCounter ? [refundAttempt(db, idCounter)] : [])];
  let permissions: Permission[];
  try {
    permissions = grantedScope(client.permissions, requestedScope);
  } catch (error) {
    await commit(db, refunds);
    throw error;
  }
  const accessToken = await signClientToken(env, issuer, {
    clientRowId: client.id, clientId: client.clientId, tenantId: client.tenantId, permissions, secretVersion: client.secretVersion,
  }, request.now);
  await commit(db, [
    ...refunds,
    db.update(apiClients).set({ lastUsedAt: request.now }).where(eq(apiClients.id, client.id)),
    ...limitedAudit(db, { tenantId: client.tenantId, actorType: "client", actorId: client.id, action: "oauth.token", entity: "api_client", entityId: client.id, detail: { scope: permissions.length } }, request),
  ]);
  return { accessToken, tokenType: "Bearer", expiresIn: CLIENT_TOKEN_TTL_SECONDS, scope: permissions.join(" ") };
}
