/**
 * Errors the domain raises, neutral to the face that answers them. `code` is stable and machine-readable,
 * `message` is for people, `kind` says what sort of refusal it is; each face maps the kind onto its own
 * answer (REST: worker/http/errors.ts to a status; GraphQL: worker/graphql/errors.ts to extensions.code).
 * Anything thrown that is not a DomainError is answered as a masked internal error.
 */

export type ErrorKind =
  | "invalid" // the request is malformed or a field is wrong
  | "unauthenticated" // no valid credential
  | "forbidden" // the caller may not do this
  | "not_found" // no such thing (or not the caller's to see)
  | "conflict" // the thing changed or exists; the current state comes along
  | "business_rule" // well-formed, but a rule of the business refuses it
  | "throttled"; // too many attempts; try again later

export interface FieldError {
  path: string;
  message: string;
  /** For a figure that does not agree: what came, and what it should be. */
  received?: unknown;
  expected?: unknown;
}

export interface ErrorDetails {
  fields?: FieldError[];
  current?: unknown;
  retryAfterSeconds?: number;
}

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }
}

export const invalid = (code: string, message: string, fields?: FieldError[]) =>
  new DomainError("invalid", code, message, { fields });

export const validationFailed = (fields: FieldError[]) =>
  new DomainError("invalid", "VALIDATION_ERROR", `Invalid request: ${fields.map((f) => `${f.path || "(body)"} ${f.message}`).join("; ")}`, { fields });

export const unauthenticated = (code = "UNAUTHENTICATED", message = "A valid access token is required") =>
  new DomainError("unauthenticated", code, message);

export const forbidden = (message: string, code = "FORBIDDEN") => new DomainError("forbidden", code, message);

export const notFound = (entity: string, code = "NOT_FOUND", message = `${entity} not found`) =>
  new DomainError("not_found", code, message);

export const conflict = (code: string, message: string, current?: unknown, fields?: FieldError[]) =>
  new DomainError("conflict", code, message, { current, fields });

export const businessRule = (code: string, message: string, fields?: FieldError[]) =>
  new DomainError("business_rule", code, message, { fields });

export const throttled = (code: string, message: string, retryAfterSeconds: number) =>
  new DomainError("throttled", code, message, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) });
