import { z } from "zod";
import { CurrencyCode, Id, Password, Timestamp, Username } from "./common";
import { TenantSlug } from "./identity";
import { CreateStoreBody, Store } from "./stores";

export const DEFAULT_PIN_LENGTH = 4;
/** Digits of the PINs the server generates for a tenant's users. */
export const PinLength = z.int().min(4).max(8);

export const Origin = z.url().refine((u) => {
  const url = new URL(u);
  return (url.protocol === "https:" || url.protocol === "http:") && url.origin === u.replace(/\/$/, "");
}, "must be an origin such as https://till.example.com (scheme, host and port only)")
  .transform((u) => new URL(u).origin);

export const Tenant = z.object({
  id: Id,
  slug: z.string(),
  name: z.string(),
  currency: z.string(),
  taxRounding: z.enum(["line", "document"]),
  corsOrigins: z.array(z.string()),
  pinLength: z.int(),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const CreateTenantBody = z.object({
  slug: TenantSlug,
  name: z.string().trim().min(1).max(100),
  currency: CurrencyCode,
  taxRounding: z.enum(["line", "document"]).default("line"),
  corsOrigins: z.array(Origin).max(50).default([]),
  pinLength: PinLength.default(DEFAULT_PIN_LENGTH),
  store: CreateStoreBody.omit({ id: true, isActive: true }),
  admin: z
    .object({
      username: Username,
      displayName: z.string().trim().min(1).max(100),
      email: z.email().nullish(),
      /** The administrator signs in to the back office with it; their PIN (for tills) is generated and shown once. */
      password: Password,
    })
    .strict(),
});

export const UpdateTenantBody = z.object({
  name: z.string().trim().min(1).max(100).optional(),
  taxRounding: z.enum(["line", "document"]).optional(),
  corsOrigins: z.array(Origin).max(50).optional(),
  pinLength: PinLength.optional(),
});

export const CreateTenantResult = z.object({
  tenant: Tenant,
  store: Store,
  /** `pin` is the administrator's generated PIN, shown here once. */
  admin: z.object({ id: Id, username: z.string(), pin: z.string() }),
  adminRole: z.object({ id: Id, name: z.string() }),
});
