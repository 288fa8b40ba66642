import { saleFromQuote, sell, type Shop } from "./checkout-fixtures";
import { api, type TestTenant } from "./helpers";
import { openSocket, type SocketClient } from "./sync-ws-fixtures";

/** The store bridge and tills on the hub's socket, for the print-job tests: a test plays the bridge. */

export const TILL_FEATURES = ["job.status", "bridge.status", "scan"];

/** Enrol a bridge (a device of kind bridge) in the store and pair it: its credential and device id. */
export async function enrolBridge(t: TestTenant, storeId = t.storeId) {
  const created = await api("POST", `/api/v1/stores/${storeId}/devices`, { token: t.adminToken, body: { kind: "bridge", name: "Back-room bridge" } });
  if (created.status !== 201) throw new Error(`bridge: ${created.status} ${JSON.stringify(created.json)}`);
  const paired = await api("POST", "/api/v1/devices/pair", { body: { code: created.json.data.pairing.code } });
  if (paired.status !== 200) throw new Error(`pair: ${paired.status} ${JSON.stringify(paired.json)}`);
  return { credential: paired.json.data.credential as string, deviceId: paired.json.data.device.id as string };
}

/** Open a socket on a device credential and say hello with these features; throws unless welcomed. */
export async function connectWith(credential: string, features?: string[]): Promise<SocketClient> {
  const opened = await openSocket({ "X-Device-Credential": credential });
  if (!opened.client) throw new Error(`socket: ${opened.status} ${JSON.stringify(opened.json)}`);
  const socket = opened.client;
  socket.send({ v: 1, type: "hello", lastSeq: null, ...(features ? { features } : {}) });
  await socket.next("welcome");
  return socket;
}

/** A bridge's end of the socket: it receives jobs and answers job.ack / job.status as the daemon would. */
export class FakeBridge {
  constructor(readonly socket: SocketClient) {}

  static async connect(credential: string, features = ["jobs"]) {
    return new FakeBridge(await connectWith(credential, features));
  }

  /** Every job received, in order (a redelivered one again). */
  jobs(): any[] {
    return this.socket.messages.filter((m) => m.type === "job").map((m) => m.job);
  }

  /** Wait until `n` jobs have arrived; answers them. */
  async received(n: number, ms?: number): Promise<any[]> {
    await this.socket.until(`${n} jobs`, () => this.jobs().length >= n, ms);
    return this.jobs();
  }

  ack(jobId: string) {
    this.socket.send({ v: 1, type: "job.ack", jobId });
  }

  outcome(jobId: string, state: "printed" | "failed" | "unknown", reason: string | null = null) {
    this.socket.send({ v: 1, type: "job.status", jobId, state, reason, at: Date.now() });
  }

  report(devices: unknown[]) {
    this.socket.send({ v: 1, type: "bridge.status", devices, at: Date.now() });
  }

  scan(text: string, registerId?: string) {
    this.socket.send({ v: 1, type: "scan", scannerId: "scanner-1", text, ...(registerId ? { registerId } : {}), at: Date.now() });
  }

  /**
   * Round trip: the hub's pong comes after everything it did with what was sent before. (Not the exact heartbeat
   * text, which the runtime answers without the hub: the keys in another order make the hub answer it itself.)
   */
  async settle() {
    await settle(this.socket);
  }

  close() {
    this.socket.close();
  }
}

/** The job.status messages a till got for a job, in order: their states. */
export const statesSeen = (till: SocketClient, jobId: string) =>
  till.messages.filter((m) => m.type === "job.status" && m.jobId === jobId).map((m) => m.state as string);

/** Wait until the till has been told the job reached `state`. */
export const toldState = (till: SocketClient, jobId: string, state: string, ms?: number) =>
  till.until(`job ${jobId} ${state}`, () => till.messages.find((m) => m.type === "job.status" && m.jobId === jobId && m.state === state), ms);

export const printer = (id: string, status: Partial<Record<"online" | "coverOpen" | "paperNearEnd" | "paperOut" | "drawerOpen" | "error", boolean>> = {}) => ({
  id, kind: "printer", name: `Printer ${id}`, connected: true,
  status: { online: true, coverOpen: false, paperNearEnd: false, paperOut: false, drawerOpen: false, error: false, ...status },
});

export const jobsPath = (storeId: string) => `/api/v1/stores/${storeId}/print-jobs`;

/** Ask for a job as the shop's cashier (at the till): the answer. */
export const createJob = (shop: Shop, body: Record<string, unknown>, headers: Record<string, string> = {}, storeId = shop.t.storeId) =>
  api("POST", jobsPath(storeId), { token: shop.cashier.token, body, headers });

/** Create a job and throw unless 201: the job. */
export async function newJob(shop: Shop, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await createJob(shop, body, headers);
  if (res.status !== 201) throw new Error(`print job: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.data as { id: string; seq: number; state: string; [k: string]: unknown };
}

export const getJob = (shop: Shop, jobId: string, token = shop.cashier.token) => api("GET", `${jobsPath(shop.t.storeId)}/${jobId}`, { token });

/** A completed sale at the shop's till: its id and receipt number. */
export async function aSale(shop: Shop) {
  const body = await saleFromQuote(shop, [{ productId: shop.products.coffee.id, quantity: 2000 }, { productId: shop.products.bun.id, quantity: 1000 }]);
  const res = await sell(shop, body);
  if (res.status !== 201) throw new Error(`sale: ${res.status} ${JSON.stringify(res.json)}`);
  return { id: res.json.data.id as string, receiptNumber: res.json.data.receiptNumber as string };
}

/** Base64 of bytes (a raw job's body). */
export const base64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes));

/** A round trip through the hub itself on this socket (see FakeBridge.settle). */
export async function settle(socket: SocketClient) {
  const from = socket.messages.length;
  socket.send('{"type":"ping","v":1}');
  await socket.next("pong", from);
}
