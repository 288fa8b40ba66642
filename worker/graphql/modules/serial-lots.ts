import { serialLotList, type ItemSerialLotRow } from "../../domain/display-reads";
import { authorize } from "../authorize";
import { builder } from "../builder";
import { listOf, pageResult, syncArgs } from "../paging";
import { Product } from "./catalogue";
import { productLoader } from "./stock";
import { Location, storeLoader } from "./stores";

/** Serial and lot numbers (REST: /api/v1/item-serial-lots): a sync-style list with a lookup by id, needing inventory.view. */

const SerialLotKind = builder.enumType("ItemSerialLotKind", {
  description: "Whether a number names one unit or a batch.",
  values: {
    SERIAL: { value: "SERIAL", description: "A serial number: one unit." },
    LOT: { value: "LOT", description: "A lot (batch) number: a quantity, often with an expiry date." },
  } as const,
});

const SerialLotStatus = builder.enumType("ItemSerialLotStatus", {
  description: "Where a serial or lot number stands.",
  values: {
    IN_STOCK: { value: "in_stock", description: "On the shelf at its location." },
    SOLD: { value: "sold", description: "Sold to a customer." },
    RETURNED: { value: "returned", description: "Back from a customer, at its location." },
    WRITTEN_OFF: { value: "written_off", description: "Written off (damaged, lost, expired)." },
  } as const,
});

export const ItemSerialLot = builder.objectRef<ItemSerialLotRow>("ItemSerialLot").implement({
  description: "A serial number (one unit) or lot number (a quantity of one batch) of an item, at a location. It says which unit is where; stock levels move only through the stock ledger.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The number's id (a UUID)." }),
    itemId: t.exposeID("productId", { description: "The item (product) it is a number of." }),
    item: t.field({ type: Product, nullable: true, description: "The item (product) it is a number of. Needs products.view.", resolve: (s, _a, ctx) => (authorize(ctx, "products.view"), productLoader(ctx).load(s.productId)) }),
    kind: t.field({ type: SerialLotKind, description: "SERIAL or LOT.", resolve: (s) => s.kind }),
    number: t.exposeString("number", { description: "The number as printed on the goods, unique per item." }),
    locationId: t.exposeID("storeId", { description: "The location (store) it is at." }),
    location: t.field({ type: Location, nullable: true, description: "The location (store) it is at.", resolve: (s, _a, ctx) => storeLoader(ctx).load(s.storeId) }),
    status: t.field({ type: SerialLotStatus, description: "Where it stands.", resolve: (s) => s.status }),
    quantity: t.exposeInt("quantity", { nullable: true, description: "LOT: integer thousandths of a unit (2000 = 2 units); SERIAL: null (one unit)." }),
    expiryDate: t.exposeString("expiryDate", { nullable: true, description: "LOT: the last day it may be sold, YYYY-MM-DD, if it has one; SERIAL: null." }),
    notes: t.exposeString("notes", { nullable: true, description: "Notes, if any." }),
    deleted: t.boolean({ description: "Whether it was deleted (only since-paging answers deleted numbers).", resolve: (s) => s.deletedAt !== null }),
    version: t.exposeInt("version", { description: "The row's version, raised by every change (optimistic concurrency)." }),
    updatedAt: t.field({ type: "DateTime", description: "When it last changed.", resolve: (s) => s.updatedAt }),
  }),
});

const ItemSerialLotPage = pageResult("ItemSerialLotPage", ItemSerialLot, "A page of serial and lot numbers.");

builder.queryField("itemSerialLot", (t) =>
  t.field({
    type: ItemSerialLotPage,
    description: "Serial and lot numbers of every location, by item then number. Sync-style: `since` and `until`. Needs inventory.view.",
    args: {
      id: t.arg.id({ required: false, description: "Only the number of this id." }),
      itemId: t.arg.id({ required: false, description: "Only the numbers of this item (product)." }),
      locationId: t.arg.id({ required: false, description: "Only the numbers at this location (store)." }),
      number: t.arg.string({ required: false, description: "Only this number (of any item)." }),
      kind: t.arg({ type: SerialLotKind, required: false, description: "Only serials or only lots." }),
      status: t.arg({ type: SerialLotStatus, required: false, description: "Only the numbers in this status." }),
      ...syncArgs,
    },
    resolve: async (_root, args, ctx) => {
      authorize(ctx, "inventory.view");
      const page = await serialLotList(ctx.caller, ctx, {
        ...listOf(args), id: args.id ? String(args.id) : null, productId: args.itemId ? String(args.itemId) : null, storeId: args.locationId ? String(args.locationId) : null,
        number: args.number?.trim() || null, kind: args.kind ?? null, status: args.status ?? null,
      });
      return { items: page.rows, hasMoreResults: page.hasMore, until: page.until };
    },
  }),
);
