import { isNull } from "drizzle-orm";
import type { WorksheetBody } from "../../schema/contracts/worksheets";
import { departments, products, stores, taxGroups } from "../../schema/db";
import type { Statement } from "../db/batch";
import type { TenantScope } from "../db/tenant-scope";
import { businessRule, conflict, type FieldError } from "./errors";
import { inJson } from "./references";

/**
 * What a worksheet names: the products it changes, the departments and tax groups it sets, its stores, and
 * the ids its new products take. Checked when a worksheet is written (create, update) and again when it is
 * applied, since the catalogue moves in between; read in one round trip, each id list bound as one JSON
 * parameter, so a worksheet of any size stays under D1's bound-parameter limit.
 */

type ProductRow = typeof products.$inferSelect;
type Kind = WorksheetBody["kind"];
type Target = "product" | "department" | "taxGroup" | "store";

/** One id the worksheet names, and the field of the body that names it ("items.3.productId"). */
interface Named {
  path: string;
  id: string;
  target: Target;
}

export interface WorksheetNames {
  references: Named[];
  /** Ids that new products of the worksheet take: they must be used by no product at all. */
  newProductIds: { path: string; id: string }[];
}

const NOUN: Record<Target, string> = { product: "a product", department: "a department", taxGroup: "a tax group", store: "a store" };

/** The items as the body gives them: `{ productId, sellPrice }`, `{ productId, changes }`, `{ product }`, … */
export function namesOf(kind: Kind, items: readonly Record<string, unknown>[], storeIds: readonly string[]): WorksheetNames {
  const references: Named[] = storeIds.map((id, k) => ({ path: `storeIds.${k}`, id, target: "store" }));
  const newProductIds: WorksheetNames["newProductIds"] = [];
  const refer = (path: string, id: unknown, target: Target) => typeof id === "string" && references.push({ path, id, target });
  items.forEach((item, i) => {
    const at = `items.${i}`;
    if (kind !== "new_product") refer(`${at}.productId`, item.productId, "product");
    const fields =
      kind === "product_update" ? { path: `${at}.changes`, value: item.changes }
      : kind === "new_product" ? { path: `${at}.product`, value: item.product }
      : kind === "tax_change" ? { path: at, value: item }
      : undefined;
    if (!fields) return;
    const set = fields.value as Record<string, unknown>;
    if (kind !== "tax_change") refer(`${fields.path}.departmentId`, set.departmentId, "department");
    refer(`${fields.path}.taxGroupId`, set.taxGroupId, "taxGroup");
    if (kind === "new_product" && typeof set.id === "string") newProductIds.push({ path: `${fields.path}.id`, id: set.id });
  });
  return { references, newProductIds };
}

export type CheckMoment = "write" | "apply";

/**
 * The reads that check a worksheet's names, to run in the caller's batch (none when it names nothing), and
 * the check of their results, which answers the live products it names by id. At write: 422
 * UNKNOWN_REFERENCE naming each field that names no live row of this tenant (another tenant's is the same as
 * none); at apply, 422 WORKSHEET_OUT_OF_DATE. Either: 409 ID_TAKEN naming each new product whose id any
 * product, of any tenant, deleted or not, already has.
 */
export function worksheetReferenceCheck(scope: TenantScope, names: WorksheetNames) {
  const ids = (target: Target) => [...new Set(names.references.filter((r) => r.target === target).map((r) => r.id))];
  const liveIds = (table: typeof departments | typeof taxGroups | typeof stores, list: string[]) =>
    scope.db.select({ id: table.id }).from(table).where(scope.where(table, inJson(table.id, list), isNull(table.deletedAt)));
  const reads: { target: Target | "taken"; query: unknown }[] = [];
  const productIds = ids("product");
  if (productIds.length) reads.push({ target: "product", query: scope.select(products, inJson(products.id, productIds), isNull(products.deletedAt)) });
  for (const [target, table] of [["department", departments], ["taxGroup", taxGroups], ["store", stores]] as const) {
    const list = ids(target);
    if (list.length) reads.push({ target, query: liveIds(table, list) });
  }
  // A product id is a primary key across tenants, so a new product's id is checked against every product.
  const taken = names.newProductIds.map((n) => n.id);
  if (taken.length) reads.push({ target: "taken", query: scope.db.select({ id: products.id }).from(products).where(inJson(products.id, taken)) });

  return {
    queries: reads.map((r) => r.query as Statement),
    verify(results: unknown[], moment: CheckMoment) {
      const found = new Map<Target | "taken", Set<string>>();
      let productRows: ProductRow[] = [];
      reads.forEach((r, k) => {
        const rows = results[k] as { id: string }[];
        if (r.target === "product") productRows = rows as ProductRow[];
        found.set(r.target, new Set(rows.map((row) => row.id)));
      });
      const missing: FieldError[] = names.references
        .filter((r) => !found.get(r.target)?.has(r.id))
        .map((r) => ({ path: r.path, message: moment === "write" ? `is not ${NOUN[r.target]} of this tenant` : "no longer exists" }));
      if (missing.length && moment === "write") throw businessRule("UNKNOWN_REFERENCE", "The worksheet names products, departments, tax groups or stores that do not exist", missing);
      if (missing.length) throw businessRule("WORKSHEET_OUT_OF_DATE", "The catalogue changed since this worksheet was written; fix these items and resubmit", missing);
      const takenFields = names.newProductIds.filter((n) => found.get("taken")?.has(n.id)).map((n) => ({ path: n.path, message: "is already used by a product" }));
      if (takenFields.length) throw idTaken(takenFields);
      return { productById: new Map(productRows.map((p) => [p.id, p])) };
    },
  };
}

export const idTaken = (fields?: FieldError[]) =>
  conflict("ID_TAKEN", "A new product of this worksheet has an id another product already has; nothing was written", undefined, fields);
