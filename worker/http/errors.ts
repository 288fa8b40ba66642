import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface FieldError {
  path: string;
  message: string;
  /** For a figure that does not agree: what came, and what it should be. */
  received?: unknown;
  expected?: unknown;
}

/**
 * An error the client can act on. `code` is stable and machine-readable; `message` is for people.
 * Anything thrown that is not an ApiError is answered as a masked 500.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly extra: { fields?: FieldError[]; current?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, fields?: FieldError[]) =>
  new ApiError(400, code, message, { fields });

export const validationFailed = (fields: FieldError[]) =>
  new ApiError(400, "VALIDATION_ERROR", `Invalid request: ${fields.map((f) => `${f.path || "(body)"} ${f.message}`).join("; ")}`, { fields });

export const unauthenticated = (code = "UNAUTHENTICATED", message = "A valid access token is required") =>
  new ApiError(401, code, message);

export const forbidden = (message: string, code = "FORBIDDEN") => new ApiError(403, code, message);

export const notFound = (entity: string) => new ApiError(404, "NOT_FOUND", `${entity} not found`);

export const conflict = (code: string, message: string, current?: unknown) =>
  new ApiError(409, code, message, { current });

export const unprocessable = (code: string, message: string, fields?: FieldError[]) =>
  new ApiError(422, code, message, { fields });

export const tooManyRequests = (code: string, message: string, retryAfterSeconds: number) =>
  new ApiError(429, code, message, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) });
