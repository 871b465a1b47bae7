/**
 * The JSON Schema of a case file (docs/case.schema.json), generated from the zod schema so the two
 * cannot drift: `pnpm schema:export` writes it, json-schema.test.ts fails when the committed file is
 * stale. It describes what a file may contain (`io: "input"`: fields with a default are optional).
 *
 * JSON Schema cannot express every zod refinement. Those that are plain value sets or patterns are
 * restated here (calendar dates as `format: "date"` plus a YYYY-MM-DD pattern, kVA as an enum, a
 * read's registers as non-empty); the cross-field ones (no overlapping dated entries, `to` after
 * `from`, end after start, lastBillingDate not before start, capacity data when passed through) are
 * checked by `parseCase` only. An editor or a third party can therefore validate the shape of a file
 * with this schema, but only `parseCase` (or `billing simulate`) says whether a case is valid.
 */
import { z } from "zod";
import { isLocalDate } from "../primitives/dates.ts";
import { CASE_FORMAT_VERSION, KVA_VALUES, caseSchema } from "./schema.ts";

export const CASE_JSON_SCHEMA_ID = "https://billing-engine.example/case.schema.json";

/** The `custom` checks (refinements) zod keeps on a schema, with the predicate each runs. */
function customChecks(schema: z.core.$ZodType): ((value: never) => unknown)[] {
  const checks = (schema._zod.def as { checks?: z.core.$ZodCheck[] }).checks ?? [];
  return checks
    .map((c) => c._zod.def as { check: string; fn?: unknown })
    .filter((d) => d.check === "custom" && typeof d.fn === "function")
    .map((d) => d.fn as (value: never) => unknown);
}

/** Runs a refinement predicate on a probe value; a predicate that cannot take it says no. */
function accepts(fn: (value: never) => unknown, value: unknown): boolean {
  try {
    return (fn as (value: unknown) => unknown)(value) === true;
  } catch {
    return false;
  }
}

/**
 * Restates the representable refinements. They are recognised by behaviour, not by name, so a
 * refinement added to schema.ts is either restated here on purpose or left to `parseCase`.
 */
function restateRefinements(ctx: { zodSchema: z.core.$ZodTypes; jsonSchema: z.core.JSONSchema.BaseSchema }): void {
  const { zodSchema, jsonSchema } = ctx;
  const fns = customChecks(zodSchema);
  if (fns.length === 0) return;
  const type = zodSchema._zod.def.type;
  if (type === "string" && fns.includes(isLocalDate)) {
    jsonSchema.format = "date";
    jsonSchema.pattern = "^\\d{4}-\\d{2}-\\d{2}$";
    return;
  }
  if (type === "number") {
    // A predicate that accepts exactly the subscribed powers among 0..40 is the kVA refinement.
    const accepted = Array.from({ length: 41 }, (_, n) => n).filter((n) => fns.every((fn) => accepts(fn, n)));
    if (accepted.join(",") === KVA_VALUES.join(",")) {
      delete jsonSchema.minimum;
      delete jsonSchema.maximum;
      jsonSchema.enum = [...KVA_VALUES];
    }
    return;
  }
  if (type === "record" && fns.some((fn) => !accepts(fn, {}) && accepts(fn, { BASE: "0" }))) {
    jsonSchema.minProperties = 1;
  }
}

/** Integers are JSON numbers with no fraction; the safe-integer bounds zod adds are noise in a file format. */
function dropSafeIntegerBounds(json: z.core.JSONSchema.BaseSchema): void {
  if (json.type !== "integer") return;
  if (json.minimum === Number.MIN_SAFE_INTEGER) delete json.minimum;
  if (json.maximum === Number.MAX_SAFE_INTEGER) delete json.maximum;
}

/**
 * The JSON Schema (draft 2020-12) of a case file, format version {@link CASE_FORMAT_VERSION}.
 * Pure and deterministic: the same schema.ts gives the same object, key order included.
 */
export function caseJsonSchema(): object {
  const generated = z.toJSONSchema(caseSchema, {
    io: "input",
    target: "draft-2020-12",
    // Refinements are checks, not types: zod leaves them out rather than failing; nothing in the
    // case schema is an unrepresentable *type* (no transforms, bigints, dates), so keep "throw".
    unrepresentable: "throw",
    cycles: "throw",
    reused: "inline",
    override: (ctx) => {
      dropSafeIntegerBounds(ctx.jsonSchema);
      restateRefinements(ctx);
    },
  }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: CASE_JSON_SCHEMA_ID,
    title: `Billing engine case, format version ${CASE_FORMAT_VERSION}`,
    description:
      "Everything one contract's billing computation needs, as one JSON document: customer, contract, offer, " +
      "regulated reference data, meter reads, events and billing state. Dates are civil dates in Europe/Paris " +
      "(YYYY-MM-DD); periods are [from, to) with `to` excluded; money, rates and kWh are decimal strings. " +
      "Cross-field rules (no overlapping dated entries, `to` after `from`, …) are checked by the engine, not by " +
      "this schema. See docs/case-format.md.",
    ...rest,
  };
}

/** The exact content of docs/case.schema.json: pretty JSON, two-space indent, trailing newline. */
export function caseJsonSchemaText(): string {
  return `${JSON.stringify(caseJsonSchema(), null, 2)}\n`;
}
