import type { Handler, Hono } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "./app";
import { failure } from "./envelope";

/**
 * After every route of a table is mounted, a catch-all per path: a request whose path a route matches but whose
 * method none does is 405 with `Allow`, not 404. The methods are those of every pattern that matches the request
 * (`/users/store-employees` also matches `/users/:id`), plus HEAD where GET is (Hono answers it from GET) and
 * OPTIONS (the CORS middleware answers it for every path before routing).
 */
export function mountMethodNotAllowed(app: Hono<AppEnv>, routes: { method: string; path: string }[]) {
  const methodsOf = new Map<string, Set<string>>();
  for (const { method, path } of routes) {
    const methods = methodsOf.get(path) ?? methodsOf.set(path, new Set()).get(path)!;
    methods.add(method.toUpperCase());
    if (method.toUpperCase() === "GET") methods.add("HEAD");
  }
  const answer: Handler<AppEnv> = (c) => {
    const allowed = new Set(["OPTIONS"]);
    for (const matched of matchedRoutes(c)) for (const m of methodsOf.get(matched.path) ?? []) allowed.add(m);
    const allow = [...allowed].sort().join(", ");
    c.header("Allow", allow);
    return c.json(failure("METHOD_NOT_ALLOWED", `${c.req.method} is not supported on ${new URL(c.req.url).pathname}; use ${allow}`, c.get("requestId")), 405);
  };
  for (const path of methodsOf.keys()) app.all(path, answer);
}
