import { IdParams, PageQuery } from "../../../schema/contracts/common";
import {
  CashEvent, CloseRegisterBody, CloseResult, CreateCashEventBody, OpenRegisterBody, RegisterSession, RegisterSessionQuery,
} from "../../../schema/contracts/registers";
import { createCashEvent, listCashEvents } from "../../domain/cash-events";
import { currentSession, getSession, listSessions, openRegister } from "../../domain/register-sessions";
import { closeCurrentSession, closeSessionById } from "../../domain/session-close";
import type { AppContext } from "../../http/app";
import { route } from "../../http/route";
import type { HubAccess } from "../../store/hub-client";
import { serviceContext } from "./context";

const tag = "Registers";

/** The request's way to the store hubs (their D1 round trips count in its Server-Timing). */
export const hubAccess = (c: AppContext): HubAccess => ({ env: c.env, meter: c.get("meter") });

/** The client's Idempotency-Key, if it sent one (idempotency.ts checks its form). */
const idempotencyKeyOf = (c: AppContext) => c.req.header("Idempotency-Key");

const idempotent = "Send an Idempotency-Key header to make a retry safe: the same key and body answer the first answer again and write nothing (a different body with the same key is 422 IDEMPOTENCY_MISMATCH).";
const current = "At a till: the open session of the till's register, whoever opened it. Elsewhere: the one open session you opened in the store you are signed into.";
const closing =
  "Answers expected, counted and difference per tender: expected cash = opening float + cash taken − cash refunded − change given + paid in − paid out − drops " +
  "(the drawer's cash tender); any other tender, the sum of its payments. A tender counted but never used, or used but not counted (counted 0), is listed too. " +
  "The session (closed, counted, expected, who, when) and its Z report (numbered consecutively per register, with a grand total that never resets) are written together. " +
  "Needs registers.close in the session's store too.";

const closeErrors = {
  400: "INVALID_IDEMPOTENCY_KEY: the Idempotency-Key is not 1 to 200 printable ASCII characters",
  403: "MISSING_PERMISSION_IN_STORE: you lack registers.close in the session's store",
  409: "SESSION_CLOSED: the session is already closed; SESSION_BUSY: sales kept arriving while it closed, close again",
  422: "UNKNOWN_TENDER: a counted code is not one of your tenders; IDEMPOTENCY_MISMATCH: the key was used for another request",
};

/** The spec's Registers routes (register sessions), and each session's cash drawer log. */
export const registerRoutes = [
  route({
    method: "get", path: "/registers", tag, auth: "user", permission: "registers.view",
    summary: "List register sessions, newest first",
    description: "Of one store (store_id: you need registers.view there) or of every store where you hold registers.view.",
    query: RegisterSessionQuery, response: RegisterSession, paged: true,
    errors: { 403: "MISSING_PERMISSION_IN_STORE: you lack registers.view in store_id's store" },
    handler: (c, { query }) => listSessions(serviceContext(c), query),
  }),
  route({
    method: "get", path: "/registers/current", tag, auth: "user",
    summary: "The current open register session", description: current, response: RegisterSession,
    errors: {
      404: "NO_OPEN_SESSION: the till's register (or you, away from a till) has no open session",
      409: "SEVERAL_OPEN_SESSIONS: away from a till, you opened more than one session in this store; name one",
    },
    handler: (c) => currentSession(serviceContext(c)),
  }),
  route({
    method: "post", path: "/registers/open", tag, auth: "user", permission: "registers.open", status: 201,
    summary: "Open a register (start a session with its opening float)",
    description:
      "At a till: the till's own register (registerId left out, or the same). From the back office: registerId is required, and you need registers.open in that register's store. " +
      `One open session per register: of two tills opening it at once, one gets 201 and the other 409. ${idempotent}`,
    body: OpenRegisterBody, response: RegisterSession,
    errors: {
      400: "VALIDATION_ERROR: registerId missing away from a till, or not the till's own register; INVALID_IDEMPOTENCY_KEY",
      403: "MISSING_PERMISSION_IN_STORE: you lack registers.open in the register's store",
      404: "NOT_FOUND: no such register in your tenant",
      409: "REGISTER_ALREADY_OPEN: the register has an open session; REGISTER_INACTIVE: the register or its store is inactive",
      422: "IDEMPOTENCY_MISMATCH: the key was used for another request",
    },
    handler: (c, { body }) => openRegister(serviceContext(c), hubAccess(c), body, idempotencyKeyOf(c)),
  }),
  route({
    method: "post", path: "/registers/close", tag, auth: "user", permission: "registers.close",
    summary: "Close the current register session with the counted amount per tender",
    description: `${current} ${closing} ${idempotent}`,
    body: CloseRegisterBody, response: CloseResult,
    errors: {
      ...closeErrors,
      404: "NO_OPEN_SESSION: there is no current session to close",
      409: `${closeErrors[409]}; SEVERAL_OPEN_SESSIONS: away from a till, you opened more than one; close one by id`,
    },
    handler: (c, { body }) => closeCurrentSession(serviceContext(c), hubAccess(c), body, idempotencyKeyOf(c)),
  }),
  route({
    method: "get", path: "/registers/:id", tag, auth: "user", permission: "registers.view",
    summary: "A register session", description: "Needs registers.view in the session's store too.",
    params: IdParams, response: RegisterSession,
    errors: { 403: "MISSING_PERMISSION_IN_STORE: you lack registers.view in the session's store" },
    handler: (c, { params }) => getSession(serviceContext(c), params.id),
  }),
  route({
    method: "put", path: "/registers/:id/close", tag, auth: "user", permission: "registers.close",
    summary: "Close a specific register session with the counted amount per tender",
    description: `${closing} ${idempotent}`,
    params: IdParams, body: CloseRegisterBody, response: CloseResult, errors: closeErrors,
    handler: (c, { params, body }) => closeSessionById(serviceContext(c), hubAccess(c), params.id, body, idempotencyKeyOf(c)),
  }),
  route({
    method: "post", path: "/registers/:id/cash-events", tag, auth: "user", permission: "registers.open", status: 201,
    summary: "Record cash paid in, paid out, dropped to the safe, or a no-sale drawer opening",
    description:
      "In an open session only. amount is minor units (0 for no_sale, more than 0 otherwise); reason is required except for a drop. " +
      "Needs registers.open (whoever may put a float in a drawer may move cash in and out of it; every movement is logged and counted at the close) in the session's store. " +
      idempotent,
    params: IdParams, body: CreateCashEventBody, response: CashEvent,
    errors: {
      400: "INVALID_IDEMPOTENCY_KEY: the Idempotency-Key is not 1 to 200 printable ASCII characters",
      403: "MISSING_PERMISSION_IN_STORE: you lack registers.open in the session's store",
      409: "SESSION_CLOSED: the session is closed",
      422: "IDEMPOTENCY_MISMATCH: the key was used for another request",
    },
    handler: (c, { params, body }) => createCashEvent(serviceContext(c), hubAccess(c), params.id, body, idempotencyKeyOf(c)),
  }),
  route({
    method: "get", path: "/registers/:id/cash-events", tag, auth: "user", permission: "registers.view",
    summary: "A session's cash drawer log, oldest first", description: "Needs registers.view in the session's store too.",
    params: IdParams, query: PageQuery, response: CashEvent, paged: true,
    errors: { 403: "MISSING_PERMISSION_IN_STORE: you lack registers.view in the session's store" },
    handler: (c, { params, query }) => listCashEvents(serviceContext(c), params.id, query),
  }),
];
