/** Parsing a case at the edge (STYLE 10): bad input becomes a value naming each field and reason. */
import type { z } from "zod";
import { type Case, caseSchema, caseWithParsedPartsSchema, offerSchema, referenceSchema } from "./schema.ts";

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

/** A shared part of a case — its offer or its reference data — parsed on its own (it is the same for many cases). */
export type SharedPartName = "offer" | "reference";
export type ParsedSharedPart =
  | { readonly ok: true; readonly value: Case["offer"] | Case["reference"] }
  | { readonly ok: false; readonly issues: readonly CaseIssue[] };

/** Validates one shared part; issues are named from the case's root (`reference.excise[2].eurPerMwh`). */
export function parseSharedPart(name: SharedPartName, body: unknown): ParsedSharedPart {
  const r = (name === "offer" ? offerSchema : referenceSchema).safeParse(body);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, issues: issuesOf(r.error).map((i) => ({ path: i.path === "(root)" ? name : `${name}${i.path.startsWith("[") ? "" : "."}${i.path}`, message: i.message })) };
}

/**
 * {@link parseCase} of a stored case whose shared parts were parsed already ({@link parseSharedPart},
 * once per part for a whole audit): the contract part is validated and every check across fields runs,
 * with the same result as parsing the whole case.
 */
export function parseCaseWithParts(contractPart: object, offer: ParsedSharedPart, reference: ParsedSharedPart): ParseResult {
  if (!offer.ok || !reference.ok) return { ok: false, issues: [...(offer.ok ? [] : offer.issues), ...(reference.ok ? [] : reference.issues)] };
  const r = caseWithParsedPartsSchema.safeParse({ ...contractPart, offer: offer.value, reference: reference.value });
  return r.success ? { ok: true, value: r.data as Case } : { ok: false, issues: issuesOf(r.error) };
}
