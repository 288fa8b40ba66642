import { beforeAll, describe, expect, it } from "vitest";
import { api, createTenant, userWith, type TestTenant } from "./helpers";
import { gql } from "./graphql-helpers";

let t: TestTenant;
beforeAll(async () => {
  t = await createTenant();
});

const GROUPS = `query Groups($id: ID, $first: Int) { productGroup(id: $id, first: $first) { items { id name code isActive } hasMoreResults until } }`;

describe("POST /graphql", () => {
  it("answers a query with the caller's data and counts its D1 round trips in Server-Timing", async () => {
    const made = await api("POST", "/api/v1/departments", { token: t.adminToken, body: { name: "Bakery", code: "BAK" } });
    expect(made.status).toBe(201);
    const res = await gql(t.adminToken, GROUPS, { id: made.json.data.id });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data.productGroup).toEqual({ items: [{ id: made.json.data.id, name: "Bakery", code: "BAK", isActive: true }], hasMoreResults: false, until: null });
    expect(res.d1).toBe(1);
    expect(res.headers.get("X-Request-Id")).toBeTruthy();
  });

  it("sees no other tenant's rows", async () => {
    const other = await createTenant();
    const made = await api("POST", "/api/v1/departments", { token: other.adminToken, body: { name: "Theirs" } });
    const res = await gql(t.adminToken, GROUPS, { id: made.json.data.id });
    expect(res.data.productGroup.items).toEqual([]);
  });

  it("answers GET with the query in the URL", async () => {
    const res = await api("GET", `/graphql?query=${encodeURIComponent("{ productGroup(first: 1) { hasMoreResults } }")}`, { token: t.adminToken, headers: { Accept: "application/json" } });
    expect(res.status).toBe(200);
    expect(res.json.data.productGroup.hasMoreResults).toBeTypeOf("boolean");
  });

  it("refuses a mutation over GET and batched operations", async () => {
    const batched = await api("POST", "/graphql", { token: t.adminToken, body: [{ query: "{ productGroup { hasMoreResults } }" }, { query: "{ productGroup { hasMoreResults } }" }] });
    expect(batched.status).toBeGreaterThanOrEqual(400);
    expect(batched.json.errors[0].extensions.code).toBe("VALIDATION");
  });
});

describe("authentication", () => {
  it("is NOT_AUTHENTICATED (401) without a token, before any D1 read", async () => {
    const res = await gql(undefined, GROUPS);
    expect(res.status).toBe(401);
    expect(res.errors![0]!.extensions).toMatchObject({ code: "NOT_AUTHENTICATED", reason: "UNAUTHENTICATED" });
    expect(res.d1).toBe(0);
  });

  it("is NOT_AUTHENTICATED (401) with a forged token", async () => {
    const res = await gql(`${t.adminToken.slice(0, -4)}AAAA`, GROUPS);
    expect(res.status).toBe(401);
    expect(res.errors![0]!.extensions.code).toBe("NOT_AUTHENTICATED");
  });
});

describe("errors", () => {
  it("is NOT_AUTHORIZED without the field's permission, naming it", async () => {
    const nobody = await userWith(t, ["customers.view"]);
    const res = await gql(nobody.token, GROUPS);
    expect(res.data).toBeNull();
    expect(res.errors![0]!).toMatchObject({ path: ["productGroup"], extensions: { code: "NOT_AUTHORIZED", reason: "MISSING_PERMISSION" } });
    expect(res.errors![0]!.message).toContain("products.view");
  });

  it("is VALIDATION naming the argument a service refuses", async () => {
    const res = await gql(t.adminToken, GROUPS, { first: 100_000 });
    expect(res.errors![0]!.extensions).toMatchObject({ code: "VALIDATION", reason: "VALIDATION_ERROR", property: "first" });
    expect(res.errors![0]!.extensions.fields[0].path).toBe("first");
  });

  it("keeps GraphQL's own validation errors, with code VALIDATION", async () => {
    const res = await gql(t.adminToken, "{ productGroup { items { nope } } }");
    expect(res.errors![0]!.message).toMatch(/Cannot query field "nope"/);
    expect(res.errors![0]!.extensions.code).toBe("VALIDATION");
    expect(res.d1).toBe(0);
  });

  it("is VALIDATION for a syntax error and for a variable of the wrong type", async () => {
    const syntax = await gql(t.adminToken, "{ productGroup { ");
    expect(syntax.errors![0]!.extensions).toMatchObject({ code: "VALIDATION", reason: "GRAPHQL_PARSE_FAILED" });
    const typed = await gql(t.adminToken, GROUPS, { first: "many" });
    expect(typed.errors![0]!.extensions.code).toBe("VALIDATION");
    expect(typed.errors![0]!.message).toMatch(/\$first/);
  });
});

describe("masking", () => {
  it("masks an unexpected error as INTERNAL and keeps a domain error's code", async () => {
    const { maskError, finalErrors } = await import("../../worker/graphql/errors");
    const { GraphQLError } = await import("graphql");
    const { conflict } = await import("../../worker/domain/errors");
    const bug = new GraphQLError("D1_ERROR: no such column secret_thing", { originalError: new Error("D1_ERROR: no such column secret_thing") });
    const [masked] = finalErrors([maskError(bug, "Something went wrong") as InstanceType<typeof GraphQLError>], "req-123456");
    expect(masked!.message).toBe("Something went wrong");
    expect(masked!.extensions).toEqual({ code: "INTERNAL", requestId: "req-123456" });
    const domain = maskError(new GraphQLError("x", { originalError: conflict("VERSION_CONFLICT", "changed", { version: 3 }) }), "Something went wrong") as InstanceType<typeof GraphQLError>;
    expect(domain.extensions).toMatchObject({ code: "CONFLICT", reason: "VERSION_CONFLICT", current: { version: 3 } });
  });
});
