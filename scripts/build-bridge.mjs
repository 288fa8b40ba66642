#!/usr/bin/env node
/**
 * `npm run bridge:build [-- --out dir]`: the store bridge as one file for the shop's box, so the box needs Node and
 * the bridge's two native packages, not this repository's toolchain (wrangler, workerd, vitest, tsx).
 *
 * Writes to dist/bridge/ (or --out):
 *   edge-pos-bridge.mjs  the daemon and its commands (run, pair, check), bundled by esbuild with everything it
 *                        imports (ws, zod, escpos-buffer, schema/) except the native packages;
 *   package.json         those native packages, at this repository's versions: `npm install --omit=dev` there
 *                        fetches them (both ship prebuilt binaries: no compiler, no install scripts);
 *   edge-pos-bridge.service, 99-edge-pos.rules, README.md   the systemd unit, the udev rules and the printer
 *                        profiles' notes.
 *
 * esbuild, not tsc: one file to copy, no node_modules of pure-JS packages on the box, and the same esbuild tsx
 * already brings (a pinned devDependency at the version the lockfile holds).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { out: { type: "string", default: path.join(root, "dist/bridge") } } });
const out = path.resolve(values.out);
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));

/** Loaded at run time by the bridge (dynamic imports in bridge/devices), with their prebuilt binaries. */
const NATIVE = ["usb", "serialport"];

mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: [path.join(root, "bridge/main.ts")],
  outfile: path.join(out, "edge-pos-bridge.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: NATIVE,
  // Bundled CommonJS (escpos-buffer, ws) may call require(): give the ES module one.
  banner: { js: 'import { createRequire as __edgePosCreateRequire } from "node:module"; const require = __edgePosCreateRequire(import.meta.url);' },
  sourcemap: "linked",
  legalComments: "linked",
  logLevel: "warning",
  metafile: true,
});

writeFileSync(
  path.join(out, "package.json"),
  `${JSON.stringify({
    name: "edge-pos-bridge",
    version: pkg.version,
    private: true,
    type: "module",
    description: "Edge POS store bridge (built by npm run bridge:build)",
    engines: { node: pkg.engines.node },
    bin: { "edge-pos-bridge": "edge-pos-bridge.mjs" },
    dependencies: Object.fromEntries(NATIVE.map((name) => [name, pkg.dependencies[name]])),
    // As in this repository: serialport's binding loads its prebuilt binary without its install script.
    allowScripts: { "@serialport/bindings-cpp": false },
  }, null, 2)}\n`,
);
copyFileSync(path.join(root, "bridge/systemd/edge-pos-bridge.service"), path.join(out, "edge-pos-bridge.service"));
copyFileSync(path.join(root, "bridge/udev/99-edge-pos.rules"), path.join(out, "99-edge-pos.rules"));
copyFileSync(path.join(root, "bridge/README.md"), path.join(out, "README.md"));

const bytes = result.metafile.outputs[path.relative(process.cwd(), path.join(out, "edge-pos-bridge.mjs"))]?.bytes;
console.log(`bridge built: ${path.join(out, "edge-pos-bridge.mjs")}${bytes ? ` (${Math.round(bytes / 1024)} KiB)` : ""}; on the box, run npm install --omit=dev in that folder`);
