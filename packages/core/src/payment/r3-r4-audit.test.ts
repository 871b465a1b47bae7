/**
 * R3 — CGV 6.4 (payment terms, late-payment penalties) and R4 — CGV 6.5 (refunds, late refunds): an
 * audit against RULES.md. Every expected figure was derived by hand (arithmetic in the comments) and
 * re-checked with exact integer arithmetic, not read from the engine.
 *
 * Notation: Σ n = Σ days × balance € × applied rate %; interest = Σ n ÷ 36,500 (÷ 365, ÷ 100), rounded
 * once to the cent, half-up. Rates from the shipped table (packages/db/reference-data/0003), percent a
 * year, natural person / other cases: 2024 S1 8.01 / 5.07 · 2024 S2 8.16 / 4.92 · 2025 S1 7.21 / 3.71 ·
 * 2025 S2 6.65 / 2.76.
 * Residential late payment (1.5 × other): 7.605 · 7.38 · 5.565 · 4.14.
 * Professional default (3 × other): 15.21 · 14.76 · 11.13 · 8.28.
 * Late refund, residential creditor (1.5 × natural person): 12.015 · 12.24 · 10.815 · 9.975;
 * professional creditor (1.5 × other): 7.605 · 7.38 · 5.565 · 4.14.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { dueDate } from "./due-date.ts";
import { type InterestComputation, type Receipt, latePaymentCharges } from "./late-payment-penalty.ts";
import { type LedgerEntry, allocate, owedPart } from "./ledger.ts";
import type { LegalInterestRateEntry } from "./legal-interest-rate.ts";
import { lateRefundPenalty, refundDecision, refundDueOnRequest } from "./refund.ts";

const DATA = fileURLToPath(new URL("../../../db/reference-data/0003/legal-interest-rate.json", import.meta.url));
const RATES: LegalInterestRateEntry[] = (JSON.parse(readFileSync(DATA, "utf8")) as { rows: { validFrom: string; validTo: string | null; value: Record<string, string> }[] }).rows.map(
  (r) => ({ from: r.validFrom, ...(r.validTo ? { to: r.validTo } : {}), consumerPct: r.value["consumerPct"]!, otherPct: r.value["otherPct"]! }),
);

const comp = (c: { computation: unknown }) => c.computation as InterestComputation;
const lastDate = (rs: Receipt[]) => rs.map((r) => r.date).sort().at(-1)!;

const residential = (amount: string, due: string, receipts: Receipt[]) =>
  latePaymentCharges({ itemRef: "invoice:AUD-1", itemLabel: "invoice AUD-1", amount, dueDate: due, receipts, settledOn: lastDate(receipts), customerKind: "residential", rates: RATES });
const professional = (amount: string, due: string, receipts: Receipt[], offerRatePct?: string) =>
  latePaymentCharges({
    itemRef: "invoice:AUD-2", itemLabel: "invoice AUD-2", amount, dueDate: due, receipts, settledOn: lastDate(receipts), customerKind: "professional", offerRatePct, rates: RATES,
  });
const lateRefund = (amount: string, due: string, paidOn: string, customerKind: "residential" | "professional") =>
  lateRefundPenalty({ refundRef: "refund:AUD", amount, dueDate: due, paidOn, executionDateOnly: false, customerKind, rates: RATES });
const kinds = (cs: { kind: string; amount: string }[]) => cs.map((c) => [c.kind, c.amount]);

describe("R3 audit: due date = issue + 15 calendar days, never moved", () => {
  it("R3 due dates on a Sunday, on a public holiday and on 29 February stay where they fall", () => {
    expect(dueDate("2025-05-10")).toBe("2025-05-25"); // Sunday (example B3)
    expect(dueDate("2025-12-17")).toBe("2026-01-01"); // New Year's Day, a Thursday
    expect(dueDate("2025-04-16")).toBe("2025-05-01"); // 1 May
    expect(dueDate("2024-02-14")).toBe("2024-02-29"); // leap day
    expect(dueDate("2025-02-14")).toBe("2025-03-01");
  });
});

describe("R3 audit: residential late-payment penalty (CGV 6.4)", () => {
  it("R3 paid on the due date: nothing; paid the day after: one late day, 7.50", () => {
    expect(residential("240.00", "2025-06-16", [{ date: "2025-06-16", amount: "240.00" }])).toEqual([]);
    // 1 × 240 × 5.565 = 1,335.6 ÷ 36,500 = 0.0366 → 0.04 → floor 7.50.
    const cs = residential("240.00", "2025-06-16", [{ date: "2025-06-17", amount: "240.00" }]);
    expect(kinds(cs)).toEqual([["latePaymentPenalty", "7.50"]]);
    expect(comp(cs[0]!).daysLate).toBe(1);
  });

  it("R3 paid early in part, late for the rest: only the rest bears interest", () => {
    // 30,000.00 due 2025-07-10, 10,000 on 07-05, 20,000 on 08-09: 07-11..08-09 = 30 d × 20,000 × 4.14 = 2,484,000
    // ÷ 36,500 = 68.054794… → 68.05.
    const [p] = residential("30000.00", "2025-07-10", [{ date: "2025-07-05", amount: "10000.00" }, { date: "2025-08-09", amount: "20000.00" }]);
    expect(comp(p!).daysLate).toBe(30);
    expect(comp(p!).segments.map((s) => [s.from, s.to, s.days, s.balance])).toEqual([["2025-07-11", "2025-08-09", 30, "20000.00"]]);
    expect(p!.amount).toBe("68.05");
  });

  it("R3 example B: 240.00 due 2025-06-16 paid 2025-07-20 → 34 days → 7.50", () => {
    // 14 × 240 × 5.565 + 20 × 240 × 4.14 = 18,698.4 + 19,872 = 38,570.4 ÷ 36,500 = 1.0567 → 1.06 → 7.50.
    const [p] = residential("240.00", "2025-06-16", [{ date: "2025-07-20", amount: "240.00" }]);
    expect(comp(p!).daysLate).toBe(34);
    expect(comp(p!).rounded).toBe("1.06");
    expect(p!.amount).toBe("7.50");
  });

  it("R3 example B2: 1,800.00 due 2025-06-16, 1,000.00 on 06-26, 800.00 on 08-30 → 75 days → 8.77", () => {
    // 10 × 1,800 × 5.565 = 100,170; 4 × 800 × 5.565 = 17,808; 61 × 800 × 4.14 = 202,032 → 320,010 ÷ 36,500 = 8.76739… → 8.77.
    const [p] = residential("1800.00", "2025-06-16", [{ date: "2025-06-26", amount: "1000.00" }, { date: "2025-08-30", amount: "800.00" }]);
    expect(comp(p!).daysLate).toBe(75);
    expect(p!.amount).toBe("8.77");
  });

  it("R3 example B3: 4,200.00 due Sunday 2025-05-25, paid 2025-09-12 → 110 days → 58.31", () => {
    // 36 × 4,200 × 5.565 = 841,428; 74 × 4,200 × 4.14 = 1,286,712 → 2,128,140 ÷ 36,500 = 58.3052… → 58.31.
    const [p] = residential("4200.00", "2025-05-25", [{ date: "2025-09-12", amount: "4200.00" }]);
    expect(comp(p!).daysLate).toBe(110);
    expect(p!.amount).toBe("58.31");
  });

  it("R3 a payment received on the last day of a half-year lowers the balance from the first day of the next", () => {
    // 9,000.00 due 2025-06-20; 6,000 on 06-30; 3,000 on 07-31.
    // 06-21..06-30: 10 × 9,000 × 5.565 = 500,850; 07-01..07-31: 31 × 3,000 × 4.14 = 385,020 → 885,870 ÷ 36,500 = 24.27041… → 24.27.
    const [p] = residential("9000.00", "2025-06-20", [{ date: "2025-06-30", amount: "6000.00" }, { date: "2025-07-31", amount: "3000.00" }]);
    expect(comp(p!).segments.map((s) => [s.from, s.to, s.days, s.balance, s.appliedRatePct])).toEqual([
      ["2025-06-21", "2025-06-30", 10, "9000.00", "5.565"],
      ["2025-07-01", "2025-07-31", 31, "3000.00", "4.14"],
    ]);
    expect(p!.amount).toBe("24.27");
  });

  it("R3 leap year: 29 February is a late day and the year still has 365 days", () => {
    // 10,000.00 due 2024-02-15 paid 2024-03-15: 02-16..02-29 = 14 d + 03-01..03-15 = 15 d = 29 d at 7.605.
    // 29 × 10,000 × 7.605 = 2,205,450 ÷ 36,500 = 60.42329… → 60.42 (÷ 366 would give 60.26).
    const [p] = residential("10000.00", "2024-02-15", [{ date: "2024-03-15", amount: "10000.00" }]);
    expect(comp(p!).daysLate).toBe(29);
    expect(p!.amount).toBe("60.42");
  });

  it("R3 a sum exactly at a half cent across the 2025 rate change rounds up: 1,500.00 due 2025-06-29 paid 2025-08-15 → 8.055 → 8.06", () => {
    // 06-30: 1 d × 1,500 × 5.565 = 8,347.5; 07-01..08-15: 46 d × 1,500 × 4.14 = 285,660 → 294,007.5 ÷ 36,500 = 8.055 exactly
    // (each segment's quotient alone is non-terminating: 0.228698…, 7.826301…).
    const [p] = residential("1500.00", "2025-06-29", [{ date: "2025-08-15", amount: "1500.00" }]);
    expect(comp(p!).daysLate).toBe(47);
    expect(comp(p!).rawSum).toBe("8.055");
    expect(p!.amount).toBe("8.06");
  });

  it("R3 a half cent in 2024 (leap year, rate change 07-01): 1,050.00 due 2024-06-28 paid 2024-08-07 → 8.505 → 8.51", () => {
    // 06-29, 06-30: 2 × 1,050 × 7.605 = 15,970.5; 07-01..08-07: 38 × 1,050 × 7.38 = 294,462 → 310,432.5 ÷ 36,500 = 8.505.
    const [p] = residential("1050.00", "2024-06-28", [{ date: "2024-08-07", amount: "1050.00" }]);
    expect(comp(p!).daysLate).toBe(40);
    expect(comp(p!).rawSum).toBe("8.505");
    expect(p!.amount).toBe("8.51");
  });

  it("R3 uses the 'other cases' rate (creditor: the supplier), never the natural-person rate", () => {
    const [p] = residential("1000.00", "2025-01-10", [{ date: "2025-03-11", amount: "1000.00" }]);
    expect(comp(p!).segments.map((s) => [s.legalRatePct, s.appliedRatePct])).toEqual([["3.71", "5.565"]]);
    // 60 × 1,000 × 5.565 = 333,900 ÷ 36,500 = 9.14794… → 9.15.
    expect(p!.amount).toBe("9.15");
  });

  it("R3 the penalty has no VAT: the charge's amount is the interest itself", () => {
    const [p] = residential("4200.00", "2025-05-25", [{ date: "2025-09-12", amount: "4200.00" }]);
    expect(p!.explanation).toMatch(/No VAT/);
  });
});

describe("R3 audit: professional customer (Code de commerce L441-10, D441-5)", () => {
  it("R3 professional paid on the due date: nothing, not even the indemnity", () => {
    expect(professional("5000.00", "2025-06-20", [{ date: "2025-06-20", amount: "5000.00" }])).toEqual([]);
  });

  it("R3 professional one day late: interest without the 7.50 floor, plus 40.00", () => {
    // 1 × 100 × 8.28 = 828 ÷ 36,500 = 0.02268… → 0.02.
    expect(kinds(professional("100.00", "2025-07-10", [{ date: "2025-07-11", amount: "100.00" }]))).toEqual([
      ["latePaymentPenalty", "0.02"],
      ["recoveryIndemnity", "40.00"],
    ]);
  });

  it("R3 professional: offer 10 % is raised to 3 × legal while that is higher (11.13 in S1), applied as is in S2 (10 > 8.28)", () => {
    // 5,000.00 due 2025-06-20 paid 2025-07-10: 10 × 5,000 × 11.13 = 556,500; 10 × 5,000 × 10 = 500,000 → 1,056,500 ÷ 36,500
    // = 28.94520… → 28.95.
    const cs = professional("5000.00", "2025-06-20", [{ date: "2025-07-10", amount: "5000.00" }], "10");
    expect(comp(cs[0]!).segments.map((s) => s.appliedRatePct)).toEqual(["11.13", "10"]);
    expect(kinds(cs)).toEqual([["latePaymentPenalty", "28.95"], ["recoveryIndemnity", "40.00"]]);
  });

  it("R3 professional: an offer rate above 3 × legal is used throughout (12 %); no offer rate → 3 × legal", () => {
    // 12 %: 20 × 5,000 × 12 = 1,200,000 ÷ 36,500 = 32.87671… → 32.88.
    expect(kinds(professional("5000.00", "2025-06-20", [{ date: "2025-07-10", amount: "5000.00" }], "12"))).toEqual([
      ["latePaymentPenalty", "32.88"],
      ["recoveryIndemnity", "40.00"],
    ]);
    // default: 10 × 5,000 × 11.13 + 10 × 5,000 × 8.28 = 556,500 + 414,000 = 970,500 ÷ 36,500 = 26.58904… → 26.59.
    expect(kinds(professional("5000.00", "2025-06-20", [{ date: "2025-07-10", amount: "5000.00" }]))).toEqual([
      ["latePaymentPenalty", "26.59"],
      ["recoveryIndemnity", "40.00"],
    ]);
  });

  it("R3 professional example B3 figures: 4,200.00 due 2025-05-25 paid 2025-09-12 → 116.61 + 40.00", () => {
    // 36 × 4,200 × 11.13 = 1,682,856; 74 × 4,200 × 8.28 = 2,573,424 → 4,256,280 ÷ 36,500 = 116.6104… → 116.61.
    expect(kinds(professional("4200.00", "2025-05-25", [{ date: "2025-09-12", amount: "4200.00" }]))).toEqual([
      ["latePaymentPenalty", "116.61"],
      ["recoveryIndemnity", "40.00"],
    ]);
  });
});

describe("R3 audit: through the customer account (allocation, FIFO by due date)", () => {
  it("R3 two invoices, two payments: each item's penalty uses the money allocated to it and its own receipt dates", () => {
    // A 100.00 due 06-16, B 200.00 due 07-16; 150.00 on 07-01, 150.00 on 07-20.
    // A settled by 07-01 (100 of the first payment): 06-17..07-01 = 15 days late.
    // B: 50 from 07-01 (before its due date), 150 on 07-20: 07-17..07-20 = 4 d × 150 × 4.14 = 2,484 → 0.07 → 7.50.
    const entries: LedgerEntry[] = [
      { kind: "invoice", ref: "invoice:A", date: "2025-06-01", dueDate: "2025-06-16", amount: "100.00", label: "A" },
      { kind: "invoice", ref: "invoice:B", date: "2025-07-01", dueDate: "2025-07-16", amount: "200.00", label: "B" },
      { kind: "payment", ref: "payment:1", date: "2025-07-01", amount: "-150.00", label: "p1" },
      { kind: "payment", ref: "payment:2", date: "2025-07-20", amount: "-150.00", label: "p2" },
    ];
    const items = allocate(entries, "2025-07-31").items;
    const out = items.map((it) => {
      const o = owedPart(it);
      const [p] = latePaymentCharges({
        itemRef: it.entry.ref, itemLabel: it.entry.label, amount: o.amount, dueDate: it.dueDate, receipts: o.receipts, settledOn: it.settledOn!,
        customerKind: "residential", rates: RATES,
      });
      return [it.entry.ref, it.settledOn, comp(p!).daysLate, comp(p!).segments.map((s) => [s.days, s.balance]), p!.amount];
    });
    expect(out).toEqual([
      ["invoice:A", "2025-07-01", 15, [[14, "100.00"], [1, "100.00"]], "7.50"],
      ["invoice:B", "2025-07-20", 4, [[4, "150.00"]], "7.50"],
    ]);
  });
});

describe("R4 audit: refund thresholds and due dates (CGV 6.5)", () => {
  it("R4 example C: 31.20 → refund due 2025-03-25; 24.99 carried; request 2025-03-20 → 2025-04-04; 3.00 at termination → 2025-03-25", () => {
    expect(refundDecision("31.20", "2025-03-10", false)).toMatchObject({ kind: "refund", dueDate: "2025-03-25", amountTtc: "31.20" });
    expect(refundDecision("24.99", "2025-03-10", false)).toMatchObject({ kind: "carriedForward", dueDate: null, amountTtc: "24.99" });
    expect(refundDueOnRequest("2025-03-20")).toBe("2025-04-04");
    expect(refundDecision("3.00", "2025-03-10", true)).toMatchObject({ kind: "refund", dueDate: "2025-03-25", amountTtc: "3.00" });
  });

  it("R4 the threshold is 25.00 inclusive, for professional customers too; the due date is not moved off a weekend", () => {
    expect(refundDecision("25.00", "2025-05-10", false)).toMatchObject({ kind: "refund", dueDate: "2025-05-25" }); // a Sunday
    expect(refundDecision("25.01", "2024-02-14", false)).toMatchObject({ kind: "refund", dueDate: "2024-02-29" });
    expect(refundDecision("0.01", "2025-03-10", false)).toMatchObject({ kind: "carriedForward", dueDate: null });
    expect(refundDecision("24.99", "2025-12-17", true)).toMatchObject({ kind: "refund", dueDate: "2026-01-01" });
  });
});

describe("R4 audit: late refunds (CGV 6.5, penalty of 6.4 in the customer's favour)", () => {
  it("R4 example C5: 1,236.00 due 2025-06-20 refunded 2025-08-04 → 45 days → 15.48 to a residential customer, 7.50 to a professional", () => {
    // Residential: 10 × 1,236 × 10.815 = 133,673.4; 35 × 1,236 × 9.975 = 431,518.5 → 565,191.9 ÷ 36,500 = 15.4847… → 15.48.
    const r = lateRefund("1236.00", "2025-06-20", "2025-08-04", "residential")!;
    expect(comp(r).daysLate).toBe(45);
    expect(comp(r).segments.map((s) => [s.days, s.legalRatePct, s.appliedRatePct])).toEqual([[10, "7.21", "10.815"], [35, "6.65", "9.975"]]);
    expect(r).toMatchObject({ kind: "lateRefundPenalty", amount: "-15.48" });
    // Professional: 10 × 1,236 × 5.565 = 68,783.4; 35 × 1,236 × 4.14 = 179,096.4 → 247,879.8 ÷ 36,500 = 6.7912… → 6.79 → 7.50.
    const p = lateRefund("1236.00", "2025-06-20", "2025-08-04", "professional")!;
    expect(comp(p).rounded).toBe("6.79");
    expect(p.amount).toBe("-7.50");
  });

  it("R4 on its due date: nothing; one day late: the 7.50 floor", () => {
    expect(lateRefund("31.20", "2025-03-25", "2025-03-25", "residential")).toBeNull();
    const r = lateRefund("31.20", "2025-03-25", "2025-03-26", "residential")!;
    expect(comp(r).daysLate).toBe(1);
    expect(r.amount).toBe("-7.50");
  });

  it("R4 a late refund exactly at a half cent rounds up: 1,125.00 due 2025-06-27 paid 2025-08-18 → 16.065 → 16.07 (residential)", () => {
    // 06-28..06-30: 3 × 1,125 × 10.815 = 36,500.625; 07-01..08-18: 49 × 1,125 × 9.975 = 549,871.875 → 586,372.5 ÷ 36,500 = 16.065.
    const r = lateRefund("1125.00", "2025-06-27", "2025-08-18", "residential")!;
    expect(comp(r).daysLate).toBe(52);
    expect(comp(r).rawSum).toBe("16.065");
    expect(r.amount).toBe("-16.07");
  });

  it("R4 late refund in 2024 (leap year, rate change): 2,000.00 due 2024-06-20 paid 2024-07-15 → 16.64 residential, 10.23 professional", () => {
    // Residential: 10 × 2,000 × 12.015 = 240,300; 15 × 2,000 × 12.24 = 367,200 → 607,500 ÷ 36,500 = 16.6438… → 16.64.
    // Professional: 10 × 2,000 × 7.605 = 152,100; 15 × 2,000 × 7.38 = 221,400 → 373,500 ÷ 36,500 = 10.2328… → 10.23.
    expect(lateRefund("2000.00", "2024-06-20", "2024-07-15", "residential")!.amount).toBe("-16.64");
    expect(lateRefund("2000.00", "2024-06-20", "2024-07-15", "professional")!.amount).toBe("-10.23");
  });

  it("R4 late refund across 29 February: 3,000.00 due 2024-02-20 paid 2024-03-10 → 19 days → 18.76 (residential)", () => {
    // 02-21..02-29 = 9 d + 03-01..03-10 = 10 d = 19 d × 3,000 × 12.015 = 684,855 ÷ 36,500 = 18.7631… → 18.76.
    const r = lateRefund("3000.00", "2024-02-20", "2024-03-10", "residential")!;
    expect(comp(r).daysLate).toBe(19);
    expect(r.amount).toBe("-18.76");
  });
});
