import type { ClientCredentials } from "../domain/client-credentials";
import { invalidRequest, OAuthError } from "./errors";

/**
 * How the client authenticated at the token endpoint (RFC 6749 §2.3.1): HTTP Basic with its client_id and secret
 * each form-urlencoded first (client_secret_basic), or both as form parameters (client_secret_post). One method a
 * request: a secret both ways is invalid_request; a body client_id next to Basic must be the same client.
 */
export type AuthMethod = "client_secret_basic" | "client_secret_post";

export const AUTH_METHODS: AuthMethod[] = ["client_secret_basic", "client_secret_post"];

const failedBasic = (why: string) => new OAuthError(401, "invalid_client", `Client authentication failed: ${why}`).withChallenge();

/** application/x-www-form-urlencoded decoding of one value (RFC 6749 Appendix B): '+' is a space, then %XX as UTF-8. */
function formDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

function fromBasic(header: string): ClientCredentials {
  const encoded = header.match(/^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i)?.[1];
  if (!encoded) throw failedBasic("the Authorization header is not Basic <base64(client_id:client_secret)>");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(encoded), (ch) => ch.charCodeAt(0)));
  } catch {
    throw failedBasic("the Basic credentials are not base64 of UTF-8 text");
  }
  const colon = text.indexOf(":");
  if (colon < 0) throw failedBasic("the Basic credentials have no ':' between client_id and client_secret");
  const clientId = formDecode(text.slice(0, colon));
  const clientSecret = formDecode(text.slice(colon + 1));
  if (clientId === undefined || clientSecret === undefined) throw failedBasic("the Basic credentials are not form-urlencoded (RFC 6749 §2.3.1)");
  if (!clientId || !clientSecret) throw failedBasic("the Basic credentials need both client_id and client_secret");
  return { clientId, clientSecret };
}

export function presentedClient(authorization: string | undefined, form: URLSearchParams): ClientCredentials & { method: AuthMethod } {
  const bodyId = form.get("client_id") ?? undefined;
  const bodySecret = form.get("client_secret") ?? undefined;
  if (authorization !== undefined) {
    if (!/^Basic\s/i.test(authorization)) {
      throw failedBasic("this endpoint takes client_secret_basic (Authorization: Basic) or client_secret_post, not another Authorization scheme");
    }
    if (bodySecret !== undefined) throw invalidRequest("Authenticate the client one way: HTTP Basic or client_id and client_secret in the body, not both");
    const basic = fromBasic(authorization);
    if (bodyId !== undefined && bodyId !== basic.clientId) throw invalidRequest("client_id in the body names another client than the Authorization header");
    return { ...basic, method: "client_secret_basic" };
  }
  if (bodyId === undefined && bodySecret === undefined) {
    throw new OAuthError(401, "invalid_client", "Client authentication is required: HTTP Basic (client_secret_basic) or client_id and client_secret in the body (client_secret_post)").withChallenge();
  }
  if (!bodyId || !bodySecret) throw new OAuthError(401, "invalid_client", "Client authentication failed: send both client_id and client_secret");
  return { clientId: bodyId, clientSecret: bodySecret, method: "client_secret_post" };
}
