import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DomainError } from "../domain/errors";

/**
 * The OAuth face answers errors as RFC 6749 §5.2 says, not in the REST envelope: `{ error, error_description }`
 * with an error code of the RFC's, never cached. A failed client authentication is 401 invalid_client; when the
 * client tried HTTP Basic (or sent no authentication at all) it carries the Basic challenge (RFC 6749 §5.2).
 */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "unsupported_response_type"
  | "temporarily_unavailable"
  | "server_error";

export class OAuthError extends Error {
  /** Answer with `WWW-Authenticate: Basic` (the client used Basic, or no authentication). */
  challenge = false;
  constructor(readonly status: ContentfulStatusCode, readonly error: OAuthErrorCode, readonly description: string, readonly retryAfterSeconds?: number) {
    super(description);
  }

  withChallenge(challenge = true) {
    this.challenge = challenge;
    return this;
  }
}

export const invalidRequest = (description: string) => new OAuthError(400, "invalid_request", description);

export const BASIC_CHALLENGE = 'Basic realm="edge-pos", charset="UTF-8"';

/** A domain error as OAuth says it: a failed client authentication, a scope not held, too many attempts. */
export function toOAuthError(error: unknown): OAuthError | undefined {
  if (error instanceof OAuthError) return error;
  if (!(error instanceof DomainError)) return undefined;
  if (error.kind === "unauthenticated") return new OAuthError(401, "invalid_client", error.message);
  if (error.code === "INVALID_SCOPE") return new OAuthError(400, "invalid_scope", error.message);
  // RFC 6749 has no error for a rate limit; this is the one OAuth uses for "not now" (§4.1.2.1).
  if (error.kind === "throttled") return new OAuthError(429, "temporarily_unavailable", error.message, error.details.retryAfterSeconds);
  if (error.kind === "invalid") return invalidRequest(error.message);
  return undefined;
}

export function oauthErrorResponse(c: Context, error: OAuthError) {
  c.header("Cache-Control", "no-store");
  c.header("Pragma", "no-cache");
  if (error.challenge) c.header("WWW-Authenticate", BASIC_CHALLENGE);
  if (error.retryAfterSeconds) c.header("Retry-After", String(error.retryAfterSeconds));
  return c.json({ error: error.error, error_description: error.description }, error.status);
}
