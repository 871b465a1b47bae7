import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.ts";

describe("canonicalJson", () => {
  it("sorts object keys at every depth and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: "é" } })).toBe('{"a":{"c":"é","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it("gives equal text for values that differ only in key order", () => {
    expect(canonicalJson({ x: 1, y: [null, true] })).toBe(canonicalJson({ y: [null, true], x: 1 }));
  });

  it("drops undefined properties like JSON.stringify and refuses values JSON cannot hold", () => {
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/no JSON form/);
    expect(() => canonicalJson({ a: 1n })).toThrow(/bigint/);
  });
});
