/**
 * Independent audit of the smoothed true-up's settlement (R1 · CGV 6.1) and the refund threshold
 * (R4 · CGV 6.5: a credit ≥ 25.00 € TTC, or any credit at termination, is refunded within 15 days of
 * the invoice's issue; a smaller one is deducted from the next invoice, or refunded 15 days after the
 * customer's request). Figures computed by hand from RULES.md, arithmetic in the comments.
 *
 * Contract: 6 kVA BASE, smoothed, billing day 1, subscription 12.50 €/month HT (supply 8.00 + TURPE
 * fixed part 4.50), kWh 0.1770 (supply 0.1370 + TURPE 0.04), excise 33.70 €/MWh, CTA 21.93 %, VAT 20 %
 * on everything (the plan year is after 2025-08-01). No price change in the year.
 *
 * The plan year 2025-09-01..2026-09-01 on real reads (4,610 → 8,110 = 3,500 kWh):
 *   subscription 12 × 12.50 = 150.00; CTA 12 × (4.50 × 21.93 % = 0.98685 → 0.99) = 11.88
 *   energy 3,500 × 0.1770 = 619.50; excise 3,500 × 0.0337 = 117.95
 *   HT 899.33; VAT 179.866 → 179.87; year's TTC 1,079.20.
 * The next plan (2026-09-01, history 3,500 kWh, same prices) prices the same year: 1,079.20 ÷ 12 =
 * 89.933 → 11 × 89.93 and a 12th of 89.97.
 */
import { describe, expect, it } from "vitest";
import type { PlanState } from "../case/schema.ts";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import type { Invoice } from "../invoice/document.ts";
import type { InstalmentNotice, InstalmentPlan } from "./documents.ts";
import { dueSmoothedDocuments } from "./smoothed-billing.ts";
import { refundOnRequestDueDate, settle } from "./refund-threshold.ts";
import { dec } from "../primitives/money.ts";

const READS = [teleRead("2024-09-01", { BASE: "1000" }), teleRead("2025-09-01", { BASE: "4610" }), teleRead("2026-09-01", { BASE: "8110" })];

const plan = (amountsTtc: string[], creditToDeductTtc?: string): PlanState => ({
  reference: "K1/2025-09-01",
  start: "2025-09-01",
  estimatedTotalTtc: "1079.20",
  amountsTtc,
  ...(creditToDeductTtc ? { creditToDeductTtc } : {}),
});
const amounts = (first: string, last: string) => [...Array(11).fill(first), last];

function run(over: { asOf: string; lastBillingDate: string; plan: PlanState; reads?: ReturnType<typeof teleRead>[]; end?: string; kind?: "residential" | "professional" }) {
  const c = exampleCase({
    asOf: over.asOf,
    customer: { kind: over.kind ?? "residential" },
    contract: { start: "2024-09-01", billingDay: 1, billingMode: "smoothed", ...(over.end ? { end: over.end } : {}) },
    reads: over.reads ?? READS,
    billing: { lastBillingDate: over.lastBillingDate, plan: over.plan },
  });
  const out = dueSmoothedDocuments(c);
  if (!out.ok) throw new Error(`${out.billingDate}: ${out.failure.message}`);
  return out;
}

describe("R4 · CGV 6.5 independent cases — the refund threshold on the annual true-up", () => {
  it("R4 · CGV 6.5 a credit of exactly 25.00 is refunded; a run catching up on 09-03 issues it that day, so the refund is due 09-18 (issue + 15, not billing date + 15)", () => {
    // Instalments 11 × 92.10 + 91.10 = 1,104.20; balance 1,079.20 − 1,104.20 = −25.00 → refund.
    const out = run({ asOf: "2026-09-03", lastBillingDate: "2026-08-01", plan: plan(amounts("92.10", "91.10")) });
    const [inv, next, notice] = out.documents as [Invoice, InstalmentPlan, InstalmentNotice];
    expect([inv.kind, inv.billingDate, inv.issueDate, inv.dueDate]).toEqual(["trueUpInvoice", "2026-09-01", "2026-09-03", "2026-09-18"]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["899.33", "179.87", "1079.20"]);
    expect(inv.trueUp).toMatchObject({
      instalmentsTotalTtc: "1104.20",
      balanceTtc: "-25.00",
      creditCarriedInTtc: "0.00",
      termination: false,
      settlement: { kind: "refund", amountTtc: "25.00", dueDate: "2026-09-18" },
    });
    // Refunded, so nothing is carried into the next plan.
    expect(next).toMatchObject({ estimatedTotalTtc: "1079.20", creditToDeductTtc: "0.00" });
    expect(notice).toMatchObject({ instalmentNo: 1, amountTtc: "89.93", creditDeductedTtc: "0.00", amountDueTtc: "89.93" });
  });

  it("R4 · CGV 6.5 a professional customer keeps the 25.00 threshold: 24.99 is carried to the next instalment (89.93 − 24.99 = 64.94)", () => {
    // 11 × 92.10 + 91.09 = 1,104.19; balance −24.99.
    const out = run({ asOf: "2026-09-01", lastBillingDate: "2026-08-01", plan: plan(amounts("92.10", "91.09")), kind: "professional" });
    const [inv, next, notice] = out.documents as [Invoice, InstalmentPlan, InstalmentNotice];
    expect(inv.trueUp).toMatchObject({ balanceTtc: "-24.99", settlement: { kind: "carriedForward", amountTtc: "24.99", dueDate: null } });
    expect(next.creditToDeductTtc).toBe("24.99");
    expect(notice).toMatchObject({ amountTtc: "89.93", creditDeductedTtc: "24.99", amountDueTtc: "64.94" });
  });

  it("R4 · CGV 6.5 a small credit still carried at the true-up adds to the year's credit: −20.00 − 10.00 = 30.00 ≥ 25.00 → refunded", () => {
    // 11 × 91.60 + 91.60 = 1,099.20; balance −20.00; 10.00 carried from last year not yet deducted.
    const out = run({ asOf: "2026-09-01", lastBillingDate: "2026-08-01", plan: plan(amounts("91.60", "91.60"), "10.00") });
    const [inv, next, notice] = out.documents as [Invoice, InstalmentPlan, InstalmentNotice];
    expect(inv.trueUp).toMatchObject({ balanceTtc: "-20.00", creditCarriedInTtc: "10.00", settlement: { kind: "refund", amountTtc: "30.00", dueDate: "2026-09-16" } });
    expect(next.creditToDeductTtc).toBe("0.00");
    expect(notice.creditDeductedTtc).toBe("0.00");
  });

  it("R4 · CGV 6.5 boundary with a carried credit: −15.00 − 10.00 = exactly 25.00 → refunded", () => {
    // 11 × 91.55 + 87.15 = 1,094.20; balance −15.00.
    const out = run({ asOf: "2026-09-01", lastBillingDate: "2026-08-01", plan: plan(amounts("91.55", "87.15"), "10.00") });
    expect((out.documents[0] as Invoice).trueUp!.settlement).toMatchObject({ kind: "refund", amountTtc: "25.00", dueDate: "2026-09-16" });
  });

  it("R4 · CGV 6.5 a balance due smaller than the carried credit: +5.00 − 10.00 = a 5.00 credit, carried to the next instalment (89.93 − 5.00 = 84.93)", () => {
    // 11 × 89.52 + 89.48 = 1,074.20; balance +5.00.
    const out = run({ asOf: "2026-09-01", lastBillingDate: "2026-08-01", plan: plan(amounts("89.52", "89.48"), "10.00") });
    const [inv, next, notice] = out.documents as [Invoice, InstalmentPlan, InstalmentNotice];
    expect(inv.trueUp).toMatchObject({ balanceTtc: "5.00", creditCarriedInTtc: "10.00", settlement: { kind: "carriedForward", amountTtc: "5.00", dueDate: null } });
    expect(next.creditToDeductTtc).toBe("5.00");
    expect(notice).toMatchObject({ creditDeductedTtc: "5.00", amountDueTtc: "84.93" });
  });

  it("R4 · CGV 6.5 a carried credit larger than the next instalment is deducted over the following ones: 14.99 left on 10.00 instalments → 10.00 then 4.99", () => {
    const out = run({ asOf: "2025-11-01", lastBillingDate: "2025-09-01", plan: plan(Array(12).fill("10.00"), "14.99") });
    expect(out.documents.map((d) => [d.kind, (d as InstalmentNotice).instalmentNo, (d as InstalmentNotice).creditDeductedTtc, (d as InstalmentNotice).amountDueTtc])).toEqual([
      ["instalmentNotice", 2, "10.00", "0.00"],
      ["instalmentNotice", 3, "4.99", "5.01"],
    ]);
    expect(out.plan!.creditToDeductTtc).toBe("0.00");
  });
});

describe("R4 · CGV 6.5 independent cases — termination", () => {
  // End 2026-03-15: final true-up over [2025-09-01, 2026-03-15), reads 4,610 → 6,210 = 1,600 kWh:
  //   subscription 6 × 12.50 + 12.50 × 14/31 (5.645 → 5.65) = 80.65; CTA 6 × 0.99 + 4.50 × 14/31 × 21.93 % (0.44568 → 0.45) = 6.39
  //   energy 1,600 × 0.1770 = 283.20; excise 1,600 × 0.0337 = 53.92
  //   HT 424.16; VAT 84.832 → 84.83; TTC 508.99. Instalments of 2025-09-01..2026-03-01 (7) deducted.
  const reads = [READS[0]!, READS[1]!, teleRead("2026-03-15", { BASE: "6210" })];

  it("R4 · CGV 6.5 a balance due at termination stays a payment (7 × 70.00 = 490.00 → 18.99 due 15 days after issue)", () => {
    const out = run({ asOf: "2026-03-15", lastBillingDate: "2026-03-01", plan: plan(Array(12).fill("70.00")), reads, end: "2026-03-15" });
    expect(out.documents).toHaveLength(1);
    const inv = out.documents[0] as Invoice;
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["424.16", "84.83", "508.99"]);
    expect(inv.trueUp).toMatchObject({ termination: true, instalmentsTotalTtc: "490.00", balanceTtc: "18.99", settlement: { kind: "payment", amountTtc: "18.99", dueDate: "2026-03-30" } });
  });

  it("R4 · CGV 6.5 a credit of 0.01 at termination is refunded, whatever its amount (6 × 72.71 + 72.74 = 509.00)", () => {
    const out = run({ asOf: "2026-03-15", lastBillingDate: "2026-03-01", plan: plan([...Array(6).fill("72.71"), "72.74", ...Array(5).fill("72.71")]), reads, end: "2026-03-15" });
    const inv = out.documents[0] as Invoice;
    expect(inv.trueUp).toMatchObject({ instalmentsTotalTtc: "509.00", balanceTtc: "-0.01", settlement: { kind: "refund", amountTtc: "0.01", dueDate: "2026-03-30" } });
    expect(out.nextBillingDate).toBeNull();
  });
});

describe("R4 · CGV 6.5 independent cases — due dates", () => {
  it("R4 · CGV 6.5 example C: a carried credit the customer asks back on 2025-03-20 is due 2025-04-04; across the year end 2025-12-20 → 2026-01-04", () => {
    expect(refundOnRequestDueDate("2025-03-20")).toBe("2025-04-04");
    expect(refundOnRequestDueDate("2025-12-20")).toBe("2026-01-04");
    expect(settle(dec("-31.20"), "2025-12-20", false)).toMatchObject({ kind: "refund", amountTtc: "31.20", dueDate: "2026-01-04" });
    // A refund due on a Sunday is not moved (same reading as R3's due date).
    expect(settle(dec("-40.00"), "2025-05-10", false)).toMatchObject({ kind: "refund", dueDate: "2025-05-25" });
    expect(settle(dec("0.00"), "2025-05-10", false)).toMatchObject({ kind: "settled", amountTtc: "0.00", dueDate: null });
  });
});

describe("R4 threshold on a credit with more than two decimals", () => {
  it("R4 24.995 € compares as 25.00 (rounded to the cent, half-up): refunded", () => {
    expect(settle(dec("-24.995"), "2025-03-10", false)).toMatchObject({ kind: "refund", amountTtc: "25.00", dueDate: "2025-03-25" });
    expect(settle(dec("-24.994"), "2025-03-10", false)).toMatchObject({ kind: "carriedForward" });
  });
});
