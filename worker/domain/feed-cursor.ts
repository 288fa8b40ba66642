import { invalid } from "./errors";
import { sealedValues } from "./sealed-value";

/**
 * The `until` of a sync-style integrator list (GraphQL's since & until): opaque, versioned, tamper-evident, like the
 * till's pull cursor (sync-pull-cursor.ts) but under a key label of its own, so neither passes for the other.
 * `<payload>.<mac>`: the payload is base64url JSON {v, t: tenant, l: list (and its filters), q: seq}, the mac the
 * first 16 bytes of an HMAC-SHA256 of it under a key derived from PIN_LOOKUP_KEY.
 */

const VERSION = 1;
const untils = sealedValues("edge-pos/integrator-until/v1");

export interface FeedPosition {
  tenantId: string;
  /** The list and its filters, e.g. `product` or `itemWarehouse{"locationId":"…"}`. */
  list: string;
  seq: number;
}

export async function encodeUntil(secret: string, at: FeedPosition): Promise<string> {
  return untils.seal(secret, { v: VERSION, t: at.tenantId, l: at.list, q: at.seq });
}

const refused = (why: string) =>
  invalid("INVALID_SINCE", `since is not a value this list gave as until (${why}); pass the until of your last page as it was, or "" to start from the beginning`, [
    { path: "since", message: why },
  ]);

/** The feed position `text` names, if this server made it for this tenant and list; VALIDATION (INVALID_SINCE) otherwise. */
export async function decodeSince(secret: string, text: string, expected: { tenantId: string; list: string }): Promise<number> {
  const unsealed = await untils.unseal(secret, text);
  if (!unsealed.ok) throw refused(unsealed.why);
  const body = unsealed.body;
  if (body.v !== VERSION) throw refused(`version ${String(body.v)} is not understood`);
  if (typeof body.q !== "number" || !Number.isSafeInteger(body.q) || body.q < 0) throw refused("malformed");
  if (body.t !== expected.tenantId) throw refused("made for another tenant");
  if (body.l !== expected.list) throw refused("made for another list, or the same list with other filters");
  return body.q;
}
