import { app } from "./app";
import { createDb } from "./db/client";
import { expireAuthorisations } from "./domain/giftcard-expiry";
import type { Env } from "./env";
import { withChangeNotifications } from "./sync/notify";

export { StoreHub } from "./store/hub";

/**
 * The app, with the store hubs told (after each answer) of the changes its request committed; and the cron
 * trigger's work (wrangler.toml `triggers.crons`): gift card authorisations past their hold are cancelled.
 */
export default {
  fetch: withChangeNotifications((request, env, ctx) => app.fetch(request, env, ctx)),
  async scheduled(controller, env) {
    const expired = await expireAuthorisations(createDb(env.DB), controller.scheduledTime);
    if (expired) console.log(`gift cards: ${expired} authorisations expired`);
  },
} satisfies ExportedHandler<Env>;
