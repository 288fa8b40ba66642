import { IdParams, PageQuery } from "../../../schema/contracts/common";
import { CreateSaleBody, Quote, QuoteBody, Sale, SaleListQuery, SaleSummary, VoidSaleBody } from "../../../schema/contracts/sales";
import { quoteSale } from "../../domain/sale-quote";
import { idempotencyKey } from "../../domain/idempotency";
import { createSale, getSale, listSales, hashedSaleRequest, voidSale } from "../../domain/sales";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "Sales";

export const saleRoutes = [
  route({
    method: "get", path: "/sales", tag, auth: "user", permission: "pos.sell",
    summary: "List sales", description: "Newest first, without lines. date_from inclusive, date_to exclusive (a date alone is its UTC midnight).",
    query: PageQuery.extend(SaleListQuery.shape), response: SaleSummary, paged: true,
    handler: (c, { query }) =>
      listSales(serviceContext(c), { page: query.page, pageSize: query.pageSize, dateFrom: query.date_from, dateTo: query.date_to, storeId: query.store_id, status: query.status, kind: query.kind, sessionId: query.session_id }),
  }),
  route({
    method: "get", path: "/sales/:id", tag, auth: "user", permission: "pos.sell",
    summary: "Get a sale with its lines, taxes and payments", params: IdParams, response: Sale,
    handler: (c, { params }) => getSale(serviceContext(c), params.id),
  }),
  route({
    method: "post", path: "/sales/quote", tag, auth: "user", permission: "pos.sell",
    summary: "Price a basket from the catalogue: the body a till would post",
    description: "Effective prices (store price, specials in the store's time zone), tax groups, the tenant's rounding and the store's cash rounding (on the part cash settles, by the payments given). Writes nothing. Add a receipt number (and ids) and post it to POST /api/v1/sales.",
    body: QuoteBody, response: Quote,
    errors: { 422: "UNKNOWN_REFERENCE: a product or tender that is not yours" },
    handler: (c, { body }) => quoteSale(serviceContext(c), body),
  }),
  route({
    method: "post", path: "/sales", tag, auth: "user", permission: "pos.sell", status: 201,
    summary: "Create a complete sale (or a return) at a till",
    description:
      "From an enrolled till with an open register session. The edge recomputes every figure with the money engine: a line tax, line total, subtotal, tax, discount " +
      "or grand total, or a cash rounding, that differs is 422 SALE_MISMATCH with each field's received and expected value. A unit price other than the catalogue's " +
      "is taken (an offline till sold at the price it had) and kept as a price override beside the catalogue price. Payments: active tenders by code; change only " +
      "from cash; cash rounding to the store's unit on the part cash settles. A return has negative quantities, names the original sale and each line it returns " +
      "(never beyond what is left of it), and refunds (negative payments). Retries: the sale's id, and an Idempotency-Key header, answer the first answer again; " +
      "the same id or key with another request is 422 IDEMPOTENCY_MISMATCH. Two D1 round trips whatever the number of lines.",
    body: CreateSaleBody, response: Sale,
    errors: {
      403: "REGISTER_REQUIRED: not signed in at an enrolled till; UNREFERENCED_RETURNS_OFF",
      409: "REGISTER_NOT_OPEN: the till's register has no open session; RECEIPT_NUMBER_TAKEN; RETURN_EXCEEDS_SOLD: a racing return took the items; ID_TAKEN",
      422: "SALE_MISMATCH (fields with received and expected); UNKNOWN_REFERENCE; INVALID_RETURN; UNDERPAID; OVERPAID; REFUND_MISMATCH; IDEMPOTENCY_MISMATCH",
    },
    handler: async (c, { body }) => createSale(serviceContext(c), { body, idempotency: await idempotencyKey("sales", c.req.header("Idempotency-Key"), hashedSaleRequest(body)) }),
  }),
  route({
    method: "put", path: "/sales/:id/void", tag, auth: "user", permission: "pos.void", versioned: true,
    summary: "Void a sale while its register session is open",
    description: "Its stock comes back (a voided return's goes out again); the sale stays, with who voided it, when and why. After the session closed, make a return instead.",
    params: IdParams, body: VoidSaleBody, response: Sale,
    errors: { 409: "ALREADY_VOIDED; SALE_HAS_RETURNS; REGISTER_SESSION_CLOSED" },
    handler: (c, { params, body, expectedVersion }) => voidSale(serviceContext(c), params.id, body.reason, expectedVersion),
  }),
];
