/**
 * R3 — CGV 6.4 (late-payment penalties) and R4 — CGV 6.5 (refunds): an independent check. Every
 * figure below was computed by hand from RULES.md, not from the engine; the arithmetic is in the
 * comments. Conventions (RULES.md R3): late days run from due date + 1 to the receipt date of the last
 * payment, both included; the amount owed at the start of day d (a payment received on d counts from
 * d + 1); interest of a day = balance × applied rate ÷ 100 ÷ 365 (365 in leap years too); Σ over the
 * item rounded once, half-up, to the cent; residential: applied rate 1.5 × legal "other cases",
 * floor 7.50 once a day is late; professional: max(offer, 3 × legal "other cases"), no floor, + 40 €.
 * R4: late refund at 1.5 × legal (natural-person rate for a residential creditor, "other cases" for a
 * professional), floor 7.50, as a negative charge.
 *
 * Notation: "Σ n" is Σ days × balance × applied rate %, so interest = Σ n ÷ 36,500.
 *
 * Legal rates (the shipped table, packages/db/reference-data/0003, loaded below), percent a year,
 * natural person / other cases: 2024 S1 8.01 / 5.07 · 2024 S2 8.16 / 4.92 · 2025 S1 7.21 / 3.71 ·
 * 2025 S2 6.65 / 2.76. Applied residential (1.5 × other): 7.605 · 7.38 · 5.565 · 4.14. Professional
 * default (3 × other): 15.21 · 14.76 · 11.13 · 8.28. Late refund to a residential customer
 * (1.5 × natural person): 12.015 · 12.24 · 10.815 · 9.975.
 */
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { addDays } from "../primitives/dates.ts";
import { dec, formatCents } from "../primitives/money.ts";
import { dueDate } from "./due-date.ts";
import { type InterestComputation, type Receipt, latePaymentCharges } from "./late-payment-penalty.ts";
import { type LedgerEntry, allocate, owedAtStartOf } from "./ledger.ts";
import type { LegalInterestRateEntry } from "./legal-interest-rate.ts";
import { lateRefundPenalty, refundDecision, refundDueOnRequest } from "./refund.ts";

// The rates the engine loads (migration 0003 reads this file).
const DATA = fileURLToPath(new URL("../../../db/reference-data/0003/legal-interest-rate.json", import.meta.url));
const RATES: LegalInterestRateEntry[] = (JSON.parse(readFileSync(DATA, "utf8")) as { rows: { validFrom: string; validTo: string | null; value: Record<string, string> }[] }).rows.map(
  (r) => ({ from: r.validFrom, ...(r.validTo ? { to: r.validTo } : {}), consumerPct: r.value["consumerPct"]!, otherPct: r.value["otherPct"]! }),
);

const comp = (c: { computation: unknown }) => c.computation as InterestComputation;
const segs = (c: { computation: unknown }) => comp(c).segments.map((s) => [s.from, s.to, s.days, s.balance, s.appliedRatePct]);

const residential = (amount: string, due: string, receipts: Receipt[]) =>
  latePaymentCharges({
    itemRef: "invoice:IND-1", itemLabel: "invoice IND-1", amount, dueDate: due, receipts,
    settledOn: receipts.map((r) => r.date).sort().at(-1)!, customerKind: "residential", rates: RATES,
  });
const professional = (amount: string, due: string, receipts: Receipt[], offerRatePct?: string) =>
  latePaymentCharges({
    itemRef: "invoice:IND-2", itemLabel: "invoice IND-2", amount, dueDate: due, receipts,
    settledOn: receipts.map((r) => r.date).sort().at(-1)!, customerKind: "professional", offerRatePct, rates: RATES,
  });
const lateRefund = (amount: string, due: string, paidOn: string, customerKind: "residential" | "professional") =>
  lateRefundPenalty({ refundRef: "refund:IND", amount, dueDate: due, paidOn, executionDateOnly: false, customerKind, rates: RATES });

describe("R3 independent cases: due dates (CGV 6.4)", () => {
  it("R3 due date = issue + 15 calendar days across February of a leap year and a year end", () => {
    // 2024-02-20 + 15: Feb 2024 has 29 days → 20 + 15 = 35 → 35 − 29 = March 6.
    expect(dueDate("2024-02-20")).toBe("2024-03-06");
    // 2023 (not leap): 35 − 28 = March 7.
    expect(dueDate("2023-02-20")).toBe("2023-03-07");
    // 2024-12-20 + 15 = Dec 35 = 2025-01-04.
    expect(dueDate("2024-12-20")).toBe("2025-01-04");
  });

  it("R3 a due date on a Sunday is not moved: issued Sat 2025-08-16 → due Sun 2025-08-31; paid that Sunday 0, paid Monday 7.50", () => {
    // 2025-01-01 is a Wednesday; Aug 31 is day 243 → (243 − 1) mod 7 = 4 → Wednesday + 4 = Sunday.
    expect(dueDate("2025-08-16")).toBe("2025-08-31");
    expect(residential("180.00", "2025-08-31", [{ date: "2025-08-31", amount: "180.00" }])).toEqual([]);
    // Monday 09-01: 1 late day (not 0): 180 × 4.14 ÷ 36,500 = 0.020416… → 0.02 < 7.50 → 7.50.
    const [p] = residential("180.00", "2025-08-31", [{ date: "2025-09-01", amount: "180.00" }]);
    expect(comp(p!).daysLate).toBe(1);
    expect(comp(p!).rounded).toBe("0.02");
    expect(p!.amount).toBe("7.50");
  });

  it("R3 a due date on a public holiday (Friday 15 August 2025) is not moved: paid Monday 08-18 → 3 late days → 7.50", () => {
    expect(dueDate("2025-07-31")).toBe("2025-08-15");
    // 08-16, 08-17, 08-18 = 3 days × 500 × 4.14 = 6,210 → ÷ 36,500 = 0.170136… → 0.17 → floor 7.50.
    const [p] = residential("500.00", "2025-08-15", [{ date: "2025-08-18", amount: "500.00" }]);
    expect(segs(p!)).toEqual([["2025-08-16", "2025-08-18", 3, "500.00", "4.14"]]);
    expect(comp(p!).rounded).toBe("0.17");
    expect(p!.amount).toBe("7.50");
  });
});

describe("R3 independent cases: residential penalties (CGV 6.4)", () => {
  it("R3 leap-year period, 365 divisor still: 2,000.00 due 2024-02-10 paid 2024-03-10 → 29 days → 12.08", () => {
    // Late days 02-11..02-29 = 19 (29 February included) + 03-01..03-10 = 10 → 29 days, all in 2024 S1
    // (other cases 5.07 % → 1.5 × 5.07 = 7.605 %). Σ n = 29 × 2000 × 7.605 = 441,090 → ÷ 36,500 =
    // 12.084657… (÷ 366 would give 12.0516…) → 12.08 ≥ 7.50.
    const [p] = residential("2000.00", "2024-02-10", [{ date: "2024-03-10", amount: "2000.00" }]);
    expect(segs(p!)).toEqual([["2024-02-11", "2024-03-10", 29, "2000.00", "7.605"]]);
    expect(comp(p!).rawSum).toMatch(/^12\.084657/);
    expect(p!.amount).toBe("12.08");
  });

  it("R3 a large invoice across two half-year changes: 12,345.67 due 2024-06-20 paid 2025-01-10 → 204 days → 503.85", () => {
    // 06-21..06-30: 10 d at 7.605 (2024 S1) → 76.05; 07-01..12-31: 184 d at 7.38 (2024 S2) → 1,357.92;
    // 2025-01-01..01-10: 10 d at 5.565 (2025 S1) → 55.65. Σ days × rate = 1,489.62.
    // 12,345.67 × 1,489.62 = 18,390,356.9454 → ÷ 36,500 = 503.845395… → 503.85.
    const [p] = residential("12345.67", "2024-06-20", [{ date: "2025-01-10", amount: "12345.67" }]);
    expect(segs(p!)).toEqual([
      ["2024-06-21", "2024-06-30", 10, "12345.67", "7.605"],
      ["2024-07-01", "2024-12-31", 184, "12345.67", "7.38"],
      ["2025-01-01", "2025-01-10", 10, "12345.67", "5.565"],
    ]);
    expect(comp(p!).daysLate).toBe(204);
    expect(p!.amount).toBe("503.85");
  });

  it("R3 partial payments, one on the due date and two on the same day: 15,000.00 due 2025-06-16 → 19 days → 26.14", () => {
    // 3,000 on 06-16 (the due date: counts from 06-17), 2,000 + 1,000 on 06-20 (count from 06-21),
    // 9,000 on 07-05 (the last: the item is settled on 07-05, which is still a late day).
    // 06-17..06-20: 4 d × 12,000 × 5.565 = 267,120; 06-21..06-30: 10 d × 9,000 × 5.565 = 500,850;
    // 07-01..07-05: 5 d × 9,000 × 4.14 = 186,300. Σ n = 954,270 → ÷ 36,500 = 26.144383… → 26.14.
    const [p] = residential("15000.00", "2025-06-16", [
      { date: "2025-06-16", amount: "3000.00" },
      { date: "2025-06-20", amount: "2000.00" },
      { date: "2025-06-20", amount: "1000.00" },
      { date: "2025-07-05", amount: "9000.00" },
    ]);
    expect(segs(p!)).toEqual([
      ["2025-06-17", "2025-06-20", 4, "12000.00", "5.565"],
      ["2025-06-21", "2025-06-30", 10, "9000.00", "5.565"],
      ["2025-07-01", "2025-07-05", 5, "9000.00", "4.14"],
    ]);
    expect(comp(p!).daysLate).toBe(19);
    expect(p!.amount).toBe("26.14");
  });

  it("R3 one day late on a large invoice: interest above the floor is billed as is: 100,000.00 due 2025-03-14 paid 03-15 → 15.25", () => {
    // 1 × 100,000 × 5.565 = 556,500 → ÷ 36,500 = 15.246575… → 15.25 (> 7.50, no floor).
    const [p] = residential("100000.00", "2025-03-14", [{ date: "2025-03-15", amount: "100000.00" }]);
    expect(p!.amount).toBe("15.25");
    expect(p!.explanation).not.toContain("floor");
  });

  it("R3 half-up at exactly half a cent: 3,650.00 due 2025-03-01 paid 2025-04-20 → 50 days → 27.825 → 27.83", () => {
    // 03-02..03-31 = 30 + 04-01..04-20 = 20 → 50 days at 5.565: 50 × 3,650 × 5.565 = 1,015,612.5 →
    // ÷ 36,500 = 27.825 exactly → half-up 27.83 (half-even would give 27.82).
    const [p] = residential("3650.00", "2025-03-01", [{ date: "2025-04-20", amount: "3650.00" }]);
    expect(comp(p!).rawSum).toBe("27.825");
    expect(p!.amount).toBe("27.83");
  });

  it("R3 the sum is rounded once, exactly: segments that do not divide evenly but sum to 9.705 → 9.71 (not 9.70)", () => {
    // 5,869.44 due 2025-06-16, 5,769.01 received 06-26, 100.43 received 08-30 (example B2's calendar):
    // 06-17..06-26: 10 d × 5,869.44 × 5.565 = 326,634.336; 06-27..06-30: 4 d × 100.43 × 5.565 = 2,235.5718;
    // 07-01..08-30: 61 d × 100.43 × 4.14 = 25,362.5922. Σ n = 354,232.5 → ÷ 36,500 = 9.705 exactly → 9.71.
    // No segment alone has a finite decimal quotient (36,500 = 2² × 5³ × 73): quotients cut at 40
    // digits and then summed give 9.704999…9, one cent short. The sum must be divided once.
    const [p] = residential("5869.44", "2025-06-16", [{ date: "2025-06-26", amount: "5769.01" }, { date: "2025-08-30", amount: "100.43" }]);
    expect(segs(p!)).toEqual([
      ["2025-06-17", "2025-06-26", 10, "5869.44", "5.565"],
      ["2025-06-27", "2025-06-30", 4, "100.43", "5.565"],
      ["2025-07-01", "2025-08-30", 61, "100.43", "4.14"],
    ]);
    expect(comp(p!).rawSum).toBe("9.705");
    expect(p!.amount).toBe("9.71");
  });
});

describe("R3 independent cases: the account (allocation, amount owed at the start of a day)", () => {
  const inv = (ref: string, date: string, amount: string): LedgerEntry => ({ kind: "invoice", ref: `invoice:${ref}`, date, dueDate: dueDate(date), amount, label: ref });
  const pay = (ref: string, date: string, amount: string): LedgerEntry => ({ kind: "payment", ref: `payment:${ref}`, date, amount: `-${amount}`, label: ref });
  const penaltyOf = (entries: LedgerEntry[], asOf: string, ref: string) => {
    const it = allocate(entries, asOf).items.find((i) => i.entry.ref === ref)!;
    return residential(it.entry.amount, it.dueDate, it.allocations.map((a) => ({ date: a.date, amount: a.amount })));
  };

  it("R3 an overpayment: 2,500.00 due 2025-02-14 settled late by 2,650.00 on 04-30 → 75 days → 28.59; 150.00 left as a credit", () => {
    // Issued 2025-01-30 → due 02-14. Late days 02-15..02-28 = 14, March 31, April 30 → 75 days.
    // The penalty bears on the item's 2,500.00 only: 75 × 2,500 × 5.565 = 1,043,437.5 → ÷ 36,500 =
    // 28.587328… → 28.59. The surplus 150.00 is the account's credit (balance −150.00).
    const entries = [inv("A", "2025-01-30", "2500.00"), pay("P", "2025-04-30", "2650.00")];
    const a = allocate(entries, "2025-04-30");
    expect(a.items[0]).toMatchObject({ open: "0.00", settledOn: "2025-04-30" });
    expect(a.items[0]!.allocations.map((x) => x.amount)).toEqual(["2500.00"]);
    expect([a.unallocated, a.balance]).toEqual(["150.00", "-150.00"]);
    const [p] = penaltyOf(entries, "2025-04-30", "invoice:A");
    expect(comp(p!).daysLate).toBe(75);
    expect(p!.amount).toBe("28.59");
  });

  it("R3 FIFO over two invoices: 10,000.00 due 03-01 and 8,000.00 due 04-01, 6,000.00 on 03-10, 12,000.00 on 04-15 → 35.68 and 17.08", () => {
    // A (issued 02-14, due 03-01) takes the 6,000 of 03-10 and 4,000 of the 12,000 of 04-15; B (issued
    // 03-17, due 04-01) the other 8,000 of 04-15. Both settled 04-15.
    // A: 03-02..03-10 9 d × 10,000 × 5.565 = 500,850; 03-11..04-15 36 d × 4,000 × 5.565 = 801,360;
    //    Σ n = 1,302,210 → ÷ 36,500 = 35.676986… → 35.68 (45 days).
    // B: 04-02..04-15 14 d × 8,000 × 5.565 = 623,280 → ÷ 36,500 = 17.076164… → 17.08.
    const entries = [inv("A", "2025-02-14", "10000.00"), inv("B", "2025-03-17", "8000.00"), pay("P1", "2025-03-10", "6000.00"), pay("P2", "2025-04-15", "12000.00")];
    const a = allocate(entries, "2025-04-30");
    const A = a.items.find((i) => i.entry.ref === "invoice:A")!;
    expect(A.allocations.map((x) => [x.sourceRef, x.date, x.amount])).toEqual([["payment:P1", "2025-03-10", "6000.00"], ["payment:P2", "2025-04-15", "4000.00"]]);
    // The amount owed at the start of a day: the 6,000 of 03-10 still counts on 03-10.
    const owed = (day: string) => formatCents(owedAtStartOf({ amount: dec(A.entry.amount), allocations: A.allocations }, day));
    expect([owed("2025-03-10"), owed("2025-03-11"), owed("2025-04-15"), owed("2025-04-16")]).toEqual(["10000.00", "4000.00", "4000.00", "0.00"]);
    const [pA] = penaltyOf(entries, "2025-04-30", "invoice:A");
    expect(segs(pA!)).toEqual([["2025-03-02", "2025-03-10", 9, "10000.00", "5.565"], ["2025-03-11", "2025-04-15", 36, "4000.00", "5.565"]]);
    expect(pA!.amount).toBe("35.68");
    const [pB] = penaltyOf(entries, "2025-04-30", "invoice:B");
    expect(comp(pB!).daysLate).toBe(14);
    expect(pB!.amount).toBe("17.08");
  });
});

describe("R3 independent cases: professional customer (Code de commerce L441-10, D441-5)", () => {
  it("R3 professional, offer rate 12 % above 3 × legal (11.13 %, 8.28 %): 8,000.00 due 2025-06-25 paid 07-15 → 52.60 + 40.00", () => {
    // 06-26..06-30 5 d and 07-01..07-15 15 d, all at max(12, 3 × legal) = 12 %: 20 × 8,000 × 12 =
    // 1,920,000 → ÷ 36,500 = 52.602739… → 52.60. No 1.5 factor, no floor. Indemnity 40.00.
    const charges = professional("8000.00", "2025-06-25", [{ date: "2025-07-15", amount: "8000.00" }], "12.00");
    expect(charges.map((c) => [c.kind, c.amount])).toEqual([["latePaymentPenalty", "52.60"], ["recoveryIndemnity", "40.00"]]);
    expect(comp(charges[0]!).segments.map((s) => [s.days, s.legalRatePct, s.appliedRatePct])).toEqual([[5, "3.71", "12"], [15, "2.76", "12"]]);
  });

  it("R3 professional, offer rate 9 % below 3 × legal (14.76 % in 2024 S2, 11.13 % in 2025 S1): 3,000.00 due 2024-12-15 paid 2025-01-20 → 37.71 + 40.00", () => {
    // 12-16..12-31 16 d × 14.76 = 236.16; 01-01..01-20 20 d × 11.13 = 222.60; Σ 458.76 × 3,000 =
    // 1,376,280 → ÷ 36,500 = 37.706301… → 37.71.
    const charges = professional("3000.00", "2024-12-15", [{ date: "2025-01-20", amount: "3000.00" }], "9");
    expect(comp(charges[0]!).segments.map((s) => [s.days, s.appliedRatePct])).toEqual([[16, "14.76"], [20, "11.13"]]);
    expect(charges.map((c) => [c.kind, c.amount])).toEqual([["latePaymentPenalty", "37.71"], ["recoveryIndemnity", "40.00"]]);
  });

  it("R3 professional paid one day late: 1,000.00 → interest 0.23 + 40.00; 10.00 → interest 0.00 (no line), 40.00 still due", () => {
    // 2025-07-11, 3 × 2.76 = 8.28 %: 1,000 × 8.28 ÷ 36,500 = 0.226849… → 0.23 (no 7.50 floor).
    expect(professional("1000.00", "2025-07-10", [{ date: "2025-07-11", amount: "1000.00" }]).map((c) => [c.kind, c.amount])).toEqual([
      ["latePaymentPenalty", "0.23"],
      ["recoveryIndemnity", "40.00"],
    ]);
    // 10 × 8.28 ÷ 36,500 = 0.002268… → 0.00: nothing to bill as interest, the indemnity stands.
    expect(professional("10.00", "2025-07-10", [{ date: "2025-07-11", amount: "10.00" }]).map((c) => [c.kind, c.amount])).toEqual([["recoveryIndemnity", "40.00"]]);
    // Paid on the due date: nothing at all, not even the indemnity.
    expect(professional("1000.00", "2025-07-10", [{ date: "2025-07-10", amount: "1000.00" }])).toEqual([]);
  });

  it("R3 professional half-up: offer 12.345 %, 3,650.00 due 2025-09-10 paid 09-20 → 12.345 → 12.35", () => {
    // 10 d × 3,650 × 12.345 = 450,592.5 → ÷ 36,500 = 12.345 exactly → 12.35.
    const [p] = professional("3650.00", "2025-09-10", [{ date: "2025-09-20", amount: "3650.00" }], "12.345");
    expect(p!.amount).toBe("12.35");
  });

  it("R3 professional, the sum divided once: 3,583.72 due 2025-06-16, 3,483.63 on 06-26, 100.09 on 08-30 → 12.435 → 12.44", () => {
    // 3 × legal: 11.13 % then 8.28 %. 10 d × 3,583.72 × 11.13 = 398,868.036; 4 d × 100.09 × 11.13 =
    // 4,456.0068; 61 d × 100.09 × 8.28 = 50,553.4572. Σ n = 453,877.5 → ÷ 36,500 = 12.435 → 12.44.
    const [p] = professional("3583.72", "2025-06-16", [{ date: "2025-06-26", amount: "3483.63" }, { date: "2025-08-30", amount: "100.09" }]);
    expect(comp(p!).rawSum).toBe("12.435");
    expect(p!.amount).toBe("12.44");
  });
});

describe("R4 independent cases: refunds (CGV 6.5)", () => {
  it("R4 late refund: 2,000.00 due 2024-12-20 paid 2025-01-31 (42 days) → 25.75 to a residential customer, 13.90 to a professional", () => {
    // 12-21..12-31 = 11 d, 01-01..01-31 = 31 d.
    // Residential (natural-person rate): 11 × 12.24 + 31 × 10.815 = 134.64 + 335.265 = 469.905 →
    //   × 2,000 = 939,810 → ÷ 36,500 = 25.748219… → 25.75.
    // Professional ("other cases"): 11 × 7.38 + 31 × 5.565 = 81.18 + 172.515 = 253.695 → × 2,000 =
    //   507,390 → ÷ 36,500 = 13.901095… → 13.90.
    const r = lateRefund("2000.00", "2024-12-20", "2025-01-31", "residential")!;
    expect(comp(r).daysLate).toBe(42);
    expect(comp(r).segments.map((s) => [s.days, s.legalRatePct, s.appliedRatePct])).toEqual([[11, "8.16", "12.24"], [31, "7.21", "10.815"]]);
    expect(r).toMatchObject({ kind: "lateRefundPenalty", amount: "-25.75" });
    const p = lateRefund("2000.00", "2024-12-20", "2025-01-31", "professional")!;
    expect(comp(p).segments.map((s) => s.appliedRatePct)).toEqual(["7.38", "5.565"]);
    expect(p.amount).toBe("-13.90");
  });

  it("R4 late refund over 29 February 2024: 5,000.00 due 2024-02-25 paid 2024-03-05 → 9 days → 14.81 (residential)", () => {
    // 02-26..02-29 = 4 d + 03-01..03-05 = 5 d = 9 d at 1.5 × 8.01 = 12.015: 9 × 5,000 × 12.015 = 540,675
    // → ÷ 36,500 = 14.813013… → 14.81.
    const r = lateRefund("5000.00", "2024-02-25", "2024-03-05", "residential")!;
    expect(comp(r).daysLate).toBe(9);
    expect(r.amount).toBe("-14.81");
  });

  it("R4 late refund floor: 100.00 due 2025-03-25 paid 2025-04-04 → 10 days, 0.30 → 7.50 in the customer's favour; on time → nothing", () => {
    // 10 × 100 × 10.815 = 10,815 → ÷ 36,500 = 0.296301… → 0.30 < 7.50 → −7.50.
    const r = lateRefund("100.00", "2025-03-25", "2025-04-04", "residential")!;
    expect(comp(r).rounded).toBe("0.30");
    expect(r.amount).toBe("-7.50");
    expect(lateRefund("100.00", "2025-03-25", "2025-03-25", "professional")).toBeNull();
  });

  it("R4 threshold: 24.99 carried, 25.00 refunded by issue + 15 (leap February), any credit at termination, 0.00 settles nothing", () => {
    // Issue 2024-02-20 → due 2024-03-06 (29 February counted).
    expect(refundDecision("24.99", "2024-02-20", false)).toMatchObject({ kind: "carriedForward", dueDate: null, amountTtc: "24.99" });
    expect(refundDecision("25.00", "2024-02-20", false)).toMatchObject({ kind: "refund", dueDate: "2024-03-06", amountTtc: "25.00" });
    expect(refundDecision("0.01", "2024-02-20", true)).toMatchObject({ kind: "refund", dueDate: "2024-03-06", amountTtc: "0.01" });
    expect(refundDecision("24.99", "2025-12-20", true)).toMatchObject({ kind: "refund", dueDate: "2026-01-04" });
    expect(refundDecision("0.00", "2024-02-20", true)).toMatchObject({ kind: "settled", dueDate: null });
  });

  it("R4 refund on request: due request + 15 calendar days (2024-02-14 → 2024-02-29, 2025-02-14 → 2025-03-01, 2024-12-20 → 2025-01-04)", () => {
    expect(refundDueOnRequest("2024-02-14")).toBe("2024-02-29");
    expect(refundDueOnRequest("2025-02-14")).toBe("2025-03-01");
    expect(refundDueOnRequest("2024-12-20")).toBe("2025-01-04");
  });
});

describe("R3 independent oracle: exact integer arithmetic (property)", () => {
  // An oracle that shares nothing with the engine but the rate table: cents and thousandths of a
  // percent as BigInt, the late days walked one by one, N = Σ balance¢ × 1.5 × rate (in 10⁻⁴ %) over
  // the days, then one half-up division to the cent: cents = ⌊(2N + D) ÷ 2D⌋ with D = 365 × 10⁶.
  const milliPct = (pct: string) => BigInt(Math.round(Number(pct) * 1000)); // table values have ≤ 2 decimals
  const otherOn = (day: string) => RATES.find((r) => r.from <= day && (r.to === undefined || day < r.to))!.otherPct;
  const cents = (s: string) => BigInt(s.replace(".", ""));
  const fmt = (c: bigint) => `${c / 100n}.${String(c % 100n).padStart(2, "0")}`;

  it("R3 residential penalty = max(7.50, round-half-up(Σ owed × 1.5 × legal ÷ 36,500)) for any partial payments in 2024–2025", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 600 }), // due date: days after 2024-01-01
        fc.integer({ min: 1, max: 2_000_000 }), // amount in cents
        fc.array(fc.record({ offset: fc.integer({ min: -5, max: 90 }), share: fc.integer({ min: 1, max: 100 }) }), { minLength: 0, maxLength: 4 }),
        fc.integer({ min: 1, max: 90 }), // the last payment, days after the due date
        (dueOffset, amountCents, parts, lastOffset) => {
          const due = addDays("2024-01-01", dueOffset);
          const amount = BigInt(amountCents);
          let left = amount;
          const receipts: Receipt[] = [];
          for (const p of parts) {
            const a = (left * BigInt(p.share)) / 200n;
            if (a <= 0n || p.offset > lastOffset) continue;
            receipts.push({ date: addDays(due, p.offset), amount: fmt(a) });
            left -= a;
          }
          receipts.push({ date: addDays(due, lastOffset), amount: fmt(left) });
          let n = 0n;
          for (let i = 1; i <= lastOffset; i++) {
            const day = addDays(due, i);
            const owed = receipts.reduce((o, r) => (r.date < day ? o - cents(r.amount) : o), amount);
            n += owed * milliPct(otherOn(day)) * 15n; // 1.5 × rate: ×15 in ten-thousandths of a percent
          }
          // In cents: N × 10⁻² € × 10⁻⁴ % ÷ 100 ÷ 365 × 100 ¢ = N ÷ (365 × 10⁶).
          const d = 365n * 1_000_000n;
          const rounded = (2n * n + d) / (2n * d);
          const expected = fmt(rounded < 750n ? 750n : rounded);
          const [p] = residential(fmt(amount), due, receipts);
          expect(p!.amount).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
