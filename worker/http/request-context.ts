import type { MiddlewareHandler } from "hono";
import { createDb } from "../db/client";
import { D1Meter } from "./d1-meter";
import type { AppEnv } from "./app";

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/**
 * First middleware of every request: a request id (the caller's if it sent a sane one), a metered database
 * and the `Server-Timing` header, set after everything else, error answers included.
 */
export const requestContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const incoming = c.req.header("X-Request-Id");
  const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
  const meter = new D1Meter();
  c.set("requestId", requestId);
  c.set("meter", meter);
  c.set("db", createDb(meter.wrap(c.env.DB)));
  c.set("request", {
    requestId,
    ip: c.req.header("CF-Connecting-IP") ?? c.req.header("X-Real-IP") ?? "unknown",
    now: Date.now(),
  });
  await next();
  c.res.headers.set("X-Request-Id", requestId);
  c.res.headers.append("Server-Timing", meter.header());
};
