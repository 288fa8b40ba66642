import type { Permission } from "../../schema/permissions";
import { forbidden } from "../domain/errors";
import type { GraphQLContext } from "./context";

/**
 * Every field that reads or writes checks its permission first: NOT_AUTHORIZED (reason MISSING_PERMISSION)
 * without it. A user's permissions are those of their token's store; an API client's hold in every store.
 * Store-scoped rules beyond that (another store's stock or sales) are the domain's.
 */
export function authorize(ctx: GraphQLContext, permission: Permission) {
  const { principal } = ctx.caller;
  if (!principal.permissions.has(permission)) {
    throw forbidden(`This needs the permission ${permission}${principal.kind === "user" ? " in your current store" : ""}`, "MISSING_PERMISSION");
  }
}
