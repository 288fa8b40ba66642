import { unusableCharacter } from "../../schema/contracts/text";
import { invalid, type FieldError } from "../domain/errors";

/**
 * The first string or object key in a request's input (parsed JSON body, query or path parameters) that is not
 * usable text: a NUL or a lone surrogate. JSON.parse takes "\u0000" and "\ud800" happily, so this runs on what
 * it made. Walked with a stack of its own: a deeply nested body must not overflow the call stack.
 */
export function unusableText(input: unknown): FieldError | undefined {
  const stack: { value: unknown; path: string[] }[] = [{ value: input, path: [] }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    if (typeof value === "string") {
      const problem = unusableCharacter(value);
      if (problem) return { path: path.join("."), message: problem };
    } else if (value !== null && typeof value === "object") {
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
      for (const [key] of entries) {
        const problem = unusableCharacter(key);
        if (problem) return { path: path.join("."), message: `has a key that ${problem}` };
      }
      for (const [key, v] of entries.reverse()) stack.push({ value: v, path: [...path, key] });
    }
  }
  return undefined;
}

/** 400 INVALID_TEXT naming where in the request the unusable text is (`name`, `query.search`, `params.id`). */
export function refuseUnusableText(input: unknown, location: "params" | "query" | "body") {
  const found = unusableText(input);
  if (!found) return;
  const path = location === "body" ? found.path : [location, found.path].filter(Boolean).join(".");
  throw invalid("INVALID_TEXT", `${path || "The body"} ${found.message}`, [{ path, message: found.message }]);
}
