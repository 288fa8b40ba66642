#!/usr/bin/env node
/**
 * Copies the API reference UI (swagger-ui-dist) into the Worker's static assets, so /docs is served by the
 * Worker itself and works offline. Run by `npm run dev`, the test config and `npm run deploy`; the copies are
 * git-ignored, the page and its init script beside them are ours.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"];
export const VENDOR_DIR = fileURLToPath(new URL("../worker/assets/docs/vendor/", import.meta.url));

const sameContent = (a, b) => existsSync(b) && readFileSync(a).equals(readFileSync(b));

/** Copies what changed (an unchanged file is left alone, so `wrangler dev` does not reload for nothing). */
export function copyDocsAssets() {
  const source = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  mkdirSync(VENDOR_DIR, { recursive: true });
  for (const file of FILES) {
    const from = path.join(source, file);
    const to = path.join(VENDOR_DIR, file);
    if (!sameContent(from, to)) copyFileSync(from, to);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) copyDocsAssets();
