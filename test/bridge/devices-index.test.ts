import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { Devices } from "../../bridge/devices";
import { systemWebUsb } from "../../bridge/devices/webusb";
import { FakeSerialScanner } from "../fakes/serial-scanner";
import { FakeTcpPrinter } from "../fakes/tcp-printer";
import { FakeUsb, FakeUsbPrinterDevice } from "../fakes/webusb";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

describe("devices from config", () => {
  it("opens a TCP printer and a USB printer by identity, and a serial scanner", async () => {
    const tcp = await new FakeTcpPrinter().start();
    cleanup.push(() => tcp.stop());
    const usbDevice = new FakeUsbPrinterDevice({ vendorId: 0x0519, productId: 0x0003, serialNumber: "S1" });
    const serial = new FakeSerialScanner();
    const devices = new Devices({ usb: new FakeUsb(usbDevice), openSerialPort: serial.openPort });

    const network = await devices.openPrinter({ type: "tcp", host: "127.0.0.1", port: tcp.port, pollIntervalMs: 50 });
    const usb = await devices.openPrinter({ type: "usb", vendorId: 0x0519, productId: 0x0003, serial: "S1", drawerOpenLevel: "low" });
    const scanner = devices.openScanner({ type: "serial", id: "s", path: serial.path });
    cleanup.push(() => network.close(), () => usb.close(), () => scanner.close());

    await Promise.all([network.whenConnected(), usb.whenConnected(), once(scanner, "connected")]);
    await network.write(Uint8Array.of(0x1b, 0x40));
    await usb.write(Uint8Array.of(0x1b, 0x40));
    expect([...tcp.printed]).toEqual([0x1b, 0x40]);
    expect([...usbDevice.printed]).toEqual([0x1b, 0x40]);
    // drawerOpenLevel "low": pin 3 low (the fake's closed drawer) reads as open
    expect(usb.lastStatus?.drawerOpen).toBe(true);
    const scan = once(scanner, "scan");
    serial.scan("123");
    expect((await scan)[0]).toMatchObject({ text: "123", scannerId: "s" });
  });

  it("loads the usb package's native module here (shipped prebuilt, no install script)", async () => {
    const usb = await systemWebUsb();
    expect(typeof usb.getDevices).toBe("function");
  });
});
