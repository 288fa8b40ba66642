export * from "./tenants";
export * from "./identity";
export * from "./journal";
export * from "./catalogue";
export * from "./devices";
export * from "./checkout";
export * from "./sync-push";
export * from "./stock-ops";
