import type { Handler } from "hono";
import { issuerOf } from "../auth/issuer";
import { grantClientCredentials } from "../domain/client-credentials";
import type { AppEnv } from "../http/app";
import { presentedClient } from "./client-auth";
import { invalidRequest, OAuthError, oauthErrorResponse, toOAuthError } from "./errors";

/**
 * POST /oauth/token: the client-credentials grant (RFC 6749 §4.4). The request is form-urlencoded, each parameter
 * at most once (§3.2); the answer is `{ access_token, token_type, expires_in, scope }`, never cached (§5.1), and
 * errors are RFC 6749 §5.2's. The grant itself (throttling, the client, the token) is the domain's
 * (domain/client-credentials.ts).
 */
export const SUPPORTED_GRANT_TYPES = ["client_credentials"];
const FORM_TYPE = "application/x-www-form-urlencoded";

function parseForm(contentType: string | undefined, body: string): URLSearchParams {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  if (type !== FORM_TYPE) throw invalidRequest(`Send the token request as Content-Type: ${FORM_TYPE} (got ${type || "none"})`);
  const form = new URLSearchParams(body);
  const seen = new Set<string>();
  for (const name of form.keys()) {
    if (seen.has(name)) throw invalidRequest(`The parameter ${name} is given more than once`);
    seen.add(name);
  }
  return form;
}

/** Anything unexpected, in OAuth's shape too (masked, logged with the request id). */
function serverError(requestId: string, error: unknown) {
  console.error(JSON.stringify({ requestId, error: String(error), stack: (error as Error)?.stack }));
  return new OAuthError(500, "server_error", `Something went wrong on our side; quote the request id ${requestId} if you report it`);
}

export const tokenEndpoint: Handler<AppEnv> = async (c) => {
  let usedBasic = false;
  try {
    const form = parseForm(c.req.header("Content-Type"), new TextDecoder().decode(await c.req.arrayBuffer()));
    const grantType = form.get("grant_type");
    if (!grantType) throw invalidRequest("grant_type is required: grant_type=client_credentials");
    if (!SUPPORTED_GRANT_TYPES.includes(grantType)) {
      throw new OAuthError(400, "unsupported_grant_type", `grant_type ${grantType.slice(0, 64)} is not supported here; use client_credentials`);
    }
    const client = presentedClient(c.req.header("Authorization"), form);
    usedBasic = client.method === "client_secret_basic";
    const grant = await grantClientCredentials(c.get("db"), c.env, c.get("request"), issuerOf(c.env, c.req.url), client, form.get("scope") ?? undefined);
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    return c.json({ access_token: grant.accessToken, token_type: grant.tokenType, expires_in: grant.expiresIn, scope: grant.scope });
  } catch (error) {
    const oauth = toOAuthError(error) ?? serverError(c.get("requestId"), error);
    if (oauth.error === "invalid_client" && usedBasic) oauth.withChallenge();
    return oauthErrorResponse(c, oauth);
  }
};
