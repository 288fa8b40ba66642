/**
 * Sales for the receipt tests, written by hand in the shape of the stored `Sale` (schema/contracts/sales.ts):
 * each amount worked out on paper and checked against the money engine by receipt-examples.test.ts.
 */
import type { Sale } from "../../schema/contracts/sales";
import type { ReceiptContext } from "../../schema/receipt/index";

type Line = Sale["lines"][number];
type LineTax = Line["taxes"][number];
type Payment = Sale["payments"][number];

export const STORE_ID = "5e0d2f4c-7a51-4c1e-9a3b-0c8f7f2d1a01";
const REGISTER_ID = "5e0d2f4c-7a51-4c1e-9a3b-0c8f7f2d1a02";
const SESSION_ID = "5e0d2f4c-7a51-4c1e-9a3b-0c8f7f2d1a03";
const CASHIER_ID = "5e0d2f4c-7a51-4c1e-9a3b-0c8f7f2d1a04";

export const MOMS_12 = "aa000000-0000-4000-8000-000000000012";
export const MOMS_25 = "aa000000-0000-4000-8000-000000000025";
export const STATE_TAX = "bb000000-0000-4000-8000-000000000825";
export const CITY_TAX = "bb000000-0000-4000-8000-000000000100";

export const moms12 = (amount: number): LineTax => ({ taxRateId: MOMS_12, name: "Moms 12 %", rate: 1200, rateMillionths: 120_000, isCompound: false, sortOrder: 0, amount });
export const moms25 = (amount: number): LineTax => ({ taxRateId: MOMS_25, name: "Moms 25 %", rate: 2500, rateMillionths: 250_000, isCompound: false, sortOrder: 0, amount });
const stateTax = (amount: number): LineTax => ({ taxRateId: STATE_TAX, name: "State Tax", rate: 825, rateMillionths: 82_500, isCompound: false, sortOrder: 0, amount });
const cityTax = (amount: number): LineTax => ({ taxRateId: CITY_TAX, name: "City Tax", rate: 100, rateMillionths: 10_000, isCompound: true, sortOrder: 1, amount });

let ids = 0;
const id = (prefix: string) => `${prefix}-0000-4000-8000-${String(++ids).padStart(12, "0")}`;

export function line(l: Partial<Line> & Pick<Line, "productName" | "quantity" | "unitPrice" | "net" | "tax" | "gross" | "taxes">): Line {
  return {
    id: id("cc000000"),
    lineNo: 1,
    productId: id("dd000000"),
    sku: "SKU",
    departmentId: null,
    cataloguePrice: l.unitPrice,
    priceOverride: false,
    discount: 0,
    originalLineId: null,
    ...l,
  };
}

export const payment = (method: string, amount: number, reference: string | null = null): Payment => ({
  id: id("ee000000"),
  tenderId: id("ff000000"),
  method,
  isCash: method === "CASH",
  amount,
  reference,
});

export function sale(s: Partial<Sale> & Pick<Sale, "lines" | "payments" | "taxes" | "subtotal" | "discountTotal" | "taxTotal" | "grandTotal" | "totalDue" | "paidTotal">): Sale {
  return {
    id: "0b7c5d1e-2f3a-4b5c-8d6e-7f8091a2b3c4",
    storeId: STORE_ID,
    registerId: REGISTER_ID,
    sessionId: SESSION_ID,
    receiptNumber: "R-0042",
    kind: "sale",
    status: "completed",
    originalSaleId: null,
    unreferenced: false,
    cashierId: CASHIER_ID,
    salesRepId: null,
    customerId: null,
    currency: "SEK",
    pricesIncludeTax: true,
    taxRounding: "line",
    cashRounding: 0,
    changeGiven: 0,
    soldAt: "2026-03-14T13:05:09.000Z",
    voidedAt: null,
    voidedBy: null,
    voidReason: null,
    version: 1,
    createdAt: "2026-03-14T13:05:10.000Z",
    updatedAt: "2026-03-14T13:05:10.000Z",
    ...s,
    lines: s.lines.map((l, i) => ({ ...l, lineNo: i + 1 })),
  };
}

/**
 * A Swedish café sale, prices including moms (12 % food, 25 % the tote bag), cash rounded to whole kronor:
 *
 *   Kaffe bryggt        2 × 25,00 = 50,00   moms 12 %: 50,00 × 12/112 =   5,357 →  5,36
 *   Smörgås …           1 × 59,00 = 59,00              59,00 × 12/112 =   6,321 →  6,32
 *   Bananer     0,347 kg × 29,90 = 10,375 → 10,38      10,38 × 12/112 =   1,112 →  1,11
 *   Tygkasse Äppelträd  1 × 49,00 (catalogue 59,00)    moms 25 %: 49,00 × 25/125 = 9,80
 *   Äppeljuice          3 × 25,00 = 75,00 − 7,50 = 67,50   67,50 × 12/112 = 7,232 → 7,23
 *
 *   243,38 before the discount of 7,50: subtotal and total 235,88; moms 12 % 20,02 on 166,86, moms 25 % 9,80 on 39,20
 *   card 100,00, cash 150,00 for the rest 135,88, rounded to 136,00 (+0,12): due 236,00, change 14,00
 */
export const swedishSale = sale({
  lines: [
    line({ productName: "Kaffe bryggt", quantity: 2000, unitPrice: 2500, net: 4464, tax: 536, gross: 5000, taxes: [moms12(536)] }),
    line({ productName: "Smörgås med ost och skinka på surdegsbröd", quantity: 1000, unitPrice: 5900, net: 5268, tax: 632, gross: 5900, taxes: [moms12(632)] }),
    line({ productName: "Bananer", quantity: 347, unitPrice: 2990, net: 927, tax: 111, gross: 1038, taxes: [moms12(111)] }),
    line({ productName: "Tygkasse Äppelträd", quantity: 1000, unitPrice: 4900, cataloguePrice: 5900, priceOverride: true, net: 3920, tax: 980, gross: 4900, taxes: [moms25(980)] }),
    line({ productName: "Äppeljuice", quantity: 3000, unitPrice: 2500, discount: 750, net: 6027, tax: 723, gross: 6750, taxes: [moms12(723)] }),
  ],
  taxes: [
    { taxRateId: MOMS_12, name: "Moms 12 %", rate: 1200, rateMillionths: 120_000, isCompound: false, taxable: 16686, amount: 2002 },
    { taxRateId: MOMS_25, name: "Moms 25 %", rate: 2500, rateMillionths: 250_000, isCompound: false, taxable: 3920, amount: 980 },
  ],
  payments: [payment("CARD", 10000, "123456"), payment("CASH", 15000)],
  subtotal: 23588,
  discountTotal: 750,
  taxTotal: 2982,
  grandTotal: 23588,
  cashRounding: 12,
  totalDue: 23600,
  paidTotal: 25000,
  changeGiven: 1400,
});

export const swedishContext: ReceiptContext = {
  store: {
    name: "Demo Store",
    address: "Storgatan 1\n111 22 Stockholm",
    phone: "08-123 45 67",
    orgNumber: "556677-8899",
    vatNumber: "SE556677889901",
    timeZone: "Europe/Stockholm",
  },
  register: { code: "T01", name: "Kassa 1" },
  cashier: "Lisa Larsson",
  footer: ["Tack för besöket!"],
};

/**
 * A US sale, prices excluding tax: State Tax 8.25 %, then City Tax 1 % compound (on the price plus the state tax
 * as charged), rounded per line half away from zero:
 *
 *   Coffee            2 × 9.99 = 19.98   state 1.64835 → 1.65   city (19.98 + 1.65) × 1 % = 0.2163 → 0.22
 *   Blueberry muffin  3.49 − 0.50 = 2.99 state 0.246675 → 0.25  city (2.99 + 0.25) × 1 % = 0.0324 → 0.03
 *   House blend …     14.00 (catalogue 15.00)  state 1.155 → 1.16  city (14.00 + 1.16) × 1 % = 0.1516 → 0.15
 *
 *   37.47 before the discount of 0.50: subtotal (net) 36.97, tax 3.46 (state 3.06, city 0.40), total 40.43
 *   card 20.00, cash 30.00: change 9.57
 */
export const usSale = sale({
  id: "3f2e1d0c-b9a8-4766-8554-433221100fed",
  receiptNumber: "1001",
  currency: "USD",
  pricesIncludeTax: false,
  soldAt: "2026-07-04T15:30:00.000Z",
  lines: [
    line({ productName: "Coffee", quantity: 2000, unitPrice: 999, net: 1998, tax: 187, gross: 2185, taxes: [stateTax(165), cityTax(22)] }),
    line({ productName: "Blueberry muffin", quantity: 1000, unitPrice: 349, discount: 50, net: 299, tax: 28, gross: 327, taxes: [stateTax(25), cityTax(3)] }),
    line({ productName: "House blend ground coffee beans, 12 oz bag", quantity: 1000, unitPrice: 1400, cataloguePrice: 1500, priceOverride: true, net: 1400, tax: 131, gross: 1531, taxes: [stateTax(116), cityTax(15)] }),
  ],
  taxes: [
    { taxRateId: STATE_TAX, name: "State Tax", rate: 825, rateMillionths: 82_500, isCompound: false, taxable: 3697, amount: 306 },
    { taxRateId: CITY_TAX, name: "City Tax", rate: 100, rateMillionths: 10_000, isCompound: true, taxable: 3697, amount: 40 },
  ],
  payments: [payment("CARD", 2000, "VISA 4242 AUTH 0815"), payment("CASH", 3000)],
  subtotal: 3697,
  discountTotal: 50,
  taxTotal: 346,
  grandTotal: 4043,
  totalDue: 4043,
  paidTotal: 5000,
  changeGiven: 957,
});

export const usContext: ReceiptContext = {
  store: { name: "Corner Coffee", address: "12 Main St\nSpringfield, IL 62701", phone: "(217) 555-0100", timeZone: "America/Chicago" },
  register: { code: "R2" },
  cashier: "Sam",
  locale: "en-US",
  footer: ["Thank you!"],
};

/**
 * A return of R-0042's coffee and bananas, refunded in cash: −25,00 − 10,38 = −35,38, rounded to −35,00
 * (+0,38); moms 12 %: −2,68 − 1,11 = −3,79 on −31,59.
 */
export const swedishReturn = sale({
  id: "9a8b7c6d-5e4f-4a3b-9c2d-1e0f00112233",
  receiptNumber: "R-0043",
  kind: "return",
  originalSaleId: swedishSale.id,
  soldAt: "2026-03-15T09:12:00.000Z",
  lines: [
    line({ productName: "Kaffe bryggt", quantity: -1000, unitPrice: 2500, net: -2232, tax: -268, gross: -2500, taxes: [moms12(-268)], originalLineId: swedishSale.lines[0]!.id }),
    line({ productName: "Bananer", quantity: -347, unitPrice: 2990, net: -927, tax: -111, gross: -1038, taxes: [moms12(-111)], originalLineId: swedishSale.lines[2]!.id }),
  ],
  taxes: [{ taxRateId: MOMS_12, name: "Moms 12 %", rate: 1200, rateMillionths: 120_000, isCompound: false, taxable: -3159, amount: -379 }],
  payments: [payment("CASH", -3500)],
  subtotal: -3538,
  discountTotal: 0,
  taxTotal: -379,
  grandTotal: -3538,
  cashRounding: 38,
  totalDue: -3500,
  paidTotal: -3500,
});

/** R-0042 voided at the till four minutes later. */
export const swedishVoid: Sale = {
  ...swedishSale,
  status: "voided",
  voidedAt: "2026-03-14T13:09:30.000Z",
  voidedBy: CASHIER_ID,
  voidReason: "Fel vara slagen",
  version: 2,
};
