import {
  CreateTaxGroupBody, CreateTaxRateBody, TaxGroup, TaxGroupQuery, TaxRate, TaxRateQuery, UpdateTaxGroupBody, UpdateTaxRateBody,
} from "../../../schema/contracts/catalogue";
import { taxGroupService, taxRateService } from "../../domain/taxes";
import { crudRoutes } from "./crud";

const permissions = { view: "taxes.view", create: "taxes.manage", edit: "taxes.manage", delete: "taxes.manage" } as const;

/** Groups first: `/taxes/groups` must win over `/taxes/:id`. */
export const taxRoutes = [
  ...crudRoutes({
    path: "/taxes/groups", tag: "Taxes", noun: "tax group", permissions,
    schemas: { item: TaxGroup, query: TaxGroupQuery, create: CreateTaxGroupBody, update: UpdateTaxGroupBody },
    service: taxGroupService,
    errors: {
      create: { 409: "TAX_GROUP_NAME_TAKEN: another tax group has the name", 422: "UNKNOWN_REFERENCE: taxRateIds names rates that are not yours" },
      update: { 409: "TAX_GROUP_NAME_TAKEN: another tax group has the name", 422: "UNKNOWN_REFERENCE: taxRateIds names rates that are not yours" },
      remove: { 409: "TAX_GROUP_IN_USE: live products use the group" },
    },
    describe: {
      create: "`taxRateIds` lists the group's rates in the order they apply; a compound rate is computed on the price plus the non-compound taxes before it.",
      remove: "Soft delete; 409 TAX_GROUP_IN_USE while live products use it.",
    },
  }),
  ...crudRoutes({
    path: "/taxes", tag: "Taxes", noun: "tax rate", permissions,
    schemas: { item: TaxRate, query: TaxRateQuery, create: CreateTaxRateBody, update: UpdateTaxRateBody },
    service: taxRateService,
    errors: {
      create: { 409: "TAX_RATE_NAME_TAKEN: another tax rate has the name" },
      update: { 409: "TAX_RATE_NAME_TAKEN: another tax rate has the name" },
      remove: { 409: "TAX_RATE_IN_USE: a live tax group holds the rate" },
    },
    describe: {
      create: "Give `rate` in basis points (825 = 8.25 %) or `rateMillionths` for finer rates (9.975 % = 99750). Answers carry both; `rate` is null when not a whole number of basis points.",
      remove: "Soft delete; 409 TAX_RATE_IN_USE while a live group holds it.",
    },
  }),
];
