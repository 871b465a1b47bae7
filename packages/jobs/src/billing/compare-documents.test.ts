/**
 * Issue 15: compareDocuments tells a document equal to its replay by one walk that builds nothing
 * (sameValues) before listing differences field by field; it must list exactly what the field-by-field
 * walk lists, for any pair of values — documents equal, differing in one field, a line more or less,
 * lines out of order, values no document holds (undefined, NaN, dates, boxed values) — its lines an array of
 * objects, as a document's are typed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Invoice } from "@billing/core";
import { compareDocuments, listDifferences } from "./replay.ts";

const value = fc.anything({
  key: fc.constantFrom("a", "b", "amount", "inputs", "kind", "rule", "0", ""),
  values: [fc.string({ maxLength: 4 }), fc.integer({ min: -2, max: 2 }), fc.constantFrom(0, -0, Number.NaN, 1.5), fc.boolean(), fc.constant(null), fc.constant(undefined)],
  maxDepth: 2,
  withDate: true,
  withBoxedValues: true,
  withNullPrototype: true,
  withSparseArray: true,
});
const line = fc.record({ lineNo: fc.integer({ min: 1, max: 4 }), kind: fc.constantFrom("energy", "cta"), amount: fc.constantFrom("1.00", "2.00"), inputs: fc.dictionary(fc.constantFrom("kwh", "days"), fc.constantFrom("1", "2")), other: value }, { requiredKeys: ["lineNo", "kind"] });
const doc = fc.record({ kind: fc.constantFrom("monthlyInvoice", "trueUpInvoice"), totalTtc: fc.constantFrom("1.00", "1.01"), vat: fc.array(value, { maxLength: 2 }), lines: fc.array(line, { maxLength: 4 }), trueUp: value }, { requiredKeys: ["kind", "lines"] });

/** The differences, or the error's message (canonicalJson refuses some values no document holds). */
function outcome(f: (a: Invoice, b: Invoice) => unknown, a: unknown, b: unknown): unknown {
  try {
    return f(a as Invoice, b as Invoice);
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

/** A copy of `v` (plain objects and arrays copied, anything else shared). */
function copy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copy);
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]));
  return v;
}

/** `d` with one change: a field set, removed or added, a line dropped, two lines swapped. */
const changed = (d: Record<string, unknown>) =>
  fc.tuple(fc.nat(), fc.nat(), value, fc.constantFrom("set", "remove", "add", "dropLine", "swapLines", "setInLine")).map(([i, j, v, how]) => {
    const out = copy(d) as Record<string, unknown> & { lines: Record<string, unknown>[] };
    // Lines stay an array of objects (what a document is typed to hold: the field-by-field walk reads each line's lineNo).
    const keys = Object.keys(out).filter((x) => x !== "lines");
    const k = keys[i % keys.length]!;
    if (how === "set") out[k] = v;
    else if (how === "remove") delete out[k];
    else if (how === "add") out["extra"] = v;
    else if (out.lines.length > 0) {
      const a = i % out.lines.length, b = j % out.lines.length;
      if (how === "dropLine") out.lines.splice(a, 1);
      else if (how === "swapLines") [out.lines[a], out.lines[b]] = [out.lines[b]!, out.lines[a]!];
      else out.lines[a]!["amount"] = v;
    }
    return out;
  });

const pair = fc.oneof(
  fc.tuple(doc, doc),
  doc.map((d) => [d, copy(d)] as const),
  doc.chain((d) => changed(d).map((e) => [d, e] as const)),
);

describe("compareDocuments", () => {
  it("leaves the verdict to the field-by-field walk where the first walk cannot serialise a value (CI's counterexample)", () => {
    // Two lines numbered 4 on the replay: by index, `[]` meets `{ "0": null }` (canonicalJson refuses the key);
    // by lineNo, the stored line meets the replay's last line 4, which has no `other`: one difference, no error.
    const stored = { kind: "trueUpInvoice", lines: [{ lineNo: 4, kind: "energy", other: [] }] };
    const recomputed = { kind: "trueUpInvoice", lines: [{ lineNo: 4, kind: "energy", other: { "0": null } }, { lineNo: 4, kind: "energy" }] };
    expect(compareDocuments(stored as unknown as Invoice, recomputed as unknown as Invoice)).toEqual([{ path: "lines[3].other", stored: [], recomputed: undefined }]);
  });

  it("lists exactly what the field-by-field walk lists, for any two values (issue 15)", () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        expect(outcome(compareDocuments, a, b)).toEqual(outcome(listDifferences, a, b));
      }),
      { numRuns: 3000 },
    );
  });
});
