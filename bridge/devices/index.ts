/**
 * The bridge's device layer: printers and scanners opened from their config entries. Everything a caller needs is
 * exported from here; bridge/devices/README.md says how the parts behave.
 */
import { type EvdevScannerOptions, openEvdevScanner } from "./evdev";
import type { PrinterTimings } from "./managed-printer";
import type { Printer } from "./printer";
import type { Scanner } from "./scanner";
import { type OpenSerialPort, openSerialScanner, type SerialScannerOptions } from "./serial-scanner";
import type { DrawerOpenLevel } from "./status";
import { openTcpPrinter } from "./tcp";
import { openUsbPrinter } from "./usb";
import { systemWebUsb, type WebUsbLike } from "./webusb";

export type { EvdevScannerOptions, GrabMode, ScanTerminator } from "./evdev";
export type { LayoutName } from "./keymap";
export type { PrinterTimings } from "./managed-printer";
export {
  describeIdentity,
  type Printer,
  PrinterError,
  type PrinterErrorCode,
  type PrinterEvents,
  type PrinterIdentity,
  PrinterWriteError,
} from "./printer";
export type { Scan, Scanner, ScannerEvents } from "./scanner";
export type { SerialScannerOptions } from "./serial-scanner";
export { decodeStatus, type DrawerOpenLevel, type PrinterErrorCause, type PrinterStatus, sameStatus } from "./status";
export type { WebUsbLike } from "./webusb";

interface PrinterSettings extends PrinterTimings {
  /** Which level of the drawer kick-out connector's pin 3 means "open" (most drawers: high). */
  drawerOpenLevel?: DrawerOpenLevel;
}

/** A printer in the bridge's config: its stable identity and its settings. */
export type PrinterConfig =
  | ({ type: "tcp"; host: string; port?: number; connectTimeoutMs?: number } & PrinterSettings)
  | ({ type: "usb"; vendorId: number; productId: number; serial?: string } & PrinterSettings);

export type ScannerConfig =
  | ({ type: "evdev" } & Omit<EvdevScannerOptions, "eventSize">)
  | ({ type: "serial" } & Omit<SerialScannerOptions, "openPort">);

export interface DeviceDependencies {
  /** The WebUSB object for USB printers (default: the usb package's, loaded on first use). */
  usb?: WebUsbLike;
  /** Creates serial ports (default: serialport's SerialPort). */
  openSerialPort?: OpenSerialPort;
}

export class Devices {
  private usb: Promise<WebUsbLike> | undefined;

  constructor(private readonly dependencies: DeviceDependencies = {}) {}

  /** Open a printer; it connects (and keeps reconnecting) by itself: await `whenConnected()` to wait for it. */
  async openPrinter(config: PrinterConfig): Promise<Printer> {
    if (config.type === "tcp") return openTcpPrinter(config);
    const { type: _type, ...options } = config;
    return openUsbPrinter({ ...options, usb: await this.webUsb() });
  }

  openScanner(config: ScannerConfig): Scanner {
    if (config.type === "evdev") return openEvdevScanner(config);
    const openPort = this.dependencies.openSerialPort;
    return openSerialScanner({ ...config, ...(openPort ? { openPort } : {}) });
  }

  private webUsb(): Promise<WebUsbLike> {
    const given = this.dependencies.usb;
    this.usb ??= given ? Promise.resolve(given) : systemWebUsb();
    return this.usb;
  }
}
