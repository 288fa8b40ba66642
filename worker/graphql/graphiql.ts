import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/app";

/** GraphiQL's page in the static assets (worker/assets/graphiql/; its vendor files are copied by scripts/docs-assets.mjs). */
export const GRAPHIQL_PAGE = "/graphiql/";

/** Whether an Accept header names text/html (with a q above 0), as a browser's navigation does. */
export function acceptsHtml(accept: string | null): boolean {
  return (accept ?? "").split(",").some((range) => {
    const [type, ...params] = range.split(";").map((part) => part.trim().toLowerCase());
    if (type !== "text/html") return false;
    const q = params.find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * On the GraphQL endpoint: a browser's GET (Accept: text/html) gets GraphiQL, served from the Worker's own assets
 * so it works offline; every other request (a GraphQL GET or POST) goes on to the endpoint. The page says it
 * varies with Accept, so a cache does not hand it to a GraphQL GET of the same URL.
 */
export const graphiqlPage: MiddlewareHandler<AppEnv> = async (c, next) => {
  if ((c.req.method !== "GET" && c.req.method !== "HEAD") || !acceptsHtml(c.req.header("Accept") ?? null)) return next();
  const page = await c.env.ASSETS.fetch(new Request(new URL(GRAPHIQL_PAGE, c.req.url), { method: c.req.method, headers: c.req.raw.headers }));
  const response = new Response(page.body, page);
  response.headers.append("Vary", "Accept");
  return response;
};
