import { IdParams, PageQuery } from "../../../schema/contracts/common";
import { RejectWorksheetBody, UpdateWorksheetBody, Worksheet, WorksheetBody, WorksheetListQuery } from "../../../schema/contracts/worksheets";
import { applyWorksheet } from "../../domain/worksheet-apply";
import {
  approveWorksheet, createWorksheet, deleteWorksheet, getWorksheet, listWorksheets, rejectWorksheet, submitWorksheet, updateWorksheet,
} from "../../domain/worksheets";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "Worksheets";
const written = "What the worksheet names is checked when it is written: a product, department, tax group or store that is not a live one of this tenant is 422 UNKNOWN_REFERENCE naming the field (items.3.productId, items.0.changes.departmentId, storeIds.1); a new product whose id any product already has is 409 ID_TAKEN naming items.N.product.id.";
const invalidState = "INVALID_STATE: the worksheet is not in a state this step accepts (`current` is the worksheet)";
const lifecycle = "Worksheets go draft → submitted → approved or rejected → applied; a transition from any other state is 409 INVALID_STATE.";

export const worksheetRoutes = [
  route({
    method: "get", path: "/worksheets", tag, auth: "user", permission: "worksheets.view",
    summary: "List worksheets", query: PageQuery.extend(WorksheetListQuery.shape), response: Worksheet, paged: true,
    handler: (c, { query }) => listWorksheets(serviceContext(c), query),
  }),
  route({
    method: "get", path: "/worksheets/:id", tag, auth: "user", permission: "worksheets.view",
    summary: "Get a worksheet with its items and stores", params: IdParams, response: Worksheet,
    handler: (c, { params }) => getWorksheet(serviceContext(c), params.id),
  }),
  route({
    method: "post", path: "/worksheets", tag, auth: "user", permission: "worksheets.create",
    summary: "Create a draft worksheet",
    description: `Kinds: price_change (items {productId, sellPrice, costPrice?}; storeIds makes them store prices), product_update ({productId, changes}), tax_change ({productId, taxGroupId}), deactivate ({productId}), new_product ({product}). ${written}`,
    body: WorksheetBody, response: Worksheet, status: 201,
    errors: { 422: "UNKNOWN_REFERENCE: storeIds names stores that are not yours" },
    handler: (c, { body }) => createWorksheet(serviceContext(c), body),
  }),
  route({
    method: "put", path: "/worksheets/:id", tag, auth: "user", permission: "worksheets.create", versioned: true,
    summary: "Replace a draft (or rejected) worksheet's content", description: `A rejected worksheet becomes a draft again. ${written}`,
    params: IdParams, body: UpdateWorksheetBody, response: Worksheet,
    errors: { 409: invalidState, 422: "UNKNOWN_REFERENCE: storeIds names stores that are not yours; KIND_CHANGED: the body's kind is not the worksheet's" },
    handler: (c, { params, body, expectedVersion }) => updateWorksheet(serviceContext(c), params.id, body, expectedVersion),
  }),
  route({
    method: "delete", path: "/worksheets/:id", tag, auth: "user", permission: "worksheets.delete", versioned: true,
    summary: "Delete a draft (or rejected) worksheet", params: IdParams, errors: { 409: invalidState },
    handler: async (c, { params, expectedVersion }) => {
      await deleteWorksheet(serviceContext(c), params.id, expectedVersion);
      return { id: params.id, deleted: true as const };
    },
  }),
  route({
    method: "patch", path: "/worksheets/:id/submit", tag, auth: "user", permission: "worksheets.submit", versioned: true,
    summary: "Submit a draft for approval", description: lifecycle, params: IdParams, response: Worksheet,
    errors: { 409: invalidState, 422: "EMPTY_WORKSHEET: the worksheet has no items" },
    handler: (c, { params, expectedVersion }) => submitWorksheet(serviceContext(c), params.id, expectedVersion),
  }),
  route({
    method: "patch", path: "/worksheets/:id/approve", tag, auth: "user", permission: "worksheets.approve", versioned: true,
    summary: "Approve a submitted worksheet", description: lifecycle, params: IdParams, response: Worksheet, errors: { 409: invalidState },
    handler: (c, { params, expectedVersion }) => approveWorksheet(serviceContext(c), params.id, expectedVersion),
  }),
  route({
    method: "patch", path: "/worksheets/:id/reject", tag, auth: "user", permission: "worksheets.approve", versioned: true,
    summary: "Reject a submitted worksheet, with a reason", description: lifecycle, params: IdParams, body: RejectWorksheetBody, response: Worksheet,
    errors: { 409: invalidState },
    handler: (c, { params, body, expectedVersion }) => rejectWorksheet(serviceContext(c), params.id, body, expectedVersion),
  }),
  route({
    method: "patch", path: "/worksheets/:id/apply", tag, auth: "user", permission: "worksheets.apply", versioned: true,
    summary: "Apply an approved worksheet to the catalogue",
    description: "Every change of the worksheet is written in one batch, or none, up to the largest worksheet (250 items, or items × stores): a product or store price edited since, or the worksheet applied by a concurrent request (409 WORKSHEET_CONFLICT), a product deleted or a reference gone (422 WORKSHEET_OUT_OF_DATE naming the field), a new product's id, SKU or barcode taken (409 ID_TAKEN, SKU_TAKEN, BARCODE_TAKEN). Records who applied it and when.",
    params: IdParams, response: Worksheet,
    errors: {
      409: `${invalidState}; WORKSHEET_CONFLICT: a product, a store price or the worksheet changed while applying; ID_TAKEN, SKU_TAKEN, BARCODE_TAKEN: a new product clashes with another`,
      422: "WORKSHEET_OUT_OF_DATE: a product it changes was deleted or a row it names is gone (`fields` names the items)",
    },
    handler: (c, { params, expectedVersion }) => applyWorksheet(serviceContext(c), params.id, expectedVersion),
  }),
];
