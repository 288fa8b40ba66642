import { CreateDepartmentBody, Department, DepartmentQuery, UpdateDepartmentBody } from "../../../schema/contracts/catalogue";
import { departmentService } from "../../domain/departments";
import { crudRoutes } from "./crud";

export const departmentRoutes = crudRoutes({
  path: "/departments", tag: "Departments", noun: "department",
  permissions: { view: "products.view", create: "products.create", edit: "products.edit", delete: "products.delete" },
  schemas: { item: Department, query: DepartmentQuery, create: CreateDepartmentBody, update: UpdateDepartmentBody },
  service: departmentService,
  describe: { remove: "Soft delete; 409 DEPARTMENT_IN_USE while live products belong to it." },
});
