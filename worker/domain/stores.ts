import { asc, eq, isNull, or, sql } from "drizzle-orm";
import type { z } from "zod";
import type { CreateStoreBody, UpdateStoreBody } from "../../schema/contracts/stores";
import type { Store } from "../../schema/contracts/stores";
import type { PageQuery } from "../../schema/contracts/common";
import { storePins, stores, userStoreRoles } from "../../schema/db";
import { expectOneChange } from "../db/batch";
import { contains, readPage } from "../db/paging";
import type { TenantScope } from "../db/tenant-scope";
import { conflict, notFound } from "../http/errors";
import type { ServiceContext } from "./context";
import { recordAudit, recordChange } from "./journal";
import { checkVersion, commitWrite, toIso } from "./versioning";

type StoreRow = typeof stores.$inferSelect;

export const storeDto = (s: StoreRow): Store => ({
  id: s.id,
  code: s.code,
  name: s.name,
  currency: s.currency,
  timeZone: s.timeZone,
  pricesIncludeTax: s.pricesIncludeTax,
  cashRoundingUnit: s.cashRoundingUnit,
  address: s.address,
  phone: s.phone,
  isActive: s.isActive,
  version: s.version,
  createdAt: toIso(s.createdAt),
  updatedAt: toIso(s.updatedAt),
});

const live = isNull(stores.deletedAt);
const codeTaken = (code: string) => () => conflict("STORE_CODE_TAKEN", `A store with code ${code} already exists`);

export function listStores(ctx: ServiceContext, query: PageQuery & { search?: string; isActive?: boolean }) {
  const { scope } = ctx;
  const where = scope.where(
    stores,
    live,
    query.search ? or(contains(stores.name, query.search), contains(stores.code, query.search)) : undefined,
    query.isActive === undefined ? undefined : eq(stores.isActive, query.isActive),
  );
  const rows = scope.db.select().from(stores).where(where).orderBy(asc(stores.code));
  return readPage(scope.db, stores, where, rows, query, storeDto);
}

export async function findStore(scope: TenantScope, id: string): Promise<StoreRow> {
  const [row] = await scope.select(stores, eq(stores.id, id), live);
  if (!row) throw notFound("Store");
  return row as StoreRow;
}

export const getStore = async (ctx: ServiceContext, id: string) => storeDto(await findStore(ctx.scope, id));

export async function createStore(ctx: ServiceContext, body: z.output<typeof CreateStoreBody>): Promise<Store> {
  const { scope, actor, request } = ctx;
  const now = request.now;
  const id = body.id ?? crypto.randomUUID();
  const row: StoreRow = {
    ...body,
    id,
    tenantId: scope.tenantId,
    address: body.address ?? null,
    phone: body.phone ?? null,
    version: 1,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  };
  const db = scope.db;
  await commitWrite(
    db,
    [
      scope.insert(stores, row),
      // The creator gets, in the new store, the roles (and PIN) they hold in the store they are signed into.
      db.insert(userStoreRoles).select(
        db
          .select({ tenantId: userStoreRoles.tenantId, userId: userStoreRoles.userId, storeId: sql<string>`${id}`.as("store_id"), roleId: userStoreRoles.roleId })
          .from(userStoreRoles)
          .where(scope.where(userStoreRoles, eq(userStoreRoles.userId, actor.userId), eq(userStoreRoles.storeId, actor.storeId))),
      ),
      db.insert(storePins).select(
        db
          .select({ tenantId: storePins.tenantId, storeId: sql<string>`${id}`.as("store_id"), userId: storePins.userId, pinLookup: storePins.pinLookup })
          .from(storePins)
          .where(scope.where(storePins, eq(storePins.userId, actor.userId), eq(storePins.storeId, actor.storeId))),
      ),
      recordChange(scope, { entity: "store", entityId: id, op: "upsert", version: 1 }, now),
      recordAudit(db, { tenantId: scope.tenantId, actorType: "user", actorId: actor.userId, action: "store.create", entity: "store", entityId: id, detail: { code: body.code } }, request),
    ],
    { unique: [{ column: "stores.code", error: codeTaken(body.code) }, { column: "stores.id", error: () => conflict("ID_TAKEN", `The id ${id} is already used`) }] },
  );
  return storeDto(row);
}

export async function updateStore(
  ctx: ServiceContext,
  id: string,
  body: z.output<typeof UpdateStoreBody>,
  expectedVersion: number | undefined,
): Promise<Store> {
  const { scope, actor, request } = ctx;
  const current = await findStore(scope, id);
  checkVersion("Store", current.version, expectedVersion, () => storeDto(current));
  const { version: _v, ...changes } = body;
  const next: StoreRow = {
    ...current,
    ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)),
    version: current.version + 1,
    updatedAt: request.now,
  };
  const db = scope.db;
  await commitWrite(
    db,
    [
      scope.update(stores, { ...next, id: undefined, tenantId: undefined }, eq(stores.id, id), eq(stores.version, current.version)),
      expectOneChange(db),
      recordChange(scope, { entity: "store", entityId: id, op: "upsert", version: next.version }, request.now),
      recordAudit(db, { tenantId: scope.tenantId, actorType: "user", actorId: actor.userId, action: "store.update", entity: "store", entityId: id, detail: { fields: Object.keys(changes) } }, request),
    ],
    {
      onStale: async () => {
        const now = await findStore(scope, id);
        throw conflict("VERSION_CONFLICT", `Store changed while you edited it; it is now at version ${now.version}`, storeDto(now));
      },
      unique: [{ column: "stores.code", error: codeTaken(body.code ?? current.code) }],
    },
  );
  return storeDto(next);
}

/** The stores of this tenant among `ids`, by id. */
export async function storesById(scope: TenantScope, ids: string[]) {
  if (ids.length === 0) return new Map<string, StoreRow>();
  const rows = (await scope.select(stores, sql`${stores.id} IN ${ids}`, live)) as StoreRow[];
  return new Map(rows.map((r) => [r.id, r]));
}
