import { GraphQLError } from "graphql";
import { DomainError, type ErrorKind } from "../domain/errors";

/**
 * The `extensions.code` of every error /graphql answers (the set is documented in schema/README.md and the
 * README). A domain error keeps its own code as `extensions.reason`.
 */
export const ERROR_CODES = {
  NOT_AUTHENTICATED: "No access token, or one that is invalid, expired or of an ended session (HTTP 401).",
  NOT_AUTHORIZED: "The caller lacks the permission the field needs (in the store it concerns, for a user).",
  VALIDATION: "The document or an argument is wrong: GraphQL's own validation, a depth/cost/alias/token limit, or an argument a service refused (`property` names it).",
  NOT_FOUND: "No such thing, or not the caller's to see.",
  CONFLICT: "The thing changed or exists already; `current` may carry its state.",
  BUSINESS_RULE: "Well-formed, but a business rule refuses it.",
  THROTTLED: "Too many attempts; `retryAfterSeconds` says when to try again.",
  INTERNAL: "Something failed on our side; the message is masked, quote `requestId` if you report it.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

const codeOfKind: Record<ErrorKind, ErrorCode> = {
  unauthenticated: "NOT_AUTHENTICATED",
  forbidden: "NOT_AUTHORIZED",
  invalid: "VALIDATION",
  not_found: "NOT_FOUND",
  conflict: "CONFLICT",
  business_rule: "BUSINESS_RULE",
  throttled: "THROTTLED",
};

const domainErrorIn = (error: unknown): DomainError | undefined => {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    if (e instanceof DomainError) return e;
    e = (e as { originalError?: unknown }).originalError;
  }
  return undefined;
};

/** A GraphQLError that came from graphql itself (parse, validation, coercion) or from us on purpose, not from a thrown bug. */
const isOwnGraphQLError = (error: unknown): error is GraphQLError =>
  error instanceof GraphQLError && (error.originalError == null || isOwnGraphQLError(error.originalError));

/** The extensions of a domain error: its code, the domain's own code as `reason`, and its details. */
export function domainExtensions(error: DomainError): Record<string, unknown> {
  const fields = error.details.fields;
  return {
    code: codeOfKind[error.kind],
    reason: error.code,
    ...(fields?.length ? { property: fields[0]!.path, fields } : {}),
    ...(error.details.current !== undefined ? { current: error.details.current } : {}),
    ...(error.details.retryAfterSeconds ? { retryAfterSeconds: error.details.retryAfterSeconds } : {}),
  };
}

/**
 * Yoga's maskError: a domain error becomes its code; GraphQL's own errors (a bad document, a variable of the
 * wrong type, a limit) keep their shape with code VALIDATION; anything else is masked as INTERNAL (the request id
 * is added by `finalErrors`, which sees the request).
 */
export function maskError(error: unknown, message: string): Error {
  const domain = domainErrorIn(error);
  const graphql = error instanceof GraphQLError ? error : undefined;
  if (domain) {
    const http = domain.kind === "unauthenticated" ? { http: { status: 401 } } : {};
    return new GraphQLError(domain.message, { nodes: graphql?.nodes, path: graphql?.path, source: graphql?.source, positions: graphql?.positions, extensions: { ...domainExtensions(domain), ...http } });
  }
  if (isOwnGraphQLError(error)) {
    const code = error.extensions.code;
    if (typeof code === "string" && Object.hasOwn(ERROR_CODES, code)) return error;
    // GraphQL's and Yoga's own (GRAPHQL_PARSE_FAILED, BAD_REQUEST, …) become VALIDATION, keeping theirs as the reason.
    const reason = typeof code === "string" ? { reason: code } : {};
    return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, extensions: { ...error.extensions, code: "VALIDATION", ...reason } });
  }
  console.error(JSON.stringify({ graphql: true, error: String(error), stack: (error as Error)?.stack, cause: String((error as GraphQLError)?.originalError ?? "") }));
  return new GraphQLError(message, { path: graphql?.path, nodes: graphql?.nodes, extensions: { code: "INTERNAL" } });
}

/**
 * The errors as answered: INTERNAL ones get the request id (maskError cannot see the request), and any code that is
 * not ours (Yoga's GRAPHQL_VALIDATION_FAILED, set after masking) becomes VALIDATION with it as the reason.
 */
export function finalErrors(errors: readonly GraphQLError[], requestId: string): GraphQLError[] {
  return errors.map((e) => {
    const code = e.extensions.code;
    const extensions =
      code === "INTERNAL" ? { ...e.extensions, requestId }
      : typeof code === "string" && Object.hasOwn(ERROR_CODES, code) ? undefined
      : { ...e.extensions, code: "VALIDATION", ...(typeof code === "string" ? { reason: code } : {}) };
    return extensions ? new GraphQLError(e.message, { nodes: e.nodes, source: e.source, positions: e.positions, path: e.path, extensions }) : e;
  });
}
