import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../../worker/domain/sync-pull-cursor";
import { DomainError } from "../../worker/domain/errors"
import { httpStatusOf } from "../../worker/http/errors";

const SECRET = "a test secret for cursors";
const at = { tenantId: "t-1", storeId: "s-1", filter: null };

async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return { status: httpStatusOf[(error as DomainError).kind], code: (error as DomainError).code };
  }
  throw new Error("expected a refusal");
}

const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

describe("sync pull cursors", () => {
  it("round-trip their seq and filter", async () => {
    const text = await encodeCursor(SECRET, { ...at, seq: 1234, filter: "product,tender" });
    expect(await decodeCursor(SECRET, text, { ...at, filter: "product,tender" })).toEqual({ ...at, seq: 1234, filter: "product,tender" });
  });

  it("are the server's own: another key's cursor, a cursor with its payload swapped, or of an unknown version is INVALID_CURSOR", async () => {
    const other = await encodeCursor("another secret", { ...at, seq: 5 });
    expect(await refusal(decodeCursor(SECRET, other, at))).toEqual({ status: 400, code: "INVALID_CURSOR" });
    const a = await encodeCursor(SECRET, { ...at, seq: 5 });
    const b = await encodeCursor(SECRET, { ...at, seq: 9 });
    expect(await refusal(decodeCursor(SECRET, `${b.split(".")[0]}.${a.split(".")[1]}`, at))).toEqual({ status: 400, code: "INVALID_CURSOR" });
    // A MAC that is right for its payload does not make an unknown version or a bad seq acceptable.
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const derived = await crypto.subtle.importKey("raw", await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("edge-pos/sync-pull-cursor/v1")), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const signed = async (body: unknown) => {
      const payload = b64(body);
      const mac = new Uint8Array(await crypto.subtle.sign("HMAC", derived, new TextEncoder().encode(payload))).slice(0, 16);
      return `${payload}.${btoa(String.fromCharCode(...mac)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
    };
    expect(await decodeCursor(SECRET, await signed({ v: 1, t: "t-1", s: "s-1", q: 7, e: null }), at)).toMatchObject({ seq: 7 });
    expect(await refusal(decodeCursor(SECRET, await signed({ v: 2, t: "t-1", s: "s-1", q: 7, e: null }), at))).toEqual({ status: 400, code: "INVALID_CURSOR" });
    expect(await refusal(decodeCursor(SECRET, await signed({ v: 1, t: "t-1", s: "s-1", q: -1, e: null }), at))).toEqual({ status: 400, code: "INVALID_CURSOR" });
    expect(await refusal(decodeCursor(SECRET, await signed({ v: 1, t: "t-1", s: "s-2", q: 7, e: null }), at))).toEqual({ status: 400, code: "INVALID_CURSOR" });
    expect(await refusal(decodeCursor(SECRET, await signed({ v: 1, t: "t-1", s: "s-1", q: 7, e: "product" }), at))).toEqual({ status: 400, code: "CURSOR_FILTER_MISMATCH" });
  });
});
