import { describe, expect, it } from "vitest";
import { parseClientMessage, parseServerMessage, serverMessage, short, SYNC_CLOSE, SYNC_PING } from "../../schema/sync/messages";

/** The socket protocol's messages as tills and the bridge read them. */
describe("schema/sync messages", () => {
  it("reads a hello and the heartbeat text, and refuses everything else with the right close code", () => {
    expect(parseClientMessage(JSON.stringify({ v: 1, type: "hello", lastSeq: 42, agent: "till 1.2" }))).toEqual({ ok: true, message: { v: 1, type: "hello", lastSeq: 42, agent: "till 1.2" } });
    expect(parseClientMessage(SYNC_PING)).toEqual({ ok: true, message: { v: 1, type: "ping" } });
    const code = (data: string) => {
      const parsed = parseClientMessage(data);
      return parsed.ok ? "ok" : parsed.failure.code;
    };
    expect(code('{"v":1,"type":"hello"}')).toBe(SYNC_CLOSE.MALFORMED);
    expect(code('{"v":1,"type":"hello","lastSeq":1.5}')).toBe(SYNC_CLOSE.MALFORMED);
    expect(code('{"v":1}')).toBe(SYNC_CLOSE.MALFORMED);
    expect(code("null")).toBe(SYNC_CLOSE.MALFORMED);
    expect(code('{"v":"1","type":"hello","lastSeq":0}')).toBe(SYNC_CLOSE.UNSUPPORTED_VERSION);
    expect(code('{"type":"hello","lastSeq":0}')).toBe(SYNC_CLOSE.UNSUPPORTED_VERSION);
    expect(code('{"v":1,"type":"scan"}')).toBe(SYNC_CLOSE.MALFORMED);
    expect(code('{"v":1,"type":"job"}')).toBe(SYNC_CLOSE.UNKNOWN_TYPE);
    expect(code('{"v":1,"type":"__proto__"}')).toBe(SYNC_CLOSE.UNKNOWN_TYPE);
  });

  it("round-trips every hub message and rejects one of another version or shape", () => {
    const messages = [
      { v: 1, type: "welcome", seq: 7, presence: { tills: 2, bridges: 1, others: 0 } },
      { v: 1, type: "changed", seq: 8 },
      { v: 1, type: "behind", seq: 9 },
      { v: 1, type: "pong" },
      { v: 1, type: "error", code: "MALFORMED", message: "not JSON" },
    ] as const;
    for (const m of messages) expect(parseServerMessage(serverMessage(m))).toEqual(m);
    expect(parseServerMessage('{"v":2,"type":"changed","seq":1}')).toBeUndefined();
    expect(parseServerMessage('{"v":1,"type":"changed","seq":-1}')).toBeUndefined();
    expect(parseServerMessage("not json")).toBeUndefined();
  });

  it("keeps a close reason within a close frame's 123 bytes, whatever its characters", () => {
    const encoded = (s: string) => new TextEncoder().encode(s).length;
    expect(short("short")).toBe("short");
    for (const text of ["x".repeat(500), "å".repeat(500), "😀".repeat(200)]) {
      expect(encoded(short(text))).toBeLessThanOrEqual(123);
      expect(short(text).endsWith("…")).toBe(true);
    }
  });
});
