import { z } from "zod";
import { CurrencyCode, Id, Name, Password, Timestamp, Username } from "./common";
import { TenantSlug } from "./identity";
import { CreateStoreBody, Store } from "./stores";

export const DEFAULT_PIN_LENGTH = 4;
/** Digits of the PINs the server generates for a tenant's users. */
export const PinLength = z.int().min(4).max(8);

const ORIGIN_EXAMPLE = "an origin such as https://till.example.com (scheme, host and port only)";

/**
 * Why `s` is not a browser origin a tenant may allow, or undefined when it is one. CORS matches the Origin
 * header exactly, so a wildcard would silently match nothing, and "null" is what sandboxed frames and file:
 * pages send, which any page can arrange to send: allowing it would allow everyone.
 */
function originProblem(s: string): string | undefined {
  if (s.includes("*")) return `must be ${ORIGIN_EXAMPLE}; wildcards are not supported, list each origin`;
  if (s.trim().toLowerCase() === "null") return `must be ${ORIGIN_EXAMPLE}; "null" is sent by sandboxed and file: pages, which any page can be, so it cannot be allowed`;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return `must be ${ORIGIN_EXAMPLE}`;
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.origin !== s.replace(/\/$/, "")) return `must be ${ORIGIN_EXAMPLE}`;
  return undefined;
}

/** A browser origin, normalised ("https://till.example.com/" → "https://till.example.com"). */
export const Origin = z
  .string()
  .max(2048)
  .superRefine((s, ctx) => {
    const problem = originProblem(s);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .transform((u) => new URL(u).origin)
  .meta({ format: "uri" });

export const Tenant = z.object({
  id: Id,
  slug: z.string(),
  name: z.string(),
  currency: z.string(),
  taxRounding: z.enum(["line", "document"]),
  corsOrigins: z.array(z.string()),
  pinLength: z.int(),
  allowUnreferencedReturns: z.boolean(),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const CreateTenantBody = z.object({
  slug: TenantSlug,
  name: Name(100),
  currency: CurrencyCode,
  taxRounding: z.enum(["line", "document"]).default("line"),
  corsOrigins: z.array(Origin).max(50).default([]),
  pinLength: PinLength.default(DEFAULT_PIN_LENGTH),
  /** Returns without the original receipt, by users holding pos.void. */
  allowUnreferencedReturns: z.boolean().default(false),
  store: CreateStoreBody.omit({ id: true, isActive: true }),
  admin: z
    .object({
      username: Username,
      displayName: Name(100),
      email: z.email().nullish(),
      /** The administrator signs in to the back office with it; their PIN (for tills) is generated and shown once. */
      password: Password,
    })
    .strict(),
});

export const UpdateTenantBody = z.object({
  name: Name(100).optional(),
  taxRounding: z.enum(["line", "document"]).optional(),
  corsOrigins: z.array(Origin).max(50).optional(),
  pinLength: PinLength.optional(),
  allowUnreferencedReturns: z.boolean().optional(),
});

export const CreateTenantResult = z.object({
  tenant: Tenant,
  store: Store,
  /** `pin` is the administrator's generated PIN, shown here once. */
  admin: z.object({ id: Id, username: z.string(), pin: z.string() }),
  adminRole: z.object({ id: Id, name: z.string() }),
});
