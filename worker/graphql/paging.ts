import type { ObjectRef } from "@pothos/core";
import { validationFailed } from "../domain/errors";
import { builder } from "./builder";

/** The most items one page answers, and how many when `first` is not given. */
export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 100;

/** `first` and `skip`, for every list. */
export const pageArgs = builder.args((t) => ({
  first: t.int({ required: true, defaultValue: DEFAULT_PAGE, description: `How many items at most (1 to ${MAX_PAGE}; ${DEFAULT_PAGE} if not given).` }),
  skip: t.int({ required: true, defaultValue: 0, description: "How many items to pass over first (for lists without `since`)." }),
}));

/** `since` with `first` and `skip`, for sync-style lists. */
export const syncArgs = builder.args((t) => ({
  since: t.string({
    required: false,
    description:
      "Since & until: \"\" (empty) to start from the beginning, or the `until` of your last page to get what changed after it, oldest change first, " +
      "deleted items included (`deleted: true`). Null or left out: no since-paging (the live items in the list's order, with `skip`). " +
      "An until is good for the same list with the same filters only.",
  }),
  ...pageArgs,
}));

/** A sync-style list's arguments checked: VALIDATION naming the argument otherwise. */
export function listOf(args: { since?: string | null; first: number; skip: number }) {
  const page = pageOf(args);
  const since = args.since ?? null;
  if (since !== null && page.skip !== 0) throw validationFailed([{ path: "skip", message: "cannot be combined with since: page on with until" }]);
  return { since, ...page };
}

/** `first` and `skip` checked: VALIDATION naming the argument otherwise. */
export function pageOf(args: { first: number; skip: number }) {
  const fields = [
    ...(Number.isInteger(args.first) && args.first >= 1 && args.first <= MAX_PAGE ? [] : [{ path: "first", message: `must be 1 to ${MAX_PAGE}` }]),
    ...(args.skip >= 0 ? [] : [{ path: "skip", message: "must be 0 or more" }]),
  ];
  if (fields.length) throw validationFailed(fields);
  return { first: args.first, skip: args.skip };
}

export interface PageShape<T> {
  items: T[];
  hasMoreResults: boolean;
  /** The position to pass back as `since` (sync-style lists only). */
  until: string | null;
}

/** A page type of `item`: its items, whether there are more, and (for since-paging) the `until` to pass back. */
export function pageResult<T>(name: string, item: ObjectRef<typeof builder extends { $inferSchemaTypes: infer S } ? S : never, T>, description: string) {
  return builder.objectRef<PageShape<T>>(name).implement({
    description,
    fields: (t) => ({
      items: t.field({ type: [item], description: "The items of this page, in the list's order.", resolve: (p) => p.items }),
      hasMoreResults: t.exposeBoolean("hasMoreResults", { description: "Whether more items follow this page (ask again with `skip`, or with `since` set to `until`)." }),
      until: t.exposeString("until", {
        nullable: true,
        description: "For since-paging: the opaque position reached. Keep it and pass it as `since` next time to get what changed after this page. Null when `since` was not given.",
      }),
    }),
  });
}
