/**
 * R3 — CGV 6.4 late-payment penalties and R4 — CGV 6.5 late refunds, on the examples of RULES.md and
 * hand-checked cases (arithmetic in the comments). Rates: the shipped legal interest rates
 * ("other cases" 3.71 % in 2025 S1, 2.76 % in 2025 S2; natural person 7.21 % / 6.65 %).
 */
import { describe, expect, it } from "vitest";
import { BillingError } from "../errors.ts";
import type { LegalInterestRateEntry } from "./legal-interest-rate.ts";
import { dueDate } from "./due-date.ts";
import { type InterestComputation, latePaymentCharges } from "./late-payment-penalty.ts";
import { lateRefundPenalty, refundDecision, refundDueOnRequest } from "./refund.ts";
import { dec } from "../primitives/money.ts";

const RATES: LegalInterestRateEntry[] = [
  { from: "2024-07-01", to: "2025-01-01", consumerPct: "8.16", otherPct: "4.92" },
  { from: "2025-01-01", to: "2025-07-01", consumerPct: "7.21", otherPct: "3.71" },
  { from: "2025-07-01", to: "2026-01-01", consumerPct: "6.65", otherPct: "2.76" },
  { from: "2026-01-01", to: "2026-07-01", consumerPct: "6.67", otherPct: "2.62" },
];
const GAPS = [{ from: "2026-07-01", reason: "legal interest rate of 2026 S2 not found" }];

const residential = (amount: string, due: string, receipts: { date: string; amount: string }[]) =>
  latePaymentCharges({
    itemRef: "invoice:FA-2025-000001", itemLabel: "invoice FA-2025-000001", amount, dueDate: due, receipts,
    settledOn: receipts.at(-1)!.date, customerKind: "residential", rates: RATES, gaps: GAPS,
  });

describe("R3 late-payment penalty, residential (CGV 6.4)", () => {
  it("R3 due date = issue + 15 calendar days, not moved at weekends (example B3: 2025-05-25 is a Sunday)", () => {
    expect(dueDate("2025-06-01")).toBe("2025-06-16");
    expect(dueDate("2025-05-10")).toBe("2025-05-25");
  });

  it("R3 paid on the due date: no penalty", () => {
    expect(residential("240.00", "2025-06-16", [{ date: "2025-06-16", amount: "240.00" }])).toEqual([]);
  });

  it("R3 paid the day after the due date: one late day, interest 0.04 → the 7.50 floor", () => {
    // 240 × 1.5 × 3.71 % ÷ 365 = 0.0366 → 0.04 < 7.50
    const [p] = residential("240.00", "2025-06-16", [{ date: "2025-06-17", amount: "240.00" }]);
    expect(p).toMatchObject({ kind: "latePaymentPenalty", amount: "7.50" });
    expect((p!.computation as InterestComputation).daysLate).toBe(1);
    expect((p!.computation as InterestComputation).rounded).toBe("0.04");
  });

  it("R3 example B: 240.00 due 2025-06-16 paid 2025-07-20 → 34 days, interest under the floor → 7.50", () => {
    const [p] = residential("240.00", "2025-06-16", [{ date: "2025-07-20", amount: "240.00" }]);
    const c = p!.computation as InterestComputation;
    expect(c.daysLate).toBe(34);
    // 14 d at 5.565 % + 20 d at 4.14 %: 240 × (14 × 5.565 + 20 × 4.14) / 36500 = 1.0567
    expect(c.segments.map((s) => [s.from, s.to, s.days, s.balance, s.appliedRatePct])).toEqual([
      ["2025-06-17", "2025-06-30", 14, "240.00", "5.565"],
      ["2025-07-01", "2025-07-20", 20, "240.00", "4.14"],
    ]);
    expect(c.rounded).toBe("1.06");
    expect(p!.amount).toBe("7.50");
    expect(p!.explanation).toContain("below the 7.50 € floor");
  });

  it("R3 example B2: 1,800.00 due 2025-06-16, 1,000.00 on 06-26 (still bears interest that day), 800.00 on 08-30 → 75 days → 8.77", () => {
    const [p] = residential("1800.00", "2025-06-16", [{ date: "2025-06-26", amount: "1000.00" }, { date: "2025-08-30", amount: "800.00" }]);
    const c = p!.computation as InterestComputation;
    expect(c.daysLate).toBe(75);
    // 1.5/365 × (1800 × 3.71 % × 10 + 800 × 3.71 % × 4 + 800 × 2.76 % × 61) = 1.5/365 × 21.334 = 8.7674
    expect(c.segments.map((s) => [s.from, s.to, s.days, s.balance, s.legalRatePct])).toEqual([
      ["2025-06-17", "2025-06-26", 10, "1800.00", "3.71"],
      ["2025-06-27", "2025-06-30", 4, "800.00", "3.71"],
      ["2025-07-01", "2025-08-30", 61, "800.00", "2.76"],
    ]);
    expect(c.rawSum).toMatch(/^8\.7673/);
    expect(p!.amount).toBe("8.77");
  });

  it("R3 example B3: 4,200.00 due 2025-05-25 (a Sunday, not moved) paid 2025-09-12 → 110 days → 58.31", () => {
    const [p] = residential("4200.00", "2025-05-25", [{ date: "2025-09-12", amount: "4200.00" }]);
    // 4200 × 1.5 / 365 × (36 × 3.71 % + 74 × 2.76 %) = 17.2603 × 3.378 = 58.3052
    expect((p!.computation as InterestComputation).daysLate).toBe(110);
    expect(p!.amount).toBe("58.31");
    expect(p!.inputs["segment01"]).toBe("2025-05-26..2025-06-30: 36 d × 4200.00 € × 5.565 % (legal 3.71 %) ÷ 365 = 23.052821917808");
  });

  it("R3 across a half-year rate change (2024 S2 → 2025 S1), partial payments: 3,000.00 due 2024-12-20, 2,000.00 on 2025-01-05, 1,000.00 on 2025-02-14", () => {
    // Σ days × balance × rate % / 36500: 12-21..12-31 11 × 3000 × 7.38 = 243,540 (1.5 × 4.92); 01-01..01-05
    // 5 × 3000 × 5.565 = 83,475 (1.5 × 3.71; the 2,000 received on 01-05 counts from 01-06);
    // 01-06..02-14 40 × 1000 × 5.565 = 222,600 → 549,615 / 36,500 = 15.0579 → 15.06
    const [p] = residential("3000.00", "2024-12-20", [{ date: "2025-01-05", amount: "2000.00" }, { date: "2025-02-14", amount: "1000.00" }]);
    const c = p!.computation as InterestComputation;
    expect(c.segments.map((s) => [s.days, s.balance, s.appliedRatePct])).toEqual([[11, "3000.00", "7.38"], [5, "3000.00", "5.565"], [40, "1000.00", "5.565"]]);
    expect(c.daysLate).toBe(56);
    expect(p!.amount).toBe("15.06");
  });

  it("R3 a late day without a published rate fails, naming the day — never a silent zero", () => {
    expect(() => residential("100.00", "2026-06-25", [{ date: "2026-07-03", amount: "100.00" }])).toThrow(BillingError);
    expect(() => residential("100.00", "2026-06-25", [{ date: "2026-07-03", amount: "100.00" }])).toThrow(/on 2026-07-01 .*2026 S2 rate|on 2026-07-01/);
  });
});

describe("R3 late-payment penalty, professional customer (Code de commerce L441-10, D441-5)", () => {
  const pro = (offerRatePct?: string) =>
    latePaymentCharges({
      itemRef: "invoice:FA-2025-000009", itemLabel: "invoice FA-2025-000009", amount: "4200.00", dueDate: "2025-05-25",
      receipts: [{ date: "2025-09-12", amount: "4200.00" }], settledOn: "2025-09-12", customerKind: "professional", offerRatePct, rates: RATES,
    });

  it("R3 professional: 3 × legal rate by default, no floor, plus a 40 € recovery indemnity as its own charge", () => {
    // 4200 × (36 × 11.13 % + 74 × 8.28 %) / 365 = 4200 × (4.0068 + 6.1272) / 365 = 116.6104 → 116.61
    const [penalty, indemnity] = pro();
    expect(penalty).toMatchObject({ kind: "latePaymentPenalty", amount: "116.61" });
    expect((penalty!.computation as InterestComputation).segments.map((s) => s.appliedRatePct)).toEqual(["11.13", "8.28"]);
    expect(indemnity).toMatchObject({ kind: "recoveryIndemnity", amount: "40.00" });
  });

  it("R3 professional: the offer's rate when above 3 × legal, never below it", () => {
    // offer 10 %: max(10, 11.13) = 11.13 in S1, max(10, 8.28) = 10 in S2: 4200 × (36 × 11.13 + 74 × 10) / 36500 = 131.2578 → 131.26
    const [penalty] = pro("10");
    expect((penalty!.computation as InterestComputation).segments.map((s) => s.appliedRatePct)).toEqual(["11.13", "10"]);
    expect(penalty!.amount).toBe("131.26");
  });

  it("R3 professional, one day late on a small invoice: no 7.50 floor (0.01), indemnity 40.00", () => {
    // 50 × 11.13 / 36500 = 0.015246 → 0.02
    const charges = latePaymentCharges({
      itemRef: "invoice:X", itemLabel: "invoice X", amount: "50.00", dueDate: "2025-06-16", receipts: [{ date: "2025-06-17", amount: "50.00" }],
      settledOn: "2025-06-17", customerKind: "professional", rates: RATES,
    });
    expect(charges.map((c) => [c.kind, c.amount])).toEqual([["latePaymentPenalty", "0.02"], ["recoveryIndemnity", "40.00"]]);
  });
});

describe("R4 refunds (CGV 6.5)", () => {
  it("R4 example C: 31.20 on 2025-03-10 → due 2025-03-25; 24.99 carried; on request 2025-03-20 → 2025-04-04; 3.00 at termination → 2025-03-25", () => {
    expect(refundDecision(dec("31.20"), "2025-03-10", false)).toMatchObject({ kind: "refund", dueDate: "2025-03-25", amountTtc: "31.20" });
    expect(refundDecision(dec("24.99"), "2025-03-10", false)).toMatchObject({ kind: "carriedForward", dueDate: null });
    expect(refundDueOnRequest("2025-03-20")).toBe("2025-04-04");
    expect(refundDecision(dec("3.00"), "2025-03-10", true)).toMatchObject({ kind: "refund", dueDate: "2025-03-25" });
    expect(refundDecision(dec("25.00"), "2025-03-10", false)).toMatchObject({ kind: "refund" });
  });

  const late = (customerKind: "residential" | "professional") =>
    lateRefundPenalty({ refundRef: "refund:1", amount: "1236.00", dueDate: "2025-06-20", paidOn: "2025-08-04", executionDateOnly: false, customerKind, rates: RATES });

  it("R4 example C5: 1,236.00 due 2025-06-20 refunded 2025-08-04 → 45 days → 15.48 owed to a residential customer (natural-person rate)", () => {
    // 1236 × 1.5 × (10 × 7.21 % + 35 × 6.65 %) / 365 = 1854 × 3.0485 / 365 = 15.4847
    const p = late("residential")!;
    expect((p.computation as InterestComputation).daysLate).toBe(45);
    expect((p.computation as InterestComputation).segments.map((s) => s.legalRatePct)).toEqual(["7.21", "6.65"]);
    expect(p).toMatchObject({ kind: "lateRefundPenalty", amount: "-15.48" });
  });

  it("R4 example C5: 7.50 (the floor) to a professional customer (other-cases rate)", () => {
    // 1854 × (10 × 3.71 % + 35 × 2.76 %) / 365 = 1854 × 1.337 / 365 = 6.79 → floor 7.50
    const p = late("professional")!;
    expect((p.computation as InterestComputation).rounded).toBe("6.79");
    expect(p.amount).toBe("-7.50");
  });

  it("R4 a refund paid on its due date bears nothing; the execution date is recorded when it is all that is known", () => {
    expect(lateRefundPenalty({ refundRef: "refund:1", amount: "30.00", dueDate: "2025-03-25", paidOn: "2025-03-25", executionDateOnly: false, customerKind: "residential", rates: RATES })).toBeNull();
    const p = lateRefundPenalty({ refundRef: "refund:1", amount: "30.00", dueDate: "2025-03-25", paidOn: "2025-03-27", executionDateOnly: true, customerKind: "residential", rates: RATES })!;
    expect(p.inputs["paidOnBasis"]).toMatch(/execution date/);
    expect(p.amount).toBe("-7.50");
  });
});
