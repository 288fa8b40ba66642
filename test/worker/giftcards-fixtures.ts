import { env } from "cloudflare:test";
import { api, type ApiResponse } from "./helpers";

/** REST calls as one caller. */
export const as = (token: string) => ({
  get: (path: string) => api("GET", `/api/v1${path}`, { token }),
  post: (path: string, body: unknown = {}, headers: Record<string, string> = {}) => api("POST", `/api/v1${path}`, { token, body, headers }),
  put: (path: string, body: unknown, headers: Record<string, string> = {}) => api("PUT", `/api/v1${path}`, { token, body, headers }),
});
export type Caller = ReturnType<typeof as>;

/** A code no other test uses. */
export const freshCode = (prefix = "GC") => `${prefix}-${crypto.randomUUID().slice(0, 8)}`.toUpperCase();

/** Create a card (201 or throw), loaded with `amount` unless 0. */
export async function newCard(caller: Caller, amount: number, extra: Record<string, unknown> = {}) {
  const res = await caller.post("/gift-cards", { codes: [{ kind: "PHYSICAL", code: freshCode() }], ...(amount ? { initialAmount: amount } : {}), ...extra });
  if (res.status !== 201) throw new Error(`gift card: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.data as { id: string; balance: number; version: number; codes: { id: string; code: string; maskedCode: string; hasPin: boolean }[] };
}

export const transact = (caller: Caller, cardId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  caller.post(`/gift-cards/${cardId}/transactions`, body, headers);

export const capture = (caller: Caller, cardId: string, txId: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  caller.post(`/gift-cards/${cardId}/transactions/${txId}/capture`, body, headers);

export const cancel = (caller: Caller, cardId: string, txId: string, headers: Record<string, string> = {}) =>
  caller.post(`/gift-cards/${cardId}/transactions/${txId}/cancel`, {}, headers);

/** The card's row and ledger as D1 has them (the ledger in commit order). */
export async function stored(cardId: string) {
  const card = await env.DB.prepare("SELECT balance, reserved, status, version FROM gift_cards WHERE id = ?").bind(cardId).first<{ balance: number; reserved: number; status: string; version: number }>();
  const { results } = await env.DB.prepare("SELECT id, kind, state, amount, authorised_amount, balance_after, sale_id, expires_at, settled_at FROM gift_card_transactions WHERE card_id = ? ORDER BY rowid").bind(cardId).all();
  const ledger = results as { id: string; kind: string; state: string; amount: number; authorised_amount: number | null; balance_after: number | null; sale_id: string | null; expires_at: number | null; settled_at: number | null }[];
  return { ...card!, ledger };
}

/** What the ledger's completed and captured rows add up to: the card's balance must always be this. */
export const ledgerBalance = (ledger: { state: string; amount: number }[]) =>
  ledger.filter((t) => t.state === "COMPLETED" || t.state === "CAPTURED").reduce((s, t) => s + t.amount, 0);

export const statuses = (responses: ApiResponse[]) => responses.map((r) => r.status).sort();
