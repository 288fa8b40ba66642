import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createStore, createTenant, d1Count, enrolTill, feedOf, staffWithPin, tillPinLogin, userWith } from "./helpers";
import { CASHIER, cashEvent, closeById, expectError, openAt, openSession, tillWithCashier, xReportOf, zReportOf } from "./registers-fixtures";

/** Register sessions through the store's hub: open, current, list, one open session per register, the cash drawer log. */

const sessionRow = (id: string) => env.DB.prepare("SELECT * FROM register_sessions WHERE id = ?").bind(id).first<Record<string, unknown>>();
const openRows = (registerId: string) =>
  env.DB.prepare("SELECT id FROM register_sessions WHERE register_id = ? AND status = 'open'").bind(registerId).all().then((r) => r.results);

describe("opening a register", () => {
  it("opens the till's own register from the till, and the session is in D1 before the answer", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    const res = await openAt(till.token, 50000);
    expect(res.status).toBe(201);
    const session = res.json.data;
    expect(session).toMatchObject({
      storeId: t.storeId, registerId: till.registerId, status: "open", openingFloat: 50000, openedBy: till.user.id, openedDeviceId: till.deviceId,
      closedBy: null, closedAt: null, counted: null, expected: null, zNumber: null, version: 1,
    });
    expect(await sessionRow(session.id)).toMatchObject({ tenant_id: t.tenantId, status: "open", opening_float: 50000, opened_by: till.user.id });
    expect(await feedOf(session.id)).toMatchObject([{ entity: "register_session", op: "upsert", version: 1, store_id: t.storeId }]);
    // Naming its own register is the same; naming another is refused.
    const other = await enrolTill(t);
    const wrong = await openAt(till.token, 100, { registerId: other.registerId });
    expectError(wrong, 400, "VALIDATION_ERROR");
    expect(wrong.json.fields).toMatchObject([{ path: "registerId" }]);
    expect(await openRows(other.registerId)).toHaveLength(0);
    expectError(await openAt(till.token, 100, { registerId: till.registerId }), 409, "REGISTER_ALREADY_OPEN");
  });

  it("opens a named register from the back office, with registers.open in that register's store", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const here = await enrolTill(t);
    const there = await enrolTill(t, { storeId: s2.id });
    const manager = await userWith(t, ["registers.open", "registers.view"]);

    const missing = await openAt(manager.token, 1000);
    expectError(missing, 400, "VALIDATION_ERROR");
    expect(missing.json.fields).toMatchObject([{ path: "registerId", message: expect.stringContaining("required") }]);
    expectError(await openAt(manager.token, 1000, { registerId: crypto.randomUUID() }), 404, "NOT_FOUND");
    // The manager holds registers.open in S001 only.
    expectError(await openAt(manager.token, 1000, { registerId: there.registerId }), 403, "MISSING_PERMISSION_IN_STORE");
    expect(await openRows(there.registerId)).toHaveLength(0);

    const opened = await openAt(manager.token, 1000, { registerId: here.registerId });
    expect(opened.status).toBe(201);
    expect(opened.json.data).toMatchObject({ registerId: here.registerId, openedBy: manager.id, openedDeviceId: null });
    // The administrator holds it in S002 (the store's creator has their roles there).
    expect((await openAt(t.adminToken, 0, { registerId: there.registerId })).json.data).toMatchObject({ storeId: s2.id, status: "open" });
  });

  it("refuses a cashier without registers.open, an inactive register, and bad floats", async () => {
    const t = await createTenant();
    const seller = await tillWithCashier(t, ["pos.sell", "registers.view"]);
    const refused = await openAt(seller.token, 1000);
    expectError(refused, 403, "MISSING_PERMISSION");
    expect(refused.json.error).toContain("registers.open");
    expect(await openRows(seller.registerId)).toHaveLength(0);

    const till = await enrolTill(t);
    const off = await api("PUT", `/api/v1/stores/${t.storeId}/registers/${till.registerId}`, { token: t.adminToken, body: { isActive: false } });
    expect(off.status).toBe(200);
    expectError(await openAt(t.adminToken, 1000, { registerId: till.registerId }), 409, "REGISTER_INACTIVE");
    expect(await openRows(till.registerId)).toHaveLength(0);

    const fine = await enrolTill(t);
    for (const openingFloat of [-1, 10.5, "100", null]) {
      expectError(await openAt(t.adminToken, openingFloat as number, { registerId: fine.registerId }), 400, "VALIDATION_ERROR");
    }
  });

  it("gives one open session per register: of many opens at once, one wins and the others get 409", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    const attempts = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => openAt(till.token, 1000 + i)),
      ...Array.from({ length: 6 }, (_, i) => openAt(t.adminToken, 2000 + i, { registerId: till.registerId })),
    ]);
    const won = attempts.filter((r) => r.status === 201);
    expect(won).toHaveLength(1);
    for (const lost of attempts.filter((r) => r.status !== 201)) expectError(lost, 409, "REGISTER_ALREADY_OPEN");
    expect(await openRows(till.registerId)).toEqual([{ id: won[0]!.json.data.id }]);

    // Different registers of the store open at once, each once.
    const tills = await Promise.all(Array.from({ length: 4 }, () => enrolTill(t)));
    const opens = await Promise.all(tills.map((x) => openAt(t.adminToken, 500, { registerId: x.registerId })));
    expect(opens.map((r) => r.status)).toEqual([201, 201, 201, 201]);
  });

  it("answers a retried open with the same Idempotency-Key and writes nothing new; another body with the key is 422", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    const key = { "Idempotency-Key": crypto.randomUUID() };
    const [first, ...retries] = await Promise.all(Array.from({ length: 5 }, () => openAt(till.token, 7000, {}, key)));
    expect(first!.status).toBe(201);
    for (const retry of retries) expect({ status: retry.status, data: retry.json.data }).toEqual({ status: 201, data: first!.json.data });
    expect(await openRows(till.registerId)).toHaveLength(1);
    expectError(await openAt(till.token, 7001, {}, key), 422, "IDEMPOTENCY_MISMATCH");
    expectError(await openAt(till.token, 7000, {}, { "Idempotency-Key": "bad key with spaces" }), 400, "INVALID_IDEMPOTENCY_KEY");
  });

  it("writes nothing for a till whose device was revoked: the hub's batch is guarded by the caller's session", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    expect((await api("POST", `/api/v1/devices/${till.deviceId}/revoke`, { token: t.adminToken })).status).toBe(200);
    // The access token still verifies for its five minutes, but the write is refused.
    expectError(await openAt(till.token, 1000), 401, "SESSION_ENDED");
    expect(await openRows(till.registerId)).toHaveLength(0);
  });
});

describe("the current session", () => {
  it("is the till's register's open session at a till, whoever opened it", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    expectError(await api("GET", "/api/v1/registers/current", { token: till.token }), 404, "NO_OPEN_SESSION");
    const session = await openSession(t.adminToken, 1000, { registerId: till.registerId });
    const current = await api("GET", "/api/v1/registers/current", { token: till.token });
    expect(current.status).toBe(200);
    expect(current.json.data).toMatchObject({ id: session.id, openedBy: t.adminId });
    // Another cashier signing in at the same till sees the same session: it is the register's.
    const second = await staffWithPin(t, CASHIER);
    const login = await tillPinLogin(till.credential, second.pin);
    expect((await api("GET", "/api/v1/registers/current", { token: login.json.data.accessToken })).json.data.id).toBe(session.id);
  });

  it("is the user's own open session away from a till; several is 409; any signed-in user may ask", async () => {
    const t = await createTenant();
    const nobody = await userWith(t, []);
    expectError(await api("GET", "/api/v1/registers/current", { token: nobody.token }), 404, "NO_OPEN_SESSION");
    const [a, b] = await Promise.all([enrolTill(t), enrolTill(t)]);
    const mine = await openSession(t.adminToken, 1000, { registerId: a.registerId });
    expect((await api("GET", "/api/v1/registers/current", { token: t.adminToken })).json.data.id).toBe(mine.id);
    // Someone else's session is not the user's.
    expectError(await api("GET", "/api/v1/registers/current", { token: nobody.token }), 404, "NO_OPEN_SESSION");
    await openSession(t.adminToken, 1000, { registerId: b.registerId });
    expectError(await api("GET", "/api/v1/registers/current", { token: t.adminToken }), 409, "SEVERAL_OPEN_SESSIONS");
    expectError(await api("POST", "/api/v1/registers/close", { token: t.adminToken, body: { counted: {} } }), 409, "SEVERAL_OPEN_SESSIONS");
  });
});

describe("listing sessions", () => {
  it("filters by store, register, status and date, newest first, in one round trip", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const [a, b, c] = await Promise.all([enrolTill(t), enrolTill(t), enrolTill(t, { storeId: s2.id })]);
    // A few milliseconds apart, so that "newest first" and the date bounds have one answer.
    const tick = () => new Promise((resolve) => setTimeout(resolve, 3));
    const a1 = await openSession(t.adminToken, 100, { registerId: a.registerId });
    expect((await closeById(t.adminToken, a1.id, {})).status).toBe(200);
    await tick();
    const a2 = await openSession(t.adminToken, 200, { registerId: a.registerId });
    await tick();
    const b1 = await openSession(t.adminToken, 300, { registerId: b.registerId });
    await tick();
    const c1 = await openSession(t.adminToken, 400, { registerId: c.registerId });

    const list = (query: string, token = t.adminToken) => api("GET", `/api/v1/registers${query}`, { token });
    const all = await list("");
    expect(all.status).toBe(200);
    expect(d1Count(all)).toBe(1);
    expect(all.json).toMatchObject({ total: 4, page: 1, pageSize: 50 });
    expect(all.json.data.map((s: { id: string }) => s.id)).toEqual([c1.id, b1.id, a2.id, a1.id]);
    expect(all.json.data[0]).toMatchObject({ registerCode: expect.any(String), registerName: "Till" });
    const ids = async (query: string) => (await list(query)).json.data.map((s: { id: string }) => s.id);
    expect(await ids(`?store_id=${t.storeId}`)).toEqual([b1.id, a2.id, a1.id]);
    expect(await ids(`?register_id=${a.registerId}`)).toEqual([a2.id, a1.id]);
    expect(await ids(`?register_id=${a.registerId}&status=closed`)).toEqual([a1.id]);
    expect(await ids("?status=open&page=2&pageSize=2")).toEqual([a2.id]);
    const b1At = new Date((await sessionRow(b1.id))!.opened_at as number).toISOString();
    expect(await ids(`?date_from=${b1At}`)).toEqual([c1.id, b1.id]);
    expect(await ids(`?date_to=${b1At}`)).toEqual([a2.id, a1.id]);
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect((await list(`?date_from=${today}&date_to=${tomorrow}`)).json.total).toBe(4);
    expect((await list(`?date_to=${today}`)).json.total).toBe(0);
    expect((await list("?date_to=2000-01-01")).json.total).toBe(0);
    expectError(await list("?date_from=yesterday"), 400, "VALIDATION_ERROR");
    expectError(await list("?status=paused"), 400, "VALIDATION_ERROR");

    // A viewer of S001 sees S001's sessions only, and naming S002 is refused.
    const viewer = await userWith(t, ["registers.view"]);
    expect((await list("", viewer.token)).json.total).toBe(3);
    expectError(await list(`?store_id=${s2.id}`, viewer.token), 403, "MISSING_PERMISSION_IN_STORE");
    // Another tenant's sessions are not there at all.
    const other = await createTenant();
    expect((await list("", other.adminToken)).json.total).toBe(0);
    expectError(await list(`?store_id=${t.storeId}`, other.adminToken), 403, "MISSING_PERMISSION_IN_STORE");
  });

  it("answers one session by id with registers.view in its store", async () => {
    const t = await createTenant();
    const s2 = await createStore(t, "S002");
    const till = await enrolTill(t, { storeId: s2.id });
    const session = await openSession(t.adminToken, 100, { registerId: till.registerId });
    const got = await api("GET", `/api/v1/registers/${session.id}`, { token: t.adminToken });
    expect(got.json.data).toMatchObject({ id: session.id, storeId: s2.id, status: "open" });
    const viewer = await userWith(t, ["registers.view"]);
    expectError(await api("GET", `/api/v1/registers/${session.id}`, { token: viewer.token }), 403, "MISSING_PERMISSION_IN_STORE");
  });

  it("keeps another tenant's session out of reach everywhere (404)", async () => {
    const t = await createTenant();
    const other = await createTenant();
    const theirs = await enrolTill(other);
    const session = await openSession(other.adminToken, 100, { registerId: theirs.registerId });
    expectError(await api("GET", `/api/v1/registers/${session.id}`, { token: t.adminToken }), 404, "NOT_FOUND");
    expectError(await closeById(t.adminToken, session.id, { CASH: 100 }), 404, "NOT_FOUND");
    expectError(await cashEvent(t.adminToken, session.id, { kind: "paid_in", amount: 100, reason: "x" }), 404, "NOT_FOUND");
    expectError(await api("GET", `/api/v1/registers/${session.id}/cash-events`, { token: t.adminToken }), 404, "NOT_FOUND");
    expectError(await xReportOf(t.adminToken, session.id), 404, "NOT_FOUND");
    expectError(await zReportOf(t.adminToken, session.id), 404, "NOT_FOUND");
    expectError(await openAt(t.adminToken, 100, { registerId: theirs.registerId }), 404, "NOT_FOUND");
    // ... and it is untouched.
    expect(await sessionRow(session.id)).toMatchObject({ status: "open", version: 1 });
    expect((await env.DB.prepare("SELECT count(*) AS n FROM cash_events WHERE session_id = ?").bind(session.id).first<{ n: number }>())!.n).toBe(0);
  });
});

describe("the cash drawer log", () => {
  it("records paid in, paid out, drops and no-sale openings with who, when, amount and reason", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    const session = await openSession(till.token, 50000);
    const events = [
      { kind: "paid_in", amount: 10000, reason: "Change from the bank" },
      { kind: "paid_out", amount: 2500, reason: "Window cleaner" },
      { kind: "drop", amount: 30000 },
      { kind: "no_sale", amount: 0, reason: "Customer asked for change" },
    ];
    const answers = [];
    for (const body of events) {
      const res = await cashEvent(till.token, session.id, body);
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      expect(res.json.data).toMatchObject({ ...body, reason: body.reason ?? null, sessionId: session.id, storeId: t.storeId, userId: till.user.id, deviceId: till.deviceId });
      expect(Date.parse(res.json.data.at)).toBeGreaterThan(Date.now() - 60_000);
      answers.push(res.json.data);
    }
    const log = await api("GET", `/api/v1/registers/${session.id}/cash-events`, { token: till.token });
    expect(log.status).toBe(200);
    expect(log.json).toMatchObject({ total: 4, data: answers });
    expect(d1Count(log)).toBe(1);
    expect(await feedOf(answers[0].id)).toMatchObject([{ entity: "cash_event", store_id: t.storeId }]);
  });

  it("refuses bad events, a caller without registers.open, and a closed session", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    const session = await openSession(till.token, 50000);
    const bad: [Record<string, unknown>, string][] = [
      [{ kind: "no_sale", amount: 100, reason: "x" }, "amount"],
      [{ kind: "paid_in", amount: 0, reason: "x" }, "amount"],
      [{ kind: "paid_out", amount: -5, reason: "x" }, "amount"],
      [{ kind: "paid_out", amount: 1.5, reason: "x" }, "amount"],
      [{ kind: "paid_out", amount: 100 }, "reason"],
      [{ kind: "paid_in", amount: 100, reason: "two\nlines" }, "reason"],
      [{ kind: "paid_in", amount: 100, reason: "\u001b[2J" }, "reason"],
      [{ kind: "refund", amount: 100, reason: "x" }, "kind"],
    ];
    for (const [body, field] of bad) {
      const res = await cashEvent(till.token, session.id, body);
      expectError(res, 400, "VALIDATION_ERROR");
      expect(res.json.fields.map((f: { path: string }) => f.path)).toContain(field);
    }
    const viewer = await userWith(t, ["registers.view"]);
    expectError(await cashEvent(viewer.token, session.id, { kind: "drop", amount: 100 }), 403, "MISSING_PERMISSION");
    expect((await closeById(till.token, session.id, { CASH: 50000 })).status).toBe(200);
    expectError(await cashEvent(till.token, session.id, { kind: "drop", amount: 100 }), 409, "SESSION_CLOSED");
    expect((await env.DB.prepare("SELECT count(*) AS n FROM cash_events WHERE session_id = ?").bind(session.id).first<{ n: number }>())!.n).toBe(0);
  });

  it("answers a retried event with the same Idempotency-Key once", async () => {
    const t = await createTenant();
    const till = await tillWithCashier(t);
    const session = await openSession(till.token, 0);
    const key = { "Idempotency-Key": crypto.randomUUID() };
    const body = { kind: "paid_in", amount: 500, reason: "Float" };
    const answers = await Promise.all(Array.from({ length: 4 }, () => cashEvent(till.token, session.id, body, key)));
    expect(new Set(answers.map((a) => `${a.status} ${a.json.data?.id}`)).size).toBe(1);
    expect(answers[0]!.status).toBe(201);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM cash_events WHERE session_id = ?").bind(session.id).first<{ n: number }>())!.n).toBe(1);
    expectError(await cashEvent(till.token, session.id, { ...body, amount: 501 }, key), 422, "IDEMPOTENCY_MISMATCH");
  });
});

describe("the API reference", () => {
  it("documents each refusal code the register and report routes answer", async () => {
    const doc = (await api("GET", "/api/v1/openapi.json")).json;
    const documented = (method: string, path: string, status: number) => doc.paths[`/api/v1${path}`]?.[method]?.responses?.[String(status)]?.description ?? "";
    const expectations: [string, string, number, string[]][] = [
      ["get", "/registers", 403, ["MISSING_PERMISSION_IN_STORE"]],
      ["get", "/registers/current", 404, ["NO_OPEN_SESSION"]],
      ["get", "/registers/current", 409, ["SEVERAL_OPEN_SESSIONS"]],
      ["post", "/registers/open", 400, ["VALIDATION_ERROR", "INVALID_IDEMPOTENCY_KEY"]],
      ["post", "/registers/open", 403, ["MISSING_PERMISSION", "MISSING_PERMISSION_IN_STORE"]],
      ["post", "/registers/open", 404, ["NOT_FOUND"]],
      ["post", "/registers/open", 409, ["REGISTER_ALREADY_OPEN", "REGISTER_INACTIVE"]],
      ["post", "/registers/open", 422, ["IDEMPOTENCY_MISMATCH"]],
      ["post", "/registers/close", 404, ["NO_OPEN_SESSION"]],
      ["post", "/registers/close", 409, ["SESSION_CLOSED", "SESSION_BUSY", "SEVERAL_OPEN_SESSIONS"]],
      ["put", "/registers/{id}/close", 403, ["MISSING_PERMISSION_IN_STORE"]],
      ["put", "/registers/{id}/close", 404, ["NOT_FOUND"]],
      ["put", "/registers/{id}/close", 409, ["SESSION_CLOSED", "SESSION_BUSY"]],
      ["put", "/registers/{id}/close", 422, ["UNKNOWN_TENDER", "IDEMPOTENCY_MISMATCH"]],
      ["post", "/registers/{id}/cash-events", 409, ["SESSION_CLOSED"]],
      ["post", "/registers/{id}/cash-events", 422, ["IDEMPOTENCY_MISMATCH"]],
      ["get", "/registers/{id}/cash-events", 403, ["MISSING_PERMISSION_IN_STORE"]],
      ["get", "/reports/x-report", 403, ["MISSING_PERMISSION", "MISSING_PERMISSION_IN_STORE"]],
      ["get", "/reports/x-report", 404, ["NOT_FOUND"]],
      ["get", "/reports/z-report", 404, ["NOT_FOUND"]],
      ["get", "/reports/z-report", 409, ["SESSION_OPEN"]],
    ];
    for (const [method, path, status, codes] of expectations) {
      for (const code of codes) expect(documented(method, path, status), `${method} ${path} ${status}`).toContain(code);
    }
    // No 409 where none is answered, and the permission each route declares.
    expect(doc.paths["/api/v1/registers/{id}"].get.responses["409"]).toBeUndefined();
    expect(doc.paths["/api/v1/registers/{id}/cash-events"].post["x-permission"]).toBe("registers.open");
    expect(doc.paths["/api/v1/reports/z-report"].get["x-permission"]).toBe("reports.z_report");
  });
});
