/**
 * R1 · CGV 6.1 (smoothed billing), ruleset `planOnDistributorIndexes` (engine 0.3.4+): a plan's history
 * and a quarterly readjustment's consumption so far are measured on the distributor's indexes, as the
 * true-up is (true-up-distributor-indexes.test.ts) and as R2's history is. A customer's self-read or a
 * connected-station read, which nothing checks here, moves no instalment. Engine 0.3.3 documents replay
 * as issued.
 *
 * Contract of testing/example-case.ts: 6 kVA BASE, 12.50 €/month HT (TURPE fixed 4.50), CTA 21.93 % ×
 * 4.50 → 0.99 a month, kWh 0.1770, excise 33.70 €/MWh, VAT 20 % on everything (plan years after
 * 2025-08-01). Plan 2025-09-01: 1,107.01 = 11 × 92.25 + 92.26.
 */
import { describe, expect, it } from "vitest";
import type { PlanState } from "../case/schema.ts";
import { exampleCase } from "../testing/example-case.ts";
import type { InstalmentNotice, InstalmentPlan, PlanReadjustment } from "./documents.ts";
import { dueSmoothedDocuments } from "./smoothed-billing.ts";

const PLAN: PlanState = { reference: "K1/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "1107.01", amountsTtc: [...Array(11).fill("92.25"), "92.26"] };
const distributor = (date: string, index: string) => ({ date, source: "distributorActual" as const, registers: { BASE: index } });
const selfRead = (date: string, index: string) => ({ date, source: "selfRead" as const, registers: { BASE: index }, receivedOn: date });
const station = (date: string, index: string) => ({ date, source: "connectedStation" as const, registers: { BASE: index } });

const run = (asOf: string, lastBillingDate: string, reads: unknown[], engineVersion?: string) => {
  const c = exampleCase({
    asOf,
    contract: { start: "2024-09-01", billingDay: 1, billingMode: "smoothed", communicatingMeter: false },
    reads: reads as never,
    billing: { lastBillingDate, plan: PLAN },
  });
  const out = dueSmoothedDocuments(c, {}, engineVersion ? { engineVersion } : {});
  if (!out.ok) throw new Error(`${out.failure.code}: ${out.failure.message}`);
  return out.documents;
};

// The check of 2025-12-01 (before the 4th instalment). Distributor: 4,610 on 2025-09-01, 5,310 on 2025-11-13.
const CHECK_READS = [distributor("2024-09-01", "1000"), distributor("2025-09-01", "4610"), distributor("2025-11-13", "5310")];
const check = (extra: unknown[], engineVersion?: string) => run("2025-12-01", "2025-11-01", [...CHECK_READS, ...extra], engineVersion) as [PlanReadjustment, InstalmentNotice];

describe("R1 · CGV 6.1 — a readjustment measures the consumption so far on the distributor's indexes (engine 0.3.4)", () => {
  it("a self-read of 99,999 on 2025-11-28 moves nothing: 700 kWh in 73 days → 3,500 kWh, 1,079.20 € (−2.51 %), plan kept at 92.25", () => {
    // 2025-09-01 → 2025-11-13 = 73 days; 700 × 365 / 73 = 3,500 kWh. Priced as known on 2025-12-01:
    // 12 × 12.50 = 150.00; CTA 12 × 0.99 = 11.88; energy 3,500 × 0.1770 = 619.50; excise 3,500 × 0.0337 = 117.95;
    // HT 899.33; VAT 179.866 → 179.87; TTC 1,079.20. (1,079.20 − 1,107.01) / 1,107.01 = −2.51 %: within 10 %.
    for (const extra of [[], [selfRead("2025-11-28", "99999")], [station("2025-11-28", "8500")]]) {
      const [r, notice] = check(extra);
      expect(r).toMatchObject({ consumedKwh: { BASE: "700" }, measuredTo: { BASE: "2025-11-13" }, projectedKwh: { BASE: "3500" }, projectedTotalTtc: "1079.20", deviationPct: "-2.51", applied: false });
      expect(notice).toMatchObject({ instalmentNo: 4, amountTtc: "92.25" });
    }
  });

  it("engine 0.3.3: the self-read was the consumption so far — 9 instalments of 11,105.89; a station read of 8,500, of 444.11 — replayed as issued", () => {
    // Self-read: 99,999 − 4,610 = 95,389 kWh in 88 days (09-01 → 11-28); 95,389 × 365 / 88 = 395,647.556818… kWh;
    // energy × 0.1770 = 70,029.617… → 70,029.62; excise × 0.0337 = 13,333.322… → 13,333.32; HT 150 + 11.88 +
    // 70,029.62 + 13,333.32 = 83,524.82; VAT 16,704.964 → 16,704.96; TTC 100,229.78 (+8,954.1 %).
    // (100,229.78 − 3 × 92.25) / 9 = 99,953.03 / 9 = 11,105.892… → 8 × 11,105.89 and 11,105.91.
    const [r, notice] = check([selfRead("2025-11-28", "99999")], "0.3.3");
    expect(r).toMatchObject({ consumedKwh: { BASE: "95389" }, projectedTotalTtc: "100229.78", applied: true, newAmountTtc: "11105.89" });
    expect(r.amountsTtc.slice(3)).toEqual([...Array(8).fill("11105.89"), "11105.91"]);
    expect(notice).toMatchObject({ instalmentNo: 4, amountTtc: "11105.89" });
    // Station: 3,890 kWh in 88 days → 16,134.659… kWh → TTC 4,273.74; (4,273.74 − 276.75) / 9 = 444.11.
    const [s] = check([station("2025-11-28", "8500")], "0.3.3");
    expect(s).toMatchObject({ consumedKwh: { BASE: "3890" }, projectedTotalTtc: "4273.74", applied: true, newAmountTtc: "444.11" });
  });
});

// The anniversary 2026-09-01: distributor 8,000 on 2026-08-15 and 8,200 on 2026-09-20 (run on 2026-09-21).
const YEAR_READS = [distributor("2024-09-01", "1000"), distributor("2025-09-01", "4610"), distributor("2026-08-15", "8000"), distributor("2026-09-20", "8200")];
const nextPlan = (extra: unknown[], engineVersion?: string) =>
  run("2026-09-21", "2026-08-01", [...YEAR_READS, ...extra], engineVersion).find((d) => d.kind === "instalmentPlan") as InstalmentPlan;

describe("R1 · CGV 6.1 — the next plan's history on the distributor's indexes (engine 0.3.4)", () => {
  it("a self-read of 9,999 on the anniversary (which the true-up ignores) does not make the next plan: 3,558.14 kWh, 1,093.90 € = 11 × 91.16 + 91.14", () => {
    // Last distributor index on or before 2026-09-01: 8,000 on 2026-08-15; a year before, 2025-08-15, between
    // 1,000 (2024-09-01) and 4,610 (2025-09-01): 1,000 + 3,610 × 348/365 = 4,441.863…; 8,000 − 4,441.863… =
    // 1,298,720/365 = 3,558.136986… kWh over 365 days (the plan year 2026-09-01 → 2027-09-01 has 365: not scaled).
    // Energy × 0.1770 = 629.790… → 629.79; excise × 0.0337 = 119.909… → 119.91; HT 150 + 11.88 + 629.79 + 119.91 = 911.58;
    // VAT 182.316 → 182.32; TTC 1,093.90; ÷ 12 = 91.158… → 91.16 × 11 = 1,002.76, the 12th 91.14.
    for (const extra of [[], [selfRead("2026-09-01", "9999")]]) {
      const p = nextPlan(extra);
      expect(p).toMatchObject({ basis: "history", estimatedKwh: { BASE: "3558.13698630137" }, estimatedTotalTtc: "1093.90" });
      expect(p.amountsTtc).toEqual([...Array(11).fill("91.16"), "91.14"]);
    }
  });

  it("engine 0.3.3: the self-read of 9,999 was the plan's last index — 5,389 kWh, 1,556.81 € = 11 × 129.73 + 129.78 — replayed as issued", () => {
    // 9,999 − 4,610 = 5,389 kWh: energy 953.853 → 953.85; excise 181.609… → 181.61; HT 1,297.34; VAT 259.468 → 259.47;
    // TTC 1,556.81; ÷ 12 = 129.734… → 129.73 × 11 = 1,427.03, the 12th 129.78.
    const p = nextPlan([selfRead("2026-09-01", "9999")], "0.3.3");
    expect(p).toMatchObject({ estimatedKwh: { BASE: "5389" }, estimatedTotalTtc: "1556.81" });
    expect(p.amountsTtc).toEqual([...Array(11).fill("129.73"), "129.78"]);
  });
});
