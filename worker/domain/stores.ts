import { asc, eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { PageQuery } from "../../schema/contracts/common";
import type { CreateStoreBody, Store, UpdateStoreBody } from "../../schema/contracts/stores";
import { storePins, stores, userStoreRoles } from "../../schema/db";
import { matchesSearch, searchText } from "../db/search";
import { conflict } from "./errors";
import type { ServiceContext } from "./context";
import { entityService, plainDto } from "./entity";
import { keepingAnAdministrator, lastAdminGuard } from "./last-admin";

type StoreRow = typeof stores.$inferSelect;

export const storeDto = (row: StoreRow): Store => plainDto(row);

/** A store's `search_text`: its name and code (tenant onboarding writes the first store with it). */
export const storeSearchText = (row: Pick<StoreRow, "name" | "code">) => searchText([row.name, row.code]);

const storeEntity = entityService({
  label: "Store",
  kind: "store",
  table: stores,
  toDto: storeDto,
  searchText: storeSearchText,
  unique: (row: StoreRow) => [{ column: "stores.code", error: () => conflict("STORE_CODE_TAKEN", `A store with code ${row.code} already exists`) }],
});

export const findStore = storeEntity.find;
export const getStore = storeEntity.get;

export function listStores(ctx: ServiceContext, query: PageQuery & { search?: string; isActive?: boolean }) {
  return storeEntity.list(
    ctx,
    query,
    [
      matchesSearch(stores.searchText, query.search),
      query.isActive === undefined ? undefined : eq(stores.isActive, query.isActive),
    ],
    asc(stores.code),
  );
}

/** A new store; its creator gets, there, the roles (and PIN) they hold in the store they are signed into. */
export function createStore(ctx: ServiceContext, body: z.output<typeof CreateStoreBody>): Promise<Store> {
  const { scope, actor } = ctx;
  const id = body.id ?? crypto.randomUUID();
  const db = scope.db;
  const newStoreId = sql<string>`${id}`.as("store_id");
  return storeEntity.create(ctx, { ...body, id, address: body.address ?? null, phone: body.phone ?? null }, [
    db.insert(userStoreRoles).select(
      db
        .select({ tenantId: userStoreRoles.tenantId, userId: userStoreRoles.userId, storeId: newStoreId, roleId: userStoreRoles.roleId })
        .from(userStoreRoles)
        .where(scope.where(userStoreRoles, eq(userStoreRoles.userId, actor.userId), eq(userStoreRoles.storeId, actor.storeId))),
    ),
    db.insert(storePins).select(
      db
        .select({ tenantId: storePins.tenantId, storeId: newStoreId, userId: storePins.userId, pinLookup: storePins.pinLookup })
        .from(storePins)
        .where(scope.where(storePins, eq(storePins.userId, actor.userId), eq(storePins.storeId, actor.storeId))),
    ),
  ]);
}

/** Deactivating a store must leave the tenant an administrator in some other active store (422 LAST_ADMINISTRATOR). */
export function updateStore(ctx: ServiceContext, id: string, body: z.output<typeof UpdateStoreBody>, expectedVersion: number | undefined): Promise<Store> {
  const { version: _version, ...changes } = body;
  const guard = body.isActive === false ? [lastAdminGuard(ctx.scope)] : [];
  return keepingAnAdministrator(() => storeEntity.update(ctx, id, changes, expectedVersion, () => guard));
}
