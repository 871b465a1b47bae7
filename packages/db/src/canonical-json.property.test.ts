/**
 * Issue 15 item 3: canonicalJson's fast path (a value already canonical goes to the native serialiser
 * without a replacer) gives exactly the text — or the error — of the replacer that sorts every object.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, canonicalJsonSorting } from "./canonical-json.ts";

/** The text, or the error's message: what a caller sees either way. */
const outcome = (f: (v: unknown) => string, v: unknown): string => {
  try {
    return `ok:${f(v)}`;
  } catch (e) {
    return `error:${(e as Error).message}`;
  }
};

/** `v` with every plain object's keys re-inserted in sorted order (what the fast path takes). */
function sortedDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedDeep);
  if (v === null || typeof v !== "object" || Object.getPrototypeOf(v) !== Object.prototype) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) Object.defineProperty(out, k, { value: sortedDeep((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
  return out;
}

const unicodeKey = fc.string({ unit: "binary", maxLength: 6 });
const numbers = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY));
const json = fc.anything({
  key: fc.oneof(unicodeKey, fc.constantFrom("a", "b", "lines", "0", "10", "01", "", "__proto__", "toJSON")),
  values: [fc.string({ unit: "binary" }), numbers, fc.boolean(), fc.constant(null)],
  maxDepth: 4,
});
const everything = fc.anything({
  key: unicodeKey,
  withBigInt: true, withDate: true, withBoxedValues: true, withMap: true, withSet: true, withNullPrototype: true,
  withSparseArray: true, withObjectString: true, withTypedArray: true, maxDepth: 3,
});

describe("canonicalJson (fast path) = the sorting replacer", () => {
  it("on random values with unsorted keys, unicode and numbers", () => {
    fc.assert(fc.property(json, (v) => {
      expect(outcome(canonicalJson, v)).toBe(outcome(canonicalJsonSorting, v));
    }), { numRuns: 3000 });
  });

  it("on the same values with their keys already sorted (the fast path)", () => {
    fc.assert(fc.property(json, (v) => {
      const s = sortedDeep(v);
      expect(outcome(canonicalJson, s)).toBe(outcome(canonicalJsonSorting, s));
      // Key order never matters — except an own "__proto__" key, which the replacer's rebuilt object loses
      // when it has to sort (as it always did; no document has one).
      if (JSON.stringify(s)?.includes('"__proto__"') !== true) expect(outcome(canonicalJson, s)).toBe(outcome(canonicalJson, v));
    }), { numRuns: 3000 });
  });

  it("on anything (dates, bigints, boxed values, maps, null prototypes, sparse arrays, typed arrays)", () => {
    fc.assert(fc.property(everything, (v) => {
      expect(outcome(canonicalJson, v)).toBe(outcome(canonicalJsonSorting, v));
      const s = sortedDeep(v);
      expect(outcome(canonicalJson, s)).toBe(outcome(canonicalJsonSorting, s));
    }), { numRuns: 2000 });
  });

  it("on a cycle: the same error", () => {
    const a: Record<string, unknown> = { x: 1 };
    a["y"] = a;
    expect(outcome(canonicalJson, a)).toBe(outcome(canonicalJsonSorting, a));
    const deep: unknown[] = [];
    let cur = deep;
    for (let i = 0; i < 300; i++) cur.push((cur = []));
    expect(outcome(canonicalJson, { a: deep })).toBe(outcome(canonicalJsonSorting, { a: deep }));
  });

  it("objects with toJSON, getters and inherited keys", () => {
    const withToJson = { b: { toJSON: () => ({ z: 1, a: 2 }) }, a: 1 };
    expect(canonicalJson(withToJson)).toBe('{"a":1,"b":{"a":2,"z":1}}');
    expect(canonicalJson({ a: new Date(0) })).toBe(canonicalJsonSorting({ a: new Date(0) }));
    const inherited = Object.create({ z: 1 }) as Record<string, unknown>;
    inherited["a"] = { d: 1, c: 2 };
    expect(outcome(canonicalJson, inherited)).toBe(outcome(canonicalJsonSorting, inherited));
    const nullProto = Object.assign(Object.create(null) as object, { b: 1, a: 2 });
    expect(canonicalJson(nullProto)).toBe('{"a":2,"b":1}');
  });
});
