import { z } from "zod";
import { CurrencyCode, Id, Money, SingleLineText, Timestamp, Version } from "./common";

export const GIFT_CARD_STATUSES = ["active", "blocked"] as const;
export const GIFT_CARD_CODE_KINDS = ["PHYSICAL", "PERSONAL", "EXTERNAL"] as const;
export const GIFT_CARD_TRANSACTION_KINDS = ["ADD", "ADJUST", "EXTERNAL", "IMPORT", "USE"] as const;
export const GIFT_CARD_TRANSACTION_STATES = ["COMPLETED", "AUTHORISED", "CAPTURED", "CANCELLED", "EXPIRED"] as const;
/** How long an authorisation holds unless the tenant says otherwise: 7 days. */
export const DEFAULT_GIFT_CARD_HOLD_MINUTES = 7 * 24 * 60;

/**
 * Gift cards: a card with codes, a balance and a ledger of transactions (REST /api/v1/gift-cards, GraphQL
 * giftcard*). Money in integer minor units of the card's currency. What can be spent (`available`) is the balance
 * less what open authorisations hold back.
 */

/** A code as typed or scanned: letters, digits, `-`, `_` and `.`, 4 to 64; taken in upper case. */
export const GiftCardCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{3,63}$/, "must be 4 to 64 letters, digits or . _ - (starting with a letter or digit)")
  .transform((c) => c.toUpperCase());

/** A PHYSICAL code's PIN: 4 to 12 digits (stored hashed, never answered). */
export const GiftCardPin = z.string().regex(/^\d{4,12}$/, "must be 4 to 12 digits");

/** A code presented to pay or to look a card up: the code, and the PIN when the code has one. */
export const PresentedGiftCard = z.object({
  code: GiftCardCode,
  pin: GiftCardPin.optional(),
});
export type PresentedGiftCard = z.output<typeof PresentedGiftCard>;

/** A day (YYYY-MM-DD): the card can be used through its end (UTC). */
const Day = z.iso.date();

export const NewGiftCardCode = z
  .object({
    kind: z.enum(GIFT_CARD_CODE_KINDS),
    code: GiftCardCode,
    /** PHYSICAL codes only. */
    pin: GiftCardPin.optional(),
    /** PERSONAL codes: the customer whose code it is (required). */
    customerId: Id.optional(),
    /** EXTERNAL codes: the system the code comes from. */
    source: SingleLineText(64).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.pin !== undefined && c.kind !== "PHYSICAL") ctx.addIssue({ code: "custom", path: ["pin"], message: "only a PHYSICAL code has a PIN" });
    if (c.kind === "PERSONAL" && !c.customerId) ctx.addIssue({ code: "custom", path: ["customerId"], message: "a PERSONAL code names its customer" });
    if (c.kind !== "PERSONAL" && c.customerId) ctx.addIssue({ code: "custom", path: ["customerId"], message: "only a PERSONAL code names a customer" });
    if (c.kind !== "EXTERNAL" && c.source) ctx.addIssue({ code: "custom", path: ["source"], message: "only an EXTERNAL code names its source" });
  });
export type NewGiftCardCode = z.output<typeof NewGiftCardCode>;

const distinctCodes = (codes: { code: string }[]) => new Set(codes.map((c) => c.code)).size === codes.length;

export const CreateGiftCardBody = z.object({
  /** The card's id, made by the client (a retry with the same id and body answers the first answer). */
  id: Id.optional(),
  /** The tenant's currency when left out. */
  currency: CurrencyCode.optional(),
  customerId: Id.nullish(),
  expiresOn: Day.nullish(),
  status: z.enum(GIFT_CARD_STATUSES).default("active"),
  codes: z.array(NewGiftCardCode).max(10).refine(distinctCodes, "lists a code twice").default([]),
  /** Loads the card at once: an ADD transaction of this amount (needs giftcards.add). */
  initialAmount: Money.refine((a) => a > 0, "must be positive").optional(),
  reference: SingleLineText(200).optional(),
});
export type CreateGiftCardBody = z.output<typeof CreateGiftCardBody>;

export const UpdateGiftCardBody = z.object({
  version: Version.optional(),
  status: z.enum(GIFT_CARD_STATUSES).optional(),
  customerId: Id.nullable().optional(),
  expiresOn: Day.nullable().optional(),
  /** Codes to add (a removed code, or another card's removed code, may come back). */
  addCodes: z.array(NewGiftCardCode).max(10).refine(distinctCodes, "lists a code twice").optional(),
  /** Ids of the card's codes to remove (removed before addCodes are added, so a code can be given a new PIN). */
  removeCodeIds: z.array(Id).max(10).optional(),
});
export type UpdateGiftCardBody = z.output<typeof UpdateGiftCardBody>;

export const GiftCardCodeDto = z.object({
  id: Id,
  kind: z.enum(GIFT_CARD_CODE_KINDS),
  code: z.string(),
  /** The code as receipts print it: all but its last four characters hidden. */
  maskedCode: z.string(),
  hasPin: z.boolean(),
  customerId: Id.nullable(),
  source: z.string().nullable(),
  createdAt: Timestamp,
});

export const GiftCard = z.object({
  id: Id,
  currency: z.string(),
  /** Minor units: completed and captured transactions. */
  balance: z.int(),
  /** Minor units held by open authorisations of a USE. */
  reserved: z.int(),
  /** balance − reserved: what can be spent now. */
  available: z.int(),
  status: z.enum(GIFT_CARD_STATUSES),
  customerId: Id.nullable(),
  expiresOn: z.string().nullable(),
  codes: z.array(GiftCardCodeDto),
  version: z.int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type GiftCard = z.infer<typeof GiftCard>;

export const GiftCardTransaction = z.object({
  id: Id,
  cardId: Id,
  kind: z.enum(GIFT_CARD_TRANSACTION_KINDS),
  state: z.enum(GIFT_CARD_TRANSACTION_STATES),
  /** Signed minor units (a USE is negative); for an authorisation, what it will do when captured in full. */
  amount: z.int(),
  /** What an authorisation was made for; null for a transaction completed at once. */
  authorisedAmount: z.int().nullable(),
  /** The card's balance right after this transaction moved it (null while authorised, cancelled or expired). */
  balanceAfter: z.int().nullable(),
  reference: z.string().nullable(),
  description: z.string().nullable(),
  storeId: Id.nullable(),
  saleId: Id.nullable(),
  actorType: z.enum(["user", "client", "system"]),
  actorId: z.string().nullable(),
  createdAt: Timestamp,
  expiresAt: Timestamp.nullable(),
  settledAt: Timestamp.nullable(),
});
export type GiftCardTransaction = z.infer<typeof GiftCardTransaction>;

export const GiftCardWithTransaction = z.object({ card: GiftCard, transaction: GiftCardTransaction });
export type GiftCardWithTransaction = z.infer<typeof GiftCardWithTransaction>;

const signedMinor = z.int({ error: "must be an integer amount in minor units (öre, cents)" }).min(-1_000_000_000_000).max(1_000_000_000_000);

export const GiftCardTransactionBody = z
  .object({
    /** The transaction's id, made by the client: a retry with the same id and body answers the first answer. */
    id: Id.optional(),
    kind: z.enum(GIFT_CARD_TRANSACTION_KINDS),
    /**
     * Signed minor units: ADD and IMPORT positive, USE negative, ADJUST and EXTERNAL either way (never zero).
     */
    amount: signedMinor.refine((a) => a !== 0, "must not be zero"),
    /** Authorise now, capture or cancel later (an authorised USE holds the money at once). */
    authorise: z.boolean().default(false),
    reference: SingleLineText(200).optional(),
    description: SingleLineText(500).optional(),
    /** The store it happened in: an API client's to name; a user's is the store they signed in to. */
    storeId: Id.optional(),
  })
  .superRefine((b, ctx) => {
    const wrong = (message: string) => ctx.addIssue({ code: "custom", path: ["amount"], message });
    if ((b.kind === "ADD" || b.kind === "IMPORT") && b.amount < 0) wrong(`must be positive for ${b.kind}`);
    if (b.kind === "USE" && b.amount > 0) wrong("must be negative for USE (the money leaves the card)");
  });
export type GiftCardTransactionBody = z.output<typeof GiftCardTransactionBody>;

export const CaptureBody = z.object({
  /**
   * What to capture, as a magnitude, at most what was authorised; all of it when left out. A partial capture
   * settles the authorisation: the rest of the hold is released at once, and it cannot be captured again.
   */
  amount: Money.refine((a) => a > 0, "must be positive").optional(),
});

export const GiftCardQuery = z.object({
  status: z.enum(GIFT_CARD_STATUSES).optional(),
  customerId: Id.optional(),
});

export const TransactionParams = z.object({ id: Id, transactionId: Id });

export const GiftCardSettings = z.object({
  /** Minutes an authorisation holds before it is cancelled (EXPIRED) unless captured; 7 days by default. */
  authorisationHoldMinutes: z.int(),
});
export const UpdateGiftCardSettingsBody = z.object({
  authorisationHoldMinutes: z.int().min(5, "must be at least 5 minutes").max(90 * 24 * 60, "must be at most 90 days"),
});
