import { availableParallelism } from "node:os";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { copyDocsAssets } from "./scripts/docs-assets.mjs";
import { TEST_SECRETS } from "./test/fixtures/secrets.mjs";

export default defineConfig(async () => {
  copyDocsAssets(); // the /docs UI's vendor files, which the Worker serves as static assets
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    test: {
      // Vitest's default (one fewer than the cores) is one worker on a 2-core machine, and a Workers test file spends
      // most of its first seconds starting its own workerd: two at a time overlap those starts (measured: the Worker
      // files take 290 s instead of 450 s on 2 cores).
      maxWorkers: Math.max(2, availableParallelism() - 1),
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: { bindings: { ...TEST_SECRETS, TEST_MIGRATIONS: migrations } },
            }),
          ],
          test: {
            name: "worker",
            include: ["test/worker/**/*.test.ts"],
            setupFiles: ["test/worker/setup.ts"],
            // Generous: PBKDF2 sign-ins are CPU-bound, and CI machines are small and shared.
            testTimeout: 30_000,
          },
        },
        {
          test: {
            name: "node",
            environment: "node",
            include: ["test/schema/**/*.test.ts", "test/bridge/**/*.test.ts", "test/node/**/*.test.ts"],
          },
        },
      ],
    },
  };
});
