import type { Hono, MiddlewareHandler } from "hono";
import { validator } from "hono/validator";
import { z } from "zod";
import type { Permission } from "../../schema/permissions";
import { requireDevice } from "../auth/device";
import { requireSocketCaller } from "../auth/socket-caller";
import { requireSyncCaller } from "../auth/sync-caller";
import { requireOperator, requirePermission, requireUser } from "../auth/middleware";
import type { AppContext, AppEnv } from "./app";
import { ok, paged, type Page } from "./envelope";
import { auditRefusals } from "./refusal-audit";
import { invalid, validationFailed, type FieldError } from "../domain/errors";
import { mountMethodNotAllowed } from "./method-not-allowed";
import { refuseUnusableText } from "./text-input";

/**
 * sync: a store's device on its own credential, or a till's user token (auth/sync-caller.ts); socket: the same for
 * the hub's WebSocket, any kind of device, the secret also from Sec-WebSocket-Protocol (auth/socket-caller.ts).
 */
export type AuthKind = "public" | "user" | "operator" | "device" | "sync" | "socket";
type Method = "get" | "post" | "put" | "patch" | "delete";
type Empty = z.ZodObject<{}>;

/** Error statuses a route answers, each with its error codes and when, for the OpenAPI document. */
export type RouteErrors = Partial<Record<400 | 401 | 403 | 404 | 409 | 422 | 429, string>>;

export interface RouteInput<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  params: z.output<P>;
  query: z.output<Q>;
  body: z.output<B>;
  /** The version the client saw, from `If-Match` or the body's `version`; undefined if it sent neither. */
  expectedVersion: number | undefined;
}

/**
 * One REST route: what it needs (auth, permission, inputs), what it answers, and a thin handler that calls a
 * service. The same definitions mount the routes, generate the OpenAPI document and drive the auth tests.
 */
export interface RouteDef<P extends z.ZodType = Empty, Q extends z.ZodType = Empty, B extends z.ZodType = Empty> {
  method: Method;
  /** Hono path below /api/v1, e.g. "/users/:id". */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  auth: AuthKind;
  permission?: Permission;
  params?: P;
  query?: Q;
  body?: B;
  /** The schema of `data` in a successful answer (an item's schema when `paged`). */
  response?: z.ZodType;
  paged?: boolean;
  status?: 200 | 201;
  /** The route takes the client's version for optimistic concurrency (409 when stale). */
  versioned?: boolean;
  /**
   * What the route answers beyond what the rest of its definition implies (400 always, 401 unless public, 403 with
   * a permission, 404 with path params, 409 VERSION_CONFLICT with `current` when versioned), e.g.
   * `{ 422: "UNKNOWN_REFERENCE: departmentId names no department of yours" }`. A 409 that names VERSION_CONFLICT
   * is documented with `current` even on a route that is not versioned.
   */
  errors?: RouteErrors;
  /** It also answers text/csv when asked (Accept: text/csv); the handler returns that Response itself. */
  csv?: boolean;
  /** Its 403 answers are recorded in the audit log (rate-limited): see refusal-audit.ts. */
  auditRefusals?: boolean;
  handler(c: AppContext, input: RouteInput<P, Q, B>): Promise<unknown>;
}

export const route = <P extends z.ZodType = Empty, Q extends z.ZodType = Empty, B extends z.ZodType = Empty>(
  def: RouteDef<P, Q, B>,
) => def as unknown as RouteDef<z.ZodType, z.ZodType, z.ZodType>;

export type AnyRoute = RouteDef<z.ZodType, z.ZodType, z.ZodType>;

export interface MountedRoute {
  method: Method;
  /** The full Hono path, e.g. "/api/v1/users/:id". */
  path: string;
  def: AnyRoute;
}

function toFields(issues: z.core.$ZodIssue[], location: "params" | "query" | "body"): FieldError[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    return { path: location === "body" ? path : [location, path].filter(Boolean).join("."), message: issue.message };
  });
}

/**
 * Validate one input with its schema: first the raw input's text (400 INVALID_TEXT: zod would strip an unknown
 * key with a NUL silently), then the schema (400 VALIDATION_ERROR naming each field).
 */
const validate = (target: "param" | "query" | "json", schema: z.ZodType, location: "params" | "query" | "body") =>
  validator(target, async (value) => {
    refuseUnusableText(value, location);
    const result = await schema.safeParseAsync(value);
    if (!result.success) throw validationFailed(toFields(result.error.issues, location));
    return result.data;
  }) as unknown as MiddlewareHandler<AppEnv>;

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

const requireJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const type = c.req.header("Content-Type")?.split(";")[0]?.trim() ?? "";
  if (!JSON_TYPE.test(type)) {
    throw invalid("UNSUPPORTED_CONTENT_TYPE", `The body must be JSON sent as Content-Type: application/json (got ${type || "none"})`);
  }
  await next();
};

/** The version `If-Match` names; undefined without one, and for `*`, which is any version (RFC 9110). */
function ifMatchVersion(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === "*") return undefined;
  const match = header.trim().match(/^(?:W\/)?"?(\d{1,9})"?$/);
  if (!match) throw invalid("INVALID_IF_MATCH", "If-Match must be the entity's version, e.g. If-Match: \"3\", or * for any version");
  return Number(match[1]);
}

function expectedVersion(c: AppContext, body: unknown): number | undefined {
  const fromHeader = ifMatchVersion(c.req.header("If-Match"));
  const fromBody = (body as { version?: number } | undefined)?.version;
  if (fromHeader !== undefined && fromBody !== undefined && fromHeader !== fromBody) {
    throw invalid("VERSION_MISMATCH", `If-Match says version ${fromHeader} but the body says ${fromBody}`);
  }
  return fromHeader ?? fromBody;
}

/** Mount the routes under `prefix`, then 405 for their paths' other methods. */
export function mountRoutes(app: Hono<AppEnv>, prefix: string, routes: AnyRoute[]): MountedRoute[] {
  const mounted = routes.map((def): MountedRoute => {
    const chain: MiddlewareHandler<AppEnv>[] = [];
    if (def.auth === "user") chain.push(requireUser);
    if (def.auth === "operator") chain.push(requireOperator);
    if (def.auth === "device") chain.push(requireDevice);
    if (def.auth === "sync") chain.push(requireSyncCaller);
    if (def.auth === "socket") chain.push(requireSocketCaller);
    if (def.auditRefusals && def.auth === "user") chain.push(auditRefusals(def.method, prefix + def.path));
    if (def.permission) chain.push(requirePermission(def.permission));
    if (def.params) chain.push(validate("param", def.params, "params"));
    if (def.query) chain.push(validate("query", def.query, "query"));
    if (def.body) chain.push(requireJsonBody, validate("json", def.body, "body"));
    const path = prefix + def.path;
    app.on(def.method.toUpperCase(), [path], ...(chain as []), async (c: AppContext) => {
      const valid = (target: string) => c.req.valid(target as never) as unknown;
      const body = def.body ? valid("json") : undefined;
      const input: RouteInput<z.ZodType, z.ZodType, z.ZodType> = {
        params: def.params ? valid("param") : {},
        query: def.query ? valid("query") : {},
        body,
        expectedVersion: def.versioned ? expectedVersion(c, body) : undefined,
      };
      const result = await def.handler(c, input);
      if (result instanceof Response) return result; // another media type (text/csv) or a WebSocket upgrade, as it is
      const status = def.status ?? 200;
      return c.json(def.paged ? paged(result as Page<unknown>) : ok(result), status);
    });
    return { method: def.method, path, def };
  });
  mountMethodNotAllowed(app, mounted);
  return mounted;
}
