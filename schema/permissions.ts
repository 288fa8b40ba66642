/**
 * The one registry of permission strings (the spec's, 002). Routes declare one of these; roles hold a set of
 * them; `GET /api/v1/roles/permissions/all` lists them. Tills use the same list to hide what a cashier may not do.
 */
export const PERMISSIONS = {
  "products.view": "View products and departments",
  "products.create": "Create products and departments",
  "products.edit": "Edit products, departments and product-supplier links",
  "products.delete": "Delete products and departments",
  "taxes.view": "View tax rates and groups",
  "taxes.manage": "Manage tax rates and groups",
  "suppliers.view": "View suppliers",
  "suppliers.create": "Create suppliers",
  "suppliers.edit": "Edit suppliers",
  "suppliers.delete": "Delete suppliers",
  "users.view": "View users",
  "users.create": "Create users",
  "users.edit": "Edit users, their roles and credentials",
  "roles.view": "View roles and the permission list",
  "roles.manage": "Create and edit roles and their permissions",
  "stores.view": "View stores and the store dashboard",
  "stores.create": "Create stores",
  "stores.edit": "Edit stores",
  "pos.sell": "Sell: create sales and print receipts",
  "pos.void": "Void sales",
  "inventory.view": "View inventory levels",
  "inventory.adjust": "Adjust inventory",
  "transfers.view": "View transfers",
  "transfers.create": "Create and cancel transfers",
  "transfers.send": "Send transfers",
  "transfers.receive": "Receive transfers",
  "registers.view": "View register sessions",
  "registers.open": "Open a register",
  "registers.close": "Close a register",
  "tenders.view": "View tender types",
  "tenders.manage": "Manage tender types",
  "customers.view": "View customers",
  "customers.create": "Create customers",
  "customers.edit": "Edit and delete customers",
  "sales_reps.view": "View sales representatives",
  "sales_reps.create": "Create sales representatives",
  "sales_reps.edit": "Edit sales representatives",
  "sales_reps.delete": "Delete sales representatives",
  "store_prices.view": "View store price overrides",
  "store_prices.manage": "Manage store price overrides",
  "purchase_orders.view": "View purchase orders",
  "purchase_orders.create": "Create and submit purchase orders",
  "purchase_orders.edit": "Edit, send and cancel purchase orders",
  "purchase_orders.approve": "Approve purchase orders",
  "purchase_orders.receive": "Receive purchase order items",
  "purchase_orders.delete": "Delete draft purchase orders",
  "specials.view": "View specials",
  "specials.manage": "Manage specials",
  "worksheets.view": "View worksheets",
  "worksheets.create": "Create and edit draft worksheets",
  "worksheets.delete": "Delete draft worksheets",
  "worksheets.submit": "Submit worksheets for approval",
  "worksheets.approve": "Approve or reject worksheets",
  "worksheets.apply": "Apply approved worksheets",
  "reports.view_global": "View sales, tax, inventory and period reports",
  "reports.x_report": "View X reports",
  "reports.z_report": "View Z reports",
  "reports.product_performance": "View product performance",
  "reports.sales_by_rep": "View sales by representative",
  "reports.profit_margin": "View profit margins",
  "reports.cashier_performance": "View cashier performance",
  "reports.discount_analysis": "View discount analysis",
  "sync.view": "View the sync dashboard and the sync error queue",
  "sync.manage": "Retry and resolve sync errors (re-apply records pushed by the stores)",
  "api_clients.manage": "Create, edit, rotate and revoke API clients (integrators' OAuth client credentials)",
  "purchases.view": "View purchases recorded from other systems (web shop, ERP)",
  "purchases.create": "Record purchases made in other systems (web shop, ERP) for customers",
  "giftcards.view": "View gift cards, their codes and transactions; look a card up by its code",
  "giftcards.create": "Create gift cards",
  "giftcards.edit": "Edit gift cards (status, customer, expiry, codes) and the gift card settings",
  "giftcards.add": "Load gift cards (ADD transactions; refunds onto a gift card at the till)",
  "giftcards.adjust": "Adjust gift card balances (ADJUST transactions)",
  "giftcards.external": "Record gift card transactions made in another system (EXTERNAL)",
  "giftcards.import": "Import gift card balances from another system (IMPORT)",
  "giftcards.use": "Spend gift cards (USE transactions; pay with a gift card at the till)",
} as const;

export type Permission = keyof typeof PERMISSIONS;

export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}

/** The permission's area: the part before the dot ("products" of "products.view"). */
export function permissionGroup(p: Permission): string {
  return p.slice(0, p.indexOf("."));
}
