import { z } from "zod";
import { IdParams } from "../../../schema/contracts/common";
import {
  CreateDeviceBody, CreateRegisterBody, CurrentDevice, Device, DeviceWithPairing, PairBody, PairResult, Register, RegisterWithPairing, StoreParams,
  StoreRegisterParams, UpdateRegisterBody,
} from "../../../schema/contracts/devices";
import { createDevice, createRegister, listDevices, listRegisters, pairDevice, repairRegister, revokeDevice, updateRegister } from "../../domain/devices";
import { route } from "../../http/route";
import { storeHub } from "../../store/hub-client";
import { serviceContext } from "./context";

const tag = "Devices";
const inStore = "Needs the permission in the store you are signed into and in the register's store.";

/** Registers (tills) and the other enrolled devices of a store; pairing is the device's side. */
export const deviceRoutes = [
  route({
    method: "get", path: "/stores/:storeId/registers", tag, auth: "user", permission: "stores.view",
    summary: "A store's registers, each with its till's device", params: StoreParams, response: z.array(Register),
    handler: (c, { params }) => listRegisters(serviceContext(c), params.storeId),
  }),
  route({
    method: "post", path: "/stores/:storeId/registers", tag, auth: "user", permission: "stores.edit", status: 201,
    summary: "Create a register and get its till's one-time pairing code",
    description: `The code (8 characters, valid 15 minutes, works once) is typed into the till, which exchanges it at POST /api/v1/devices/pair for its device credential. ${inStore}`,
    params: StoreParams, body: CreateRegisterBody, response: RegisterWithPairing,
    errors: { 403: "MISSING_PERMISSION_IN_STORE: you lack stores.edit in that store", 409: "REGISTER_CODE_TAKEN: the store has a register with that code; ID_TAKEN" },
    handler: (c, { params, body }) => createRegister(serviceContext(c), c.env, params.storeId, body),
  }),
  route({
    method: "put", path: "/stores/:storeId/registers/:registerId", tag, auth: "user", permission: "stores.edit", versioned: true,
    summary: "Rename, recode or deactivate a register",
    description: `Deactivating a register revokes its till: the till's credential and sessions stop working at once. ${inStore}`,
    params: StoreRegisterParams, body: UpdateRegisterBody, response: Register,
    errors: { 403: "MISSING_PERMISSION_IN_STORE: you lack stores.edit in that store", 409: "REGISTER_CODE_TAKEN: the store has a register with that code" },
    handler: (c, { params, body, expectedVersion }) => updateRegister(serviceContext(c), params.storeId, params.registerId, body, expectedVersion),
  }),
  route({
    method: "post", path: "/stores/:storeId/registers/:registerId/pairing-code", tag, auth: "user", permission: "stores.edit", status: 201,
    summary: "Re-pair a register's till: revoke its device and get a new pairing code",
    description: `For a replaced or reinstalled till. The current device is revoked at once, with its sessions. ${inStore}`,
    params: StoreRegisterParams, response: RegisterWithPairing,
    errors: { 403: "MISSING_PERMISSION_IN_STORE: you lack stores.edit in that store", 409: "REGISTER_INACTIVE: activate the register first" },
    handler: (c, { params }) => repairRegister(serviceContext(c), c.env, params.storeId, params.registerId),
  }),
  route({
    method: "get", path: "/stores/:storeId/devices", tag, auth: "user", permission: "stores.view",
    summary: "Every device of a store, newest first, revoked ones included", params: StoreParams, response: z.array(Device),
    handler: (c, { params }) => listDevices(serviceContext(c), params.storeId),
  }),
  route({
    method: "post", path: "/stores/:storeId/devices", tag, auth: "user", permission: "stores.edit", status: 201,
    summary: "Enrol the store's bridge or a sync client: a device with a one-time pairing code",
    description: `Tills are enrolled through their register (POST /stores/:storeId/registers). ${inStore}`,
    params: StoreParams, body: CreateDeviceBody, response: DeviceWithPairing,
    errors: { 403: "MISSING_PERMISSION_IN_STORE: you lack stores.edit in that store" },
    handler: (c, { params, body }) => createDevice(serviceContext(c), c.env, params.storeId, body),
  }),
  route({
    method: "post", path: "/devices/:id/revoke", tag, auth: "user", permission: "stores.edit",
    summary: "Revoke a device for good",
    description: "Its credential stops working and every session started from it ends at once. Revoking a revoked device changes nothing. Needs stores.edit in the device's store too.",
    params: IdParams, response: Device,
    errors: { 403: "MISSING_PERMISSION_IN_STORE: you lack stores.edit in the device's store" },
    handler: async (c, { params }) => {
      const device = await revokeDevice(serviceContext(c), params.id);
      // Its sockets on the store's hub close at once, after the answer (the hub's own check would take up to a minute).
      c.executionCtx.waitUntil(storeHub(c.env, c.get("actor").tenantId, device.storeId).disconnectDevice(device.id).catch(() => 0));
      return device;
    },
  }),
  route({
    method: "get", path: "/devices/current", tag, auth: "device",
    summary: "The device's side: what this device is (its store, tenant and register)",
    description: "Authenticated by the device credential in X-Device-Credential: a till checks it is still enrolled (401 INVALID_DEVICE once revoked).",
    response: CurrentDevice,
    errors: { 401: "INVALID_DEVICE: the credential is unknown, not paired or revoked", 403: "STORE_INACTIVE: the device's store is inactive" },
    handler: async (c) => c.get("device"),
  }),
  route({
    method: "post", path: "/devices/pair", tag, auth: "public",
    summary: "The device's side: exchange a pairing code for the device credential",
    description: "Once per code. The credential is answered only here: keep it, and send it as X-Device-Credential. Wrong codes count against the client address (20 per 15 minutes).",
    body: PairBody, response: PairResult,
    errors: { 401: "INVALID_PAIRING_CODE: the code is wrong, used or expired", 403: "STORE_INACTIVE: the device's store is inactive", 429: "TOO_MANY_ATTEMPTS: too many wrong codes from this address" },
    handler: async (c, { body }) => {
      const paired = await pairDevice(c.get("db"), c.env, c.get("request"), body.code);
      // A new till: the store's bridges learn its credential's digest for their local API (after the answer).
      if (paired.device.kind === "register") c.executionCtx.waitUntil(storeHub(c.env, paired.tenant.id, paired.device.storeId).tillsChanged().catch(() => 0));
      return paired;
    },
  }),
];
