import { and, eq } from "drizzle-orm";
import type { z } from "zod";
import type { CreateTenantBody, UpdateTenantBody } from "../../schema/contracts/tenants";
import { roles, stores, tenants, tenders, users } from "../../schema/db";
import { hashSecret } from "../auth/credentials";
import { issuePin } from "./pins";
import { expectOneChange } from "../db/batch";
import type { Db } from "../db/client";
import { TenantScope } from "../db/tenant-scope";
import { conflict, notFound } from "./errors";
import type { RequestInfo } from "./context";
import { DEFAULT_ROLES } from "./default-roles";
import { changedFields } from "./entity";
import { DEFAULT_TENDERS, tenderSearchText } from "./tenders";
import { recordAudit, recordChange } from "./journal";
import { roleDto, roleSearchText } from "./roles";
import { storeDto, storeSearchText } from "./stores";
import { replaceStoreAccess, userSearchText } from "./users";
import { commitWrite, toIso } from "./versioning";
import { forgetCorsOrigins } from "./cors-origins";
import { DEFAULT_GIFT_CARD_HOLD_MINUTES } from "../../schema/contracts/giftcards";

type TenantRow = typeof tenants.$inferSelect;

export const tenantDto = (t: TenantRow) => ({
  id: t.id,
  slug: t.slug,
  name: t.name,
  currency: t.currency,
  taxRounding: t.taxRounding,
  corsOrigins: t.corsOrigins,
  pinLength: t.pinLength,
  allowUnreferencedReturns: t.allowUnreferencedReturns,
  version: t.version,
  createdAt: toIso(t.createdAt),
  updatedAt: toIso(t.updatedAt),
});

const slugTaken = (slug: string) => () => conflict("TENANT_SLUG_TAKEN", `A tenant with slug ${slug} already exists`);

/**
 * Onboard a tenant: the tenant, its first store, the default roles and its first administrator, who holds the
 * Administrator role in that store. One batch: all of it exists afterwards, or none of it.
 */
export async function createTenant(db: Db, env: { PIN_LOOKUP_KEY: string }, request: RequestInfo, body: z.output<typeof CreateTenantBody>) {
  const now = request.now;
  const tenant: TenantRow = {
    id: crypto.randomUUID(),
    slug: body.slug,
    name: body.name,
    currency: body.currency,
    taxRounding: body.taxRounding,
    corsOrigins: body.corsOrigins,
    pinLength: body.pinLength,
    allowUnreferencedReturns: body.allowUnreferencedReturns,
    giftCardHoldMinutes: DEFAULT_GIFT_CARD_HOLD_MINUTES,
    version: 1,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  };
  const scope = new TenantScope(db, tenant.id);
  const store = {
    ...body.store,
    id: crypto.randomUUID(),
    tenantId: tenant.id,
    address: body.store.address ?? null,
    phone: body.store.phone ?? null,
    searchText: storeSearchText(body.store),
    isActive: true,
    version: 1,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  };
  const roleRows = DEFAULT_ROLES.map((r) => ({
    id: crypto.randomUUID(),
    tenantId: tenant.id,
    name: r.name,
    description: r.description,
    permissions: [...r.permissions],
    searchText: roleSearchText(r),
    version: 1,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  }));
  const adminRole = roleRows[0]!;
  // A new store has no other PIN to clash with.
  const pin = await issuePin(env, tenant.pinLength);
  const admin = {
    id: crypto.randomUUID(),
    username: body.admin.username,
    displayName: body.admin.displayName,
    email: body.admin.email ?? null,
    passwordHash: await hashSecret(body.admin.password),
    pinHash: pin.hash,
    pinLookup: pin.lookup,
    isActive: true,
    searchText: userSearchText({ username: body.admin.username, displayName: body.admin.displayName }),
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const tenderRows = DEFAULT_TENDERS.map((t) => ({ ...t, id: crypto.randomUUID(), searchText: tenderSearchText(t), isActive: true, version: 1, createdAt: now, updatedAt: now }));
  await commitWrite(
    db,
    [
      db.insert(tenants).values(tenant),
      scope.insert(stores, store),
      scope.insert(roles, roleRows),
      scope.insert(users, admin),
      ...replaceStoreAccess(scope, admin.id, [{ storeId: store.id, roleId: adminRole.id }], pin.lookup),
      recordChange(scope, { entity: "tenant", entityId: tenant.id, op: "upsert", version: 1 }, now),
      recordChange(scope, { entity: "store", entityId: store.id, op: "upsert", version: 1 }, now),
      ...roleRows.map((r) => recordChange(scope, { entity: "role", entityId: r.id, op: "upsert", version: 1 }, now)),
      recordChange(scope, { entity: "user", entityId: admin.id, op: "upsert", version: 1 }, now),
      ...tenderRows.flatMap((t) => [scope.insert(tenders, t), recordChange(scope, { entity: "tender", entityId: t.id, op: "upsert", version: 1 }, now)]),
      recordAudit(db, { tenantId: tenant.id, actorType: "operator", action: "tenant.create", entity: "tenant", entityId: tenant.id, detail: { slug: tenant.slug, storeCode: store.code, admin: admin.username } }, request),
    ],
    { unique: [{ column: "tenants.slug", error: slugTaken(body.slug) }] },
  );
  forgetCorsOrigins();
  return {
    tenant: tenantDto(tenant),
    store: storeDto(store),
    admin: { id: admin.id, username: admin.username, pin: pin.pin },
    adminRole: { id: adminRole.id, name: roleDto(adminRole).name },
  };
}

async function findTenant(db: Db, id: string) {
  const [row] = await db.select().from(tenants).where(eq(tenants.id, id));
  if (!row || row.deletedAt !== null) throw notFound("Tenant");
  return row;
}

export const getTenant = async (db: Db, id: string) => tenantDto(await findTenant(db, id));

/**
 * Change a tenant's name, tax rounding or origins. Tills price with the tax rounding, so the change goes to the
 * feed; the UPDATE is guarded by the version read, so of two concurrent patches the second is 409 rather than
 * silently writing back the first one's fields as they were before it. A patch that changes nothing writes nothing.
 */
export async function updateTenant(db: Db, request: RequestInfo, id: string, body: z.output<typeof UpdateTenantBody>) {
  const current = await findTenant(db, id);
  if (changedFields(current, body).length === 0) return tenantDto(current);
  const next: TenantRow = {
    ...current,
    ...(body.name !== undefined ? { name: body.name } : {}),
    ...(body.taxRounding !== undefined ? { taxRounding: body.taxRounding } : {}),
    ...(body.corsOrigins !== undefined ? { corsOrigins: body.corsOrigins } : {}),
    ...(body.pinLength !== undefined ? { pinLength: body.pinLength } : {}),
    ...(body.allowUnreferencedReturns !== undefined ? { allowUnreferencedReturns: body.allowUnreferencedReturns } : {}),
    version: current.version + 1,
    updatedAt: request.now,
  };
  await commitWrite(
    db,
    [
      db.update(tenants).set({ name: next.name, taxRounding: next.taxRounding, corsOrigins: next.corsOrigins, pinLength: next.pinLength, allowUnreferencedReturns: next.allowUnreferencedReturns, version: next.version, updatedAt: next.updatedAt })
        .where(and(eq(tenants.id, id), eq(tenants.version, current.version))),
      expectOneChange(db),
      recordChange(new TenantScope(db, id), { entity: "tenant", entityId: id, op: "upsert", version: next.version }, request.now),
      recordAudit(db, { tenantId: id, actorType: "operator", action: "tenant.update", entity: "tenant", entityId: id, detail: body }, request),
    ],
    {
      onStale: async () => {
        const now = await findTenant(db, id);
        throw conflict("VERSION_CONFLICT", `Tenant changed while you edited it; it is now at version ${now.version}`, tenantDto(now));
      },
    },
  );
  forgetCorsOrigins();
  return tenantDto(next);
}
