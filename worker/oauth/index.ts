import type { Handler, Hono } from "hono";
import { issuerOf } from "../auth/issuer";
import type { AppEnv } from "../http/app";
import { limitBody } from "../http/body-limit";
import { providerMetadata } from "./discovery";
import { invalidRequest, OAuthError, oauthErrorResponse, toOAuthError } from "./errors";
import { tokenEndpoint } from "./token";

/** A token request is a few short parameters. */
const MAX_FORM_BYTES = 16 * 1024;

/**
 * The OAuth 2.0 / OpenID Connect face for machine clients: discovery, the token endpoint and the (refusing)
 * authorization endpoint. Outside /api/v1, so its errors are OAuth's, not the REST envelope.
 */
export function mountOAuth(app: Hono<AppEnv>) {
  const metadata: Handler<AppEnv> = (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.json(providerMetadata(issuerOf(c.env, c.req.url)));
  };
  app.get("/.well-known/openid-configuration", metadata);
  app.get("/.well-known/oauth-authorization-server", metadata);

  const limit = limitBody(MAX_FORM_BYTES);
  app.use("/oauth/*", async (c, next) => {
    let within = false;
    try {
      await limit(c, async () => {
        within = true;
        await next();
      });
    } catch (error) {
      const oauth = within ? undefined : toOAuthError(error);
      if (!oauth) throw error;
      return oauthErrorResponse(c, oauth);
    }
    if (!within) return oauthErrorResponse(c, invalidRequest(`The request body is larger than ${MAX_FORM_BYTES} bytes`));
  });
  app.post("/oauth/token", tokenEndpoint);
  app.all("/oauth/token", (c) => {
    c.header("Allow", "POST");
    return oauthErrorResponse(c, new OAuthError(405, "invalid_request", "The token endpoint takes POST"));
  });
  app.all("/oauth/authorize", (c) =>
    oauthErrorResponse(c, new OAuthError(400, "unsupported_response_type", "This issuer grants client credentials only (POST /oauth/token); nobody signs in here")),
  );
}
