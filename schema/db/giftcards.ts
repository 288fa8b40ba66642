import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { GIFT_CARD_CODE_KINDS, GIFT_CARD_STATUSES, GIFT_CARD_TRANSACTION_KINDS, GIFT_CARD_TRANSACTION_STATES } from "../contracts/giftcards";
import { syncedColumns, tenantId } from "./columns";

/**
 * A gift card: money held for its bearer, in one currency. `balance` is what completed and captured transactions
 * add up to; `reserved` what open authorisations of a USE hold back. What can be spent is balance − reserved, and
 * the CHECK `gift_card_funds` keeps it from ever going below zero: a USE, an authorisation or a negative
 * adjustment is one conditional UPDATE of this row inside its batch, so when two of them race for the last money
 * the second one's UPDATE fails the CHECK and its whole batch (a sale with it) rolls back.
 */
export const giftCards = sqliteTable("gift_cards", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  currency: text("currency").notNull(),
  /** Minor units: the sum of the card's completed and captured transactions. */
  balance: integer("balance").notNull().default(0),
  /** Minor units held by open (AUTHORISED) USE transactions, as a positive amount. */
  reserved: integer("reserved").notNull().default(0),
  status: text("status", { enum: GIFT_CARD_STATUSES }).notNull().default("active"),
  customerId: text("customer_id"),
  /** The last day (YYYY-MM-DD, UTC) the card can be spent or loaded; null: no end. */
  expiresOn: text("expires_on"),
  ...syncedColumns(),
}, (t) => [
  check("gift_card_funds", sql`${t.reserved} >= 0 AND ${t.balance} >= ${t.reserved}`),
  index("gift_cards_tenant_created_idx").on(t.tenantId, t.createdAt),
  index("gift_cards_customer_idx").on(t.customerId),
]);

/**
 * The codes a card is presented by: PHYSICAL (printed on a card, optionally with a PIN, stored as a PBKDF2 hash),
 * PERSONAL (a customer's own code), EXTERNAL (a code from another system). A code is unique among the tenant's
 * live codes; a removed code keeps its row (removedAt) for the history and frees the code for reuse.
 */
export const giftCardCodes = sqliteTable("gift_card_codes", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  cardId: text("card_id").notNull().references(() => giftCards.id),
  kind: text("kind", { enum: GIFT_CARD_CODE_KINDS }).notNull(),
  /** Upper case, as typed at a till or scanned. */
  code: text("code").notNull(),
  pinHash: text("pin_hash"),
  /** A PERSONAL code's customer. */
  customerId: text("customer_id"),
  /** An EXTERNAL code's system ("webshop", "legacy-pos"). */
  source: text("source"),
  createdAt: integer("created_at").notNull(),
  removedAt: integer("removed_at"),
}, (t) => [
  uniqueIndex("gift_card_codes_tenant_code_uq").on(t.tenantId, t.code).where(sql`removed_at IS NULL`),
  index("gift_card_codes_card_idx").on(t.cardId),
]);

/**
 * The ledger of a card: every change of its money is a row here, never an edit of the balance alone. `amount` is
 * signed minor units (a USE is negative). A transaction is COMPLETED at once, or AUTHORISED and later CAPTURED
 * (for `amount`, at most `authorisedAmount`), CANCELLED, or EXPIRED (cancelled by the tenant's delay).
 */
export const giftCardTransactions = sqliteTable("gift_card_transactions", {
  id: text("id").primaryKey(),
  tenantId: tenantId(),
  cardId: text("card_id").notNull().references(() => giftCards.id),
  kind: text("kind", { enum: GIFT_CARD_TRANSACTION_KINDS }).notNull(),
  state: text("state", { enum: GIFT_CARD_TRANSACTION_STATES }).notNull(),
  /** Signed minor units: what the transaction did (or, while authorised, will do) to the balance. */
  amount: integer("amount").notNull(),
  /** What an authorisation was made for (signed like amount); null for a transaction completed at once. */
  authorisedAmount: integer("authorised_amount"),
  /** The card's balance right after this transaction moved it (written in the same batch). */
  balanceAfter: integer("balance_after"),
  reference: text("reference"),
  description: text("description"),
  storeId: text("store_id"),
  /** The sale (or return, or void) it belongs to, at a checkout, and the sale's payment it is. */
  saleId: text("sale_id"),
  paymentId: text("payment_id"),
  /** The code the card was presented by, if it was. */
  codeId: text("code_id"),
  actorType: text("actor_type", { enum: ["user", "client", "system"] }).notNull(),
  actorId: text("actor_id"),
  createdAt: integer("created_at").notNull(),
  /** When an AUTHORISED transaction is cancelled unless captured before. */
  expiresAt: integer("expires_at"),
  /** When it was captured, cancelled or expired. */
  settledAt: integer("settled_at"),
  settledBy: text("settled_by"),
}, (t) => [
  index("gift_card_transactions_card_idx").on(t.cardId, t.createdAt),
  index("gift_card_transactions_sale_idx").on(t.saleId),
  index("gift_card_transactions_due_idx").on(t.expiresAt).where(sql`state = 'AUTHORISED'`),
]);
