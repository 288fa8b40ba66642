/// <reference types="w3c-web-usb" />
/**
 * The part of the WebUSB API (https://wicg.github.io/webusb/) the USB printer transport uses, as the `usb` package
 * (v3) implements it: its `usb` object (every device, no requestDevice prompt) and its UsbDevice, which adds a
 * timeout argument to the transfers and detachKernelDriver (Linux). Written out here so the transport takes any
 * object of this shape: the real one in production, test/fakes/webusb.ts in the tests.
 */

export type UsbDirection = "in" | "out";

export interface UsbEndpointLike {
  endpointNumber: number;
  direction: UsbDirection;
  type: "bulk" | "interrupt" | "isochronous";
  packetSize: number;
}

export interface UsbAlternateInterfaceLike {
  alternateSetting: number;
  interfaceClass: number;
  interfaceSubclass: number;
  interfaceProtocol: number;
  endpoints: readonly UsbEndpointLike[];
}

export interface UsbInterfaceLike {
  interfaceNumber: number;
  alternates: readonly UsbAlternateInterfaceLike[];
}

export interface UsbConfigurationLike {
  configurationValue: number;
  interfaces: readonly UsbInterfaceLike[];
}

export interface UsbTransferOutResult {
  bytesWritten: number;
  status: "ok" | "stall" | "babble";
}

export interface UsbTransferInResult {
  data?: DataView | undefined;
  status: "ok" | "stall" | "babble";
}

export interface UsbDeviceLike {
  readonly vendorId: number;
  readonly productId: number;
  /** The usb package reads it from the device (and may throw, e.g. without permission). */
  readonly serialNumber?: string | null | undefined;
  readonly opened: boolean;
  readonly configuration?: UsbConfigurationLike | null | undefined;
  readonly configurations: readonly UsbConfigurationLike[];
  /** usb package: the bus number ("001") and port chain, which name the device in sysfs ("1-1.4"). */
  readonly bus?: string;
  readonly ports?: readonly number[];
  /** usb package: the address on the bus, renewed each time the device is plugged in. */
  readonly address?: number;
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(configurationValue: number): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  selectAlternateInterface(interfaceNumber: number, alternateSetting: number): Promise<void>;
  /** The usb package takes a timeout (ms) as a third argument (its default is 1000). */
  transferOut(endpointNumber: number, data: Uint8Array<ArrayBuffer>, timeout?: number): Promise<UsbTransferOutResult>;
  transferIn(endpointNumber: number, length: number, timeout?: number): Promise<UsbTransferInResult>;
  clearHalt(direction: UsbDirection, endpointNumber: number): Promise<void>;
  /** usb package, Linux only: USBDEVFS_DISCONNECT for one interface (fails when no driver is bound). */
  detachKernelDriver?(interfaceNumber: number): Promise<void>;
}

export interface UsbConnectionEventLike {
  readonly device: UsbDeviceLike;
}

export interface WebUsbLike {
  getDevices(): Promise<UsbDeviceLike[]>;
  addEventListener(type: "connect" | "disconnect", listener: (event: UsbConnectionEventLike) => void): void;
  removeEventListener(type: "connect" | "disconnect", listener: (event: UsbConnectionEventLike) => void): void;
}

/** The system's USB (the usb package's `usb` object), loaded only when a USB printer is configured. */
export async function systemWebUsb(): Promise<WebUsbLike> {
  const { usb } = await import("usb");
  return new HotplugAfterEnumeration(usb);
}

/**
 * The usb package starts libusb's hotplug watch when the first connect/disconnect listener is added, and when
 * that fails (no /sys/bus/usb: a container, a box without USB) it throws the error from a timer: an uncaught
 * exception, the bridge's end, again at every restart. This wrapper hands listeners on only once an enumeration
 * has worked, which fails the same way but as a rejected getDevices(): the printer then reports that error and
 * retries with backoff like any other printer that cannot be reached.
 */
export class HotplugAfterEnumeration implements WebUsbLike {
  private enumerated = false;
  private readonly pending: { type: "connect" | "disconnect"; listener: (event: UsbConnectionEventLike) => void }[] = [];

  constructor(private readonly inner: WebUsbLike) {}

  async getDevices(): Promise<UsbDeviceLike[]> {
    const devices = await this.inner.getDevices();
    if (!this.enumerated) {
      this.enumerated = true;
      for (const { type, listener } of this.pending.splice(0)) this.inner.addEventListener(type, listener);
    }
    return devices;
  }

  addEventListener(type: "connect" | "disconnect", listener: (event: UsbConnectionEventLike) => void): void {
    if (this.enumerated) this.inner.addEventListener(type, listener);
    else this.pending.push({ type, listener });
  }

  removeEventListener(type: "connect" | "disconnect", listener: (event: UsbConnectionEventLike) => void): void {
    const i = this.pending.findIndex((p) => p.type === type && p.listener === listener);
    if (i >= 0) this.pending.splice(i, 1);
    else this.inner.removeEventListener(type, listener);
  }
}
