import type { Db } from "../db/client";
import { commit, isGuardFailure, isUniqueViolation, type Statement } from "../db/batch";
import { conflict } from "./errors";

export const toIso = (ms: number) => new Date(ms).toISOString();
export const toIsoOrNull = (ms: number | null | undefined) => (ms == null ? null : toIso(ms));

/** 409 with the current row when the client's version is not the row's. */
export function checkVersion(entity: string, currentVersion: number, expected: number | undefined, current: () => unknown) {
  if (expected !== undefined && expected !== currentVersion) {
    throw conflict("VERSION_CONFLICT", `${entity} is at version ${currentVersion}; you sent ${expected}. Reload it and try again.`, current());
  }
}

export interface UniqueRule {
  /** Text the UNIQUE failure names, e.g. "users.username". */
  column: string;
  error: () => Error;
}

/**
 * Commit a write batch; a guard failure means another write won the race (answer 409 with what is there now),
 * a UNIQUE failure maps to the rule's error. Either way nothing of the batch was written.
 */
export async function commitWrite(
  db: Db,
  statements: Statement[],
  options: { onStale?: () => Promise<never>; unique?: UniqueRule[] } = {},
) {
  try {
    return await commit(db, statements);
  } catch (error) {
    if (options.onStale && isGuardFailure(error)) await options.onStale();
    for (const rule of options.unique ?? []) if (isUniqueViolation(error, rule.column)) throw rule.error();
    throw error;
  }
}
