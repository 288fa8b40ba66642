import { z } from "zod";
import { ALL_PERMISSIONS } from "../permissions";
import { Id, MultiLineText, Name, Password, Pin, Search, Timestamp, Username, Version } from "./common";

export const PermissionName = z.enum(ALL_PERMISSIONS as [string, ...string[]], {
  error: (issue) => `unknown permission ${JSON.stringify(issue.input)}`,
});

/** A tenant is named by its slug at login (tills and pages are configured with it). */
export const TenantSlug = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "must be 2 to 63 lower-case letters, digits or -");

/** A store named by its UUID (any case; a store code is never UUID-shaped) or its code. */
export const StoreRef = z.string().min(1).max(64).transform((ref) => (Id.safeParse(ref).success ? ref.toLowerCase() : ref));

export const UserSummary = z.object({
  id: Id,
  username: z.string(),
  displayName: z.string(),
  isActive: z.boolean(),
});

export const StoreRole = z.object({ storeId: Id, roleId: Id });

export const User = UserSummary.extend({
  email: z.string().nullable(),
  hasPin: z.boolean(),
  hasPassword: z.boolean(),
  storeRoles: z.array(StoreRole),
  lastLoginAt: Timestamp.nullable(),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type User = z.infer<typeof User>;

export const CreateUserBody = z
  .object({
    id: Id.optional(),
    username: Username,
    displayName: Name(100),
    email: z.email().max(254).nullish(),
    pin: Pin.optional(),
    password: Password.optional(),
    isActive: z.boolean().default(true),
    storeRoles: z.array(StoreRole).max(200).default([]),
  })
  .refine((b) => b.pin !== undefined || b.password !== undefined, {
    message: "a user needs a pin, a password or both",
    path: ["pin"],
  });

export const UpdateUserBody = z.object({
  version: Version.optional(),
  username: Username.optional(),
  displayName: Name(100).optional(),
  email: z.email().max(254).nullish(),
  pin: Pin.nullable().optional(),
  password: Password.nullable().optional(),
  isActive: z.boolean().optional(),
  storeRoles: z.array(StoreRole).max(200).optional(),
});

export const UserListQuery = z.object({
  search: Search,
  storeId: Id.optional(),
  isActive: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
});

export const Role = z.object({
  id: Id,
  name: z.string(),
  description: z.string().nullable(),
  permissions: z.array(z.string()),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Role = z.infer<typeof Role>;

export const CreateRoleBody = z.object({
  id: Id.optional(),
  name: Name(100),
  description: MultiLineText(500).nullish(),
  permissions: z.array(PermissionName).max(200).default([]),
});

export const UpdateRoleBody = z.object({
  version: Version.optional(),
  name: Name(100).optional(),
  description: MultiLineText(500).nullish(),
});

export const RolePermissionsBody = z.object({
  version: Version.optional(),
  permissions: z.array(PermissionName).max(200),
});

export const PermissionInfo = z.object({ name: z.string(), group: z.string(), description: z.string() });
