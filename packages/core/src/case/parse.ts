/** Parsing a case at the edge (STYLE 10): bad input becomes a value naming each field and reason. */
import type { z } from "zod";
import { type Case, caseSchema } from "./schema.ts";

export interface CaseIssue {
  /** Dotted path to the offending field, e.g. "reads[3].registers.HP". */
  readonly path: string;
  readonly message: string;
}

export type ParseResult = { readonly ok: true; readonly value: Case } | { readonly ok: false; readonly issues: readonly CaseIssue[] };

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out === "" ? "(root)" : out;
}

export function issuesOf(error: z.ZodError): CaseIssue[] {
  return error.issues.flatMap((i) =>
    // An unknown key is reported on its parent by zod; name the key itself, one issue per key.
    i.code === "unrecognized_keys"
      ? i.keys.map((k) => ({ path: formatPath([...i.path, k]), message: "is not a field of the case format (misspelt?)" }))
      : [{ path: formatPath(i.path), message: i.message }],
  );
}

/** Validates an untrusted value (a parsed JSON file, a request body) as a case. */
export function parseCase(input: unknown): ParseResult {
  const r = caseSchema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: issuesOf(r.error) };
}
