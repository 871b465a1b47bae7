import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compare, dec, div, formatCents, mul, neg, sum, ZERO } from "../primitives/money.ts";
import { MIN_HISTORY, type ReviewBoundsSettings, reviewReasons } from "./review-bounds.ts";

/** reviewReasons as written before issue 15's fourth pass: every total parsed as a decimal. */
function reviewReasonsByDecimals(totalTtc: string, recent: readonly string[], b: ReviewBoundsSettings): string[] {
  const total = dec(totalTtc);
  const reasons: string[] = [];
  if (compare(total, neg(dec(b.maxCreditTtc))) < 0) {
    reasons.push(`a credit of ${formatCents(neg(total))} € TTC, beyond the ${formatCents(dec(b.maxCreditTtc))} € review threshold`);
  }
  if (recent.length > 0 && recent.length >= (b.minHistory ?? MIN_HISTORY)) {
    const mean = div(sum(recent.map(dec)), dec(recent.length));
    if (compare(mean, ZERO) > 0 && compare(total, mul(dec(b.maxFactor), mean)) > 0) {
      reasons.push(`${formatCents(total)} € TTC is more than ${b.maxFactor} × the contract's recent average of ${formatCents(mean)} € TTC (its last ${recent.length} invoice${recent.length === 1 ? "" : "s"})`);
    }
  }
  return reasons;
}

const bounds = { maxCreditTtc: "500.00", maxFactor: "5" };

describe("review bounds (issue 13 item 8)", () => {
  it("a credit beyond the threshold is held; one at the threshold is not", () => {
    expect(reviewReasons("-500.01", [], bounds)).toEqual(["a credit of 500.01 € TTC, beyond the 500.00 € review threshold"]);
    expect(reviewReasons("-500.00", [], bounds)).toEqual([]);
  });

  it("a total more than 5 × the mean of the recent invoices is held; exactly 5 × is not", () => {
    // mean of 90.00, 110.00, 100.00 = 100.00
    expect(reviewReasons("500.01", ["90.00", "110.00", "100.00"], bounds)).toEqual([
      "500.01 € TTC is more than 5 × the contract's recent average of 100.00 € TTC (its last 3 invoices)",
    ]);
    expect(reviewReasons("500.00", ["90.00", "110.00", "100.00"], bounds)).toEqual([]);
  });

  it("no recent invoice, or a recent average not above zero: no ratio check", () => {
    expect(reviewReasons("9999.00", [], bounds)).toEqual([]);
    expect(reviewReasons("9999.00", ["-20.00", "10.00"], bounds)).toEqual([]);
  });

  it("the mean is exact (rounded only to be shown): 100.005 × 5 = 500.025 < 500.03", () => {
    expect(reviewReasons("500.02", ["100.00", "100.01"], bounds)).toEqual([]);
    expect(reviewReasons("500.03", ["100.00", "100.01"], bounds)).toEqual(["500.03 € TTC is more than 5 × the contract's recent average of 100.01 € TTC (its last 2 invoices)"]);
  });

  it("one recent invoice is no average: a first, short invoice never makes the next full month a ratio case (minHistory 2)", () => {
    const b = { maxCreditTtc: "500.00", maxFactor: "5" };
    expect(reviewReasons("117.38", ["19.46"], b)).toEqual([]);
    expect(reviewReasons("117.38", ["19.46", "19.46"], b)).toEqual([
      "117.38 € TTC is more than 5 × the contract's recent average of 19.46 € TTC (its last 2 invoices)",
    ]);
    expect(reviewReasons("117.38", ["19.46"], { ...b, minHistory: 1 })).toHaveLength(1);
  });

  it("gives the reasons the decimal computation gives, for any total, threshold and history (its shortcut on the texts)", () => {
    const cents = fc.integer({ min: -100_000, max: 100_000 }).map((c) => `${c < 0 ? "-" : ""}${Math.floor(Math.abs(c) / 100)}.${String(Math.abs(c) % 100).padStart(2, "0")}`);
    const total = fc.oneof(cents, fc.constantFrom("0.00", "-0.00", "0", "-0", "-500.00", "-500.01", "500.01"));
    const threshold = fc.oneof(cents, fc.constantFrom("0", "0.00", "-0.00", "500.00", "-1.00"));
    fc.assert(
      fc.property(total, fc.array(cents, { maxLength: 4 }), threshold, fc.constantFrom("5", "1", "0.5"), fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }), (t, recent, maxCreditTtc, maxFactor, minHistory) => {
        const b = { maxCreditTtc, maxFactor, minHistory };
        expect(reviewReasons(t, recent, b)).toEqual(reviewReasonsByDecimals(t, recent, b));
      }),
      { numRuns: 3000 },
    );
  });
});
