import DataLoader from "dataloader";
import type { GraphQLContext } from "./context";

/**
 * A per-request DataLoader, defined once at module level:
 *
 *   const departmentLoader = defineLoader((ctx, ids: readonly string[]) => departmentsByIds(ctx.caller, ctx.reads, ids));
 *   resolve: (product, _args, ctx) => departmentLoader(ctx).load(product.departmentId)
 *
 * `batch` answers one value per key, in the keys' order (null where there is none). Its reads should go through
 * `ctx.reads`: every loader of a request dispatches on the request's ReadBatcher, so the loaders that one level of
 * a query touches share a single D1 batch, whatever the page size.
 */
export function defineLoader<K, V, C = K>(batch: (ctx: GraphQLContext, keys: readonly K[]) => Promise<readonly (V | Error)[]>, options: { cacheKey?: (key: K) => C } = {}) {
  return (ctx: GraphQLContext): DataLoader<K, V, C> => {
    let loader = ctx.loaders.get(batch) as DataLoader<K, V, C> | undefined;
    if (!loader) {
      loader = new DataLoader<K, V, C>((keys) => batch(ctx, keys), {
        batchScheduleFn: (dispatch) => ctx.reads.schedule(dispatch),
        cacheKeyFn: options.cacheKey,
        maxBatchSize: 1000,
      });
      ctx.loaders.set(batch, loader);
    }
    return loader;
  };
}

