import { IdParams } from "../../../schema/contracts/common";
import { CreateTransferBody, MAX_DOC_LINES, ReceiveTransferBody, Transfer, TransferActionBody, TransferQuery, UpdateTransferBody } from "../../../schema/contracts/stock-ops";
import { cancelTransfer, createTransfer, getTransfer, listTransfers, receiveTransfer, sendTransfer, updateTransfer } from "../../domain/transfers";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "Transfers";
const UNITS = "Quantities are integer thousandths of a unit (2000 = 2 units).";
const STATE = "INVALID_STATE: the transfer is not in a state that allows this (e.g. already sent, received or cancelled); `current` is the transfer";
const inStore = (permission: string, store: string) => `MISSING_PERMISSION_IN_STORE: you lack ${permission} in the ${store} store`;
const products = "UNKNOWN_REFERENCE: a store or a product of lines (`lines.N.productId`) is not yours; PRODUCT_NOT_TRACKED: a product does not track stock; SAME_STORE: toStoreId is the source";

export const transferRoutes = [
  route({
    method: "get", path: "/transfers", tag, auth: "user", permission: "transfers.view",
    summary: "List transfers", description: "Newest first, without lines. `store_id`: transfers from or to the store.",
    query: TransferQuery, response: Transfer, paged: true,
    handler: (c, { query }) => listTransfers(serviceContext(c), query),
  }),
  route({
    method: "get", path: "/transfers/:id", tag, auth: "user", permission: "transfers.view",
    summary: "Get a transfer with its lines", params: IdParams, response: Transfer,
    handler: (c, { params }) => getTransfer(serviceContext(c), params.id),
  }),
  route({
    method: "post", path: "/transfers", tag, auth: "user", permission: "transfers.create",
    summary: "Create a transfer",
    description: `A draft from \`fromStoreId\` (the store you are signed into when left out) to another store of yours, with up to ${MAX_DOC_LINES} lines of tracked products. ${UNITS} Needs transfers.create in the source store. Nothing moves until it is sent.`,
    body: CreateTransferBody, response: Transfer, status: 201,
    errors: { 403: inStore("transfers.create", "source"), 422: products },
    handler: (c, { body }) => createTransfer(serviceContext(c), body),
  }),
  route({
    method: "put", path: "/transfers/:id", tag, auth: "user", permission: "transfers.create", versioned: true,
    summary: "Edit a draft transfer", description: "The destination, the notes, or every line (`lines` replaces them). Only while draft; needs transfers.create in the source store.",
    params: IdParams, body: UpdateTransferBody, response: Transfer,
    errors: { 403: inStore("transfers.create", "source"), 409: STATE, 422: products },
    handler: (c, { params, body, expectedVersion }) => updateTransfer(serviceContext(c), params.id, body, expectedVersion),
  }),
  route({
    method: "put", path: "/transfers/:id/send", tag, auth: "user", permission: "transfers.send", versioned: true,
    summary: "Send a transfer",
    description: "Books every line out of the source store (stock movements `transfer_out`, in one batch with the transfer's new state): the stock is in transit. Needs transfers.send in the source store. A second send, also a concurrent one, is 409.",
    params: IdParams, body: TransferActionBody, response: Transfer,
    errors: { 403: inStore("transfers.send", "source"), 409: STATE },
    handler: (c, { params, expectedVersion }) => sendTransfer(serviceContext(c), params.id, expectedVersion),
  }),
  route({
    method: "put", path: "/transfers/:id/receive", tag, auth: "user", permission: "transfers.receive", versioned: true,
    summary: "Receive a transfer",
    description:
      "Books what arrived into the destination store (stock movements `transfer_in`). Lines not named in `lines` arrived as sent; a line named with another `receivedQuantity` needs a `reason`, " +
      "and keeps the difference as its `discrepancy`. Needs transfers.receive in the destination store. A second receive, also a concurrent one, is 409.",
    params: IdParams, body: ReceiveTransferBody, response: Transfer,
    errors: { 403: inStore("transfers.receive", "destination"), 409: STATE, 422: "NOT_ON_TRANSFER: a line names a product the transfer does not carry; REASON_REQUIRED: a line differs from what was sent and gives no reason" },
    handler: (c, { params, body, expectedVersion }) => receiveTransfer(serviceContext(c), params.id, body, expectedVersion),
  }),
  route({
    method: "put", path: "/transfers/:id/cancel", tag, auth: "user", permission: "transfers.create", versioned: true,
    summary: "Cancel a transfer",
    description: "Before it is received. A sent transfer's stock goes back into the source store (stock movements `transfer_in`, reason `transfer_cancelled`). Needs transfers.create in the source store.",
    params: IdParams, body: TransferActionBody, response: Transfer,
    errors: { 403: inStore("transfers.create", "source"), 409: STATE },
    handler: (c, { params, expectedVersion }) => cancelTransfer(serviceContext(c), params.id, expectedVersion),
  }),
];
