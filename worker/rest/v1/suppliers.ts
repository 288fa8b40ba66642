import { CreateSupplierBody, Supplier, SupplierQuery, UpdateSupplierBody } from "../../../schema/contracts/catalogue";
import { supplierService } from "../../domain/suppliers";
import { crudRoutes } from "./crud";

export const supplierRoutes = crudRoutes({
  path: "/suppliers", tag: "Suppliers", noun: "supplier",
  permissions: { view: "suppliers.view", create: "suppliers.create", edit: "suppliers.edit", delete: "suppliers.delete" },
  schemas: { item: Supplier, query: SupplierQuery, create: CreateSupplierBody, update: UpdateSupplierBody },
  service: supplierService,
  errors: { create: { 409: "SUPPLIER_CODE_TAKEN: another supplier has the code" }, update: { 409: "SUPPLIER_CODE_TAKEN: another supplier has the code" } },
  describe: { remove: "Soft delete; the supplier's product links are deleted with it, in the same batch, and tills learn of both from the change feed." },
});
