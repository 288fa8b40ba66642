/**
 * A serial / USB-CDC barcode scanner on serialport's own mock binding (@serialport/binding-mock, which serialport
 * ships as its SerialPortMock): `scan(text)` sends a barcode and the scanner's suffix; `unplug()` fails the port's
 * pending read the way the real binding does when a USB-CDC device disappears (an error without `canceled`, which
 * SerialPortStream reports as a disconnect) and refuses opens until `plug()`.
 */
import { SerialPortMock } from "serialport";
import type { OpenSerialPort } from "../../bridge/devices/serial-scanner";

let count = 0;

/** What @serialport/binding-mock's MockPortBinding offers (its typings do not resolve under package exports). */
interface MockPort {
  readonly isOpen: boolean;
  readonly openOptions: unknown;
  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }>;
  write(buffer: Buffer): Promise<void>;
  close(): Promise<void>;
  update(options: unknown): Promise<void>;
  set(options: unknown): Promise<void>;
  get(): Promise<unknown>;
  getBaudRate(): Promise<{ baudRate: number }>;
  flush(): Promise<void>;
  drain(): Promise<void>;
  emitData(data: Buffer | string): void;
}

interface MockBindingLike {
  createPort(path: string, options?: { echo?: boolean; record?: boolean }): void;
  list(): Promise<unknown[]>;
  open(options: { path: string }): Promise<MockPort>;
}

const MockBinding = SerialPortMock.binding as MockBindingLike;

/** A mock port whose reads fail once the scanner is unplugged. */
class UnpluggablePort {
  constructor(
    readonly inner: MockPort,
    private readonly disconnect: Promise<never>,
  ) {}
  get openOptions() {
    return this.inner.openOptions;
  }
  get isOpen() {
    return this.inner.isOpen;
  }
  read(buffer: Buffer, offset: number, length: number) {
    return Promise.race([this.inner.read(buffer, offset, length), this.disconnect]);
  }
  write(buffer: Buffer) {
    return this.inner.write(buffer);
  }
  close() {
    return this.inner.close();
  }
  update(options: unknown) {
    return this.inner.update(options);
  }
  set(options: unknown) {
    return this.inner.set(options);
  }
  get() {
    return this.inner.get();
  }
  getBaudRate() {
    return this.inner.getBaudRate();
  }
  flush() {
    return this.inner.flush();
  }
  drain() {
    return this.inner.drain();
  }
}

export class FakeSerialScanner {
  readonly path: string;
  private port: UnpluggablePort | undefined;
  private unplugged: ((e: Error) => void) | undefined;
  private plugged = true;
  private readonly opened: (() => void)[] = [];

  constructor(readonly suffix = "\r") {
    this.path = `/dev/serial/by-id/usb-Fake_Scanner_${++count}-if00`;
    MockBinding.createPort(this.path, { echo: false, record: false });
  }

  /** The binding a SerialPortStream opens this scanner with. */
  readonly binding = {
    list: () => MockBinding.list(),
    open: async (options: { path: string }) => {
      if (!this.plugged) throw new Error(`Error: No such file or directory, cannot open ${options.path}`);
      const disconnect = new Promise<never>((_, reject) => {
        this.unplugged = reject;
      });
      disconnect.catch(() => undefined);
      const wrapped = new UnpluggablePort(await MockBinding.open(options), disconnect);
      this.port = wrapped;
      for (const resolve of this.opened.splice(0)) resolve();
      return wrapped;
    },
  };

  /** What the scanner under test passes as `openPort`. */
  readonly openPort: OpenSerialPort = (options) =>
    // SerialPortMock's option type omits `binding`, but it takes one (it spreads the options over its default).
    new SerialPortMock({ ...options, binding: this.binding } as ConstructorParameters<typeof SerialPortMock>[0]);

  /** Resolves once a port is open on this scanner (at once if one is). */
  whenOpen(): Promise<void> {
    if (this.port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.opened.push(resolve));
  }

  /** Send a barcode as the scanner does: its characters, then its suffix. Optionally in pieces. */
  scan(text: string, pieces = 1): void {
    const bytes = Buffer.from(text + this.suffix, "utf8");
    const size = Math.ceil(bytes.length / pieces);
    for (let i = 0; i < bytes.length; i += size) this.emit(bytes.subarray(i, i + size));
  }

  emit(bytes: Buffer | string): void {
    if (!this.port) throw new Error("the scanner's port is not open");
    this.port.inner.emitData(bytes);
  }

  unplug(): void {
    this.plugged = false;
    this.unplugged?.(new Error("Input/output error, cannot read"));
    this.port = undefined;
  }

  plug(): void {
    this.plugged = true;
  }
}
