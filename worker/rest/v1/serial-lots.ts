import { CreateItemSerialLotBody, ItemSerialLot, ItemSerialLotQuery, UpdateItemSerialLotBody } from "../../../schema/contracts/serial-lots";
import { itemSerialLotService } from "../../domain/item-serial-lots";
import { principalContext } from "./context";
import { crudRoutes } from "./crud";

const inStore = "MISSING_PERMISSION_IN_STORE: inventory.adjust is needed in the store the number is at (and the one it moves to)";

export const itemSerialLotRoutes = crudRoutes({
  path: "/item-serial-lots", tag: "Serial and lot numbers", noun: "serial/lot number", context: principalContext,
  permissions: { view: "inventory.view", create: "inventory.adjust", edit: "inventory.adjust", delete: "inventory.adjust" },
  schemas: { item: ItemSerialLot, query: ItemSerialLotQuery, create: CreateItemSerialLotBody, update: UpdateItemSerialLotBody },
  service: itemSerialLotService,
  describe: {
    list: "By product, then number. Every store's (inventory.view).",
    create: "A SERIAL is one unit (no quantity, no expiry date); a LOT has a quantity in thousandths and may have an expiry date. The number is unique per product. At your store unless storeId names another (an API client must name one). Records which unit is where; stock levels move only through the stock ledger.",
  },
  errors: {
    create: { 403: inStore, 409: "SERIAL_LOT_NUMBER_TAKEN: the product already has the number", 422: "UNKNOWN_REFERENCE: productId or storeId is not yours" },
    update: {
      403: inStore, 409: "SERIAL_LOT_NUMBER_TAKEN: the product already has the number",
      422: "INVALID_STATUS_TRANSITION (in_stock → sold | written_off; sold → returned; returned → in_stock | sold | written_off; written_off → in_stock); SERIAL_LOT_NOT_MOVABLE (only in_stock or returned numbers change store); UNKNOWN_REFERENCE",
    },
    remove: { 403: inStore },
  },
});
