import type { ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./app";
import { failure } from "./envelope";
import { DomainError } from "../domain/errors";
import { httpStatusOf } from "./errors";

export const onError: ErrorHandler<AppEnv> = (error, c) => {
  const requestId = c.get("requestId");
  if (error instanceof DomainError) {
    if (error.details.retryAfterSeconds) c.header("Retry-After", String(error.details.retryAfterSeconds));
    return c.json(failure(error.code, error.message, requestId, error.details.fields, error.details.current), httpStatusOf[error.kind]);
  }
  if (error instanceof HTTPException && error.status < 500) {
    const code = /malformed json/i.test(error.message) ? "MALFORMED_JSON" : "BAD_REQUEST";
    const message = code === "MALFORMED_JSON" ? "The request body is not valid JSON" : error.message || "Bad request";
    return c.json(failure(code, message, requestId), error.status);
  }
  console.error(JSON.stringify({ requestId, error: String(error), stack: (error as Error)?.stack }));
  return c.json(failure("INTERNAL", "Something went wrong on our side; quote the request id if you report it", requestId), 500);
};

export const notFoundRoute: NotFoundHandler<AppEnv> = (c) =>
  c.json(failure("ROUTE_NOT_FOUND", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`, c.get("requestId")), 404);
