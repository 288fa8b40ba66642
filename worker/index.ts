import { app } from "./app";

export { StoreHub } from "./store/hub";
export default app;
