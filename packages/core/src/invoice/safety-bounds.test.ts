import { describe, expect, it } from "vitest";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import { monthlyInvoice } from "./monthly-invoice.ts";
import { assertSafetyBounds } from "./safety-bounds.ts";

describe("safety bounds (STYLE 14)", () => {
  const c = exampleCase({ asOf: "2025-08-15", billing: { lastBillingDate: "2025-07-15" }, reads: [teleRead("2025-07-15", { BASE: "1000" }), teleRead("2025-08-15", { BASE: "1310" })] });
  const inv = monthlyInvoice(c, "2025-08-15", "2025-08-15");

  it("accept an invoice whose lines tile its periods", () => {
    expect(() => assertSafetyBounds(inv)).not.toThrow();
  });

  it("refuse a line billed twice", () => {
    const doubled = { ...inv, lines: [...inv.lines.slice(0, 2), ...inv.lines] };
    expect(() => assertSafetyBounds(doubled)).toThrow("invoice of K1 for 2025-08-15: subscription lines overlap at 2025-09-01");
  });

  it("refuse a day left unbilled", () => {
    const gap = { ...inv, lines: inv.lines.filter((l) => !(l.kind === "subscription" && l.periodStart === "2025-09-01")) };
    expect(() => assertSafetyBounds(gap)).toThrow("invoice of K1 for 2025-08-15: subscription lines end on 2025-09-01, not 2025-09-15");
  });
});
