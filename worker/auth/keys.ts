import { calculateJwkThumbprint, importJWK, type CryptoKey, type JWK } from "jose";

export const ACCESS_TOKEN_ALG = "ES256";

export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

let cached: { source: string; keys: Promise<SigningKeys> } | undefined;

/** The signing key pair from the JWT_PRIVATE_KEY secret (an ES256 private JWK), imported once per isolate. */
export function signingKeys(privateJwkJson: string | undefined): Promise<SigningKeys> {
  if (!privateJwkJson) throw new Error("JWT_PRIVATE_KEY is not set: run `npm run dev` once, or `wrangler secret put JWT_PRIVATE_KEY`");
  if (cached?.source !== privateJwkJson) cached = { source: privateJwkJson, keys: load(privateJwkJson) };
  return cached.keys;
}

async function load(json: string): Promise<SigningKeys> {
  const jwk = JSON.parse(json) as JWK;
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.d) throw new Error("JWT_PRIVATE_KEY must be a P-256 (ES256) private JWK");
  const { d: _private, ...pub } = jwk;
  const kid = await calculateJwkThumbprint(pub);
  const publicJwk: JWK = { kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y, kid, alg: ACCESS_TOKEN_ALG, use: "sig" };
  const [privateKey, publicKey] = await Promise.all([
    importJWK(jwk, ACCESS_TOKEN_ALG) as Promise<CryptoKey>,
    importJWK(publicJwk, ACCESS_TOKEN_ALG) as Promise<CryptoKey>,
  ]);
  return { kid, privateKey, publicKey, publicJwk };
}
