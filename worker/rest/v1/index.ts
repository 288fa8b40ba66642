import { analyticsRoutes } from "./analytics";
import { apiClientRoutes } from "./api-clients";
import { authRoutes } from "./auth";
import { customerRoutes } from "./customers";
import { departmentRoutes } from "./departments";
import { giftCardRoutes } from "./giftcards";
import { deviceRoutes } from "./devices";
import { inventoryRoutes } from "./inventory";
import { productBannerRoutes, productNoticeRoutes, productSectionRoutes, productSortOptionRoutes } from "./product-display";
import { printJobRoutes } from "./print-jobs";
import { productRoutes } from "./products";
import { purchaseRoutes } from "./purchases";
import { purchaseOrderRoutes } from "./purchase-orders";
import { receiptRoutes } from "./receipts";
import { registerRoutes } from "./registers";
import { reportRoutes } from "./reports";
import { roleRoutes } from "./roles";
import { saleRoutes } from "./sales";
import { salesRepRoutes } from "./sales-reps";
import { itemSerialLotRoutes } from "./serial-lots";
import { specialRoutes } from "./specials";
import { storePriceRoutes } from "./store-prices";
import { stockCountRoutes } from "./stock-counts";
import { storeRoutes } from "./stores";
import { supplierRoutes } from "./suppliers";
import { syncPullRoutes } from "./sync-pull";
import { syncRoutes } from "./sync";
import { syncSocketRoutes } from "./sync-ws";
import { taxRoutes } from "./taxes";
import { tenantRoutes } from "./tenants";
import { tenderRoutes } from "./tenders";
import { transferRoutes } from "./transfers";
import { userRoutes } from "./users";
import { worksheetRoutes } from "./worksheets";

/** Every /api/v1 route, in mount order (static paths before their `:id` siblings). */
export const v1Routes = [
  ...authRoutes,
  ...userRoutes,
  ...roleRoutes,
  ...storeRoutes,
  ...deviceRoutes,
  ...apiClientRoutes,
  ...printJobRoutes,
  ...tenantRoutes,
  ...productRoutes,
  ...departmentRoutes,
  ...taxRoutes,
  ...supplierRoutes,
  ...customerRoutes,
  ...salesRepRoutes,
  ...tenderRoutes,
  ...storePriceRoutes,
  ...specialRoutes,
  ...productBannerRoutes,
  ...productNoticeRoutes,
  ...productSectionRoutes,
  ...productSortOptionRoutes,
  ...itemSerialLotRoutes,
  ...purchaseRoutes,
  ...worksheetRoutes,
  ...receiptRoutes,
  ...saleRoutes,
  ...inventoryRoutes,
  ...registerRoutes,
  ...reportRoutes,
  ...syncPullRoutes,
  ...syncRoutes,
  ...transferRoutes,
  ...purchaseOrderRoutes,
  ...stockCountRoutes,
  ...analyticsRoutes,
  ...syncSocketRoutes,
  ...giftCardRoutes,
];
