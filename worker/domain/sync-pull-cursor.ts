import { invalid } from "./errors";
import { sealedValues } from "./sealed-value";

/**
 * The pull cursor: opaque to tills, versioned and tamper-evident. It is `<payload>.<mac>`: the payload is
 * base64url JSON {v, t: tenant, s: store, q: seq, e: entity filter}, the mac the first 16 bytes of an
 * HMAC-SHA256 over the payload text under a key derived from PIN_LOOKUP_KEY with a label of its own (so no
 * other HMAC the server makes under that secret can pass for a cursor, and no new secret is needed).
 */

const VERSION = 1;
const cursors = sealedValues("edge-pos/sync-pull-cursor/v1");

export interface Cursor {
  tenantId: string;
  storeId: string;
  seq: number;
  /** The entity types the cursor was made for, sorted and joined by commas; null: every type. */
  filter: string | null;
}

export async function encodeCursor(secret: string, cursor: Cursor): Promise<string> {
  return cursors.seal(secret, { v: VERSION, t: cursor.tenantId, s: cursor.storeId, q: cursor.seq, e: cursor.filter });
}

const refusedCursor = (why: string) =>
  invalid("INVALID_CURSOR", `The cursor is not valid (${why}); send the cursor of your last page as it was, or none to start from the beginning`, [
    { path: "query.since", message: why },
  ]);

/**
 * The cursor `text` names, if it is one this server made for this tenant and store; 400 INVALID_CURSOR
 * otherwise (forged, altered, cut short, another tenant's or store's), 400 CURSOR_FILTER_MISMATCH when it was
 * made for other entity types than `filter`.
 */
export async function decodeCursor(secret: string, text: string, expected: { tenantId: string; storeId: string; filter: string | null }): Promise<Cursor> {
  const unsealed = await cursors.unseal(secret, text);
  if (!unsealed.ok) throw refusedCursor(unsealed.why);
  const body = unsealed.body;
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
