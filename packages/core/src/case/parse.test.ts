/**
 * Parsing a stored case by parts (the audit parses each shared offer / reference part once for
 * thousands of invoices): the result equals parsing the whole case, values and issues alike.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseCase, parseCaseWithParts, parseSharedPart } from "./parse.ts";

const example = (name: string) => JSON.parse(readFileSync(fileURLToPath(new URL(`../../../../docs/examples/${name}`, import.meta.url)), "utf8")) as Record<string, unknown>;
const byParts = (c: Record<string, unknown>) => {
  const { offer, reference, ...contractPart } = c;
  return parseCaseWithParts(contractPart, parseSharedPart("offer", offer), parseSharedPart("reference", reference));
};

describe("a case parsed by parts equals the whole case parsed", () => {
  it.each(["example-a.json", "example-a3.json", "example-estimated.json", "example-smoothed.json"])("%s: the same value", (name) => {
    const whole = parseCase(example(name));
    expect(whole.ok).toBe(true);
    expect(byParts(example(name))).toEqual(whole);
  });

  it("a bad field of a shared part is named from the case's root, as the whole parse names it", () => {
    const c = example("example-a.json");
    const reference = c["reference"] as Record<string, unknown[]>;
    const bad = { ...c, reference: { ...reference, excise: [{ ...(reference["excise"]![0] as object), eurPerMwh: 30.85 }] } };
    const whole = parseCase(bad);
    expect(whole.ok).toBe(false);
    expect(byParts(bad)).toEqual(whole);
    if (!whole.ok) expect(whole.issues[0]!.path).toBe("reference.excise[0].eurPerMwh");
  });

  it("the checks across fields still run on the contract part (a read of a register the option does not have)", () => {
    const c = example("example-a.json");
    const reads = c["reads"] as { registers: Record<string, string> }[];
    const bad = { ...c, reads: [{ ...reads[0]!, registers: { HP: "1" } }, ...reads.slice(1)] };
    const whole = parseCase(bad);
    expect(whole.ok).toBe(false);
    expect(byParts(bad)).toEqual(whole);
  });
});
