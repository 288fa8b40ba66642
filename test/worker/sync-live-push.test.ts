import { describe, expect, it } from "vitest";
import { enrolTill } from "./helpers";
import { openRecord, push, pushShop, tillSale, wire } from "./sync-push-fixtures";
import { connectDevice, seqOf } from "./sync-ws-fixtures";

/** Records pushed by one till are written by the store's hub; the hub tells the store's other tills at once. */
describe("live socket and push", () => {
  it("a sale pushed by one till reaches the other tills of the store as a newer seq", async () => {
    const s = await pushShop();
    const other = await enrolTill(s.t);
    const socket = await connectDevice(other.credential);
    const from = socket.messages.length;
    const t0 = Date.now() - 3_600_000;
    const open = openRecord({ userId: s.cashier.id, at: t0 });
    const sale = tillSale({ sessionId: open.id, cashierId: s.cashier.id, soldAt: t0 + 60_000, receiptNumber: `T-${crypto.randomUUID().slice(0, 8)}`, lines: [{ product: s.products.coffee, quantity: 1000 }] });
    const res = await push(s.till.credential, [open, wire(sale)]);
    expect(res.json.data.results.map((r: any) => r.status)).toEqual(["applied", "applied"]);
    const seq = await seqOf("sale", sale.id);
    const told = await socket.until(`changed to the sale's seq ${seq}`, () => socket.messages.slice(from).find((m) => m.type === "changed" && m.seq >= seq));
    expect(told.seq).toBeGreaterThanOrEqual(seq);
    socket.close();
  });
});
