/** One-line descriptions of zod issues and of unexpected values. */

import type { z } from "zod";

/** The first zod issue as one line, naming the column for tuple rows: `column 2 (open): ...`. */
export function describeIssue(error: z.ZodError, columns: readonly string[] = []): string {
  const issue = error.issues[0];
  const col = issue.path[0];
  const where = typeof col === "number" && issue.path.length === 1
    ? `column ${col + 1}${columns[col] ? ` (${columns[col]})` : ""}: `
    : issue.path.length > 0
    ? `${issue.path.join(".")}: `
    : "";
  return `${where}${issue.message.replace(/\s+/g, " ")}`;
}

/** A short description of a value's type for error messages, e.g. `"an object"`. */
export function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}
