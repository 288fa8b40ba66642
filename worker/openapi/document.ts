import { z } from "zod";
import { ErrorEnvelope } from "../../schema/contracts/common";
import type { MountedRoute } from "../http/route";

type JsonSchema = Record<string, unknown>;

const jsonSchema = (schema: z.ZodType, io: "input" | "output"): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
  return rest;
};

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

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
export function openApiDocument(routes: MountedRoute[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { method, path, def } of routes) {
    const openApiPath = path.replace(/:(\w+)/g, "{$1}");
    const responses: Record<string, unknown> = {
      [String(def.status ?? 200)]: { description: "Success", content: { "application/json": { schema: successSchema(def) } } },
      400: errorResponse("Bad input: malformed JSON, wrong types, unknown values (code VALIDATION_ERROR lists the fields)"),
    };
    if (def.auth !== "public") responses[401] = errorResponse("No token, or an invalid or expired one");
    if (def.permission) responses[403] = errorResponse(`The token lacks ${def.permission} in its store`);
    if (def.params) responses[404] = errorResponse("No such object in your tenant");
    if (def.versioned || def.method === "post") responses[409] = errorResponse("Conflict: stale version (the current object is in `current`) or a duplicate");
    if (def.path.startsWith("/auth/")) responses[429] = errorResponse("Too many attempts; see Retry-After");
    paths[openApiPath] ??= {};
    paths[openApiPath][method] = {
      operationId: `${method}${openApiPath.replace(/\{(\w+)\}/g, "By_$1").replace(/[^A-Za-z0-9]+(\w)?/g, (_m, ch: string | undefined) => (ch ?? "").toUpperCase())}`,
      tags: [def.tag],
      summary: def.summary,
      ...(def.description ? { description: def.description } : {}),
      ...(def.permission ? { "x-permission": def.permission } : {}),
      security: def.auth === "user" ? [{ bearerAuth: [] }] : def.auth === "operator" ? [{ operatorSecret: [] }] : [],
      parameters: [
        ...parameters(def.params, "path"),
        ...parameters(def.query, "query"),
        ...(def.versioned ? [{ name: "If-Match", in: "header", required: false, schema: { type: "string" }, description: "The version you saw, e.g. \"3\"" }] : []),
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
      },
      schemas: { Error: jsonSchema(ErrorEnvelope, "output") },
    },
    paths,
  };
}
