import { z } from "zod";
import { BasisPoints, Id, MultiLineText, Name, RateMillionths, Search, SingleLineText, Timestamp, Version } from "./common";

/** Fields every synced catalogue row answers with. */
const synced = { id: Id, version: z.int(), createdAt: Timestamp, updatedAt: Timestamp };
const Code = z.string().trim().min(1).max(32).regex(/^[\w.-]+$/, "may hold letters, digits and . _ - only");
/** An optional line of text (a contact's name, a phone number), and optional text that may span lines (notes, addresses). */
const Line = (max: number) => SingleLineText(max).nullish();
const Lines = (max: number) => MultiLineText(max).nullish();
const ActiveFilter = z.enum(["true", "false"]).transform((v) => v === "true").optional();
/** Makes every field optional and adds the client's version: the body of a PUT. */
const updateOf = <T extends z.ZodRawShape>(shape: T) => z.object(shape).partial().extend({ version: Version.optional() });

// Departments
const departmentFields = { name: Name(), code: Code.nullish(), isActive: z.boolean().default(true) };
export const Department = z.object({ ...synced, name: z.string(), code: z.string().nullable(), isActive: z.boolean() });
export const CreateDepartmentBody = z.object({ id: Id.optional(), ...departmentFields });
export const UpdateDepartmentBody = updateOf({ name: Name(), code: Code.nullable(), isActive: z.boolean() });
export const DepartmentQuery = z.object({ search: Search, isActive: ActiveFilter });

// Tax rates: `rate` in basis points, or `rateMillionths` when a basis point is too coarse (9.975 %).
const rateInput = { rate: BasisPoints.optional(), rateMillionths: RateMillionths.optional() };
const oneRate = (b: { rate?: number; rateMillionths?: number }) => (b.rate === undefined) !== (b.rateMillionths === undefined);
export const TaxRate = z.object({
  ...synced, name: z.string(), rate: z.int().nullable(), rateMillionths: z.int(), isCompound: z.boolean(), isActive: z.boolean(),
});
export const CreateTaxRateBody = z
  .object({ id: Id.optional(), name: Name(), ...rateInput, isCompound: z.boolean().default(false), isActive: z.boolean().default(true) })
  .refine(oneRate, { message: "give exactly one of rate (basis points) or rateMillionths", path: ["rate"] });
export const UpdateTaxRateBody = updateOf({ name: Name(), ...rateInput, isCompound: z.boolean(), isActive: z.boolean() })
  .refine((b) => !(b.rate !== undefined && b.rateMillionths !== undefined), { message: "give rate or rateMillionths, not both", path: ["rate"] });
export const TaxRateQuery = z.object({ search: Search, isActive: ActiveFilter });

// Tax groups: an ordered list of rates; compound rates build on the ones before them.
/** A group's rates, in the order they apply. (A refinement, not .max(): zod would run .max() on a string too.) */
const RateIds = z.array(Id)
  .refine((ids) => ids.length <= 10, "lists at most 10 rates")
  .refine((ids) => new Set(ids).size === ids.length, "lists a rate twice");
export const TaxGroup = z.object({
  ...synced,
  name: z.string(),
  rates: z.array(z.object({ id: Id, name: z.string(), rate: z.int().nullable(), rateMillionths: z.int(), isCompound: z.boolean(), sortOrder: z.int() })),
});
export const CreateTaxGroupBody = z.object({ id: Id.optional(), name: Name(), taxRateIds: RateIds.default([]) });
export const UpdateTaxGroupBody = updateOf({ name: Name(), taxRateIds: RateIds });
export const TaxGroupQuery = z.object({ search: Search });

// Suppliers
const contact = { email: z.email().max(254).nullish(), phone: Line(50), address: Lines(500), notes: Lines(2000) };
export const Supplier = z.object({
  ...synced, name: z.string(), code: z.string().nullable(), contactName: z.string().nullable(), email: z.string().nullable(),
  phone: z.string().nullable(), address: z.string().nullable(), notes: z.string().nullable(), isActive: z.boolean(),
});
export const CreateSupplierBody = z.object({ id: Id.optional(), name: Name(), code: Code.nullish(), contactName: Line(200), ...contact, isActive: z.boolean().default(true) });
export const UpdateSupplierBody = updateOf({ name: Name(), code: Code.nullable(), contactName: Line(200), ...contact, isActive: z.boolean() });
export const SupplierQuery = z.object({ search: Search, isActive: ActiveFilter });

// Customers
export const Customer = z.object({
  ...synced, customerNumber: z.string().nullable(), firstName: z.string().nullable(), lastName: z.string().nullable(),
  companyName: z.string().nullable(), email: z.string().nullable(), phone: z.string().nullable(), address: z.string().nullable(),
  notes: z.string().nullable(), isActive: z.boolean(),
});
const customerFields = { customerNumber: Code.nullish(), firstName: Line(100), lastName: Line(100), companyName: Line(200), ...contact };
const named = (b: { firstName?: string | null; lastName?: string | null; companyName?: string | null }) => !!(b.firstName || b.lastName || b.companyName);
export const CreateCustomerBody = z
  .object({ id: Id.optional(), ...customerFields, isActive: z.boolean().default(true) })
  .refine(named, { message: "a customer needs a first name, last name or company name", path: ["firstName"] });
export const UpdateCustomerBody = updateOf({ ...customerFields, isActive: z.boolean() });
export const CustomerQuery = z.object({ search: Search, isActive: ActiveFilter });

// Sales reps
export const SalesRep = z.object({
  ...synced, code: z.string(), name: z.string(), email: z.string().nullable(), phone: z.string().nullable(),
  commissionRate: z.int(), userId: Id.nullable(), isActive: z.boolean(),
});
const repFields = { code: Code, name: Name(), email: z.email().max(254).nullish(), phone: Line(50), commissionRate: BasisPoints.default(0), userId: Id.nullish() };
export const CreateSalesRepBody = z.object({ id: Id.optional(), ...repFields, isActive: z.boolean().default(true) });
export const UpdateSalesRepBody = updateOf({ ...repFields, commissionRate: BasisPoints, isActive: z.boolean() });
export const SalesRepQuery = z.object({ search: Search, isActive: ActiveFilter });

// Tenders
export const TENDER_KINDS = ["cash", "card", "mobile", "gift_card", "voucher", "account", "other"] as const;
export const Tender = z.object({
  ...synced, code: z.string(), name: z.string(), kind: z.enum(TENDER_KINDS), isCash: z.boolean(), opensDrawer: z.boolean(),
  allowsChange: z.boolean(), sortOrder: z.int(), isActive: z.boolean(),
});
const TenderCode = z.string().trim().regex(/^[A-Za-z0-9_]{1,32}$/, "must be 1 to 32 letters, digits or _").transform((c) => c.toUpperCase());
const tenderFields = {
  code: TenderCode, name: Name(), kind: z.enum(TENDER_KINDS), isCash: z.boolean(), opensDrawer: z.boolean(), allowsChange: z.boolean(),
  sortOrder: z.int().min(0).max(1000), isActive: z.boolean(),
};
/**
 * A cash tender (kind `cash`) is a cash tender for cash rounding (`isCash`), opens the drawer and gives change
 * unless told otherwise; other kinds default to none of these.
 */
export const CreateTenderBody = z
  .object({
    id: Id.optional(), ...tenderFields, isCash: z.boolean().optional(), opensDrawer: z.boolean().optional(), allowsChange: z.boolean().optional(),
    sortOrder: tenderFields.sortOrder.default(0), isActive: z.boolean().default(true),
  })
  .transform((b) => {
    const cash = b.kind === "cash";
    return { ...b, isCash: b.isCash ?? cash, opensDrawer: b.opensDrawer ?? cash, allowsChange: b.allowsChange ?? cash };
  });
/** Changing `kind` without naming `isCash` makes `isCash` follow the new kind. */
export const UpdateTenderBody = updateOf(tenderFields);
export const TenderQuery = z.object({ search: Search, kind: z.enum(TENDER_KINDS).optional(), isActive: ActiveFilter });
