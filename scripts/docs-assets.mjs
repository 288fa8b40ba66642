#!/usr/bin/env node
/**
 * Copies the API's browser UIs into the Worker's static assets, so they are served by the Worker itself and work
 * offline: the API reference (swagger-ui-dist) at /docs and GraphiQL (its UMD build, with React 18's) at
 * /graphql. Run by `npm run dev`, the test config and `npm run deploy`; the copies are git-ignored, the pages and
 * their init scripts beside them are ours.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ASSETS_DIR = fileURLToPath(new URL("../worker/assets/", import.meta.url));
export const VENDOR_DIR = path.join(ASSETS_DIR, "docs/vendor/");
export const GRAPHIQL_VENDOR_DIR = path.join(ASSETS_DIR, "graphiql/vendor/");

/** Each package's files, by their path in the package, and their name in the assets (the same when not given). */
const COPIES = [
  { into: VENDOR_DIR, pkg: "swagger-ui-dist", files: ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"] },
  { into: GRAPHIQL_VENDOR_DIR, pkg: "graphiql", files: ["graphiql.min.js", "graphiql.min.css", ["LICENSE", "LICENSE.graphiql"]] },
  { into: GRAPHIQL_VENDOR_DIR, pkg: "react", files: [["umd/react.production.min.js", "react.production.min.js"], ["LICENSE", "LICENSE.react"]] },
  { into: GRAPHIQL_VENDOR_DIR, pkg: "react-dom", files: [["umd/react-dom.production.min.js", "react-dom.production.min.js"], ["LICENSE", "LICENSE.react-dom"]] },
];

const sameContent = (a, b) => existsSync(b) && readFileSync(a).equals(readFileSync(b));

/** Copies what changed (an unchanged file is left alone, so `wrangler dev` does not reload for nothing). */
export function copyDocsAssets() {
  const require = createRequire(import.meta.url);
  for (const { into, pkg, files } of COPIES) {
    const source = path.dirname(require.resolve(`${pkg}/package.json`));
    mkdirSync(into, { recursive: true });
    for (const file of files) {
      const [name, as] = Array.isArray(file) ? file : [file, file];
      const from = path.join(source, name);
      const to = path.join(into, as);
      if (!sameContent(from, to)) copyFileSync(from, to);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) copyDocsAssets();
