
export interface Env {
  DB: D1Database;
  /** The static assets in worker/assets (the API reference UI at /docs). */
  ASSETS: Fetcher;
  /** ES256 private key as a JWK (JSON). Signs access tokens; its public half is served at /.well-known/jwks.json. */
  JWT_PRIVATE_KEY: string;
  /** HMAC key that turns a PIN into its per-store lookup value. */
  PIN_LOOKUP_KEY: string;
  /** The platform operator's secret: guards tenant onboarding. */
  OPERATOR_SECRET: string;
  /** Issuer written into and required of access tokens. */
  JWT_ISSUER?: string;
  /** One StoreHub Durable Object per store. */
  STORE_HUB: DurableObjectNamespace<import("./store/hub").StoreHub>;
}
