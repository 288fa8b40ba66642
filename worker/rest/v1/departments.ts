import { CreateDepartmentBody, Department, DepartmentQuery, UpdateDepartmentBody } from "../../../schema/contracts/catalogue";
import { departmentService } from "../../domain/departments";
import { crudRoutes } from "./crud";

export const departmentRoutes = crudRoutes({
  path: "/departments", tag: "Departments", noun: "department",
  permissions: { view: "products.view", create: "products.create", edit: "products.edit", delete: "products.delete" },
  schemas: { item: Department, query: DepartmentQuery, create: CreateDepartmentBody, update: UpdateDepartmentBody },
  service: departmentService,
  describe: { remove: "Soft delete; 409 DEPARTMENT_IN_USE while live products belong to it." },
  errors: {
    create: { 409: "DEPARTMENT_NAME_TAKEN, DEPARTMENT_CODE_TAKEN: another department has the name or code" },
    update: { 409: "DEPARTMENT_NAME_TAKEN, DEPARTMENT_CODE_TAKEN: another department has the name or code" },
    remove: { 409: "DEPARTMENT_IN_USE: live products belong to the department" },
  },
});
