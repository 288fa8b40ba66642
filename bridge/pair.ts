/**
 * Enrolment: turn a pairing code into the bridge's device credential, once, and keep it in a file only its owner
 * can read (0600). An administrator makes the code in the back office, for a device of kind `bridge`:
 * POST /api/v1/stores/:storeId/devices {"kind":"bridge","name":"…"} answers `pairing.code` (8 characters, 15
 * minutes); the bridge exchanges it at POST /api/v1/devices/pair. The credential is never printed or logged.
 */
import { open, rename, unlink } from "node:fs/promises";

export class PairError extends Error {
  override name = "PairError";
}

export interface PairOptions {
  hub: URL;
  code: string;
  out: string;
  /** Replace a credential file that exists (a re-enrolled bridge). */
  force?: boolean;
  fetch?: typeof fetch;
}

export interface Paired {
  deviceId: string;
  store: { id: string; code: string; name: string };
  tenant: { id: string; slug: string };
}

interface PairAnswer {
  success: boolean;
  error?: string;
  code?: string;
  data?: { credential: string; device: { id: string; kind: string; name: string }; store: Paired["store"]; tenant: Paired["tenant"] };
}

/** Write `text` to `file` with mode 0600: a new file, or (force) a new file renamed over the old one. */
async function writeSecret(file: string, text: string, force: boolean): Promise<void> {
  const target = force ? `${file}.${process.pid}.tmp` : file;
  let handle;
  try {
    handle = await open(target, "wx", 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new PairError(`${file} exists already; pass --force to replace it`);
    throw new PairError(`cannot write ${file}: ${(e as Error).message}`);
  }
  try {
    await handle.writeFile(`${text}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (force) {
    try {
      await rename(target, file);
    } catch (e) {
      await unlink(target).catch(() => undefined);
      throw new PairError(`cannot write ${file}: ${(e as Error).message}`);
    }
  }
}

export async function pair(options: PairOptions): Promise<Paired> {
  const doFetch = options.fetch ?? fetch;
  const url = new URL("/api/v1/devices/pair", options.hub);
  let response: Response;
  try {
    response = await doFetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code: options.code }) });
  } catch (e) {
    throw new PairError(`cannot reach ${url.origin}: ${(e as Error).message}`);
  }
  let answer: PairAnswer;
  try {
    answer = (await response.json()) as PairAnswer;
  } catch {
    throw new PairError(`${url.origin} answered ${response.status} without JSON: is --hub the POS server's address?`);
  }
  if (!response.ok || !answer.success || !answer.data) {
    throw new PairError(`pairing refused (${response.status} ${answer.code ?? ""}): ${answer.error ?? "no reason given"}`);
  }
  const { credential, device, store, tenant } = answer.data;
  if (device.kind !== "bridge") {
    throw new PairError(
      `that code enrolled a device of kind "${device.kind}" (${device.name}, id ${device.id}), not a bridge: nothing was saved. ` +
        "Revoke that device in the back office and make a bridge's code (POST /api/v1/stores/:storeId/devices with kind \"bridge\")",
    );
  }
  await writeSecret(options.out, credential, options.force ?? false);
  return { deviceId: device.id, store, tenant };
}
