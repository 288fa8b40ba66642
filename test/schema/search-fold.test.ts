import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { foldForSearch } from "../../schema/contracts/text";

describe("foldForSearch", () => {
  it.each([
    ["Äppeljuice", "äppeljuice"],
    ["ΚΑΦΈΣ", "καφέσ"],
    ["Καφές", "καφέσ"],
    ["КОФЕ ЧЁРНЫЙ", "кофе чёрный"],
    ["Straße", "strasse"],
    ["STRAẞE", "strasse"],
    ["İSTANBUL", "istanbul"],
    ["A\u030Apelsin", "åpelsin"],
    ["ﬁka", "fika"],
    ["ＡＢＣ", "abc"],
    ["  two   words ", "two words"],
  ])("folds %s as %s", (text, folded) => {
    expect(foldForSearch(text)).toBe(folded);
  });

  it("keeps accents: ä is not a", () => {
    expect(foldForSearch("Äpple")).not.toBe(foldForSearch("Apple"));
  });

  it("is idempotent, and the same for a letter's upper and lower case, over the Basic Multilingual Plane", () => {
    for (let c = 0; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const ch = String.fromCodePoint(c);
      const folded = foldForSearch(ch);
      expect(foldForSearch(folded), ch).toBe(folded);
      if (/\p{L}/u.test(ch)) expect(foldForSearch(ch.toUpperCase()), ch).toBe(foldForSearch(ch.toLowerCase()));
    }
  });
});

describe("the search_text backfill migration", () => {
  const dir = path.join(import.meta.dirname, "../../migrations");
  const file = readdirSync(dir).find((name) => name.endsWith("_search_text_backfill.sql"))!;
  const sql = readFileSync(path.join(dir, file), "utf8");
  /** The (letter, fold) pairs of its replace() calls. */
  const pairs = [...sql.matchAll(/, '((?:[^']|'')+)', '((?:[^']|'')*)'\)/g)]
    .map((m) => [m[1]!.replace(/''/g, "'"), m[2]!.replace(/''/g, "'")] as const);

  it("replaces each letter by its fold, as foldForSearch does after SQLite's lower()", () => {
    expect(pairs.length).toBeGreaterThan(200);
    for (const [from, to] of pairs) expect(foldForSearch(from), from).toBe(to);
  });

  it("covers every letter of Latin-1, Latin Extended-A, Greek, Cyrillic, Armenian and Vietnamese that lower() leaves unfolded", () => {
    const replaced = new Set(pairs.map(([from]) => from));
    for (const [from, to] of [[0xc0, 0x17f], [0x370, 0x3ff], [0x400, 0x4ff], [0x531, 0x587], [0x1e00, 0x1eff]] as const) {
      for (let c = from; c <= to; c++) {
        const ch = String.fromCodePoint(c);
        if (/\p{L}/u.test(ch) && foldForSearch(ch) !== ch) expect(replaced.has(ch), ch).toBe(true);
      }
    }
  });
});
