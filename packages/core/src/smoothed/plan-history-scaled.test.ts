/**
 * R1 · CGV 6.1 (smoothed billing: a plan's instalments spread its year's estimated bill) — ruleset
 * `planHistoryScaled`, engine 0.3.3+: 12 months of reads are scaled to the plan year's days, as partial
 * history and the declared estimate are (found by the 2026-12-05 audit).
 *
 * Example contract, 6 kVA BASE, smoothed, billing day 1, starting 2025-09-15: its plan year is
 * [2025-09-15, 2026-09-01) = 351 days. Tele-reads 1000 on 2024-09-15 and 4650 on 2025-09-15: 3,650 kWh over
 * 365 days → 3,650 × 351/365 = 3,510 kWh. Priced (hand): subscription 16/30 × 12.50 = 6.67 + 11 × 12.50 =
 * 137.50; CTA 4.50 × 16/30 × 21.93 % = 0.53 + 11 × 0.99 = 10.89; energy 3,510 × 0.1770 = 621.27; excise
 * 3,510 × 0.0337 = 118.287 → 118.29; HT 895.15, VAT 20 % 179.03, TTC 1,074.18 → 11 × 89.52 + 89.46.
 */
import { describe, expect, it } from "vitest";
import { dec } from "../primitives/money.ts";
import { rulesetFor } from "../ruleset.ts";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import { instalmentPlan } from "./instalment-plan.ts";
import { dueSmoothedDocuments } from "./smoothed-billing.ts";

const offer = {
  id: "O1", name: "t", capacity: "included" as const,
  subscription: [{ from: "2020-01-01", priceOption: "BASE" as const, kva: 6, monthlyHt: "8.00" }],
  energy: [{ from: "2020-01-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1370" }],
};
const smoothed = (reads: ReturnType<typeof teleRead>[], declared?: string) =>
  exampleCase({
    asOf: "2025-09-15",
    contract: { start: "2025-09-15", billingDay: 1, billingMode: "smoothed", ...(declared ? { declaredAnnualKwh: { BASE: declared } } : {}) },
    offer, reads, billing: { lastBillingDate: null },
  });
const HISTORY = [teleRead("2024-09-15", { BASE: "1000" }), teleRead("2025-09-15", { BASE: "4650" })];

describe("R1 smoothed — a plan's 12 months of history over its year's days", () => {
  it("a plan starting mid-month (351 days): 3,650 × 351/365 = 3,510 kWh, TTC 1,074.18, as the declared 3,650 kWh gives", () => {
    const p = instalmentPlan(smoothed(HISTORY), "2025-09-15", "2025-09-15", dec(0));
    expect([p.basis, p.estimatedKwh, p.estimatedTotalTtc]).toEqual(["history", { BASE: "3510" }, "1074.18"]);
    expect([p.amountsTtc[0], p.amountsTtc[10], p.amountsTtc[11]]).toEqual(["89.52", "89.52", "89.46"]);
    const declared = instalmentPlan(smoothed([teleRead("2025-09-15", { BASE: "0" })], "3650"), "2025-09-15", "2025-09-15", dec(0));
    expect([declared.basis, declared.estimatedTotalTtc]).toEqual(["declared", "1074.18"]);
  });

  it("engine 0.3.2 took the 12 months' 3,650 kWh as the 351-day year's: TTC 1,109.58, replayed as issued", () => {
    const p = instalmentPlan(smoothed(HISTORY), "2025-09-15", "2025-09-15", dec(0), {}, rulesetFor("0.3.2"));
    expect([p.estimatedKwh, p.estimatedTotalTtc]).toEqual([{ BASE: "3650" }, "1109.58"]);
  });
});

describe("R1 smoothed — a readjustment check with no read on or before the plan start", () => {
  it("declared 3,650 kWh, plan from 2025-09-01, first read 500 on 2025-11-20: the check of 2025-12-01 keeps the plan and says why; notice 4 is issued", () => {
    const c = exampleCase({
      asOf: "2025-12-01",
      contract: { start: "2025-09-01", billingDay: 1, billingMode: "smoothed", declaredAnnualKwh: { BASE: "3650" } },
      offer, reads: [teleRead("2025-11-20", { BASE: "500" })], billing: { lastBillingDate: null },
    });
    const out = dueSmoothedDocuments(c);
    if (!out.ok) throw new Error(`${out.failure.code}: ${out.failure.message}`);
    const check = out.documents.find((d) => d.kind === "readjustment");
    expect(check).toMatchObject({ applied: false });
    expect((check as unknown as { reason: string }).reason).toContain("no read of register BASE on or before the plan start 2025-09-01");
    expect(out.documents.filter((d) => d.kind === "instalmentNotice")).toHaveLength(4);
  });
});
