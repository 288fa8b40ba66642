export * from "./tenants";
export * from "./identity";
export * from "./journal";
