/**
 * The bridge's configuration: a JSON file (`--config bridge.json`) and the environment, which wins over the file
 * for the keys it can set (EDGE_POS_*, below). Checked as a whole before anything starts; every error names the
 * key (and the variable it came from), e.g. `printers.0.transport.port: expected a number ≤ 65535`.
 *
 * Secrets (the device credential, the local API key) are best kept out of the file: in a file of their own with
 * 0600 permissions (`hub.credentialFile`, `localApi.keyFile`), which is what `pair` writes and the systemd unit
 * hands over with LoadCredential=. Relative paths are taken from the config file's folder.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { loadPrinterProfile, printerProfileConfig, type PrinterProfile } from "./escpos/index";
import { LOG_LEVELS, type LogLevel } from "./log";

const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "1 to 64 letters, digits, dots, dashes or underscores");
const Port = z.coerce.number().int().min(1).max(65535);
/** A USB id as a number or as hex text ("0x04b8" or "04b8"), as lsusb prints it. */
const UsbId = z.union([
  z.number().int().min(0).max(0xffff),
  z.string().regex(/^(0x)?[0-9a-fA-F]{1,4}$/, "a USB id: a number or hex such as 0x04b8").transform((s) => Number.parseInt(s.replace(/^0x/, ""), 16)),
]);

const Transport = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("tcp"), host: z.string().min(1), port: Port.default(9100) }),
  z.strictObject({ type: z.literal("usb"), vendorId: UsbId, productId: UsbId, serial: z.string().min(1).optional() }),
]);

const Drawer = z.strictObject({
  pin: z.union([z.literal(2), z.literal(5)]).default(2),
  /** The pulse, as ESC p sends it (2 ms units, 2 to 510 ms). */
  onMs: z.number().int().min(2).max(510).default(100),
  offMs: z.number().int().min(2).max(510).default(100),
});

const Printer = z.strictObject({
  id: Id,
  name: z.string().min(1).max(100),
  transport: Transport,
  profile: printerProfileConfig,
  drawer: Drawer.default({ pin: 2, onMs: 100, offMs: 100 }),
  /** Which level of the drawer connector's pin 3 means "open" (most drawers: high). */
  drawerOpenLevel: z.enum(["high", "low"]).default("high"),
  /** The printer for jobs that name none (at most one; else the first printer). */
  default: z.boolean().default(false),
});

const ScannerCommon = {
  id: Id,
  name: z.string().min(1).max(100).optional(),
  /** Send this scanner's scans to one till (register id) instead of every till of the store. */
  registerId: z.string().min(1).max(64).nullable().default(null),
};

const Scanner = z.discriminatedUnion("type", [
  z.strictObject({
    ...ScannerCommon,
    type: z.literal("evdev"),
    /** Best /dev/input/by-id/…-event-kbd. */
    path: z.string().min(1),
    layout: z.enum(["us", "se"]),
    grab: z.enum(["required", "try", "off"]).default("try"),
    terminator: z.enum(["enter", "tab"]).default("enter"),
  }),
  z.strictObject({
    ...ScannerCommon,
    type: z.literal("serial"),
    /** Best /dev/serial/by-id/…. */
    path: z.string().min(1),
    baudRate: z.number().int().min(300).max(4_000_000).default(9600),
    terminator: z.string().min(1).max(4).default("\r"),
  }),
]);

const LocalApi = z.strictObject({
  /** Loopback unless the store's tills must reach it over the network. */
  host: z.string().min(1).default("127.0.0.1"),
  port: Port.default(9180),
  /**
   * Optional: a key for clients that are not enrolled tills (Authorization: Bearer …), or a file holding it. Tills
   * use their own device credentials.
   */
  key: z.string().min(16, "at least 16 characters").optional(),
  keyFile: z.string().min(1).optional(),
});

export const BridgeConfigFile = z.strictObject({
  hub: z.strictObject({
    /** The Worker's base URL, e.g. https://pos.example.com (the socket is its /api/v1/sync/ws). */
    url: z.url({ protocol: /^https?$/, error: "an http:// or https:// URL" }),
    credential: z.string().min(1).optional(),
    credentialFile: z.string().min(1).optional(),
  }),
  printers: z.array(Printer).max(16).default([]),
  scanners: z.array(Scanner).max(16).default([]),
  journal: z.strictObject({ dir: z.string().min(1) }),
  localApi: LocalApi.optional(),
  logLevel: z.enum(LOG_LEVELS).default("info"),
});
type ConfigFile = z.output<typeof BridgeConfigFile>;

export type PrinterTransport = z.output<typeof Transport>;
export type ScannerConfigEntry = z.output<typeof Scanner>;

export interface PrinterEntry extends Omit<z.output<typeof Printer>, "profile"> {
  profile: PrinterProfile;
}

export interface BridgeConfig {
  hub: { url: URL; credential: string };
  printers: PrinterEntry[];
  /** The id of the printer for jobs that name none; undefined when there is no printer. */
  defaultPrinterId: string | undefined;
  scanners: ScannerConfigEntry[];
  journalDir: string;
  localApi: { host: string; port: number; key: string | undefined } | undefined;
  logLevel: LogLevel;
  /** Problems worth a warning that stop nothing (a secret file others can read). */
  warnings: string[];
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Environment variables and the key each sets. */
export const ENVIRONMENT: Readonly<Record<string, string>> = {
  EDGE_POS_HUB_URL: "hub.url",
  EDGE_POS_DEVICE_CREDENTIAL: "hub.credential",
  EDGE_POS_CREDENTIAL_FILE: "hub.credentialFile",
  EDGE_POS_JOURNAL_DIR: "journal.dir",
  EDGE_POS_LOCAL_API_HOST: "localApi.host",
  EDGE_POS_LOCAL_API_PORT: "localApi.port",
  EDGE_POS_LOCAL_API_KEY: "localApi.key",
  EDGE_POS_LOCAL_API_KEY_FILE: "localApi.keyFile",
  EDGE_POS_LOG_LEVEL: "logLevel",
};

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let at = target;
  for (const key of keys.slice(0, -1)) {
    const next = at[key];
    at = at[key] = next && typeof next === "object" && !Array.isArray(next) ? (next as Record<string, unknown>) : {};
  }
  at[keys.at(-1)!] = value;
}

/** The file's JSON with the environment's values laid over it; which keys came from which variable. */
export function overlayEnvironment(json: unknown, env: NodeJS.ProcessEnv): { value: unknown; fromEnv: Map<string, string> } {
  const value = json && typeof json === "object" && !Array.isArray(json) ? structuredClone(json as Record<string, unknown>) : json;
  const fromEnv = new Map<string, string>();
  if (!value || typeof value !== "object" || Array.isArray(value)) return { value, fromEnv };
  for (const [name, key] of Object.entries(ENVIRONMENT)) {
    const given = env[name];
    if (given === undefined || given === "") continue;
    setPath(value as Record<string, unknown>, key, given);
    fromEnv.set(key, name);
  }
  return { value, fromEnv };
}

function describeIssues(error: z.ZodError, source: string, fromEnv: Map<string, string>): string {
  const lines = error.issues.map((issue) => {
    const key = issue.path.join(".") || "(the whole config)";
    const variable = fromEnv.get(key);
    return `  ${key}${variable ? ` (from ${variable})` : ""}: ${issue.message}`;
  });
  return `${source} is not a valid bridge config:\n${lines.join("\n")}`;
}

/** Check a config's JSON (already overlaid with the environment); throws a ConfigError naming every bad key. */
export function parseConfigFile(value: unknown, source = "the config", fromEnv = new Map<string, string>()): ConfigFile {
  const parsed = BridgeConfigFile.safeParse(value);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, source, fromEnv));
  const config = parsed.data;
  const problems: string[] = [];
  const seen = (ids: string[], what: string) => {
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) problems.push(`  ${what}: the id "${dup}" is used twice`);
  };
  seen(config.printers.map((p) => p.id), "printers");
  seen(config.scanners.map((s) => s.id), "scanners");
  if (config.printers.filter((p) => p.default).length > 1) problems.push("  printers: more than one printer has default: true");
  if (!config.hub.credential && !config.hub.credentialFile) {
    problems.push(
      "  hub.credential or hub.credentialFile (EDGE_POS_DEVICE_CREDENTIAL / EDGE_POS_CREDENTIAL_FILE): the bridge's device credential is required; " +
        "enrol first with `npm run bridge -- pair --code <code> --hub <url> --out credential.txt`",
    );
  }
  if (problems.length) throw new ConfigError(`${source} is not a valid bridge config:\n${problems.join("\n")}`);
  return config;
}

async function readSecretFile(file: string, key: string, warnings: string[]): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new ConfigError(`${key}: cannot read ${file}: ${(e as Error).message}`);
  }
  const info = await stat(file);
  if ((info.mode & 0o077) !== 0) warnings.push(`${key}: ${file} can be read by others (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`);
  const secret = text.trim();
  if (!secret) throw new ConfigError(`${key}: ${file} is empty`);
  return secret;
}

/** The config from its JSON (file and environment), with secrets read, paths resolved and profiles loaded. */
export async function resolveConfig(value: unknown, options: { baseDir: string; source?: string; fromEnv?: Map<string, string> }): Promise<BridgeConfig> {
  const config = parseConfigFile(value, options.source, options.fromEnv);
  const at = (p: string) => path.resolve(options.baseDir, p);
  const warnings: string[] = [];
  const credential = config.hub.credential ?? (await readSecretFile(at(config.hub.credentialFile!), "hub.credentialFile", warnings));
  let localApi: BridgeConfig["localApi"];
  if (config.localApi) {
    const { host, port, key, keyFile } = config.localApi;
    const secret = key ?? (keyFile ? await readSecretFile(at(keyFile), "localApi.keyFile", warnings) : undefined);
    if (secret !== undefined && secret.length < 16) throw new ConfigError("localApi.keyFile: the key is shorter than 16 characters");
    localApi = { host, port, key: secret };
  }
  const printers: PrinterEntry[] = [];
  for (const [i, printer] of config.printers.entries()) {
    try {
      printers.push({ ...printer, profile: await loadPrinterProfile(printer.profile, options.baseDir) });
    } catch (e) {
      throw new ConfigError(`printers.${i}.profile: ${(e as Error).message}`);
    }
  }
  return {
    hub: { url: new URL(config.hub.url), credential },
    printers,
    defaultPrinterId: (printers.find((p) => p.default) ?? printers[0])?.id,
    scanners: config.scanners,
    journalDir: at(config.journal.dir),
    localApi,
    logLevel: config.logLevel,
    warnings,
  };
}

/** Read `--config <file>` and the environment into a checked config. */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<BridgeConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new ConfigError(`cannot read the config file ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file} is not JSON: ${(e as Error).message}`);
  }
  const { value, fromEnv } = overlayEnvironment(json, env);
  return resolveConfig(value, { baseDir: path.dirname(path.resolve(file)), source: file, fromEnv });
}
