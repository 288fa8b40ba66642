import { describe, expect, it } from "vitest";
import { JobPayload } from "../../schema/sync/bridge-messages";
import { parseClientMessage, parseServerMessage, serverMessage, SYNC_CLOSE, type ServerMessage } from "../../schema/sync/messages";
import { buildReceipt } from "../../schema/receipt";
import { ReceiptModelSchema } from "../../schema/receipt/contract";
import { swedishContext, swedishSale } from "./receipt-fixtures";

/** The bridge's messages as the hub, the bridge and the tills read them (schema/sync). */
describe("schema/sync bridge messages", () => {
  const fromBridge = [
    { v: 1, type: "job.ack", jobId: "0b5c3f5e-6f0a-4f57-9d2e-6f1c1c0a1b2c" },
    { v: 1, type: "job.status", jobId: "j-1", state: "failed", reason: "paper_out", at: 1_700_000_000_000 },
    { v: 1, type: "bridge.status", devices: [{ id: "front", kind: "printer", name: "Front", connected: true, status: { online: true, coverOpen: false, paperNearEnd: false, paperOut: false, drawerOpen: false, error: false } }], at: 1 },
    { v: 1, type: "bridge.status", devices: [{ id: "front", kind: "printer", name: "Front", connected: false, status: null, problem: "cannot connect to 192.168.1.50:9100: connect EHOSTUNREACH" }], at: 2 },
    { v: 1, type: "scan", scannerId: "scanner-1", text: "7310865004703", registerId: null, at: 1 },
  ];

  it("reads the bridge's messages from a bridge, and refuses them from any other kind of client (4004)", () => {
    for (const message of fromBridge) {
      expect(parseClientMessage(JSON.stringify(message), "bridge")).toEqual({ ok: true, message });
      const refused = parseClientMessage(JSON.stringify(message), "register");
      expect(refused).toEqual({ ok: false, failure: { code: SYNC_CLOSE.NOT_ALLOWED, reason: `${message.type} is sent only by the store's bridge, not by a register device` } });
    }
    // Well-formed or not: the sender is wrong first.
    expect(parseClientMessage('{"v":1,"type":"scan"}', "sync")).toMatchObject({ ok: false, failure: { code: SYNC_CLOSE.NOT_ALLOWED } });
    expect(parseClientMessage('{"v":1,"type":"scan"}', "bridge")).toMatchObject({ ok: false, failure: { code: SYNC_CLOSE.MALFORMED } });
    expect(parseClientMessage('{"v":1,"type":"job.ack","jobId":"j","extra":1}', "bridge")).toMatchObject({ ok: false, failure: { code: SYNC_CLOSE.MALFORMED } });
    expect(parseClientMessage('{"v":1,"type":"hello","lastSeq":null,"features":["jobs"]}', "bridge")).toEqual({ ok: true, message: { v: 1, type: "hello", lastSeq: null, features: ["jobs"] } });
    expect(parseClientMessage(JSON.stringify({ v: 1, type: "hello", lastSeq: 0, features: Array(17).fill("x") }), "register")).toMatchObject({ ok: false, failure: { code: SYNC_CLOSE.MALFORMED } });
    const longProblem = { v: 1, type: "bridge.status", devices: [{ id: "front", kind: "printer", name: "Front", connected: false, status: null, problem: "x".repeat(201) }], at: 1 };
    expect(parseClientMessage(JSON.stringify(longProblem), "bridge")).toMatchObject({ ok: false, failure: { code: SYNC_CLOSE.MALFORMED } });
  });

  it("round-trips what the hub sends the bridge and the tills", () => {
    const messages: ServerMessage[] = [
      { v: 1, type: "job", job: { id: "j-1", seq: 3, printerId: null, createdAt: 1, requestedBy: null, payload: { kind: "receipt", saleId: "s-1", copy: false, model: ReceiptModelSchema.parse(buildReceipt(swedishSale, swedishContext)) } } },
      { v: 1, type: "job", job: { id: "j-2", seq: 4, printerId: "front", createdAt: 1, requestedBy: "d-1", payload: { kind: "raw", bytesBase64: "G0A=" } } },
      { v: 1, type: "job", job: { id: "j-3", seq: 5, printerId: null, createdAt: 1, requestedBy: null, payload: { kind: "drawer", pin: 5 } } },
      { v: 1, type: "job.status", jobId: "j-1", state: "sent", reason: null, at: 2 },
      { v: 1, type: "bridge.status", bridgeId: "b-1", online: false, devices: [], at: 3 },
      { v: 1, type: "scan", bridgeId: "b-1", scannerId: "scanner-1", text: "123", registerId: "r-1", at: 4 },
      { v: 1, type: "tills", tills: [{ deviceId: "d-1", registerId: "r-1", credentialSha256: "a".repeat(64) }], at: 5 },
    ];
    for (const m of messages) expect(parseServerMessage(serverMessage(m))).toEqual(m);
  });

  it("takes raw bytes only as padded standard base64", () => {
    const raw = (bytesBase64: string) => JobPayload.safeParse({ kind: "raw", bytesBase64 }).success;
    expect(raw("G0A=")).toBe(true);
    expect(raw("G0BI")).toBe(true);
    expect(raw("G0A")).toBe(false);
    expect(raw("G0A==")).toBe(false);
    expect(raw("G0-_")).toBe(false);
    expect(raw("")).toBe(false);
    expect(JobPayload.safeParse({ kind: "drawer", pin: 3 }).success).toBe(false);
  });
});
