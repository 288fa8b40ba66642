import { createHash } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TillDirectory } from "../../bridge/tills";
import { tempDir } from "./daemon-fixtures";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
const folder = () => {
  const t = tempDir();
  cleanups.push(t.remove);
  return t.dir;
};
const till = (n: number) => ({ deviceId: `till-${n}`, registerId: `reg-${n}`, credentialSha256: createHash("sha256").update(`dvc_till-${n}`).digest("hex") });

describe("the bridge's list of the store's tills", () => {
  it("lists in quick succession: the newest is in memory at once and the one on disk (0600), whatever order the saves finish in", async () => {
    const dir = folder();
    const tills = await TillDirectory.open(dir);
    expect(tills.check("dvc_till-1")).toBeUndefined();
    const saves = [tills.replace([till(1)], 10), tills.replace([till(1), till(2)], 20), tills.replace([till(2), till(3)], 30), tills.replace([till(1)], 25)];
    expect(tills.check("dvc_till-3")).toEqual({ deviceId: "till-3", registerId: "reg-3" });
    expect(tills.check("dvc_till-1")).toBeUndefined(); // the list of 25 came after the one of 30: ignored
    await Promise.all(saves);
    const file = path.join(dir, "tills.json");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ tills: [till(2), till(3)], at: 30 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const reopened = await TillDirectory.open(dir);
    expect(reopened.size).toBe(2);
    expect(reopened.check("dvc_till-2")).toEqual({ deviceId: "till-2", registerId: "reg-2" });
  });

  it("starts empty on a file that is not a list of tills, and says so", async () => {
    const dir = folder();
    writeFileSync(path.join(dir, "tills.json"), JSON.stringify({ tills: [{ deviceId: "x" }], at: 1 }));
    const warnings: string[] = [];
    const log = { debug() {}, info() {}, warn: (m: string) => void warnings.push(m), error() {}, child() { return log; } };
    const tills = await TillDirectory.open(dir, log);
    expect(tills.size).toBe(0);
    expect(warnings).toEqual([expect.stringContaining("is not a list of tills")]);
  });
});
