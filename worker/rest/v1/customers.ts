import { CreateCustomerBody, Customer, CustomerQuery, UpdateCustomerBody } from "../../../schema/contracts/catalogue";
import { customerService } from "../../domain/customers";
import { crudRoutes } from "./crud";

export const customerRoutes = crudRoutes({
  path: "/customers", tag: "Customers", noun: "customer",
  // The spec lets customers.edit delete a customer.
  permissions: { view: "customers.view", create: "customers.create", edit: "customers.edit", delete: "customers.edit" },
  schemas: { item: Customer, query: CustomerQuery, create: CreateCustomerBody, update: UpdateCustomerBody },
  service: customerService,
  errors: { create: { 409: "CUSTOMER_NUMBER_TAKEN: another customer has the number" }, update: { 409: "CUSTOMER_NUMBER_TAKEN: another customer has the number" } },
  describe: {
    list: "`search` matches the full name (\"Astrid Lind\"), company, email, phone and customer number.",
    remove: "Soft delete; the spec lets customers.edit do it. Tills learn of it from the change feed.",
  },
});
