import { describe, expect, it } from "vitest";
import { z } from "zod";
import committedSchema from "../../../../docs/case.schema.json" with { type: "json" };
import exampleA from "../../../../docs/examples/example-a.json" with { type: "json" };
import exampleA3 from "../../../../docs/examples/example-a3.json" with { type: "json" };
import invalidCase from "../../../../docs/examples/invalid-case.json" with { type: "json" };
import { CASE_JSON_SCHEMA_ID, caseJsonSchema, caseJsonSchemaText } from "./json-schema.ts";
import { parseCase } from "./parse.ts";
import { caseSchema } from "./schema.ts";

const issueLines = (input: unknown): string[] => {
  const r = parseCase(input);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
};

describe("case JSON Schema (docs/case.schema.json)", () => {
  it("the committed file equals the schema generated from case/schema.ts — run `pnpm schema:export` after changing the schema", () => {
    expect(committedSchema).toEqual(caseJsonSchema());
  });

  it("is draft 2020-12 with its $id, title and description", () => {
    const s = caseJsonSchema() as Record<string, unknown>;
    expect(s.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(s.$id).toBe(CASE_JSON_SCHEMA_ID);
    expect(s.$id).toBe("https://billing-engine.example/case.schema.json");
    expect(typeof s.title).toBe("string");
    expect(typeof s.description).toBe("string");
  });

  it("describes a file's input: fields with a default are optional, and the text ends with a newline", () => {
    const s = caseJsonSchema() as { required: string[] };
    expect(s.required).toEqual(["formatVersion", "asOf", "customer", "contract", "offer", "reference"]);
    expect(caseJsonSchemaText().endsWith("}\n")).toBe(true);
  });

  it("restates the representable refinements: dates, kVA values, non-empty registers", () => {
    const text = caseJsonSchemaText();
    expect(text).toContain('"format": "date"');
    expect(text).toContain('"enum": [\n            3,');
    expect(text).toContain('"minProperties": 1');
    expect(text).not.toContain("9007199254740991");
  });
});

describe("example case files (docs/examples)", () => {
  it.each([
    ["example-a.json", exampleA],
    ["example-a3.json", exampleA3],
  ])("%s is a valid case", (_name, file) => {
    expect(issueLines(file)).toEqual([]);
  });

  it.each([
    ["example-a.json", exampleA],
    ["example-a3.json", exampleA3],
  ])("%s spells out every field: parsing adds no default", (_name, file) => {
    expect(caseSchema.parse(file)).toEqual(file);
  });

  it.each([
    ["example-a.json", exampleA],
    ["example-a3.json", exampleA3],
  ])("%s also passes the exported JSON Schema", (_name, file) => {
    const fromJson = z.fromJSONSchema(committedSchema as unknown as Parameters<typeof z.fromJSONSchema>[0]);
    expect(fromJson.safeParse(file).error?.issues ?? []).toEqual([]);
  });

  it("invalid-case.json fails the exported JSON Schema on every error but the overlap, a cross-field rule only parseCase checks", () => {
    const fromJson = z.fromJSONSchema(committedSchema as unknown as Parameters<typeof z.fromJSONSchema>[0]);
    const paths = (fromJson.safeParse(invalidCase).error?.issues ?? []).map((i) => i.path.join("."));
    expect(paths).toEqual(["asOf", "contract.deliveryPoint", "contract.subscribedKva", "reads.0.registers.BASE", "reads.1.registers", "billing"]);
  });

  it("invalid-case.json is rejected with one line per deliberate error, naming the field and the reason", () => {
    expect(issueLines(invalidCase)).toEqual([
      "asOf: must be a calendar date written YYYY-MM-DD",
      "contract.deliveryPoint: must be the 14-digit PDL/PRM number",
      "contract.subscribedKva: must be one of 3, 6, 9, 12, 15, 18, 24, 30, 36 kVA",
      'offer.energy[1].from: overlaps entry 0 (from 2020-01-01 to 2025-08-01): close it with "to" first',
      "reads[0].registers.BASE: Invalid input: expected string, received number",
      "reads[1].registers: must hold at least one register",
      'billing.lastBilingDate: is not a field of the case format (misspelt?)',
    ]);
  });
});
