import { eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { CreateCustomerBody, UpdateCustomerBody } from "../../schema/contracts/catalogue";
import type { PageQuery } from "../../schema/contracts/common";
import { customers } from "../../schema/db";
import { matchesSearch, searchText } from "../db/search";
import { conflict, validationFailed } from "./errors";
import type { ServiceContext } from "./context";
import { entityService, plainDto, withNulls } from "./entity";

type Row = typeof customers.$inferSelect;

const entity = entityService({
  label: "Customer",
  kind: "customer",
  table: customers,
  toDto: (r: Row) => plainDto(r),
  /** The full name is one field, so that "Ada Love" finds Ada Lovelace. */
  searchText: (r: Row) => searchText([[r.firstName, r.lastName].filter(Boolean).join(" "), r.companyName, r.email, r.phone, r.customerNumber]),
  unique: (r: Row) => [{ column: "customers.customer_number", error: () => conflict("CUSTOMER_NUMBER_TAKEN", `Customer number ${r.customerNumber} is taken`) }],
});

export const customerService = {
  /** `search` matches names, company, email, phone and customer number. */
  list: (ctx: ServiceContext, q: PageQuery & { search?: string; isActive?: boolean }) =>
    entity.list(ctx, q, [
      matchesSearch(customers.searchText, q.search),
      q.isActive === undefined ? undefined : eq(customers.isActive, q.isActive),
    ], sql`coalesce(${customers.lastName}, ${customers.companyName}, ${customers.firstName}), ${customers.firstName}, ${customers.id}`),
  get: entity.get,
  create: (ctx: ServiceContext, b: z.output<typeof CreateCustomerBody>) =>
    entity.create(ctx, withNulls(b, ["customerNumber", "firstName", "lastName", "companyName", "email", "phone", "address", "notes"] as const)),
  /** An update may not leave the customer without a first name, last name or company name. */
  update: (ctx: ServiceContext, id: string, { version: _v, ...b }: z.output<typeof UpdateCustomerBody>, v: number | undefined) =>
    entity.update(ctx, id, (current) => {
      const name = (k: "firstName" | "lastName" | "companyName") => (b[k] === undefined ? current[k] : b[k]);
      if (!name("firstName") && !name("lastName") && !name("companyName")) {
        throw validationFailed([{ path: "firstName", message: "a customer needs a first name, last name or company name" }]);
      }
      return b;
    }, v),
  remove: (ctx: ServiceContext, id: string, v: number | undefined) => entity.remove(ctx, id, v),
};
