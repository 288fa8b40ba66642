import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ALL_PERMISSIONS } from "../../schema/permissions";
import { routeTable } from "../../worker/app";
import { oneSale } from "./checkout-fixtures";
import { ADMIN_PASSWORD, api, createTenant, enrolTill, operatorToken, userWith, type TestTenant } from "./helpers";

/**
 * Generated from the route table: every /api/v1 route answers 401 without a token, 403 with a token that lacks
 * its permission, and 404 for another tenant's object. A new route joins the matrix by being mounted.
 */

const userRoutes = routeTable.filter((r) => r.def.auth === "user");
const permissionRoutes = userRoutes.filter((r) => r.def.permission);
const idRoutes = userRoutes.filter((r) => r.path.includes("/:"));

/** Routes the spec opens to any signed-in user (its "JWT" rows). */
const TOKEN_ONLY = new Set([
  "GET /api/v1/auth/me", "POST /api/v1/auth/change-credential", "GET /api/v1/users/store-employees", "GET /api/v1/stores/current", "GET /api/v1/registers/current",
]);

/** A valid body for each write route with an :id and a body, so that the 404 (not a 400) is what answers. */
const VALID_BODIES: Record<string, unknown> = {
  "PUT /api/v1/users/:id": { displayName: "Renamed" },
  "PUT /api/v1/roles/:id": { name: "Renamed role" },
  "PUT /api/v1/roles/:id/permissions": { permissions: ["products.view"] },
  "PUT /api/v1/stores/:id": { name: "Renamed store" },
  "PUT /api/v1/products/:id": { name: "Renamed product" },
  "PUT /api/v1/worksheets/:id": { kind: "deactivate", name: "Renamed sheet", items: [] },
  "PATCH /api/v1/worksheets/:id/reject": { reason: "Not now" },
  "PUT /api/v1/departments/:id": { name: "Renamed department" },
  "PUT /api/v1/taxes/groups/:id": { name: "Renamed group" },
  "PUT /api/v1/taxes/:id": { name: "Renamed rate" },
  "PUT /api/v1/suppliers/:id": { name: "Renamed supplier" },
  "PUT /api/v1/customers/:id": { firstName: "Renamed" },
  "PUT /api/v1/sales-reps/:id": { name: "Renamed rep" },
  "PUT /api/v1/tenders/:id": { name: "Renamed tender" },
  "POST /api/v1/products/:productId/suppliers": { supplierId: "00000000-0000-4000-8000-000000000000" },
  "PUT /api/v1/products/:productId/suppliers/:supplierId": { supplierSku: "B-1" },
  "PUT /api/v1/specials/:id": { name: "Renamed special" },
  "POST /api/v1/stores/:storeId/registers": { code: "T99", name: "Till" },
  "PUT /api/v1/stores/:storeId/registers/:registerId": { name: "Renamed till" },
  "POST /api/v1/stores/:storeId/devices": { kind: "bridge", name: "Bridge" },
  "PUT /api/v1/sales/:id/void": { reason: "Wrong item" },
  "PUT /api/v1/registers/:id/close": { counted: { CASH: 0 } },
  "POST /api/v1/registers/:id/cash-events": { kind: "paid_in", amount: 100, reason: "Float" },
  "POST /api/v1/sync/resolve/:id": { note: "Entered by hand" },
  "PUT /api/v1/transfers/:id": { notes: "Renamed transfer" },
  "PUT /api/v1/transfers/:id/send": {},
  "PUT /api/v1/transfers/:id/receive": {},
  "PUT /api/v1/transfers/:id/cancel": {},
  "PUT /api/v1/purchase-orders/:id": { notes: "Renamed order" },
  "PATCH /api/v1/purchase-orders/:id/submit": {},
  "PATCH /api/v1/purchase-orders/:id/approve": {},
  "PATCH /api/v1/purchase-orders/:id/send": {},
  "PATCH /api/v1/purchase-orders/:id/receive": { lines: [{ lineId: "00000000-0000-4000-8000-000000000000", quantity: 1000 }] },
  "PATCH /api/v1/purchase-orders/:id/cancel": {},
  "POST /api/v1/purchase-orders/:id/items": { productId: "00000000-0000-4000-8000-000000000000", quantity: 1000 },
  "PUT /api/v1/purchase-orders/:id/items/:itemId": { quantity: 2000 },
  "PUT /api/v1/api-clients/:id": { name: "Renamed client" },
  "PUT /api/v1/stock-counts/:id/lines": { lines: [{ productId: "00000000-0000-4000-8000-000000000000", countedQuantity: 1000 }] },
  "PUT /api/v1/stock-counts/:id/post": {},
  "PUT /api/v1/stock-counts/:id/cancel": {},
  "PUT /api/v1/product-banners/:id": { title: "Renamed banner" },
  "PUT /api/v1/product-notices/:id": { text: "Renamed notice" },
  "PUT /api/v1/product-sections/:id": { name: "Renamed section" },
  "PUT /api/v1/product-sort-options/:id": { name: "Renamed sort" },
  "PUT /api/v1/item-serial-lots/:id": { notes: "Renamed" },
  "PUT /api/v1/gift-cards/:id": { status: "blocked" },
  "POST /api/v1/gift-cards/:id/transactions": { kind: "ADD", amount: 100 },
  "POST /api/v1/gift-cards/:id/transactions/:transactionId/capture": {},
  "POST /api/v1/stores/:storeId/print-jobs": { kind: "test" },
  "POST /api/v1/stores/:storeId/drawer-kicks": {},
};

/**
 * The resource of a route with parameters: its path up to the first one ("/api/v1/taxes/groups"). A route whose
 * parameters name more than one object (a product's supplier link), or no id at all (a barcode), has a maker of
 * its own, keyed by its whole path, that answers a value per parameter.
 */
const kindOf = (path: string) => path.slice(0, path.indexOf("/:"));

const key = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;
/** Fill a path's parameters: one id for all of them, or a value per parameter (every one of them named). */
const withId = (path: string, ids: string | Record<string, string>) =>
  path.replace(/:(\w+)/g, (_m, name: string) => {
    const value = typeof ids === "string" ? ids : ids[name];
    if (!value) throw new Error(`no value for :${name} of ${path}`);
    return value;
  });

describe("authorisation matrix", () => {
  let a: TestTenant;
  let b: TestTenant;
  /** Makes an object of tenant B for each kind of route with parameters (a new one where a route may delete or advance it). */
  let foreign: Record<string, () => Promise<string | Record<string, string>>>;

  let signedInAt = 0;
  beforeAll(async () => {
    signedInAt = Date.now();
    [a, b] = await Promise.all([createTenant(), createTenant()]);
    // Made first: the matrix's own-tenant requests go on to change B's roles.
    const bTills = await Promise.all(Array.from({ length: 6 }, () => enrolTill(b)));
    const bSales = [await oneSale(b), await oneSale(b)];
    // Open register sessions of B, one per route that takes one (a close advances it).
    const bSessions = await Promise.all(Array.from({ length: 4 }, async () => {
      const till = await enrolTill(b);
      const opened = await api("POST", "/api/v1/registers/open", { token: b.adminToken, body: { registerId: till.registerId, openingFloat: 0 } });
      if (opened.status !== 201) throw new Error(`open: ${JSON.stringify(opened.json)}`);
      return opened.json.data.id as string;
    }));
    const created = async (path: string, body: unknown) => {
      const res = await api("POST", path, { token: b.adminToken, body });
      if (res.status !== 201) throw new Error(`${path}: ${JSON.stringify(res.json)}`);
      return res.json.data.id as string;
    };
    const unique = () => crypto.randomUUID().slice(0, 8);
    // An entry of B's sync error queue: a till of B pushes a cash event of a session B does not have.
    const syncError = async () => {
      const till = await enrolTill(b);
      const item = { type: "cash_event", id: crypto.randomUUID(), sessionId: crypto.randomUUID(), kind: "paid_in", amount: 100, reason: "Float", userId: b.adminId, at: new Date().toISOString() };
      const res = await api("POST", "/api/v1/sync/push", { body: { items: [item] }, headers: { "X-Device-Credential": till.credential } });
      if (res.status !== 200 || !res.json.data.results[0].errorId) throw new Error(`sync push: ${JSON.stringify(res.json)}`);
      return res.json.data.results[0].errorId as string;
    };
    const bSecondStore = (await api("POST", "/api/v1/stores", { token: b.adminToken, body: { code: "S002", name: "B's second store", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true } })).json.data.id as string;
    /** A draft purchase order of B with one line. */
    const bPurchaseOrder = async () => {
      const productId = await created("/api/v1/products", { sku: unique(), name: "B's product", sellPrice: 100 });
      const supplierId = await created("/api/v1/suppliers", { name: `Supplier ${unique()}` });
      const res = await api("POST", "/api/v1/purchase-orders", { token: b.adminToken, body: { supplierId, lines: [{ productId, quantity: 1000 }] } });
      if (res.status !== 201) throw new Error(`purchase order: ${JSON.stringify(res.json)}`);
      return { id: res.json.data.id as string, itemId: res.json.data.lines[0].id as string };
    };
    /** A gift card of B with an authorised USE on it. */
    const bGiftCardHold = async () => {
      const cardId = await created("/api/v1/gift-cards", { initialAmount: 1000 });
      const res = await api("POST", `/api/v1/gift-cards/${cardId}/transactions`, { token: b.adminToken, body: { kind: "USE", amount: -100, authorise: true } });
      if (res.status !== 201) throw new Error(`gift card hold: ${JSON.stringify(res.json)}`);
      return { id: cardId, transactionId: res.json.data.transaction.id as string };
    };
    foreign = {
      "/api/v1/users": async () => b.adminId,
      // a user of its own: a reset ends the user's sessions, and B's admin signs the other makers' writes
      "/api/v1/users/:id/reset-pin": () => created("/api/v1/users", { username: `u${unique()}`, displayName: "B's user", password: "a long enough password" }),
      "/api/v1/roles": async () => b.adminRoleId,
      "/api/v1/stores": async () => b.storeId,
      "/api/v1/products": () => created("/api/v1/products", { sku: unique(), name: "B's product", sellPrice: 100 }),
      "/api/v1/worksheets": async () => {
        const productId = await created("/api/v1/products", { sku: unique(), name: "B's product", sellPrice: 100 });
        return created("/api/v1/worksheets", { kind: "deactivate", name: "B's sheet", items: [{ productId }] });
      },
      "/api/v1/departments": () => created("/api/v1/departments", { name: `Dept ${unique()}` }),
      "/api/v1/taxes/groups": () => created("/api/v1/taxes/groups", { name: `Group ${unique()}` }),
      "/api/v1/taxes": () => created("/api/v1/taxes", { name: `Rate ${unique()}`, rate: 2500 }),
      "/api/v1/suppliers": () => created("/api/v1/suppliers", { name: `Supplier ${unique()}` }),
      "/api/v1/customers": () => created("/api/v1/customers", { firstName: "Bea" }),
      "/api/v1/sales-reps": () => created("/api/v1/sales-reps", { code: unique(), name: "Rep" }),
      "/api/v1/tenders": () => created("/api/v1/tenders", { code: `T${unique()}`, name: "Voucher", kind: "voucher" }),
      "/api/v1/store-prices": async () => {
        const productId = await created("/api/v1/products", { sku: unique(), name: "B's product", sellPrice: 100 });
        const res = await api("POST", "/api/v1/store-prices", { token: b.adminToken, body: { storeId: b.storeId, productId, price: 90 } });
        if (res.status !== 200) throw new Error(`store price: ${JSON.stringify(res.json)}`);
        return res.json.data.id as string;
      },
      "/api/v1/specials": async () => {
        const productId = await created("/api/v1/products", { sku: unique(), name: "B's product", sellPrice: 100 });
        return created("/api/v1/specials", { name: "B's special", kind: "percent", value: 1000, productIds: [productId], startsAt: "2026-01-01T00:00", endsAt: "2027-01-01T00:00" });
      },
      "/api/v1/devices": async () => bTills.pop()!.deviceId,
      // a client of its own each time: a revoke ends it
      "/api/v1/api-clients": () => created("/api/v1/api-clients", { name: `ERP ${unique()}`, permissions: ["products.view"] }),
      "/api/v1/sales": async () => bSales.pop()!,
      "/api/v1/registers": async () => bSessions.pop()!,
      "/api/v1/sync/retry": syncError,
      "/api/v1/sync/resolve": syncError,
      "/api/v1/stores/:storeId/registers/:registerId": async () => ({ storeId: b.storeId, registerId: bTills.pop()!.registerId }),
      "/api/v1/stores/:storeId/registers/:registerId/pairing-code": async () => ({ storeId: b.storeId, registerId: bTills.pop()!.registerId }),
      "/api/v1/products/barcode/:barcode": async () => {
        const barcode = `73${Date.now()}${Math.floor(Math.random() * 1000)}`;
        await created("/api/v1/products", { sku: unique(), barcode, name: "B's product", sellPrice: 100 });
        return { barcode };
      },
      "/api/v1/transfers": async () => {
        const productId = await created("/api/v1/products", { sku: unique(), name: "B's product", sellPrice: 100 });
        return created("/api/v1/transfers", { toStoreId: bSecondStore, lines: [{ productId, quantity: 1000 }] });
      },
      "/api/v1/purchase-orders": async () => (await bPurchaseOrder()).id,
      "/api/v1/purchase-orders/:id/items/:itemId": bPurchaseOrder,
      // one open count per store: each in a store of its own
      "/api/v1/stock-counts": async () => {
        const storeId = await created("/api/v1/stores", { code: `C${unique()}`, name: "Counted", currency: "SEK", timeZone: "Europe/Stockholm", pricesIncludeTax: true });
        return created("/api/v1/stock-counts", { storeId });
      },
      "/api/v1/product-banners": () => created("/api/v1/product-banners", { title: `Banner ${unique()}` }),
      "/api/v1/product-notices": async () => {
        const productId = await created("/api/v1/products", { sku: unique(), name: "B's product", sellPrice: 100 });
        return created("/api/v1/product-notices", { name: `Notice ${unique()}`, text: "Contains nuts", severity: "warning", productIds: [productId] });
      },
      "/api/v1/product-sections": () => created("/api/v1/product-sections", { name: `Section ${unique()}` }),
      // a sort option of its own field and direction: one per pair, and at most five pairs are free per direction
      "/api/v1/product-sort-options": async () => {
        const fields = ["name", "price", "sku", "created", "popularity"];
        const taken = (await api("GET", "/api/v1/product-sort-options?pageSize=200", { token: b.adminToken })).json.data.map((o: { field: string; direction: string }) => `${o.field} ${o.direction}`);
        const [field, direction] = fields.flatMap((f) => ["asc", "desc"].map((d) => [f, d])).find(([f, d]) => !taken.includes(`${f} ${d}`))!;
        return created("/api/v1/product-sort-options", { name: `Sort ${unique()}`, field, direction });
      },
      "/api/v1/item-serial-lots": async () => {
        const productId = await created("/api/v1/products", { sku: unique(), name: "B's product", sellPrice: 100 });
        return created("/api/v1/item-serial-lots", { productId, kind: "SERIAL", number: `SN-${unique()}` });
      },
      "/api/v1/purchases": async () => {
        const customerId = await created("/api/v1/customers", { firstName: "Bea" });
        return created("/api/v1/purchases", {
          source: "webshop", transactionId: `B-${unique()}`, customerId, purchasedAt: "2026-01-15T10:00:00Z", currency: "SEK", pricesIncludeTax: true,
          lines: [{ description: "Mug", quantity: 1000, unitPrice: 9900, lineTotal: 9900, taxAmount: 1980 }], taxTotal: 1980, total: 9900,
          payments: [{ method: "CARD", amount: 9900 }],
        });
      },
      "/api/v1/gift-cards": () => created("/api/v1/gift-cards", { initialAmount: 1000 }),
      "/api/v1/gift-cards/:id/transactions/:transactionId/capture": bGiftCardHold,
      "/api/v1/gift-cards/:id/transactions/:transactionId/cancel": bGiftCardHold,
      "/api/v1/stores/:storeId/print-jobs/:jobId": async () => ({ storeId: b.storeId, jobId: await created(`/api/v1/stores/${b.storeId}/print-jobs`, { kind: "test" }) }),
      "/api/v1/stores/:storeId/print-jobs/:jobId/reprint": async () => ({ storeId: b.storeId, jobId: await created(`/api/v1/stores/${b.storeId}/print-jobs`, { kind: "test" }) }),
      "/api/v1/products/:productId/suppliers/:supplierId": async () => {
        const productId = await created("/api/v1/products", { sku: unique(), name: "B's product", sellPrice: 100 });
        const supplierId = await created("/api/v1/suppliers", { name: `Supplier ${unique()}` });
        await created(`/api/v1/products/${productId}/suppliers`, { supplierId });
        return { productId, supplierId };
      },
    };
  });

  // Access tokens live five minutes, and on a loaded machine the matrix takes longer: sign the admins in again.
  beforeEach(async () => {
    if (Date.now() - signedInAt < 3 * 60_000) return;
    signedInAt = Date.now();
    for (const t of [a, b]) {
      const login = await api("POST", "/api/v1/auth/login", { body: { tenant: t.slug, username: "admin", password: ADMIN_PASSWORD } });
      if (login.status !== 200) throw new Error(`admin login: ${JSON.stringify(login.json)}`);
      t.adminToken = login.json.data.accessToken;
    }
  });

  it("covers every mounted route", () => {
    expect(userRoutes.length).toBeGreaterThan(15);
    for (const r of userRoutes) {
      if (!TOKEN_ONLY.has(key(r))) expect(r.def.permission, `${key(r)} declares no permission`).toBeDefined();
    }
    for (const r of idRoutes) {
      if (r.def.body) expect(VALID_BODIES[key(r)], `add a valid body for ${key(r)}`).toBeDefined();
      expect(Object.keys(foreign), `add a foreign object maker for ${key(r)}`).toContain(foreign[r.path] ? r.path : kindOf(r.path));
    }
  });

  it.each(userRoutes.map((r) => [key(r), r] as const))("%s answers 401 without a token", async (_name, r) => {
    const res = await api(r.method.toUpperCase(), withId(r.path, crypto.randomUUID()), { body: r.method === "get" ? undefined : {} });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ success: false, code: "UNAUTHENTICATED" });
  });

  it.each(userRoutes.map((r) => [key(r), r] as const))("%s answers 401 with a forged token", async (_name, r) => {
    const forged = `${a.adminToken.slice(0, -4)}AAAA`;
    const res = await api(r.method.toUpperCase(), withId(r.path, crypto.randomUUID()), { token: forged });
    expect(res.status).toBe(401);
  });

  it.each(permissionRoutes.map((r) => [key(r), r] as const))("%s answers 403 to a user holding every other permission", async (_name, r) => {
    const lacking = await userWith(a, ALL_PERMISSIONS.filter((p) => p !== r.def.permission));
    const res = await api(r.method.toUpperCase(), withId(r.path, crypto.randomUUID()), {
      token: lacking.token,
      body: r.method === "get" ? undefined : VALID_BODIES[key(r)] ?? {},
    });
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ success: false, code: "MISSING_PERMISSION" });
    expect(res.json.error).toContain(r.def.permission);
  });

  it.each(idRoutes.map((r) => [key(r), r] as const))("%s answers 404 for another tenant's object", async (_name, r) => {
    const id = await (foreign[r.path] ?? foreign[kindOf(r.path)])!();
    const res = await api(r.method.toUpperCase(), withId(r.path, id), { token: a.adminToken, body: VALID_BODIES[key(r)] });
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ success: false, code: "NOT_FOUND" });
    // ...while tenant B's own admin finds it, so the 404 is tenancy, not a bad id.
    const own = await api(r.method.toUpperCase(), withId(r.path, id), { token: b.adminToken, body: VALID_BODIES[key(r)] });
    expect(own.status).not.toBe(404);
    expect(own.status, JSON.stringify(own.json)).toBeLessThan(500);
    if (r.method === "get") expect(own.status).toBe(200);
  });

  it.each(routeTable.filter((r) => r.def.auth === "operator").map((r) => [key(r), r] as const))(
    "%s (operator) answers 401 to no token and to a user token",
    async (_name, r) => {
      const path = withId(r.path, a.tenantId);
      const none = await api(r.method.toUpperCase(), path, { body: r.method === "get" ? undefined : {} });
      expect(none.status).toBe(401);
      const user = await api(r.method.toUpperCase(), path, { token: a.adminToken, body: r.method === "get" ? undefined : {} });
      expect(user.status).toBe(401);
      const operator = await api(r.method.toUpperCase(), path, { token: operatorToken, body: r.method === "get" ? undefined : {} });
      expect(operator.status).not.toBe(401);
    },
  );
});
