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
  return usb;
}
