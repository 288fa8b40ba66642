import { authRoutes } from "./auth";
import { productRoutes } from "./products";
import { roleRoutes } from "./roles";
import { storeRoutes } from "./stores";
import { tenantRoutes } from "./tenants";
import { userRoutes } from "./users";
import { worksheetRoutes } from "./worksheets";

/** Every /api/v1 route, in mount order (static paths before their `:id` siblings). */
export const v1Routes = [...authRoutes, ...userRoutes, ...roleRoutes, ...storeRoutes, ...tenantRoutes, ...productRoutes, ...worksheetRoutes];
