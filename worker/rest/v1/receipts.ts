import { PrintedReceipt, PrintReceiptBody } from "../../../schema/receipt/contract";
import { saleReceipt } from "../../domain/receipts";
import { route } from "../../http/route";
import { serviceContext } from "./context";

export const receiptRoutes = [
  route({
    method: "post", path: "/sales/print", tag: "Sales", auth: "user", permission: "pos.sell",
    summary: "A sale's receipt: the receipt model, laid out for a 42- or 32-column printer, and as plain text",
    description:
      "Made from the stored sale (a return names the receipt it returns; a voided sale is marked). `receipt` is the model the tills and the " +
      "store bridge print from (amounts as minor units and as text, in the store's time zone); `layout` is its lines for the printer's " +
      "columns (text at most `width` code points, with the marks title, bold, separator, qr and cut); `text` is the layout as plain text. " +
      "Nothing from the sale reaches the text as a control character. `copy: true` marks a reprint as a copy (KOPIA).",
    body: PrintReceiptBody, response: PrintedReceipt,
    handler: (c, { body }) => saleReceipt(serviceContext(c), body.saleId, body.width, body.copy),
  }),
];
