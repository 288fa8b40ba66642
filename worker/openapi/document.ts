import { z } from "zod";
import { ErrorEnvelope } from "../../schema/contracts/common";
import { DEVICE_CREDENTIAL_HEADER } from "../../schema/contracts/devices";
import type { AuthKind, MountedRoute } from "../http/route";

type JsonSchema = Record<string, unknown>;

const jsonSchema = (schema: z.ZodType, io: "input" | "output"): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
  return rest;
};

const ERROR: JsonSchema = { $ref: "#/components/schemas/Error" };

const errorResponse = (description: string, schema: JsonSchema = ERROR) => ({
  description,
  content: { "application/json": { schema } },
});

const joined = (...parts: (string | false | undefined)[]) => parts.filter(Boolean).join("; ");

/**
 * What `current` of a 409 is: the object as the route answers it, or for a delete (which answers only the id) as
 * the update of the same path answers it.
 */
function currentSchema(route: MountedRoute, routes: MountedRoute[]): JsonSchema {
  const answering = route.method === "delete"
    ? routes.find((r) => r.path === route.path && (r.method === "put" || r.method === "patch") && r.def.response)
    : route;
  const schema = answering?.def.response ? jsonSchema(answering.def.response, "output") : { type: "object" };
  return { ...schema, description: "The object as it now is (on VERSION_CONFLICT): reload from it and try again" };
}

function conflictResponse(route: MountedRoute, routes: MountedRoute[]) {
  const { def } = route;
  const stale = def.versioned ? "VERSION_CONFLICT: the version you sent is not the current one (`current` is the object as it now is)" : undefined;
  const description = joined(stale, def.errors?.[409]);
  if (!description) return undefined;
  const withCurrent = def.versioned || /\bVERSION_CONFLICT\b/.test(description);
  if (!withCurrent) return errorResponse(description);
  return errorResponse(description, { allOf: [ERROR, { type: "object", properties: { current: currentSchema(route, routes) } }] });
}

function parameters(schema: z.ZodType | undefined, where: "path" | "query") {
  if (!schema) return [];
  const object = jsonSchema(schema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === "path" || (object.required ?? []).includes(name),
    schema: s,
    ...(typeof s.description === "string" ? { description: s.description } : {}),
  }));
}

function successSchema(route: MountedRoute["def"]): JsonSchema {
  const data = route.response ? jsonSchema(route.response, "output") : {};
  if (route.paged) {
    return {
      type: "object",
      required: ["success", "data", "total", "page", "pageSize"],
      properties: { success: { const: true }, data: { type: "array", items: data }, total: { type: "integer" }, page: { type: "integer" }, pageSize: { type: "integer" } },
    };
  }
  return { type: "object", required: ["success", "data"], properties: { success: { const: true }, data } };
}

/** The OpenAPI 3.1 document, generated from the same route definitions and zod schemas that validate requests. */
/** Who may call a route, as OpenAPI says it: any one entry of the list is enough. */
function securityOf(auth: AuthKind) {
  switch (auth) {
    case "user": return [{ bearerAuth: [] }];
    case "operator": return [{ operatorSecret: [] }];
    case "device": return [{ deviceCredential: [] }];
    // a store's device on its own credential, or a till's token (a session started at an enrolled device)
    case "sync":
    case "socket": return [{ deviceCredential: [] }, { bearerAuth: [] }];
    case "public": return [];
  }
}

export function openApiDocument(routes: MountedRoute[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const { method, path, def } = route;
    const errors = def.errors ?? {};
    const openApiPath = path.replace(/:(\w+)/g, "{$1}");
    const responses: Record<string, unknown> = {
      [String(def.status ?? 200)]: {
        description: def.csv ? "Success (with Accept: text/csv, the report's rows as CSV with a header row)" : "Success",
        content: { "application/json": { schema: successSchema(def) }, ...(def.csv ? { "text/csv": { schema: { type: "string" } } } : {}) },
      },
      400: errorResponse(joined("Bad input: malformed JSON, wrong types, unknown values (code VALIDATION_ERROR lists the fields)", errors[400])),
    };
    const unauthenticated = joined(def.auth !== "public" && "No token, or an invalid or expired one", errors[401]);
    if (unauthenticated) responses[401] = errorResponse(unauthenticated);
    const forbidden = joined(def.permission && `MISSING_PERMISSION: the token lacks ${def.permission} in its store`, errors[403]);
    if (forbidden) responses[403] = errorResponse(forbidden);
    const notFound = joined(def.params && "NOT_FOUND: no such object in your tenant", errors[404]);
    if (notFound) responses[404] = errorResponse(notFound);
    const conflict = conflictResponse(route, routes);
    if (conflict) responses[409] = conflict;
    if (errors[422]) responses[422] = errorResponse(`Business rule: ${errors[422]}`);
    if (errors[429]) responses[429] = errorResponse(`${errors[429]}; wait the seconds in Retry-After`);
    paths[openApiPath] ??= {};
    paths[openApiPath][method] = {
      operationId: `${method}${openApiPath.replace(/\{(\w+)\}/g, "By_$1").replace(/[^A-Za-z0-9]+(\w)?/g, (_m, ch: string | undefined) => (ch ?? "").toUpperCase())}`,
      tags: [def.tag],
      summary: def.summary,
      ...(def.description ? { description: def.description } : {}),
      ...(def.permission ? { "x-permission": def.permission } : {}),
      security: securityOf(def.auth),
      parameters: [
        ...parameters(def.params, "path"),
        ...parameters(def.query, "query"),
        ...(def.versioned ? [{ name: "If-Match", in: "header", required: false, schema: { type: "string" }, description: "The version you saw, e.g. \"3\"; * for any version" }] : []),
      ],
      ...(def.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(def.body, "input") } } } } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Edge POS API",
      version: "1.0.0",
      description:
        "REST API of the edge point-of-sale platform. Every answer is an envelope `{ success, data }` or `{ success: false, error, code }`; lists add `total, page, pageSize`. Money is integer minor units, quantities thousandths, tax rates basis points. Every response carries `Server-Timing: d1;count=N;dur=MS` and `X-Request-Id`.",
    },
    servers: [{ url: "/" }],
    tags: [...new Set(routes.map((r) => r.def.tag))].map((name) => ({ name })),
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "Access token from /api/v1/auth/login, pin-login or refresh" },
        operatorSecret: { type: "http", scheme: "bearer", description: "The platform operator secret (OPERATOR_SECRET)" },
        deviceCredential: { type: "apiKey", in: "header", name: DEVICE_CREDENTIAL_HEADER, description: "An enrolled device's credential (dvc_…), from POST /api/v1/devices/pair" },
      },
      schemas: { Error: jsonSchema(ErrorEnvelope, "output") },
    },
    paths,
  };
}
