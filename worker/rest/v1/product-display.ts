import {
  CreateProductBannerBody, CreateProductNoticeBody, CreateProductSectionBody, CreateProductSortOptionBody, ProductBanner, ProductBannerQuery,
  ProductNotice, ProductNoticeQuery, ProductSection, ProductSectionQuery, ProductSortOption, ProductSortOptionQuery, UpdateProductBannerBody,
  UpdateProductNoticeBody, UpdateProductSectionBody, UpdateProductSortOptionBody,
} from "../../../schema/contracts/product-display";
import { productBannerService } from "../../domain/product-banners";
import { productNoticeService } from "../../domain/product-notices";
import { productSectionService } from "../../domain/product-sections";
import { productSortOptionService } from "../../domain/product-sort-options";
import { principalContext } from "./context";
import { crudRoutes } from "./crud";

/** What a till shows around the catalogue; the catalogue's permissions (products.*), like departments. */
const permissions = { view: "products.view", create: "products.create", edit: "products.edit", delete: "products.delete" } as const;
const references = (what: string) => ({ 422: `UNKNOWN_REFERENCE: ${what} that is not a live one of yours (fields name each)` });

export const productBannerRoutes = crudRoutes({
  path: "/product-banners", tag: "Product banners", noun: "product banner", permissions, context: principalContext,
  schemas: { item: ProductBanner, query: ProductBannerQuery, create: CreateProductBannerBody, update: UpdateProductBannerBody },
  service: productBannerService,
  describe: {
    list: "Lowest sortOrder first, then by title. `activeAt` lists the banners showing at that instant (switched on, inside [activeFrom, activeUntil)).",
    create: "A banner links to a product, a department or nothing (not both); its image is an https URL; activeUntil must be after activeFrom.",
  },
  errors: { create: references("a productId or departmentId"), update: references("a productId or departmentId") },
});

export const productNoticeRoutes = crudRoutes({
  path: "/product-notices", tag: "Product notices", noun: "product notice", permissions, context: principalContext,
  schemas: { item: ProductNotice, query: ProductNoticeQuery, create: CreateProductNoticeBody, update: UpdateProductNoticeBody },
  service: productNoticeService,
  describe: {
    list: "By name. `productId` lists the notices that apply to the product: naming it, or its department.",
    create: "Shown at the till when one of its products (listed, or of a listed department) is sold or looked at. `requires_confirmation` makes the cashier confirm; `minimumAge` (with it only) is the age to check.",
  },
  errors: {
    create: { ...references("a product or department"), 409: "PRODUCT_NOTICE_NAME_TAKEN: another notice has the name" },
    update: { ...references("a product or department"), 409: "PRODUCT_NOTICE_NAME_TAKEN: another notice has the name" },
  },
});

export const productSectionRoutes = crudRoutes({
  path: "/product-sections", tag: "Product sections", noun: "product section", permissions, context: principalContext,
  schemas: { item: ProductSection, query: ProductSectionQuery, create: CreateProductSectionBody, update: UpdateProductSectionBody },
  service: productSectionService,
  describe: {
    list: "Lowest sortOrder first, then by name. `productId` lists the sections holding the product.",
    create: "`productIds` is the section's products in the order the till shows them (a product may be in several sections); a PUT with productIds replaces the list.",
  },
  errors: {
    create: { ...references("a product"), 409: "PRODUCT_SECTION_NAME_TAKEN: another section has the name" },
    update: { ...references("a product"), 409: "PRODUCT_SECTION_NAME_TAKEN: another section has the name" },
  },
});

export const productSortOptionRoutes = crudRoutes({
  path: "/product-sort-options", tag: "Product sort options", noun: "product sort option", permissions, context: principalContext,
  schemas: { item: ProductSortOption, query: ProductSortOptionQuery, create: CreateProductSortOptionBody, update: UpdateProductSortOptionBody },
  service: productSortOptionService,
  describe: {
    list: "Lowest sortOrder first, then by name.",
    create: "One per field and direction. `isDefault: true` makes it the tenant's default and takes the flag from the one that had it (which gets a new version); the default must be active.",
    remove: "Soft delete; 409 SORT_OPTION_IS_DEFAULT for the default (make another the default first). Tills learn of it from the change feed.",
  },
  errors: {
    create: { 409: "SORT_OPTION_NAME_TAKEN, SORT_OPTION_EXISTS (same field and direction), SORT_OPTION_DEFAULT_TAKEN (a race: try again)" },
    update: { 409: "SORT_OPTION_NAME_TAKEN, SORT_OPTION_EXISTS (same field and direction), SORT_OPTION_DEFAULT_TAKEN (a race: try again)" },
    remove: { 409: "SORT_OPTION_IS_DEFAULT: the default cannot be deleted" },
  },
});
