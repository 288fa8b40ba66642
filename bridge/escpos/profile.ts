/**
 * A printer profile: what the bridge needs to know about one receipt printer to build its bytes.
 *
 *   columns         42 (80 mm paper) or 32 (58 mm), in font A (12 dots a column): the receipt's layout
 *   codePage        the character table text is sent in (codepages.ts); cp858 for Swedish and the euro
 *   model           the printer model in escpos-buffer's capability tables, which says how the model numbers
 *                   its code pages for ESC t n and how far to feed before the cut; one of the models that speak
 *                   Epson's command set (TM-T88 by default, right for most ESC/POS printers)
 *   codePageNumber  ESC t n for printers that number their tables otherwise (their manual lists them)
 *   logo            a 1-bit bitmap printed centred above the store's name, at most columns × 12 dots wide
 *   cut             "partial", "full" or "none" (a printer without a cutter, or a roll torn by hand)
 *   feedLines       lines fed before the cut, so the last line clears the cutter; the model's by default
 *
 * In the bridge's JSON config a profile names its logo by the path of a PBM file (printerProfileConfig);
 * loadPrinterProfile reads it.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Model } from "escpos-buffer";
import { z } from "zod";
import { RECEIPT_WIDTHS, type ReceiptWidth } from "../../schema/receipt/index";
import { parsePbm, type MonoBitmap } from "./bitmap";
import { CODE_PAGES, type CodePage } from "./codepages";

/** escpos-buffer's models whose command set is Epson's (their profile is its `epson` one). */
export const PRINTER_MODELS = ["TM-T88", "TM-T20", "TM-T81"] as const;
export type PrinterModel = (typeof PRINTER_MODELS)[number];
export const DEFAULT_MODEL: PrinterModel = "TM-T88";

export const CUTS = ["partial", "full", "none"] as const;
export type CutMode = (typeof CUTS)[number];

export interface PrinterProfile {
  readonly columns: ReceiptWidth;
  readonly codePage: CodePage;
  readonly model?: PrinterModel;
  readonly codePageNumber?: number;
  readonly logo?: MonoBitmap;
  readonly cut: CutMode;
  readonly feedLines?: number;
}

/** Dots a column takes in font A: a line of `columns` characters is this many times as wide. */
export const DOTS_PER_COLUMN = 12;
/** A logo, not a poster: it keeps a receipt's bytes and paper in bounds. */
export const MAX_LOGO_HEIGHT = 1024;

export class PrinterProfileError extends RangeError {
  override name = "PrinterProfileError";
}

/** What escpos-buffer knows of the profile's model, with the profile's choices applied. */
export interface ResolvedProfile {
  readonly profile: PrinterProfile;
  readonly model: PrinterModel;
  /** The code page's ESC t n. */
  readonly codePageNumber: number;
  readonly feedLines: number;
  /** The paper's printable width in dots for the profile's columns. */
  readonly dots: number;
}

const ESC_T = /^\x1bt([\s\S])$/;

/** Checks a profile and works out what its model implies; a profile that cannot print throws a PrinterProfileError. */
export function resolveProfile(profile: PrinterProfile): ResolvedProfile {
  const fail = (message: string): never => {
    throw new PrinterProfileError(`printer profile: ${message}`);
  };
  if (!RECEIPT_WIDTHS.includes(profile.columns)) fail(`columns is ${RECEIPT_WIDTHS.join(" or ")}, not ${String(profile.columns)}`);
  if (!CODE_PAGES.includes(profile.codePage)) fail(`code page "${String(profile.codePage)}" is not one of ${CODE_PAGES.join(", ")}`);
  if (!CUTS.includes(profile.cut)) fail(`cut is ${CUTS.join(", ")}, not "${String(profile.cut)}"`);
  const model = profile.model ?? DEFAULT_MODEL;
  if (!PRINTER_MODELS.includes(model)) fail(`model "${String(model)}" is not one of ${PRINTER_MODELS.join(", ")}`);
  const capability = Model.EXPAND(Model.FIND(model));

  let codePageNumber = profile.codePageNumber;
  if (codePageNumber === undefined) {
    const command = capability.codepages.find((c) => c.code === profile.codePage)?.command;
    const n = command?.match(ESC_T)?.[1];
    if (n === undefined) fail(`the ${model} has no code page ${profile.codePage} in escpos-buffer's tables: give its ESC t number as codePageNumber`);
    codePageNumber = n!.charCodeAt(0);
  }
  if (!Number.isInteger(codePageNumber) || codePageNumber < 0 || codePageNumber > 255) fail(`codePageNumber is 0 to 255, not ${codePageNumber}`);

  const feedLines = profile.feedLines ?? capability.feed ?? 3;
  if (!Number.isInteger(feedLines) || feedLines < 0 || feedLines > 255) fail(`feedLines is 0 to 255, not ${feedLines}`);

  const dots = profile.columns * DOTS_PER_COLUMN;
  const logo = profile.logo;
  if (logo && (logo.width > dots || logo.height > MAX_LOGO_HEIGHT)) {
    fail(`the logo is ${logo.width} × ${logo.height} dots; ${profile.columns} columns print at most ${dots} × ${MAX_LOGO_HEIGHT}`);
  }
  return { profile, model, codePageNumber, feedLines, dots };
}

/** A printer profile as the bridge's JSON config writes it: the logo is the path of a PBM file. */
export const printerProfileConfig = z
  .object({
    columns: z.union([z.literal(42), z.literal(32)]),
    codePage: z.enum(CODE_PAGES),
    model: z.enum(PRINTER_MODELS).optional(),
    codePageNumber: z.number().int().min(0).max(255).optional(),
    logo: z.string().min(1).optional(),
    cut: z.enum(CUTS),
    feedLines: z.number().int().min(0).max(255).optional(),
  })
  .strict();
export type PrinterProfileConfig = z.infer<typeof printerProfileConfig>;

/** A profile from the config (a logo's path taken from `baseDir`, the config file's folder), checked. */
export async function loadPrinterProfile(config: PrinterProfileConfig, baseDir: string): Promise<PrinterProfile> {
  const { logo, ...rest } = printerProfileConfig.parse(config);
  const profile: PrinterProfile = logo === undefined ? rest : { ...rest, logo: parsePbm(await readFile(path.resolve(baseDir, logo))) };
  resolveProfile(profile);
  return profile;
}
