/**
 * A USB receipt printer with the shape of the `usb` package's WebUSB API (v3): a `FakeUsb` standing in for its
 * `usb` object (getDevices, requestDevice, connect/disconnect events) and `FakeUsbPrinterDevice`s with a device
 * descriptor, configurations, a printer-class interface (class 7, subclass 1, protocol 2: bidirectional) with bulk
 * OUT and IN endpoints, and transfers that take the usb package's timeout argument.
 *
 * It behaves as the usb package does on Linux where that matters: a claim of an interface the kernel's usblp driver
 * holds fails as busy until detachKernelDriver; detaching where no driver is bound fails; transfer failures reject
 * with the package's messages ("transferOut error: Cancelled" on a timeout, "... Stall", "... Disconnected");
 * plugging the printer in again gives a new device object at a new address, with usblp bound again.
 *
 * Faults: `stallOutAfter(n)` (the OUT endpoint stalls once n job bytes have been taken), `hang()` (no transfer
 * completes: each times out), `unplug()`, `plug()`.
 */
import { DleEotParser, type ScriptedStatus, statusReplies } from "./printer-status";

type Direction = "in" | "out";

interface Endpoint {
  endpointNumber: number;
  direction: Direction;
  type: "bulk" | "interrupt" | "isochronous";
  packetSize: number;
}
interface Alternate {
  alternateSetting: number;
  interfaceClass: number;
  interfaceSubclass: number;
  interfaceProtocol: number;
  interfaceName?: string;
  endpoints: Endpoint[];
}
interface Interface {
  interfaceNumber: number;
  claimed: boolean;
  alternate: Alternate;
  alternates: Alternate[];
}
interface Configuration {
  configurationValue: number;
  configurationName?: string;
  interfaces: Interface[];
}

export interface FakeUsbPrinterOptions {
  vendorId?: number;
  productId?: number;
  serialNumber?: string | null;
  /** Put a vendor-specific interface (class 0xff) before the printer interface, as multi-function devices do. */
  extraInterfaceFirst?: boolean;
  /** Leave out the printer-class interface altogether (a device that is not a printer). */
  noPrinterInterface?: boolean;
  /** A unidirectional printer (protocol 1): no bulk IN endpoint. */
  noInEndpoint?: boolean;
  /** The active configuration before selectConfiguration: the first (as Linux sets one) or none. */
  unconfigured?: boolean;
}

let nextAddress = 2;

const fail = (what: string, reason: string) => new Error(`${what} error: ${reason}`);

interface PendingIn {
  resolve: (bytes: Uint8Array) => void;
  reject: (e: Error) => void;
}

export class FakeUsbPrinterDevice {
  readonly vendorId: number;
  readonly productId: number;
  readonly deviceClass = 0;
  readonly deviceSubclass = 0;
  readonly deviceProtocol = 0;
  readonly usbVersionMajor = 2;
  readonly usbVersionMinor = 0;
  readonly usbVersionSubminor = 0;
  readonly deviceVersionMajor = 1;
  readonly deviceVersionMinor = 0;
  readonly deviceVersionSubminor = 0;
  readonly manufacturerName = "Fake";
  readonly productName = "Fake TM receipt printer";
  readonly bus = "001";
  readonly ports = [1, 4];
  readonly address = nextAddress++;
  readonly configurations: Configuration[];
  readonly serialNumber: string | null;
  /** usblp holds the printer interface, as after every plug-in on Linux. */
  kernelDriverActive = true;
  status: ScriptedStatus = {};
  opened = false;
  attached = true;
  /** Every job byte taken at the OUT endpoint (DLE EOT requests left out). */
  readonly printedChunks: Buffer[] = [];
  readonly requests: number[] = [];
  readonly calls: string[] = [];
  private activeConfiguration: number | undefined;
  private readonly parser = new DleEotParser();
  private readonly replies: number[] = [];
  private readonly pendingIns: PendingIn[] = [];
  private readonly pendingTimers = new Set<{ timer: NodeJS.Timeout; reject: (e: Error) => void }>();
  private hung = false;
  private stallAfter: number | undefined;

  constructor(readonly options: FakeUsbPrinterOptions = {}) {
    this.vendorId = options.vendorId ?? 0x04b8;
    this.productId = options.productId ?? 0x0e28;
    this.serialNumber = options.serialNumber === undefined ? "FAKE0001" : options.serialNumber;
    const endpoints: Endpoint[] = [{ endpointNumber: 1, direction: "out", type: "bulk", packetSize: 64 }];
    if (!options.noInEndpoint) endpoints.push({ endpointNumber: 2, direction: "in", type: "bulk", packetSize: 64 });
    const printer: Alternate = {
      alternateSetting: 0,
      interfaceClass: 7,
      interfaceSubclass: 1,
      interfaceProtocol: options.noInEndpoint ? 1 : 2,
      endpoints,
    };
    const vendor: Alternate = {
      alternateSetting: 0,
      interfaceClass: 0xff,
      interfaceSubclass: 0,
      interfaceProtocol: 0,
      endpoints: [{ endpointNumber: 3, direction: "out", type: "bulk", packetSize: 64 }],
    };
    const interfaces: Interface[] = [];
    if (options.extraInterfaceFirst || options.noPrinterInterface) {
      interfaces.push({ interfaceNumber: 0, claimed: false, alternate: vendor, alternates: [vendor] });
    }
    if (!options.noPrinterInterface) {
      interfaces.push({ interfaceNumber: interfaces.length, claimed: false, alternate: printer, alternates: [printer] });
    }
    this.configurations = [{ configurationValue: 1, interfaces }];
    this.activeConfiguration = options.unconfigured ? undefined : 1;
  }

  get printed(): Buffer {
    return Buffer.concat(this.printedChunks);
  }

  get printedLength(): number {
    return this.printedChunks.reduce((sum, c) => sum + c.length, 0);
  }

  get configuration(): Configuration | undefined {
    return this.configurations.find((c) => c.configurationValue === this.activeConfiguration);
  }

  get printerInterface(): Interface | undefined {
    return this.configurations[0]!.interfaces.find((i) => i.alternate.interfaceClass === 7);
  }

  async open(): Promise<void> {
    this.calls.push("open");
    this.mustBeAttached("open");
    this.opened = true;
  }

  async close(): Promise<void> {
    this.calls.push("close");
    this.opened = false;
    for (const iface of this.configurations[0]!.interfaces) iface.claimed = false;
  }

  async selectConfiguration(value: number): Promise<void> {
    this.calls.push(`selectConfiguration ${value}`);
    this.mustBeOpen("selectConfiguration");
    if (!this.configurations.some((c) => c.configurationValue === value)) throw fail("selectConfiguration", "invalid configuration");
    this.activeConfiguration = value;
  }

  async claimInterface(n: number): Promise<void> {
    this.calls.push(`claimInterface ${n}`);
    this.mustBeOpen("claimInterface");
    const iface = this.configuration?.interfaces.find((i) => i.interfaceNumber === n);
    if (!iface) throw fail("claimInterface", "interface not found (Invalid argument)");
    if (iface === this.printerInterface && this.kernelDriverActive) {
      throw fail("claimInterface", "interface is busy (Device or resource busy)");
    }
    iface.claimed = true;
  }

  async releaseInterface(n: number): Promise<void> {
    this.calls.push(`releaseInterface ${n}`);
    const iface = this.configuration?.interfaces.find((i) => i.interfaceNumber === n);
    if (!iface?.claimed) throw fail("releaseInterface", "not claimed");
    iface.claimed = false;
  }

  async selectAlternateInterface(n: number, alternate: number): Promise<void> {
    this.calls.push(`selectAlternateInterface ${n} ${alternate}`);
  }

  async detachKernelDriver(n: number): Promise<void> {
    this.calls.push(`detachKernelDriver ${n}`);
    this.mustBeOpen("detachKernelDriver");
    if (n !== this.printerInterface?.interfaceNumber || !this.kernelDriverActive) {
      throw fail("detachKernelDriver", "no kernel driver attached (No data available)");
    }
    this.kernelDriverActive = false;
  }

  async attachKernelDriver(n: number): Promise<void> {
    this.calls.push(`attachKernelDriver ${n}`);
    this.kernelDriverActive = true;
  }

  async clearHalt(direction: Direction, endpointNumber: number): Promise<void> {
    this.calls.push(`clearHalt ${direction} ${endpointNumber}`);
  }

  async transferOut(endpointNumber: number, data: Uint8Array, timeout = 1000): Promise<{ bytesWritten: number; status: "ok" }> {
    this.mustBeClaimed("transferOut", endpointNumber, "out");
    if (this.hung) return this.timeOut("transferOut", timeout);
    const { data: job, requests } = this.parser.push(data);
    if (this.stallAfter !== undefined && this.printedLength + job.length > this.stallAfter) {
      const taken = this.stallAfter - this.printedLength;
      this.printedChunks.push(Buffer.from(job.slice(0, taken)));
      this.stallAfter = undefined;
      throw fail("transferOut", "Stall");
    }
    this.printedChunks.push(Buffer.from(job));
    this.requests.push(...requests);
    const replies = statusReplies(this.status);
    for (const n of requests) this.replies.push(replies[n - 1]!);
    this.deliver();
    return { bytesWritten: data.length, status: "ok" };
  }

  async transferIn(endpointNumber: number, length: number, timeout = 1000): Promise<{ data: DataView; status: "ok" }> {
    this.mustBeClaimed("transferIn", endpointNumber, "in");
    const toResult = (bytes: Uint8Array) => ({ data: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), status: "ok" as const });
    if (!this.hung && this.replies.length > 0) return toResult(Uint8Array.from(this.replies.splice(0, length)));
    const bytes = await new Promise<Uint8Array>((resolve, reject) => {
      const pending: PendingIn = { resolve, reject };
      this.pendingIns.push(pending);
      const entry = {
        timer: setTimeout(() => {
          this.pendingTimers.delete(entry);
          const i = this.pendingIns.indexOf(pending);
          if (i >= 0) this.pendingIns.splice(i, 1);
          reject(fail("transferIn", "Cancelled"));
        }, timeout),
        reject,
      };
      this.pendingTimers.add(entry);
      pending.resolve = (b) => {
        clearTimeout(entry.timer);
        this.pendingTimers.delete(entry);
        resolve(b);
      };
    });
    return toResult(bytes);
  }

  /** The OUT endpoint stalls once this many job bytes (in all) have been taken. */
  stallOutAfter(n: number): void {
    this.stallAfter = n;
  }

  /** No transfer completes from now on: each one times out. */
  hang(): void {
    this.hung = true;
  }

  unhang(): void {
    this.hung = false;
    this.deliver();
  }

  /** Pulled out: every transfer fails as disconnected; nothing works on this object again. */
  detach(): void {
    this.attached = false;
    this.opened = false;
    for (const entry of this.pendingTimers) {
      clearTimeout(entry.timer);
      entry.reject(fail("transfer", "Disconnected"));
    }
    this.pendingTimers.clear();
    this.pendingIns.length = 0;
  }

  private deliver(): void {
    while (!this.hung && this.replies.length > 0 && this.pendingIns.length > 0) {
      this.pendingIns.shift()!.resolve(Uint8Array.from(this.replies.splice(0, 64)));
    }
  }

  private timeOut(what: string, timeout: number): Promise<never> {
    return new Promise((_, reject) => {
      const entry = {
        timer: setTimeout(() => {
          this.pendingTimers.delete(entry);
          reject(fail(what, "Cancelled"));
        }, timeout),
        reject,
      };
      this.pendingTimers.add(entry);
    });
  }

  private mustBeAttached(what: string): void {
    if (!this.attached) throw fail(what, "device disconnected (No such device)");
  }

  private mustBeOpen(what: string): void {
    this.mustBeAttached(what);
    if (!this.opened) throw fail(what, "invalid state");
  }

  private mustBeClaimed(what: string, endpointNumber: number, direction: Direction): void {
    if (!this.attached) throw fail(what, "Disconnected");
    this.mustBeOpen(what);
    const iface = this.configuration?.interfaces.find(
      (i) => i.claimed && i.alternate.endpoints.some((e) => e.endpointNumber === endpointNumber && e.direction === direction),
    );
    if (!iface) throw fail(what, "endpoint not found");
  }
}

type ConnectionListener = (event: { device: FakeUsbPrinterDevice }) => void;

/** The `usb` object: every plugged-in device, and connect/disconnect events. */
export class FakeUsb {
  readonly devices: FakeUsbPrinterDevice[] = [];
  private readonly listeners = { connect: new Set<ConnectionListener>(), disconnect: new Set<ConnectionListener>() };

  constructor(...devices: FakeUsbPrinterDevice[]) {
    this.devices.push(...devices);
  }

  /**
   * Set: the machine's USB cannot be enumerated (the real package's "getDevices error: /sys/bus/usb/devices/ not
   * found" in a container): getDevices() rejects, and adding the first listener throws from a timer, as the
   * usb package does when libusb's hotplug watch cannot start.
   */
  subsystemError: string | undefined;

  addEventListener(type: "connect" | "disconnect", listener: ConnectionListener): void {
    const error = this.subsystemError;
    if (error !== undefined && this.listeners.connect.size + this.listeners.disconnect.size === 0) {
      setTimeout(() => {
        throw new Error(error);
      }, 0);
    }
    this.listeners[type].add(listener);
  }

  removeEventListener(type: "connect" | "disconnect", listener: ConnectionListener): void {
    this.listeners[type].delete(listener);
  }

  listenerCount(type: "connect" | "disconnect"): number {
    return this.listeners[type].size;
  }

  async getDevices(): Promise<FakeUsbPrinterDevice[]> {
    if (this.subsystemError !== undefined) throw new Error(this.subsystemError);
    return [...this.devices];
  }

  async requestDevice(options: { filters: { vendorId?: number; productId?: number; classCode?: number; serialNumber?: string }[] }) {
    const device = this.devices.find((d) =>
      options.filters.some(
        (f) =>
          (f.vendorId === undefined || f.vendorId === d.vendorId) &&
          (f.productId === undefined || f.productId === d.productId) &&
          (f.serialNumber === undefined || f.serialNumber === d.serialNumber) &&
          (f.classCode === undefined || d.configurations.some((c) => c.interfaces.some((i) => i.alternate.interfaceClass === f.classCode))),
      ),
    );
    if (!device) throw Object.assign(new Error("Failed to execute 'requestDevice' on 'USB': No device selected."), { name: "NotFoundError" });
    return device;
  }

  /** Plug a device in (fires `connect`). */
  plug(device: FakeUsbPrinterDevice): void {
    this.devices.push(device);
    for (const listener of [...this.listeners.connect]) listener({ device });
  }

  /** Pull a device out (its transfers fail, then `disconnect` fires). */
  unplug(device: FakeUsbPrinterDevice): void {
    const i = this.devices.indexOf(device);
    if (i >= 0) this.devices.splice(i, 1);
    device.detach();
    for (const listener of [...this.listeners.disconnect]) listener({ device });
  }

  /** Unplug and plug in again: the same printer as a new device object, usblp bound again. */
  replug(device: FakeUsbPrinterDevice): FakeUsbPrinterDevice {
    this.unplug(device);
    const again = new FakeUsbPrinterDevice(device.options);
    again.status = device.status;
    this.plug(again);
    return again;
  }
}
