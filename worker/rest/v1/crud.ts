import { z } from "zod";
import { IdParams, PageQuery } from "../../../schema/contracts/common";
import type { Permission } from "../../../schema/permissions";
import type { ServiceContext } from "../../domain/context";
import type { AppContext } from "../../http/app";
import type { Page } from "../../http/envelope";
import { route, type AnyRoute, type RouteErrors } from "../../http/route";
import { serviceContext as restContext } from "./context";

interface CrudService<Ctx, Q, C, U, Dto> {
  list(ctx: Ctx, query: Q & z.output<typeof PageQuery>): Promise<Page<Dto>>;
  get(ctx: Ctx, id: string): Promise<Dto>;
  create(ctx: Ctx, body: C): Promise<Dto>;
  update(ctx: Ctx, id: string, body: U, expectedVersion: number | undefined): Promise<Dto>;
  remove(ctx: Ctx, id: string, expectedVersion: number | undefined): Promise<void>;
}

/**
 * The five routes of a plain catalogue resource (list, get, create, versioned update, versioned soft delete),
 * declared once. Resources with more to them add their own routes beside these.
 */
export function crudRoutes<QS extends z.ZodObject, CS extends z.ZodType, US extends z.ZodType, Dto, Ctx = ServiceContext>(options: {
  path: string;
  tag: string;
  /** "department", "tax rate": for summaries. */
  noun: string;
  permissions: { view: Permission; create: Permission; edit: Permission; delete: Permission };
  schemas: { item: z.ZodType; query: QS; create: CS; update: US };
  service: CrudService<Ctx, z.output<QS>, z.output<CS>, z.output<US>, Dto>;
  /** The context the service takes: the REST ServiceContext unless given (principalContext for integrator services). */
  context?: (c: AppContext) => Ctx;
  describe?: { list?: string; create?: string; remove?: string };
  errors?: { create?: RouteErrors; update?: RouteErrors; remove?: RouteErrors };
}): AnyRoute[] {
  const { path, tag, noun, permissions, schemas, service } = options;
  const serviceContext = options.context ?? (restContext as unknown as (c: AppContext) => Ctx);
  const idTaken = "ID_TAKEN: the id you sent is already used";
  return [
    route({
      method: "get", path, tag, auth: "user", permission: permissions.view,
      summary: `List ${noun}s`, description: options.describe?.list, query: PageQuery.extend(schemas.query.shape), response: schemas.item, paged: true,
      handler: (c, { query }) => service.list(serviceContext(c), query as never),
    }),
    route({
      method: "get", path: `${path}/:id`, tag, auth: "user", permission: permissions.view,
      summary: `Get a ${noun}`, params: IdParams, response: schemas.item,
      handler: (c, { params }) => service.get(serviceContext(c), params.id),
    }),
    route({
      method: "post", path, tag, auth: "user", permission: permissions.create,
      summary: `Create a ${noun}`, description: options.describe?.create, body: schemas.create, response: schemas.item, status: 201,
      errors: { ...options.errors?.create, 409: [options.errors?.create?.[409], idTaken].filter(Boolean).join("; ") },
      handler: (c, { body }) => service.create(serviceContext(c), body as z.output<CS>),
    }),
    route({
      method: "put", path: `${path}/:id`, tag, auth: "user", permission: permissions.edit, versioned: true,
      summary: `Update a ${noun}`, params: IdParams, body: schemas.update, response: schemas.item, errors: options.errors?.update,
      handler: (c, { params, body, expectedVersion }) => service.update(serviceContext(c), params.id, body as z.output<US>, expectedVersion),
    }),
    route({
      method: "delete", path: `${path}/:id`, tag, auth: "user", permission: permissions.delete, versioned: true,
      summary: `Delete a ${noun}`, description: options.describe?.remove ?? "Soft delete: gone from the API; tills learn of it from the change feed.",
      params: IdParams, response: z.object({ id: z.uuid(), deleted: z.literal(true) }), errors: options.errors?.remove,
      handler: async (c, { params, expectedVersion }) => {
        await service.remove(serviceContext(c), params.id, expectedVersion);
        return { id: params.id, deleted: true as const };
      },
    }),
  ];
}
