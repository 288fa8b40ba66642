import { constantTimeEqual, fromBase64Url, toBase64Url } from "../auth/credentials";
import { invalid } from "./errors";

/**
 * The pull cursor: opaque to tills, versioned and tamper-evident. It is `<payload>.<mac>`: the payload is
 * base64url JSON {v, t: tenant, s: store, q: seq, e: entity filter}, the mac the first 16 bytes of an
 * HMAC-SHA256 over the payload text under a key derived from PIN_LOOKUP_KEY with a label of its own (so no
 * other HMAC the server makes under that secret can pass for a cursor, and no new secret is needed).
 */

const VERSION = 1;
const MAC_BYTES = 16;
const KEY_LABEL = "edge-pos/sync-pull-cursor/v1";
const encoder = new TextEncoder();

export interface Cursor {
  tenantId: string;
  storeId: string;
  seq: number;
  /** The entity types the cursor was made for, sorted and joined by commas; null: every type. */
  filter: string | null;
}

let cached: { secret: string; key: Promise<CryptoKey> } | undefined;

async function deriveKey(secret: string): Promise<CryptoKey> {
  const root = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const derived = await crypto.subtle.sign("HMAC", root, encoder.encode(KEY_LABEL));
  return crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

function cursorKey(secret: string): Promise<CryptoKey> {
  if (cached?.secret !== secret) cached = { secret, key: deriveKey(secret) };
  return cached.key;
}

async function mac(secret: string, payload: string): Promise<Uint8Array> {
  const signature = await crypto.subtle.sign("HMAC", await cursorKey(secret), encoder.encode(payload));
  return new Uint8Array(signature).slice(0, MAC_BYTES);
}

export async function encodeCursor(secret: string, cursor: Cursor): Promise<string> {
  const payload = toBase64Url(encoder.encode(JSON.stringify({ v: VERSION, t: cursor.tenantId, s: cursor.storeId, q: cursor.seq, e: cursor.filter })));
  return `${payload}.${toBase64Url(await mac(secret, payload))}`;
}

const refusedCursor = (why: string) =>
  invalid("INVALID_CURSOR", `The cursor is not valid (${why}); send the cursor of your last page as it was, or none to start from the beginning`, [
    { path: "query.since", message: why },
  ]);

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The cursor `text` names, if it is one this server made for this tenant and store; 400 INVALID_CURSOR
 * otherwise (forged, altered, cut short, another tenant's or store's), 400 CURSOR_FILTER_MISMATCH when it was
 * made for other entity types than `filter`.
 */
export async function decodeCursor(secret: string, text: string, expected: { tenantId: string; storeId: string; filter: string | null }): Promise<Cursor> {
  const [payload, tag, ...rest] = text.split(".");
  if (!payload || !tag || rest.length || !BASE64URL.test(payload) || !BASE64URL.test(tag)) throw refusedCursor("malformed");
  let given: Uint8Array;
  try {
    given = fromBase64Url(tag);
  } catch {
    throw refusedCursor("malformed");
  }
  if (!constantTimeEqual(given, await mac(secret, payload))) throw refusedCursor("not made by this server, or altered");
  let body: { v?: unknown; t?: unknown; s?: unknown; q?: unknown; e?: unknown };
  try {
    body = JSON.parse(new TextDecoder().decode(fromBase64Url(payload)));
  } catch {
    throw refusedCursor("malformed");
  }
  if (body.v !== VERSION) throw refusedCursor(`version ${String(body.v)} is not understood`);
  if (typeof body.q !== "number" || !Number.isSafeInteger(body.q) || body.q < 0) throw refusedCursor("malformed");
  if (body.t !== expected.tenantId || body.s !== expected.storeId) throw refusedCursor("made for another tenant or store");
  const filter = typeof body.e === "string" ? body.e : null;
  if (filter !== expected.filter) {
    throw invalid(
      "CURSOR_FILTER_MISMATCH",
      `The cursor was made for entity_type=${filter ?? "(every type)"}, not ${expected.filter ?? "(every type)"}; page on with the entity_type it was made with, or start a new pull without since`,
      [{ path: "query.entity_type", message: "differs from the cursor's" }],
    );
  }
  return { tenantId: body.t, storeId: body.s, seq: body.q, filter };
}
