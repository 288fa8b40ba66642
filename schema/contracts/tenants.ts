import { z } from "zod";
import { CurrencyCode, Id, Password, Pin, Timestamp, Username } from "./common";
import { TenantSlug } from "./identity";
import { CreateStoreBody, Store } from "./stores";

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
  store: CreateStoreBody.omit({ id: true, isActive: true }),
  admin: z
    .object({
      username: Username,
      displayName: z.string().trim().min(1).max(100),
      email: z.email().nullish(),
      pin: Pin.optional(),
      password: Password.optional(),
    })
    .refine((a) => a.pin !== undefined || a.password !== undefined, {
      message: "the admin needs a pin, a password or both",
      path: ["pin"],
    }),
});

export const UpdateTenantBody = z.object({
  name: z.string().trim().min(1).max(100).optional(),
  taxRounding: z.enum(["line", "document"]).optional(),
  corsOrigins: z.array(Origin).max(50).optional(),
});

export const CreateTenantResult = z.object({
  tenant: Tenant,
  store: Store,
  admin: z.object({ id: Id, username: z.string() }),
  adminRole: z.object({ id: Id, name: z.string() }),
});
