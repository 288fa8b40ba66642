import { and, asc, desc, eq, getTableColumns, gt, isNull, type SQL } from "drizzle-orm";
import type { z } from "zod";
import type { CreateDeviceBody, CreateRegisterBody, UpdateRegisterBody } from "../../schema/contracts/devices";
import { devices, registers, stores, tenants } from "../../schema/db";
import { pinLookup, randomToken, sha256Hex } from "../auth/credentials";
import { commit, expectOneChange, isGuardFailure, type Statement } from "../db/batch";
import type { Db } from "../db/client";
import type { TenantScope } from "../db/tenant-scope";
import { conflict, forbidden, notFound, unauthenticated } from "./errors";
import { ADDRESS_POLICY, addressKey, countAttempt, refundAttempt, refuseOverLimit } from "./attempts";
import type { RequestInfo, ServiceContext } from "./context";
import { entityService, plainDto } from "./entity";
import { recordAudit } from "./journal";
import { endDeviceSessions } from "./sessions";
import { permissionsInStoreQuery, requireInStore, storeQuery } from "./store-permissions";
import { toIsoOrNull, toIso } from "./versioning";

/**
 * Enrolment. A till, the store's bridge or a sync client is a device of one store. An administrator creates it
 * and gets a one-time pairing code (8 characters, 15 minutes); the device exchanges the code, once, for a long
 * random credential that it sends on every call (X-Device-Credential) and that is stored only as a SHA-256 hash.
 * Revoking a device ends it for good, and every session started from it; re-pairing a register revokes its
 * till's device and starts a new one. A PIN is accepted only from an active device of the PIN's store.
 */
export const PAIRING_TTL_MS = 15 * 60_000;
const CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford base32: no I, L, O, U
const CREDENTIAL_PREFIX = "dvc_";

type DeviceRow = typeof devices.$inferSelect;
type RegisterRow = typeof registers.$inferSelect;
export interface DeviceEnv { PIN_LOOKUP_KEY: string }

/** 8 random characters of the code alphabet (5 bits each, from a random byte's low bits: 256 = 8 × 32, unbiased). */
function newPairingCode(): string {
  return [...crypto.getRandomValues(new Uint8Array(8))].map((b) => CODE_ALPHABET[b % 32]).join("");
}

const formatCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

/** As typed: any case, dashes and spaces ignored, and the letters people confuse with digits read as those digits. */
export const normalizePairingCode = (typed: string) =>
  typed.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");

/** HMAC under the server's lookup key: a leaked table alone does not give the codes. */
const pairingHash = (code: string, env: DeviceEnv) => pinLookup(`pairing:${code}`, env.PIN_LOOKUP_KEY);

export const credentialHash = (credential: string) => sha256Hex(credential);

function deviceStatus(d: DeviceRow, now: number): "pending" | "active" | "expired" | "revoked" {
  if (d.revokedAt !== null) return "revoked";
  if (d.credentialHash !== null) return "active";
  return d.pairingExpiresAt !== null && d.pairingExpiresAt > now ? "pending" : "expired";
}

export const deviceDto = (d: DeviceRow, now: number) => ({
  id: d.id,
  storeId: d.storeId,
  kind: d.kind,
  registerId: d.registerId,
  name: d.name,
  status: deviceStatus(d, now),
  pairingExpiresAt: d.credentialHash === null && d.revokedAt === null ? toIsoOrNull(d.pairingExpiresAt) : null,
  pairedAt: toIsoOrNull(d.pairedAt),
  lastSeenAt: toIsoOrNull(d.lastSeenAt),
  revokedAt: toIsoOrNull(d.revokedAt),
  createdAt: toIso(d.createdAt),
});

const registerDto = (r: RegisterRow, device: DeviceRow | undefined, now: number) => {
  const { storeId, code, name, isActive, ...rest } = plainDto(r);
  return { ...rest, storeId, code, name, isActive, device: device ? deviceDto(device, now) : null };
};

const registerEntity = entityService({
  label: "Register",
  kind: "register",
  table: registers,
  toDto: (r: RegisterRow) => registerDto(r, undefined, Date.now()),
  storeOf: (r: RegisterRow) => r.storeId,
  unique: (r: RegisterRow) => [{ column: "registers.store_id", error: () => conflict("REGISTER_CODE_TAKEN", `The store already has a register with code ${r.code}`) }],
});

/** A new device row waiting for its pairing code, and the code (shown once). */
async function newDevice(ctx: ServiceContext, env: DeviceEnv, fields: { storeId: string; kind: DeviceRow["kind"]; registerId: string | null; name: string }) {
  const now = ctx.request.now;
  const code = newPairingCode();
  const row: DeviceRow = {
    id: crypto.randomUUID(),
    tenantId: ctx.scope.tenantId,
    ...fields,
    pairingCodeHash: await pairingHash(code, env),
    pairingExpiresAt: now + PAIRING_TTL_MS,
    credentialHash: null,
    pairedAt: null,
    revokedAt: null,
    revokedBy: null,
    lastSeenAt: null,
    lastPullAt: null,
    lastPullSeq: null,
    lastPushAt: null,
    createdBy: ctx.actor.userId,
    version: 1,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  };
  return {
    row,
    pairing: { deviceId: row.id, code: formatCode(code), expiresAt: toIso(row.pairingExpiresAt!) },
    statements: [
      ctx.scope.insert(devices, row),
      audit(ctx, "device.create", row.id, { kind: row.kind, storeId: row.storeId, registerId: row.registerId }),
    ],
  };
}

const audit = (ctx: ServiceContext, action: string, deviceId: string, detail?: Record<string, unknown>) =>
  recordAudit(ctx.scope.db, { tenantId: ctx.scope.tenantId, actorType: "user", actorId: ctx.actor.userId, action, entity: "device", entityId: deviceId, detail }, ctx.request);

/** Revoke the live devices `which` selects and end their sessions: statements for the caller's batch. */
function revokeStatements(ctx: ServiceContext, which: SQL): Statement[] {
  const { scope, request, actor } = ctx;
  return [
    scope.update(devices, { revokedAt: request.now, revokedBy: actor.userId, pairingCodeHash: null, updatedAt: request.now }, which, isNull(devices.revokedAt)),
    ...endDeviceSessions(scope, which, request.now),
  ];
}

const liveDeviceOfRegister = (scope: TenantScope, storeId: string, registerId?: string) =>
  scope
    .select(devices, eq(devices.storeId, storeId), eq(devices.kind, "register"), isNull(devices.revokedAt), registerId ? eq(devices.registerId, registerId) : undefined)
    .orderBy(desc(devices.createdAt));

/** The registers of a store, each with its live till device. */
export async function listRegisters(ctx: ServiceContext, storeId: string) {
  const { scope } = ctx;
  const [storeRows, registerRows, deviceRows] = await scope.db.batch([
    storeQuery(scope, storeId),
    scope.select(registers, eq(registers.storeId, storeId), isNull(registers.deletedAt)).orderBy(asc(registers.code)),
    liveDeviceOfRegister(scope, storeId),
  ]);
  if (!storeRows[0]) throw notFound("Store");
  const live = new Map<string, DeviceRow>();
  for (const d of deviceRows as DeviceRow[]) if (d.registerId && !live.has(d.registerId)) live.set(d.registerId, d);
  return (registerRows as RegisterRow[]).map((r) => registerDto(r, live.get(r.id), ctx.request.now));
}

/** Create a register and its till device; the answer carries the till's one-time pairing code. */
export async function createRegister(ctx: ServiceContext, env: DeviceEnv, storeId: string, body: z.output<typeof CreateRegisterBody>) {
  const { scope, actor } = ctx;
  const [storeRows, permissionRows] = await scope.db.batch([storeQuery(scope, storeId), permissionsInStoreQuery(scope, actor.userId)]);
  requireInStore(storeRows, permissionRows, "stores.edit");
  const id = body.id ?? crypto.randomUUID();
  const device = await newDevice(ctx, env, { storeId, kind: "register", registerId: id, name: body.name });
  const register = await registerEntity.create(ctx, { id, storeId, code: body.code, name: body.name, isActive: true }, device.statements);
  return { ...register, device: deviceDto(device.row, ctx.request.now), pairing: device.pairing };
}

/** Rename, recode or (de)activate a register; deactivating it revokes its till. */
export async function updateRegister(ctx: ServiceContext, storeId: string, registerId: string, body: z.output<typeof UpdateRegisterBody>, expectedVersion: number | undefined) {
  const { scope, actor } = ctx;
  const [storeRows, permissionRows, registerRows, deviceRows] = await scope.db.batch([
    storeQuery(scope, storeId),
    permissionsInStoreQuery(scope, actor.userId),
    scope.select(registers, eq(registers.id, registerId), eq(registers.storeId, storeId), isNull(registers.deletedAt)),
    liveDeviceOfRegister(scope, storeId, registerId),
  ]);
  requireInStore(storeRows, permissionRows, "stores.edit");
  if (!registerRows[0]) throw notFound("Register");
  const { version: _v, ...changes } = body;
  const deactivating = body.isActive === false;
  const updated = await registerEntity.update(ctx, registerId, changes, expectedVersion, () =>
    deactivating ? [...revokeStatements(ctx, eq(devices.registerId, registerId)), audit(ctx, "device.revoke", registerId, { reason: "register deactivated" })] : [],
  );
  const live = deactivating ? undefined : (deviceRows as DeviceRow[])[0];
  return { ...updated, device: live ? deviceDto(live, ctx.request.now) : null };
}

/**
 * A new pairing code for a register's till (a replaced or reinstalled till): the till's current device is
 * revoked at once, with its sessions, and a new device waits for the code.
 */
export async function repairRegister(ctx: ServiceContext, env: DeviceEnv, storeId: string, registerId: string) {
  const { scope, actor } = ctx;
  const [storeRows, permissionRows, registerRows] = await scope.db.batch([
    storeQuery(scope, storeId),
    permissionsInStoreQuery(scope, actor.userId),
    scope.select(registers, eq(registers.id, registerId), eq(registers.storeId, storeId), isNull(registers.deletedAt)),
  ]);
  requireInStore(storeRows, permissionRows, "stores.edit");
  const register = registerRows[0] as RegisterRow | undefined;
  if (!register) throw notFound("Register");
  if (!register.isActive) throw conflict("REGISTER_INACTIVE", `Register ${register.code} is inactive; activate it before pairing a till`);
  const device = await newDevice(ctx, env, { storeId, kind: "register", registerId, name: register.name });
  await commit(scope.db, [...revokeStatements(ctx, eq(devices.registerId, registerId)), ...device.statements]);
  return { ...registerDto(register, device.row, ctx.request.now), pairing: device.pairing };
}

/** Every device of a store, newest first, revoked ones included (the enrolment history). */
export async function listDevices(ctx: ServiceContext, storeId: string) {
  const { scope } = ctx;
  const [storeRows, deviceRows] = await scope.db.batch([
    storeQuery(scope, storeId),
    scope.select(devices, eq(devices.storeId, storeId), isNull(devices.deletedAt)).orderBy(desc(devices.createdAt)),
  ]);
  if (!storeRows[0]) throw notFound("Store");
  return (deviceRows as DeviceRow[]).map((d) => deviceDto(d, ctx.request.now));
}

/** Enrol the store's bridge or a sync client: a device with a one-time pairing code. */
export async function createDevice(ctx: ServiceContext, env: DeviceEnv, storeId: string, body: z.output<typeof CreateDeviceBody>) {
  const { scope, actor } = ctx;
  const [storeRows, permissionRows] = await scope.db.batch([storeQuery(scope, storeId), permissionsInStoreQuery(scope, actor.userId)]);
  requireInStore(storeRows, permissionRows, "stores.edit");
  const device = await newDevice(ctx, env, { storeId, kind: body.kind, registerId: null, name: body.name });
  await commit(scope.db, device.statements);
  return { ...deviceDto(device.row, ctx.request.now), pairing: device.pairing };
}

/** Revoke a device for good: its credential stops working and its sessions end at once. Revoking twice is fine. */
export async function revokeDevice(ctx: ServiceContext, deviceId: string) {
  const { scope, actor } = ctx;
  const [found] = await scope.select(devices, eq(devices.id, deviceId), isNull(devices.deletedAt));
  const device = found as DeviceRow | undefined;
  if (!device) throw notFound("Device");
  const [storeRows, permissionRows] = await scope.db.batch([storeQuery(scope, device.storeId), permissionsInStoreQuery(scope, actor.userId)]);
  requireInStore(storeRows, permissionRows, "stores.edit");
  if (device.revokedAt === null) {
    await commit(scope.db, [...revokeStatements(ctx, eq(devices.id, deviceId)), audit(ctx, "device.revoke", deviceId, { kind: device.kind, storeId: device.storeId })]);
  }
  return deviceDto({ ...device, revokedAt: device.revokedAt ?? ctx.request.now, pairingCodeHash: null }, ctx.request.now);
}

const invalidCode = () => unauthenticated("INVALID_PAIRING_CODE", "That pairing code is not valid: it is wrong, used or expired. Ask for a new one.");

/**
 * The device's side: exchange a pairing code for the device's credential, once. Public; failures count against
 * the client address like failed sign-ins (a code has 40 bits and lives 15 minutes).
 */
export async function pairDevice(db: Db, env: DeviceEnv, request: RequestInfo, typedCode: string) {
  const code = normalizePairingCode(typedCode);
  const hash = await pairingHash(code, env);
  const byCode = and(eq(devices.pairingCodeHash, hash), isNull(devices.revokedAt), isNull(devices.credentialHash), gt(devices.pairingExpiresAt, request.now));
  const [counted, deviceRows, storeRows, tenantRows, registerRows] = await db.batch([
    countAttempt(db, addressKey(request.ip), ADDRESS_POLICY, request.now),
    db.select().from(devices).where(byCode),
    db.select({ id: stores.id, code: stores.code, name: stores.name, isActive: stores.isActive }).from(devices).innerJoin(stores, eq(stores.id, devices.storeId)).where(byCode),
    db.select({ id: tenants.id, slug: tenants.slug }).from(devices).innerJoin(tenants, eq(tenants.id, devices.tenantId)).where(byCode),
    db.select({ id: registers.id, code: registers.code, name: registers.name }).from(devices).innerJoin(registers, eq(registers.id, devices.registerId)).where(byCode),
  ]);
  const attempt = counted[0]!;
  refuseOverLimit(attempt, ADDRESS_POLICY, request.now);
  const device = deviceRows[0] as DeviceRow | undefined;
  const [store, tenant] = [storeRows[0], tenantRows[0]];
  if (!device || !store || !tenant) {
    await commit(db, [recordAudit(db, { tenantId: null, actorType: "anonymous", action: "device.pair_failed", detail: { reason: "unknown or expired code" } }, request)]);
    throw invalidCode();
  }
  if (!store.isActive) throw forbidden(`Store ${store.code} is inactive`, "STORE_INACTIVE");
  const credential = CREDENTIAL_PREFIX + randomToken();
  const paired: DeviceRow = { ...device, credentialHash: await credentialHash(credential), pairingCodeHash: null, pairingExpiresAt: null, pairedAt: request.now, lastSeenAt: request.now, version: device.version + 1, updatedAt: request.now };
  try {
    await commit(db, [
      db.update(devices)
        .set({ credentialHash: paired.credentialHash, pairingCodeHash: null, pairingExpiresAt: null, pairedAt: request.now, lastSeenAt: request.now, version: paired.version, updatedAt: request.now })
        .where(and(eq(devices.id, device.id), byCode)),
      expectOneChange(db),
      refundAttempt(db, attempt),
      recordAudit(db, { tenantId: device.tenantId, actorType: "anonymous", action: "device.pair", entity: "device", entityId: device.id, detail: { kind: device.kind, storeId: device.storeId } }, request),
    ]);
  } catch (error) {
    if (isGuardFailure(error)) throw invalidCode(); // the same code used twice at once: only one pairs
    throw error;
  }
  return {
    credential,
    device: deviceDto(paired, request.now),
    tenant,
    store: { id: store.id, code: store.code, name: store.name },
    register: registerRows[0] ?? null,
  };
}

/** The statements of a batch that find an active device by its credential: the device, its store and tenant. */
export async function deviceLookup(db: Db, credential: string) {
  const hash = await credentialHash(credential);
  const byCredential = and(eq(devices.credentialHash, hash), isNull(devices.revokedAt), isNull(devices.deletedAt));
  return {
    hash,
    byCredential: byCredential!,
    device: db.select().from(devices).where(byCredential),
    store: db.select(getTableColumns(stores)).from(devices).innerJoin(stores, eq(stores.id, devices.storeId)).where(byCredential),
    tenant: db.select({ id: tenants.id, slug: tenants.slug, deletedAt: tenants.deletedAt }).from(devices).innerJoin(tenants, eq(tenants.id, devices.tenantId)).where(byCredential),
  };
}

export type CurrentDevice = Awaited<ReturnType<typeof currentDevice>>;

/** The device a credential belongs to, with its tenant, store and register; 401 unless active in an active store. */
export async function currentDevice(db: Db, credential: string, request: RequestInfo) {
  const lookup = await deviceLookup(db, credential);
  const [deviceRows, storeRows, tenantRows, registerRows] = await db.batch([
    lookup.device,
    lookup.store,
    lookup.tenant,
    db.select({ id: registers.id, code: registers.code, name: registers.name }).from(devices).innerJoin(registers, eq(registers.id, devices.registerId)).where(lookup.byCredential),
  ]);
  const [device, store, tenant] = [deviceRows[0] as DeviceRow | undefined, storeRows[0] as typeof stores.$inferSelect | undefined, tenantRows[0]];
  if (!device || !store || !tenant || tenant.deletedAt !== null || store.deletedAt !== null) {
    throw unauthenticated("INVALID_DEVICE", "The device credential is not valid: the device is unknown, not paired yet or revoked");
  }
  if (!store.isActive) throw forbidden(`Store ${store.code} is inactive`, "STORE_INACTIVE");
  return {
    device: deviceDto(device, request.now),
    tenant: { id: tenant.id, slug: tenant.slug },
    store: { id: store.id, code: store.code, name: store.name },
    register: registerRows[0] ?? null,
  };
}
