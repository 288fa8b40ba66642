import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorKind } from "../domain/errors";

/** How REST answers each kind of domain error. */
export const httpStatusOf: Record<ErrorKind, ContentfulStatusCode> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  business_rule: 422,
  throttled: 429,
};
