import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { costLimitPlugin } from "@escape.tech/graphql-armor-cost-limit";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import type { Handler } from "hono";
import { createYoga, type Plugin } from "graphql-yoga";
import { GraphQLError } from "graphql";
import { authenticateIntegrator } from "../auth/integrator-caller";
import { DomainError } from "../domain/errors";
import type { AppEnv } from "../http/app";
import { httpStatusOf } from "../http/errors";
import { createContext, type GraphQLServerContext } from "./context";
import { domainExtensions, maskError, finalErrors } from "./errors";
import { graphqlSchema } from "./schema";

/** The limits a document must keep, checked before anything runs (so before any D1 read). */
export const LIMITS = {
  depth: 8,
  aliases: 15,
  tokens: 2000,
  /** graphql-armor's static cost (objects 2, scalars 1, times 1.5 per level): a page of products with every relation is about 400. */
  cost: 1500,
} as const;

/** The answer's errors as finalErrors says (the request id on INTERNAL ones; only our codes). */
const finalErrorsPlugin: Plugin<GraphQLServerContext> = {
  onResultProcess({ result, setResult, serverContext }) {
    const { requestId } = serverContext as unknown as GraphQLServerContext;
    if (Array.isArray(result) || !("errors" in result) || !result.errors?.length) return;
    setResult({ ...result, errors: finalErrors(result.errors as GraphQLError[], requestId) });
  },
};

const yoga = createYoga<GraphQLServerContext>({
  schema: graphqlSchema(),
  graphqlEndpoint: "/graphql",
  context: ({ caller, requestId, untilSecret }) => createContext({ caller, requestId, untilSecret }),
  maskedErrors: { maskError, errorMessage: "Something went wrong on our side; quote the request id if you report it" },
  batching: false,
  cors: false, // the app's own CORS middleware answers for every route
  graphiql: false,
  landingPage: false,
  multipart: false,
  logging: false,
  plugins: [
    maxTokensPlugin({ n: LIMITS.tokens }),
    maxDepthPlugin({ n: LIMITS.depth, flattenFragments: true }),
    maxAliasesPlugin({ n: LIMITS.aliases }),
    costLimitPlugin({ maxCost: LIMITS.cost }),
    finalErrorsPlugin,
  ],
});

/** GraphQL's shape for an error answered before Yoga runs (no or a bad token). */
const refusal = (error: DomainError) => ({ errors: [{ message: error.message, extensions: domainExtensions(error) }] });

/**
 * POST/GET /graphql: the caller is authenticated first (NOT_AUTHENTICATED with HTTP 401 otherwise), then Yoga runs
 * the operation with the request's metered database, so Server-Timing counts its D1 round trips.
 */
export const graphqlHandler: Handler<AppEnv> = async (c) => {
  let caller;
  try {
    caller = await authenticateIntegrator(c);
  } catch (error) {
    if (error instanceof DomainError) return c.json(refusal(error), httpStatusOf[error.kind]);
    throw error;
  }
  return yoga.fetch(c.req.raw, { caller, requestId: c.get("requestId"), untilSecret: c.env.PIN_LOOKUP_KEY });
};
