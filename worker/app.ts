import { Hono, type Handler } from "hono";
import { cors } from "hono/cors";
import { signingKeys } from "./auth/keys";
import { isAllowedOrigin } from "./domain/cors-origins";
import type { AppEnv } from "./http/app";
import { limitBody } from "./http/body-limit";
import { notFoundRoute, onError } from "./http/on-error";
import { requestContext } from "./http/request-context";
import { mountRoutes } from "./http/route";
import { mountOAuth } from "./oauth";
import { graphiqlPage } from "./graphql/graphiql";
import { openApiDocument } from "./openapi/document";
import { v1Routes } from "./rest/v1";
import { graphqlHandler } from "./graphql/yoga";

export const MAX_BODY_BYTES = 1024 * 1024;

const app = new Hono<AppEnv>();

app.use("*", requestContext);
app.use(
  "*",
  cors({
    origin: async (origin, c) => (origin && (await isAllowedOrigin(c.get("db"), origin)) ? origin : null),
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
    allowHeaders: ["Authorization", "Content-Type", "If-Match", "Idempotency-Key", "X-Request-Id", "X-Device-Credential"],
    exposeHeaders: ["Server-Timing", "X-Request-Id", "Retry-After", "ETag"],
    maxAge: 600,
  }),
);
app.use("/api/*", limitBody(MAX_BODY_BYTES));
app.use("/graphql", limitBody(MAX_BODY_BYTES));

app.get("/health", async (c) => {
  try {
    await c.get("db").run("SELECT 1");
    return c.json({ status: "ok" });
  } catch {
    return c.json({ status: "degraded", database: "unreachable" }, 503);
  }
});

app.get("/.well-known/jwks.json", async (c) => {
  const { publicJwk } = await signingKeys(c.env.JWT_PRIVATE_KEY);
  c.header("Cache-Control", "public, max-age=300");
  return c.json({ keys: [publicJwk] });
});

// A browser's GET of the GraphQL endpoint gets GraphiQL (static assets, below); GraphQL requests go on past it.
app.get("/graphql", graphiqlPage);
app.on(["GET", "POST"], "/graphql", graphqlHandler);
mountOAuth(app);

export const routeTable = mountRoutes(app, "/api/v1", v1Routes);

let openApi: ReturnType<typeof openApiDocument> | undefined;
app.get("/api/v1/openapi.json", (c) => c.json((openApi ??= openApiDocument(routeTable))));
// The reference UI and GraphiQL are static assets (worker/assets/docs, worker/assets/graphiql), answered before the
// Worker runs; a request for them that reaches the Worker anyway (a path with no file, or a caller that bypasses the
// asset router) is handed to them.
const staticAsset: Handler<AppEnv> = async (c) => {
  const response = await c.env.ASSETS.fetch(c.req.raw);
  return response.status === 404 ? notFoundRoute(c) : response;
};
app.get("/docs", staticAsset);
app.get("/docs/*", staticAsset);
app.get("/graphiql/*", staticAsset);

app.notFound(notFoundRoute);
app.onError(onError);

export { app };
