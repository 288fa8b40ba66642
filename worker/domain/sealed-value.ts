import { constantTimeEqual, fromBase64Url, toBase64Url } from "../auth/credentials";

/**
 * Opaque, tamper-evident values the server hands out and takes back (the tills' pull cursor, the integrators'
 * `until`): `<payload>.<mac>`, the payload base64url JSON, the mac the first 16 bytes of an HMAC-SHA256 of it
 * under a key derived from the secret with a label of its own, so no value made for one use passes for another.
 */
const MAC_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const encoder = new TextEncoder();

export type Unsealed = { ok: true; body: Record<string, unknown> } | { ok: false; why: "malformed" | "not made by this server, or altered" };

export function sealedValues(label: string) {
  let cached: { secret: string; key: Promise<CryptoKey> } | undefined;

  async function deriveKey(secret: string): Promise<CryptoKey> {
    const root = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const derived = await crypto.subtle.sign("HMAC", root, encoder.encode(label));
    return crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  }

  async function mac(secret: string, payload: string): Promise<Uint8Array> {
    if (cached?.secret !== secret) cached = { secret, key: deriveKey(secret) };
    return new Uint8Array(await crypto.subtle.sign("HMAC", await cached.key, encoder.encode(payload))).slice(0, MAC_BYTES);
  }

  return {
    async seal(secret: string, body: Record<string, unknown>): Promise<string> {
      const payload = toBase64Url(encoder.encode(JSON.stringify(body)));
      return `${payload}.${toBase64Url(await mac(secret, payload))}`;
    },

    /** The body, if this server sealed `text` under this label; the mac is checked before the payload is parsed. */
    async unseal(secret: string, text: string): Promise<Unsealed> {
      const [payload, tag, ...rest] = text.split(".");
      if (!payload || !tag || rest.length || !BASE64URL.test(payload) || !BASE64URL.test(tag)) return { ok: false, why: "malformed" };
      let given: Uint8Array;
      try {
        given = fromBase64Url(tag);
      } catch {
        return { ok: false, why: "malformed" };
      }
      if (!constantTimeEqual(given, await mac(secret, payload))) return { ok: false, why: "not made by this server, or altered" };
      try {
        const body: unknown = JSON.parse(new TextDecoder().decode(fromBase64Url(payload)));
        return typeof body === "object" && body !== null && !Array.isArray(body) ? { ok: true, body: body as Record<string, unknown> } : { ok: false, why: "malformed" };
      } catch {
        return { ok: false, why: "malformed" };
      }
    },
  };
}
