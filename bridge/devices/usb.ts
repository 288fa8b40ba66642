/**
 * USB receipt printers through the WebUSB API of the `usb` package (v3): find the device by its stable identity
 * (vendor, product, serial), find its printer-class interface (class 7), take it from the kernel's `usblp` driver,
 * claim it, write jobs to its bulk OUT endpoint and read DLE EOT replies from its bulk IN endpoint.
 *
 * The kernel driver. usb v3 follows WebUSB, which has no notion of kernel drivers, and its only addition is
 * `device.detachKernelDriver(n)` (Linux; USBDEVFS_DISCONNECT). The legacy API's `isKernelDriverActive()` is gone,
 * so the transport asks the kernel itself: sysfs names the driver bound to an interface as the `driver` link of
 * /sys/bus/usb/devices/<bus>-<ports>:<configuration>.<interface>. When that names a driver, it is detached before
 * the claim; when sysfs cannot tell (another OS, an unusual layout), a claim refused as busy is answered by one
 * detach and a second claim. The driver is not re-attached afterwards: `usblp` would take the printer back between
 * our reconnects. (Blacklisting usblp, or the bridge's udev rule, avoids the detach altogether.)
 *
 * Coming back. The printer is found again by identity, never by bus address: after an unplug or a power cycle the
 * `connect` event of a matching device starts a reconnect at once, and the backoff retries cover everything else.
 */
import { readlink } from "node:fs/promises";
import path from "node:path";
import { LinkError, ManagedPrinter, type ManagedPrinterOptions, type PrinterLink } from "./managed-printer";
import { describeIdentity, type PrinterIdentity } from "./printer";
import { isStatusByte, statusQuery, type StatusRequest } from "./status";
import type {
  UsbAlternateInterfaceLike,
  UsbConfigurationLike,
  UsbConnectionEventLike,
  UsbDeviceLike,
  UsbEndpointLike,
  WebUsbLike,
} from "./webusb";

export const USB_CLASS_PRINTER = 7;

export interface UsbPrinterOptions extends ManagedPrinterOptions {
  vendorId: number;
  productId: number;
  serial?: string;
  /** The WebUSB object: `await systemWebUsb()` in production, a fake in tests. */
  usb: WebUsbLike;
  /** Where sysfs lists USB devices (tests point it at a directory of their own). */
  sysfsRoot?: string;
  /** Called when a kernel driver is detached (for the logs). */
  onDetach?: (driver: string, interfaceNumber: number) => void;
}

/** Bytes per bulk OUT transfer: each must be taken within writeTimeoutMs, so a long job is not one deadline. */
const CHUNK = 16 * 1024;

export class UsbPrinter extends ManagedPrinter {
  private readonly onConnect: (event: UsbConnectionEventLike) => void;

  constructor(private readonly options: UsbPrinterOptions) {
    const identity: PrinterIdentity = {
      type: "usb",
      vendorId: options.vendorId,
      productId: options.productId,
      ...(options.serial !== undefined ? { serial: options.serial } : {}),
    };
    super(identity, () => connectUsb(identity, options), options);
    this.onConnect = (event) => {
      if (matchesIdentity(event.device, identity)) this.retryNow();
    };
    options.usb.addEventListener("connect", this.onConnect);
  }

  override async close(): Promise<void> {
    this.options.usb.removeEventListener("connect", this.onConnect);
    await super.close();
  }
}

export function openUsbPrinter(options: UsbPrinterOptions): UsbPrinter {
  return new UsbPrinter(options);
}

function readSerial(device: UsbDeviceLike): string | undefined {
  try {
    return device.serialNumber ?? undefined;
  } catch {
    return undefined; // the usb package opens the device to read it, which can fail (permissions, busy)
  }
}

export function matchesIdentity(device: UsbDeviceLike, identity: PrinterIdentity): boolean {
  if (identity.type !== "usb") return false;
  if (device.vendorId !== identity.vendorId || device.productId !== identity.productId) return false;
  return identity.serial === undefined || readSerial(device) === identity.serial;
}

interface PrinterInterface {
  configuration: UsbConfigurationLike;
  interfaceNumber: number;
  alternate: UsbAlternateInterfaceLike;
  out: UsbEndpointLike;
  in: UsbEndpointLike | undefined;
}

/** The first printer-class interface with a bulk OUT endpoint, in any configuration and alternate setting. */
export function findPrinterInterface(device: UsbDeviceLike): PrinterInterface | undefined {
  const active = device.configuration ?? undefined;
  const configurations = active ? [active, ...device.configurations.filter((c) => c.configurationValue !== active.configurationValue)] : device.configurations;
  for (const configuration of configurations) {
    for (const iface of configuration.interfaces) {
      for (const alternate of iface.alternates) {
        if (alternate.interfaceClass !== USB_CLASS_PRINTER) continue;
        const out = alternate.endpoints.find((e) => e.type === "bulk" && e.direction === "out");
        const inEndpoint = alternate.endpoints.find((e) => e.type === "bulk" && e.direction === "in");
        if (out) return { configuration, interfaceNumber: iface.interfaceNumber, alternate, out, in: inEndpoint };
      }
    }
  }
  return undefined;
}

/** The kernel driver bound to an interface, from sysfs; undefined when none is bound or sysfs cannot tell. */
export async function kernelDriverOf(
  device: UsbDeviceLike,
  configurationValue: number,
  interfaceNumber: number,
  sysfsRoot = "/sys/bus/usb/devices",
): Promise<string | undefined> {
  if (device.bus === undefined || !device.ports || device.ports.length === 0) return undefined;
  const busNumber = Number.parseInt(device.bus, 10);
  if (!Number.isInteger(busNumber)) return undefined;
  const name = `${busNumber}-${device.ports.join(".")}:${configurationValue}.${interfaceNumber}`;
  try {
    return path.basename(await readlink(path.join(sysfsRoot, name, "driver")));
  } catch {
    return undefined;
  }
}

/**
 * Whether an event's device is this one. The usb package hands out a new object per enumeration, so the objects
 * differ; the bus address (renewed on every plug) tells the same attachment of the same device.
 */
function sameDevice(a: UsbDeviceLike, b: UsbDeviceLike): boolean {
  if (a === b) return true;
  if (a.bus === undefined || a.address === undefined) return false;
  return a.bus === b.bus && a.address === b.address && a.vendorId === b.vendorId && a.productId === b.productId;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function connectUsb(identity: PrinterIdentity, options: UsbPrinterOptions): Promise<PrinterLink> {
  const devices = await options.usb.getDevices();
  const device = devices.find((d) => matchesIdentity(d, identity));
  if (!device) throw new Error(`${describeIdentity(identity)} is not plugged in`);
  if (!device.opened) await device.open();
  try {
    const found = findPrinterInterface(device);
    if (!found) throw new Error(`${describeIdentity(identity)} has no printer-class interface with a bulk OUT endpoint`);
    const { configuration, interfaceNumber, alternate } = found;
    if (device.configuration?.configurationValue !== configuration.configurationValue) {
      await device.selectConfiguration(configuration.configurationValue);
    }
    await claim(device, configuration.configurationValue, interfaceNumber, options);
    if (alternate.alternateSetting !== 0) await device.selectAlternateInterface(interfaceNumber, alternate.alternateSetting);
    return new UsbLink(options.usb, device, interfaceNumber, found.out, found.in);
  } catch (e) {
    await device.close().catch(() => undefined);
    throw e;
  }
}

async function claim(device: UsbDeviceLike, configurationValue: number, interfaceNumber: number, options: UsbPrinterOptions) {
  const detach = async (driver: string) => {
    if (!device.detachKernelDriver) throw new Error(`interface ${interfaceNumber} is held by ${driver} and this USB library cannot detach it`);
    await device.detachKernelDriver(interfaceNumber);
    options.onDetach?.(driver, interfaceNumber);
  };
  const driver = await kernelDriverOf(device, configurationValue, interfaceNumber, options.sysfsRoot);
  if (driver) await detach(driver);
  try {
    await device.claimInterface(interfaceNumber);
  } catch (e) {
    if (driver || !/busy/i.test(message(e))) throw e;
    await detach("a kernel driver");
    await device.claimInterface(interfaceNumber);
  }
}

/** Errors the usb package raises before a transfer is submitted: no byte can have left. */
const NOT_SUBMITTED = /invalid state|endpoint not found|not claimed|not open/i;
const TIMED_OUT = /cancel|timed? ?out/i;

class UsbLink implements PrinterLink {
  readonly canReadStatus: boolean;
  private dead: string | undefined;
  private closedByUs = false;
  private readonly lostListeners: ((reason: string) => void)[] = [];
  private readonly onDisconnect: (event: UsbConnectionEventLike) => void;

  constructor(
    private readonly usb: WebUsbLike,
    private readonly device: UsbDeviceLike,
    private readonly interfaceNumber: number,
    private readonly out: UsbEndpointLike,
    private readonly in_: UsbEndpointLike | undefined,
  ) {
    this.canReadStatus = in_ !== undefined;
    this.onDisconnect = (event) => {
      if (sameDevice(event.device, device)) this.die("unplugged");
    };
    usb.addEventListener("disconnect", this.onDisconnect);
  }

  onLost(listener: (reason: string) => void): void {
    this.lostListeners.push(listener);
  }

  async send(bytes: Uint8Array, timeoutMs: number): Promise<void> {
    if (this.dead) throw new LinkError("io", false, `the device is gone (${this.dead})`);
    let sent = 0;
    while (sent < bytes.length) {
      const chunk = bytes.slice(sent, sent + CHUNK);
      let result;
      try {
        result = await this.device.transferOut(this.out.endpointNumber, chunk, timeoutMs);
      } catch (e) {
        const text = message(e);
        const sentAny = sent > 0 || !NOT_SUBMITTED.test(text);
        throw new LinkError(TIMED_OUT.test(text) ? "timeout" : "io", sentAny, `bulk OUT transfer failed (${text})`, { cause: e });
      }
      sent += result.bytesWritten;
      if (result.status !== "ok") {
        if (result.status === "stall") await this.device.clearHalt("out", this.out.endpointNumber).catch(() => undefined);
        throw new LinkError("io", sent > 0, `the printer answered the bulk OUT transfer with ${result.status}`);
      }
      if (result.bytesWritten < chunk.length) {
        throw new LinkError("io", true, `the printer took ${result.bytesWritten} of ${chunk.length} bytes`);
      }
    }
  }

  async request(n: StatusRequest, timeoutMs: number): Promise<number> {
    const inEndpoint = this.in_;
    if (!inEndpoint) throw new LinkError("io", false, "the printer has no bulk IN endpoint");
    if (this.dead) throw new LinkError("io", false, `the device is gone (${this.dead})`);
    const deadline = Date.now() + timeoutMs;
    await this.send(statusQuery(n), timeoutMs);
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new LinkError("timeout", true, `no answer to DLE EOT ${n} within ${timeoutMs} ms`);
      let result;
      try {
        result = await this.device.transferIn(inEndpoint.endpointNumber, inEndpoint.packetSize, left);
      } catch (e) {
        const text = message(e);
        if (TIMED_OUT.test(text)) throw new LinkError("timeout", true, `no answer to DLE EOT ${n} within ${timeoutMs} ms`);
        throw new LinkError("io", true, `bulk IN transfer failed (${text})`, { cause: e });
      }
      if (result.status === "stall") {
        await this.device.clearHalt("in", inEndpoint.endpointNumber).catch(() => undefined);
        continue;
      }
      const data = result.data;
      const bytes = data ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array();
      // The last status byte is the answer; anything before it is stale or not a status (e.g. ASB).
      const answer = [...bytes].reverse().find(isStatusByte);
      if (answer !== undefined) return answer;
      // Some printers complete an IN transfer with no data at once instead of waiting: don't spin.
      if (bytes.length === 0) await new Promise((resolve) => setTimeout(resolve, Math.min(10, left)));
    }
  }

  async close(): Promise<void> {
    this.closedByUs = true;
    this.die("closed");
    await this.device.releaseInterface(this.interfaceNumber).catch(() => undefined);
    await this.device.close().catch(() => undefined);
  }

  private die(reason: string): void {
    if (this.dead) return;
    this.dead = reason;
    this.usb.removeEventListener("disconnect", this.onDisconnect);
    if (!this.closedByUs) for (const listener of this.lostListeners) listener(reason);
  }
}
