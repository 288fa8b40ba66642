import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  EV_KEY,
  type EvdevScannerOptions,
  InputEventDecoder,
  inputEventSize,
  KeyboardWedgeDecoder,
  openEvdevScanner,
} from "../../bridge/devices/evdev";
import type { Scan } from "../../bridge/devices/scanner";
import { keyStream, RECORDED_SCANS } from "../fakes/evdev";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

function decode(layout: "us" | "se", bytes: Uint8Array, terminator: "enter" | "tab" = "enter", size: 16 | 24 = 24) {
  const events = new InputEventDecoder(size).push(bytes);
  const keys = new KeyboardWedgeDecoder(layout, terminator);
  return events.map((e) => keys.push(e)).filter((t) => t !== undefined);
}

describe("input_event decoding", () => {
  it("reads 24-byte structs (64-bit) and 16-byte structs (32-bit) the same, across any chunking", () => {
    for (const size of [24, 16] as const) {
      const bytes = keyStream("SHIFT+A 1 ENTER", { size, startSec: 1_767_225_600 });
      expect(bytes.length % size).toBe(0);
      const decoder = new InputEventDecoder(size);
      const events = [...bytes].flatMap((b) => decoder.push(Uint8Array.of(b)));
      expect(events.length).toBe(bytes.length / size);
      expect(events[1]).toMatchObject({ type: EV_KEY, code: 42, value: 1, sec: 1_767_225_600 });
      expect(events.filter((e) => e.type === EV_KEY).map((e) => [e.code, e.value])).toEqual([
        [42, 1],
        [30, 1],
        [30, 0],
        [42, 0],
        [2, 1],
        [2, 0],
        [28, 1],
        [28, 0],
      ]);
    }
  });

  it("knows the struct size of the architecture", () => {
    expect(inputEventSize("x64")).toBe(24);
    expect(inputEventSize("arm64")).toBe(24);
    expect(inputEventSize("arm")).toBe(16);
  });
});

describe("keyboard-wedge decoding by layout", () => {
  for (const layout of ["us", "se"] as const) {
    for (const { keys, text } of RECORDED_SCANS[layout]) {
      it(`${layout}: ${keys} → ${JSON.stringify(text)}`, () => {
        expect(decode(layout, keyStream(keys))).toEqual([text]);
      });
    }
  }

  it("reads the same keys differently per layout (the Swedish keys are us punctuation)", () => {
    const keys = keyStream("SEMICOLON APOSTROPHE LEFTBRACE SLASH SHIFT+7 SHIFT+2 ENTER");
    expect(decode("us", keys)).toEqual([`;'[/&@`]);
    expect(decode("se", keys)).toEqual([`öäå-/"`]);
  });

  it("reads the keypad, whose decimal key is a comma in Swedish", () => {
    expect(decode("us", keyStream("KP1 KPDOT KP2 KPENTER"))).toEqual(["1.2"]);
    expect(decode("se", keyStream("KP1 KPDOT KP2 KPENTER"))).toEqual(["1,2"]);
  });

  it("follows Caps Lock for letters (å ä ö too) and not for digits", () => {
    expect(decode("se", keyStream("CAPSLOCK A SHIFT+B SEMICOLON 1 CAPSLOCK C ENTER"))).toEqual(["AbÖ1c"]);
  });

  it("splits scans at Enter, skips empty ones, ignores Ctrl chords and autorepeat", () => {
    const repeat = Buffer.from(keyStream("A"));
    // turn the release of A into an autorepeat (value 2)
    const events = new InputEventDecoder(24).push(repeat);
    const releaseIndex = events.findIndex((e) => e.type === EV_KEY && e.code === 30 && e.value === 0);
    repeat.writeInt32LE(2, releaseIndex * 24 + 20);
    const bytes = Buffer.concat([keyStream("ENTER 1 2 ENTER CTRL+C 3 ENTER"), repeat, keyStream("ENTER")]);
    expect(decode("us", bytes)).toEqual(["12", "3", "a"]);
  });

  it("drops a scan longer than the hub takes (512) whole, and reads the next one", () => {
    const long = keyStream(`${"1 ".repeat(513)}ENTER 2 ENTER`);
    expect(decode("us", long)).toEqual(["2"]);
    expect(decode("us", keyStream(`${"1 ".repeat(512)}ENTER`))).toEqual(["1".repeat(512)]);
  });

  it("ends scans at Tab when so configured", () => {
    expect(decode("us", keyStream("1 TAB 2 TAB"), "tab")).toEqual(["1", "2"]);
    expect(decode("us", keyStream("1 TAB 2 ENTER"), "enter")).toEqual(["1\t2"]);
  });
});

describe("evdev scanner", () => {
  function fifo(): string {
    const dir = mkdtempSync(path.join(tmpdir(), "evdev-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "event-kbd");
    execFileSync("mkfifo", [file]);
    return file;
  }

  function device(file: string): WriteStream {
    const writer = createWriteStream(file);
    writer.on("error", () => undefined);
    cleanup.push(() => void writer.destroy());
    return writer;
  }

  function scanner(options: Partial<EvdevScannerOptions> & { path: string }) {
    const s = openEvdevScanner({ id: "front", layout: "se", backoff: { initialMs: 10, maxMs: 40 }, ...options });
    const warnings: string[] = [];
    s.on("warning", (w) => warnings.push(w));
    cleanup.push(() => s.close());
    return { s, warnings };
  }

  const nextScan = (s: ReturnType<typeof scanner>["s"]) => once(s, "scan").then(([scan]) => scan as Scan);
  /** The next n scans (several can come in one read). */
  const nextScans = (s: ReturnType<typeof scanner>["s"], n: number) =>
    new Promise<Scan[]>((resolve) => {
      const got: Scan[] = [];
      const onScan = (scan: Scan) => {
        got.push(scan);
        if (got.length < n) return;
        s.off("scan", onScan);
        resolve(got);
      };
      s.on("scan", onScan);
    });

  it("reads scans through the grab helper, and warns when the device cannot be grabbed", async () => {
    const file = fifo();
    const { s, warnings } = scanner({ path: file, grab: "try" });
    const writer = device(file);
    await once(s, "connected");
    expect(warnings.join("\n")).toMatch(/not grabbed: .*Inappropriate ioctl.*type into the desktop/);
    const scans = nextScans(s, 2);
    const bytes = keyStream("SHIFT+S M SEMICOLON R G LEFTBRACE S ENTER 1 2 3 ENTER");
    writer.write(bytes.subarray(0, 100));
    writer.write(bytes.subarray(100));
    const [first, second] = await scans;
    expect(first).toMatchObject({ text: "Smörgås", scannerId: "front" });
    expect(Math.abs(first!.at - Date.now())).toBeLessThan(5_000);
    expect(second!.text).toBe("123");
  });

  it("with grab required, does not read a device it cannot grab", async () => {
    const file = fifo();
    const { s, warnings } = scanner({ path: file, grab: "required" });
    device(file);
    const [warning] = await once(s, "warning");
    expect(warning).toMatch(/cannot open: grab failed: .*Inappropriate ioctl/);
    expect(s.connected).toBe(false);
    expect(warnings.length).toBeGreaterThan(0);
  });

  it("says disconnected when the device goes away and reopens it when it is back", async () => {
    const file = fifo();
    const { s } = scanner({ path: file, grab: "off" });
    const writer = device(file);
    await once(s, "connected");
    const disconnected = once(s, "disconnected");
    writer.end();
    const [reason] = await disconnected;
    expect(reason).toMatch(/end of file/);
    const again = device(file);
    await once(s, "connected");
    const scan = nextScan(s);
    again.write(keyStream("4 2 ENTER"));
    expect((await scan).text).toBe("42");
  });

  it("closes while still waiting for the device to open", async () => {
    const file = fifo(); // no writer: the helper's open() blocks
    const { s } = scanner({ path: file, grab: "try" });
    await s.close();
    expect(s.connected).toBe(false);
  });

  it("reads the device directly (with a warning) when python3 is missing and the grab is only tried", async () => {
    const file = fifo();
    const { s, warnings } = scanner({ path: file, grab: "try", python: "/nonexistent/python3", layout: "us" });
    const writer = device(file);
    await once(s, "connected");
    expect(warnings.join("\n")).toMatch(/python3 is not installed; reading .* without a grab/);
    const scan = nextScan(s);
    writer.write(keyStream("SHIFT+A 1 ENTER"));
    expect((await scan).text).toBe("A1");
  });
});
