import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app";
import { failure } from "./envelope";
import { invalid } from "../domain/errors";

/**
 * How much of an oversized body without a length is still read (and dropped) so that the connection stays
 * usable: Cloudflare's smallest plan refuses request bodies over 100 MB before the Worker sees them, so there
 * every oversized body is drained; locally it bounds what a runaway client can make the Worker read.
 */
const DRAIN_LIMIT_BYTES = 100 * 1024 * 1024;

/**
 * 400 BODY_TOO_LARGE for a request body over `maxBytes`. A declared Content-Length is judged before reading
 * (the runtime holds the body to it and discards what is not read). A body without one (Transfer-Encoding:
 * chunked) is counted as it is read, and past the limit the rest of it is read and dropped before answering:
 * workerd gives no answer to the next request on a keep-alive connection whose chunked body was left unread
 * (hono's bodyLimit stopped reading there, and that next request hung).
 */
export function limitBody(maxBytes: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const body = c.req.raw.body;
    if (!body) return next();
    const tooLarge = () => c.json(failure("BODY_TOO_LARGE", `The request body is larger than ${maxBytes} bytes`, c.get("requestId")), 400);
    const declared = c.req.header("Content-Length");
    if (declared !== undefined && !c.req.header("Transfer-Encoding")) return Number(declared) > maxBytes ? tooLarge() : next();

    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read().catch(() => {
        throw invalid("BODY_INCOMPLETE", "The request body broke off before its end");
      });
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await drain(reader, size);
        return tooLarge();
      }
      chunks.push(value);
    }
    c.req.raw = new Request(c.req.raw, { body: concat(chunks, size) });
    return next();
  };
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, seen: number) {
  try {
    while (seen <= DRAIN_LIMIT_BYTES) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The client went away mid-body: nobody is left to answer.
  }
}

function concat(chunks: Uint8Array[], size: number) {
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return all;
}
