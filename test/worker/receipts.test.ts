import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { saleFromQuote, sell, shop, type Shop } from "./checkout-fixtures";
import { api, createTenant, d1Count } from "./helpers";

/**
 * POST /api/v1/sales/print: a stored sale's receipt (the model, its layout for 42 or 32 columns, plain text),
 * made from the sale and what the database says of its store, register, cashier, tenders and original receipt.
 * The layout itself is tested line by line in test/schema/receipt-*.test.ts; here, that the right sale and
 * context reach it.
 */

const print = (s: Shop, body: Record<string, unknown>, token = s.cashier.token) => api("POST", "/api/v1/sales/print", { token, body });

/** A label and a value at either end of a line of `width` columns. */
const row = (left: string, right: string, width = 42) => left + " ".repeat(width - [...left].length - [...right].length) + right;
const NBSP = "\u00A0";

/** A coffee, two buns with 5,00 off, half a kilo of juice sold below the catalogue's price; 100 kr in cash. */
async function cafeSale(s: Shop) {
  const body = await saleFromQuote(
    s,
    [
      { productId: s.products.coffee.id, quantity: 1000 },
      { productId: s.products.bun.id, quantity: 2000, discountAmount: 500 },
      { productId: s.products.juice.id, quantity: 500, unitPrice: 2500 },
    ],
    [{ method: "CASH", amount: 10000 }],
  );
  const res = await sell(s, { ...body, soldAt: "2026-03-14T13:05:00Z" });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.data;
}

async function registerCode(s: Shop) {
  return (await env.DB.prepare("SELECT code FROM registers WHERE id = ?").bind(s.till.registerId).first<{ code: string }>())!.code;
}

describe("POST /sales/print", () => {
  it("answers a Swedish sale's receipt in one round trip: model, layout and plain text", async () => {
    const s = await shop();
    const sale = await cafeSale(s);
    expect(sale.taxes.map((t: { name: string }) => t.name.slice(0, 9))).toEqual(["Moms 25 %", "Moms 12 %"]);
    const res = await print(s, { saleId: sale.id });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(d1Count(res)).toBe(1);
    const { receipt, layout, text } = res.json.data;
    const cashier = (await api("GET", "/api/v1/auth/me", { token: s.cashier.token })).json.data.user.displayName as string;
    const code = await registerCode(s);

    // Worked out here: 34,90 at 25 % holds 6,98; 2 × 25,00 − 5,00 = 45,00 and 0,5 × 25,00 = 12,50 at 12 % hold
    // 4,82 and 1,34 (6,16 on 51,34); 92,40 in cash rounds to 92,00; 8,00 back from 100,00.
    expect(text).toBe([
      "                Main Store",
      "-".repeat(42),
      row("Kvitto", sale.receiptNumber),
      row("Datum", "2026-03-14 14:05"),
      row("Kassa", `${code} Till`),
      row("Kassör", cashier),
      "-".repeat(42),
      row("Kaffe bryggt", "34,90"),
      "Kanelbulle",
      row("  2 st x 25,00", "50,00"),
      row("  Rabatt", "-5,00"),
      "Äppeljuice",
      row("  0,500 kg x 25,00/kg", "12,50"),
      "  Ändrat pris, ord. 29,90",
      "-".repeat(42),
      row("Totalt", `92,40${NBSP}kr`),
      row("varav moms", "13,14"),
      row("Öresavrundning", "-0,40"),
      row("Att betala", `92,00${NBSP}kr`),
      row("Erhållen rabatt", "5,00"),
      "-".repeat(42),
      row("Cash", "100,00"),
      row("Växel", "8,00"),
      "-".repeat(42),
      row("Moms", "Underlag  Belopp"),
      // The test's rate names carry a suffix of their own: "Moms 25 % 5bb6".
      row(sale.taxes[0].name, "27,92    6,98"),
      row(sale.taxes[1].name, "51,34    6,16"),
      "",
    ].join("\n"));

    expect(receipt).toMatchObject({
      format: "edge-pos.receipt/1", saleId: sale.id, kind: "sale", status: "completed", currency: "SEK", locale: "sv-SE", timeZone: "Europe/Stockholm",
      receiptNumber: sale.receiptNumber, register: { code, name: "Till" }, cashier, qr: `pos:sale/${sale.id}`,
      totals: { total: { minor: 9240 }, tax: { minor: 1314 }, cashRounding: { minor: -40 }, totalDue: { minor: 9200 }, discount: { minor: 500 } },
      change: { minor: 800, text: "8,00" },
    });
    expect(layout.width).toBe(42);
    expect(layout.lines.slice(-2)).toEqual([{ kind: "qr", data: `pos:sale/${sale.id}` }, { kind: "cut" }]);
    expect(layout.lines[0]).toEqual({ kind: "text", text: "                Main Store", style: "title" });
  });

  it("marks a reprint as a copy, and only a reprint", async () => {
    const s = await shop();
    const sale = await cafeSale(s);
    const first = await print(s, { saleId: sale.id });
    const again = await print(s, { saleId: sale.id, copy: true });
    expect(first.json.data.receipt.copy).toBe(false);
    expect(again.json.data.receipt.copy).toBe(true);
    expect(again.json.data.text).toContain("KOPIA");
    expect(first.json.data.text).not.toContain("KOPIA");
  });

  it("lays it out for 32 columns", async () => {
    const s = await shop();
    const sale = await cafeSale(s);
    const res = await print(s, { saleId: sale.id, width: 32 });
    expect(res.status).toBe(200);
    const lines = (res.json.data.text as string).split("\n").slice(0, -1);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(32);
    expect(res.json.data.layout.width).toBe(32);
    expect(lines).toContain(row("Totalt", `92,40${NBSP}kr`, 32));
    expect(lines).toContain(row("  0,500 kg x 25,00/kg", "12,50", 32));
  });

  it("names a return's original receipt, and a tender as the tenant calls it", async () => {
    const s = await shop();
    await api("PUT", `/api/v1/tenders/${s.tenders.CARD}`, { token: s.t.adminToken, body: { name: "Kort" } });
    const sale = await cafeSale(s);
    const items = [{ productId: sale.lines[0].productId, quantity: -1000, unitPrice: sale.lines[0].unitPrice }];
    const body = await saleFromQuote(s, items, [{ method: "CARD", amount: 0 }]);
    const ret = await sell(s, { ...body, originalSaleId: sale.id, items: body.items.map((i: object) => ({ ...i, originalLineId: sale.lines[0].id })), payments: [{ method: "CARD", amount: body.grandTotal, reference: "1234" }] });
    expect(ret.status, JSON.stringify(ret.json)).toBe(201);
    const res = await print(s, { saleId: ret.json.data.id });
    expect(res.status).toBe(200);
    const lines = (res.json.data.text as string).split("\n");
    expect(lines).toContain("                  RETUR");
    expect(lines).toContain(row("Retur av kvitto", sale.receiptNumber));
    expect(lines).toContain(row("Kaffe bryggt", "-34,90"));
    expect(lines).toContain(row("Totalt", `-34,90${NBSP}kr`));
    expect(lines).toContain(row("Kort", "-34,90"));
    expect(lines).toContain("  Ref 1234");
    expect(res.json.data.receipt.return).toEqual({ originalSaleId: sale.id, originalReceiptNumber: sale.receiptNumber, unreferenced: false });
  });

  it("marks a voided sale, with the reason", async () => {
    const s = await shop({ permissions: ["pos.sell", "pos.void"] });
    const sale = await cafeSale(s);
    expect((await api("PUT", `/api/v1/sales/${sale.id}/void`, { token: s.cashier.token, body: { reason: "Fel vara slagen" } })).status).toBe(200);
    const res = await print(s, { saleId: sale.id });
    const lines = (res.json.data.text as string).split("\n");
    expect(lines.filter((l) => l === "                MAKULERAD")).toHaveLength(2);
    expect(lines).toContain(row("Orsak", "Fel vara slagen"));
    expect(res.json.data.receipt.void).toMatchObject({ reason: "Fel vara slagen" });
  });

  it("prints no control character that reached the database another way", async () => {
    const s = await shop();
    const sale = await cafeSale(s);
    await env.DB.prepare("UPDATE sale_lines SET product_name = ? WHERE id = ?").bind("Kaffe\u001b@\u001dV\u0000 bryggt\r\n\u202estor", sale.lines[0].id).run();
    await env.DB.prepare("UPDATE sale_payments SET reference = ? WHERE sale_id = ?").bind("12\u001bp\u000034", sale.id).run();
    const res = await print(s, { saleId: sale.id, width: 32 });
    expect(res.status).toBe(200);
    const { text, layout } = res.json.data;
    expect(text).not.toMatch(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/);
    expect(layout.lines.filter((l: { kind: string; text?: string }) => l.kind === "text" && /[\p{Cc}\p{Cf}]/u.test(l.text!))).toEqual([]);
    expect(text.split("\n")).toContain(row("Kaffe @ V bryggt stor", "34,90", 32));
    expect(text.split("\n")).toContain("  Ref 12 p 34");
  });

  it("answers 404 for a sale that is not the tenant's and 400 for a width no printer has", async () => {
    const s = await shop();
    const sale = await cafeSale(s);
    const other = await createTenant();
    const theirs = await api("POST", "/api/v1/sales/print", { token: other.adminToken, body: { saleId: sale.id } });
    expect([theirs.status, theirs.json.code]).toEqual([404, "NOT_FOUND"]);
    expect((await print(s, { saleId: crypto.randomUUID() })).status).toBe(404);
    const wide = await print(s, { saleId: sale.id, width: 40 });
    expect([wide.status, wide.json.code]).toEqual([400, "VALIDATION_ERROR"]);
    expect(wide.json.fields).toEqual([{ path: "width", message: "must be 42 or 32 (the printer's columns)" }]);
    expect((await print(s, { saleId: "R-0001" })).json.fields).toEqual([{ path: "saleId", message: "must be a UUID" }]);
    expect((await print(s, { saleId: sale.id.toUpperCase() })).status).toBe(200);
  });
});
