import { lexicographicSortSchema, printSchema, type GraphQLSchema } from "graphql";
import { builder } from "./builder";
// Each module adds its types, queries and mutations to the builder when imported.
import "./modules/catalogue";
import "./modules/catalogue-display";
import "./modules/customers";
import "./modules/purchases";
import "./modules/giftcards";
import "./modules/sales";
import "./modules/serial-lots";
import "./modules/stock";
import "./modules/stores";

let built: GraphQLSchema | undefined;

/** The schema, built once per isolate. */
export const graphqlSchema = (): GraphQLSchema => (built ??= builder.toSchema({ sortSchema: true }));

/** The schema as SDL, as schema/pos.graphql holds it (npm run graphql:sdl). */
export const schemaSdl = () => `${printSchema(lexicographicSortSchema(graphqlSchema()))}\n`;
