import { app } from "./app";
import type { Env } from "./env";
import { withChangeNotifications } from "./sync/notify";

export { StoreHub } from "./store/hub";

/** The app, with the store hubs told (after each answer) of the changes its request committed. */
export default {
  fetch: withChangeNotifications((request, env, ctx) => app.fetch(request, env, ctx)),
} satisfies ExportedHandler<Env>;
