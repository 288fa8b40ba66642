import { z } from "zod";
import { Id, Password } from "./common";
import { StoreRef, TenantSlug, User, UserSummary } from "./identity";

/**
 * Sign-in. A password works anywhere (the back office). A PIN works only from an enrolled device of the PIN's
 * store: the device sends its credential in X-Device-Credential, and the device decides tenant and store.
 */
export const LoginBody = z
  .object({
    /** The tenant's slug; may be left out when a device credential is sent (the device's tenant). */
    tenant: TenantSlug.optional(),
    username: z.string().min(1).max(64).transform((u) => u.toLowerCase()),
    pin: z.string().min(1).max(64).optional(),
    password: z.string().min(1).max(128).optional(),
    /** The store to work in (code or id); from a device, the device's store. */
    store: StoreRef.optional(),
  })
  .refine((b) => (b.pin === undefined) !== (b.password === undefined), {
    message: "give exactly one of pin or password",
    path: ["pin"],
  });

export const PinLoginBody = z.object({
  pin: z.string().min(1).max(64),
  /** Optional: when given, they must be the device's tenant and store. */
  tenant: TenantSlug.optional(),
  store: StoreRef.optional(),
});

export const RefreshBody = z.object({ refreshToken: z.string().min(10).max(512) });

export const ChangeCredentialBody = z
  .object({
    /** Prove who you are: your current password, or (on an enrolled device only) your current PIN. */
    currentPin: z.string().max(64).optional(),
    currentPassword: z.string().max(128).optional(),
    newPassword: Password.optional(),
    /** true: the server generates a new PIN for you and answers it once as `pin`. PINs are never chosen. */
    newPin: z.literal(true).optional(),
  })
  .refine((b) => (b.currentPin === undefined) !== (b.currentPassword === undefined), {
    message: "give exactly one of currentPin or currentPassword",
    path: ["currentPin"],
  })
  .refine((b) => b.newPin !== undefined || b.newPassword !== undefined, {
    message: "give newPassword, newPin: true or both",
    path: ["newPin"],
  });

export const LoginResult = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal("Bearer"),
  expiresIn: z.int(),
  user: UserSummary,
  store: z.object({ id: Id, code: z.string(), name: z.string() }),
  permissions: z.array(z.string()),
});

export const ChangeCredentialResult = LoginResult.extend({
  /** Your new PIN when you asked for one: shown here once, stored only as hashes. */
  pin: z.string().optional(),
});

export const MeResult = z.object({
  user: User,
  tenant: z.object({ id: Id, slug: z.string(), name: z.string() }),
  store: z.object({ id: Id, code: z.string(), name: z.string(), currency: z.string(), timeZone: z.string() }),
  permissions: z.array(z.string()),
  /** The enrolled device this session was started from, if any. */
  deviceId: Id.nullable(),
});

export const CredentialResetBody = z.object({
  tenant: TenantSlug,
  code: z.string().trim().min(10).max(64),
  newPassword: Password,
});

export const IssueCredentialResetBody = z.object({ username: z.string().min(1).max(64).transform((u) => u.toLowerCase()) });

export const CredentialReset = z.object({
  /** One-time: give it to the administrator, who sets a new password with it at POST /api/v1/auth/credential-reset. */
  code: z.string(),
  expiresAt: z.iso.datetime(),
  user: z.object({ id: Id, username: z.string() }),
});
