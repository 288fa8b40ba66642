import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import type { Scan } from "../../bridge/devices/scanner";
import { openSerialScanner, type SerialScannerOptions } from "../../bridge/devices/serial-scanner";
import { FakeSerialScanner } from "../fakes/serial-scanner";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

function setup(suffix = "\r", options: Partial<SerialScannerOptions> = {}) {
  const fake = new FakeSerialScanner(suffix);
  const scanner = openSerialScanner({
    id: "counter",
    path: fake.path,
    openPort: fake.openPort,
    backoff: { initialMs: 10, maxMs: 40 },
    ...options,
  });
  cleanup.push(() => scanner.close());
  const scans: Scan[] = [];
  scanner.on("scan", (s) => scans.push(s));
  /** Resolves once n scans in all have arrived. */
  const scanned = async (n: number) => {
    while (scans.length < n) await once(scanner, "scan");
    return scans.map((s) => s.text);
  };
  return { fake, scanner, scans, scanned };
}

describe("serial scanner", () => {
  it("emits one scan per terminator, with the scanner's id and the time", async () => {
    const { fake, scanner, scans, scanned } = setup();
    await once(scanner, "connected");
    fake.scan("7310000000001");
    fake.scan("Smörgås");
    expect(await scanned(2)).toEqual(["7310000000001", "Smörgås"]);
    expect(scans[0]).toMatchObject({ scannerId: "counter" });
    expect(Math.abs(scans[0]!.at - Date.now())).toBeLessThan(5_000);
  });

  it("joins a scan that arrives in pieces", async () => {
    const { fake, scanner, scanned } = setup();
    await once(scanner, "connected");
    fake.scan("ABC-123.4/X", 5);
    expect(await scanned(1)).toEqual(["ABC-123.4/X"]);
  });

  it("reads CR LF scanners with the default CR terminator, and skips empty lines", async () => {
    const { fake, scanner, scanned } = setup("\r\n");
    await once(scanner, "connected");
    fake.scan("111");
    fake.emit("\r\n");
    fake.scan("222");
    expect(await scanned(2)).toEqual(["111", "222"]);
  });

  it("drops a scan longer than the hub takes (512) whole, however long, and reads the next one", async () => {
    const { fake, scanner, scanned } = setup();
    await once(scanner, "connected");
    fake.scan("9".repeat(513));
    fake.scan("8".repeat(5000), 7);
    fake.scan("7".repeat(512));
    expect(await scanned(1)).toEqual(["7".repeat(512)]);
  });

  it("takes a configured terminator (Tab)", async () => {
    const { fake, scanner, scanned } = setup("\t", { terminator: "\t" });
    await once(scanner, "connected");
    fake.scan("one");
    fake.emit("two\rthree\t");
    expect(await scanned(2)).toEqual(["one", "two\rthree"]);
  });

  it("says disconnected when the scanner is unplugged and reopens it when it is back", async () => {
    const { fake, scanner, scanned } = setup();
    await once(scanner, "connected");
    const warnings: string[] = [];
    scanner.on("warning", (w) => warnings.push(w));
    const disconnected = once(scanner, "disconnected");
    fake.unplug();
    const [reason] = await disconnected;
    expect(reason).toMatch(/Input\/output error/);
    await once(scanner, "warning"); // a reopen failed while it is out
    expect(warnings[0]).toMatch(/cannot open: .*No such file or directory/);
    const connected = once(scanner, "connected");
    fake.plug();
    await connected;
    fake.scan("after");
    expect(await scanned(1)).toEqual(["after"]);
  });
});
