import { ALL_PERMISSIONS, type Permission } from "../../schema/permissions";

/** The roles a new tenant starts with. Tenants edit them freely afterwards. */
export const DEFAULT_ROLES: { name: string; description: string; permissions: Permission[] }[] = [
  { name: "Administrator", description: "Everything, in every store they are given", permissions: ALL_PERMISSIONS },
  {
    name: "Manager",
    description: "Runs a store: catalogue, stock, staff, registers and reports, but not roles, store setup or API clients",
    permissions: ALL_PERMISSIONS.filter((p) => !["roles.manage", "stores.create", "stores.edit", "taxes.manage", "users.create", "api_clients.manage"].includes(p)),
  },
  {
    name: "Cashier",
    description: "Sells, looks up products and customers, opens and closes their register",
    permissions: ["pos.sell", "products.view", "customers.view", "customers.create", "registers.view", "registers.open", "registers.close", "tenders.view", "reports.x_report", "giftcards.view", "giftcards.use", "giftcards.add"],
  },
];
