import { PushItem } from "../../schema/contracts/sync-push";
import type { FieldError } from "./errors";
import { withoutGiftCardPins } from "./giftcard-checkout";

/**
 * A push's records, each checked against its own schema (a malformed one is rejected alone, the others still
 * apply), and the order they are applied in: the order sent, except that a record waits for the records of the
 * same batch it depends on. A sale, cash event or close waits for the open of its session; a return for the sale
 * it returns; a void for the sale it voids; a close for every other record of its session in the batch (so a close
 * sent before its sales does not make a Z report the sales then amend). Records with no such dependency keep their
 * order, and a cycle (only a malformed batch makes one) is broken in the order sent.
 */

export type ParsedItem =
  | { index: number; raw: Record<string, unknown>; item: PushItem }
  | { index: number; raw: Record<string, unknown>; item?: undefined; fields: FieldError[] };

export function parseItems(raw: Record<string, unknown>[]): ParsedItem[] {
  return raw.map((sent, index) => {
    const r = withoutGiftCardPins(sent);
    const parsed = PushItem.safeParse(r);
    if (parsed.success) return { index, raw: r, item: parsed.data };
    return { index, raw: r, fields: parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })) };
  });
}

/** The items' positions in the order to apply them. */
export function applyOrder(items: ParsedItem[]): number[] {
  const openOf = new Map<string, number>();
  const saleOf = new Map<string, number>();
  const bySession = new Map<string, number[]>();
  items.forEach((p, i) => {
    const item = p.item;
    if (!item) return;
    if (item.type === "session_open") openOf.set(item.id, i);
    if (item.type === "sale") saleOf.set(item.id, i);
    const session = "sessionId" in item ? item.sessionId : undefined;
    if (session && item.type !== "session_close") bySession.set(session, [...(bySession.get(session) ?? []), i]);
  });
  const needs = items.map((p, self): number[] => {
    const item = p.item;
    if (!item) return [];
    const deps: (number | undefined)[] = [];
    if ("sessionId" in item) deps.push(openOf.get(item.sessionId));
    if (item.type === "sale" && item.originalSaleId) deps.push(saleOf.get(item.originalSaleId));
    if (item.type === "void") deps.push(saleOf.get(item.saleId));
    if (item.type === "session_close") deps.push(...(bySession.get(item.sessionId) ?? []));
    return deps.filter((d): d is number => d !== undefined && d !== self);
  });
  const done = new Set<number>();
  const order: number[] = [];
  const visiting = new Set<number>();
  const visit = (i: number) => {
    if (done.has(i) || visiting.has(i)) return;
    visiting.add(i);
    for (const d of needs[i]!) visit(d);
    visiting.delete(i);
    done.add(i);
    order.push(i);
  };
  for (let i = 0; i < items.length; i++) visit(i);
  return order;
}
