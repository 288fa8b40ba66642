import { z } from "zod";
import { Adjustment, AdjustmentBody, CrossStoreProduct, CrossStoreQuery, InventoryLevel, InventoryQuery, MAX_STOCK_LINES, ReorderPointsBody } from "../../../schema/contracts/inventory";
import { adjustStock, crossStoreLevels, listLevels, setReorderPoints } from "../../domain/inventory";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "Inventory";

const THOUSANDTHS = "Quantities are integer thousandths of a unit (2000 = 2 units).";
const OTHER_STORE = "`storeId` defaults to the store you are signed into; another store needs inventory.adjust there (read at the time of the request).";
/** The 422 of a write whose items name products: `field` is the list ("lines", "items"). */
const productErrors = (field: string) =>
  `UNKNOWN_REFERENCE: storeId, or a productId of ${field} (\`fields\` names \`${field}.N.productId\`), names no store or live product of yours; ` +
  `PRODUCT_NOT_TRACKED: a product of ${field} does not track stock`;

export const inventoryRoutes = [
  route({
    method: "get", path: "/inventory", tag, auth: "user", permission: "inventory.view",
    summary: "List inventory levels",
    description:
      `Levels per store and tracked product, by product name then store code, with the product's name, SKU and barcode. ${THOUSANDTHS} ` +
      "Every tracked product is listed in every store (one store with `store_id`), at 0 where it has had no movement yet. " +
      "A level is `lowStock` at or below its reorder point, or below zero (a till never blocks a sale, so a level may be negative). " +
      "Products that do not track stock have no levels.",
    query: InventoryQuery, response: InventoryLevel, paged: true,
    errors: { 404: "NOT_FOUND: store_id or product_id names no store or product of yours" },
    handler: (c, { query }) => listLevels(serviceContext(c), query),
  }),
  route({
    method: "get", path: "/inventory/cross-store", tag, auth: "user", permission: "inventory.view",
    summary: "Cross-store inventory view",
    description: `Tracked products (one with \`product_id\`, or those \`search\` matches), each with its level in every store of the tenant and the total. ${THOUSANDTHS}`,
    query: CrossStoreQuery, response: CrossStoreProduct, paged: true,
    errors: { 404: "NOT_FOUND: product_id names no product of yours" },
    handler: (c, { query }) => crossStoreLevels(serviceContext(c), query),
  }),
  route({
    method: "post", path: "/inventory/adjustments", tag, auth: "user", permission: "inventory.adjust",
    summary: "Create an inventory adjustment",
    description:
      `Up to ${MAX_STOCK_LINES} lines for one store, with a reason (damage, theft, count, received, other) and an optional note. ` +
      "Each line gives either `quantity`, what the level changes by, or `countedQuantity`, what was counted: the level becomes exactly that, " +
      "and its movement is the difference from the level as it is when the adjustment is written (a sale made meanwhile is not lost). " +
      `${THOUSANDTHS} ${OTHER_STORE} All lines or none are written, with their stock movements and change-feed rows (entity inventory_level). ` +
      "Answers the levels right after the adjustment. Send an `Idempotency-Key` header (e.g. a UUID) to retry safely: a retry with the same key " +
      "and body answers the first answer again and writes nothing.",
    body: AdjustmentBody, response: Adjustment, status: 201,
    errors: {
      400: "INVALID_IDEMPOTENCY_KEY: the Idempotency-Key header is not 1 to 200 visible ASCII characters",
      403: "MISSING_PERMISSION_IN_STORE: storeId is another store and you lack inventory.adjust there",
      409: "STOCK_CONFLICT: the store or a product changed while the request ran (nothing was written); try again",
      422: `${productErrors("lines")}; IDEMPOTENCY_MISMATCH: the Idempotency-Key was used for a different request`,
    },
    handler: (c, { body }) => adjustStock(serviceContext(c), body, c.req.header("Idempotency-Key")),
  }),
  route({
    method: "put", path: "/inventory/reorder-points", tag, auth: "user", permission: "inventory.adjust",
    summary: "Set reorder points",
    description:
      `Up to ${MAX_STOCK_LINES} products' reorder points in one store (thousandths; null: never low on stock), in one batch. ${OTHER_STORE} ` +
      "A product with no level in the store yet gets one at 0. Answers the levels, in the order given.",
    body: ReorderPointsBody, response: z.array(InventoryLevel),
    errors: {
      403: "MISSING_PERMISSION_IN_STORE: storeId is another store and you lack inventory.adjust there",
      409: "STOCK_CONFLICT: the store or a product changed while the request ran (nothing was written); try again",
      422: productErrors("items"),
    },
    handler: (c, { body }) => setReorderPoints(serviceContext(c), body),
  }),
];
