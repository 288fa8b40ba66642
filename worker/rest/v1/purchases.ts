import { z } from "zod";
import { IdParams, PageQuery } from "../../../schema/contracts/common";
import { AddPurchaseBody, Purchase, PurchaseListQuery, PurchaseSummary } from "../../../schema/contracts/purchases";
import { addPurchase, getPurchase, listPurchases } from "../../domain/purchases";
import { route } from "../../http/route";
import { principalContext } from "./context";

const tag = "Purchases";

export const purchaseRoutes = [
  route({
    method: "get", path: "/purchases", tag, auth: "user", permission: "purchases.view",
    summary: "List recorded purchases",
    description: "Newest first, without lines: a customer's purchase history from other systems (customerId), a date range (date_from inclusive, date_to exclusive; a date alone is its UTC midnight), or the one purchase of a source and transactionId.",
    query: PageQuery.extend(PurchaseListQuery.shape), response: PurchaseSummary, paged: true,
    handler: (c, { query }) => listPurchases(principalContext(c), query as z.output<typeof PurchaseListQuery> & PageQuery),
  }),
  route({
    method: "get", path: "/purchases/:id", tag, auth: "user", permission: "purchases.view",
    summary: "Get a recorded purchase with its lines and payments", params: IdParams, response: Purchase,
    handler: (c, { params }) => getPurchase(principalContext(c), params.id),
  }),
  route({
    method: "post", path: "/purchases", tag, auth: "user", permission: "purchases.create", status: 201,
    summary: "Record a purchase made in another system (web shop, ERP) for a customer",
    description:
      "For the customer's purchase history; it moves no stock and is in no till report. The figures must add up: each lineTotal is " +
      "round(unitPrice × quantity / 1000) − discount, taxTotal the sum of the lines' taxAmount, total the sum of the line totals (plus taxTotal when " +
      "prices exclude tax), and the payments the total. One purchase per source and transactionId: recording the same purchase again (even at the same " +
      "moment) answers the record already there and writes nothing; a different purchase under a used transactionId is 409 PURCHASE_TRANSACTION_EXISTS. " +
      "A line's sku (without productId) links the line to your product with that SKU when there is one.",
    body: AddPurchaseBody, response: Purchase,
    errors: {
      400: "PURCHASE_TOTALS_MISMATCH (fields with received and expected); VALIDATION_ERROR (purchasedAt in the future)",
      403: "MISSING_PERMISSION_IN_STORE: purchases.create is needed in the store named",
      409: "PURCHASE_TRANSACTION_EXISTS: the source has another purchase under this transactionId (current: it, if you hold purchases.view)",
      422: "UNKNOWN_REFERENCE: customerId, storeId or a line's productId is not yours",
    },
    handler: (c, { body }) => addPurchase(principalContext(c), body),
  }),
];
