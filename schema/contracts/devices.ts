import { z } from "zod";
import { Id, Timestamp, Version } from "./common";
import { StoreCode } from "./stores";
import { Name } from "./text";

/**
 * register: a till; bridge: the store's printer and drawer daemon; store: a store server that syncs the whole
 * store (the spec's "sync token"); sync: a sync client of the store's data (a kiosk, a web shop's stock feed).
 */
export const DEVICE_KINDS = ["register", "bridge", "store", "sync"] as const;

/** The header an enrolled device sends its credential in. */
export const DEVICE_CREDENTIAL_HEADER = "X-Device-Credential";

/** How an enrolled device is seen by the people who manage it (never its credential). */
export const Device = z.object({
  id: Id,
  storeId: Id,
  kind: z.enum(DEVICE_KINDS),
  registerId: Id.nullable(),
  name: z.string(),
  /** pending: waiting for its pairing code; active: paired; expired: the code ran out unused; revoked: for good. */
  status: z.enum(["pending", "active", "expired", "revoked"]),
  pairingExpiresAt: Timestamp.nullable(),
  pairedAt: Timestamp.nullable(),
  lastSeenAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
  createdAt: Timestamp,
});

/** A one-time pairing code: shown once, to the person who will type it into the device. */
export const Pairing = z.object({
  deviceId: Id,
  /** 8 characters as XXXX-XXXX (Crockford base32: no I, L, O or U); case and dashes do not matter when typed. */
  code: z.string(),
  expiresAt: Timestamp,
});

export const RegisterCode = StoreCode;

export const Register = z.object({
  id: Id,
  storeId: Id,
  code: z.string(),
  name: z.string(),
  isActive: z.boolean(),
  /** The register's live device (its till), if one is paired or waiting to be. */
  device: Device.nullable(),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const StoreParams = z.object({ storeId: Id });
export const StoreRegisterParams = z.object({ storeId: Id, registerId: Id });

export const CreateRegisterBody = z.object({
  id: Id.optional(),
  code: RegisterCode,
  name: Name(100),
});

export const UpdateRegisterBody = z.object({
  version: Version.optional(),
  code: RegisterCode.optional(),
  name: Name(100).optional(),
  /** Deactivating a register revokes its till's credential. */
  isActive: z.boolean().optional(),
});

export const RegisterWithPairing = Register.extend({ pairing: Pairing });

export const CreateDeviceBody = z.object({
  kind: z.enum(["bridge", "store", "sync"]),
  name: Name(100),
});

export const DeviceWithPairing = Device.extend({ pairing: Pairing });

export const PairBody = z.object({ code: z.string().trim().min(8).max(16) });

export const PairResult = z.object({
  /** The device's credential: send it as `X-Device-Credential`. Shown once; stored only as a hash. */
  credential: z.string(),
  device: Device,
  tenant: z.object({ id: Id, slug: z.string() }),
  store: z.object({ id: Id, code: z.string(), name: z.string() }),
  register: z.object({ id: Id, code: z.string(), name: z.string() }).nullable(),
});

export const CurrentDevice = PairResult.omit({ credential: true });
