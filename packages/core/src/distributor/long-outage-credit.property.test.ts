import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { housingProgrammeDeposit } from "../connection/housing-programme-deposit.ts";
import { completeSlices, MAX_SLICES } from "./long-outage-credit.ts";

describe("R9 long-outage slices (property)", () => {
  it("R9: slices never exceed 40, are 0 up to 5 h 00 included, never decrease with the duration, and one more slice needs 5 more hours", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20000 }), fc.integer({ min: 0, max: 20000 }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(completeSlices(lo)).toBeLessThanOrEqual(completeSlices(hi));
        expect(completeSlices(hi)).toBeLessThanOrEqual(MAX_SLICES);
        if (lo <= 300) expect(completeSlices(lo)).toBe(0);
        if (lo > 300 && lo + 300 <= 12000) expect(completeSlices(lo + 300)).toBe(completeSlices(lo) + 1);
      }),
    );
  });
});

describe("R11 housing-programme deposit (property)", () => {
  it("R11: the deposit is never negative, and deposit − carried excess = formula − MA", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50_000_000 }), fc.integer({ min: 0, max: 10_000_000 }), (cents, paidCents) => {
        const c = (cents / 100).toFixed(2);
        const ma = (paidCents / 100).toFixed(2);
        const d = housingProgrammeDeposit(c, ma);
        expect(d.deposit.startsWith("-")).toBe(false);
        expect(d.carriedToFinalInvoice.startsWith("-")).toBe(false);
        // integer cents arithmetic on the formatted strings (test oracle only)
        const toCents = (s: string) => Math.round(Number(s) * 100);
        expect(toCents(d.deposit) - toCents(d.carriedToFinalInvoice)).toBe(toCents(d.formula) - paidCents);
      }),
    );
  });
});
