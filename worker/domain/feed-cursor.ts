import { constantTimeEqual, fromBase64Url, toBase64Url } from "../auth/credentials";
import { invalid } from "./errors";

/**
 * The `until` of a sync-style integrator list (GraphQL's since & until): opaque, versioned, tamper-evident, like the
 * till's pull cursor (sync-pull-cursor.ts) but under a key label of its own, so neither passes for the other.
 * `<payload>.<mac>`: the payload is base64url JSON {v, t: tenant, l: list (and its filters), q: seq}, the mac the
 * first 16 bytes of an HMAC-SHA256 of it under a key derived from PIN_LOOKUP_KEY.
 */

const VERSION = 1;
const MAC_BYTES = 16;
const KEY_LABEL = "edge-pos/integrator-until/v1";
const encoder = new TextEncoder();

let cached: { secret: string; key: Promise<CryptoKey> } | undefined;

async function deriveKey(secret: string): Promise<CryptoKey> {
  const root = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const derived = await crypto.subtle.sign("HMAC", root, encoder.encode(KEY_LABEL));
  return crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

async function mac(secret: string, payload: string): Promise<Uint8Array> {
  if (cached?.secret !== secret) cached = { secret, key: deriveKey(secret) };
  return new Uint8Array(await crypto.subtle.sign("HMAC", await cached.key, encoder.encode(payload))).slice(0, MAC_BYTES);
}

export interface FeedPosition {
  tenantId: string;
  /** The list and its filters, e.g. `product` or `itemWarehouse{"locationId":"…"}`. */
  list: string;
  seq: number;
}

export async function encodeUntil(secret: string, at: FeedPosition): Promise<string> {
  const payload = toBase64Url(encoder.encode(JSON.stringify({ v: VERSION, t: at.tenantId, l: at.list, q: at.seq })));
  return `${payload}.${toBase64Url(await mac(secret, payload))}`;
}

const refused = (why: string) =>
  invalid("INVALID_SINCE", `since is not a value this list gave as until (${why}); pass the until of your last page as it was, or "" to start from the beginning`, [
    { path: "since", message: why },
  ]);

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The feed position `text` names, if this server made it for this tenant and list; VALIDATION (INVALID_SINCE) otherwise. */
export async function decodeSince(secret: string, text: string, expected: { tenantId: string; list: string }): Promise<number> {
  const [payload, tag, ...rest] = text.split(".");
  if (!payload || !tag || rest.length || !BASE64URL.test(payload) || !BASE64URL.test(tag)) throw refused("malformed");
  let given: Uint8Array;
  let body: { v?: unknown; t?: unknown; l?: unknown; q?: unknown };
  try {
    given = fromBase64Url(tag);
    body = JSON.parse(new TextDecoder().decode(fromBase64Url(payload)));
  } catch {
    throw refused("malformed");
  }
  if (!constantTimeEqual(given, await mac(secret, payload))) throw refused("not made by this server, or altered");
  if (body.v !== VERSION) throw refused(`version ${String(body.v)} is not understood`);
  if (typeof body.q !== "number" || !Number.isSafeInteger(body.q) || body.q < 0) throw refused("malformed");
  if (body.t !== expected.tenantId) throw refused("made for another tenant");
  if (body.l !== expected.list) throw refused("made for another list, or the same list with other filters");
  return body.q;
}
