import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, isSpecifiedScalarType, isIntrospectionType, type GraphQLNamedType } from "graphql";
import { describe, expect, it } from "vitest";
import committedSdl from "../../schema/pos.graphql?raw";
import { graphqlSchema, schemaSdl } from "../../worker/graphql/schema";

/** Every type, field, argument, input field and enum value of ours that has no description. */
function undescribed(types: readonly GraphQLNamedType[]): string[] {
  const missing: string[] = [];
  const need = (what: string, description: string | null | undefined) => (description?.trim() ? undefined : missing.push(what));
  for (const type of types) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    need(type.name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        need(`${type.name}.${field.name}`, field.description);
        for (const arg of field.args) need(`${type.name}.${field.name}(${arg.name})`, arg.description);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) need(`${type.name}.${field.name}`, field.description);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) need(`${type.name}.${value.name}`, value.description);
    }
  }
  return missing;
}

describe("the GraphQL schema", () => {
  it("describes every type, field, argument and enum value", () => {
    expect(undescribed(Object.values(graphqlSchema().getTypeMap()))).toEqual([]);
  });

  it("the check finds what is not described", async () => {
    const { GraphQLObjectType, GraphQLString, GraphQLEnumType } = await import("graphql");
    const bare = new GraphQLObjectType({ name: "Bare", fields: { plain: { type: GraphQLString, args: { x: { type: GraphQLString } } } } });
    const colours = new GraphQLEnumType({ name: "Colour", description: "A colour.", values: { RED: {} } });
    expect(undescribed([bare, colours])).toEqual(["Bare", "Bare.plain", "Bare.plain(x)", "Colour.RED"]);
  });

  it("is what schema/pos.graphql says (run `npm run graphql:sdl` after changing the schema, and commit the file)", () => {
    const drift = committedSdl !== schemaSdl();
    if (drift) console.error("schema/pos.graphql differs from the schema: run `npm run graphql:sdl` and commit schema/pos.graphql");
    expect(committedSdl, "schema/pos.graphql is stale: run `npm run graphql:sdl` and commit it").toBe(schemaSdl());
  });
});
