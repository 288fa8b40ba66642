import type { PrincipalContext } from "../domain/context";
import { ReadBatcher } from "../db/read-batcher";

/**
 * What every resolver gets, made per request: the caller (from authenticateIntegrator) as the domain's
 * PrincipalContext, the request's read batcher (reads of one tick share a D1 batch) and its DataLoaders.
 */
export interface GraphQLContext {
  caller: PrincipalContext;
  reads: ReadBatcher;
  /** The request's DataLoaders, one per definition (worker/graphql/loaders.ts). */
  loaders: Map<unknown, unknown>;
  requestId: string;
  /** The key under which sync-style lists sign their `until` (from PIN_LOOKUP_KEY, under a label of its own). */
  untilSecret: string;
}

/** What the Hono handler hands to Yoga for one request. */
export interface GraphQLServerContext {
  caller: PrincipalContext;
  requestId: string;
  untilSecret: string;
}

export const createContext = ({ caller, requestId, untilSecret }: GraphQLServerContext): GraphQLContext => ({
  caller,
  untilSecret,
  reads: new ReadBatcher(caller.scope.db),
  loaders: new Map(),
  requestId,
});
