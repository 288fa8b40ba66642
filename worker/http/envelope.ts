import type { FieldError } from "../domain/errors";

import type { Page } from "../db/paging";

export type { Page };

export const ok = <T>(data: T) => ({ success: true as const, data });

export const paged = <T>(p: Page<T>) => ({
  success: true as const,
  data: p.items,
  total: p.total,
  page: p.page,
  pageSize: p.pageSize,
});

export const failure = (code: string, error: string, requestId?: string, fields?: FieldError[], current?: unknown) => ({
  success: false as const,
  error,
  code,
  ...(fields?.length ? { fields } : {}),
  ...(current !== undefined ? { current } : {}),
  ...(requestId ? { requestId } : {}),
});
