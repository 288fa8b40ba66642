import SchemaBuilder from "@pothos/core";
import { GraphQLError } from "graphql";
import type { GraphQLContext } from "./context";

/**
 * The one schema builder (Pothos, code-first). A module (worker/graphql/modules/*.ts) adds its types with
 * `builder.objectType(...)`, its queries with `builder.queryField(...)` and, after `useMutations()`, its mutations
 * with `builder.mutationField(...)`; worker/graphql/schema.ts imports the module. Every type, field, argument and
 * enum value needs a `description` (test/worker/graphql-schema.test.ts fails otherwise).
 *
 * Fields are non-null unless declared `nullable: true`; lists are non-null lists of non-null items.
 */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | number | string };
  };
}>({ defaultFieldNullability: false });

builder.queryType({ description: "What an integrator can read. Each field names the permission it needs." });

let mutationsDeclared = false;
/** Declares the Mutation type (once, whoever calls first): call it in a module before its `builder.mutationField`. */
export function useMutations() {
  if (!mutationsDeclared) builder.mutationType({ description: "What an integrator can change. Each field names the permission it needs." });
  mutationsDeclared = true;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

builder.scalarType("DateTime", {
  description: "An instant, ISO 8601 with a time zone (answered in UTC: `2026-11-01T09:30:00.000Z`).",
  serialize: (value) => new Date(value).toISOString(),
  parseValue: (value) => {
    if (typeof value !== "string" || !ISO_UTC.test(value) || Number.isNaN(Date.parse(value))) {
      throw new GraphQLError("DateTime must be an ISO 8601 date and time with a zone, e.g. 2026-11-01T00:00:00Z", { extensions: { code: "VALIDATION" } });
    }
    return new Date(value);
  },
});
