/**
 * Issue 15 (h-core): the safety bounds' one-pass check lets an invoice through only when the check kind
 * by kind (`assertSafetyBoundsByKind`) would: on invoices whose lines tile their periods, then mutated
 * (a line dropped, doubled, moved, swapped, given another register or kind, marked an adjustment, a levy line added), the
 * two accept the same invoices and throw the same message.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Invoice, InvoiceLine } from "./document.ts";
import { assertSafetyBounds, assertSafetyBoundsByKind } from "./safety-bounds.ts";
import { addDays } from "../primitives/dates.ts";

const DAY0 = "2026-10-20";
const day = (n: number): string => addDays(DAY0, n); // the levy starts on day 12 (2026-11-01)

const line = (kind: string, register: string | null, start: string, end: string, adjustment = false): InvoiceLine =>
  ({ kind, register, periodStart: start, periodEnd: end, inputs: adjustment ? { adjustment: "credit" } : {} }) as unknown as InvoiceLine;

function tiling(kind: string, register: string | null, start: number, end: number, cuts: number[]): InvoiceLine[] {
  const points = [start, ...cuts.filter((c) => c > start && c < end).sort((a, b) => a - b), end].filter((x, i, a) => i === 0 || x !== a[i - 1]);
  const out: InvoiceLine[] = [];
  for (let i = 0; i + 1 < points.length; i++) out.push(line(kind, register, day(points[i]!), day(points[i + 1]!)));
  return out;
}

const arbMutation = fc.record({
  op: fc.constantFrom("drop", "double", "move", "swap", "register", "kind", "adjustment", "levy", "none"),
  at: fc.nat(),
  other: fc.nat(),
  shift: fc.integer({ min: -3, max: 3 }),
  register: fc.constantFrom("BASE", "HP", "HC", null),
  kind: fc.constantFrom("subscription", "cta", "energy", "excise", "capacityLevy", "carriedCharge"),
});

describe("safety bounds, one pass = kind by kind", () => {
  it("accept and refuse the same invoices, with the same message", () => {
    fc.assert(
      fc.property(
        fc.option(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 })), { nil: null }),
        fc.option(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 })), { nil: null }),
        fc.constantFrom(["BASE"], ["HP", "HC"], ["BASE", "HP"], ["HC"]),
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 3 }),
        fc.array(arbMutation, { maxLength: 2 }),
        (subscription, energy, registers, cuts, mutations) => {
          const sp = subscription && { start: day(Math.min(...subscription)), end: day(Math.max(...subscription)) };
          const ep = energy && { start: day(Math.min(...energy)), end: day(Math.max(...energy)) };
          let lines: InvoiceLine[] = [];
          if (subscription) for (const k of ["subscription", "cta"]) lines.push(...tiling(k, null, Math.min(...subscription), Math.max(...subscription), cuts));
          if (energy) {
            const [s, e] = [Math.min(...energy), Math.max(...energy)];
            for (const r of registers) {
              lines.push(...tiling("energy", r, s, e, cuts), ...tiling("excise", r, s, e, cuts));
              if (Math.max(s, 12) < e) lines.push(...tiling("capacityLevy", r, Math.max(s, 12), e, cuts));
            }
          }
          for (const m of mutations) {
            if (lines.length === 0) break;
            const i = m.at % lines.length;
            const l = lines[i]!;
            if (m.op === "drop") lines.splice(i, 1);
            else if (m.op === "double") lines.splice(i, 0, l);
            else if (m.op === "move") lines[i] = { ...l, periodStart: addDays(l.periodStart, m.shift) };
            else if (m.op === "swap") [lines[i], lines[m.other % lines.length]] = [lines[m.other % lines.length]!, l];
            else if (m.op === "register") lines[i] = { ...l, register: m.register };
            else if (m.op === "kind") lines[i] = { ...l, kind: m.kind } as InvoiceLine;
            else if (m.op === "adjustment") lines.splice(i, 0, line(l.kind, l.register, l.periodStart, l.periodEnd, true));
            else if (m.op === "levy") lines.splice(i, 0, { ...l, kind: "capacityLevy" } as InvoiceLine);
          }
          const inv = { contractId: "K1", billingDate: DAY0, subscriptionPeriod: sp, energyPeriod: ep, lines } as unknown as Invoice;
          const outcome = (f: (i: Invoice) => void): string => {
            try {
              f(inv);
              return "ok";
            } catch (e) {
              return (e as Error).message;
            }
          };
          expect(outcome(assertSafetyBounds)).toBe(outcome(assertSafetyBoundsByKind));
        },
      ),
      { numRuns: 20000 },
    );
  });
});
