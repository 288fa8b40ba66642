/**
 * The OpenID Connect issuer of this Worker: what /.well-known/openid-configuration names, what API clients'
 * tokens carry as `iss` and what they are checked against. A standard client compares the discovered issuer with
 * the URL it discovered from, so the issuer is a URL: JWT_ISSUER when it is one (set it in production, so every
 * host name of the Worker issues and accepts the same tokens), else the origin the request came to.
 */
export function issuerOf(env: { JWT_ISSUER?: string }, requestUrl: string): string {
  const configured = env.JWT_ISSUER && asHttpUrl(env.JWT_ISSUER);
  return configured ?? new URL(requestUrl).origin;
}

function asHttpUrl(text: string): string | undefined {
  try {
    const url = new URL(text);
    if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
    if (url.search || url.hash) return undefined; // an issuer has neither (OpenID Connect Discovery §3)
    return url.href.replace(/\/+$/, "");
  } catch {
    return undefined;
  }
}
