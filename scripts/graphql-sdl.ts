// Writes schema/pos.graphql from the GraphQL schema (worker/graphql/schema.ts): `npm run graphql:sdl`.
// test/worker/graphql-schema.test.ts fails when the file and the schema differ.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { schemaSdl } from "../worker/graphql/schema";

const target = fileURLToPath(new URL("../schema/pos.graphql", import.meta.url));
writeFileSync(target, schemaSdl());
console.log(`wrote ${target}`);
