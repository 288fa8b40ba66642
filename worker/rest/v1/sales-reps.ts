import { CreateSalesRepBody, SalesRep, SalesRepQuery, UpdateSalesRepBody } from "../../../schema/contracts/catalogue";
import { IdParams } from "../../../schema/contracts/common";
import { salesRepService } from "../../domain/sales-reps";
import { route } from "../../http/route";
import { serviceContext } from "./context";
import { crudRoutes } from "./crud";

export const salesRepRoutes = [
  ...crudRoutes({
    path: "/sales-reps", tag: "Sales reps", noun: "sales rep",
    permissions: { view: "sales_reps.view", create: "sales_reps.create", edit: "sales_reps.edit", delete: "sales_reps.delete" },
    schemas: { item: SalesRep, query: SalesRepQuery, create: CreateSalesRepBody, update: UpdateSalesRepBody },
    service: salesRepService,
    errors: {
      create: { 409: "SALES_REP_CODE_TAKEN: another sales rep has the code", 422: "UNKNOWN_REFERENCE: userId names no user of yours" },
      update: { 409: "SALES_REP_CODE_TAKEN: another sales rep has the code", 422: "UNKNOWN_REFERENCE: userId names no user of yours" },
    },
  }),
  route({
    method: "patch", path: "/sales-reps/:id/toggle-active", tag: "Sales reps", auth: "user", permission: "sales_reps.edit", versioned: true,
    summary: "Toggle a sales rep's active status", params: IdParams, response: SalesRep,
    handler: (c, { params, expectedVersion }) => salesRepService.toggleActive(serviceContext(c), params.id, expectedVersion),
  }),
];
