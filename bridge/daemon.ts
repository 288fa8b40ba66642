/**
 * The bridge as one process: the journal, the printers and scanners (bridge/devices), the job runner, the socket
 * to the hub and the local API, wired together.
 *
 *   hub job     → journal (durable) → job.ack → runner → journal (outcome) → job.status to the hub
 *   local job   → journal (durable) → 202 to the till → runner → journal (outcome) → GET /print-jobs/:id
 *   devices     → bridge.status to the hub on every connect and at every change; scans → scan to the hub
 *
 * An outcome the hub was not sent (the socket was down) is sent on the next connect; a job the hub sends again
 * after it finished is acknowledged and its outcome sent again, never printed again.
 */
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { BridgeDevice, Job } from "../schema/sync/bridge-messages";
import { type BridgeConfig, ConfigError, type PrinterEntry, type ScannerConfigEntry } from "./config";
import { Devices, type Printer, type PrinterConfig, type PrinterTimings, type Scanner, type ScannerConfig } from "./devices/index";
import { HubClient, type HubClientOptions } from "./hub-client";
import { isFinal, Journal, type JournalEntry } from "./journal";
import { LocalApi, type LocalApiBackend, type LocalJobRequest } from "./local-api";
import { type Logger, silentLogger } from "./log";
import { JobRunner } from "./runner";
import { TillDirectory } from "./tills";

export const BRIDGE_AGENT = "edge-pos-bridge/0.1.0";

export interface BridgeDependencies {
  log?: Logger;
  devices?: Devices;
  /** Printer link timings (tests make them short). */
  printerTimings?: PrinterTimings;
  /** Socket timings and backoff (tests make them short). */
  hub?: Pick<HubClientOptions, "backoff" | "pingIntervalMs" | "pongTimeoutMs" | "connectTimeoutMs">;
  runner?: { retryDelayMs?: number; recheckMs?: number };
}

function printerConfig(entry: PrinterEntry, timings: PrinterTimings): PrinterConfig {
  const common = { ...timings, drawerOpenLevel: entry.drawerOpenLevel };
  const t = entry.transport;
  return t.type === "tcp"
    ? { type: "tcp", host: t.host, port: t.port, ...common }
    : { type: "usb", vendorId: t.vendorId, productId: t.productId, ...(t.serial ? { serial: t.serial } : {}), ...common };
}

function scannerConfig(entry: ScannerConfigEntry): ScannerConfig {
  return entry.type === "evdev"
    ? { type: "evdev", id: entry.id, path: entry.path, layout: entry.layout, grab: entry.grab, terminator: entry.terminator }
    : { type: "serial", id: entry.id, path: entry.path, baudRate: entry.baudRate, terminator: entry.terminator };
}

const clip = (reason: string | null) => (reason && reason.length > 200 ? `${reason.slice(0, 199)}…` : reason);

export class Bridge implements LocalApiBackend {
  private lastStatus = "";
  /** Why each scanner is not connected, from its last `disconnected` or open warning. */
  private readonly scannerProblems = new Map<string, string>();
  private statusTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  localAddress: AddressInfo | undefined;

  private constructor(
    private readonly config: BridgeConfig,
    readonly journal: Journal,
    readonly runner: JobRunner,
    readonly hub: HubClient,
    private readonly printers: Printer[],
    private readonly scanners: { entry: ScannerConfigEntry; scanner: Scanner }[],
    private readonly localApi: LocalApi | undefined,
    private readonly log: Logger,
  ) {}

  static async start(config: BridgeConfig, deps: BridgeDependencies = {}): Promise<Bridge> {
    const log = deps.log ?? silentLogger;
    for (const warning of config.warnings) log.warn(warning);
    const { journal } = await Journal.open(config.journalDir, { log: log.child({ component: "journal" }) });
    const devices = deps.devices ?? new Devices();
    const printers: Printer[] = [];
    for (const entry of config.printers) printers.push(await devices.openPrinter(printerConfig(entry, deps.printerTimings ?? {})));
    const scanners = config.scanners.map((entry) => ({ entry, scanner: devices.openScanner(scannerConfig(entry)) }));
    const runner = new JobRunner({
      journal,
      printers: config.printers.map((entry, i) => ({ id: entry.id, name: entry.name, printer: printers[i]!, profile: entry.profile, drawer: entry.drawer })),
      defaultPrinterId: config.defaultPrinterId,
      log: log.child({ component: "runner" }),
      ...deps.runner,
    });

    let bridge: Bridge | undefined;
    const hub = new HubClient({
      url: config.hub.url,
      credential: config.hub.credential,
      agent: BRIDGE_AGENT,
      log,
      ...deps.hub,
      onJob: async (job) => bridge!.takeHubJob(job),
      onConnected: () => bridge!.connected(),
      onTills: (list, at) => void tills.replace(list, at).catch((error: unknown) => log.error("could not save the hub's list of tills", { error })),
    });
    const tills = await TillDirectory.open(config.journalDir, log.child({ component: "tills" }));
    const localApi = config.localApi ? new LocalApi({ ...(config.localApi.key ? { key: config.localApi.key } : {}), tills, backend: { submitLocal: (r) => bridge!.submitLocal(r), job: (id) => bridge!.job(id), status: () => bridge!.status() }, log }) : undefined;
    bridge = new Bridge(config, journal, runner, hub, printers, scanners, localApi, log);
    bridge.wire();
    runner.resume();
    if (localApi && config.localApi) {
      try {
        bridge.localAddress = await localApi.listen(config.localApi.host, config.localApi.port);
      } catch (e) {
        await bridge.stop();
        throw new ConfigError(`localApi: cannot listen on ${config.localApi.host}:${config.localApi.port}: ${(e as Error).message}`);
      }
    } else log.info("no local API configured (localApi): tills can print only through the hub");
    hub.start();
    log.info("bridge started", {
      hub: config.hub.url.origin, printers: config.printers.map((p) => p.id), scanners: config.scanners.map((s) => s.id), queued: journal.queued().length,
    });
    return bridge;
  }

  private wire(): void {
    for (const [i, printer] of this.printers.entries()) {
      const id = this.config.printers[i]!.id;
      printer.on("connected", () => this.log.info("printer connected", { printer: id }));
      printer.on("disconnected", (reason) => this.log.warn("printer disconnected; reconnecting", { printer: id, reason }));
      // Once per new reason, not at every retry: a printer left off all night must not fill the log.
      const unreachable = (reason: string) => this.log.warn("printer not reachable; retrying", { printer: id, reason });
      printer.on("problem", unreachable);
      // A first attempt that failed while the bridge was starting, before this listener.
      if (!printer.connected && printer.problem) unreachable(printer.problem);
    }
    this.runner.on("outcome", (entry) => void this.report(entry));
    this.runner.on("change", () => this.statusChanged());
    this.hub.on("acked", (jobId) => {
      const entry = this.journal.get(jobId);
      if (entry && isFinal(entry.state)) void this.report(entry);
    });
    this.hub.on("state", (state) => this.log.debug("hub link", { state }));
    for (const { entry, scanner } of this.scanners) {
      scanner.on("scan", (scan) => void this.scanned(entry, scan.text, scan.at));
      scanner.on("warning", (message) => {
        this.log.warn(message, { scanner: entry.id });
        if (!scanner.connected) {
          this.scannerProblems.set(entry.id, message);
          this.statusChanged();
        }
      });
      scanner.on("connected", () => {
        this.scannerProblems.delete(entry.id);
        this.log.info("scanner connected", { scanner: entry.id });
        this.statusChanged();
      });
      scanner.on("disconnected", (reason) => {
        this.scannerProblems.set(entry.id, reason);
        this.log.warn("scanner disconnected", { scanner: entry.id, reason });
        this.statusChanged();
      });
    }
  }

  private async takeHubJob(job: Job): Promise<void> {
    const { entry, isNew } = await this.journal.add(job, "hub");
    if (isNew) {
      this.log.info("job taken", { jobId: job.id, seq: job.seq, kind: job.payload.kind, printer: job.printerId });
      await this.runner.submit(entry);
    } else {
      this.log.info("job sent again by the hub: acknowledged, not queued again", { jobId: job.id, state: entry.state });
    }
  }

  /** The hub welcomed the socket: tell it the devices, and every outcome it has not had. */
  private connected(): void {
    this.lastStatus = "";
    this.sendStatus();
    for (const entry of this.journal.unreported()) void this.report(entry);
  }

  private async report(entry: JournalEntry): Promise<void> {
    if (entry.source !== "hub" || !isFinal(entry.state)) return;
    const sent = await this.hub.send({ v: 1, type: "job.status", jobId: entry.id, state: entry.state, reason: clip(entry.reason), at: entry.updatedAt });
    if (sent && !this.stopped) await this.journal.markReported(entry.id).catch((error: unknown) => this.log.error("journal: could not mark an outcome sent", { error }));
  }

  private async scanned(entry: ScannerConfigEntry, text: string, at: number): Promise<void> {
    const sent = await this.hub.send({ v: 1, type: "scan", scannerId: entry.id, text: text.slice(0, 512), registerId: entry.registerId, at });
    // Not kept for later: a scan is for the till in front of the customer now, not in ten minutes.
    if (!sent) this.log.warn("scan dropped: not connected to the hub", { scanner: entry.id });
  }

  devices(): BridgeDevice[] {
    const printers = this.runner.printers().map((p): BridgeDevice => ({ id: p.id, kind: "printer", name: p.name, connected: p.connected, status: p.status, problem: clip(p.problem) }));
    const scanners = this.scanners.map(({ entry, scanner }): BridgeDevice => ({
      id: entry.id, kind: "scanner", name: entry.name ?? entry.id, connected: scanner.connected, status: null, problem: scanner.connected ? null : clip(this.scannerProblems.get(entry.id) ?? null),
    }));
    return [...printers, ...scanners];
  }

  private statusChanged(): void {
    if (this.statusTimer || this.stopped) return;
    // Coalesce a burst (a reconnect brings connected and status together) into one message.
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.sendStatus();
    }, 20);
  }

  private sendStatus(): void {
    const devices = this.devices();
    const text = JSON.stringify(devices);
    if (text === this.lastStatus || !this.hub.connected) return;
    this.lastStatus = text;
    void this.hub.send({ v: 1, type: "bridge.status", devices, at: Date.now() }).then((sent) => {
      if (!sent && this.lastStatus === text) this.lastStatus = "";
    });
  }

  async submitLocal(request: LocalJobRequest): Promise<{ entry: JournalEntry; isNew: boolean; conflict: boolean }> {
    const id = `local-${request.clientId ?? randomUUID()}`;
    const known = this.journal.get(id);
    if (known) {
      const same = known.kind === request.payload.kind && known.printerId === request.printerId && (!known.payload || JSON.stringify(known.payload) === JSON.stringify(request.payload));
      return { entry: known, isNew: false, conflict: !same };
    }
    // Local jobs have no hub seq; the journal's order of arrival places them among the hub's.
    const job: Job = { id, seq: 1, printerId: request.printerId, createdAt: Date.now(), requestedBy: request.requestedBy, payload: request.payload };
    const { entry, isNew } = await this.journal.add(job, "local");
    if (isNew) {
      this.log.info("local job taken", { jobId: id, kind: job.payload.kind, printer: job.printerId });
      await this.runner.submit(entry);
    }
    return { entry, isNew, conflict: false };
  }

  job(id: string): JournalEntry | undefined {
    return this.journal.get(id);
  }

  status() {
    return {
      hub: { state: this.hub.state, url: this.config.hub.url.origin },
      printers: this.runner.printers(),
      scanners: this.scanners.map(({ entry, scanner }) => ({
        id: entry.id, name: entry.name ?? entry.id, connected: scanner.connected, problem: scanner.connected ? null : (this.scannerProblems.get(entry.id) ?? null), registerId: entry.registerId,
      })),
      queued: this.journal.queued().length,
    };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.statusTimer);
    await this.localApi?.close();
    this.hub.stop();
    await this.runner.close();
    await Promise.all([...this.printers.map((p) => p.close()), ...this.scanners.map((s) => s.scanner.close())]);
    await this.journal.close();
    this.log.info("bridge stopped");
  }
}
