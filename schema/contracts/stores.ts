import { z } from "zod";
import { CurrencyCode, Id, MultiLineText, Name, SingleLineText, Timestamp, TimeZone, Version } from "./common";

export const StoreCode = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, "must be 1 to 32 letters, digits, _ or -");

/** Cash rounding unit in minor units: 1 (none), 5 (CHF 5 rappen), 10, 50, 100 (SEK whole kronor). */
export const CashRoundingUnit = z.int().min(1).max(10000);

export const Store = z.object({
  id: Id,
  code: z.string(),
  name: z.string(),
  currency: z.string(),
  timeZone: z.string(),
  pricesIncludeTax: z.boolean(),
  cashRoundingUnit: z.int(),
  address: z.string().nullable(),
  phone: z.string().nullable(),
  isActive: z.boolean(),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Store = z.infer<typeof Store>;

export const CreateStoreBody = z.object({
  id: Id.optional(),
  code: StoreCode,
  name: Name(100),
  currency: CurrencyCode,
  timeZone: TimeZone,
  pricesIncludeTax: z.boolean(),
  cashRoundingUnit: CashRoundingUnit.default(1),
  address: MultiLineText(500).nullish(),
  phone: SingleLineText(50).nullish(),
  isActive: z.boolean().default(true),
});

export const UpdateStoreBody = z.object({
  version: Version.optional(),
  code: StoreCode.optional(),
  name: Name(100).optional(),
  currency: CurrencyCode.optional(),
  timeZone: TimeZone.optional(),
  pricesIncludeTax: z.boolean().optional(),
  cashRoundingUnit: CashRoundingUnit.optional(),
  address: MultiLineText(500).nullish(),
  phone: SingleLineText(50).nullish(),
  isActive: z.boolean().optional(),
});
