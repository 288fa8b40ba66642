/**
 * A receipt model (schema/receipt) as ESC/POS bytes for one printer.
 *
 * The layout for the printer's columns is schema/receipt's (layoutReceipt); amounts, dates and words come
 * from the model as they are. Here each laid-out line becomes bytes: the logo above everything, the store's name
 * centred in bold at double height, bold lines in bold, a separator as a rule of hyphens, the receipt number as
 * a CODE128 barcode above the QR code (which holds the model's `qr`, the sale's id), and the cut.
 */
import { layoutReceipt, type ReceiptModel } from "../../schema/receipt/index";
import { EscposJob } from "./job";
import type { PrinterProfile } from "./profile";

export async function renderReceipt(model: ReceiptModel, profile: PrinterProfile): Promise<Uint8Array> {
  const job = await EscposJob.start(profile);
  if (profile.logo) await job.image(profile.logo);
  const layout = layoutReceipt(model, profile.columns);
  for (const line of layout.lines) {
    switch (line.kind) {
      case "text":
        // The layout centred the title with spaces; the printer centres it itself, at double height.
        if (line.style === "title") await job.line(line.text.trim(), { bold: true, align: "center", height: 2 });
        else await job.line(line.text, { bold: line.style === "bold" });
        break;
      case "separator":
        await job.line("-".repeat(layout.width));
        break;
      case "qr":
        // A receipt number a barcode cannot hold (not printable ASCII) is printed as text only, as it is above.
        if (await job.barcode(model.receiptNumber)) await job.feed(1);
        await job.qr(line.data);
        break;
      case "cut":
        await job.cut();
        break;
    }
  }
  return job.bytes();
}
