import { z } from "zod";
import { IdParams, PageQuery } from "../../../schema/contracts/common";
import { Barcode, CreateProductBody, Product, ProductListQuery, ProductWithTaxes, UpdateProductBody } from "../../../schema/contracts/products";
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
    method: "post", path: "/products", tag, auth: "user", permission: "products.create",
    summary: "Create a product", description: "SKU and barcode are unique per tenant (409 SKU_TAKEN, BARCODE_TAKEN). Prices are integer minor units.",
    body: CreateProductBody, response: Product, status: 201,
    handler: (c, { body }) => createProduct(serviceContext(c), body),
  }),
  route({
    method: "put", path: "/products/:id", tag, auth: "user", permission: "products.edit", versioned: true,
    summary: "Update a product", params: IdParams, body: UpdateProductBody, response: Product,
    handler: (c, { params, body, expectedVersion }) => updateProduct(serviceContext(c), params.id, body, expectedVersion),
  }),
  route({
    method: "patch", path: "/products/:id/toggle-active", tag, auth: "user", permission: "products.edit", versioned: true,
    summary: "Toggle a product's active status", params: IdParams, response: Product,
    handler: (c, { params, expectedVersion }) => toggleProductActive(serviceContext(c), params.id, expectedVersion),
  }),
  route({
    method: "delete", path: "/products/:id", tag, auth: "user", permission: "products.delete", versioned: true,
    summary: "Delete a product", description: "Soft delete: the product leaves the API and its SKU and barcode become free; tills learn of the deletion from the change feed.",
    params: IdParams, response: z.object({ id: z.uuid(), deleted: z.literal(true) }),
    handler: async (c, { params, expectedVersion }) => {
      await deleteProduct(serviceContext(c), params.id, expectedVersion);
      return { id: params.id, deleted: true as const };
    },
  }),
];
