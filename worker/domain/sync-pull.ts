import { and, eq, inArray, sql } from "drizzle-orm";
import { SYNC_ENTITY_TYPES, type SyncChange, type SyncEntityType, type SyncPullResult } from "../../schema/contracts/sync-pull";
import { devices } from "../../schema/db";
import { rawStatement, type Statement } from "../db/batch";
import type { Db } from "../db/client";
import { forbidden } from "./errors";
import { decodeCursor, encodeCursor } from "./sync-pull-cursor";
import { ENTITY_SOURCES, feedKey, windowRows, type PullWindow } from "./sync-pull-entities";

/**
 * A page of the change feed for a store's till, in one D1 batch (one round trip, one transaction, so every
 * statement sees the same snapshot): the window of feed rows after the cursor, per entity type the current rows
 * of the entities in that window, and the device's last pull. An entity changed many times in the window is
 * answered once, in its current state, at the position of its newest change. A write that commits after the
 * batch has a higher seq than anything in it, so the next page finds it: nothing is skipped, nothing is lost.
 */

export interface PullCaller {
  tenantId: string;
  storeId: string;
  deviceId: string;
}

export interface PullRequest {
  since?: string;
  entityTypes?: SyncEntityType[];
  limit: number;
  now: number;
}

interface FeedRow { seq: number; entity: string; entity_id: string }

/** Kinds of device whose own credential, or a session started at them, may pull (a bridge only prints). */
const PULLING_KINDS = ["register", "store", "sync"] as const;

const typeOrder = new Map<string, number>(SYNC_ENTITY_TYPES.map((t, i) => [t, i]));

export async function pullChanges(db: Db, secret: string, caller: PullCaller, request: PullRequest): Promise<SyncPullResult> {
  const types = request.entityTypes?.length ? request.entityTypes : undefined;
  const filter = types ? types.join(",") : null;
  const since = request.since
    ? (await decodeCursor(secret, request.since, { tenantId: caller.tenantId, storeId: caller.storeId, filter })).seq
    : 0;
  const sources = ENTITY_SOURCES.filter((s) => !types || types.includes(s.type));
  const w: PullWindow = {
    tenantId: caller.tenantId, storeId: caller.storeId, since, limit: request.limit, kinds: [...new Set(sources.flatMap((s) => s.kinds))].sort(),
  };

  // The feed rows are read one past the page: whether that one exists is `hasMore`.
  const feed = rawStatement<FeedRow>(db, windowRows(w, w.limit + 1));
  const reached = sql`coalesce((SELECT max(win.seq) FROM (${windowRows(w, w.limit)}) AS win), ${since})`;
  // A filtered pull reaches `seq` for those types only, so only a full one moves the device's last_pull_seq.
  const thisDevice = and(eq(devices.id, caller.deviceId), eq(devices.tenantId, caller.tenantId));
  // A till's session names the device it was started at, which may be a bridge (a PIN typed there): its kind is
  // read in the same batch, so such a session gets nothing and records no pull.
  const deviceKind = db.select({ kind: devices.kind }).from(devices).where(thisDevice);
  const lastPull = db
    .update(devices)
    .set({ lastPullAt: request.now, ...(types ? {} : { lastPullSeq: sql`${reached}` }) })
    .where(and(thisDevice, inArray(devices.kind, [...PULLING_KINDS])));
  const results = (await db.batch([deviceKind, feed, ...sources.map((s) => s.query(db, w)), lastPull] as unknown as [Statement, ...Statement[]])) as unknown[][];
  const [kindRows, feedRows, ...rest] = results;
  const kind = (kindRows as { kind: string }[])[0]?.kind;
  if (!PULLING_KINDS.includes(kind as never)) throw forbidden(`A session started at a ${kind ?? "unknown"} device does not sync the store's data`, "DEVICE_KIND_CANNOT_SYNC");

  const window = (feedRows as FeedRow[]).slice(0, w.limit);
  const seqOf = new Map<string, number>();
  for (const row of window) seqOf.set(feedKey(row.entity, row.entity_id), row.seq);
  const changes: SyncChange[] = [];
  sources.forEach((source, i) => {
    for (const row of source.rows(rest[i] as unknown[], w)) {
      const seq = Math.max(...row.keys.map((k) => seqOf.get(k) ?? 0));
      if (seq === 0) continue;
      changes.push(
        row.data === null
          ? { entity: source.type, op: "delete", id: row.id, version: row.version, seq }
          : ({ entity: source.type, op: "upsert", id: row.id, version: row.version, seq, data: row.data } as SyncChange),
      );
    }
  });
  changes.sort((a, b) => a.seq - b.seq || typeOrder.get(a.entity)! - typeOrder.get(b.entity)! || a.id.localeCompare(b.id));

  const seq = window.at(-1)?.seq ?? since;
  return {
    changes,
    cursor: await encodeCursor(secret, { tenantId: caller.tenantId, storeId: caller.storeId, seq, filter }),
    seq,
    hasMore: feedRows!.length > w.limit,
  };
}
