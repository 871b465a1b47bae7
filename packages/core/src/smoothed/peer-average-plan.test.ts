/**
 * R1 · CGV 6.1 with R2 3.3: a smoothed plan without history takes the peer average of the price option
 * before the customer's declared estimate; a month of the plan year without its own average takes the
 * same month one or two years earlier.
 */
import { describe, expect, it } from "vitest";
import { exampleCase } from "../testing/example-case.ts";
import { estimateYear, peerYearKwh } from "./instalment-plan.ts";

const year = { start: "2026-01-15", end: "2027-01-15" };
const months = (y: number, kwhPerDay: string) =>
  Array.from({ length: 12 }, (_, i) => ({ month: `${y}-${String(i + 1).padStart(2, "0")}`, register: "BASE" as const, kwhPerDay, version: "2026-01-14" }));

describe("R1 R2 smoothed plan from peer averages", () => {
  it("R2 each month of the plan year at its own average, else the same month a year earlier", () => {
    // 2025 months at 10 kWh/day; January 2026 at 12: 17 days of Jan 2026 × 12 + 334 days × 10 + 14 days of Jan 2027 (→ Jan 2026: 12).
    const c = exampleCase({ estimation: { peerAverages: [...months(2025, "10"), { month: "2026-01", register: "BASE", kwhPerDay: "12", version: "2026-01-14" }] } });
    expect(peerYearKwh(c, year)!.get("BASE")!.toString()).toBe(String(17 * 12 + 334 * 10 + 14 * 12));
  });

  it("R2 a plan without history uses the peer average before the declared estimate", () => {
    const c = exampleCase({
      contract: { declaredAnnualKwh: { BASE: "5000" } },
      estimation: { peerAverages: months(2025, "10") },
    });
    const e = estimateYear(c, year);
    expect(e.basis).toBe("peerAverage");
    expect(e.kwh.get("BASE")!.toString()).toBe("3650");
  });

  it("R2 a month missing from every year: no peer estimate, the declared one is used", () => {
    const c = exampleCase({
      contract: { declaredAnnualKwh: { BASE: "5000" } },
      estimation: { peerAverages: months(2025, "10").filter((m) => m.month !== "2025-07") },
    });
    expect(estimateYear(c, year).basis).toBe("declared");
  });
});
