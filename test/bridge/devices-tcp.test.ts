import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import type { ManagedPrinter } from "../../bridge/devices/managed-printer";
import { PrinterWriteError } from "../../bridge/devices/printer";
import { openTcpPrinter } from "../../bridge/devices/tcp";
import { FakeTcpPrinter } from "../fakes/tcp-printer";

const timings = { pollIntervalMs: 40, statusTimeoutMs: 400, writeTimeoutMs: 400, backoff: { initialMs: 10, maxMs: 40 } };
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

async function setup(options: { on?: boolean } = {}) {
  const fake = await new FakeTcpPrinter().start();
  cleanup.push(() => fake.stop());
  if (options.on === false) await fake.powerOff();
  const printer = openTcpPrinter({ host: "127.0.0.1", port: fake.port, ...timings });
  cleanup.push(() => printer.close());
  if (options.on !== false) await printer.whenConnected();
  return { fake, printer };
}

/** Printable bytes (no DLE, so no accidental DLE EOT inside the job). */
function job(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = 0x20 + (x % 95);
  }
  return bytes;
}

const nextStatus = (printer: ManagedPrinter) => once(printer, "status").then(([s]) => s);

describe("TCP 9100 printer", () => {
  it("connects, reads its status with DLE EOT 1-4 and reports it", async () => {
    const { fake, printer } = await setup();
    expect(printer.connected).toBe(true);
    expect(printer.identity).toEqual({ type: "tcp", host: "127.0.0.1", port: fake.port });
    expect(fake.connections[0]!.requests.slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(printer.lastStatus).toMatchObject({ online: true, coverOpen: false, paperOut: false, drawerOpen: false });
  });

  it("decodes every scripted status: cover open, paper out, paper near end, drawer open, back online", async () => {
    const { fake, printer } = await setup();
    fake.status = { coverOpen: true };
    expect(await printer.status()).toMatchObject({ online: false, coverOpen: true, paperOut: false });
    fake.status = { paperOut: true };
    expect(await printer.status()).toMatchObject({ online: false, coverOpen: false, paperOut: true, paperNearEnd: true });
    fake.status = { paperNearEnd: true };
    expect(await printer.status()).toMatchObject({ online: true, paperOut: false, paperNearEnd: true });
    fake.status = { drawerOpen: true };
    expect(await printer.status()).toMatchObject({ online: true, drawerOpen: true });
    fake.status = {};
    expect(await printer.status()).toMatchObject({ online: true, drawerOpen: false, paperNearEnd: false, error: false });
  });

  it("polls when idle and reports a change without being asked", async () => {
    const { fake, printer } = await setup();
    const changed = nextStatus(printer);
    fake.status = { paperOut: true };
    expect(await changed).toMatchObject({ paperOut: true, online: false });
    const back = nextStatus(printer);
    fake.status = {};
    expect(await back).toMatchObject({ paperOut: false, online: true });
  });

  it("delivers a job's bytes intact and in order, then confirms with a status read", async () => {
    const { fake, printer } = await setup();
    const first = job(200_000, 7);
    const second = job(1_000, 8);
    await Promise.all([printer.write(first), printer.write(second)]);
    expect(fake.printed.equals(Buffer.concat([first, second]))).toBe(true);
    const connection = fake.connections[0]!;
    // connect: 1-4; after each job: 1-4 (possibly an idle poll between)
    expect(connection.requests.length % 4).toBe(0);
    expect(connection.requests.length).toBeGreaterThanOrEqual(12);
  });

  it("reports the status read after a job (paper out while printing)", async () => {
    const { fake, printer } = await setup();
    fake.status = { paperOut: true };
    const changed = nextStatus(printer);
    await printer.write(job(100));
    expect(await changed).toMatchObject({ paperOut: true });
    expect(printer.lastStatus).toMatchObject({ paperOut: true });
  });

  it("rejects a job whose connection drops mid-way with 'may have partly printed', then reconnects", async () => {
    const { fake, printer } = await setup();
    fake.dropAfterBytes(64 * 1024);
    const disconnected = once(printer, "disconnected");
    const error = await printer.write(job(4 * 1024 * 1024)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrinterWriteError);
    expect((error as PrinterWriteError).mayHavePrinted).toBe(true);
    expect((error as PrinterWriteError).message).toMatch(/lost while sending.*may have partly printed/);
    await disconnected;
    await once(printer, "connected");
    expect(fake.connections.length).toBe(2);
    await printer.write(Uint8Array.of(0x1b, 0x40));
    expect([...fake.connections[1]!.printed]).toEqual([0x1b, 0x40]);
  });

  it("says nothing was sent when a job comes while the printer is off, and comes back when it is on", async () => {
    const { fake, printer } = await setup();
    const disconnected = once(printer, "disconnected");
    await fake.powerOff();
    await disconnected;
    expect(printer.connected).toBe(false);
    const error = (await printer.write(job(10)).catch((e: unknown) => e)) as PrinterWriteError;
    expect(error).toBeInstanceOf(PrinterWriteError);
    expect(error.mayHavePrinted).toBe(false);
    expect(error.code).toBe("disconnected");
    expect(error.message).toMatch(/nothing was sent/);
    await expect(printer.status()).rejects.toMatchObject({ code: "disconnected" });

    const connected = once(printer, "connected");
    await fake.powerOn();
    await connected;
    await printer.write(job(10, 3));
    expect(fake.connections.at(-1)!.printed.equals(Buffer.from(job(10, 3)))).toBe(true);
  });

  it("keeps trying while the printer refuses connections from the start", async () => {
    const { fake, printer } = await setup({ on: false });
    await expect(printer.write(job(1))).rejects.toMatchObject({ code: "disconnected", mayHavePrinted: false });
    await fake.powerOn();
    await printer.whenConnected();
    expect(printer.lastStatus?.online).toBe(true);
  });

  it("notices a dropped connection while idle and reconnects by itself", async () => {
    const { fake, printer } = await setup();
    const disconnected = once(printer, "disconnected");
    fake.dropConnections();
    const [reason] = await disconnected;
    expect(reason).toMatch(/connection/);
    await once(printer, "connected");
    expect(fake.live.length).toBe(1);
  });

  it("detects a stalled printer (no status answer) and reconnects once it reads again", async () => {
    const { fake, printer } = await setup();
    const disconnected = once(printer, "disconnected");
    fake.stall();
    const [reason] = await disconnected;
    expect(reason).toMatch(/no answer to DLE EOT/);
    const connected = once(printer, "connected");
    fake.resume();
    await connected;
    expect(printer.connected).toBe(true);
  });

  it("rejects a job sent into a stall as possibly partly printed", async () => {
    const { fake, printer } = await setup();
    fake.stall();
    const error = (await printer.write(job(500)).catch((e: unknown) => e)) as PrinterWriteError;
    expect(error).toBeInstanceOf(PrinterWriteError);
    expect(error.mayHavePrinted).toBe(true);
    expect(error.message).toMatch(/did not confirm.*may have partly printed/);
  });

  it("rejects a write after close without sending, and stops reconnecting", async () => {
    const { fake, printer } = await setup();
    await printer.close();
    await expect(printer.write(job(1))).rejects.toMatchObject({ code: "closed", mayHavePrinted: false });
    if (!fake.connections[0]!.ended) await once(fake, "closed");
    expect(printer.connected).toBe(false);
    expect(fake.connections.length).toBe(1);
  });
});
