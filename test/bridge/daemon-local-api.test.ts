/**
 * The local HTTP API: tills print through it with the hub unreachable, with their own device credentials (as the
 * hub last listed them, saved by the bridge) or the optional local API key.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../bridge/config";
import { Bridge } from "../../bridge/daemon";
import { buildReceipt } from "../../schema/receipt/index";
import { decodeEscpos, textsOf } from "../fakes/escpos-decoder";
import { FakeTcpPrinter } from "../fakes/tcp-printer";
import { swedishContext, swedishSale } from "../schema/receipt-fixtures";
import { bridgeConfig, FAST, freePort, tempDir, until } from "./daemon-fixtures";

const KEY = "local-key-0123456789abcdef";
/** A till of the store, in the list the hub sent before the internet went down (saved as the bridge saves it). */
const TILL = { credential: "dvc_till-credential-0123456789abcdefghij", deviceId: "till-device-1", registerId: "register-1" };
const REVOKED_EARLIER = "dvc_a-till-not-in-the-list-0123456789";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
let bridge: Bridge;
let fake: FakeTcpPrinter;
let base: string;
let remove: () => void;

beforeAll(async () => {
  fake = await new FakeTcpPrinter().start();
  const temp = tempDir();
  remove = temp.remove;
  // A port nothing listens on: the hub is unreachable, as when the internet is down.
  const hubUrl = new URL(`http://127.0.0.1:${await freePort()}`);
  writeFileSync(path.join(temp.dir, "tills.json"), JSON.stringify({ tills: [{ deviceId: TILL.deviceId, registerId: TILL.registerId, credentialSha256: sha256(TILL.credential) }], at: 1 }), { mode: 0o600 });
  bridge = await Bridge.start(bridgeConfig({ hubUrl, credential: "dvc_x", journalDir: temp.dir, printerPort: fake.port, localApiKey: KEY }), FAST);
  base = `http://127.0.0.1:${bridge.localAddress!.port}`;
});

afterAll(async () => {
  await bridge?.stop();
  await fake?.stop();
  remove?.();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = { Authorization: `Bearer ${KEY}` }) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { success: boolean; data?: Record<string, unknown>; code?: string; error?: string; fields?: { path: string }[] } };
}

async function settled(id: string) {
  const end = Date.now() + 5000;
  for (;;) {
    const data = (await call("GET", `/print-jobs/${id}`)).body.data!;
    if (["printed", "failed", "unknown"].includes(String(data.state))) return data;
    if (Date.now() > end) throw new Error(`job ${id} did not finish: ${String(data.state)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("who may call the local API", () => {
  it("refuses a call with no credential, another key, the bridge's own credential or a till the hub did not list, and names why", async () => {
    const none = await call("GET", "/status", undefined, {});
    expect(none).toMatchObject({ status: 401, body: { success: false, code: "CREDENTIAL_REQUIRED" } });
    expect(none.body.error).toMatch(/X-Device-Credential.*local API key/);
    const wrong = await call("POST", "/drawer-kicks", {}, { Authorization: "Bearer not-the-key-at-all" });
    expect(wrong).toMatchObject({ status: 401, body: { code: "INVALID_LOCAL_KEY" } });
    const bridgeCredential = await call("GET", "/status", undefined, { "X-Device-Credential": "dvc_x" });
    expect(bridgeCredential).toMatchObject({ status: 401, body: { code: "INVALID_DEVICE" } });
    const unlisted = await call("POST", "/drawer-kicks", {}, { "X-Device-Credential": REVOKED_EARLIER });
    expect(unlisted).toEqual({ status: 401, body: bridgeCredential.body }); // unknown, revoked, another store's: alike
    const tooLong = await call("GET", "/status", undefined, { "X-Device-Credential": "x".repeat(5000) });
    expect(tooLong).toMatchObject({ status: 401, body: { code: "INVALID_DEVICE" } });
  });

  it("takes a listed till's own device credential with the hub unreachable, and journals the job as that till's", async () => {
    const asTill = { "X-Device-Credential": TILL.credential };
    expect((await call("GET", "/status", undefined, asTill)).status).toBe(200);
    const { status, body } = await call("POST", "/print-jobs", { kind: "raw", bytesBase64: Buffer.from("from the till\n").toString("base64") }, asTill);
    expect(status).toBe(202);
    expect(bridge.journal.get(String(body.data!.id))).toMatchObject({ source: "local", requestedBy: TILL.deviceId });
    expect(await settled(String(body.data!.id))).toMatchObject({ state: "printed" });
  });

  it("answers /status with the key: the hub link down, the printer connected", async () => {
    await until(() => bridge.runner.printers()[0]!.connected);
    const { status, body } = await call("GET", "/status");
    expect(status).toBe(200);
    expect(body.data).toMatchObject({ hub: { state: expect.stringMatching(/connecting|disconnected/) }, printers: [{ id: "front", connected: true, waiting: null }] });
  });
});

describe("printing through the local API while the hub is unreachable", () => {
  it("prints a receipt from its model, journaled like a hub job", async () => {
    const model = buildReceipt(swedishSale, swedishContext);
    const before = fake.printed.length;
    const { status, body } = await call("POST", "/print-jobs", { kind: "receipt", model });
    expect(status).toBe(202);
    expect(body.data).toMatchObject({ source: "local", kind: "receipt", state: "queued" });
    const id = String(body.data!.id);
    expect(bridge.journal.get(id)).toBeDefined();
    expect(await settled(id)).toMatchObject({ state: "printed", reason: null });
    const texts = textsOf(decodeEscpos(fake.printed.subarray(before)));
    expect(texts[0]).toBe(model.store.name);
    expect(texts.some((t) => t.includes(model.receiptNumber))).toBe(true);
  });

  it("takes a retried POST with the same id once (200, the same job), and refuses the id for another job (409)", async () => {
    const bytesBase64 = Buffer.from("once only\n").toString("base64");
    const first = await call("POST", "/print-jobs", { kind: "raw", bytesBase64, id: "till-T01-0001" });
    const again = await call("POST", "/print-jobs", { kind: "raw", bytesBase64, id: "till-T01-0001" });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.data!.id).toBe(first.body.data!.id);
    await settled(String(first.body.data!.id));
    expect(fake.printed.toString("latin1").split("once only").length - 1).toBe(1);
    const other = await call("POST", "/print-jobs", { kind: "test", id: "till-T01-0001" });
    expect(other).toMatchObject({ status: 409, body: { code: "ID_TAKEN" } });
  });

  it("takes twenty identical POSTs sent at once as one job, printed once", async () => {
    const bytesBase64 = Buffer.from("twenty at once\n").toString("base64");
    const answers = await Promise.all(Array.from({ length: 20 }, () => call("POST", "/print-jobs", { kind: "raw", bytesBase64, id: "till-T01-0020" }, { "X-Device-Credential": TILL.credential })));
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(19).fill(200), 202]);
    expect(new Set(answers.map((a) => a.body.data!.id))).toEqual(new Set(["local-till-T01-0020"]));
    await settled("local-till-T01-0020");
    expect(fake.printed.toString("latin1").split("twenty at once").length - 1).toBe(1);
  });

  it("kicks the drawer", async () => {
    const before = fake.printed.length;
    const { status, body } = await call("POST", "/drawer-kicks", { pin: 5 });
    expect(status).toBe(202);
    expect(await settled(String(body.data!.id))).toMatchObject({ kind: "drawer", state: "printed" });
    expect(decodeEscpos(fake.printed.subarray(before)).filter((op) => op.op === "drawer")).toEqual([{ op: "drawer", pin: 5, onMs: 100, offMs: 100 }]);
  });

  it("fails a job for a printer the bridge does not have", async () => {
    const { body } = await call("POST", "/print-jobs", { kind: "test", printerId: "kitchen" });
    expect(await settled(String(body.data!.id))).toMatchObject({ state: "failed", reason: "no_printer" });
  });
});

describe("bad requests", () => {
  it("answers 400 naming the field, and journals nothing", async () => {
    const count = bridge.journal.all().length;
    const noKind = await call("POST", "/print-jobs", { bytesBase64: "AAAA" });
    expect(noKind).toMatchObject({ status: 400, body: { success: false, code: "VALIDATION_ERROR" } });
    const badPin = await call("POST", "/drawer-kicks", { pin: 3 });
    expect(badPin.status).toBe(400);
    expect(badPin.body.fields).toEqual([{ path: "pin", message: "must be 2 or 5 (the drawer port's pin)" }]);
    const notBase64 = await call("POST", "/print-jobs", { kind: "raw", bytesBase64: "not base64!" });
    expect(notBase64.body.fields?.[0]?.path).toBe("bytesBase64");
    const badModel = await call("POST", "/print-jobs", { kind: "receipt", model: { saleId: "x" } });
    expect(badModel.status).toBe(400);
    const unknownKey = await call("POST", "/drawer-kicks", { pin: 2, open: true });
    expect(unknownKey.status).toBe(400);
    expect(bridge.journal.all().length).toBe(count);
  });

  it("answers 400 for a body that is not JSON or not sent as JSON, 404 and 405 for other routes", async () => {
    expect(await call("POST", "/print-jobs", "{not json")).toMatchObject({ status: 400, body: { code: "MALFORMED_JSON" } });
    const res = await fetch(`${base}/print-jobs`, { method: "POST", headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "text/plain" }, body: "{}" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("UNSUPPORTED_CONTENT_TYPE");
    expect((await call("GET", "/print-jobs/local-nope")).status).toBe(404);
    expect((await call("GET", "/nothing")).status).toBe(404);
    expect((await call("DELETE", "/status")).status).toBe(405);
  });
});

describe("starting", () => {
  it("refuses to start on a local API port already taken, naming the key, and leaves nothing running", async () => {
    const temp = tempDir();
    try {
      const config = bridgeConfig({ hubUrl: new URL("http://127.0.0.1:9"), credential: "dvc_x", journalDir: temp.dir, localApiKey: KEY });
      const taken = { ...config, localApi: { ...config.localApi!, port: bridge.localAddress!.port } };
      const error = await Bridge.start(taken, FAST).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(new RegExp(`^localApi: cannot listen on 127.0.0.1:${bridge.localAddress!.port}: .*EADDRINUSE`));
    } finally {
      temp.remove();
    }
  });
});
