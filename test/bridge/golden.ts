/**
 * Golden files: a job's bytes compared byte for byte with `<name>.bin`, and its decoded listing with
 * `<name>.txt` (what the bytes mean, for a reviewer to read in a diff). A missing file fails; the files are
 * written only when asked, with UPDATE_GOLDEN=1:
 *
 *   UPDATE_GOLDEN=1 npx vitest run --project node test/bridge/escpos-golden.test.ts
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { decodeEscpos, describeEscpos } from "../fakes/escpos-decoder";

export const GOLDEN_DIR = path.join(import.meta.dirname, "golden");

/** 16 bytes a line, so that a difference shows where it is. */
const hexLines = (bytes: Uint8Array): string[] =>
  Array.from({ length: Math.ceil(bytes.length / 16) }, (_, i) =>
    `${(i * 16).toString(16).padStart(6, "0")}  ${[...bytes.subarray(i * 16, i * 16 + 16)].map((b) => b.toString(16).padStart(2, "0")).join(" ")}`,
  );

export interface GoldenOptions {
  readonly dir?: string;
  readonly update?: boolean;
}

export function expectGolden(name: string, bytes: Uint8Array, { dir = GOLDEN_DIR, update = process.env.UPDATE_GOLDEN === "1" }: GoldenOptions = {}): void {
  const bin = path.join(dir, `${name}.bin`);
  const txt = path.join(dir, `${name}.txt`);
  const listing = describeEscpos(decodeEscpos(bytes));
  if (update) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(bin, bytes);
    writeFileSync(txt, listing);
  }
  for (const file of [bin, txt]) {
    if (!existsSync(file)) {
      throw new Error(`golden file ${path.relative(process.cwd(), file)} is missing: write it with UPDATE_GOLDEN=1 npx vitest run --project node test/bridge/escpos-golden.test.ts, then review and commit it`);
    }
  }
  expect(listing, `${name}.txt: what the bytes mean`).toBe(readFileSync(txt, "utf8"));
  expect(hexLines(bytes), `${name}.bin: the bytes`).toEqual(hexLines(new Uint8Array(readFileSync(bin))));
}
