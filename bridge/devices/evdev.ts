/**
 * Keyboard-wedge barcode scanners read from their evdev node (/dev/input/by-id/usb-…-event-kbd): the kernel's
 * input_event structs, decoded to text through the configured keyboard layout, one scan per Enter.
 *
 * Grabbing. A scanner is a keyboard: unless its events are taken exclusively (the EVIOCGRAB ioctl), every scan is
 * also typed into whatever has focus on the box. Node cannot issue an ioctl without a native addon (the `ioctl`
 * package compiles one at install, which this project does not allow), so the bridge runs a few lines of Python
 * (stdlib fcntl.ioctl, python3 being on every Debian-based box) that open the device, grab it and copy its bytes
 * to a pipe; the grab ends with that process, which ends when the bridge does (it watches its stdin). This also
 * keeps the blocking reads of a character device off Node's small thread pool.
 *   grab: "required" — no scans unless grabbed; "try" (default) — grab, and read ungrabbed with a warning when that
 *   fails (or python3 is missing: then the device is read directly); "off" — never grab.
 * Without the grab, the udev way is to tell the desktop to ignore the device: a rule setting
 * ENV{LIBINPUT_IGNORE_DEVICE}="1" for the scanner (libinput, hence X and Wayland, skip it; the bridge's udev rules
 * ship one), which leaves only the text console typing scans.
 */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import type { Readable, Writable } from "node:stream";
import type { BackoffOptions } from "./backoff";
import { KEY, LAYOUTS, type Layout, type LayoutName } from "./keymap";
import { ReopeningScanner, type ScannerSource, type SourceSink } from "./scanner";

export const EV_SYN = 0;
export const EV_KEY = 1;
export const EV_MSC = 4;

export interface InputEvent {
  /** Seconds and microseconds of the kernel's timestamp. */
  sec: number;
  usec: number;
  type: number;
  code: number;
  value: number;
}

/**
 * sizeof(struct input_event): struct timeval (two longs) + __u16 type + __u16 code + __s32 value — 24 bytes where
 * long is 64-bit, 16 where it is 32-bit (the kernel keeps __kernel_ulong_t seconds on 32-bit userspace).
 */
export function inputEventSize(arch: string = process.arch): 16 | 24 {
  return arch === "arm" || arch === "ia32" || arch === "mipsel" || arch === "ppc" ? 16 : 24;
}

/** Cuts a byte stream into input_event structs (little-endian), keeping a partial one for the next chunk. */
export class InputEventDecoder {
  private rest = new Uint8Array(0);

  constructor(private readonly size: 16 | 24 = inputEventSize()) {}

  push(chunk: Uint8Array): InputEvent[] {
    const bytes = this.rest.length ? concat(this.rest, chunk) : chunk;
    const events: InputEvent[] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const half = this.size / 2 - 4; // bytes per timeval field
    let offset = 0;
    for (; offset + this.size <= bytes.length; offset += this.size) {
      const sec = half === 8 ? Number(view.getBigInt64(offset, true)) : view.getInt32(offset, true);
      const usec = half === 8 ? Number(view.getBigInt64(offset + 8, true)) : view.getInt32(offset + 4, true);
      const at = offset + 2 * half;
      events.push({ sec, usec, type: view.getUint16(at, true), code: view.getUint16(at + 2, true), value: view.getInt32(at + 4, true) });
    }
    this.rest = bytes.slice(offset);
    return events;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export type ScanTerminator = "enter" | "tab";

/** Turns key events into scans: characters by layout, modifiers tracked, a scan at Enter (or Tab). */
export class KeyboardWedgeDecoder {
  private text = "";
  private shifts = new Set<number>();
  private altGr = false;
  private ctrl = new Set<number>();
  private capsLock = false;
  private overflow = false;
  private readonly layout: Layout;

  constructor(
    layout: LayoutName,
    private readonly terminator: ScanTerminator = "enter",
    /** Longest scan (the hub's scan message takes 512 characters); a longer one is dropped whole, never cut. */
    private readonly maxLength = 512,
  ) {
    this.layout = LAYOUTS[layout];
  }

  /** Feed one event; returns a scan's text when it ends one. */
  push(event: InputEvent): string | undefined {
    if (event.type !== EV_KEY) return undefined;
    const { code, value } = event;
    if (code === KEY.LEFTSHIFT || code === KEY.RIGHTSHIFT) {
      if (value === 0) this.shifts.delete(code);
      else this.shifts.add(code);
      return undefined;
    }
    if (code === KEY.RIGHTALT) {
      this.altGr = value !== 0;
      return undefined;
    }
    if (code === KEY.LEFTCTRL || code === KEY.RIGHTCTRL) {
      if (value === 0) this.ctrl.delete(code);
      else this.ctrl.add(code);
      return undefined;
    }
    if (value !== 1) return undefined; // releases, and autorepeat (a scanner never holds a key)
    if (code === KEY.CAPSLOCK) {
      this.capsLock = !this.capsLock;
      return undefined;
    }
    const ends = code === KEY.ENTER || code === KEY.KPENTER || (this.terminator === "tab" && code === KEY.TAB);
    if (ends) {
      const text = this.text;
      const overflow = this.overflow;
      this.text = "";
      this.overflow = false;
      return text.length > 0 && !overflow ? text : undefined;
    }
    if (this.ctrl.size > 0) return undefined;
    const char = this.charOf(code);
    if (char === undefined) return undefined;
    if (this.text.length < this.maxLength) this.text += char;
    else this.overflow = true;
    return undefined;
  }

  private charOf(code: number): string | undefined {
    const chars = this.layout.get(code);
    if (!chars) return undefined;
    const [plain, shifted, altGr] = chars;
    if (this.altGr) return altGr;
    let shift = this.shifts.size > 0;
    // Caps Lock turns letters (å ä ö too) upper case, and Shift back to lower.
    if (this.capsLock && shifted !== undefined && plain.toUpperCase() === shifted && plain !== shifted) shift = !shift;
    return shift ? shifted : plain;
  }
}

/** The grab helper: open the device, EVIOCGRAB it, copy its bytes to stdout until it or the bridge goes away. */
export const GRAB_HELPER = String.raw`
import fcntl, os, select, sys
EVIOCGRAB = 0x40044590  # _IOW('E', 0x90, int), linux/input.h (x86, arm)
path, mode = sys.argv[1], sys.argv[2]
try:
    fd = os.open(path, os.O_RDONLY)
except OSError as e:
    sys.stderr.write("open failed: %s\n" % e); sys.exit(2)
if mode == "off":
    sys.stderr.write("not grabbed: grab is off\n")
else:
    try:
        fcntl.ioctl(fd, EVIOCGRAB, 1)
        sys.stderr.write("grabbed\n")
    except OSError as e:
        if mode == "required":
            sys.stderr.write("grab failed: %s\n" % e); sys.exit(3)
        sys.stderr.write("not grabbed: %s\n" % e)
sys.stderr.flush()
out = sys.stdout.buffer
while True:
    ready = select.select([fd, 0], [], [])[0]
    if 0 in ready and not os.read(0, 1):
        break
    if fd in ready:
        try:
            chunk = os.read(fd, 4096)
        except OSError as e:
            sys.stderr.write("read failed: %s\n" % e); sys.exit(4)
        if not chunk:
            sys.stderr.write("read failed: end of file\n"); sys.exit(4)
        out.write(chunk)
        out.flush()
`;

export type GrabMode = "required" | "try" | "off";

export interface EvdevScannerOptions {
  id: string;
  /** The device node, best /dev/input/by-id/…-event-kbd (stable across replugs). */
  path: string;
  layout: LayoutName;
  grab?: GrabMode;
  terminator?: ScanTerminator;
  /** The Python that runs the grab helper. */
  python?: string;
  /** Size of input_event on this machine (tests of 32-bit streams set it). */
  eventSize?: 16 | 24;
  backoff?: BackoffOptions;
}

export class EvdevScanner extends ReopeningScanner {
  constructor(private readonly options: EvdevScannerOptions) {
    super(options.id, options.backoff);
    this.start();
  }

  protected async open(sink: SourceSink, signal: AbortSignal): Promise<ScannerSource> {
    const decoder = new InputEventDecoder(this.options.eventSize ?? inputEventSize());
    const keys = new KeyboardWedgeDecoder(this.options.layout, this.options.terminator);
    const onBytes = (chunk: Uint8Array) => {
      for (const event of decoder.push(chunk)) {
        const text = keys.push(event);
        if (text !== undefined) sink.text(text);
      }
    };
    const mode = this.options.grab ?? "try";
    try {
      return await openWithHelper(this.options.python ?? "python3", this.options.path, mode, onBytes, sink, signal);
    } catch (e) {
      if (mode === "try" && e instanceof HelperMissing) {
        sink.warn(`scanner ${this.options.id}: ${e.message}; reading ${this.options.path} without a grab`);
        return openDirect(this.options.path, onBytes, signal);
      }
      throw e;
    }
  }
}

export function openEvdevScanner(options: EvdevScannerOptions): EvdevScanner {
  return new EvdevScanner(options);
}

class HelperMissing extends Error {}

function openWithHelper(
  python: string,
  path: string,
  mode: GrabMode,
  onBytes: (chunk: Uint8Array) => void,
  sink: SourceSink,
  signal: AbortSignal,
): Promise<ScannerSource> {
  return new Promise((resolve, reject) => {
    let child: ChildProcessByStdio<Writable, Readable, Readable>;
    try {
      // The signal kills a helper still waiting in open() (a device node that blocks, such as a FIFO in tests).
      child = spawn(python, ["-c", GRAB_HELPER, path, mode], { stdio: ["pipe", "pipe", "pipe"], signal });
    } catch (e) {
      reject(new HelperMissing(`cannot run ${python}: ${(e as Error).message}`));
      return;
    }
    let stderr = "";
    let ready = false;
    let resolveLost: (reason: string) => void = () => undefined;
    const lost = new Promise<string>((r) => {
      resolveLost = r;
    });
    const lastLine = () => stderr.trim().split("\n").at(-1) ?? "";
    child.stdin.on("error", () => undefined);
    child.stdout.on("data", (chunk: Buffer) => onBytes(chunk));
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
      if (ready) return;
      const line = stderr.split("\n").find((l) => l === "grabbed" || l.startsWith("not grabbed: "));
      if (!line) return;
      ready = true;
      if (line !== "grabbed" && mode !== "off") sink.warn(`${path} is ${line}: scans also type into the desktop`);
      resolve({
        lost,
        close: async () => {
          child.stdin.end();
          if (child.exitCode === null) child.kill();
        },
      });
    });
    child.on("error", (e: NodeJS.ErrnoException) => {
      if (!ready) reject(e.code === "ENOENT" ? new HelperMissing(`${python} is not installed`) : e);
      else if (e.name === "AbortError") resolveLost("closed");
      else resolveLost(`grab helper failed: ${e.message}`);
    });
    child.on("close", (code) => {
      const reason = lastLine() || `grab helper exited with ${code}`;
      if (!ready) reject(new Error(reason));
      else resolveLost(reason);
    });
  });
}

function openDirect(path: string, onBytes: (chunk: Uint8Array) => void, signal: AbortSignal): Promise<ScannerSource> {
  return new Promise((resolve, reject) => {
    const stream = createReadStream(path, { highWaterMark: 24 * 64, signal });
    const lost = new Promise<string>((resolveLost) => {
      stream.on("end", () => resolveLost(`${path} ended`));
      stream.on("error", (e) => resolveLost(`reading ${path} failed: ${e.message}`));
    });
    stream.once("error", reject);
    stream.once("open", () => {
      stream.off("error", reject);
      resolve({ lost, close: async () => void stream.destroy() });
    });
    stream.on("data", (chunk) => onBytes(chunk as Buffer));
  });
}
