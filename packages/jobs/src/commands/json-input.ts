/** Reading a JSON input file at the edge: unreadable file or invalid JSON → a message for exit 2. */
import { readFileSync } from "node:fs";
import { type z } from "zod";
import { issuesOf } from "@billing/core";

export type JsonInput<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

export function readJsonInput<S extends z.ZodType>(path: string, schema: S, what: string): JsonInput<z.output<S>> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return { ok: false, message: `${path}: cannot read the file (${e instanceof Error ? e.message : String(e)})\n` };
  }
  let input: unknown;
  try {
    input = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    return { ok: false, message: `${path}: not valid JSON (${e instanceof Error ? e.message : String(e)})\n` };
  }
  const r = schema.safeParse(input);
  if (!r.success) {
    const issues = issuesOf(r.error);
    return { ok: false, message: `${path}: not a valid ${what} (${issues.length} problem${issues.length === 1 ? "" : "s"}, see docs/distributor.md):\n${issues.map((i) => `${i.path}: ${i.message}\n`).join("")}` };
  }
  return { ok: true, value: r.data };
}
