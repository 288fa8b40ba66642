import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PrinterWriteError } from "../../bridge/devices/printer";
import { findPrinterInterface, kernelDriverOf, openUsbPrinter, type UsbPrinterOptions } from "../../bridge/devices/usb";
import { HotplugAfterEnumeration, systemWebUsb } from "../../bridge/devices/webusb";
import { FakeUsb, FakeUsbPrinterDevice } from "../fakes/webusb";

const timings = { pollIntervalMs: 40, statusTimeoutMs: 300, writeTimeoutMs: 300, backoff: { initialMs: 10, maxMs: 40 } };
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

/** A sysfs tree in which usblp is bound to the fake's printer interface (bus 001, ports 1.4, configuration 1). */
function sysfsWithUsblp(interfaceNumber: number): string {
  const root = mkdtempSync(path.join(tmpdir(), "sysfs-"));
  cleanup.push(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, "drivers", "usblp"), { recursive: true });
  mkdirSync(path.join(root, "devices", `1-1.4:1.${interfaceNumber}`), { recursive: true });
  symlinkSync(path.join(root, "drivers", "usblp"), path.join(root, "devices", `1-1.4:1.${interfaceNumber}`, "driver"));
  return path.join(root, "devices");
}

const noSysfs = path.join(tmpdir(), "no-such-sysfs");

function open(usb: FakeUsb, options: Partial<UsbPrinterOptions> = {}) {
  const detached: string[] = [];
  const printer = openUsbPrinter({
    vendorId: 0x04b8,
    productId: 0x0e28,
    usb,
    sysfsRoot: noSysfs,
    onDetach: (driver, n) => detached.push(`${driver} ${n}`),
    ...timings,
    ...options,
  });
  cleanup.push(() => printer.close());
  return { printer, detached };
}

describe("USB printer", () => {
  it("finds the printer-class interface, detaches usblp (named by sysfs), claims it and reads the status", async () => {
    const device = new FakeUsbPrinterDevice({ extraInterfaceFirst: true });
    const usb = new FakeUsb(device);
    const { printer, detached } = open(usb, { sysfsRoot: sysfsWithUsblp(1) });
    await printer.whenConnected();
    expect(device.calls.slice(0, 3)).toEqual(["open", "detachKernelDriver 1", "claimInterface 1"]);
    expect(detached).toEqual(["usblp 1"]);
    expect(device.printerInterface?.claimed).toBe(true);
    expect(device.requests.slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(printer.lastStatus).toMatchObject({ online: true, paperOut: false });
    expect(printer.identity).toEqual({ type: "usb", vendorId: 0x04b8, productId: 0x0e28 });
  });

  it("detaches a driver sysfs did not name when the claim is refused as busy", async () => {
    const device = new FakeUsbPrinterDevice();
    const { printer, detached } = open(new FakeUsb(device));
    await printer.whenConnected();
    expect(device.calls.slice(0, 4)).toEqual(["open", "claimInterface 0", "detachKernelDriver 0", "claimInterface 0"]);
    expect(detached).toEqual(["a kernel driver 0"]);
  });

  it("claims without detaching when no kernel driver holds the interface", async () => {
    const device = new FakeUsbPrinterDevice();
    device.kernelDriverActive = false;
    const { printer, detached } = open(new FakeUsb(device));
    await printer.whenConnected();
    expect(device.calls.slice(0, 2)).toEqual(["open", "claimInterface 0"]);
    expect(device.calls).not.toContain("detachKernelDriver 0");
    expect(detached).toEqual([]);
  });

  it("selects the configuration when none is active", async () => {
    const device = new FakeUsbPrinterDevice({ unconfigured: true });
    const { printer } = open(new FakeUsb(device));
    await printer.whenConnected();
    expect(device.calls).toContain("selectConfiguration 1");
  });

  it("opens the printer with the configured serial among identical ones", async () => {
    const a = new FakeUsbPrinterDevice({ serialNumber: "AAA" });
    const b = new FakeUsbPrinterDevice({ serialNumber: "BBB" });
    const { printer } = open(new FakeUsb(a, b), { serial: "BBB" });
    await printer.whenConnected();
    expect(b.opened).toBe(true);
    expect(a.opened).toBe(false);
    await printer.write(Uint8Array.of(0x1b, 0x40, 0x41));
    expect([...b.printed]).toEqual([0x1b, 0x40, 0x41]);
  });

  it("reports why it is not connected: not plugged in, or not a printer", async () => {
    const { printer } = open(new FakeUsb());
    await expect(printer.write(Uint8Array.of(1))).rejects.toMatchObject({ code: "disconnected", mayHavePrinted: false });
    const notAPrinter = new FakeUsbPrinterDevice({ noPrinterInterface: true });
    expect(findPrinterInterface(notAPrinter)).toBeUndefined();
  });

  it("writes a job to the bulk OUT endpoint intact, in transfers of bounded size, then reads the status", async () => {
    const device = new FakeUsbPrinterDevice();
    const { printer } = open(new FakeUsb(device));
    await printer.whenConnected();
    const job = new Uint8Array(100_000).map((_, i) => 0x20 + (i % 90));
    await printer.write(job);
    expect(device.printed.equals(Buffer.from(job))).toBe(true);
    expect(device.printedChunks.filter((c) => c.length > 0).length).toBeGreaterThanOrEqual(7); // 16 KiB transfers
    expect(device.requests.length).toBeGreaterThanOrEqual(8);
  });

  it("decodes the scripted statuses read over bulk IN", async () => {
    const device = new FakeUsbPrinterDevice();
    const { printer } = open(new FakeUsb(device));
    await printer.whenConnected();
    device.status = { coverOpen: true };
    expect(await printer.status()).toMatchObject({ online: false, coverOpen: true });
    device.status = { paperOut: true };
    expect(await printer.status()).toMatchObject({ paperOut: true });
    device.status = { drawerOpen: true };
    expect(await printer.status()).toMatchObject({ online: true, drawerOpen: true });
  });

  it("rejects a job cut short by a stalled endpoint as possibly partly printed, and clears the halt", async () => {
    const device = new FakeUsbPrinterDevice();
    const { printer } = open(new FakeUsb(device));
    await printer.whenConnected();
    device.stallOutAfter(40_000);
    const error = (await printer.write(new Uint8Array(100_000).fill(0x41)).catch((e: unknown) => e)) as PrinterWriteError;
    expect(error).toBeInstanceOf(PrinterWriteError);
    expect(error.mayHavePrinted).toBe(true);
    expect(error.message).toMatch(/Stall.*may have partly printed/);
    expect(device.printedLength).toBe(40_000);
  });

  it("treats a timed-out transfer as possibly partly printed, drops the link and re-opens when the printer answers again", async () => {
    const device = new FakeUsbPrinterDevice();
    const { printer } = open(new FakeUsb(device));
    await printer.whenConnected();
    device.hang();
    const disconnected = once(printer, "disconnected");
    const error = (await printer.write(Uint8Array.of(0x41)).catch((e: unknown) => e)) as PrinterWriteError;
    expect(error.code).toBe("timeout");
    expect(error.mayHavePrinted).toBe(true);
    await disconnected;
    const connected = once(printer, "connected");
    device.unhang();
    await connected;
    expect(device.calls.filter((c) => c === "open").length).toBeGreaterThanOrEqual(2);
  });

  it("notices an unplug, says a job then sends nothing, and comes back on the connect event of the same printer", async () => {
    const device = new FakeUsbPrinterDevice();
    const usb = new FakeUsb(device);
    // A long backoff: only the connect event can bring it back within the test's time.
    const { printer } = open(usb, { backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await printer.whenConnected();

    const disconnected = once(printer, "disconnected");
    usb.unplug(device);
    const [reason] = await disconnected;
    expect(reason).toMatch(/unplugged|Disconnected/);
    await expect(printer.write(Uint8Array.of(0x41))).rejects.toMatchObject({ mayHavePrinted: false, code: "disconnected" });

    const connected = once(printer, "connected");
    const again = new FakeUsbPrinterDevice();
    usb.plug(again);
    await connected;
    expect(again.calls.slice(0, 4)).toEqual(["open", "claimInterface 0", "detachKernelDriver 0", "claimInterface 0"]);
    await printer.write(Uint8Array.of(0x1b, 0x40));
    expect([...again.printed]).toEqual([0x1b, 0x40]);
  });

  it("ignores the connect event of another printer", async () => {
    const device = new FakeUsbPrinterDevice({ serialNumber: "AAA" });
    const usb = new FakeUsb(device);
    const { printer } = open(usb, { serial: "AAA", backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await printer.whenConnected();
    const disconnected = once(printer, "disconnected");
    usb.unplug(device);
    await disconnected;
    const other = new FakeUsbPrinterDevice({ serialNumber: "ZZZ" });
    usb.plug(other);
    const back = new FakeUsbPrinterDevice({ serialNumber: "AAA" });
    const connected = once(printer, "connected");
    usb.plug(back);
    await connected;
    expect(other.calls).toEqual([]);
    expect(back.opened).toBe(true);
  });

  it("comes back after a power cycle (a disconnect and a connect of a new device object)", async () => {
    const device = new FakeUsbPrinterDevice();
    const usb = new FakeUsb(device);
    const { printer } = open(usb);
    await printer.whenConnected();
    const disconnected = once(printer, "disconnected");
    const connected = new Promise<void>((resolve) => printer.on("connected", resolve));
    const again = usb.replug(device);
    await disconnected;
    await connected;
    expect(again.opened).toBe(true);
  });

  it("a printer without bulk IN prints but cannot report status", async () => {
    const device = new FakeUsbPrinterDevice({ noInEndpoint: true });
    const { printer } = open(new FakeUsb(device));
    await printer.whenConnected();
    await printer.write(Uint8Array.of(0x41));
    expect([...device.printed]).toEqual([0x41]);
    await expect(printer.status()).rejects.toMatchObject({ code: "unsupported" });
  });

  it("releases the interface and stops listening when closed", async () => {
    const device = new FakeUsbPrinterDevice();
    const usb = new FakeUsb(device);
    const { printer } = open(usb);
    await printer.whenConnected();
    await printer.close();
    expect(device.calls).toContain("releaseInterface 0");
    expect(device.opened).toBe(false);
    expect(usb.listenerCount("connect") + usb.listenerCount("disconnect")).toBe(0);
  });

  it("reads the kernel driver from sysfs by bus number, port chain, configuration and interface", async () => {
    const device = new FakeUsbPrinterDevice();
    const root = sysfsWithUsblp(0);
    expect(await kernelDriverOf(device, 1, 0, root)).toBe("usblp");
    expect(await kernelDriverOf(device, 1, 1, root)).toBeUndefined();
    expect(await kernelDriverOf({ ...device, bus: undefined } as never, 1, 0, root)).toBeUndefined();
  });
});

describe("USB on a machine whose USB cannot be enumerated", () => {
  const NO_SYSFS = "getDevices error: /sys/bus/usb/devices/ not found (errno 2)";

  it("the printer says why it is not connected and retries; nothing is thrown; once USB works it connects and hears replugs", async () => {
    const device = new FakeUsbPrinterDevice();
    const usb = new FakeUsb(device);
    usb.subsystemError = NO_SYSFS;
    const { printer } = open(usb, { usb: new HotplugAfterEnumeration(usb) });
    await new Promise((r) => setTimeout(r, 150)); // several retries; a hotplug listener added now would throw
    expect(printer.connected).toBe(false);
    expect(usb.listenerCount("connect") + usb.listenerCount("disconnect")).toBe(0);
    const refused = await printer.write(Uint8Array.of(0x1b, 0x40)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PrinterWriteError);
    expect((refused as PrinterWriteError).message).toContain("/sys/bus/usb/devices/ not found");

    usb.subsystemError = undefined;
    await printer.whenConnected();
    expect(usb.listenerCount("connect")).toBe(1);
    expect(usb.listenerCount("disconnect")).toBe(1);
    const lost = once(printer, "disconnected");
    const back = once(printer, "connected");
    usb.replug(device);
    await lost;
    await back;
    await printer.close();
    expect(usb.listenerCount("connect") + usb.listenerCount("disconnect")).toBe(0);
  });

  it("the real usb package through systemWebUsb: listeners added before any enumeration throw nothing, whatever this machine's USB", async () => {
    const usb = await systemWebUsb();
    const listener = () => undefined;
    usb.addEventListener("connect", listener);
    const enumerated = await usb.getDevices().then(() => "listed", (e: Error) => e.message);
    await new Promise((r) => setTimeout(r, 50));
    usb.removeEventListener("connect", listener);
    expect(typeof enumerated).toBe("string");
  });
});
