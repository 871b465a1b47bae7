/**
 * R3 — CGV 6.4 (late-payment penalties; Code de commerce L441-10, D441-5 for professionals) and
 * R4 — CGV 6.5 (refunds, late refunds): a black-box audit through the core's public exports only
 * (`@billing/core` index), with figures computed by hand from RULES.md before running the engine.
 *
 * Rates are this audit's own table (the published legal interest rates, percent a year, natural person /
 * other cases): 2025 S1 7.21 / 3.71, 2025 S2 6.65 / 2.76, 2026 S1 6.67 / 2.62.
 * Applied: residential late payment 1.5 × other = 5.565 (S1) / 4.14 (S2); professional 3 × other =
 * 11.13 / 8.28; late refund to a residential customer 1.5 × natural person = 10.815 / 9.975, to a
 * professional 1.5 × other = 5.565 / 4.14.
 * Notation: n = balance € × applied % × days; interest = Σ n ÷ 36,500, rounded once, half-up.
 */
import { describe, expect, it } from "vitest";
import {
  type InterestComputation,
  type LegalInterestRateEntry,
  type Receipt,
  dueDate,
  latePaymentCharges,
  lateRefundPenalty,
  refundDecision,
  refundDueOnRequest,
} from "../index.ts";

const RATES: LegalInterestRateEntry[] = [
  { from: "2025-01-01", to: "2025-07-01", consumerPct: "7.21", otherPct: "3.71" },
  { from: "2025-07-01", to: "2026-01-01", consumerPct: "6.65", otherPct: "2.76" },
  { from: "2026-01-01", to: "2026-07-01", consumerPct: "6.67", otherPct: "2.62" },
];

const late = (customerKind: "residential" | "professional", amount: string, due: string, receipts: Receipt[], offerRatePct?: string) =>
  latePaymentCharges({
    itemRef: "invoice:BB-1", itemLabel: "invoice BB-1", amount, dueDate: due, receipts,
    settledOn: receipts.map((r) => r.date).sort().at(-1)!, customerKind, offerRatePct, rates: RATES,
  });
const summary = (cs: { kind: string; amount: string }[]) => cs.map((c) => [c.kind, c.amount]);
const segs = (c: { computation: unknown }) => (c.computation as InterestComputation).segments.map((s) => [s.from, s.to, s.days, s.balance, s.appliedRatePct]);

describe("R3 black box: several partial payments across the 2025-07-01 legal-rate change", () => {
  // 30,000.00 issued 2025-06-05 → due 2025-06-20. Received: 5,000.00 on 06-20 (the due date: on time,
  // counts from 06-21), 10,000.00 on 06-28, 7,000.00 on 07-05, 8,000.00 on 07-31 (settles). Late days
  // 06-21..07-31 = 41.
  //   06-21..06-28  8 d × 25,000 owed
  //   06-29..06-30  2 d × 15,000
  //   07-01..07-05  5 d × 15,000 (new half-year rate)
  //   07-06..07-31 26 d ×  8,000
  const receipts: Receipt[] = [
    { date: "2025-06-20", amount: "5000.00" },
    { date: "2025-06-28", amount: "10000.00" },
    { date: "2025-07-05", amount: "7000.00" },
    { date: "2025-07-31", amount: "8000.00" },
  ];

  it("R3 residential: 25,000×5.565×8 + 15,000×5.565×2 + 15,000×4.14×5 + 8,000×4.14×26 = 2,451,570 ÷ 36,500 = 67.1663 → 67.17", () => {
    expect(dueDate("2025-06-05")).toBe("2025-06-20");
    const cs = late("residential", "30000.00", "2025-06-20", receipts);
    expect(summary(cs)).toEqual([["latePaymentPenalty", "67.17"]]);
    expect(segs(cs[0]!)).toEqual([
      ["2025-06-21", "2025-06-28", 8, "25000.00", "5.565"],
      ["2025-06-29", "2025-06-30", 2, "15000.00", "5.565"],
      ["2025-07-01", "2025-07-05", 5, "15000.00", "4.14"],
      ["2025-07-06", "2025-07-31", 26, "8000.00", "4.14"],
    ]);
    expect((cs[0]!.computation as InterestComputation).daysLate).toBe(41);
  });

  it("R3 professional, no offer rate (3 × other): 25,000×11.13×8 + 15,000×11.13×2 + 15,000×8.28×5 + 8,000×8.28×26 = 4,903,140 ÷ 36,500 = 134.3326 → 134.33, plus 40.00", () => {
    expect(summary(late("professional", "30000.00", "2025-06-20", receipts))).toEqual([
      ["latePaymentPenalty", "134.33"],
      ["recoveryIndemnity", "40.00"],
    ]);
  });

  it("R3 professional, offer rate 10 %: max(10, 11.13) in June, max(10, 8.28) = 10 in July: 2,226,000 + 333,900 + 750,000 + 2,080,000 = 5,389,900 ÷ 36,500 = 147.6685 → 147.67, plus 40.00", () => {
    // 15,000 × 10 × 5 = 750,000; 8,000 × 10 × 26 = 2,080,000.
    expect(summary(late("professional", "30000.00", "2025-06-20", receipts, "10"))).toEqual([
      ["latePaymentPenalty", "147.67"],
      ["recoveryIndemnity", "40.00"],
    ]);
  });
});

describe("R3 black box: the due date and the day after", () => {
  // 30,000.00 due 2026-01-20 (issued 2026-01-05).
  it("R3 paid in full on the due date: nothing, for a residential or a professional customer", () => {
    expect(dueDate("2026-01-05")).toBe("2026-01-20");
    expect(late("residential", "30000.00", "2026-01-20", [{ date: "2026-01-20", amount: "30000.00" }])).toEqual([]);
    expect(late("professional", "30000.00", "2026-01-20", [{ date: "2026-01-20", amount: "30000.00" }])).toEqual([]);
  });

  it("R3 paid the day after: residential 30,000 × 1.5 × 2.62 × 1 ÷ 36,500 = 3.23 → floor 7.50; professional 30,000 × 7.86 ÷ 36,500 = 6.4603 → 6.46 (no floor) + 40.00", () => {
    expect(summary(late("residential", "30000.00", "2026-01-20", [{ date: "2026-01-21", amount: "30000.00" }]))).toEqual([["latePaymentPenalty", "7.50"]]);
    expect(summary(late("professional", "30000.00", "2026-01-20", [{ date: "2026-01-21", amount: "30000.00" }]))).toEqual([
      ["latePaymentPenalty", "6.46"],
      ["recoveryIndemnity", "40.00"],
    ]);
  });

  it("R3 professional paid the day after on a small invoice: 40.00 → interest 0.01 + 40.00; 10.00 → interest 0.00 gives no line, the 40.00 indemnity stands alone", () => {
    // 40.00 × 7.86 × 1 = 314.4 ÷ 36,500 = 0.00861 → 0.01; 10.00 × 7.86 = 78.6 ÷ 36,500 = 0.00215 → 0.00.
    expect(summary(late("professional", "40.00", "2026-01-20", [{ date: "2026-01-21", amount: "40.00" }]))).toEqual([
      ["latePaymentPenalty", "0.01"],
      ["recoveryIndemnity", "40.00"],
    ]);
    expect(summary(late("professional", "10.00", "2026-01-20", [{ date: "2026-01-21", amount: "10.00" }]))).toEqual([["recoveryIndemnity", "40.00"]]);
  });
});

describe("R4 black box: refund thresholds and due dates", () => {
  it("R4 on an invoice issued 2026-01-30: 24.99 carried; 25.00 refunded by 2026-02-14; 3.00 at termination refunded by 02-14; 24.99 asked back on 2026-02-20 → 2026-03-07", () => {
    expect(refundDecision("24.99", "2026-01-30", false)).toMatchObject({ kind: "carriedForward", amountTtc: "24.99", dueDate: null });
    expect(refundDecision("25.00", "2026-01-30", false)).toMatchObject({ kind: "refund", amountTtc: "25.00", dueDate: "2026-02-14" });
    expect(refundDecision("3.00", "2026-01-30", true)).toMatchObject({ kind: "refund", amountTtc: "3.00", dueDate: "2026-02-14" });
    expect(refundDueOnRequest("2026-02-20")).toBe("2026-03-07");
  });
});

describe("R4 black box: late refunds across the 2025-07-01 legal-rate change", () => {
  // Refund due 2025-06-25, received by the customer 2025-07-10: late days 06-26..07-10 = 15 (5 in S1, 10 in S2).
  const refund = (amount: string, kind: "residential" | "professional", executionDateOnly = false) =>
    lateRefundPenalty({ refundRef: "refund:BB-1", amount, dueDate: "2025-06-25", paidOn: "2025-07-10", executionDateOnly, customerKind: kind, rates: RATES });

  it("R4 residential (natural-person rate): 2,500 × 10.815 × 5 + 2,500 × 9.975 × 10 = 384,562.5 ÷ 36,500 = 10.536 → −10.54 in the customer's favour", () => {
    const p = refund("2500.00", "residential");
    expect(p?.amount).toBe("-10.54");
    expect(segs(p!)).toEqual([
      ["2025-06-26", "2025-06-30", 5, "2500.00", "10.815"],
      ["2025-07-01", "2025-07-10", 10, "2500.00", "9.975"],
    ]);
  });

  it("R4 professional (other cases): 2,500 × 5.565 × 5 + 2,500 × 4.14 × 10 = 173,062.5 ÷ 36,500 = 4.74 → floor −7.50; 20,000.00 → 1,384,500 ÷ 36,500 = 37.9315 → −37.93", () => {
    expect(refund("2500.00", "professional")?.amount).toBe("-7.50");
    expect(refund("20000.00", "professional")?.amount).toBe("-37.93");
  });

  it("R4 a refund known only by its transfer's execution date says so; on its due date nothing is owed", () => {
    expect(refund("2500.00", "residential", true)?.inputs["paidOnBasis"]).toBe("transfer execution date (receipt date unknown)");
    expect(lateRefundPenalty({ refundRef: "refund:BB-2", amount: "2500.00", dueDate: "2025-06-25", paidOn: "2025-06-25", executionDateOnly: false, customerKind: "residential", rates: RATES })).toBeNull();
  });
});
