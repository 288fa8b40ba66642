import { CreateTenderBody, Tender, TenderQuery, UpdateTenderBody } from "../../../schema/contracts/catalogue";
import { tenderService } from "../../domain/tenders";
import { crudRoutes } from "./crud";

export const tenderRoutes = crudRoutes({
  path: "/tenders", tag: "Tenders", noun: "tender",
  permissions: { view: "tenders.view", create: "tenders.manage", edit: "tenders.manage", delete: "tenders.manage" },
  schemas: { item: Tender, query: TenderQuery, create: CreateTenderBody, update: UpdateTenderBody },
  service: tenderService,
  errors: { create: { 409: "TENDER_CODE_TAKEN: another tender has the code" }, update: { 409: "TENDER_CODE_TAKEN: another tender has the code" } },
  describe: {
    create: "Codes are upper-cased and unique per tenant (409 TENDER_CODE_TAKEN). A tender of kind `cash` is a cash tender (`isCash`: the store's cash rounding applies), opens the drawer and gives change unless the body says otherwise; other kinds default to none of these.",
  },
});
