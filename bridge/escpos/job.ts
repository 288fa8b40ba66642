/**
 * One print job's bytes, built with escpos-buffer and what it lacks.
 *
 * escpos-buffer (a Printer over an in-memory connection, with the model's profile from its capability tables)
 * builds the code page selection (ESC t n), alignment (ESC a), bold (ESC E), character size (GS !), feeds
 * (ESC d) and QR codes (GS ( k). Added here: ESC @ first (the connection starts every job with it), text in
 * our own encoder (codepages.ts: escpos-buffer's iconv-lite would pass control characters through and writes
 * a QR's length in UTF-16 units), the raster logo, the barcode and the cut (commands.ts).
 *
 * escpos-buffer's Printer is asynchronous throughout (its connections may be WebUSB), so building a job is too.
 */
import { Align, InMemory, Model, Printer } from "escpos-buffer";
import type { Capability } from "escpos-buffer/dist/capabilities";
import type { Profile } from "escpos-buffer/dist/profile";
import type { MonoBitmap } from "./bitmap";
import { encodeText } from "./codepages";
import { code128Command, cutCommand, INIT, LF, rasterCommand } from "./commands";
import { resolveProfile, type PrinterProfile, type ResolvedProfile } from "./profile";

export type Alignment = "left" | "center" | "right";

export interface TextStyle {
  readonly bold?: boolean;
  readonly align?: Alignment;
  /** 1 or 2: double height keeps the columns, double width halves them. */
  readonly width?: 1 | 2;
  readonly height?: 1 | 2;
}

/** A QR code's module size in dots. */
const QR_MODULE = 5;
/** The most a QR code holds in byte mode at error correction level L (what escpos-buffer selects). */
const QR_MAX_BYTES = 2953;

const ALIGN: Record<Alignment, Align> = { left: Align.Left, center: Align.Center, right: Align.Right };

/** The in-memory connection, which starts every job with ESC @ (escpos-buffer's Printer.CONNECT opens it). */
class JobConnection extends InMemory {
  override async open(): Promise<void> {
    await super.open();
    this.list.push(Buffer.from(INIT));
  }

  push(bytes: Uint8Array): void {
    this.list.push(Buffer.from(bytes));
  }
}

/** A QR code's data as printable ASCII: anything else percent-encoded as UTF-8 (the data is a URI, `pos:sale/…`). */
const qrData = (data: string): string =>
  [...data].map((c) => (/[\x21-\x7e]/.test(c) ? c : [...new TextEncoder().encode(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""))).join("");

export class EscposJob {
  private constructor(
    readonly resolved: ResolvedProfile,
    private readonly printer: Printer,
    private readonly connection: JobConnection,
  ) {}

  /** ESC @, then the profile's code page (ESC t n). */
  static async start(profile: PrinterProfile): Promise<EscposJob> {
    const resolved = resolveProfile(profile);
    // escpos-buffer's profile class for the model, given our code page as its only one and its default, so that
    // it selects it once, at the start.
    const model = new Model(resolved.model);
    const capability: Capability = {
      ...Model.EXPAND(Model.FIND(resolved.model)),
      codepage: profile.codePage,
      codepages: [{ code: profile.codePage, command: `\x1bt${String.fromCharCode(resolved.codePageNumber)}` }],
    };
    const ProfileClass = model.profile.constructor as new (capability: Capability) => Profile;
    const connection = new JobConnection();
    const printer = await Printer.CONNECT(new Model(new ProfileClass(capability)), connection);
    return new EscposJob(resolved, printer, connection);
  }

  get profile(): PrinterProfile {
    return this.resolved.profile;
  }

  /** Bytes as they are: only rawJob uses this for bytes from outside. */
  raw(bytes: Uint8Array): void {
    this.connection.push(bytes);
  }

  /** One line of text, ended by LF; a style is set for the line and reset after it. */
  async line(text: string, style: TextStyle = {}): Promise<void> {
    const bytes = Uint8Array.of(...encodeText(text, this.profile.codePage), LF);
    const { bold = false, align = "left", width = 1, height = 1 } = style;
    if (!bold && align === "left" && width === 1 && height === 1) return this.connection.push(bytes);
    await this.printer.withStyle({ bold, align: ALIGN[align], width, height }, () => this.connection.push(bytes));
  }

  async feed(lines: number): Promise<void> {
    if (lines === 1) this.connection.push(Uint8Array.of(LF));
    else if (lines > 1) await this.printer.feed(lines);
  }

  /** A bitmap centred on the paper. */
  async image(bitmap: MonoBitmap): Promise<void> {
    if (bitmap.width > this.resolved.dots) throw new RangeError(`a ${bitmap.width} dots wide image does not fit ${this.resolved.dots} dots of paper`);
    await this.centred(() => this.connection.push(rasterCommand(bitmap)));
  }

  /** A CODE128 barcode, centred; false (and nothing printed) when `data` cannot be one (commands.ts). */
  async barcode(data: string): Promise<boolean> {
    const command = code128Command(data, { dots: this.resolved.dots });
    if (command === null) return false;
    await this.centred(() => this.connection.push(command));
    return true;
  }

  /** A QR code, centred. */
  async qr(data: string): Promise<void> {
    const ascii = qrData(data);
    if (ascii.length === 0 || ascii.length > QR_MAX_BYTES) throw new RangeError(`a QR code holds 1 to ${QR_MAX_BYTES} bytes, not ${ascii.length}`);
    await this.centred(() => this.printer.qrcode(ascii, QR_MODULE));
  }

  /** The end of a receipt: fed past the cutter, and cut as the profile says. */
  async cut(): Promise<void> {
    await this.feed(this.resolved.feedLines);
    if (this.profile.cut !== "none") this.connection.push(cutCommand(this.profile.cut));
  }

  /** The job's bytes so far. */
  bytes(): Uint8Array {
    return new Uint8Array(this.connection.buffer());
  }

  private async centred(print: () => unknown): Promise<void> {
    await this.printer.setAlignment(Align.Center);
    await print();
    await this.printer.setAlignment(Align.Left);
  }
}
