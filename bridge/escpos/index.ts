/**
 * ESC/POS for the store bridge: receipts and other jobs as the bytes a receipt printer takes.
 *
 *   receipt.ts    renderReceipt(model, profile): a receipt model (schema/receipt) laid out and encoded
 *   jobs.ts       drawerKick, testPage, rawJob
 *   profile.ts    PrinterProfile (columns, code page, model, logo, cut) and its JSON config form
 *   codepages.ts  text to a code page's bytes, control characters never passed on
 *   bitmap.ts     1-bit bitmaps for the logo, from PBM files
 *   job.ts        one job's bytes: escpos-buffer plus commands.ts (ESC @, GS V, GS v 0, GS k, ESC p)
 */
export { renderReceipt } from "./receipt";
export { drawerKick, rawJob, testPage, TEST_CHARACTERS, type DrawerKick } from "./jobs";
export {
  CUTS,
  DEFAULT_MODEL,
  loadPrinterProfile,
  PRINTER_MODELS,
  PrinterProfileError,
  printerProfileConfig,
  resolveProfile,
  type CutMode,
  type PrinterModel,
  type PrinterProfile,
  type PrinterProfileConfig,
  type ResolvedProfile,
} from "./profile";
export { CODE_PAGES, encodeText, printerText, type CodePage } from "./codepages";
export { bitmapFromRows, bitmapRows, parsePbm, type MonoBitmap } from "./bitmap";
