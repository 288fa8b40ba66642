import { ChangeCredentialBody, LoginBody, LoginResult, MeResult, PinLoginBody, RefreshBody } from "../../../schema/contracts/identity";
import { changeCredential, login, logout, me, pinLogin, refresh } from "../../domain/auth";
import { z } from "zod";
import { route } from "../../http/route";
import { serviceContext } from "./context";

const tag = "Authentication";

export const authRoutes = [
  route({
    method: "post", path: "/auth/login", tag, auth: "public",
    summary: "Login with username and PIN or password",
    description: "`tenant` is the tenant's slug. `store` (code or id) picks the store to work in; without it, the user's first active store. Five wrong attempts lock the user for five minutes (429 with Retry-After).",
    body: LoginBody, response: LoginResult,
    errors: {
      403: "NO_STORE_ACCESS: no role in the store (or in any active store); STORE_INACTIVE: the store is inactive",
      429: "TOO_MANY_ATTEMPTS: too many failed sign-ins from this address; ACCOUNT_LOCKED: too many wrong attempts for this user",
    },
    handler: (c, { body }) => login(c.get("db"), c.env, c.get("request"), body),
  }),
  route({
    method: "post", path: "/auth/pin-login", tag, auth: "public",
    summary: "Login with a PIN only, within a store",
    description: "PINs are unique per store, so the PIN alone names the user.",
    body: PinLoginBody, response: LoginResult,
    errors: {
      403: "NO_STORE_ACCESS: no role in the store; STORE_INACTIVE: the store is inactive",
      429: "TOO_MANY_ATTEMPTS: too many failed PIN sign-ins from this address or in this store; ACCOUNT_LOCKED: too many wrong attempts for this user",
    },
    handler: (c, { body }) => pinLogin(c.get("db"), c.env, c.get("request"), body),
  }),
  route({
    method: "post", path: "/auth/refresh", tag, auth: "public",
    summary: "Exchange a refresh token for a new access and refresh token",
    description: "Refresh tokens rotate: each works once. Presenting a used one again revokes every token of that sign-in.",
    body: RefreshBody, response: LoginResult,
    errors: { 403: "NO_STORE_ACCESS: the user no longer has a role in the session's store" },
    handler: (c, { body }) => refresh(c.get("db"), c.env, c.get("request"), body.refreshToken),
  }),
  route({
    method: "post", path: "/auth/logout", tag, auth: "public",
    summary: "Sign out: end the session of this refresh token",
    description: "Revokes the refresh token and every token rotated from the same sign-in. Idempotent. The access token stays valid until it expires (at most 15 minutes); tills should drop it.",
    body: RefreshBody, response: z.object({ signedOut: z.literal(true) }),
    handler: (c, { body }) => logout(c.get("db"), c.get("request"), body.refreshToken),
  }),
  route({
    method: "get", path: "/auth/me", tag, auth: "user",
    summary: "The signed-in user, tenant, current store and permissions",
    response: MeResult,
    handler: (c) => me(serviceContext(c)),
  }),
  route({
    method: "post", path: "/auth/change-credential", tag, auth: "user",
    summary: "Change your own PIN and/or password",
    description: "Proves the current PIN or password. Ends every other session and answers with a fresh one for this device.",
    body: ChangeCredentialBody, response: LoginResult,
    errors: { 409: "PIN_IN_USE: another user of one of your stores has the new PIN", 429: "ACCOUNT_LOCKED: too many wrong attempts" },
    handler: (c, { body }) => changeCredential(serviceContext(c), c.env, body),
  }),
];
