import { z } from "zod";
import { IdParams } from "../../../schema/contracts/common";
import { CountEntriesBody, MAX_DOC_LINES, StartStockCountBody, StockCount, StockCountActionBody, StockCountLine, StockCountLineQuery, StockCountQuery } from "../../../schema/contracts/stock-ops";
import { cancelStockCount, enterCounts, getStockCount, listStockCountLines, listStockCounts, postStockCount, startStockCount } from "../../domain/stock-counts";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "Stock counts";
const UNITS = "Quantities are integer thousandths of a unit (2000 = 2 units); values are minor units at the product's cost price.";
const STATE = "INVALID_STATE: the count is posted or cancelled; `current` is the count";
const IN_STORE = { 403: "MISSING_PERMISSION_IN_STORE: you lack inventory.adjust in the count's store" };

export const stockCountRoutes = [
  route({
    method: "get", path: "/stock-counts", tag, auth: "user", permission: "inventory.view",
    summary: "List stock counts", description: "Newest first, each with its number of lines, counted lines and the value of its differences so far.",
    query: StockCountQuery, response: StockCount, paged: true,
    handler: (c, { query }) => listStockCounts(serviceContext(c), query),
  }),
  route({
    method: "get", path: "/stock-counts/:id", tag, auth: "user", permission: "inventory.view",
    summary: "Get a stock count", params: IdParams, response: StockCount,
    handler: (c, { params }) => getStockCount(serviceContext(c), params.id),
  }),
  route({
    method: "get", path: "/stock-counts/:id/lines", tag, auth: "user", permission: "inventory.view",
    summary: "Review a stock count's lines",
    description: `By product name: the expected quantity (the level when the count started), what was counted, the difference and its value at the product's cost price. ${UNITS}`,
    params: IdParams, query: StockCountLineQuery, response: StockCountLine, paged: true,
    handler: (c, { params, query }) => listStockCountLines(serviceContext(c), params.id, query),
  }),
  route({
    method: "post", path: "/stock-counts", tag, auth: "user", permission: "inventory.adjust",
    summary: "Start a stock count",
    description:
      "For `storeId` (the store you are signed into when left out): every tracked product, or those of `departmentId`, each expected at its level now. " +
      "One open count per store. Needs inventory.adjust in the store.",
    body: StartStockCountBody, response: StockCount, status: 201,
    errors: { ...IN_STORE, 409: "COUNT_IN_PROGRESS: the store has an open count", 422: "UNKNOWN_REFERENCE: storeId or departmentId is not yours" },
    handler: (c, { body }) => startStockCount(serviceContext(c), body),
  }),
  route({
    method: "put", path: "/stock-counts/:id/lines", tag, auth: "user", permission: "inventory.adjust",
    summary: "Enter counted quantities",
    description:
      `Up to ${MAX_DOC_LINES} products' counted quantities, all or none. Several people and devices may count at once: the last write of a line wins, ` +
      "and a line given with the `version` you read of it is refused (409, nothing written) if someone counted it since. Answers the lines as written. " + UNITS,
    params: IdParams, body: CountEntriesBody, response: z.array(StockCountLine),
    errors: { ...IN_STORE, 409: `${STATE}; VERSION_CONFLICT: a line's version is stale (\`current\`: those lines now)`, 422: "NOT_IN_COUNT: `lines.N.productId` is not a product of this count" },
    handler: (c, { params, body }) => enterCounts(serviceContext(c), params.id, body),
  }),
  route({
    method: "put", path: "/stock-counts/:id/post", tag, auth: "user", permission: "inventory.adjust", versioned: true,
    summary: "Post a stock count",
    description:
      "In one batch: a stock movement per counted line (kind and reason `count`) of counted − expected, added to the level as it is now, so sales and receipts made while the count ran stay booked " +
      "(the level becomes counted + the movements since the count started). Lines not counted are left as they are. Needs inventory.adjust in the count's store.",
    params: IdParams, body: StockCountActionBody, response: StockCount,
    errors: { ...IN_STORE, 409: STATE },
    handler: (c, { params, expectedVersion }) => postStockCount(serviceContext(c), params.id, expectedVersion),
  }),
  route({
    method: "put", path: "/stock-counts/:id/cancel", tag, auth: "user", permission: "inventory.adjust", versioned: true,
    summary: "Cancel a stock count", description: "An open count; nothing moves. Needs inventory.adjust in the count's store.",
    params: IdParams, body: StockCountActionBody, response: StockCount,
    errors: { ...IN_STORE, 409: STATE },
    handler: (c, { params, expectedVersion }) => cancelStockCount(serviceContext(c), params.id, expectedVersion),
  }),
];
