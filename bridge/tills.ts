/**
 * The store's tills as the hub last listed them (schema/sync's `tills` message): whose device credential the local
 * API takes. Kept in the journal's folder (tills.json, 0600, replaced atomically) so that a bridge restarted while
 * the internet is down still knows them. A till revoked while the bridge cannot hear the hub keeps working here
 * until the hub's next list: the local API is for a shop's own network during an outage, and the hub's list is
 * sent again at every connect.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { TillCredential } from "../schema/sync/bridge-messages";
import { replaceFileDurably } from "./durable-file";
import { type Logger, silentLogger } from "./log";

const FILE_NAME = "tills.json";
const Saved = z.object({ tills: z.array(TillCredential), at: z.number().int() });

export interface KnownTill {
  deviceId: string;
  registerId: string | null;
}

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

export class TillDirectory {
  private byDigest = new Map<string, KnownTill>();
  private at = 0;
  /** Saves one at a time: two lists in quick succession must not write the same temporary file at once. */
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {}

  /** The directory saved in `dir`, or an empty one (no till can use the local API until the hub's first list). */
  static async open(dir: string, log: Logger = silentLogger): Promise<TillDirectory> {
    const directory = new TillDirectory(path.join(dir, FILE_NAME), log);
    let text: string | undefined;
    try {
      text = await readFile(directory.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    if (text !== undefined) {
      const saved = Saved.safeParse(JSON.parse(text));
      if (saved.success) directory.set(saved.data.tills, saved.data.at);
      else log.warn(`${directory.file} is not a list of tills; ignored until the hub sends one`);
    }
    return directory;
  }

  get size(): number {
    return this.byDigest.size;
  }

  /** The till whose credential this is, if the hub's last list has it. */
  check(credential: string): KnownTill | undefined {
    return this.byDigest.get(sha256Hex(credential));
  }

  /** The hub's new list: replaces the old one, in memory at once and on disk before it resolves. */
  replace(tills: TillCredential[], at: number): Promise<void> {
    if (at < this.at) return Promise.resolve(); // an older list that arrived late
    this.set(tills, at);
    const saved = this.saving.then(() => (this.at === at ? this.save(tills, at) : undefined)); // a newer one will be saved instead
    this.saving = saved.catch(() => undefined);
    return saved;
  }

  private async save(tills: TillCredential[], at: number): Promise<void> {
    await replaceFileDurably(this.file, JSON.stringify({ tills, at }));
    this.log.info("the hub's list of tills for the local API", { tills: tills.length });
  }

  private set(tills: TillCredential[], at: number): void {
    this.byDigest = new Map(tills.map((t) => [t.credentialSha256, { deviceId: t.deviceId, registerId: t.registerId }]));
    this.at = at;
  }
}
