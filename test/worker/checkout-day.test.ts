import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createTenant, enrolTill, insertTaxGroup, staffWithPin, tillPinLogin, type ApiResponse } from "./helpers";
import { random } from "./registers-fixtures";

/**
 * A scripted day in one shop: two registers open, 200 sales of random baskets (cash with whole-kronor rounding,
 * card, split tenders, price overrides), three returns (two of them racing for the same items), one void,
 * cash paid in, paid out and dropped, and both registers closed, one with a counted difference. The X and Z
 * reports and the stock levels must equal what this test works out on its own from the sales it sent.
 */

const ok = (res: ApiResponse, status = 200) => {
  expect(res.status, JSON.stringify(res.json).slice(0, 800)).toBe(status);
  return res.json.data;
};

interface Till { token: string; sessionId: string; registerId: string; label: string }

describe("a day in the shop", () => {
  it("closes two registers whose X and Z reports and stock equal the sales made", async () => {
    const rng = random(20261201);
    const t = await createTenant();
    const vat25 = await insertTaxGroup(t.tenantId, "Moms 25", [{ name: "Moms 25 %", millionths: 250_000 }]);
    const vat12 = await insertTaxGroup(t.tenantId, "Moms 12", [{ name: "Moms 12 %", millionths: 120_000 }]);
    const dept = async (name: string) => ok(await api("POST", "/api/v1/departments", { token: t.adminToken, body: { name } }), 201).id as string;
    const [cafe, bakery] = [await dept("Kafé"), await dept("Bageri")];
    const product = async (name: string, sellPrice: number, taxGroupId: string, departmentId: string) =>
      ok(await api("POST", "/api/v1/products", { token: t.adminToken, body: { sku: `D-${crypto.randomUUID().slice(0, 8)}`, name, sellPrice, taxGroupId, departmentId } }), 201) as { id: string; sellPrice: number; departmentId: string };
    const products = [
      await product("Kaffe bryggt", 3490, vat25, cafe),
      await product("Latte", 4590, vat25, cafe),
      await product("Kanelbulle", 2500, vat12, bakery),
      await product("Surdegsbröd", 6990, vat12, bakery),
    ];
    const rateOf = new Map([[products[0]!.id, 250_000], [products[1]!.id, 250_000], [products[2]!.id, 120_000], [products[3]!.id, 120_000]]);

    // Two tills, a cashier at each (PIN), each register opened with its float.
    const staff = await staffWithPin(t, ["pos.sell", "pos.void", "registers.open", "registers.close", "registers.view", "reports.x_report", "reports.z_report", "products.view"]);
    const tills: Till[] = [];
    for (const [label, float] of [["A", 50_000], ["B", 30_000]] as const) {
      const till = await enrolTill(t);
      const token = ok(await tillPinLogin(till.credential, staff.pin)).accessToken as string;
      const session = ok(await api("POST", "/api/v1/registers/open", { token, body: { openingFloat: float } }), 201);
      tills.push({ token, sessionId: session.id, registerId: till.registerId, label });
    }

    // What this test expects, worked out from what it sends.
    type Totals = { net: number; tax: number; sales: number; returns: number; voids: number; rounding: number; overrides: number; tenders: Map<string, number>; cashTaken: number; cashRefunded: number; change: number; taxes: Map<number, number>; departments: Map<string, number> };
    const fresh = (): Totals => ({ net: 0, tax: 0, sales: 0, returns: 0, voids: 0, rounding: 0, overrides: 0, tenders: new Map(), cashTaken: 0, cashRefunded: 0, change: 0, taxes: new Map(), departments: new Map() });
    const expected = new Map(tills.map((x) => [x.sessionId, fresh()]));
    const stock = new Map<string, number>();
    const add = <K>(m: Map<K, number>, k: K, v: number) => m.set(k, (m.get(k) ?? 0) + v);
    const count = (till: Till, sale: any, sign = 1) => {
      const e = expected.get(till.sessionId)!;
      e.net += sign * sale.totalDue;
      e.tax += sign * sale.taxTotal;
      e.rounding += sign * sale.cashRounding;
      if (sale.kind === "sale") e.sales += sign;
      else e.returns += sign;
      for (const p of sale.payments) {
        const change = p.isCash ? sale.changeGiven : 0;
        add(e.tenders, p.method, sign * (p.amount - change));
        if (p.isCash && p.amount > 0) e.cashTaken += sign * p.amount;
        if (p.isCash && p.amount < 0) e.cashRefunded += sign * -p.amount;
      }
      e.change += sign * sale.changeGiven;
      for (const line of sale.lines) {
        if (line.priceOverride) e.overrides += sign;
        add(stock, line.productId, sign * -line.quantity);
        add(e.departments, line.departmentId, sign * line.gross);
        for (const tax of line.taxes) add(e.taxes, tax.rateMillionths, sign * tax.amount);
      }
    };

    const quote = async (till: Till, items: unknown[], payments: unknown[]) => ok(await api("POST", "/api/v1/sales/quote", { token: till.token, body: { items, payments } }));
    const post = async (till: Till, body: Record<string, unknown>) => api("POST", "/api/v1/sales", { token: till.token, body: { ...body, id: body.id ?? crypto.randomUUID(), receiptNumber: body.receiptNumber ?? `${till.label}-${crypto.randomUUID().slice(0, 8)}` } });
    const bodyOf = (q: any, payments: unknown[]) => {
      const { cashTotalDue: _c, totalDue: _d, currency: _cur, pricesIncludeTax: _p, ...body } = q;
      return { ...body, payments, items: body.items.map(({ cataloguePrice: _cp, ...i }: Record<string, unknown>) => i) };
    };

    const sold: { till: Till; sale: any }[] = [];
    for (let n = 0; n < 200; n++) {
      const till = tills[n % 2]!;
      const items = Array.from({ length: 1 + rng.int(0, 3) }, () => {
        const p = rng.pick(products);
        const override = rng.next() < 0.1;
        return { productId: p.id, quantity: 1000 * (1 + rng.int(0, 2)), ...(override ? { unitPrice: p.sellPrice - 500 } : {}), ...(rng.next() < 0.1 ? { discountAmount: 100 } : {}) };
      });
      const how = rng.pick(["cash", "card", "split"] as const);
      const probe = await quote(till, items, []);
      const payments =
        how === "card" ? [{ method: "CARD", amount: probe.grandTotal }]
        : how === "cash" ? [{ method: "CASH", amount: Math.ceil(probe.cashTotalDue / 10_000) * 10_000 }]
        : [{ method: "CARD", amount: 2000 }, { method: "CASH", amount: Math.ceil((probe.grandTotal - 2000 + 50) / 100) * 100 + 5000 }];
      const priced = await quote(till, items, payments);
      const sale = ok(await post(till, bodyOf(priced, payments)), 201);
      count(till, sale);
      sold.push({ till, sale });
    }

    // Three returns on register A: one plain, and two racing for the same last items of another sale.
    const returnOf = async (till: Till, sale: any, line: any, quantity: number, method: string) => {
      const items = [{ productId: line.productId, quantity: -quantity, unitPrice: line.unitPrice, ...(line.discount ? {} : {}) }];
      const q = await quote(till, items, [{ method, amount: -1 }]);
      return { ...bodyOf(q, [{ method, amount: q.totalDue }]), originalSaleId: sale.id, items: bodyOf(q, []).items.map((i: Record<string, unknown>) => ({ ...i, originalLineId: line.id })) };
    };
    const aSales = sold.filter((s) => s.till === tills[0] && s.sale.lines.some((l: any) => !l.discount));
    const first = aSales[0]!.sale;
    const firstLine = first.lines.find((l: any) => !l.discount);
    const plain = ok(await post(tills[0]!, await returnOf(tills[0]!, first, firstLine, 1000, "CARD")), 201);
    count(tills[0]!, plain);
    const second = aSales[1]!.sale;
    const raced = second.lines.find((l: any) => !l.discount);
    const racing = await Promise.all([
      post(tills[0]!, await returnOf(tills[0]!, second, raced, raced.quantity, "CASH")),
      post(tills[0]!, await returnOf(tills[0]!, second, raced, raced.quantity, "CASH")),
    ]);
    expect(racing.filter((r) => r.status === 201)).toHaveLength(1);
    const won = racing.find((r) => r.status === 201)!.json.data;
    count(tills[0]!, won);
    const third = ok(await post(tills[0]!, await returnOf(tills[0]!, aSales[2]!.sale, aSales[2]!.sale.lines.find((l: any) => !l.discount), 1000, "CARD")), 201);
    count(tills[0]!, third);

    // One void on register B.
    const victim = sold.filter((s) => s.till === tills[1]).at(-1)!.sale;
    ok(await api("PUT", `/api/v1/sales/${victim.id}/void`, { token: tills[1]!.token, body: { reason: "Rang up twice" } }));
    count(tills[1]!, victim, -1);
    expected.get(tills[1]!.sessionId)!.voids += 1;

    // Cash in and out of register A's drawer.
    const cashEvent = (kind: string, amount: number, reason?: string) =>
      api("POST", `/api/v1/registers/${tills[0]!.sessionId}/cash-events`, { token: tills[0]!.token, body: { kind, amount, ...(reason ? { reason } : {}) } });
    ok(await cashEvent("paid_in", 10_000, "Change from the bank"), 201);
    ok(await cashEvent("paid_out", 4_500, "Milk from the shop next door"), 201);
    ok(await cashEvent("drop", 100_000), 201);

    // The X report while it runs, then the close and its Z report, for each register.
    const floats = new Map([[tills[0]!.sessionId, 50_000 + 10_000 - 4_500 - 100_000], [tills[1]!.sessionId, 30_000]]);
    for (const till of tills) {
      const e = expected.get(till.sessionId)!;
      const expectedCash = floats.get(till.sessionId)! + e.cashTaken - e.cashRefunded - e.change;
      const x = ok(await api("GET", `/api/v1/reports/x-report?session_id=${till.sessionId}`, { token: till.token }));
      const figures = (r: any) => ({
        net: r.net, tax: r.tax, sales: r.sales.count, returns: r.returns.count, voids: r.voids.count, rounding: r.cashRounding.amount, overrides: r.priceOverrides.count,
        tenders: Object.fromEntries(r.tenders.filter((x: any) => x.count > 0).map((x: any) => [x.code, x.amount])),
        taxes: Object.fromEntries(r.taxes.map((x: any) => [x.rateMillionths, x.tax])),
        departments: Object.fromEntries(r.departments.map((x: any) => [x.departmentId, x.gross])),
        cash: r.cash.expected,
      });
      const mine = {
        net: e.net, tax: e.tax, sales: e.sales, returns: e.returns, voids: e.voids, rounding: e.rounding, overrides: e.overrides,
        tenders: Object.fromEntries([...e.tenders].filter(([, v]) => v !== 0)), taxes: Object.fromEntries(e.taxes), departments: Object.fromEntries(e.departments), cash: expectedCash,
      };
      expect({ ...figures(x), tenders: Object.fromEntries(Object.entries(figures(x).tenders).filter(([, v]) => v !== 0)) }, `X of ${till.label}`).toEqual(mine);
      expect(e.net).toBe([...e.tenders.values()].reduce((a, b) => a + b, 0));

      const counted = { CASH: expectedCash - (till.label === "A" ? 500 : 0), CARD: e.tenders.get("CARD") ?? 0 };
      const closed = ok(await api("POST", "/api/v1/registers/close", { token: till.token, body: { counted } }));
      const cashLine = closed.tenders.find((x: any) => x.code === "CASH");
      expect(cashLine).toMatchObject({ expected: expectedCash, counted: counted.CASH, difference: till.label === "A" ? -500 : 0 });
      expect(closed.zReport).toMatchObject({ kind: "Z", zNumber: 1, previousGrandTotal: 0, grandTotal: e.net });
      expect({ ...figures(closed.zReport), tenders: Object.fromEntries(Object.entries(figures(closed.zReport).tenders).filter(([, v]) => v !== 0)) }, `Z of ${till.label}`).toEqual(mine);
      const z = ok(await api("GET", `/api/v1/reports/z-report?session_id=${till.sessionId}`, { token: till.token }));
      expect(z).toEqual(closed.zReport);
    }

    // Stock: every product's level is what the day's sales, returns and void moved.
    for (const p of products) {
      const row = await env.DB.prepare("SELECT quantity FROM inventory_levels WHERE store_id = ? AND product_id = ?").bind(t.storeId, p.id).first<{ quantity: number }>();
      expect(row?.quantity ?? 0, p.id).toBe(stock.get(p.id) ?? 0);
    }
    const inventory = ok(await api("GET", `/api/v1/inventory?store_id=${t.storeId}&pageSize=200`, { token: t.adminToken }));
    for (const row of inventory) expect(row.quantity).toBe(stock.get(row.productId) ?? 0);
    void rateOf;
  });
});
