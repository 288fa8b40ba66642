import { z } from "zod";
import { IdParams, PageQuery } from "../../../schema/contracts/common";
import {
  Barcode, CreateProductBody, LinkSupplierBody, Product, ProductListQuery, ProductParams, ProductPrice, ProductPriceQuery, ProductSupplier,
  ProductSupplierParams, ProductWithTaxes, UpdateProductBody, UpdateProductSupplierBody,
} from "../../../schema/contracts/products";
import { productPrice } from "../../domain/pricing";
import { linkSupplier, listProductSuppliers, unlinkSupplier, updateProductSupplier } from "../../domain/product-suppliers";
import {
  createProduct, deleteProduct, getProduct, listProducts, productByBarcode, toggleProductActive, updateProduct,
} from "../../domain/products";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "Products";

export const productRoutes = [
  route({
    method: "get", path: "/products/barcode/:barcode", tag, auth: "user", permission: "products.view",
    summary: "Look up a product by barcode", params: z.object({ barcode: Barcode }), response: ProductWithTaxes,
    handler: (c, { params }) => productByBarcode(serviceContext(c), params.barcode),
  }),
  route({
    method: "get", path: "/products", tag, auth: "user", permission: "products.view",
    summary: "List products", description: "`search` matches name, SKU or barcode.",
    query: PageQuery.extend(ProductListQuery.shape), response: Product, paged: true,
    handler: (c, { query }) => listProducts(serviceContext(c), query),
  }),
  route({
    method: "get", path: "/products/:id", tag, auth: "user", permission: "products.view",
    summary: "Get a product with its tax rates", params: IdParams, response: ProductWithTaxes,
    handler: (c, { params }) => getProduct(serviceContext(c), params.id),
  }),
  route({
    method: "get", path: "/products/:id/price", tag, auth: "user", permission: "products.view",
    summary: "The product's effective price in a store",
    description:
      "The store's own price if it has one, else the product's sell price; then the best special on in that store at that instant " +
      "(the store's time zone) if it is lower. With the tax of one unit at that price, by the store's pricesIncludeTax. " +
      "`storeId` defaults to the store you are signed into, `at` to now.",
    params: IdParams, query: ProductPriceQuery, response: ProductPrice, errors: { 404: "NOT_FOUND also when storeId names no store of yours" },
    handler: (c, { params, query }) => productPrice(serviceContext(c), params.id, { storeId: query.storeId ?? c.get("actor").storeId, at: query.at }),
  }),
  route({
    method: "post", path: "/products", tag, auth: "user", permission: "products.create",
    summary: "Create a product", description: "SKU and barcode are unique per tenant (409 SKU_TAKEN, BARCODE_TAKEN). Prices are integer minor units.",
    body: CreateProductBody, response: Product, status: 201,
    errors: { 409: "SKU_TAKEN, BARCODE_TAKEN: another product has the SKU or barcode; ID_TAKEN: the id you sent is already used", 422: "UNKNOWN_REFERENCE: departmentId or taxGroupId names no department or tax group of yours (`fields` names which)" },
    handler: (c, { body }) => createProduct(serviceContext(c), body),
  }),
  route({
    method: "put", path: "/products/:id", tag, auth: "user", permission: "products.edit", versioned: true,
    summary: "Update a product", params: IdParams, body: UpdateProductBody, response: Product,
    errors: { 409: "SKU_TAKEN, BARCODE_TAKEN: another product has the SKU or barcode", 422: "UNKNOWN_REFERENCE: departmentId or taxGroupId names no department or tax group of yours (`fields` names which)" },
    handler: (c, { params, body, expectedVersion }) => updateProduct(serviceContext(c), params.id, body, expectedVersion),
  }),
  route({
    method: "patch", path: "/products/:id/toggle-active", tag, auth: "user", permission: "products.edit", versioned: true,
    summary: "Toggle a product's active status", params: IdParams, response: Product,
    handler: (c, { params, expectedVersion }) => toggleProductActive(serviceContext(c), params.id, expectedVersion),
  }),
  route({
    method: "delete", path: "/products/:id", tag, auth: "user", permission: "products.delete", versioned: true,
    summary: "Delete a product",
    description: "Soft delete (isActive = false, and gone from the API): its SKU and barcode become free, its store prices and supplier links go with it, and tills learn of it from the change feed.",
    params: IdParams, response: z.object({ id: z.uuid(), deleted: z.literal(true) }),
    handler: async (c, { params, expectedVersion }) => {
      await deleteProduct(serviceContext(c), params.id, expectedVersion);
      return { id: params.id, deleted: true as const };
    },
  }),
  route({
    method: "get", path: "/products/:productId/suppliers", tag, auth: "user", permission: "products.view",
    summary: "List a product's suppliers", params: ProductParams, response: z.array(ProductSupplier),
    handler: (c, { params }) => listProductSuppliers(serviceContext(c), params.productId),
  }),
  route({
    method: "post", path: "/products/:productId/suppliers", tag, auth: "user", permission: "products.edit", status: 201,
    summary: "Link a supplier to a product",
    description: "One link per product and supplier (409 SUPPLIER_ALREADY_LINKED). At most one primary supplier per product: linking one as primary makes the others not.",
    params: ProductParams, body: LinkSupplierBody, response: ProductSupplier,
    errors: { 409: "SUPPLIER_ALREADY_LINKED: the supplier is linked to the product already", 422: "UNKNOWN_REFERENCE: supplierId names no supplier of yours" },
    handler: (c, { params, body }) => linkSupplier(serviceContext(c), params.productId, body),
  }),
  route({
    method: "put", path: "/products/:productId/suppliers/:supplierId", tag, auth: "user", permission: "products.edit", versioned: true,
    summary: "Update a product-supplier link", params: ProductSupplierParams, body: UpdateProductSupplierBody, response: ProductSupplier,
    handler: (c, { params, body, expectedVersion }) => updateProductSupplier(serviceContext(c), params.productId, params.supplierId, body, expectedVersion),
  }),
  route({
    method: "delete", path: "/products/:productId/suppliers/:supplierId", tag, auth: "user", permission: "products.edit", versioned: true,
    summary: "Unlink a supplier from a product", params: ProductSupplierParams,
    response: z.object({ productId: z.uuid(), supplierId: z.uuid(), deleted: z.literal(true) }),
    handler: async (c, { params, expectedVersion }) => {
      await unlinkSupplier(serviceContext(c), params.productId, params.supplierId, expectedVersion);
      return { productId: params.productId, supplierId: params.supplierId, deleted: true as const };
    },
  }),
];
