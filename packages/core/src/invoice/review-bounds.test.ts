import { describe, expect, it } from "vitest";
import { reviewReasons } from "./review-bounds.ts";

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
});
