/** The bridge's config (file + environment), its logs (no secrets) and enrolment (pair → a 0600 credential file). */
import { chmodSync, statSync, writeFileSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../bridge/config";
import { createLogger } from "../../bridge/log";
import { pair } from "../../bridge/pair";
import { tempDir } from "./daemon-fixtures";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function folder() {
  const t = tempDir();
  cleanups.push(t.remove);
  return t.dir;
}

const PRINTER = { id: "front", name: "Front counter", transport: { type: "tcp", host: "192.168.1.50" }, profile: { columns: 42, codePage: "cp858", cut: "partial" } };

function write(dir: string, config: unknown, credential = "dvc_secret-credential"): string {
  writeFileSync(path.join(dir, "credential.txt"), `${credential}\n`, { mode: 0o600 });
  const file = path.join(dir, "bridge.json");
  writeFileSync(file, JSON.stringify(config));
  return file;
}

const minimal = { hub: { url: "https://pos.example.com", credentialFile: "credential.txt" }, journal: { dir: "journal" } };

describe("the config", () => {
  it("reads the file with its defaults, the credential from its file and paths from the file's folder", async () => {
    const dir = folder();
    const config = await loadConfig(write(dir, { ...minimal, printers: [PRINTER, { ...PRINTER, id: "back", name: "Back", transport: { type: "usb", vendorId: "0x04b8", productId: "0e15" }, default: true }] }), {});
    expect(config.hub.credential).toBe("dvc_secret-credential");
    expect(config.hub.url.href).toBe("https://pos.example.com/");
    expect(config.journalDir).toBe(path.join(dir, "journal"));
    expect(config.printers[0]).toMatchObject({ transport: { type: "tcp", host: "192.168.1.50", port: 9100 }, drawer: { pin: 2, onMs: 100, offMs: 100 }, drawerOpenLevel: "high" });
    expect(config.printers[1]!.transport).toEqual({ type: "usb", vendorId: 0x04b8, productId: 0x0e15 });
    expect(config.defaultPrinterId).toBe("back");
    expect(config.localApi).toBeUndefined();
    expect(config.logLevel).toBe("info");
    expect(config.warnings).toEqual([]);
  });

  it("lets the environment override the file", async () => {
    const dir = folder();
    const config = await loadConfig(write(dir, { ...minimal, localApi: { key: "file-key-0123456789" } }), {
      EDGE_POS_HUB_URL: "http://127.0.0.1:8787",
      EDGE_POS_DEVICE_CREDENTIAL: "dvc_from-env",
      EDGE_POS_LOCAL_API_PORT: "9555",
      EDGE_POS_LOCAL_API_KEY: "env-key-0123456789abc",
      EDGE_POS_LOG_LEVEL: "debug",
    });
    expect(config.hub.url.origin).toBe("http://127.0.0.1:8787");
    expect(config.hub.credential).toBe("dvc_from-env");
    expect(config.localApi).toEqual({ host: "127.0.0.1", port: 9555, key: "env-key-0123456789abc" });
    expect(config.logLevel).toBe("debug");
  });

  it("names every bad key, and the variable a bad value came from", async () => {
    const dir = folder();
    const bad = {
      hub: { url: "ftp://pos.example.com", credential: "x" },
      journal: { dir: "j" },
      printers: [{ ...PRINTER, transport: { type: "tcp", host: "h", port: 70000 }, drawer: { pin: 3 } }],
      scanners: [{ id: "s1", type: "evdev", path: "/dev/input/event3", layout: "fr" }],
      logLevel: "loud",
    };
    const error = await loadConfig(write(dir, bad), { EDGE_POS_LOCAL_API_PORT: "0" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const key of ["hub.url", "printers.0.transport.port", "printers.0.drawer.pin", "scanners.0.layout", "logLevel", "localApi.port (from EDGE_POS_LOCAL_API_PORT)"]) {
      expect(message).toContain(`  ${key}:`);
    }
  });

  it("refuses a config without a credential, with twice the same printer id, or a local API key that is too short; a local API needs no key", async () => {
    const dir = folder();
    const noCredential = await loadConfig(write(dir, { hub: { url: "https://pos.example.com" }, journal: { dir: "j" } }), {}).catch((e: Error) => e.message);
    expect(noCredential).toMatch(/hub\.credential or hub\.credentialFile.*pair/);
    const twice = await loadConfig(write(dir, { ...minimal, printers: [PRINTER, PRINTER] }), {}).catch((e: Error) => e.message);
    expect(twice).toContain('printers: the id "front" is used twice');
    const keyless = await loadConfig(write(dir, { ...minimal, localApi: {} }), {});
    expect(keyless.localApi).toEqual({ host: "127.0.0.1", port: 9180, key: undefined });
    const short = await loadConfig(write(dir, { ...minimal, localApi: { key: "too short" } }), {}).catch((e: Error) => e.message);
    expect(short).toContain("localApi.key");
    const missingFile = await loadConfig(write(dir, { ...minimal, hub: { url: "https://x.example", credentialFile: "nope.txt" } }), {}).catch((e: Error) => e.message);
    expect(missingFile).toMatch(/^hub\.credentialFile: cannot read/);
    const badProfile = await loadConfig(write(dir, { ...minimal, printers: [{ ...PRINTER, profile: { ...PRINTER.profile, columns: 40 } }] }), {}).catch((e: Error) => e.message);
    expect(badProfile).toContain("printers.0.profile.columns");
    const notJson = path.join(dir, "broken.json");
    writeFileSync(notJson, "{");
    await expect(loadConfig(notJson, {})).rejects.toThrow(/is not JSON/);
  });

  it("warns when the credential file can be read by others", async () => {
    const dir = folder();
    const file = write(dir, minimal);
    chmodSync(path.join(dir, "credential.txt"), 0o644);
    const config = await loadConfig(file, {});
    expect(config.warnings).toEqual([expect.stringMatching(/hub\.credentialFile: .* can be read by others \(mode 644\)/)]);
  });
});

describe("the logs", () => {
  it("write one JSON object a line and never a secret, however deep", () => {
    const lines: string[] = [];
    const log = createLogger("info", (l) => lines.push(l)).child({ component: "hub" });
    log.debug("not at info");
    log.info("connecting", { url: "wss://pos.example.com", headers: { "X-Device-Credential": "dvc_secret" }, credential: "dvc_secret", nested: [{ apiKey: "k", token: "t" }] });
    log.error("failed", { error: new Error("boom") });
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith("\n") && !l.slice(0, -1).includes("\n"))).toBe(true);
    expect(lines.join("")).not.toMatch(/dvc_secret|"k"|"t"/);
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({ level: "info", msg: "connecting", component: "hub", url: "wss://pos.example.com", credential: "[redacted]", headers: { "X-Device-Credential": "[redacted]" } });
    expect(JSON.parse(lines[1]!).error).toEqual({ name: "Error", message: "boom" });
  });
});

describe("pairing", () => {
  async function server(answer: (body: unknown) => [number, unknown]) {
    const requests: { url: string; body: unknown }[] = [];
    const s = http.createServer((req, res) => {
      let text = "";
      req.on("data", (d) => (text += d));
      req.on("end", () => {
        const body = JSON.parse(text);
        requests.push({ url: req.url!, body });
        const [status, json] = answer(body);
        res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(json));
      });
    });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => s.close(r)));
    return { url: new URL(`http://127.0.0.1:${(s.address() as AddressInfo).port}`), requests };
  }

  const paired = (kind: string) => ({
    success: true,
    data: { credential: "dvc_new-credential", device: { id: "dev-1", kind, name: "Bridge" }, store: { id: "st-1", code: "S001", name: "Demo Store" }, tenant: { id: "t-1", slug: "demo" } },
  });

  it("exchanges the code for the credential and saves it with mode 0600", async () => {
    const { url, requests } = await server(() => [200, paired("bridge")]);
    const out = path.join(folder(), "credential.txt");
    const result = await pair({ hub: url, code: "ABCD-1234", out });
    expect(requests).toEqual([{ url: "/api/v1/devices/pair", body: { code: "ABCD-1234" } }]);
    expect(result).toEqual({ deviceId: "dev-1", store: { id: "st-1", code: "S001", name: "Demo Store" }, tenant: { id: "t-1", slug: "demo" } });
    expect(readFileSync(out, "utf8")).toBe("dvc_new-credential\n");
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it("keeps an existing credential file unless told to replace it", async () => {
    const { url } = await server(() => [200, paired("bridge")]);
    const out = path.join(folder(), "credential.txt");
    writeFileSync(out, "dvc_old\n", { mode: 0o600 });
    await expect(pair({ hub: url, code: "ABCD1234", out })).rejects.toThrow(/exists already; pass --force/);
    expect(readFileSync(out, "utf8")).toBe("dvc_old\n");
    await pair({ hub: url, code: "ABCD1234", out, force: true });
    expect(readFileSync(out, "utf8")).toBe("dvc_new-credential\n");
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it("saves nothing for a refused code or a code of another kind of device", async () => {
    const dir = folder();
    const refused = await server(() => [401, { success: false, error: "That pairing code is not valid", code: "INVALID_PAIRING_CODE" }]);
    await expect(pair({ hub: refused.url, code: "WRONG123", out: path.join(dir, "a.txt") })).rejects.toThrow(/401 INVALID_PAIRING_CODE/);
    const till = await server(() => [200, paired("register")]);
    await expect(pair({ hub: till.url, code: "ABCD1234", out: path.join(dir, "b.txt") })).rejects.toThrow(/kind "register".*not a bridge/);
    expect(() => statSync(path.join(dir, "a.txt"))).toThrow();
    expect(() => statSync(path.join(dir, "b.txt"))).toThrow();
  });
});
