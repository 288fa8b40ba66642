/**
 * The bridge's command line (npm run bridge -- …):
 *
 *   --config bridge.json                         run the bridge (the default command; also `run --config …`)
 *   pair --code ABCD-1234 --hub https://… --out credential.txt [--force]
 *                                                enrol: exchange a pairing code for the device credential (0600)
 *   check --config bridge.json                   read and check the config, then exit
 *
 * Exit codes: 0 stopped by a signal, 1 failed while running, 2 a bad config or command line (the systemd unit does
 * not restart on 2: the same config would fail again).
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "./config";
import { Bridge } from "./daemon";
import { createLogger } from "./log";
import { pair, PairError } from "./pair";

const USAGE = `usage:
  npm run bridge -- --config bridge.json
  npm run bridge -- pair --code <pairing code> --hub <https://pos.example.com> --out <credential file> [--force]
  npm run bridge -- check --config bridge.json`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  const command = argv[0] && !argv[0].startsWith("-") ? argv[0] : "run";
  const rest = command === argv[0] ? argv.slice(1) : argv;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { config: { type: "string" }, code: { type: "string" }, hub: { type: "string" }, out: { type: "string" }, force: { type: "boolean" }, help: { type: "boolean" } },
      strict: true,
    }));
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  if (command === "pair") {
    const { code, hub, out } = values as { code?: string; hub?: string; out?: string };
    if (!code || !hub || !out) fail(`pair needs --code, --hub and --out\n${USAGE}`);
    let url: URL;
    try {
      url = new URL(hub);
    } catch {
      fail(`--hub: ${hub} is not a URL`);
    }
    try {
      const paired = await pair({ hub: url, code, out, force: values.force === true });
      process.stdout.write(`paired: bridge ${paired.deviceId} of store ${paired.store.code} (${paired.store.name}), tenant ${paired.tenant.slug}; credential saved in ${out}\n`);
    } catch (e) {
      if (e instanceof PairError) fail(e.message, 1);
      throw e;
    }
    return;
  }

  if (command !== "run" && command !== "check") fail(`unknown command ${command}\n${USAGE}`);
  if (typeof values.config !== "string") fail(`--config <file> is required\n${USAGE}`);
  let config;
  try {
    config = await loadConfig(values.config);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  if (command === "check") {
    process.stdout.write(`${values.config} is valid: ${config.printers.length} printer(s), ${config.scanners.length} scanner(s)\n`);
    for (const warning of config.warnings) process.stdout.write(`warning: ${warning}\n`);
    return;
  }

  const log = createLogger(config.logLevel);
  let bridge: Bridge;
  try {
    bridge = await Bridge.start(config, { log });
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    bridge.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error("could not stop cleanly", { error });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("uncaughtException", (error) => {
    log.error("uncaught error: exiting (systemd restarts the bridge; the journal keeps the jobs)", { error });
    process.exit(1);
  });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
