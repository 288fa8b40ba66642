import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "../..");
const sources = (dir: string) =>
  readdirSync(path.join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, f));

const importsOf = (file: string) =>
  [...readFileSync(path.join(root, file), "utf8").matchAll(/^\s*(?:import|export)[^'"]*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]!);

describe("layering", () => {
  it("keeps the domain face-neutral: nothing in worker/domain imports a face (HTTP, REST, GraphQL) or hono", () => {
    const offending = sources("worker/domain").flatMap((file) =>
      importsOf(file)
        .filter((spec) => /(^|\/)(http|rest|graphql)(\/|$)/.test(spec) || /^hono(\/|$)/.test(spec) || spec === "graphql-yoga")
        .map((spec) => `${file} imports ${spec}`),
    );
    expect(offending).toEqual([]);
  });

  it("keeps resolvers thin: nothing in worker/graphql imports drizzle or the tables (reads and writes are the domain's)", () => {
    const offending = sources("worker/graphql").flatMap((file) =>
      importsOf(file)
        .filter((spec) => /^drizzle-orm(\/|$)/.test(spec) || /schema\/db(\/|$)/.test(spec))
        .map((spec) => `${file} imports ${spec}`),
    );
    expect(offending).toEqual([]);
  });

  it("finds the imports it checks (the scan itself works)", () => {
    expect(importsOf("worker/domain/sales.ts").some((spec) => spec === "./errors")).toBe(true);
  });
});
