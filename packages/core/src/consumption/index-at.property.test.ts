/**
 * Issue 15 (h-core): `indexAtOf` — the start index of a first invoice found in one pass over the reads,
 * parsing only what it returns — equals `indexAt(indexPoints(…))`, which ranks every day's reads, sorts
 * and parses them all: the same index, basis and source, or the same NO_INDEX message. Reads out of
 * order, several on a date (equal ranks: the first wins), unknown sources, registers missing.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Case, Read } from "../case/schema.ts";
import { addDays } from "../primitives/dates.ts";
import { formatPlain } from "../primitives/money.ts";
import { type IndexAt, indexAt, indexAtOf, indexPoints } from "./meter-index.ts";

const arbRead = fc.record({
  day: fc.integer({ min: 0, max: 12 }),
  source: fc.constantFrom("teleRead", "distributorActual", "selfRead", "connectedStation", "other"),
  hp: fc.option(fc.integer({ min: 0, max: 99999 }), { nil: undefined }),
  hc: fc.option(fc.integer({ min: 0, max: 99999 }), { nil: undefined }),
  frac: fc.boolean(),
});

const outcome = (f: () => IndexAt): string => {
  try {
    const a = f();
    return `${formatPlain(a.index)}|${a.basis}|${a.source}`;
  } catch (e) {
    return `throws ${(e as Error).name}: ${(e as Error).message}`;
  }
};

describe("indexAtOf (one pass) = indexAt(indexPoints(…))", () => {
  it("on random reads, registers and dates", () => {
    fc.assert(
      fc.property(fc.array(arbRead, { maxLength: 14 }), fc.integer({ min: -1, max: 13 }), fc.constantFrom("HP", "HC"), (raw, day, register) => {
        const reads = raw.map((r) => {
          const registers: Record<string, string> = {};
          if (r.hp !== undefined) registers["HP"] = r.frac ? `${r.hp}.25` : String(r.hp);
          if (r.hc !== undefined) registers["HC"] = String(r.hc);
          return { date: addDays("2026-10-10", r.day), source: r.source, registers } as unknown as Read;
        });
        const date = addDays("2026-10-10", day);
        const c = { reads } as unknown as Case;
        expect(outcome(() => indexAtOf(reads, register, date))).toBe(outcome(() => indexAt(indexPoints(c, register), date, register)));
      }),
      { numRuns: 5000 },
    );
  });
});
