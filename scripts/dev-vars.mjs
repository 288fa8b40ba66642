import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** Local secrets for `wrangler dev`, generated once into .dev.vars (git-ignored). */
export function ensureDevVars(path = ".dev.vars") {
  if (!existsSync(path)) {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const vars = {
      JWT_PRIVATE_KEY: JSON.stringify(privateKey.export({ format: "jwk" })),
      PIN_LOOKUP_KEY: randomBytes(32).toString("base64url"),
      OPERATOR_SECRET: randomBytes(24).toString("base64url"),
    };
    writeFileSync(path, Object.entries(vars).map(([k, v]) => `${k}='${v}'`).join("\n") + "\n", { mode: 0o600 });
    console.log(`Generated ${path} with a fresh signing key and secrets.`);
  }
  return Object.fromEntries(
    readFileSync(path, "utf8")
      .split("\n")
      .map((line) => line.match(/^([A-Z_]+)=['"]?(.*?)['"]?$/))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  );
}
