import type { MiddlewareHandler } from "hono";
import { DEVICE_CREDENTIAL_HEADER } from "../../schema/contracts/devices";
import type { AppEnv } from "../http/app";
import { unauthenticated } from "../domain/errors";
import { currentDevice } from "../domain/devices";

/** Requires an enrolled device's credential (X-Device-Credential); sets the device. */
export const requireDevice: MiddlewareHandler<AppEnv> = async (c, next) => {
  const credential = c.req.header(DEVICE_CREDENTIAL_HEADER);
  if (!credential) throw unauthenticated("UNAUTHENTICATED", `Send the device credential as ${DEVICE_CREDENTIAL_HEADER}`);
  c.set("device", await currentDevice(c.get("db"), credential, c.get("request")));
  await next();
};
