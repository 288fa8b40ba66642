import { api, type ApiOptions } from "./helpers";

export interface GraphQLAnswer<T = any> {
  status: number;
  headers: Headers;
  data: T;
  errors?: { message: string; path?: (string | number)[]; extensions: Record<string, any> }[];
  /** D1 round trips of the request, from Server-Timing. */
  d1: number;
}

/** The D1 round trips a response reports in `Server-Timing: d1;count=N`. */
export const d1Count = (headers: Headers) => Number(headers.get("Server-Timing")?.match(/d1;count=(\d+)/)?.[1] ?? NaN);

/** POST a GraphQL operation to /graphql as JSON. */
export async function gql<T = any>(token: string | undefined, query: string, variables?: Record<string, unknown>, options: ApiOptions = {}): Promise<GraphQLAnswer<T>> {
  const res = await api("POST", "/graphql", { ...options, token, body: { query, variables } });
  return { status: res.status, headers: res.headers, data: res.json?.data, errors: res.json?.errors, d1: d1Count(res.headers) };
}
