import { z } from "zod";
import { IdParams } from "../../../schema/contracts/common";
import {
  CreatePurchaseOrderBody, MAX_DOC_LINES, PurchaseOrder, PurchaseOrderActionBody, PurchaseOrderItemParams, PurchaseOrderLineBody, PurchaseOrderQuery,
  ReceivePurchaseOrderBody, UpdatePurchaseOrderBody, UpdatePurchaseOrderLineBody,
} from "../../../schema/contracts/stock-ops";
import {
  addPurchaseOrderLine, approvePurchaseOrder, cancelPurchaseOrder, createPurchaseOrder, deletePurchaseOrder, getPurchaseOrder, listPurchaseOrders,
  receivePurchaseOrder, removePurchaseOrderLine, sendPurchaseOrder, submitPurchaseOrder, updatePurchaseOrder, updatePurchaseOrderLine,
} from "../../domain/purchase-orders";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "Purchase orders";
const UNITS = "Quantities are integer thousandths of a unit (2000 = 2 units); unitCost is minor units per unit.";
const STATE = "INVALID_STATE: the order's status does not allow this; `current` is the order";
const IN_STORE = (p: string) => ({ 403: `MISSING_PERMISSION_IN_STORE: you lack ${p} in the order's store` });
const DRAFT_ONLY = "Only while the order is a draft.";
const step = (path: string, permission: "purchase_orders.create" | "purchase_orders.approve" | "purchase_orders.edit", summary: string, description: string,
  service: typeof submitPurchaseOrder) =>
  route({
    method: "patch", path: `/purchase-orders/:id/${path}`, tag, auth: "user", permission, versioned: true,
    summary, description: `${description} Needs ${permission} in the order's store.`, params: IdParams, body: PurchaseOrderActionBody, response: PurchaseOrder,
    errors: { ...IN_STORE(permission), 409: STATE, ...(path === "submit" ? { 422: "EMPTY_ORDER: the order has no lines" } : {}) },
    handler: (c, { params, expectedVersion }) => service(serviceContext(c), params.id, expectedVersion),
  });

export const purchaseOrderRoutes = [
  route({
    method: "get", path: "/purchase-orders", tag, auth: "user", permission: "purchase_orders.view",
    summary: "List purchase orders", description: "Newest first, without lines or receipts.",
    query: PurchaseOrderQuery, response: PurchaseOrder, paged: true,
    handler: (c, { query }) => listPurchaseOrders(serviceContext(c), query),
  }),
  route({
    method: "get", path: "/purchase-orders/:id", tag, auth: "user", permission: "purchase_orders.view",
    summary: "Get a purchase order with its lines and receipts", params: IdParams, response: PurchaseOrder,
    handler: (c, { params }) => getPurchaseOrder(serviceContext(c), params.id),
  }),
  route({
    method: "post", path: "/purchase-orders", tag, auth: "user", permission: "purchase_orders.create",
    summary: "Create a purchase order",
    description:
      `A draft to a supplier for delivery to \`storeId\` (the store you are signed into when left out), with up to ${MAX_DOC_LINES} lines of tracked products. ${UNITS} ` +
      "A line's unitCost and supplierSku default to the product–supplier link's, its unitCost to the product's cost price where the link has none. Needs purchase_orders.create in the store.",
    body: CreatePurchaseOrderBody, response: PurchaseOrder, status: 201,
    errors: { ...IN_STORE("purchase_orders.create"), 422: "UNKNOWN_REFERENCE: storeId, supplierId or a product (`lines.N.productId`) is not yours; PRODUCT_NOT_TRACKED: a product does not track stock" },
    handler: (c, { body }) => createPurchaseOrder(serviceContext(c), body),
  }),
  route({
    method: "put", path: "/purchase-orders/:id", tag, auth: "user", permission: "purchase_orders.edit", versioned: true,
    summary: "Update a purchase order", description: "The expected delivery date and notes until it is received or cancelled; the supplier only while draft. Needs purchase_orders.edit in the order's store.",
    params: IdParams, body: UpdatePurchaseOrderBody, response: PurchaseOrder,
    errors: { ...IN_STORE("purchase_orders.edit"), 409: STATE, 422: "UNKNOWN_REFERENCE: supplierId is not a supplier of yours" },
    handler: (c, { params, body, expectedVersion }) => updatePurchaseOrder(serviceContext(c), params.id, body, expectedVersion),
  }),
  step("submit", "purchase_orders.create", "Submit a purchase order for approval", "draft → submitted; the order needs a line.", submitPurchaseOrder),
  step("approve", "purchase_orders.approve", "Approve a purchase order", "submitted → approved.", approvePurchaseOrder),
  step("send", "purchase_orders.edit", "Mark a purchase order as sent", "approved → sent: it can now be received.", sendPurchaseOrder),
  route({
    method: "patch", path: "/purchase-orders/:id/receive", tag, auth: "user", permission: "purchase_orders.receive", versioned: true,
    summary: "Receive purchase order items",
    description:
      `Books what arrived of some lines into the order's store, in one batch: stock movements \`receipt\` at the line's unit cost, the lines' received quantities, the order's status ` +
      "(partially_received, or received when every line is), and unless `updateCost` is false each product's cost price moved to the weighted average of the tenant's stock on hand and what arrived. " +
      `${UNITS} A line cannot go past its quantity unless it allows over-receipt. Of concurrent receipts of the last units one wins; the others are 422 OVER_RECEIPT. Needs purchase_orders.receive in the order's store.`,
    params: IdParams, body: ReceivePurchaseOrderBody, response: PurchaseOrder,
    errors: { ...IN_STORE("purchase_orders.receive"), 409: STATE, 422: "NOT_ON_ORDER: `lines.N.lineId` is not a line of the order; OVER_RECEIPT: `lines.N.quantity` is more than is left to receive" },
    handler: (c, { params, body, expectedVersion }) => receivePurchaseOrder(serviceContext(c), params.id, body, expectedVersion),
  }),
  step("cancel", "purchase_orders.edit", "Cancel a purchase order", "Any time before it is fully received; what was received stays.", cancelPurchaseOrder),
  route({
    method: "delete", path: "/purchase-orders/:id", tag, auth: "user", permission: "purchase_orders.delete", versioned: true,
    summary: "Delete a draft purchase order", description: `Soft delete. ${DRAFT_ONLY} Needs purchase_orders.delete in the order's store.`,
    params: IdParams, response: z.object({ id: z.uuid(), deleted: z.literal(true) }),
    errors: { ...IN_STORE("purchase_orders.delete"), 409: STATE },
    handler: async (c, { params, expectedVersion }) => {
      await deletePurchaseOrder(serviceContext(c), params.id, expectedVersion);
      return { id: params.id, deleted: true as const };
    },
  }),
  route({
    method: "post", path: "/purchase-orders/:id/items", tag, auth: "user", permission: "purchase_orders.edit", versioned: true,
    summary: "Add an item to a purchase order", description: `${DRAFT_ONLY} Defaults as on create. Answers the order.`,
    params: IdParams, body: PurchaseOrderLineBody, response: PurchaseOrder, status: 201,
    errors: { ...IN_STORE("purchase_orders.edit"), 409: `${STATE}; PRODUCT_ALREADY_ON_ORDER: the product has a line already`, 422: "UNKNOWN_REFERENCE, PRODUCT_NOT_TRACKED: productId (`items.0.productId`)" },
    handler: (c, { params, body, expectedVersion }) => addPurchaseOrderLine(serviceContext(c), params.id, body, expectedVersion),
  }),
  route({
    method: "put", path: "/purchase-orders/:id/items/:itemId", tag, auth: "user", permission: "purchase_orders.edit", versioned: true,
    summary: "Update a purchase order item", description: `${DRAFT_ONLY} The version is the order's. Answers the order.`,
    params: PurchaseOrderItemParams, body: UpdatePurchaseOrderLineBody, response: PurchaseOrder,
    errors: { ...IN_STORE("purchase_orders.edit"), 409: STATE },
    handler: (c, { params, body, expectedVersion }) => updatePurchaseOrderLine(serviceContext(c), params.id, params.itemId, body, expectedVersion),
  }),
  route({
    method: "delete", path: "/purchase-orders/:id/items/:itemId", tag, auth: "user", permission: "purchase_orders.edit", versioned: true,
    summary: "Remove a purchase order item", description: `${DRAFT_ONLY} The version is the order's. Answers the order.`,
    params: PurchaseOrderItemParams, response: PurchaseOrder,
    errors: { ...IN_STORE("purchase_orders.edit"), 409: STATE },
    handler: (c, { params, expectedVersion }) => removePurchaseOrderLine(serviceContext(c), params.id, params.itemId, expectedVersion),
  }),
];
